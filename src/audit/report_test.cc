// The internal-audit report: every JSON section from prepared facts, and the
// HTML page (escaping, the three charts, an empty report, both languages).
#include "audit/report.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "audit/audit_test_util.h"
#include "policy/policy_test_util.h"

namespace mamori::audit {
namespace {

using testing::Now;

constexpr std::string_view kHostile = "<script>alert(1)</script>";

absl::Time At(int y, int m, int d, int hh = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, 0, 0), absl::UTCTimeZone());
}

std::string RepeatedAb() {
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += "ab";
  return hex;
}

AuditFacts PreparedFacts() {
  AuditFacts f;
  f.from = At(2026, 11, 1);
  f.to = At(2026, 11, 28);
  f.generated_at = Now();  // 2026-11-28T03:00:00Z
  f.time_zone = "Asia/Tokyo";
  f.ledger = LedgerFacts{.verified = false,
                         .entries = 1234,
                         .tree_head = store::TreeHeadRow{.tree_size = 1200,
                                                         .signed_at = At(2026, 11, 27, 23),
                                                         .root_hash = std::string(32, '\xab'),
                                                         .signature = std::string(64, 's')},
                         .verified_from = 1000,
                         .problems = {"entry 1100: leaf hash mismatch"}};
  f.decisions.by_rule = {{.key = "appi-18-1", .key2 = "allow", .count = 90},
                         {.key = "appi-18-1", .key2 = "deny", .count = 4},
                         {.key = "appi-24-training", .key2 = "deny", .count = 6}};
  f.decisions.by_day = {{.day = absl::CivilDay(2026, 11, 26), .allowed = 40, .denied = 3},
                        {.day = absl::CivilDay(2026, 11, 27), .allowed = 50, .denied = 7}};
  f.decisions.by_role = {{"clerk", 70}, {"analyst", 20}, {"support", 70}};
  f.exception_uses = {ExceptionUse{.seq = 77,
                                   .at = At(2026, 11, 20, 9),
                                   .actor = std::string(kHostile),
                                   .purpose = "p:support",
                                   .ground = "imminent_danger",
                                   .subject = "sub_abc",
                                   .outcome = "allow"}};
  f.trustees = {TrusteeFacts{.id = "tr-callcenter",
                             .name = "コールセンター株式会社",
                             .overdue_audit = true,
                             .contract_in_force = true,
                             .next_due = At(2026, 10, 1)},
                TrusteeFacts{.id = "tr-print",
                             .name = "Print & Mail",
                             .overdue_audit = false,
                             .contract_in_force = false,
                             .next_due = std::nullopt}};
  f.retention = RetentionFacts{.records_past_retention = 12, .held = 3};
  f.training = {TrainingStatus{.actor = "emp:sato",
                               .course = "secrecy",
                               .valid_until = std::nullopt,
                               .status = "missing",
                               .roles = {"clerk"}}};
  f.alerts = {Alert{.id = AlertId("repeated_denials", kHostile, absl::CivilDay(2026, 11, 27)),
                    .actor = std::string(kHostile),
                    .kind = "repeated_denials",
                    .day = absl::CivilDay(2026, 11, 27),
                    .count = 7,
                    .threshold = 5,
                    .role = ""}};
  f.incidents = {IncidentSummary{
      .id = "inc_1",
      .discovered_at = At(2026, 11, 20),
      .cause = "unauthorized_access",
      .affected_subjects = 1500,
      .reportable = true,
      .reports = {ReportDue{.kind = "appi_preliminary", .due = At(2026, 11, 25), .submitted = true},
                  ReportDue{.kind = "tba_prompt", .due = At(2026, 11, 26), .submitted = false},
                  ReportDue{.kind = "appi_final", .due = At(2027, 1, 19), .submitted = false}}}};
  f.policy_versions = {PolicyVersionFacts{.version = 4,
                                          .loaded_at = At(2026, 11, 10),
                                          .loaded_by = "admin:root",
                                          .changes = {{"purposes", {{"added", {"p:support"}}}}}}};
  return f;
}

TEST(AuditReportJsonTest, TopLevelKeysExactly) {
  for (const AuditFacts& facts : {PreparedFacts(), AuditFacts{}}) {
    const nlohmann::json j = AuditReportJson(facts);
    std::set<std::string> keys;
    for (const auto& [key, value] : j.items()) keys.insert(key);
    EXPECT_EQ(keys, (std::set<std::string>{"period", "generated_at", "ledger", "decisions",
                                           "exception_uses", "requests", "trustees", "retention",
                                           "training", "alerts", "incidents", "policy_versions"}));
  }
}

TEST(AuditReportJsonTest, EverySection) {
  const nlohmann::json j = AuditReportJson(PreparedFacts());
  EXPECT_EQ(j["period"], nlohmann::json({{"from", "2026-11-01T00:00:00Z"},
                                         {"to", "2026-11-28T00:00:00Z"},
                                         {"time_zone", "Asia/Tokyo"}}));
  EXPECT_EQ(j["generated_at"], "2026-11-28T03:00:00Z");
  EXPECT_EQ(j["ledger"], nlohmann::json({{"verified", false},
                                         {"entries", 1234},
                                         {"tree_head",
                                          {{"tree_size", 1200},
                                           {"root_hash", RepeatedAb()},
                                           {"signed_at", "2026-11-27T23:00:00Z"}}},
                                         {"verified_from", 1000},
                                         {"problems", {"entry 1100: leaf hash mismatch"}}}));

  const nlohmann::json& d = j["decisions"];
  EXPECT_EQ(d["total"], 100);
  EXPECT_EQ(d["allowed"], 90);
  EXPECT_EQ(d["denied"], 10);
  EXPECT_EQ(d["by_rule"], nlohmann::json::parse(R"([
      {"rule_id": "appi-18-1", "outcome": "allow", "count": 90},
      {"rule_id": "appi-18-1", "outcome": "deny", "count": 4},
      {"rule_id": "appi-24-training", "outcome": "deny", "count": 6}])"));
  EXPECT_EQ(d["by_day"], nlohmann::json::parse(R"([
      {"day": "2026-11-26", "allowed": 40, "denied": 3},
      {"day": "2026-11-27", "allowed": 50, "denied": 7}])"));
  // Most used first; ties by role id.
  EXPECT_EQ(d["by_role"], nlohmann::json::parse(R"([
      {"role": "clerk", "count": 70},
      {"role": "support", "count": 70},
      {"role": "analyst", "count": 20}])"));

  EXPECT_EQ(j["exception_uses"], nlohmann::json::parse(R"([
      {"seq": 77, "at": "2026-11-20T09:00:00Z", "actor": "<script>alert(1)</script>",
       "purpose": "p:support", "ground": "imminent_danger", "subject": "sub_abc",
       "outcome": "allow"}])"));
  EXPECT_EQ(j["requests"], nlohmann::json({{"tracked", false}}));
  EXPECT_EQ(j["trustees"], nlohmann::json::parse(R"([
      {"id": "tr-callcenter", "name": "コールセンター株式会社", "overdue_audit": true,
       "contract_in_force": true, "next_due": "2026-10-01T00:00:00Z"},
      {"id": "tr-print", "name": "Print & Mail", "overdue_audit": false,
       "contract_in_force": false, "next_due": null}])"));
  EXPECT_EQ(j["retention"], nlohmann::json({{"records_past_retention", 12}, {"held", 3}}));
  EXPECT_EQ(j["training"], nlohmann::json::parse(R"([
      {"actor": "emp:sato", "course": "secrecy", "valid_until": null, "status": "missing",
       "roles": ["clerk"]}])"));
  ASSERT_EQ(j["alerts"].size(), 1u);
  EXPECT_EQ(j["alerts"][0]["kind"], "repeated_denials");
  EXPECT_EQ(j["alerts"][0]["day"], "2026-11-27");
  EXPECT_EQ(j["alerts"][0]["count"], 7);
  EXPECT_EQ(j["alerts"][0]["threshold"], 5);
  EXPECT_EQ(j["incidents"], nlohmann::json::parse(R"([
      {"id": "inc_1", "discovered_at": "2026-11-20T00:00:00Z", "cause": "unauthorized_access",
       "affected_subjects": 1500, "reportable": true, "reports": [
         {"kind": "appi_preliminary", "due": "2026-11-25T00:00:00Z", "submitted": true,
          "overdue": false},
         {"kind": "tba_prompt", "due": "2026-11-26T00:00:00Z", "submitted": false,
          "overdue": true},
         {"kind": "appi_final", "due": "2027-01-19T00:00:00Z", "submitted": false,
          "overdue": false}]}])"));
  EXPECT_EQ(j["policy_versions"], nlohmann::json::parse(R"([
      {"version": 4, "loaded_at": "2026-11-10T00:00:00Z", "loaded_by": "admin:root",
       "changes": {"purposes": {"added": ["p:support"]}}}])"));
}

TEST(AuditReportJsonTest, EmptyReport) {
  const nlohmann::json j = AuditReportJson(AuditFacts{});
  EXPECT_TRUE(j["ledger"]["tree_head"].is_null());
  EXPECT_EQ(j["ledger"]["problems"], nlohmann::json::array());
  EXPECT_EQ(j["decisions"]["total"], 0);
  EXPECT_EQ(j["decisions"]["by_rule"], nlohmann::json::array());
  EXPECT_EQ(j["decisions"]["by_role"], nlohmann::json::array());
  EXPECT_EQ(j["alerts"], nlohmann::json::array());
  EXPECT_EQ(j["incidents"], nlohmann::json::array());
  EXPECT_EQ(j["requests"], nlohmann::json({{"tracked", false}}));
}

TEST(AuditReportJsonTest, RequestsAndComplaints) {
  AuditFacts facts;
  const absl::Time due = absl::FromUnixSeconds(1'795'000'000);
  facts.requests.tracked = true;
  facts.requests.received = 5;
  facts.requests.completed = 3;
  facts.requests.refused = 1;
  facts.requests.open = 2;
  facts.requests.overdue = {{"req_1", "disclosure", "verifying", due, std::nullopt}};
  facts.requests.answered_late = {{"req_2", "deletion", "completed", due, due + absl::Hours(3)}};
  facts.requests.complaints_received = 2;
  facts.requests.complaints_overdue = {{"cmp_1", "marketing", "received", due, std::nullopt}};
  const nlohmann::json j = AuditReportJson(facts);
  EXPECT_EQ(j["requests"], nlohmann::json::parse(R"({
      "tracked": true, "received": 5, "completed": 3, "refused": 1, "withdrawn": 0, "open": 2,
      "overdue": [{"id": "req_1", "kind": "disclosure", "status": "verifying",
                   "due": "2026-11-18T11:06:40Z", "answered_at": null}],
      "answered_late": [{"id": "req_2", "kind": "deletion", "status": "completed",
                         "due": "2026-11-18T11:06:40Z", "answered_at": "2026-11-18T14:06:40Z"}],
      "complaints": {"received": 2,
                     "overdue": [{"id": "cmp_1", "kind": "marketing", "status": "received",
                                  "due": "2026-11-18T11:06:40Z", "answered_at": null}],
                     "responded_late": []}})"));
  const std::string en = AuditReportHtml(facts, notice::Language::kEn);
  EXPECT_NE(en.find("5 received in the period"), std::string::npos);
  EXPECT_NE(en.find("req_2"), std::string::npos);
  EXPECT_EQ(en.find("not tracked"), std::string::npos);
  const std::string ja = AuditReportHtml(facts, notice::Language::kJa);
  EXPECT_NE(ja.find("期間中の受付 5 件"), std::string::npos);
}

size_t Count(const std::string& text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST(AuditReportHtmlTest, EscapesAndDrawsThreeCharts) {
  for (const notice::Language language : {notice::Language::kJa, notice::Language::kEn}) {
    const std::string html = AuditReportHtml(PreparedFacts(), language);
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(html.find("Print &amp; Mail"), std::string::npos);
    EXPECT_EQ(Count(html, "<svg"), 3u);
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    EXPECT_NE(html.find("@media print"), std::string::npos);
    EXPECT_TRUE(html.ends_with("</html>\n"));
    // One bar group per day, one mark per report deadline, overdue in red.
    EXPECT_NE(html.find("2026-11-27: "), std::string::npos);
    EXPECT_EQ(Count(html, "<circle"), 3u);
    EXPECT_EQ(Count(html, "r=\"6\" fill=\"#b3261e\""), 1u);  // the one overdue report
    EXPECT_NE(html.find("abababab"), std::string::npos);     // the root hash in hex
  }
  const std::string ja = AuditReportHtml(PreparedFacts(), notice::Language::kJa);
  EXPECT_NE(ja.find("<html lang=\"ja\">"), std::string::npos);
  EXPECT_NE(ja.find("内部監査報告書"), std::string::npos);
  EXPECT_NE(ja.find("請求と苦情の処理記録はまだ管理されていません。"), std::string::npos);
  const std::string en = AuditReportHtml(PreparedFacts(), notice::Language::kEn);
  EXPECT_NE(en.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(en.find("Internal audit report"), std::string::npos);
  // A Japanese value on the English page is marked as such.
  EXPECT_NE(en.find("<span lang=\"ja\">コールセンター株式会社</span>"), std::string::npos);
}

TEST(AuditReportHtmlTest, EmptyReportRendersCleanly) {
  const std::string ja = AuditReportHtml(AuditFacts{}, notice::Language::kJa);
  const std::string en = AuditReportHtml(AuditFacts{}, notice::Language::kEn);
  for (const std::string* html : {&ja, &en}) {
    EXPECT_EQ(Count(*html, "<svg"), 3u);
    EXPECT_EQ(Count(*html, "<table>"), Count(*html, "</table>"));
    EXPECT_EQ(Count(*html, "<section"), Count(*html, "</section>"));
    EXPECT_EQ(html->find("<rect"), std::string::npos);
    EXPECT_TRUE(html->ends_with("</html>\n"));
  }
  EXPECT_GE(Count(ja, "なし"), 10u);
  EXPECT_GE(Count(en, ">none<"), 10u);
}

// Snapshots of the prepared report, compared byte for byte with
// src/audit/testdata/. After an intended change, regenerate them with
// MAMORI_UPDATE_GOLDENS=1 (run build/src/audit/audit_test with it set), review
// the diff and commit them.
void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = policy::testing::SourceDir() + "/src/audit/testdata/" + name;
  const char* update = std::getenv("MAMORI_UPDATE_GOLDENS");
  if (update != nullptr && *update != '\0' && std::string_view(update) != "0") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << actual;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << path << " is missing; run with MAMORI_UPDATE_GOLDENS=1 to create it";
  const std::string expected(std::istreambuf_iterator<char>(in), {});
  EXPECT_EQ(actual, expected) << "the output differs from " << path
                              << "; if the change is intended, run with MAMORI_UPDATE_GOLDENS=1 "
                                 "and review the diff";
}

TEST(AuditReportSnapshotTest, Html) {
  ExpectGolden("report.ja.html", AuditReportHtml(PreparedFacts(), notice::Language::kJa));
  ExpectGolden("report.en.html", AuditReportHtml(PreparedFacts(), notice::Language::kEn));
  ExpectGolden("report.json", AuditReportJson(PreparedFacts()).dump(2) + "\n");
}

}  // namespace
}  // namespace mamori::audit
