// Tests of public notices (notice.h).
//
// Snapshot tests: the JSON and HTML notices of the example policy
// (examples/telecom-operator.toml, as version 1) for the services "mobile"
// and "site-leasing", in Japanese and English, are compared byte for byte
// with the golden files src/notice/testdata/SERVICE.LANG.{json,html}.
//
// After an intended change of the notices or of the example policy,
// regenerate the goldens, review their diff, and commit them:
//
//   MAMORI_UPDATE_GOLDENS=1 ctest --test-dir build -R 'NoticeSnapshot'
//
// (or run build/src/notice/notice_test with MAMORI_UPDATE_GOLDENS=1). With
// the variable set, the snapshot tests write the goldens instead of
// comparing, and pass.
#include "notice/notice.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <tuple>

#include "policy/policy_file.h"

namespace mamori::notice {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

std::string SourceDir() {
  const char* dir = std::getenv("MAMORI_SOURCE_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  return MAMORI_DEFAULT_SOURCE_DIR;
}

policy::Policy LoadExample() {
  absl::StatusOr<policy::Policy> p =
      policy::LoadPolicyFile(SourceDir() + "/examples/telecom-operator.toml");
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : policy::Policy{};
}

bool UpdateGoldens() {
  const char* v = std::getenv("MAMORI_UPDATE_GOLDENS");
  return v != nullptr && *v != '\0' && std::string_view(v) != "0";
}

// Compares `actual` with the golden file `name`, or writes it when
// MAMORI_UPDATE_GOLDENS is set.
void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = SourceDir() + "/src/notice/testdata/" + name;
  if (UpdateGoldens()) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << actual;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << path << " is missing; run with MAMORI_UPDATE_GOLDENS=1 to create it";
  const std::string expected(std::istreambuf_iterator<char>(in), {});
  EXPECT_EQ(actual, expected) << "the notice differs from " << path
                              << "; if the change is intended, run with MAMORI_UPDATE_GOLDENS=1 "
                                 "and review the diff";
}

class NoticeSnapshotTest : public ::testing::TestWithParam<std::tuple<std::string, Language>> {};

TEST_P(NoticeSnapshotTest, JsonMatchesGolden) {
  const auto& [service, language] = GetParam();
  absl::StatusOr<json> notice = NoticeJson(LoadExample(), 1, service, language);
  ASSERT_TRUE(notice.ok()) << notice.status();
  ExpectGolden(service + "." + std::string(LanguageCode(language)) + ".json",
               notice->dump(2) + "\n");
}

TEST_P(NoticeSnapshotTest, HtmlMatchesGolden) {
  const auto& [service, language] = GetParam();
  absl::StatusOr<std::string> page = NoticeHtml(LoadExample(), 1, service, language);
  ASSERT_TRUE(page.ok()) << page.status();
  ExpectGolden(service + "." + std::string(LanguageCode(language)) + ".html", *page);
}

// "mobile_ja", "site_leasing_en".
std::string SnapshotName(const ::testing::TestParamInfo<NoticeSnapshotTest::ParamType>& info) {
  std::string name =
      std::get<0>(info.param) + "_" + std::string(LanguageCode(std::get<1>(info.param)));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Example, NoticeSnapshotTest,
                         ::testing::Combine(::testing::Values("mobile", "site-leasing"),
                                            ::testing::Values(Language::kJa, Language::kEn)),
                         SnapshotName);

class NoticeTest : public ::testing::Test {
 protected:
  void SetUp() override { policy_ = LoadExample(); }

  json Notice(std::string_view service, Language language) {
    absl::StatusOr<json> n = NoticeJson(policy_, 7, service, language);
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : json();
  }
  std::string Html(Language language) {
    absl::StatusOr<std::string> page = NoticeHtml(policy_, 7, "mobile", language);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? *page : "";
  }

  policy::Policy policy_;
};

TEST_F(NoticeTest, PreviewOfAPolicyFileNamesNoVersion) {
  absl::StatusOr<json> n = NoticeJson(policy_, 0, "mobile", Language::kEn);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_TRUE((*n)["policy"]["version"].is_null());
  EXPECT_THAT((*n)["based_on"].get<std::string>(), Not(HasSubstr("version")));
  EXPECT_THAT(Notice("mobile", Language::kJa)["based_on"].get<std::string>(), HasSubstr("第7版"));
}

TEST_F(NoticeTest, UnknownServiceIsNotFound) {
  EXPECT_EQ(NoticeJson(policy_, 1, "satellite", Language::kJa).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(NoticeHtml(policy_, 1, "satellite", Language::kEn).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(NoticeTest, Languages) {
  EXPECT_EQ(ParseLanguage("ja"), Language::kJa);
  EXPECT_EQ(ParseLanguage("en"), Language::kEn);
  EXPECT_EQ(ParseLanguage("EN"), std::nullopt);
  EXPECT_EQ(ParseLanguage("fr"), std::nullopt);
  EXPECT_EQ(ParseLanguage(""), std::nullopt);
}

TEST_F(NoticeTest, OperatorNameInEachLanguage) {
  EXPECT_EQ(Notice("mobile", Language::kJa)["operator"]["name"], "株式会社みらいテレコム");
  EXPECT_EQ(Notice("mobile", Language::kEn)["operator"]["name"], "Mirai Telecom Co., Ltd.");
  policy_.operator_info.name_en.clear();
  EXPECT_EQ(Notice("mobile", Language::kEn)["operator"]["name"], "株式会社みらいテレコム");
}

TEST_F(NoticeTest, EveryAnnouncedPurposeInTheServiceOrder) {
  const json n = Notice("mobile", Language::kEn);
  const policy::Service& mobile = *policy_.FindService("mobile");
  ASSERT_EQ(n["purposes"].size(), mobile.purposes.size());
  for (size_t i = 0; i < mobile.purposes.size(); ++i) {
    const json& p = n["purposes"][i];
    const policy::Purpose& expected = *policy_.FindPurpose(mobile.purposes[i]);
    EXPECT_EQ(p["id"], expected.id);
    EXPECT_EQ(p["announcement"], expected.announcement_en);
    EXPECT_EQ(p["categories"].size(), expected.categories.size());
  }
  EXPECT_EQ(n["purposes"][0]["retention"]["text"], "1 year from the end of the contract");
  EXPECT_EQ(n["policy"]["version"], 7);
}

TEST_F(NoticeTest, JointUseWithEveryAnnouncedItem) {
  const json j = Notice("mobile", Language::kJa)["joint_use"];
  ASSERT_EQ(j["list"].size(), 1u);
  const json& use = j["list"][0];
  EXPECT_EQ(use["items"].size(), policy_.joint_uses[0].items.size());
  EXPECT_EQ(use["users"][0]["name"], "みらいショップ株式会社");
  EXPECT_EQ(use["users"][1]["name"], "みらいファイナンス株式会社");
  EXPECT_EQ(use["purposes"][0]["id"], "dpv:FraudPreventionAndDetection");
  EXPECT_EQ(use["responsible"]["representative"], "代表取締役社長 佐藤 花子");
  // Site leasing collects nothing the joint use shares.
  EXPECT_TRUE(Notice("site-leasing", Language::kJa)["joint_use"]["list"].empty());
}

TEST_F(NoticeTest, TrusteesAbroadWithTheirCountry) {
  const json t = Notice("mobile", Language::kEn)["trustees"];
  EXPECT_TRUE(t["used"].get<bool>());
  ASSERT_EQ(t["foreign"].size(), 1u);
  EXPECT_EQ(t["foreign"][0]["country"], "US");
  EXPECT_EQ(t["foreign"][0]["country_name"], "United States");
  EXPECT_TRUE(t["foreign"][0]["equivalent_measures"].get<bool>());
  EXPECT_THAT(t["foreign"][0]["text"].get<std::string>(), HasSubstr("Art. 28"));
  // Without equivalent measures, provision abroad needs informed consent.
  policy_.trustees[1].equivalent_measures = false;
  EXPECT_THAT(Notice("mobile", Language::kJa)["trustees"]["foreign"][0]["text"].get<std::string>(),
              HasSubstr("同意"));
  EXPECT_FALSE(Notice("site-leasing", Language::kEn)["trustees"]["used"].get<bool>());
}

TEST_F(NoticeTest, ThirdPartiesOfTheServicePurposes) {
  EXPECT_EQ(Notice("mobile", Language::kJa)["third_parties"]["list"][0]["name"],
            "ひかり債権回収株式会社");
  EXPECT_TRUE(Notice("site-leasing", Language::kJa)["third_parties"]["list"].empty());
}

TEST_F(NoticeTest, RequestsFeesSecurityAndComplaints) {
  const json n = Notice("mobile", Language::kEn);
  EXPECT_EQ(n["requests"]["contact"], policy_.operator_info.privacy_contact);
  EXPECT_EQ(n["requests"]["fee"], policy_.notice.request_fee_en);
  EXPECT_EQ(n["security_measures"].size(), policy_.notice.security_measures_en.size());
  EXPECT_EQ(n["complaint_desk"], policy_.operator_info.complaint_desk);
  EXPECT_EQ(n["missing"], json::array());
}

TEST_F(NoticeTest, MissingStatutoryItemsAreListed) {
  policy_.notice = {};
  const json n = Notice("mobile", Language::kJa);
  EXPECT_EQ(n["missing"], json({"request_fee", "security_measures"}));
  EXPECT_TRUE(n["requests"]["fee"].is_null());
  EXPECT_THAT(Html(Language::kJa), Not(HasSubstr("id=\"security\"")));
}

TEST_F(NoticeTest, SpecialCategoriesCarryANote) {
  const json n = Notice("mobile", Language::kEn);
  for (const json& c : n["categories"]) {
    const bool special = c["legal_class"] == "special_care" ||
                         c["legal_class"] == "communication_secrecy" ||
                         c["legal_class"] == "my_number";
    EXPECT_EQ(c["note"].is_string(), special) << c.dump();
  }
}

TEST_F(NoticeTest, HtmlIsACompletePageInItsLanguage) {
  for (Language language : {Language::kJa, Language::kEn}) {
    const std::string page = Html(language);
    EXPECT_THAT(page, ::testing::StartsWith("<!DOCTYPE html>\n<html lang=\""));
    EXPECT_THAT(page, HasSubstr("<html lang=\"" + std::string(LanguageCode(language)) + "\">"));
    EXPECT_THAT(page, HasSubstr("<meta charset=\"utf-8\">"));
    EXPECT_THAT(page, HasSubstr("<title>"));
    EXPECT_THAT(page, HasSubstr("<main>"));
    EXPECT_THAT(page, ::testing::EndsWith("</html>\n"));
    // Nothing is loaded from elsewhere and nothing runs.
    for (const char* banned : {"<script", "<link", "src=", "url(", "@import", "http:", "https:"}) {
      EXPECT_THAT(page, Not(HasSubstr(banned))) << banned;
    }
  }
}

TEST_F(NoticeTest, HtmlEscapesEveryText) {
  policy_.name = "<script>alert('x')</script>";
  policy_.services[0].name_en = "Mirai & \"Co\" <b>";
  policy_.purposes[0].announcement_en = "<img src=x onerror=alert(1)>";
  policy_.operator_info.complaint_desk = "</p><script>steal()</script>";
  const std::string page = Html(Language::kEn);
  EXPECT_THAT(page, Not(HasSubstr("<script")));
  EXPECT_THAT(page, Not(HasSubstr("<img")));
  EXPECT_THAT(page, Not(HasSubstr("<b>")));
  EXPECT_THAT(page, HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
  EXPECT_THAT(page, HasSubstr("Mirai &amp; &quot;Co&quot; &lt;b&gt;"));
  EXPECT_THAT(page, HasSubstr("&lt;/p&gt;&lt;script&gt;steal()&lt;/script&gt;"));
  // The JSON form keeps the text as written: escaping is the page's job.
  EXPECT_EQ(Notice("mobile", Language::kEn)["policy"]["name"], "<script>alert('x')</script>");
}

TEST(EscapeHtmlTest, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(EscapeHtml("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
  EXPECT_EQ(EscapeHtml("氏名"), "氏名");
  EXPECT_EQ(EscapeHtml(""), "");
}

struct RetentionCase {
  policy::Period duration;
  policy::RetentionAnchor anchor;
  Language language;
  std::string expected;
};

TEST(RetentionInWordsTest, Table) {
  using policy::RetentionAnchor;
  const RetentionCase cases[] = {
      {{.months = 6}, RetentionAnchor::kCollection, Language::kEn, "6 months from collection"},
      {{.months = 6}, RetentionAnchor::kCollection, Language::kJa, "6か月（取得から）"},
      {{.years = 1}, RetentionAnchor::kContractEnd, Language::kJa, "1年（契約終了から）"},
      {{.years = 1},
       RetentionAnchor::kContractEnd,
       Language::kEn,
       "1 year from the end of the contract"},
      {{.years = 2}, RetentionAnchor::kLastUse, Language::kEn, "2 years from the last use"},
      {{.years = 2}, RetentionAnchor::kLastUse, Language::kJa, "2年（最終利用から）"},
      {{.years = 1, .months = 6},
       RetentionAnchor::kCollection,
       Language::kEn,
       "1 year and 6 months from collection"},
      {{.years = 1, .months = 1, .days = 1},
       RetentionAnchor::kCollection,
       Language::kEn,
       "1 year, 1 month and 1 day from collection"},
      {{.years = 1, .months = 6},
       RetentionAnchor::kCollection,
       Language::kJa,
       "1年6か月（取得から）"},
      {{.days = 14}, RetentionAnchor::kCollection, Language::kJa, "14日（取得から）"},
      {{.days = 1}, RetentionAnchor::kCollection, Language::kEn, "1 day from collection"},
  };
  for (const RetentionCase& c : cases) {
    policy::RetentionRule rule;
    rule.duration = c.duration;
    rule.anchor = c.anchor;
    EXPECT_EQ(RetentionInWords(rule, c.language), c.expected) << policy::FormatPeriod(c.duration);
  }
}

}  // namespace
}  // namespace mamori::notice
