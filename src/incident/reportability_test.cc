// Table tests for reportability and the reports it requires: every row of
// src/incident/testdata/reportability.jsonl is one case, run against the
// example policy (examples/telecom-operator.toml) in its time zone. Row
// format:
//
//   {"name": "...", "criterion": "<reason code the row exercises>",
//    "facts": <incident facts, docs/incidents.md "Facts">,
//    "expect": {"reportable": bool, "reasons": [reason code, ...],
//               "reports": {"<report kind>": <days>, ...}, "persons"?: integer}}
//
// Every criterion and the exemption has rows that are reportable and rows
// that are not. Lines that are empty or start with "//" are skipped.
#include "incident/reportability.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "incident/incident_test_util.h"
#include "incident/reports.h"

namespace mamori::incident {
namespace {

using nlohmann::json;

struct Row {
  std::string where;  // "reportability.jsonl:LINE name"
  std::string criterion;
  IncidentFacts facts;
  json expect;
};

std::vector<Row> LoadRows() {
  const std::string path = testing::TestdataPath("reportability.jsonl");
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<Row> rows;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line.rfind("//", 0) == 0) continue;
    const std::string where = "reportability.jsonl:" + std::to_string(n);
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      ADD_FAILURE() << where << ": not a JSON object";
      continue;
    }
    absl::StatusOr<IncidentFacts> facts = FactsFromJson(j.value("facts", json()));
    if (!facts.ok()) {
      ADD_FAILURE() << where << ": " << facts.status();
      continue;
    }
    rows.push_back({where + " " + j.value("name", ""), j.value("criterion", ""), *facts,
                    j.value("expect", json::object())});
  }
  return rows;
}

std::vector<std::string> Names(const std::vector<Reason>& reasons) {
  std::vector<std::string> names;
  for (Reason r : reasons) names.emplace_back(ReasonName(r));
  return names;
}

class ReportabilityTableTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    policy_ = new policy::Policy(policy::testing::LoadExample());
    rows_ = new std::vector<Row>(LoadRows());
  }
  static void TearDownTestSuite() {
    delete policy_;
    delete rows_;
  }
  static policy::Policy* policy_;
  static std::vector<Row>* rows_;
};
policy::Policy* ReportabilityTableTest::policy_ = nullptr;
std::vector<Row>* ReportabilityTableTest::rows_ = nullptr;

TEST_F(ReportabilityTableTest, EveryRowAssessesAsExpected) {
  ASSERT_FALSE(rows_->empty());
  absl::StatusOr<absl::TimeZone> zone = OperatorTimeZone(*policy_);
  ASSERT_TRUE(zone.ok()) << zone.status();
  for (const Row& row : *rows_) {
    SCOPED_TRACE(row.where);
    ASSERT_TRUE(ValidateFacts(*policy_, row.facts).ok()) << ValidateFacts(*policy_, row.facts);
    const Reportability r = Assess(*policy_, row.facts);
    EXPECT_EQ(r.reportable, row.expect.at("reportable").get<bool>());
    EXPECT_EQ(Names(r.reasons), row.expect.at("reasons").get<std::vector<std::string>>());
    if (row.expect.contains("persons")) {
      EXPECT_EQ(r.persons, row.expect["persons"].get<int64_t>());
    }
    // The reports, and their days from the day of discovery.
    std::map<std::string, int> reports;
    for (const Report& report : RequiredReports(r, row.facts.discovered_at, *zone)) {
      reports[std::string(ReportKindName(report.kind))] = report.days;
      EXPECT_EQ(report.due, DueAfter(row.facts.discovered_at, report.days, *zone));
      EXPECT_EQ(report.status, ReportStatus::kPending);
    }
    EXPECT_EQ(reports, (row.expect.at("reports").get<std::map<std::string, int>>()));
    EXPECT_EQ(r.reportable, !reports.empty());
    // Pure and deterministic.
    EXPECT_EQ(r, Assess(*policy_, row.facts));
  }
  std::printf("reportability table rows: %zu\n", rows_->size());
}

TEST_F(ReportabilityTableTest, EveryCriterionHasAReportableRowAndOneThatIsNot) {
  std::map<std::string, std::set<bool>> outcomes;  // criterion -> {reportable?}
  for (const Row& row : *rows_) {
    EXPECT_TRUE(ParseReason(row.criterion).has_value())
        << row.where << ": unknown criterion " << row.criterion;
    outcomes[row.criterion].insert(row.expect.at("reportable").get<bool>());
  }
  for (Reason reason :
       {Reason::kSpecialCare, Reason::kFinancialLoss, Reason::kWrongfulPurpose,
        Reason::kOver1000Persons, Reason::kCommunicationSecrecy, Reason::kEncryptedExempt}) {
    const std::string name(ReasonName(reason));
    EXPECT_TRUE(outcomes[name].contains(true)) << name << " has no reportable row";
    EXPECT_TRUE(outcomes[name].contains(false)) << name << " has no row that is not reportable";
  }
}

TEST_F(ReportabilityTableTest, EveryReasonCodeAppearsInSomeRow) {
  std::set<std::string> seen;
  for (const Row& row : *rows_) {
    for (const json& reason : row.expect.at("reasons")) seen.insert(reason.get<std::string>());
  }
  for (Reason reason :
       {Reason::kSpecialCare, Reason::kFinancialLoss, Reason::kWrongfulPurpose,
        Reason::kOver1000Persons, Reason::kCommunicationSecrecy, Reason::kEncryptedExempt}) {
    EXPECT_TRUE(seen.contains(std::string(ReasonName(reason)))) << ReasonName(reason);
  }
}

TEST(ReportabilityTest, ReasonNamesRoundTrip) {
  for (Reason reason :
       {Reason::kSpecialCare, Reason::kFinancialLoss, Reason::kWrongfulPurpose,
        Reason::kOver1000Persons, Reason::kCommunicationSecrecy, Reason::kEncryptedExempt}) {
    EXPECT_EQ(ParseReason(ReasonName(reason)), reason);
  }
  EXPECT_EQ(ParseReason("over_1000"), std::nullopt);
}

TEST(ReportabilityTest, AppiAndTbaAreToldApart) {
  Reportability r;
  r.reasons = {Reason::kCommunicationSecrecy, Reason::kEncryptedExempt};
  EXPECT_FALSE(r.AppiReportable());
  EXPECT_TRUE(r.TbaReportable());
  r.reasons = {Reason::kOver1000Persons};
  EXPECT_TRUE(r.AppiReportable());
  EXPECT_FALSE(r.TbaReportable());
  r.reasons = {Reason::kEncryptedExempt};
  EXPECT_FALSE(r.AppiReportable());
  EXPECT_FALSE(r.TbaReportable());
}

TEST(ReportabilityTest, Json) {
  const policy::Policy policy = policy::testing::LoadExample();
  const Reportability r = Assess(policy, testing::ExampleFacts(notice::Language::kJa));
  EXPECT_EQ(ReportabilityToJson(r), json::parse(R"({"reportable": true, "appi": true, "tba": true,
                            "reasons": ["wrongful_purpose", "over_1000_persons",
                                        "communication_secrecy", "encrypted_exempt"],
                            "persons": 1204, "exempt_categories": ["pd:PaymentCardNumber"]})"));
}

TEST(ReportabilityTest, TheOfficersFinancialJudgmentReplacesThePolicyClass) {
  const policy::Policy policy = policy::testing::LoadExample();
  IncidentFacts facts;
  EXPECT_TRUE(RisksFinancialLoss(policy, facts, "pd:PaymentCardNumber"));
  EXPECT_TRUE(RisksFinancialLoss(policy, facts, "pd:BankAccount"));
  EXPECT_FALSE(RisksFinancialLoss(policy, facts, "pd:Name"));
  facts.financial_risk = std::vector<std::string>{"pd:PaymentCardNumber"};
  EXPECT_TRUE(RisksFinancialLoss(policy, facts, "pd:PaymentCardNumber"));
  EXPECT_FALSE(RisksFinancialLoss(policy, facts, "pd:BankAccount"));
}

}  // namespace
}  // namespace mamori::incident
