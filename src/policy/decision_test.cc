// Table tests for the decision engine: every row of
// src/policy/testdata/decisions/*.jsonl is one case, run against
// testdata/decisions/policy.toml. Row format (docs/decisions.md):
//
//   {"name": "...", "rule": "<rule id the row exercises>",
//    "actor": {"id": "...", "roles": [...], "courses": [["course", "RFC 3339"], ...]},
//    "subject": {"consents": [{"purpose", "recipient"?, "given_at", "withdrawn_at"?,
//                              "explicit_for_location"?, "cross_border_informed"?}],
//                "stop_use": [{"purpose"?}], "stop_provision": [{"purpose"?, "recipient"?}],
//                "legal_hold"?, "special_care_consented_at_acquisition"?},
//    "request": {"purpose", "categories", "collection_purposes"?, "ground"?, "reason"?, "now"},
//    "expect": {"outcome": "allow"|"deny", "reason_code", "rule_id"?, "legal_basis"?,
//               "flagged_for_audit"?}}
//
// Lines that are empty or start with "//" are skipped.
#include "policy/decision.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/strings.h"
#include "policy/policy_file.h"
#include "policy/policy_test_util.h"

namespace mamori::policy {
namespace {

using nlohmann::json;

struct Row {
  std::string where;  // "file:line name"
  std::string rule;
  ActorFacts actor;
  SubjectFacts subject;
  UseRequest request;
  json expect;
};

std::filesystem::path TableDir() {
  return std::filesystem::path(testing::SourceDir()) / "src/policy/testdata/decisions";
}

absl::Time ParseTime(const json& j) {
  absl::Time t;
  std::string err;
  const std::string s = j.get<std::string>();
  if (!absl::ParseTime(absl::RFC3339_full, common::ToAbsl(s), &t, &err)) {
    ADD_FAILURE() << "bad time \"" << s << "\": " << err;
  }
  return t;
}

std::optional<std::string> OptString(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<std::string>();
}

StopOrder ParseStop(const json& j) { return {OptString(j, "purpose"), OptString(j, "recipient")}; }

Row ParseRow(const json& j) {
  Row row;
  row.rule = j.at("rule").get<std::string>();
  const json& a = j.at("actor");
  row.actor.id = a.value("id", "");
  row.actor.roles = a.value("roles", std::vector<std::string>{});
  for (const json& c : a.value("courses", json::array())) {
    row.actor.completed_courses.emplace_back(c.at(0).get<std::string>(), ParseTime(c.at(1)));
  }
  const json s = j.value("subject", json::object());
  for (const json& c : s.value("consents", json::array())) {
    ConsentFact f;
    f.purpose = c.at("purpose").get<std::string>();
    f.recipient = OptString(c, "recipient");
    f.given_at = ParseTime(c.at("given_at"));
    if (c.contains("withdrawn_at")) f.withdrawn_at = ParseTime(c["withdrawn_at"]);
    f.explicit_for_location = c.value("explicit_for_location", false);
    f.cross_border_informed = c.value("cross_border_informed", false);
    row.subject.consents.push_back(std::move(f));
  }
  for (const json& o : s.value("stop_use", json::array())) {
    row.subject.stop_use.push_back(ParseStop(o));
  }
  for (const json& o : s.value("stop_provision", json::array())) {
    row.subject.stop_provision.push_back(ParseStop(o));
  }
  row.subject.legal_hold = s.value("legal_hold", false);
  row.subject.special_care_consented_at_acquisition =
      s.value("special_care_consented_at_acquisition", false);
  const json& r = j.at("request");
  row.request.purpose = r.at("purpose").get<std::string>();
  row.request.categories = r.at("categories").get<std::vector<std::string>>();
  row.request.collection_purposes = r.value("collection_purposes", std::vector<std::string>{});
  const std::string ground = r.value("ground", "none");
  std::optional<Ground> g = ParseGround(ground);
  EXPECT_TRUE(g.has_value()) << "unknown ground " << ground;
  row.request.ground = g.value_or(Ground::kNone);
  row.request.reason = r.value("reason", "");
  row.request.now = ParseTime(r.at("now"));
  row.expect = j.at("expect");
  return row;
}

std::vector<Row> LoadRows() {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(TableDir())) {
    if (e.path().extension() == ".jsonl") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Row> rows;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.empty() || line.rfind("//", 0) == 0) continue;
      const std::string where = file.filename().string() + ":" + std::to_string(n);
      json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) {
        ADD_FAILURE() << where << ": not JSON";
        continue;
      }
      Row row = ParseRow(j);
      row.where = where + " " + j.value("name", "");
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

class DecisionTableTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<Policy> p = LoadPolicyFile((TableDir() / "policy.toml").string());
    ASSERT_TRUE(p.ok()) << p.status();
    policy_ = new Policy(*std::move(p));
    rows_ = new std::vector<Row>(LoadRows());
  }
  static void TearDownTestSuite() {
    delete policy_;
    delete rows_;
  }
  static Policy* policy_;
  static std::vector<Row>* rows_;
};
Policy* DecisionTableTest::policy_ = nullptr;
std::vector<Row>* DecisionTableTest::rows_ = nullptr;

TEST_F(DecisionTableTest, EveryRowDecidesAsExpected) {
  ASSERT_FALSE(rows_->empty());
  for (const Row& row : *rows_) {
    SCOPED_TRACE(row.where);
    const Decision d = Decide(*policy_, row.actor, row.subject, row.request);
    EXPECT_EQ(OutcomeName(d.outcome), row.expect.at("outcome").get<std::string>());
    EXPECT_EQ(d.reason_code, row.expect.at("reason_code").get<std::string>());
    if (row.expect.contains("rule_id")) {
      EXPECT_EQ(d.rule_id, row.expect["rule_id"].get<std::string>());
    }
    if (row.expect.contains("legal_basis")) {
      EXPECT_EQ(d.legal_basis, row.expect["legal_basis"].get<std::string>());
    }
    EXPECT_EQ(d.flagged_for_audit, row.expect.value("flagged_for_audit", false));
    if (d.outcome == Outcome::kDeny) {
      EXPECT_EQ(d.legal_basis, "");
      EXPECT_EQ(row.rule, d.rule_id) << "a deny row is tagged with the rule that denies";
    } else {
      EXPECT_NE(d.legal_basis, "");
    }
    // Pure and deterministic.
    EXPECT_EQ(d, Decide(*policy_, row.actor, row.subject, row.request));
  }
  std::printf("decision table rows: %zu\n", rows_->size());
}

TEST_F(DecisionTableTest, EveryRuleHasAnAllowRowAndADenyRow) {
  std::map<std::string, std::set<std::string>> outcomes;  // rule -> {"allow","deny"}
  for (const Row& row : *rows_) {
    outcomes[row.rule].insert(row.expect.at("outcome").get<std::string>());
  }
  for (const ReasonInfo& r : AllReasons()) {
    if (r.outcome != Outcome::kDeny) continue;
    const std::string rule(r.rule_id);
    EXPECT_TRUE(outcomes[rule].contains("allow")) << rule << " has no allow row";
    EXPECT_TRUE(outcomes[rule].contains("deny")) << rule << " has no deny row";
  }
  for (const auto& [rule, unused] : outcomes) {
    EXPECT_NE(FindRule(rule), nullptr) << "row tagged with unknown rule " << rule;
  }
}

TEST_F(DecisionTableTest, EveryReasonCodeAppearsInSomeRow) {
  std::set<std::string> seen;
  for (const Row& row : *rows_) seen.insert(row.expect.at("reason_code").get<std::string>());
  std::set<std::string> known;
  for (const ReasonInfo& r : AllReasons()) {
    known.insert(std::string(r.reason_code));
    EXPECT_TRUE(seen.contains(std::string(r.reason_code))) << r.reason_code << " has no row";
    if (r.outcome == Outcome::kDeny) {
      EXPECT_NE(FindRule(r.rule_id), nullptr) << r.rule_id;
    }
  }
  for (const std::string& code : seen) {
    EXPECT_TRUE(known.contains(code)) << "row expects unknown reason code " << code;
  }
}

TEST(GroundTest, NamesRoundTrip) {
  for (Ground g : {Ground::kNone, Ground::kLaw, Ground::kLifeBodyProperty,
                   Ground::kPublicHealthChild, Ground::kGovernmentCooperation,
                   Ground::kAcademicResearch, Ground::kWarrant, Ground::kImminentDanger}) {
    EXPECT_EQ(ParseGround(GroundName(g)), g);
  }
  EXPECT_EQ(ParseGround("court_order"), std::nullopt);
}

TEST(RuleTableTest, GuidelineArticlesMapToAppiRules) {
  const std::map<std::string, std::string> expected = {
      {"guideline.6.3", "appi.18.3"},
      {"guideline.10.2", "appi.22"},
      {"guideline.15.1", "appi.27.1"},
      {"guideline.15.4", "appi.27.5"},
  };
  for (const auto& [guideline, appi] : expected) {
    const RuleInfo* by_guideline = FindRule(guideline);
    ASSERT_NE(by_guideline, nullptr) << guideline;
    EXPECT_EQ(by_guideline->rule_id, appi);
    EXPECT_EQ(FindRule(appi), by_guideline);
  }
}

TEST(RuleTableTest, ExplainsEitherNumbering) {
  absl::StatusOr<std::string> a = ExplainRule("appi.18.3");
  absl::StatusOr<std::string> g = ExplainRule("guideline.6.3");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(*a, *g);
  EXPECT_THAT(*a, ::testing::StartsWith("APPI Art. 18(3) [appi.18.3] (telecom Guideline Art. "
                                        "6(3) [guideline.6.3]): "));
  absl::StatusOr<std::string> t = ExplainRule("tba.4");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(*t, ::testing::StartsWith("TBA Art. 4 [tba.4]: "));
  EXPECT_EQ(ExplainRule("appi.99").status().code(), absl::StatusCode::kNotFound);
}

TEST(RuleTableTest, IdsAreUnique) {
  std::set<std::string_view> ids;
  for (const RuleInfo& r : AllRules()) {
    EXPECT_TRUE(ids.insert(r.rule_id).second) << r.rule_id;
    if (!r.guideline_id.empty()) {
      EXPECT_TRUE(ids.insert(r.guideline_id).second) << r.guideline_id;
    }
  }
}

}  // namespace
}  // namespace mamori::policy
