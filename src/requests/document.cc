#include "requests/document.h"

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "notice/html_writer.h"

namespace mamori::requests {
namespace {

using nlohmann::json;

std::string Str(const json& j, std::string_view field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

const json& Array(const json& j, std::string_view field) {
  static const json kEmpty = json::array();
  auto it = j.find(field);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

struct Words {
  std::string_view title_disclosure, title_notice, title_other, request, generated, operator_name,
      records, category, service, purposes, collected, value, consents, purpose, recipient, given,
      withdrawn, provisions, provided, basis, orders, kind, none_held, outcome, kept, item, reason,
      no_records, none, language, language_ja, language_en;
};

constexpr Words kJa = {"保有個人データの開示",
                       "利用目的の通知",
                       "ご請求への回答",
                       "受付番号",
                       "作成日時",
                       "事業者",
                       "保有個人データ",
                       "項目",
                       "サービス",
                       "利用目的",
                       "取得日時",
                       "内容",
                       "同意",
                       "目的",
                       "提供先",
                       "同意日時",
                       "撤回日時",
                       "第三者提供記録（法第33条第5項）",
                       "提供日時",
                       "根拠",
                       "利用停止・提供停止",
                       "種別",
                       "お客さまの個人データは保有しておりません。",
                       "対応の内容",
                       "消去せず保有を続けるもの",
                       "項目",
                       "理由",
                       "該当する記録はありません。",
                       "なし",
                       "ご連絡の言語",
                       "日本語",
                       "英語"};
constexpr Words kEn = {"Disclosure of retained personal data",
                       "Notice of the purposes of use",
                       "Answer to your request",
                       "Request",
                       "Made at",
                       "Operator",
                       "Retained personal data",
                       "Item",
                       "Service",
                       "Purposes",
                       "Collected",
                       "Value",
                       "Consents",
                       "Purpose",
                       "Recipient",
                       "Given",
                       "Withdrawn",
                       "Third-party provision records (APPI Art. 33(5))",
                       "Provided",
                       "Basis",
                       "Orders to stop use or provision",
                       "Kind",
                       "We hold no personal data about you.",
                       "What was done",
                       "Kept, not erased",
                       "Item",
                       "Reason",
                       "No records.",
                       "none",
                       "Language for what we send you",
                       "Japanese",
                       "English"};

void Cell(notice::HtmlWriter& page, std::string_view text) {
  page.Raw("<td>");
  page.Value(text);
  page.Raw("</td>");
}

void Header(notice::HtmlWriter& page, std::initializer_list<std::string_view> headers) {
  page.Raw("<table><thead><tr>");
  for (std::string_view h : headers) {
    page.Raw("<th scope=\"col\">");
    page.Text(h);
    page.Raw("</th>");
  }
  page.Raw("</tr></thead><tbody>\n");
}

}  // namespace

std::string ResultHtml(const json& result, const json& outcome, notice::Language language) {
  const bool ja = language == notice::Language::kJa;
  const Words& w = ja ? kJa : kEn;
  const std::string kind = Str(result, "kind");
  const std::string_view title = kind == "disclosure"       ? w.title_disclosure
                                 : kind == "purpose_notice" ? w.title_notice
                                                            : w.title_other;
  notice::HtmlWriter page(/*mark_japanese=*/!ja);
  page.Raw(fmt::format("<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n",
                       ja ? "ja" : "en"));
  page.Raw("<title>");
  page.Text(title);
  page.Raw(
      "</title>\n<style>body{font-family:serif;margin:2em;max-width:60em}"
      "table{border-collapse:collapse;width:100%;margin-bottom:1.5em}"
      "th,td{border:1px solid #888;padding:.3em .5em;text-align:left;vertical-align:top}"
      "</style>\n</head>\n<body>\n");
  page.Element("h1", title);
  page.Raw("<dl>\n");
  page.TermValue(w.operator_name, Str(result, "operator"));
  page.Term(w.request, Str(result, "request"));
  page.Term(w.generated, Str(result, "generated_at"));
  page.Raw("</dl>\n");

  if (result.value("no_data_held", false)) page.Element("p", w.none_held);

  if (kind == "disclosure") {
    if (const std::string chosen = Str(result, "chosen_language"); !chosen.empty()) {
      page.Raw("<dl>\n");
      page.Term(w.language, chosen == "ja" ? w.language_ja : w.language_en);
      page.Raw("</dl>\n");
    }
    page.OpenSection("records", w.records);
    const json& records = Array(result, "records");
    if (records.empty()) {
      page.Element("p", w.no_records);
    } else {
      Header(page, {w.category, w.service, w.purposes, w.collected, w.value});
      for (const json& r : records) {
        std::string purposes;
        for (const json& p : Array(r, "purposes")) {
          if (!purposes.empty()) purposes += ja ? "、" : "; ";
          purposes += Str(p, "name");
        }
        page.Raw("<tr>");
        Cell(page, Str(r, "category_name"));
        Cell(page, Str(r, "service_name"));
        Cell(page, purposes);
        Cell(page, Str(r, "collected_at"));
        Cell(page, Str(r, "value"));
        page.Raw("</tr>\n");
      }
      page.Raw("</tbody></table>\n");
    }
    page.CloseSection();
    page.OpenSection("consents", w.consents);
    const json& consents = Array(result, "consents");
    if (consents.empty()) {
      page.Element("p", w.no_records);
    } else {
      Header(page, {w.purpose, w.recipient, w.given, w.withdrawn});
      for (const json& c : consents) {
        page.Raw("<tr>");
        Cell(page, Str(c, "purpose"));
        Cell(page, Str(c, "recipient"));
        Cell(page, Str(c, "given_at"));
        Cell(page, Str(c, "withdrawn_at"));
        page.Raw("</tr>\n");
      }
      page.Raw("</tbody></table>\n");
    }
    page.CloseSection();
    page.OpenSection("provision-records", w.provisions);
    const json& provisions = Array(result, "provision_records");
    if (provisions.empty()) {
      page.Element("p", w.no_records);
    } else {
      Header(page, {w.recipient, w.category, w.purpose, w.basis, w.provided});
      for (const json& p : provisions) {
        std::string categories;
        for (const json& c : Array(p, "categories")) {
          if (!categories.empty()) categories += ", ";
          if (c.is_string()) categories += c.get<std::string>();
        }
        page.Raw("<tr>");
        Cell(page,
             Str(p, "recipient_name").empty() ? Str(p, "recipient") : Str(p, "recipient_name"));
        Cell(page, categories);
        Cell(page, Str(p, "purpose"));
        Cell(page, Str(p, "legal_basis"));
        Cell(page, Str(p, "provided_at"));
        page.Raw("</tr>\n");
      }
      page.Raw("</tbody></table>\n");
    }
    page.CloseSection();
    const json& orders = Array(result, "stop_orders");
    if (!orders.empty()) {
      page.OpenSection("stop-orders", w.orders);
      Header(page, {w.kind, w.purpose, w.recipient, w.given});
      for (const json& o : orders) {
        page.Raw("<tr>");
        Cell(page, Str(o, "kind"));
        Cell(page, Str(o, "purpose").empty() ? std::string(w.none) : Str(o, "purpose"));
        Cell(page, Str(o, "recipient"));
        Cell(page, Str(o, "created_at"));
        page.Raw("</tr>\n");
      }
      page.Raw("</tbody></table>\n");
      page.CloseSection();
    }
  } else if (kind == "purpose_notice") {
    for (const json& s : Array(result, "services")) {
      page.OpenSection(fmt::format("service-{}", Str(s, "service")), Str(s, "name"));
      page.Raw("<ul>\n");
      for (const json& p : Array(s, "purposes")) {
        page.Raw("<li><strong>");
        page.Value(Str(p, "name"));
        page.Raw("</strong>: ");
        page.Value(Str(p, "announcement"));
        page.Raw("</li>\n");
      }
      page.Raw("</ul>\n");
      page.CloseSection();
    }
  }
  if (outcome.is_object()) {
    page.OpenSection("outcome", w.outcome);
    page.Element("p", Str(outcome, "summary"));
    const json& kept = Array(outcome, "kept");
    if (!kept.empty()) {
      page.Element("h3", w.kept);
      Header(page, {w.item, w.reason});
      for (const json& k : kept) {
        page.Raw("<tr>");
        Cell(page, Str(k, "item"));
        Cell(page, Str(k, "reason"));
        page.Raw("</tr>\n");
      }
      page.Raw("</tbody></table>\n");
    }
    page.CloseSection();
  }
  page.Raw("</body>\n</html>\n");
  return std::move(page).Take();
}

}  // namespace mamori::requests
