#include "incident/customer_notice.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <string_view>
#include <utility>

#include "common/status_macros.h"
#include "incident/internal/page.h"
#include "incident/internal/text.h"
#include "incident/reports.h"

namespace mamori::incident {
namespace {

using internal::Pick;
using nlohmann::json;
using notice::Language;

// Headings of the text and HTML forms; the sentences are in the JSON.
struct Labels {
  std::string_view overview, items, cause, secondary_damage, other, contact, inquiries, complaints;
};

constexpr Labels kJapanese = {
    .overview = "概要",
    .items = "漏えい等したお客さまの個人情報の項目",
    .cause = "原因",
    .secondary_damage = "二次被害又はそのおそれ",
    .other = "その他",
    .contact = "お問い合わせ窓口",
    .inquiries = "本件に関するお問い合わせ",
    .complaints = "苦情・ご相談",
};

constexpr Labels kEnglish = {
    .overview = "Overview",
    .items = "Your personal information concerned",
    .cause = "Cause",
    .secondary_damage = "Secondary damage or its risk",
    .other = "Other information",
    .contact = "Contact",
    .inquiries = "Questions about this incident",
    .complaints = "Complaints",
};

std::string Overview(const IncidentFacts& facts, absl::TimeZone zone, Language l) {
  const std::string date = internal::DateText(absl::ToCivilDay(facts.discovered_at, zone), l);
  if (l == Language::kJa) {
    return fmt::format(
        "{}、当社は、お客さまの個人情報が漏えいした{}ことを確認しました。お客さまには多大なご迷惑"
        "とご心配をおかけし、深くお詫び申し上げます。{}",
        date, facts.suspected ? "おそれがある" : "", facts.description);
  }
  std::string text = fmt::format(
      "On {} we found that your personal information {}. We sincerely apologize for the "
      "concern and inconvenience this causes you.",
      date, facts.suspected ? "may have leaked" : "has leaked");
  if (!facts.description.empty()) text += " " + facts.description;
  return text;
}

json OrNull(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

std::string_view Str(const json& text) { return text.get_ref<const std::string&>(); }

// The text of the JSON string `text`, or the placeholder when it is null.
std::string_view TextOr(const json& text, Language l) {
  return text.is_null() ? internal::Placeholder(l) : Str(text);
}

Language LanguageOf(const json& n) {
  return n.at("language") == "ja" ? Language::kJa : Language::kEn;
}

// "クレジットカード番号（暗号化されており…）", "Payment card number (encrypted; …)".
std::string ItemLine(const json& item, Language l) {
  if (item.at("note").is_null()) return std::string(Str(item.at("name")));
  return fmt::format("{}{}{}{}", Str(item.at("name")), Pick(l, "（", " ("), Str(item.at("note")),
                     Pick(l, "）", ")"));
}

std::string RenderText(const json& n) {
  const Language l = LanguageOf(n);
  const Labels& labels = l == Language::kJa ? kJapanese : kEnglish;
  std::string out;
  auto heading = [&](std::string_view text) {
    if (l == Language::kJa) {
      fmt::format_to(std::back_inserter(out), "\n■ {}\n", text);
    } else {
      fmt::format_to(std::back_inserter(out), "\n{}\n{}\n", text, std::string(text.size(), '-'));
    }
  };
  fmt::format_to(std::back_inserter(out), "{}\n{}\n", Str(n.at("title")),
                 Str(n.at("operator").at("name")));
  heading(labels.overview);
  fmt::format_to(std::back_inserter(out), "{}\n", Str(n.at("overview")));
  heading(labels.items);
  for (const json& item : n.at("data_items")) {
    fmt::format_to(std::back_inserter(out), "{}{}\n", Pick(l, "・", "- "), ItemLine(item, l));
  }
  heading(labels.cause);
  fmt::format_to(std::back_inserter(out), "{}\n", Str(n.at("cause").at("text")));
  heading(labels.secondary_damage);
  fmt::format_to(std::back_inserter(out), "{}\n", TextOr(n.at("secondary_damage"), l));
  if (!n.at("other").is_null()) {
    heading(labels.other);
    fmt::format_to(std::back_inserter(out), "{}\n", Str(n.at("other")));
  }
  heading(labels.contact);
  const std::string_view colon = Pick(l, "：", ": ");
  fmt::format_to(std::back_inserter(out), "{}{}{}\n{}{}{}\n", labels.inquiries, colon,
                 Str(n.at("contact").at("inquiries")), labels.complaints, colon,
                 Str(n.at("contact").at("complaints")));
  return out;
}

std::string RenderHtml(const json& n) {
  const Language l = LanguageOf(n);
  const Labels& labels = l == Language::kJa ? kJapanese : kEnglish;
  internal::Page page(Str(n.at("language")), Str(n.at("title")));
  page.Raw("<header>\n");
  page.Element("h1", Str(n.at("title")));
  page.ElementValue("p", Str(n.at("operator").at("name")));
  page.Raw("</header>\n<main>\n");

  page.OpenSection("overview", labels.overview);
  page.ElementValue("p", Str(n.at("overview")));
  page.CloseSection();

  page.OpenSection("items", labels.items);
  page.Raw("<ul>\n");
  for (const json& item : n.at("data_items")) page.ElementValue("li", ItemLine(item, l));
  page.Raw("</ul>\n");
  page.CloseSection();

  page.OpenSection("cause", labels.cause);
  page.Element("p", Str(n.at("cause").at("text")));
  page.CloseSection();

  page.OpenSection("secondary-damage", labels.secondary_damage);
  page.Raw("<p>");
  if (n.at("secondary_damage").is_null()) {
    page.Placeholder(internal::Placeholder(l));
  } else {
    page.Value(Str(n.at("secondary_damage")));
  }
  page.Raw("</p>\n");
  page.CloseSection();

  if (!n.at("other").is_null()) {
    page.OpenSection("other", labels.other);
    page.ElementValue("p", Str(n.at("other")));
    page.CloseSection();
  }

  page.OpenSection("contact", labels.contact);
  page.Raw("<dl>\n");
  page.Element("dt", labels.inquiries);
  page.ElementValue("dd", Str(n.at("contact").at("inquiries")));
  page.Element("dt", labels.complaints);
  page.ElementValue("dd", Str(n.at("contact").at("complaints")));
  page.Raw("</dl>\n");
  page.CloseSection();
  page.Raw("</main>\n");
  return std::move(page).Finish();
}

}  // namespace

absl::StatusOr<nlohmann::json> CustomerNoticeJson(const policy::Policy& policy,
                                                  const IncidentFacts& facts,
                                                  const IncidentNarrative& narrative,
                                                  const std::vector<std::string>& categories,
                                                  Language language) {
  RETURN_IF_ERROR(ValidateFacts(policy, facts));
  ASSIGN_OR_RETURN(absl::TimeZone zone, OperatorTimeZone(policy));
  if (categories.empty()) {
    return absl::InvalidArgumentError("a customer notice needs the person's affected categories");
  }
  const Language l = language;
  json items = json::array();
  for (size_t i = 0; i < categories.size(); ++i) {
    const std::string& id = categories[i];
    const AffectedCategory* item = facts.affected.Find(id);
    if (item == nullptr) {
      return absl::InvalidArgumentError(
          fmt::format("category \"{}\" is not among the incident's affected categories", id));
    }
    if (std::find(categories.begin(), categories.begin() + i, id) != categories.begin() + i) {
      return absl::InvalidArgumentError(fmt::format("category \"{}\" is listed twice", id));
    }
    json note = nullptr;
    if (item->encrypted_without_keys) {
      note = Pick(l, "暗号化されており、復号に必要な鍵は漏えいしていません",
                  "encrypted; the keys needed to read it did not leak");
    }
    items.push_back({{"id", id},
                     {"name", internal::CategoryName(*policy.FindCategory(id), l)},
                     {"encrypted_without_keys", item->encrypted_without_keys},
                     {"note", note}});
  }
  const policy::Operator& op = policy.operator_info;
  json missing = json::array();
  if (narrative.secondary_damage.empty()) missing.push_back("secondary_damage");
  return json{
      {"language", notice::LanguageCode(l)},
      {"title", Pick(l, "個人情報の漏えい等に関するお知らせとお詫び",
                     "Notice of a leak of your personal information")},
      {"operator", {{"name", internal::OperatorName(op, l)}}},
      {"incident", facts.id.empty() ? json(nullptr) : json(facts.id)},
      {"discovered_on", absl::FormatCivilTime(absl::ToCivilDay(facts.discovered_at, zone))},
      {"overview", Overview(facts, zone, l)},
      {"data_items", items},
      {"cause", {{"code", CauseName(facts.cause)}, {"text", internal::CauseText(facts.cause, l)}}},
      {"secondary_damage", OrNull(narrative.secondary_damage)},
      {"other", OrNull(narrative.other)},
      {"contact",
       {{"inquiries", narrative.inquiry_desk.empty() ? op.privacy_contact : narrative.inquiry_desk},
        {"complaints", op.complaint_desk}}},
      {"missing", missing}};
}

absl::StatusOr<std::string> CustomerNoticeText(const policy::Policy& policy,
                                               const IncidentFacts& facts,
                                               const IncidentNarrative& narrative,
                                               const std::vector<std::string>& categories,
                                               Language language) {
  ASSIGN_OR_RETURN(json n, CustomerNoticeJson(policy, facts, narrative, categories, language));
  return RenderText(n);
}

absl::StatusOr<std::string> CustomerNoticeHtml(const policy::Policy& policy,
                                               const IncidentFacts& facts,
                                               const IncidentNarrative& narrative,
                                               const std::vector<std::string>& categories,
                                               Language language) {
  ASSIGN_OR_RETURN(json n, CustomerNoticeJson(policy, facts, narrative, categories, language));
  return RenderHtml(n);
}

}  // namespace mamori::incident
