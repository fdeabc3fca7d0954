#include "notice/notice.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace mamori::notice {
namespace {

using nlohmann::json;
using policy::Category;
using policy::LegalClass;
using policy::Policy;
using policy::Purpose;
using policy::Service;

// The text in `language`.
std::string_view Pick(Language language, std::string_view ja, std::string_view en) {
  return language == Language::kJa ? ja : en;
}

// The names of countries trustees and recipients are most often in, for
// the Art. 28 information; other codes are shown as the code itself.
struct CountryName {
  std::string_view code, ja, en;
};
constexpr CountryName kCountries[] = {
    {"AU", "オーストラリア", "Australia"},
    {"CA", "カナダ", "Canada"},
    {"CN", "中華人民共和国", "China"},
    {"DE", "ドイツ", "Germany"},
    {"FR", "フランス", "France"},
    {"GB", "英国", "United Kingdom"},
    {"HK", "香港", "Hong Kong"},
    {"IE", "アイルランド", "Ireland"},
    {"IN", "インド", "India"},
    {"JP", "日本", "Japan"},
    {"KR", "大韓民国", "Republic of Korea"},
    {"NL", "オランダ", "Netherlands"},
    {"PH", "フィリピン", "Philippines"},
    {"SG", "シンガポール", "Singapore"},
    {"TW", "台湾", "Taiwan"},
    {"US", "アメリカ合衆国", "United States"},
    {"VN", "ベトナム", "Viet Nam"},
};

std::string CountryNameOf(std::string_view code, Language language) {
  for (const CountryName& c : kCountries) {
    if (c.code == code) return std::string(Pick(language, c.ja, c.en));
  }
  return std::string(code);
}

std::string PeriodInWords(const policy::Period& p, Language language) {
  if (language == Language::kJa) {
    std::string out;
    if (p.years != 0) absl::StrAppend(&out, p.years, "年");
    if (p.months != 0) absl::StrAppend(&out, p.months, "か月");
    if (p.days != 0 || out.empty()) absl::StrAppend(&out, p.days, "日");
    return out;
  }
  std::vector<std::string> parts;
  auto unit = [&parts](int n, std::string_view one, std::string_view many) {
    parts.push_back(absl::StrCat(n, " ", common::ToAbsl(n == 1 ? one : many)));
  };
  if (p.years != 0) unit(p.years, "year", "years");
  if (p.months != 0) unit(p.months, "month", "months");
  if (p.days != 0 || parts.empty()) unit(p.days, "day", "days");
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += (i + 1 == parts.size()) ? " and " : ", ";
    out += parts[i];
  }
  return out;
}

std::string_view Name(const Category& c, Language language) {
  return Pick(language, c.name_ja, c.name_en);
}

// {"id", "name"} of each category id, in the order given; ids the policy
// does not define (only a hand-built policy has them) are left out.
json CategoryList(const Policy& policy, const std::vector<std::string>& ids, Language language) {
  json list = json::array();
  for (const std::string& id : ids) {
    if (const Category* c = policy.FindCategory(id)) {
      list.push_back({{"id", c->id}, {"name", Name(*c, language)}});
    }
  }
  return list;
}

// {"id", "name"} of each purpose id.
json PurposeList(const Policy& policy, const std::vector<std::string>& ids, Language language) {
  json list = json::array();
  for (const std::string& id : ids) {
    if (const Purpose* p = policy.FindPurpose(id)) {
      list.push_back({{"id", p->id}, {"name", Pick(language, p->name_ja, p->name_en)}});
    }
  }
  return list;
}

// What a customer should know about a category beyond its name: the
// classes whose own rules change how it is handled.
json CategoryNote(const Category& c, Language language) {
  switch (c.legal_class) {
    case LegalClass::kSpecialCare:
      return Pick(language, "要配慮個人情報です。ご本人の同意をいただいた上で取得します。",
                  "Special-care-required personal information: obtained only with your consent.");
    case LegalClass::kCommunicationSecrecy:
      return Pick(language, "通信の秘密として保護されます（電気通信事業法第4条）。",
                  "Protected as secrecy of communications (Telecommunications Business Act "
                  "Art. 4).");
    case LegalClass::kMyNumber:
      return Pick(language, "個人番号です。番号法で定められた事務に限り利用します。",
                  "Individual Number: used only for the work the My Number Act allows.");
    default:
      return nullptr;
  }
}

// The categories in `ids` that `collected` holds, in the order of `ids`.
std::vector<std::string> Within(const std::vector<std::string>& ids,
                                const std::set<std::string, std::less<>>& collected) {
  std::vector<std::string> out;
  for (const std::string& id : ids) {
    if (collected.contains(id)) out.push_back(id);
  }
  return out;
}

bool Intersects(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::any_of(a.begin(), a.end(), [&b](const std::string& x) {
    return std::find(b.begin(), b.end(), x) != b.end();
  });
}

// Art. 28: what a customer is told about provision to `country`.
std::string ForeignText(const std::string& country, bool equivalent_measures, bool trustee,
                        Language language) {
  if (language == Language::kJa) {
    const std::string_view party = trustee ? "委託先" : "提供先";
    if (equivalent_measures) {
      return absl::StrCat(
          "外国（", country, "）にある", common::ToAbsl(party),
          "は、個人情報保護法に基づき個人情報取扱事業者が講ずべき措置に相当する措置を継続的に講"
          "ずるための体制を整備しており、当社はその実施状況を定期的に確認しています。ご請求があ"
          "れば、当該措置に関する情報を提供します（個人情報保護法第28条第1項、第3項）。");
    }
    return absl::StrCat(
        "外国（", country, "）にある", common::ToAbsl(party),
        "への提供は、当該外国の名称、当該外国の個人情報の保護に関する制度及び",
        common::ToAbsl(party),
        "が講ずる個人情報の保護のための措置に関する情報をお知らせした上で、ご本人の同意をいた"
        "だいた場合に限り行います（個人情報保護法第28条第1項、第2項）。");
  }
  const std::string_view party = trustee ? "trustee" : "recipient";
  if (equivalent_measures) {
    return absl::StrCat("The ", common::ToAbsl(party), " in a foreign country (", country, ")",
                        " keeps measures equivalent to those the APPI requires of us, and we "
                        "check periodically that it does. On request, we provide information "
                        "on those measures (APPI Art. 28(1), (3)).");
  }
  return absl::StrCat("We provide data to the ", common::ToAbsl(party), " in a foreign country (",
                      country, ")",
                      " only with your consent, given after we have told you the country, its "
                      "system for protecting personal information and the measures the ",
                      common::ToAbsl(party), " takes (APPI Art. 28(1), (2)).");
}

json Operator(const Policy& policy, Language language) {
  const policy::Operator& op = policy.operator_info;
  const std::string& name = language == Language::kEn && !op.name_en.empty() ? op.name_en : op.name;
  return {{"name", name}, {"address", op.address}, {"representative", op.representative}};
}

json Purposes(const Policy& policy, const Service& service, Language language) {
  json list = json::array();
  for (const std::string& id : service.purposes) {
    const Purpose* p = policy.FindPurpose(id);
    if (p == nullptr) continue;
    json retention = nullptr;
    if (const policy::RetentionRule* r = policy.FindRetention(p->retention)) {
      retention = {{"duration", policy::FormatPeriod(r->duration)},
                   {"anchor", policy::RetentionAnchorName(r->anchor)},
                   {"text", RetentionInWords(*r, language)}};
    }
    list.push_back({{"id", p->id},
                    {"name", Pick(language, p->name_ja, p->name_en)},
                    {"announcement", Pick(language, p->announcement_ja, p->announcement_en)},
                    {"requires_consent", p->requires_consent},
                    {"categories", CategoryList(policy, p->categories, language)},
                    {"retention", retention}});
  }
  return list;
}

json Categories(const Policy& policy, const std::vector<std::string>& collected,
                Language language) {
  json list = json::array();
  for (const std::string& id : collected) {
    const Category& c = *policy.FindCategory(id);
    list.push_back({{"id", c.id},
                    {"name", Name(c, language)},
                    {"legal_class", policy::LegalClassName(c.legal_class)},
                    {"note", CategoryNote(c, language)}});
  }
  return list;
}

json JointUses(const Policy& policy, const Service& service,
               const std::vector<std::string>& collected, Language language) {
  json list = json::array();
  for (const policy::JointUse& j : policy.joint_uses) {
    if (!JointUseConcerns(j, service, collected)) continue;
    json users = json::array();
    for (const std::string& id : j.users) {
      const policy::GroupCompany* g = policy.FindGroupCompany(id);
      users.push_back({{"id", id}, {"name", g != nullptr ? g->name : id}});
    }
    json purposes = json::array();
    for (const std::string& id : j.purposes) {
      if (const Purpose* p = policy.FindPurpose(id)) {
        purposes.push_back(
            {{"id", p->id},
             {"name", Pick(language, p->name_ja, p->name_en)},
             {"announcement", Pick(language, p->announcement_ja, p->announcement_en)}});
      }
    }
    list.push_back({{"id", j.id},
                    {"items", CategoryList(policy, j.items, language)},
                    {"users", users},
                    {"purposes", purposes},
                    {"responsible",
                     {{"name", j.responsible.name},
                      {"address", j.responsible.address},
                      {"representative", j.responsible.representative}}}});
  }
  return {
      {"text", list.empty()
                   ? Pick(language, "このサービスで取得する個人データの共同利用は行っていません。",
                          "We do not use the personal data of this service jointly with "
                          "other companies.")
                   : Pick(language,
                          "当社は、次のとおり個人データを共同して利用します（個人情報保護法第"
                          "27条第5項第3号）。",
                          "We use personal data jointly with our group companies as follows "
                          "(APPI Art. 27(5)(iii)).")},
      {"list", list}};
}

json Trustees(const Policy& policy, const Service& service,
              const std::set<std::string, std::less<>>& collected, Language language) {
  bool used = false;
  json foreign = json::array();
  for (const policy::Trustee& t : policy.trustees) {
    if (!Intersects(t.purposes, service.purposes)) continue;
    used = true;
    if (t.country == "JP") continue;
    std::vector<std::string> purposes;
    for (const std::string& id : t.purposes) {
      if (std::find(service.purposes.begin(), service.purposes.end(), id) !=
          service.purposes.end()) {
        purposes.push_back(id);
      }
    }
    const std::string country = CountryNameOf(t.country, language);
    foreign.push_back(
        {{"country", t.country},
         {"country_name", country},
         {"purposes", PurposeList(policy, purposes, language)},
         {"categories", CategoryList(policy, Within(t.categories, collected), language)},
         {"equivalent_measures", t.equivalent_measures},
         {"text", ForeignText(country, t.equivalent_measures, true, language)}});
  }
  std::string_view text =
      used ? Pick(language,
                  "当社は、利用目的の達成に必要な範囲内で、個人情報の取扱いの全部又は一部を委託する"
                  "ことがあります。委託先は、個人情報を適切に取り扱っていることを確認して選定し、"
                  "監査に関する条項を含む契約を締結するなど、必要かつ適切な監督を行います（個人情"
                  "報保護法第25条）。",
                  "We may entrust the handling of personal information, in whole or in part, to "
                  "trustees within the scope needed for the purposes of utilization. We select "
                  "trustees that handle personal information properly and supervise them as "
                  "necessary and appropriate, including audit terms in our contracts (APPI Art. "
                  "25).")
           : Pick(language, "このサービスでは、個人情報の取扱いを委託していません。",
                  "We do not entrust the handling of the personal information of this service "
                  "to others.");
  return {{"used", used}, {"text", text}, {"foreign", foreign}};
}

json Recipients(const Policy& policy, const Service& service,
                const std::set<std::string, std::less<>>& collected, Language language) {
  json list = json::array();
  for (const policy::Recipient& r : policy.recipients) {
    if (!Intersects(r.purposes, service.purposes)) continue;
    std::vector<std::string> purposes;
    for (const std::string& id : r.purposes) {
      if (std::find(service.purposes.begin(), service.purposes.end(), id) !=
          service.purposes.end()) {
        purposes.push_back(id);
      }
    }
    const std::string country = CountryNameOf(r.country, language);
    list.push_back(
        {{"name", r.name},
         {"country", r.country},
         {"country_name", country},
         {"purposes", PurposeList(policy, purposes, language)},
         {"categories", CategoryList(policy, Within(r.categories, collected), language)},
         {"foreign_text",
          r.country == "JP" ? json(nullptr)
                            : json(ForeignText(country, r.equivalent_measures, false, language))}});
  }
  std::string_view text =
      list.empty()
          ? Pick(language,
                 "当社は、法令に基づく場合等を除き、あらかじめご本人の同意を得ることなく、個人デー"
                 "タを第三者に提供しません。",
                 "Except where the law allows it, we do not provide personal data to third "
                 "parties without your prior consent.")
          : Pick(language,
                 "当社は、法令に基づく場合等を除き、あらかじめご本人の同意を得ることなく、個人デー"
                 "タを第三者に提供しません。ご同意をいただいた上で、次の第三者に提供することがあ"
                 "ります。",
                 "Except where the law allows it, we do not provide personal data to third "
                 "parties without your prior consent. With your consent, we may provide it to "
                 "the following third parties.");
  return {{"text", text}, {"list", list}};
}

json Requests(const Policy& policy, Language language) {
  json kinds = json::array();
  if (language == Language::kJa) {
    kinds = {"利用目的の通知（個人情報保護法第32条第2項）",
             "開示（同法第33条。第三者提供記録の開示を含みます）",
             "内容の訂正、追加又は削除（同法第34条）",
             "利用の停止又は消去（同法第35条第1項、第5項）",
             "第三者への提供の停止（同法第35条第3項、第5項）"};
  } else {
    kinds = {"Notice of the purposes of utilization (APPI Art. 32(2))",
             "Disclosure, including the records of provision to third parties (Art. 33)",
             "Correction, addition or deletion (Art. 34)",
             "Cessation of use, or erasure (Art. 35(1), (5))",
             "Cessation of provision to third parties (Art. 35(3), (5))"};
  }
  const std::string& fee =
      language == Language::kJa ? policy.notice.request_fee_ja : policy.notice.request_fee_en;
  return {{"text", Pick(language,
                        "保有個人データに関する次のご請求は、下記の窓口で受け付けます。ご本人で"
                        "あることを確認した上で、遅滞なく対応します。代理人によるご請求もできま"
                        "す。",
                        "You can make the following requests about the personal data we hold "
                        "about you at the contact below. We verify your identity and respond "
                        "without delay. An agent may make a request on your behalf.")},
          {"kinds", kinds},
          {"contact", policy.operator_info.privacy_contact},
          {"fee", fee.empty() ? json(nullptr) : json(fee)}};
}

}  // namespace

std::optional<Language> ParseLanguage(std::string_view code) {
  if (code == "ja") return Language::kJa;
  if (code == "en") return Language::kEn;
  return std::nullopt;
}

std::string_view LanguageCode(Language language) { return Pick(language, "ja", "en"); }

bool JointUseConcerns(const policy::JointUse& joint_use, const policy::Service& service,
                      const std::vector<std::string>& collected) {
  return Intersects(joint_use.purposes, service.purposes) && Intersects(joint_use.items, collected);
}

std::vector<std::string> CollectedCategories(const policy::Policy& policy,
                                             const policy::Service& service) {
  std::vector<std::string> ids;
  std::set<std::string, std::less<>> seen;
  for (const std::string& purpose_id : service.purposes) {
    const Purpose* p = policy.FindPurpose(purpose_id);
    if (p == nullptr) continue;
    for (const std::string& id : p->categories) {
      if (policy.FindCategory(id) != nullptr && seen.insert(id).second) ids.push_back(id);
    }
  }
  return ids;
}

std::string RetentionInWords(const policy::RetentionRule& rule, Language language) {
  const std::string period = PeriodInWords(rule.duration, language);
  if (language == Language::kJa) {
    std::string_view from;
    switch (rule.anchor) {
      case policy::RetentionAnchor::kCollection:
        from = "取得から";
        break;
      case policy::RetentionAnchor::kContractEnd:
        from = "契約終了から";
        break;
      case policy::RetentionAnchor::kLastUse:
        from = "最終利用から";
        break;
    }
    return absl::StrCat(period, "（", common::ToAbsl(from), "）");
  }
  std::string_view from;
  switch (rule.anchor) {
    case policy::RetentionAnchor::kCollection:
      from = "from collection";
      break;
    case policy::RetentionAnchor::kContractEnd:
      from = "from the end of the contract";
      break;
    case policy::RetentionAnchor::kLastUse:
      from = "from the last use";
      break;
  }
  return absl::StrCat(period, " ", common::ToAbsl(from));
}

absl::StatusOr<nlohmann::json> NoticeJson(const policy::Policy& policy, int64_t version,
                                          std::string_view service_id, Language language) {
  const Service* service = policy.FindService(service_id);
  if (service == nullptr) {
    return absl::NotFoundError(absl::StrCat("no service \"", common::ToAbsl(service_id),
                                            "\" in policy version ", version));
  }
  const std::vector<std::string> collected_ids = CollectedCategories(policy, *service);
  const std::set<std::string, std::less<>> collected(collected_ids.begin(), collected_ids.end());
  const std::string_view service_name = Pick(language, service->name_ja, service->name_en);
  json security = json::array();
  for (const std::string& m : language == Language::kJa ? policy.notice.security_measures_ja
                                                        : policy.notice.security_measures_en) {
    security.push_back(m);
  }
  // Art. 32(1) items the policy file does not give: the notice is then
  // incomplete, and says so to whoever publishes it.
  json missing = json::array();
  if (policy.notice.request_fee_ja.empty() || policy.notice.request_fee_en.empty()) {
    missing.push_back("request_fee");
  }
  if (security.empty()) missing.push_back("security_measures");
  std::string based_on;
  if (language == Language::kJa) {
    based_on = version > 0 ? absl::StrCat("この通知は「", policy.name, "」（第", version,
                                          "版）に基づいています。")
                           : absl::StrCat("この通知は「", policy.name, "」に基づいています。");
  } else {
    based_on = version > 0 ? absl::StrCat("This notice is generated from \"", policy.name,
                                          "\" (version ", version, ").")
                           : absl::StrCat("This notice is generated from \"", policy.name, "\".");
  }
  const std::string title =
      language == Language::kJa
          ? absl::StrCat(common::ToAbsl(service_name), "における個人情報の取扱いについて")
          : absl::StrCat("How ", common::ToAbsl(service_name),
                         " handles your personal information");
  return json{
      {"language", LanguageCode(language)},
      {"service", {{"id", service->id}, {"name", service_name}}},
      {"policy", {{"name", policy.name}, {"version", version > 0 ? json(version) : json(nullptr)}}},
      {"title", title},
      {"operator", Operator(policy, language)},
      {"purposes", Purposes(policy, *service, language)},
      {"retention_text",
       Pick(language,
            "保存期間が経過したとき、又は利用目的を達成したときは、法令により保存が必要な場合を"
            "除き、遅滞なく消去します。",
            "When the retention period ends or the purpose has been fulfilled, we erase the "
            "data without delay, unless a law requires us to keep it.")},
      {"categories", Categories(policy, collected_ids, language)},
      {"joint_use", JointUses(policy, *service, collected_ids, language)},
      {"trustees", Trustees(policy, *service, collected, language)},
      {"third_parties", Recipients(policy, *service, collected, language)},
      {"requests", Requests(policy, language)},
      {"security_measures", security},
      {"complaint_desk", policy.operator_info.complaint_desk},
      {"missing", missing},
      {"based_on", based_on}};
}

}  // namespace mamori::notice
