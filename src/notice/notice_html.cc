// The HTML form of a notice, rendered from its JSON form so that the two
// always say the same thing.
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "notice/html_writer.h"
#include "notice/notice.h"

namespace mamori::notice {
namespace {

using nlohmann::json;

// Headings and labels of the page; the sentences are in the JSON.
struct Labels {
  std::string_view other_language_name, other_language_code, language_nav;
  std::string_view operator_heading, name, address, representative;
  std::string_view purposes_heading, purposes_intro, categories_used, retention;
  std::string_view categories_heading, categories_intro;
  std::string_view joint_use_heading, joint_items, joint_users, joint_purposes, responsible;
  std::string_view trustees_heading, foreign_trustees, country, purposes, categories;
  std::string_view third_parties_heading, recipient;
  std::string_view requests_heading, contact, fee;
  std::string_view security_heading, complaints_heading;
  std::string_view list_separator;
};

constexpr Labels kJapanese = {
    .other_language_name = "English",
    .other_language_code = "en",
    .language_nav = "言語",
    .operator_heading = "事業者",
    .name = "名称",
    .address = "住所",
    .representative = "代表者",
    .purposes_heading = "利用目的",
    .purposes_intro = "当社は、このサービスで取得する個人情報を、次の目的のために利用します。",
    .categories_used = "利用する個人情報",
    .retention = "保存期間",
    .categories_heading = "取得する個人情報",
    .categories_intro = "このサービスでは、次の個人情報を取得します。",
    .joint_use_heading = "共同利用",
    .joint_items = "共同して利用する個人データの項目",
    .joint_users = "共同して利用する者の範囲",
    .joint_purposes = "利用する者の利用目的",
    .responsible = "個人データの管理について責任を有する者",
    .trustees_heading = "個人情報の取扱いの委託",
    .foreign_trustees = "外国にある委託先",
    .country = "国",
    .purposes = "利用目的",
    .categories = "個人情報の項目",
    .third_parties_heading = "第三者への提供",
    .recipient = "提供先",
    .requests_heading = "保有個人データに関するご請求",
    .contact = "受付窓口",
    .fee = "手数料",
    .security_heading = "安全管理のために講じた措置",
    .complaints_heading = "苦情・お問い合わせ窓口",
    .list_separator = "、",
};

constexpr Labels kEnglish = {
    .other_language_name = "日本語",
    .other_language_code = "ja",
    .language_nav = "Language",
    .operator_heading = "Who we are",
    .name = "Name",
    .address = "Address",
    .representative = "Representative",
    .purposes_heading = "Purposes of utilization",
    .purposes_intro =
        "We use the personal information we obtain through this service for the following "
        "purposes.",
    .categories_used = "Personal information used",
    .retention = "Retention period",
    .categories_heading = "Personal information we obtain",
    .categories_intro = "Through this service we obtain the following personal information.",
    .joint_use_heading = "Joint use",
    .joint_items = "Items of personal data used jointly",
    .joint_users = "Scope of joint users",
    .joint_purposes = "Purposes of the joint users",
    .responsible = "Party responsible for managing the personal data",
    .trustees_heading = "Entrusting the handling of personal information",
    .foreign_trustees = "Trustees in foreign countries",
    .country = "Country",
    .purposes = "Purposes",
    .categories = "Items of personal information",
    .third_parties_heading = "Provision to third parties",
    .recipient = "Recipient",
    .requests_heading = "Requests about the personal data we hold",
    .contact = "Where to make requests",
    .fee = "Fee",
    .security_heading = "Security measures",
    .complaints_heading = "Complaints and inquiries",
    .list_separator = ", ",
};

// Print-friendly and legible without any external resource; colors keep a
// contrast ratio above 7:1.
constexpr std::string_view kStyle =
    "body{font-family:system-ui,sans-serif;line-height:1.7;max-width:48rem;margin:0 auto;"
    "padding:1rem;color:#111;background:#fff}"
    "h1{font-size:1.6rem;line-height:1.3}"
    "h2{font-size:1.25rem;border-bottom:1px solid #555;margin-top:2rem}"
    "h3{font-size:1.05rem;margin:1rem 0 .25rem}"
    "dt{font-weight:bold}dd{margin:0 0 .5rem 1.5rem}"
    ".note{font-size:.9rem;color:#333}"
    "a{color:#0b4a8b}"
    "nav{text-align:right}"
    "footer{margin-top:2rem;border-top:1px solid #555;font-size:.9rem}"
    "@media print{nav{display:none}body{max-width:none;padding:0}h2{break-after:avoid}"
    "li,dl{break-inside:avoid}}";

using Page = HtmlWriter;

// The text of a JSON string.
std::string_view Str(const json& text) { return text.get_ref<const std::string&>(); }

// The "name" of each object of `list`, joined.
std::string Names(const json& list, std::string_view separator) {
  std::string out;
  for (const json& item : list) {
    if (!out.empty()) out.append(separator);
    out += item.at("name").get<std::string>();
  }
  return out;
}

void Responsible(Page& page, const Labels& l, const json& r) {
  page.Element("dt", l.responsible);
  page.Raw("<dd>");
  page.Value(Str(r.at("name")));
  page.Raw("<br>");
  page.Value(Str(r.at("address")));
  page.Raw("<br>");
  page.Value(Str(r.at("representative")));
  page.Raw("</dd>\n");
}

std::string Render(const json& n) {
  const bool ja = n.at("language") == "ja";
  const Labels& l = ja ? kJapanese : kEnglish;
  const std::string_view sep = l.list_separator;
  Page page(/*mark_japanese=*/!ja);
  page.Raw("<!DOCTYPE html>\n<html lang=\"");
  page.Text(Str(n.at("language")));
  page.Raw(
      "\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
  page.Element("title", Str(n.at("title")));
  page.Raw("<style>");
  page.Raw(kStyle);
  page.Raw("</style>\n</head>\n<body>\n<header>\n<nav aria-label=\"");
  page.Text(l.language_nav);
  page.Raw("\"><a href=\"?lang=");
  page.Text(l.other_language_code);
  page.Raw("\" hreflang=\"");
  page.Text(l.other_language_code);
  page.Raw("\" lang=\"");
  page.Text(l.other_language_code);
  page.Raw("\">");
  page.Text(l.other_language_name);
  page.Raw("</a></nav>\n");
  page.Element("h1", Str(n.at("title")));
  page.ElementValue("p", Str(n.at("operator").at("name")));
  page.Raw("</header>\n<main>\n");

  const json& op = n.at("operator");
  page.OpenSection("operator", l.operator_heading);
  page.Raw("<dl>\n");
  page.TermValue(l.name, Str(op.at("name")));
  page.TermValue(l.address, Str(op.at("address")));
  page.TermValue(l.representative, Str(op.at("representative")));
  page.Raw("</dl>\n");
  page.CloseSection();

  page.OpenSection("purposes", l.purposes_heading);
  page.Element("p", l.purposes_intro);
  page.Raw("<ol>\n");
  for (const json& p : n.at("purposes")) {
    page.Raw("<li>\n");
    page.Element("h3", Str(p.at("name")));
    page.Element("p", Str(p.at("announcement")));
    page.Raw("<dl>\n");
    page.Term(l.categories_used, Names(p.at("categories"), sep));
    if (!p.at("retention").is_null()) page.Term(l.retention, Str(p.at("retention").at("text")));
    page.Raw("</dl>\n</li>\n");
  }
  page.Raw("</ol>\n");
  page.Element("p", Str(n.at("retention_text")));
  page.CloseSection();

  page.OpenSection("categories", l.categories_heading);
  page.Element("p", l.categories_intro);
  page.Raw("<ul>\n");
  for (const json& c : n.at("categories")) {
    page.Raw("<li>");
    page.Text(Str(c.at("name")));
    if (!c.at("note").is_null()) {
      page.Raw(" <span class=\"note\">");
      page.Text(Str(c.at("note")));
      page.Raw("</span>");
    }
    page.Raw("</li>\n");
  }
  page.Raw("</ul>\n");
  page.CloseSection();

  const json& joint = n.at("joint_use");
  page.OpenSection("joint-use", l.joint_use_heading);
  page.Element("p", Str(joint.at("text")));
  for (const json& j : joint.at("list")) {
    page.Raw("<dl>\n");
    page.Term(l.joint_items, Names(j.at("items"), sep));
    // The operator and its group companies.
    page.Element("dt", l.joint_users);
    page.Raw("<dd>");
    page.Value(Str(op.at("name")));
    for (const json& u : j.at("users")) {
      page.Text(sep);
      page.Value(Str(u.at("name")));
    }
    page.Raw("</dd>\n");
    page.Element("dt", l.joint_purposes);
    page.Raw("<dd>");
    bool first = true;
    for (const json& p : j.at("purposes")) {
      if (!first) page.Raw("<br>");
      first = false;
      page.Text(Str(p.at("name")));
      page.Text(ja ? "：" : ": ");
      page.Text(Str(p.at("announcement")));
    }
    page.Raw("</dd>\n");
    Responsible(page, l, j.at("responsible"));
    page.Raw("</dl>\n");
  }
  page.CloseSection();

  const json& trustees = n.at("trustees");
  page.OpenSection("trustees", l.trustees_heading);
  page.Element("p", Str(trustees.at("text")));
  if (!trustees.at("foreign").empty()) page.Element("h3", l.foreign_trustees);
  for (const json& t : trustees.at("foreign")) {
    page.Raw("<dl>\n");
    page.Term(l.country, Str(t.at("country_name")));
    page.Term(l.purposes, Names(t.at("purposes"), sep));
    page.Term(l.categories, Names(t.at("categories"), sep));
    page.Raw("</dl>\n");
    page.Element("p", Str(t.at("text")));
  }
  page.CloseSection();

  const json& third = n.at("third_parties");
  page.OpenSection("third-parties", l.third_parties_heading);
  page.Element("p", Str(third.at("text")));
  for (const json& r : third.at("list")) {
    page.Raw("<dl>\n");
    page.TermValue(l.recipient, Str(r.at("name")));
    page.Term(l.country, Str(r.at("country_name")));
    page.Term(l.purposes, Names(r.at("purposes"), sep));
    page.Term(l.categories, Names(r.at("categories"), sep));
    page.Raw("</dl>\n");
    if (!r.at("foreign_text").is_null()) page.Element("p", Str(r.at("foreign_text")));
  }
  page.CloseSection();

  const json& requests = n.at("requests");
  page.OpenSection("requests", l.requests_heading);
  page.Element("p", Str(requests.at("text")));
  page.Raw("<ul>\n");
  for (const json& kind : requests.at("kinds")) page.Element("li", Str(kind));
  page.Raw("</ul>\n<dl>\n");
  page.TermValue(l.contact, Str(requests.at("contact")));
  if (!requests.at("fee").is_null()) page.Term(l.fee, Str(requests.at("fee")));
  page.Raw("</dl>\n");
  page.CloseSection();

  if (!n.at("security_measures").empty()) {
    page.OpenSection("security", l.security_heading);
    page.Raw("<ul>\n");
    for (const json& m : n.at("security_measures")) page.Element("li", Str(m));
    page.Raw("</ul>\n");
    page.CloseSection();
  }

  page.OpenSection("complaints", l.complaints_heading);
  page.ElementValue("p", Str(n.at("complaint_desk")));
  page.CloseSection();

  page.Raw("</main>\n<footer>\n");
  page.Element("p", Str(n.at("based_on")));
  page.Raw("</footer>\n</body>\n</html>\n");
  return std::move(page).Take();
}

}  // namespace

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

absl::StatusOr<std::string> NoticeHtml(const policy::Policy& policy, int64_t version,
                                       std::string_view service, Language language) {
  ASSIGN_OR_RETURN(json notice, NoticeJson(policy, version, service, language));
  return Render(notice);
}

}  // namespace mamori::notice
