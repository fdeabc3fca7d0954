// Table tests for the provision decision: every row of
// src/policy/testdata/provisions/*.jsonl is one case, run against
// testdata/provisions/policy.toml in the policy's time zone. Row format
// (docs/decisions.md, "Provision"):
//
//   {"name": "...", "rule": "<rule id the row exercises>",
//    "actor": {"id": "...", "roles": [...], "courses": [["course", "RFC 3339"], ...]},
//    "subject": {"consents": [{"purpose", "recipient"?, "given_at", "withdrawn_at"?,
//                              "explicit_for_location"?, "cross_border_informed"?}],
//                "stop_use": [{"purpose"?}], "stop_provision": [{"purpose"?, "recipient"?}]},
//    "request": {"recipient", "purpose", "categories", "collection_purposes"?, "ground"?,
//                "reason"?, "received_by_opt_out"?, "last_audit_at"?, "now"},
//    "expect": {"outcome": "allow"|"deny", "reason_code", "rule_id"?, "legal_basis"?,
//               "flagged_for_audit"?, "recipient_kind"?, "cross_border"?,
//               "provider_record_retention"?: "P3Y"|"P1Y",
//               "record_kept_from_last_provision"?}}
//
// `provider_record_retention` present means the Art. 29 record is required;
// absent means it is not. Lines that are empty or start with "//" are
// skipped.
#include "policy/provision.h"

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
  ProvisionRequest request;
  json expect;
};

std::filesystem::path TableDir() {
  return std::filesystem::path(testing::SourceDir()) / "src/policy/testdata/provisions";
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

Row ParseRow(const json& j, absl::TimeZone zone) {
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
  const json& r = j.at("request");
  row.request.recipient = r.at("recipient").get<std::string>();
  row.request.purpose = r.at("purpose").get<std::string>();
  row.request.categories = r.at("categories").get<std::vector<std::string>>();
  row.request.collection_purposes = r.value("collection_purposes", std::vector<std::string>{});
  const std::string ground = r.value("ground", "none");
  std::optional<Ground> g = ParseGround(ground);
  EXPECT_TRUE(g.has_value()) << "unknown ground " << ground;
  row.request.ground = g.value_or(Ground::kNone);
  row.request.reason = r.value("reason", "");
  row.request.received_by_opt_out = r.value("received_by_opt_out", false);
  if (r.contains("last_audit_at"))
    row.request.trustee.last_audit_at = ParseTime(r["last_audit_at"]);
  row.request.now = ParseTime(r.at("now"));
  row.request.time_zone = zone;
  row.expect = j.at("expect");
  return row;
}

std::vector<Row> LoadRows(absl::TimeZone zone) {
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
      Row row = ParseRow(j, zone);
      row.where = where + " " + j.value("name", "");
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

// "deny recipient_unknown appi.27.1 basis= audit=0 kind=unknown abroad=0 record=-",
// for comparisons that print well.
std::string Describe(const ProvisionDecision& p) {
  const Decision& d = p.decision;
  return std::string(OutcomeName(d.outcome)) + " " + d.reason_code + " " + d.rule_id +
         " basis=" + d.legal_basis + " audit=" + (d.flagged_for_audit ? "1" : "0") +
         " kind=" + std::string(RecipientKindName(p.recipient_kind)) +
         " abroad=" + (p.cross_border ? "1" : "0") +
         " record=" + (p.provider_record_required ? "1" : "0") +
         (p.provider_record_retention ? FormatPeriod(*p.provider_record_retention) : "-") +
         (p.record_kept_from_last_provision ? "/last" : "");
}

class ProvisionTableTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<Policy> p = LoadPolicyFile((TableDir() / "policy.toml").string());
    ASSERT_TRUE(p.ok()) << p.status();
    policy_ = new Policy(*std::move(p));
    absl::TimeZone zone;
    ASSERT_TRUE(absl::LoadTimeZone(policy_->operator_info.time_zone, &zone));
    rows_ = new std::vector<Row>(LoadRows(zone));
  }
  static void TearDownTestSuite() {
    delete policy_;
    delete rows_;
  }
  static Policy* policy_;
  static std::vector<Row>* rows_;
};
Policy* ProvisionTableTest::policy_ = nullptr;
std::vector<Row>* ProvisionTableTest::rows_ = nullptr;

TEST_F(ProvisionTableTest, EveryRowDecidesAsExpected) {
  ASSERT_FALSE(rows_->empty());
  for (const Row& row : *rows_) {
    SCOPED_TRACE(row.where);
    const ProvisionDecision p = DecideProvision(*policy_, row.actor, row.subject, row.request);
    const Decision& d = p.decision;
    EXPECT_EQ(OutcomeName(d.outcome), row.expect.at("outcome").get<std::string>());
    EXPECT_EQ(d.reason_code, row.expect.at("reason_code").get<std::string>());
    if (row.expect.contains("rule_id")) {
      EXPECT_EQ(d.rule_id, row.expect["rule_id"].get<std::string>());
    }
    if (row.expect.contains("legal_basis")) {
      EXPECT_EQ(d.legal_basis, row.expect["legal_basis"].get<std::string>());
    }
    if (row.expect.contains("recipient_kind")) {
      EXPECT_EQ(RecipientKindName(p.recipient_kind),
                row.expect["recipient_kind"].get<std::string>());
    }
    EXPECT_EQ(d.flagged_for_audit, row.expect.value("flagged_for_audit", false));
    EXPECT_EQ(p.cross_border, row.expect.value("cross_border", false));
    const std::string retention = row.expect.value("provider_record_retention", "");
    EXPECT_EQ(p.provider_record_required, !retention.empty());
    EXPECT_EQ(p.provider_record_retention ? FormatPeriod(*p.provider_record_retention) : "",
              retention);
    EXPECT_EQ(p.record_kept_from_last_provision,
              row.expect.value("record_kept_from_last_provision", false));
    if (d.outcome == Outcome::kDeny) {
      EXPECT_EQ(d.legal_basis, "");
      EXPECT_FALSE(p.provider_record_required) << "a denial makes no record";
      EXPECT_EQ(row.rule, d.rule_id) << "a deny row is tagged with the rule that denies";
    } else {
      EXPECT_NE(d.legal_basis, "");
    }
    // Pure and deterministic.
    EXPECT_EQ(p, DecideProvision(*policy_, row.actor, row.subject, row.request));
  }
  std::printf("provision table rows: %zu\n", rows_->size());
}

// The compiled policy is indexed; an unindexed copy scans. Both decide
// every row alike.
TEST_F(ProvisionTableTest, EveryRowDecidesTheSameWithoutTheIndex) {
  ASSERT_TRUE(policy_->HasCurrentIndex());
  const Policy scanned = *policy_;
  ASSERT_FALSE(scanned.HasCurrentIndex());
  for (const Row& row : *rows_) {
    SCOPED_TRACE(row.where);
    EXPECT_EQ(Describe(DecideProvision(scanned, row.actor, row.subject, row.request)),
              Describe(DecideProvision(*policy_, row.actor, row.subject, row.request)));
  }
}

TEST_F(ProvisionTableTest, EveryRuleHasAnAllowRowAndADenyRow) {
  std::map<std::string, std::set<std::string>> outcomes;  // rule -> {"allow","deny"}
  for (const Row& row : *rows_) {
    outcomes[row.rule].insert(row.expect.at("outcome").get<std::string>());
  }
  for (const ReasonInfo& r : AllProvisionReasons()) {
    if (r.outcome != Outcome::kDeny) continue;
    const std::string rule(r.rule_id);
    EXPECT_TRUE(outcomes[rule].contains("allow")) << rule << " has no allow row";
    EXPECT_TRUE(outcomes[rule].contains("deny")) << rule << " has no deny row";
  }
  for (const auto& [rule, unused] : outcomes) {
    EXPECT_NE(FindRule(rule), nullptr) << "row tagged with unknown rule " << rule;
  }
}

TEST_F(ProvisionTableTest, EveryReasonCodeAppearsInSomeRow) {
  std::set<std::string> seen;
  for (const Row& row : *rows_) seen.insert(row.expect.at("reason_code").get<std::string>());
  std::set<std::string> known;
  for (const ReasonInfo& r : AllProvisionReasons()) {
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

// Every legal basis and every kind of party is the outcome of some row.
TEST_F(ProvisionTableTest, EveryBasisAndKindAppearsInSomeAllowRow) {
  std::set<std::string> bases, kinds;
  for (const Row& row : *rows_) {
    const ProvisionDecision p = DecideProvision(*policy_, row.actor, row.subject, row.request);
    if (p.decision.outcome != Outcome::kAllow) continue;
    bases.insert(p.decision.legal_basis.substr(0, p.decision.legal_basis.find(':')));
    kinds.insert(std::string(RecipientKindName(p.recipient_kind)));
  }
  EXPECT_EQ(bases,
            (std::set<std::string>{"consent", "entrusted", "ground", "joint_use", "opt_out"}));
  EXPECT_EQ(kinds, (std::set<std::string>{"joint_user", "third_party", "trustee"}));
}

TEST(RecipientKindTest, Names) {
  EXPECT_EQ(RecipientKindName(RecipientKind::kUnknown), "unknown");
  EXPECT_EQ(RecipientKindName(RecipientKind::kThirdParty), "third_party");
  EXPECT_EQ(RecipientKindName(RecipientKind::kTrustee), "trustee");
  EXPECT_EQ(RecipientKindName(RecipientKind::kJointUser), "joint_user");
}

TEST(ProvisionRulesTest, ProvisionArticlesAreExplained) {
  for (const char* id : {"appi.25", "appi.27.1", "appi.27.2", "appi.27.5", "appi.27.6", "appi.28",
                         "appi.29", "appi.35.3", "mna.19"}) {
    EXPECT_TRUE(ExplainRule(id).ok()) << id;
  }
  absl::StatusOr<std::string> g = ExplainRule("guideline.15.4");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->rfind("APPI Art. 27(5) [appi.27.5]", 0), 0u) << *g;
}

}  // namespace
}  // namespace mamori::policy
