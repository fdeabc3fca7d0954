#include "policy/policy_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "policy/policy_test_util.h"

namespace mamori::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// --- Invalid policy files ---------------------------------------------------
//
// Each file in testdata/invalid/ starts with lines "# expect: LINE:COL: message",
// one per problem the checker must report, in order; nothing else may be
// reported.

std::string InvalidDir() { return testing::SourceDir() + "/src/policy/testdata/invalid"; }

std::vector<std::string> InvalidCases() {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(InvalidDir(), error)) {
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> ExpectedProblems(const std::string& text) {
  std::vector<std::string> expected;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    constexpr std::string_view kPrefix = "# expect: ";
    if (line.compare(0, kPrefix.size(), kPrefix) != 0) break;
    expected.push_back(line.substr(kPrefix.size()));
  }
  return expected;
}

class InvalidPolicyTest : public ::testing::TestWithParam<std::string> {};

TEST_P(InvalidPolicyTest, ReportsExactlyTheExpectedProblems) {
  std::string path = absl::StrCat(InvalidDir(), "/", GetParam(), ".toml");
  std::vector<std::string> expected = ExpectedProblems(ReadText(path));
  ASSERT_FALSE(expected.empty()) << path << " has no \"# expect: \" lines";

  PolicyCheckResult result = CheckPolicyFile(path);
  std::vector<std::string> actual;
  for (const PolicyProblem& problem : result.problems) {
    EXPECT_EQ(problem.file, path);
    actual.push_back(absl::StrCat(problem.line, ":", problem.column, ": ", problem.message));
  }
  EXPECT_EQ(actual, expected);
  EXPECT_FALSE(result.policy.has_value());
}

INSTANTIATE_TEST_SUITE_P(Files, InvalidPolicyTest, ::testing::ValuesIn(InvalidCases()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           std::replace_if(
                               name.begin(), name.end(),
                               [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); },
                               '_');
                           return name;
                         });

TEST(InvalidPolicyFilesTest, ThereAreEnoughCases) { EXPECT_GE(InvalidCases().size(), 25u); }

// --- The example and small valid files --------------------------------------

TEST(PolicyFileTest, ExampleChecksClean) {
  PolicyCheckResult result = CheckPolicyFile(testing::ExamplePath());
  std::vector<std::string> problems;
  for (const PolicyProblem& problem : result.problems) problems.push_back(problem.ToString());
  EXPECT_THAT(problems, IsEmpty());
  ASSERT_TRUE(result.policy.has_value());
  const Policy& p = *result.policy;
  EXPECT_EQ(p.operator_info.name_en, "Mirai Telecom Co., Ltd.");
  EXPECT_EQ(p.operator_info.time_zone, "Asia/Tokyo");
  EXPECT_EQ(p.operator_info.registration_number, "第999号");
  EXPECT_EQ(p.group_companies.size(), 2u);
  EXPECT_GE(p.services.size(), 3u);
  EXPECT_GE(p.categories.size(), 12u);
  EXPECT_GE(p.roles.size(), 6u);
  ASSERT_EQ(p.joint_uses.size(), 1u);
  EXPECT_EQ(p.joint_uses[0].responsible.name, "株式会社みらいテレコム");
}

TEST(PolicyFileTest, ExampleCompilesLegalFacts) {
  Policy p = testing::LoadExample();
  const Category* calls = p.FindCategory("pd:CallLog");
  ASSERT_NE(calls, nullptr);
  EXPECT_EQ(calls->legal_class, LegalClass::kCommunicationSecrecy);
  EXPECT_EQ(calls->erasure, ErasureMode::kDeidentify);
  ASSERT_NE(p.FindCategory("pd:TelephoneNumber"), nullptr);
  EXPECT_EQ(p.FindCategory("pd:TelephoneNumber")->identifier, IdentifierKind::kPhone);
  EXPECT_EQ(p.FindCategory("mamori:MyNumber")->legal_class, LegalClass::kMyNumber);
  EXPECT_EQ(p.FindCategory("pd:Disability")->legal_class, LegalClass::kSpecialCare);

  const Purpose* marketing = p.FindPurpose("dpv:Marketing");
  ASSERT_NE(marketing, nullptr);
  EXPECT_TRUE(marketing->requires_consent);
  EXPECT_FALSE(marketing->legitimate_business_act);
  EXPECT_TRUE(p.FindPurpose("dpv:PaymentManagement")->legitimate_business_act);
  EXPECT_TRUE(p.FindPurpose("mamori:StatutoryPaymentRecord")->statutory_my_number);

  const RetentionRule* history = p.FindRetention("communication-history");
  ASSERT_NE(history, nullptr);
  EXPECT_EQ(history->duration, (Period{.months = 6}));
  EXPECT_EQ(history->anchor, RetentionAnchor::kCollection);
  EXPECT_EQ(history->minimum, (Period{.months = 3}));
  EXPECT_EQ(history->maximum, (Period{.years = 1}));
  EXPECT_EQ(p.FindRetention("billing-7y")->anchor, RetentionAnchor::kContractEnd);
  EXPECT_EQ(p.FindRetention("marketing-2y")->anchor, RetentionAnchor::kLastUse);
  EXPECT_FALSE(p.FindRetention("billing-7y")->maximum.has_value());

  const Role* agent = p.FindRole("call-center-agent");
  ASSERT_NE(agent, nullptr);
  EXPECT_THAT(agent->courses, ElementsAre("privacy-annual"));
  EXPECT_EQ(agent->bulk_access_threshold, 60);
  EXPECT_FALSE(p.FindRole("auditor")->bulk_access_threshold.has_value());
  EXPECT_EQ(p.FindCourse("secrecy-annual")->valid_days, 365);

  EXPECT_TRUE(p.FindTrustee("nimbus-cloud")->equivalent_measures);
  EXPECT_EQ(p.FindTrustee("nimbus-cloud")->country, "US");
  EXPECT_EQ(p.FindTrustee("sakura-contact")->audit_interval_days, 365);
  EXPECT_EQ(p.FindTrustee("sakura-contact")->contract_start, absl::CivilDay(2024, 4, 1));
  EXPECT_FALSE(p.FindTrustee("sakura-contact")->contract_end.has_value());
  EXPECT_EQ(p.FindTrustee("nimbus-cloud")->contract_end, absl::CivilDay(2027, 6, 30));
  EXPECT_EQ(p.FindRecipient("hikari-servicer")->country, "JP");
  EXPECT_FALSE(p.FindRecipient("hikari-servicer")->opt_out_filing.has_value());
  EXPECT_EQ(p.joint_uses[0].notice_date, absl::CivilDay(2025, 4, 1));

  EXPECT_THAT(p.FindRetention("billing-7y")->statutory, ::testing::HasSubstr("Corporation Tax"));
  EXPECT_TRUE(p.FindRetention("marketing-2y")->statutory.empty());
  EXPECT_THAT(
      p.requests.verification,
      ElementsAre(IdentifierKind::kContract, IdentifierKind::kPhone, IdentifierKind::kBirthDate));
  EXPECT_EQ(p.requests.service_level_days.at("stop_use"), 10);
  EXPECT_EQ(p.requests.service_level_days.at("disclosure"), 14);
  EXPECT_EQ(p.requests.complaint_first_response_hours, 48);
}

TEST(PolicyFileTest, RequestSettingsDefaultWhenAbsent) {
  absl::StatusOr<Policy> p = ParsePolicyText(R"toml(
[policy]
name = "t"
[operator]
name = "株式会社テスト"
address = "東京都"
representative = "代表"
privacy_contact = "p@example.jp"
complaint_desk = "0120"
time_zone = "Asia/Tokyo"
)toml",
                                             "t.toml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->requests.verification.empty());
  EXPECT_TRUE(p->requests.service_level_days.empty());
  EXPECT_EQ(p->requests.complaint_first_response_hours, 48);
}

TEST(PolicyFileTest, DocumentationExampleChecksClean) {
  std::string doc = ReadText(testing::SourceDir() + "/docs/policy-file.md");
  size_t start = doc.find("```toml\n");
  ASSERT_NE(start, std::string::npos) << "no ```toml block in docs/policy-file.md";
  start += 8;
  size_t end = doc.find("```", start);
  ASSERT_NE(end, std::string::npos);
  PolicyCheckResult result = CheckPolicyText(doc.substr(start, end - start), "policy-file.md");
  std::vector<std::string> problems;
  for (const PolicyProblem& problem : result.problems) problems.push_back(problem.ToString());
  EXPECT_THAT(problems, IsEmpty());
}

constexpr char kMinimal[] = R"(
[policy]
name = "minimal"
[operator]
name = "株式会社テスト"
address = "東京都"
representative = "代表取締役 テスト"
privacy_contact = "privacy@example.jp"
complaint_desk = "0120-000-000"
time_zone = "Asia/Tokyo"
)";

TEST(PolicyFileTest, MinimalPolicyHasDefaults) {
  absl::StatusOr<Policy> p = ParsePolicyText(kMinimal, "minimal.toml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name, "minimal");
  EXPECT_EQ(p->operator_info.name_en, "");
  EXPECT_EQ(p->operator_info.registration_number, std::nullopt);
  EXPECT_THAT(p->services, IsEmpty());
}

TEST(PolicyFileTest, OptionalKeysTakeTheirDefaults) {
  std::string text = absl::StrCat(kMinimal, R"(
[[categories]]
id = "pd:Name"
name_ja = "氏名"
name_en = "Name"
legal_class = "ordinary"
[[courses]]
id = "c"
name = "course"
valid_days = 30
[[roles]]
id = "r"
name = "role"
[[retention]]
id = "keep"
duration = "P2W"
anchor = "collection"
[[purposes]]
id = "x:P"
name_ja = "目的"
name_en = "Purpose"
announcement_ja = "目的のため"
announcement_en = "For a purpose."
categories = ["pd:Name"]
retention = "keep"
[[trustees]]
id = "t"
name = "Trustee"
contract = "C-1"
country = "JP"
purposes = ["x:P"]
categories = ["pd:Name"]
)");
  absl::StatusOr<Policy> p = ParsePolicyText(text, "defaults.toml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->categories[0].identifier, IdentifierKind::kNone);
  EXPECT_EQ(p->categories[0].erasure, ErasureMode::kDelete);
  EXPECT_FALSE(p->purposes[0].requires_consent);
  EXPECT_FALSE(p->purposes[0].legitimate_business_act);
  EXPECT_FALSE(p->purposes[0].statutory_my_number);
  EXPECT_EQ(p->retention[0].duration, (Period{.days = 14}));
  EXPECT_FALSE(p->retention[0].minimum.has_value());
  EXPECT_THAT(p->roles[0].permissions, IsEmpty());
  EXPECT_FALSE(p->roles[0].bulk_access_threshold.has_value());
  EXPECT_EQ(p->courses[0].valid_days, 30);
  EXPECT_EQ(p->trustees[0].audit_interval_days, 365);
  EXPECT_FALSE(p->trustees[0].equivalent_measures);
  EXPECT_FALSE(p->trustees[0].contract_start.has_value());
  EXPECT_FALSE(p->trustees[0].contract_end.has_value());
}

TEST(PolicyFileTest, InlineResponsibleTableIsAccepted) {
  std::string text = absl::StrCat(kMinimal, R"(
[[group_companies]]
id = "g"
name = "G株式会社"
address = "大阪府"
representative = "代表取締役 G"
[[categories]]
id = "pd:Name"
name_ja = "氏名"
name_en = "Name"
legal_class = "ordinary"
[[retention]]
id = "keep"
duration = "P1Y"
anchor = "last_use"
[[purposes]]
id = "x:P"
name_ja = "目的"
name_en = "Purpose"
announcement_ja = "目的のため"
announcement_en = "For a purpose."
categories = ["pd:Name"]
retention = "keep"
[[joint_uses]]
id = "j"
items = ["pd:Name"]
users = ["g"]
purposes = ["x:P"]
responsible = { name = "株式会社テスト", address = "東京都", representative = "代表取締役 テスト" }
)");
  absl::StatusOr<Policy> p = ParsePolicyText(text, "inline.toml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->joint_uses[0].responsible.address, "東京都");
}

// --- Status forms -----------------------------------------------------------

TEST(PolicyFileTest, ParsePolicyTextJoinsAllProblems) {
  absl::StatusOr<Policy> p = ParsePolicyText("[policy]\nnme = 1\n", "bad.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p.status().message(),
            "bad.toml:1:1: [policy] is missing required key \"name\"\n"
            "bad.toml:1:1: the policy file is missing required key \"operator\"\n"
            "bad.toml:2:1: unknown key \"nme\" in [policy]; did you mean \"name\"?");
}

TEST(PolicyFileTest, SyntaxErrorIsOneProblemAtItsPosition) {
  PolicyCheckResult r = CheckPolicyText("[policy]\nname = \n", "syntax.toml");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 2);
  EXPECT_EQ(r.problems[0].file, "syntax.toml");
  EXPECT_FALSE(r.policy.has_value());
}

TEST(PolicyFileTest, ProblemToString) {
  PolicyProblem p{"a.toml", 3, 7, "oops"};
  EXPECT_EQ(p.ToString(), "a.toml:3:7: oops");
}

TEST(PolicyFileTest, UnreadableFileIsOneProblem) {
  std::string path = ::testing::TempDir() + "/no-such-policy.toml";
  PolicyCheckResult r = CheckPolicyFile(path);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].file, path);
  EXPECT_EQ(r.problems[0].line, 1);
  EXPECT_EQ(r.problems[0].column, 1);
  EXPECT_THAT(r.problems[0].message, HasSubstr("cannot read policy file"));

  absl::StatusOr<Policy> p = LoadPolicyFile(path);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(p.status().message(), HasSubstr(path));
}

TEST(PolicyFileTest, DirectoryIsUnreadable) {
  PolicyCheckResult r = CheckPolicyFile(::testing::TempDir());
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_THAT(r.problems[0].message, HasSubstr("cannot read policy file"));
  EXPECT_EQ(LoadPolicyFile(::testing::TempDir()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(PolicyFileTest, LoadPolicyFileReportsProblemsAsInvalidArgument) {
  std::string path = InvalidDir() + "/unknown_key.toml";
  absl::StatusOr<Policy> p = LoadPolicyFile(path);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr(path + ":"));
}

// --- Periods ------------------------------------------------------------------

TEST(ParsePeriodTest, AcceptsYearsMonthsWeeksDays) {
  struct Case {
    const char* text;
    Period want;
  };
  for (const Case& c : std::vector<Case>{
           {"P6M", {.months = 6}},
           {"P7Y", {.years = 7}},
           {"P30D", {.days = 30}},
           {"P1Y6M", {.years = 1, .months = 6}},
           {"P2W", {.days = 14}},
           {"P1W3D", {.days = 10}},
           {"P1Y2M3W4D", {.years = 1, .months = 2, .days = 25}},
           {"P0D", {}},
           {"P18M", {.months = 18}},
           {"P007Y", {.years = 7}},
       }) {
    absl::StatusOr<Period> got = ParsePeriod(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(ParsePeriodTest, RejectsOtherTexts) {
  for (const char* text :
       {"",      "P",    "6M",    "p6m",           "P6m", "PT1H",  "P1DT2H", "P-6M",
        "-P6M",  "P+6M", "P1.5Y", "P1,5Y",         "P6",  "PM",    "P6M1Y",  "P1Y1Y",
        "P1D1W", " P6M", "P6M ",  "P99999999999Y", "P1X", "P1Y6MX"}) {
    absl::StatusOr<Period> got = ParsePeriod(text);
    EXPECT_FALSE(got.ok()) << "\"" << text << "\" parsed";
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

TEST(ParsePeriodTest, ExplainsWhatIsWrong) {
  EXPECT_EQ(ParsePeriod("").status().message(), "empty period; write e.g. \"P6M\"");
  EXPECT_EQ(ParsePeriod("PT1H").status().message(),
            "period \"PT1H\" has a time part; only years, months, weeks and days are allowed");
  EXPECT_EQ(ParsePeriod("P-1M").status().message(), "period \"P-1M\" is negative");
  EXPECT_EQ(ParsePeriod("6M").status().message(),
            "\"6M\" is not an ISO 8601 period such as \"P6M\", \"P1Y6M\", \"P2W\" or \"P30D\"");
}

TEST(ComparePeriodsTest, OrdersByAverageLength) {
  EXPECT_EQ(ComparePeriods({.years = 1}, {.months = 12}), 0);
  EXPECT_LT(ComparePeriods({.months = 3}, {.months = 6}), 0);
  EXPECT_GT(ComparePeriods({.years = 1}, {.days = 365}), 0);  // 365.2425 days
  EXPECT_LT(ComparePeriods({.years = 1}, {.days = 366}), 0);
  EXPECT_GT(ComparePeriods({.months = 1}, {.days = 30}), 0);
  EXPECT_LT(ComparePeriods({.months = 1}, {.days = 31}), 0);
  EXPECT_EQ(ComparePeriods({}, {}), 0);
}

}  // namespace
}  // namespace mamori::policy
