#include "incident/drafts.h"

#include <fmt/format.h>

#include <iterator>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "common/time_format.h"
#include "incident/internal/page.h"
#include "incident/internal/text.h"
#include "incident/reportability.h"

namespace mamori::incident {
namespace {

using internal::Pick;
using nlohmann::json;
using notice::Language;

std::string_view Title(ReportKind kind, Language l) {
  switch (kind) {
    case ReportKind::kAppiPreliminary:
      return Pick(l, "個人データの漏えい等の報告（速報）",
                  "Report of a personal data breach (preliminary report)");
    case ReportKind::kAppiFinal:
      return Pick(l, "個人データの漏えい等の報告（確報）",
                  "Report of a personal data breach (final report)");
    case ReportKind::kTbaPrompt:
      return Pick(l, "通信の秘密の漏えいに関する報告（速報）",
                  "Report of a breach of the secrecy of communications (prompt report)");
    case ReportKind::kTbaDetailed:
      return Pick(l, "通信の秘密の漏えいに関する報告（詳細報告）",
                  "Report of a breach of the secrecy of communications (detailed report)");
  }
  return "";
}

std::string_view LegalBasis(ReportKind kind, Language l) {
  switch (kind) {
    case ReportKind::kAppiPreliminary:
      return Pick(l, "個人情報の保護に関する法律第26条第1項、同法施行規則第8条第1項",
                  "Act on the Protection of Personal Information, Art. 26(1); Enforcement "
                  "Rules, Art. 8(1)");
    case ReportKind::kAppiFinal:
      return Pick(l, "個人情報の保護に関する法律第26条第1項、同法施行規則第8条第2項",
                  "Act on the Protection of Personal Information, Art. 26(1); Enforcement "
                  "Rules, Art. 8(2)");
    case ReportKind::kTbaPrompt:
    case ReportKind::kTbaDetailed:
      return Pick(l, "電気通信事業法第28条第1項", "Telecommunications Business Act, Art. 28(1)");
  }
  return "";
}

std::string_view AuthorityText(Authority a, Language l) {
  switch (a) {
    case Authority::kPpc:
      return Pick(l, "個人情報保護委員会", "Personal Information Protection Commission");
    case Authority::kMicRegionalBureau:
      return Pick(l, "総務省 総合通信局",
                  "Regional Bureau of Telecommunications, Ministry of Internal Affairs and "
                  "Communications");
  }
  return "";
}

std::string_view ReasonText(Reason reason, Language l) {
  switch (reason) {
    case Reason::kSpecialCare:
      return Pick(
          l, "要配慮個人情報が含まれる個人データの漏えい等（個人情報保護法施行規則第7条第1号）",
          "Personal data including special-care-required personal information "
          "(APPI Enforcement Rules, Art. 7(i))");
    case Reason::kFinancialLoss:
      return Pick(
          l,
          "不正に利用されることにより財産的被害が生じるおそれがある個人データの漏えい等"
          "（個人情報保護法施行規則第7条第2号）",
          "Personal data whose wrongful use may cause financial loss (APPI Enforcement Rules, "
          "Art. 7(ii))");
    case Reason::kWrongfulPurpose:
      return Pick(l,
                  "不正の目的をもって行われたおそれがある行為による漏えい等（個人情報保護法施行規則"
                  "第7条第3号）",
                  "Possibly caused by an act with a wrongful purpose (APPI Enforcement Rules, Art. "
                  "7(iii))");
    case Reason::kOver1000Persons:
      return Pick(l, "本人の数が1,000人を超える漏えい等（個人情報保護法施行規則第7条第4号）",
                  "Personal data of more than 1,000 persons (APPI Enforcement Rules, Art. 7(iv))");
    case Reason::kCommunicationSecrecy:
      return Pick(l, "通信の秘密の漏えい（電気通信事業法第28条第1項）",
                  "Breach of the secrecy of communications (Telecommunications Business Act, "
                  "Art. 28(1))");
    case Reason::kEncryptedExempt:
      return Pick(l,
                  "高度な暗号化がされ、鍵が漏えいしていない項目は、いずれの事態の判断にも含めてい"
                  "ません（個人情報保護法施行規則第7条柱書）",
                  "Items strongly encrypted whose keys did not leak count for none of the above "
                  "(APPI Enforcement Rules, Art. 7, opening words)");
  }
  return "";
}

// The fields of a report of `kind`, in the order of its form.
std::vector<std::string_view> FieldKeys(ReportKind kind) {
  if (kind == ReportKind::kTbaPrompt || kind == ReportKind::kTbaDetailed) {
    return {"operator_name",
            "registration_number",
            "occurred_at",
            "discovered_at",
            "overview",
            "data_items",
            "persons",
            "cause",
            "secondary_damage",
            "publication",
            "response_to_persons",
            "recurrence_prevention",
            "other"};
  }
  return {"operator_name",
          "discovered_at",
          "occurred_at",
          "overview",
          "data_items",
          "persons",
          "cause",
          "secondary_damage",
          "response_to_persons",
          "publication",
          "recurrence_prevention",
          "other"};
}

std::string_view FieldLabel(std::string_view key, Language l) {
  struct Label {
    std::string_view key, ja, en;
  };
  static constexpr Label kLabels[] = {
      {"operator_name", "事業者の名称", "Operator"},
      {"registration_number", "登録番号（届出番号）", "Registration number"},
      {"occurred_at", "発生日時", "Date of occurrence"},
      {"discovered_at", "発覚日時", "Date of discovery"},
      {"overview", "概要", "Overview"},
      {"data_items", "漏えい等が発生し、又は発生したおそれがある個人データの項目",
       "Items of personal data leaked or possibly leaked"},
      {"persons", "本人の数", "Number of persons"},
      {"cause", "原因", "Cause"},
      {"secondary_damage", "二次被害又はそのおそれの有無及びその内容",
       "Secondary damage or its risk, and what it is"},
      {"response_to_persons", "本人への対応の実施状況", "Response to the affected persons"},
      {"publication", "公表の実施状況", "Publication"},
      {"recurrence_prevention", "再発防止のための措置", "Measures to prevent recurrence"},
      {"other", "その他参考となる事項", "Other information"},
  };
  for (const Label& label : kLabels) {
    if (label.key == key) return Pick(l, label.ja, label.en);
  }
  return key;
}

// "通話履歴（312人。通信の秘密）", "Call detail records (312 persons; secrecy of
// communications)".
std::string ItemText(const policy::Category& category, const AffectedCategory& item, bool financial,
                     Language l) {
  std::string text = fmt::format("{}{}{}", internal::CategoryName(category, l), Pick(l, "（", " ("),
                                 internal::PersonsText(item.subjects, l));
  const std::string_view separator = Pick(l, "。", "; ");
  if (item.encrypted_without_keys) {
    fmt::format_to(std::back_inserter(text), "{}{}", separator,
                   Pick(l, "高度な暗号化済みで鍵の漏えいがないため報告の対象外",
                        "strongly encrypted, keys did not leak: exempt"));
  } else {
    switch (category.legal_class) {
      case policy::LegalClass::kSpecialCare:
        fmt::format_to(std::back_inserter(text), "{}{}", separator,
                       Pick(l, "要配慮個人情報", "special-care-required"));
        break;
      case policy::LegalClass::kCommunicationSecrecy:
        fmt::format_to(std::back_inserter(text), "{}{}", separator,
                       Pick(l, "通信の秘密", "secrecy of communications"));
        break;
      default:
        break;
    }
    if (financial) {
      fmt::format_to(std::back_inserter(text), "{}{}", separator,
                     Pick(l, "財産的被害のおそれ", "risk of financial loss"));
    }
  }
  text += Pick(l, "）", ")");
  return text;
}

std::string Overview(const IncidentFacts& facts, absl::TimeZone zone, Language l) {
  const std::string date = internal::DateText(absl::ToCivilDay(facts.discovered_at, zone), l);
  const std::string persons = internal::PersonsText(facts.affected.subjects, l);
  std::string text;
  if (l == Language::kJa) {
    text = fmt::format(
        "{}、当社が取り扱う個人データについて、漏えい等が発生した{}ことが判明しまし"
        "た。対象となる本人の数は{}です。",
        date, facts.suspected ? "おそれがある" : "", persons);
    text += facts.description;
  } else {
    text = fmt::format("On {}, we found that personal data we handle {}. It concerns {}.", date,
                       facts.suspected ? "may have leaked" : "has leaked", persons);
    if (!facts.description.empty()) text += " " + facts.description;
  }
  return text;
}

std::string PersonsField(const Reportability& r, const IncidentFacts& facts, Language l) {
  std::string text = internal::PersonsText(facts.affected.subjects, l);
  if (r.persons != facts.affected.subjects) {
    text += l == Language::kJa
                ? fmt::format("（うち、報告の対象外とならない項目が漏えい等した本人は{}）",
                              internal::PersonsText(r.persons, l))
                : fmt::format(" (of whom {} with items not exempt by encryption)",
                              internal::GroupDigits(r.persons));
  }
  return text;
}

std::optional<std::string> Written(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

json Named(Authority a, Language l) {
  return {{"code", AuthorityName(a)}, {"name", AuthorityText(a, l)}};
}

// --- HTML -------------------------------------------------------------------

struct Labels {
  std::string_view draft_banner, addressee, filed_with, delegated, due, incident, reporter;
  std::string_view reasons_heading, fields_heading;
};

constexpr Labels kJapanese = {
    .draft_banner = "下書き：提出前に内容を確認し、（未記入）の項目を記入してください。",
    .addressee = "宛先",
    .filed_with = "提出先",
    .delegated = "（個人情報保護委員会からの権限の委任による）",
    .due = "提出期限",
    .incident = "事案番号",
    .reporter = "報告者",
    .reasons_heading = "報告を要する事態",
    .fields_heading = "報告事項",
};

constexpr Labels kEnglish = {
    .draft_banner =
        "Draft: check it and complete every item marked \"(to be completed)\" before submitting.",
    .addressee = "Addressed to",
    .filed_with = "Filed with",
    .delegated = " (under authority delegated by the Personal Information Protection Commission)",
    .due = "Due",
    .incident = "Incident",
    .reporter = "Reporting operator",
    .reasons_heading = "Why the report is required",
    .fields_heading = "Report",
};

std::string_view Str(const json& text) { return text.get_ref<const std::string&>(); }

std::string Render(const json& d) {
  const bool ja = d.at("language") == "ja";
  const Labels& l = ja ? kJapanese : kEnglish;
  internal::Page page(Str(d.at("language")), Str(d.at("title")));
  page.Raw("<header>\n<p class=\"draft\">");
  page.Text(l.draft_banner);
  page.Raw("</p>\n");
  page.Element("h1", Str(d.at("title")));
  page.Element("p", Str(d.at("legal_basis")));
  page.Raw("<dl>\n");
  page.Element("dt", l.addressee);
  page.Element("dd", Str(d.at("authority").at("name")));
  if (d.at("filed_with").at("code") != d.at("authority").at("code")) {
    page.Element("dt", l.filed_with);
    page.Raw("<dd>");
    page.Text(Str(d.at("filed_with").at("name")));
    page.Text(l.delegated);
    page.Raw("</dd>\n");
  }
  page.Element("dt", l.due);
  page.Element("dd", Str(d.at("due_text")));
  if (!d.at("incident").is_null()) {
    page.Element("dt", l.incident);
    page.Element("dd", Str(d.at("incident")));
  }
  const json& op = d.at("operator");
  page.Element("dt", l.reporter);
  page.Raw("<dd>");
  page.Value(Str(op.at("name")));
  page.Raw("<br>");
  page.Value(Str(op.at("address")));
  page.Raw("<br>");
  page.Value(Str(op.at("representative")));
  page.Raw("</dd>\n</dl>\n</header>\n<main>\n");

  page.OpenSection("reasons", l.reasons_heading);
  page.Raw("<ul>\n");
  for (const json& reason : d.at("reasons")) page.Element("li", Str(reason.at("text")));
  page.Raw("</ul>\n");
  page.CloseSection();

  page.OpenSection("fields", l.fields_heading);
  page.Raw("<table>\n<tbody>\n");
  for (const json& field : d.at("fields")) {
    page.Raw("<tr id=\"");
    page.Text(Str(field.at("key")));
    page.Raw("\"><th scope=\"row\">");
    page.Text(Str(field.at("label")));
    page.Raw("</th><td>");
    if (field.at("text").is_null()) {
      page.Placeholder(internal::Placeholder(ja ? Language::kJa : Language::kEn));
    } else {
      page.Value(Str(field.at("text")));
    }
    page.Raw("</td></tr>\n");
  }
  page.Raw("</tbody>\n</table>\n");
  page.CloseSection();
  page.Raw("</main>\n<footer>\n");
  page.Element("p", Str(d.at("note")));
  page.Raw("</footer>\n");
  return std::move(page).Finish();
}

}  // namespace

absl::StatusOr<nlohmann::json> DraftJson(const policy::Policy& policy, const IncidentFacts& facts,
                                         const IncidentNarrative& narrative, ReportKind kind,
                                         Language language) {
  RETURN_IF_ERROR(ValidateFacts(policy, facts));
  ASSIGN_OR_RETURN(absl::TimeZone zone, OperatorTimeZone(policy));
  const Reportability r = Assess(policy, facts);
  const std::optional<Report> report = RequiredReport(r, kind, facts.discovered_at, zone);
  if (!report) {
    return absl::FailedPreconditionError(
        fmt::format("the incident needs no {} report (reasons: {})", ReportKindName(kind),
                    ReportabilityToJson(r).at("reasons").dump()));
  }
  const Language l = language;
  const policy::Operator& op = policy.operator_info;

  json items = json::array();
  std::string items_text;
  for (const AffectedCategory& item : facts.affected.categories) {
    const policy::Category& category = *policy.FindCategory(item.id);
    const bool financial = RisksFinancialLoss(policy, facts, item.id);
    items.push_back({{"id", item.id},
                     {"name", internal::CategoryName(category, l)},
                     {"legal_class", policy::LegalClassName(category.legal_class)},
                     {"subjects", item.subjects},
                     {"encrypted_without_keys", item.encrypted_without_keys},
                     {"financial_risk", financial}});
    if (!items_text.empty()) items_text += "\n";
    items_text += ItemText(category, item, financial, l);
  }

  // Each field's text; nullopt: to be completed.
  auto value = [&](std::string_view key) -> std::optional<std::string> {
    if (key == "operator_name") return std::string(internal::OperatorName(op, l));
    if (key == "registration_number") return op.registration_number;
    if (key == "occurred_at") {
      if (!facts.occurred_at) {
        return std::string(Pick(l, "不明（調査中）", "Unknown (under investigation)"));
      }
      return internal::DateTimeText(*facts.occurred_at, zone, l);
    }
    if (key == "discovered_at") return internal::DateTimeText(facts.discovered_at, zone, l);
    if (key == "overview") return Overview(facts, zone, l);
    if (key == "data_items") return items_text;
    if (key == "persons") return PersonsField(r, facts, l);
    if (key == "cause") return std::string(internal::CauseText(facts.cause, l));
    if (key == "secondary_damage") return Written(narrative.secondary_damage);
    if (key == "response_to_persons") return Written(narrative.response_to_persons);
    if (key == "publication") return Written(narrative.publication);
    if (key == "recurrence_prevention") return Written(narrative.recurrence_prevention);
    if (key == "other") return Written(narrative.other);
    return std::nullopt;
  };
  json fields = json::array();
  json missing = json::array();
  for (std::string_view key : FieldKeys(kind)) {
    std::optional<std::string> text = value(key);
    if (!text) missing.push_back(key);
    fields.push_back({{"key", key},
                      {"label", FieldLabel(key, l)},
                      {"text", text ? json(*text) : json(nullptr)}});
  }

  // The APPI reports cite the APPI grounds, the TBA reports communication
  // secrecy; each the exemption when it removed a category it would count.
  const bool tba = kind == ReportKind::kTbaPrompt || kind == ReportKind::kTbaDetailed;
  bool secrecy_exempt = false;
  for (const std::string& id : r.exempt_categories) {
    secrecy_exempt |=
        policy.FindCategory(id)->legal_class == policy::LegalClass::kCommunicationSecrecy;
  }
  json reasons = json::array();
  for (Reason reason : r.reasons) {
    const bool cited = reason == Reason::kEncryptedExempt
                           ? !tba || secrecy_exempt
                           : tba == (reason == Reason::kCommunicationSecrecy);
    if (cited) reasons.push_back({{"code", ReasonName(reason)}, {"text", ReasonText(reason, l)}});
  }

  const std::string due_date = internal::DueDateText(report->due, zone, l);
  const std::string due_text =
      l == Language::kJa ? fmt::format("{}（{}）まで（発覚した日の翌日から起算して{}日以内）",
                                       due_date, zone.name(), report->days)
                         : fmt::format("By the end of {} ({}): {} days after the day of discovery",
                                       due_date, zone.name(), report->days);
  return json{
      {"kind", ReportKindName(kind)},
      {"language", notice::LanguageCode(l)},
      {"title", Title(kind, l)},
      {"legal_basis", LegalBasis(kind, l)},
      {"incident", facts.id.empty() ? json(nullptr) : json(facts.id)},
      {"authority", Named(report->authority, l)},
      {"filed_with", Named(report->filed_with, l)},
      {"days", report->days},
      {"due", common::FormatTimestamp(report->due)},
      {"due_text", due_text},
      {"time_zone", zone.name()},
      {"operator",
       {{"name", internal::OperatorName(op, l)},
        {"address", op.address},
        {"representative", op.representative},
        {"registration_number",
         op.registration_number ? json(*op.registration_number) : json(nullptr)}}},
      {"reasons", reasons},
      {"data_items", items},
      {"persons", {{"total", facts.affected.subjects}, {"counted", r.persons}}},
      {"fields", fields},
      {"missing", missing},
      {"note", Pick(l,
                    "この下書きは、mamori が記録された事実から作成しました。数と項目名のみを記載"
                    "し、個人を識別する情報は含みません。",
                    "mamori drafted this report from the recorded facts: counts and item names "
                    "only, nothing that identifies a person.")}};
}

absl::StatusOr<std::string> DraftHtml(const policy::Policy& policy, const IncidentFacts& facts,
                                      const IncidentNarrative& narrative, ReportKind kind,
                                      Language language) {
  ASSIGN_OR_RETURN(json draft, DraftJson(policy, facts, narrative, kind, language));
  return Render(draft);
}

}  // namespace mamori::incident
