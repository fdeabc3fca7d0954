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
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/strings.h"
#include "policy/policy_file.h"
#include "policy/policy_test_util.h"
#include "policy/synthetic_policy.h"

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

// "deny purpose_unknown appi.17.1 basis= audit=0", for comparisons that
// print well.
std::string Describe(const Decision& d) {
  return std::string(OutcomeName(d.outcome)) + " " + d.reason_code + " " + d.rule_id +
         " basis=" + d.legal_basis + " audit=" + (d.flagged_for_audit ? "1" : "0");
}

// The request, actor and subject of a generated case, for failure messages.
std::string Describe(const ActorFacts& actor, const SubjectFacts& subject, const UseRequest& r) {
  std::string out = "actor " + actor.id + " roles [";
  for (const std::string& role : actor.roles) out += role + " ";
  out += "] courses " + std::to_string(actor.completed_courses.size()) + "; subject consents " +
         std::to_string(subject.consents.size()) + " stops " +
         std::to_string(subject.stop_use.size()) + "; request " + r.purpose + " [";
  for (const std::string& c : r.categories) out += c + " ";
  out += "] collected for [";
  for (const std::string& c : r.collection_purposes) out += c + " ";
  return out + "] ground " + std::string(GroundName(r.ground)) + " reason \"" + r.reason + "\"";
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

// The compiled policy is indexed; an unindexed copy scans. Both decide
// every row alike.
TEST_F(DecisionTableTest, EveryRowDecidesTheSameWithoutTheIndex) {
  ASSERT_TRUE(policy_->HasCurrentIndex());
  const Policy scanned = *policy_;
  ASSERT_FALSE(scanned.HasCurrentIndex());
  for (const Row& row : *rows_) {
    SCOPED_TRACE(row.where);
    EXPECT_EQ(Describe(Decide(scanned, row.actor, row.subject, row.request)),
              Describe(Decide(*policy_, row.actor, row.subject, row.request)));
  }
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

// Large generated policies: the index (built by MakeSyntheticPolicy) decides
// every generated case exactly as the linear scans of an unindexed copy do,
// and the cases reach every reason code, so that every rule is compared.
struct LargePolicyCase {
  const char* name;
  SyntheticPolicyShape shape;
  int actors;
  int cases;
  friend void PrintTo(const LargePolicyCase& c, std::ostream* os) { *os << c.name; }
};

class LargePolicyTest : public ::testing::TestWithParam<LargePolicyCase> {};

TEST_P(LargePolicyTest, IndexDecidesAsTheLinearScans) {
  const LargePolicyCase& param = GetParam();
  const Policy indexed = MakeSyntheticPolicy(param.shape);
  ASSERT_TRUE(indexed.HasCurrentIndex());
  ASSERT_EQ(indexed.purposes.size(), static_cast<size_t>(param.shape.purposes));
  ASSERT_EQ(indexed.categories.size(), static_cast<size_t>(param.shape.categories));
  const Policy scanned = indexed;
  ASSERT_FALSE(scanned.HasCurrentIndex());

  SyntheticFacts facts(indexed, absl::FromUnixSeconds(1'780'000'000), /*seed=*/7);
  std::vector<ActorFacts> actors;
  for (int i = 0; i < param.actors; ++i) actors.push_back(facts.Actor("act_" + std::to_string(i)));
  std::map<std::string, int> reasons;  // reason code -> cases
  std::map<std::string, int> bases;    // legal basis of allows -> cases
  for (int i = 0; i < param.cases; ++i) {
    const ActorFacts& actor = actors[i % actors.size()];
    const SubjectFacts subject = facts.Subject();
    const UseRequest request = facts.Request(actor);
    const Decision d = Decide(indexed, actor, subject, request);
    ASSERT_EQ(Describe(d), Describe(Decide(scanned, actor, subject, request)))
        << "case " << i << ": " << Describe(actor, subject, request);
    ++reasons[d.reason_code];
    if (d.outcome == Outcome::kAllow) ++bases[d.legal_basis];
  }
  for (const ReasonInfo& r : AllReasons()) {
    EXPECT_GT(reasons[std::string(r.reason_code)], 0) << r.reason_code << " never decided";
  }
  for (const char* basis : {"announced_purpose", "consent", "legitimate_business_act"}) {
    EXPECT_GT(bases[basis], 0) << basis << " never the basis of an allow";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, LargePolicyTest,
    ::testing::Values(
        // The benchmark's shape: 120 purposes, 240 categories, 60 roles and courses.
        LargePolicyCase{"default", SyntheticPolicyShape{}, 500, 20'000},
        LargePolicyCase{"huge",
                        SyntheticPolicyShape{.services = 80,
                                             .categories = 2'000,
                                             .purposes = 1'000,
                                             .categories_per_purpose = 20,
                                             .roles = 300,
                                             .purposes_per_role = 30,
                                             .courses = 100,
                                             .seed = 3},
                        1'000, 20'000}),
    [](const ::testing::TestParamInfo<LargePolicyCase>& param_info) {
      return std::string(param_info.param.name);
    });

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
