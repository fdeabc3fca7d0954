// Tests of supervision and the internal-audit report in the engine
// (engine/supervision.cc) on prepared data sets and the fake clock: an
// actor's statistics, alert thresholds (and an incident opened from an
// alert), training due, access review, and every section of the audit
// report, including verification from the last verified head.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

#include "audit/report.h"
#include "engine/engine.h"
#include "engine/engine_test_fixture.h"

namespace mamori::engine {
namespace {

using ::testing::Contains;
using ::testing::Field;

constexpr char kOfficer[] = "emp:officer";  // privacy-officer

class SupervisionEngineTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(AddUsualStaff());
    ASSERT_NO_FATAL_FAILURE(
        AddStaff(kOfficer, {"privacy-officer"}, {"privacy-annual", "secrecy-annual", "my-number"}));
  }

  // `n` customers with a name only.
  std::vector<std::string> AddNamedCustomers(int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      vault::SubjectIdentifiers identifiers;
      identifiers.phone = fmt::format("090-1000-{:04d}", i);
      ids.push_back(ValueOf(engine_->AddSubject(
          kAdmin, identifiers,
          {{.category = "pd:Name", .service = "mobile", .value = fmt::format("顧客 {}", i)}})));
    }
    return ids;
  }

  Outcome ReadName(const std::string& actor, const std::string& subject,
                   std::string purpose = "dpv:CustomerCare") {
    return ValueOf(engine_->Read(Use(actor, std::move(purpose), subject, {"pd:Name"})))
        .decision.outcome;
  }

  absl::Time DayStart() {
    const absl::TimeZone tokyo = ValueOf(incident::OperatorTimeZone(dir_->policy()));
    return absl::FromCivil(absl::ToCivilDay(clock_.Now(), tokyo), tokyo);
  }
};

TEST_F(SupervisionEngineTest, ActivityCountsUsesSubjectsCategoriesAndDenials) {
  const std::vector<std::string> customers = AddNamedCustomers(2);
  const absl::Time from = clock_.Now();
  ASSERT_EQ(ReadName(kAgent, customers[0]), Outcome::kAllow);
  ASSERT_EQ(ReadName(kAgent, customers[0]), Outcome::kAllow);
  ASSERT_EQ(ReadName(kAgent, customers[1]), Outcome::kAllow);
  ASSERT_EQ(ReadName(kAgent, customers[1], "dpv:Marketing"), Outcome::kDeny);
  ASSERT_EQ(ReadName(kMarketer, customers[1], "dpv:CustomerCare"), Outcome::kDeny);  // not kAgent

  ActorActivity a = ValueOf(engine_->ActivityOf(kAgent, from, clock_.Now() + absl::Seconds(1)));
  EXPECT_EQ(a.decisions, 4);
  EXPECT_EQ(a.allowed, 3);
  EXPECT_EQ(a.denied, 1);
  EXPECT_EQ(a.subjects_touched, 2);
  ASSERT_EQ(a.by_category.size(), 1u);
  EXPECT_EQ(a.by_category[0].key, "pd:Name");
  EXPECT_EQ(a.by_category[0].count, 3);
  ASSERT_EQ(a.denials.size(), 1u);
  EXPECT_EQ(a.by_purpose.size(), 2u);
  EXPECT_EQ(engine_->ActivityOf(kAgent, from, from).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SupervisionEngineTest, BulkAccessAboveTheRolesThresholdRaisesAnAlertThatOpensAnIncident) {
  // The call-center agent's role allows 60 subjects a day.
  const std::vector<std::string> customers = AddNamedCustomers(61);
  const absl::Time day = DayStart();
  for (int i = 0; i < 60; ++i) ASSERT_EQ(ReadName(kAgent, customers[i]), Outcome::kAllow);
  EXPECT_TRUE(ValueOf(engine_->Alerts(day, day + absl::Hours(24))).empty());
  ASSERT_EQ(ReadName(kAgent, customers[60]), Outcome::kAllow);
  std::vector<audit::Alert> alerts = ValueOf(engine_->Alerts(day, day + absl::Hours(24)));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].actor, kAgent);
  EXPECT_EQ(alerts[0].kind, audit::kBulkAccess);
  EXPECT_EQ(alerts[0].count, 61);
  EXPECT_EQ(alerts[0].threshold, 60);
  EXPECT_EQ(alerts[0].role, "call-center-agent");

  IncidentView view = ValueOf(engine_->OpenIncidentFromAlert(
      kOfficer, alerts[0].id, incident::Cause::kInsider, "bulk access by an agent"));
  EXPECT_EQ(view.facts.affected.subjects, 61);
  ASSERT_EQ(view.scope.actors.size(), 1u);
  EXPECT_EQ(view.scope.actors[0].actor, kAgent);
  EXPECT_EQ(view.scope.actors[0].from, day);
  EXPECT_EQ(view.scope.actors[0].to, day + absl::Hours(24));
  EXPECT_TRUE(view.row.suspected);
  EXPECT_EQ(engine_
                ->OpenIncidentFromAlert(kOfficer, "alr_bulk_access_0000000000000000_20260401",
                                        incident::Cause::kInsider, "x")
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SupervisionEngineTest, RepeatedDenialsRaiseAnAlert) {
  const std::vector<std::string> customers = AddNamedCustomers(1);
  const absl::Time day = DayStart();
  for (int i = 0; i < 4; ++i) ASSERT_EQ(ReadName(kMarketer, customers[0]), Outcome::kDeny);
  EXPECT_TRUE(ValueOf(engine_->Alerts(day, day + absl::Hours(24))).empty());
  ASSERT_EQ(ReadName(kMarketer, customers[0]), Outcome::kDeny);
  std::vector<audit::Alert> alerts = ValueOf(engine_->Alerts(day, day + absl::Hours(24)));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, audit::kRepeatedDenials);
  EXPECT_EQ(alerts[0].count, 5);
}

TEST_F(SupervisionEngineTest, TrainingDueListsMissingAndExpiringCourses) {
  // The billing clerk lacks the secrecy course its role requires.
  std::vector<audit::TrainingStatus> due = ValueOf(engine_->TrainingDue());
  EXPECT_THAT(due, Contains(AllOf(Field(&audit::TrainingStatus::actor, kClerk),
                                  Field(&audit::TrainingStatus::course, "secrecy-annual"),
                                  Field(&audit::TrainingStatus::status, audit::kTrainingMissing))));
  for (const audit::TrainingStatus& t : due) EXPECT_NE(t.actor, kAgent);
  // Trained a day before T0, valid 365 days: due soon 340 days on.
  clock_.Advance(absl::Hours(24 * 340));
  due = ValueOf(engine_->TrainingDue());
  EXPECT_THAT(due, Contains(AllOf(Field(&audit::TrainingStatus::actor, kAgent),
                                  Field(&audit::TrainingStatus::status, audit::kTrainingDueSoon))));
  clock_.Advance(absl::Hours(24 * 30));
  due = ValueOf(engine_->TrainingDue());
  EXPECT_THAT(due, Contains(AllOf(Field(&audit::TrainingStatus::actor, kAgent),
                                  Field(&audit::TrainingStatus::status, audit::kTrainingExpired))));
}

TEST_F(SupervisionEngineTest, AccessReviewFlagsRolesUnusedForNinetyDays) {
  const std::vector<std::string> customers = AddNamedCustomers(1);
  clock_.Advance(absl::Hours(24 * 60));
  ASSERT_EQ(ReadName(kAgent, customers[0]), Outcome::kAllow);
  clock_.Advance(absl::Hours(24 * 40));  // agent used 40 days ago; the others never
  std::vector<audit::RoleReview> review = ValueOf(engine_->ReviewAccess());
  bool agent_seen = false, clerk_seen = false;
  for (const audit::RoleReview& r : review) {
    if (r.actor == kAgent) {
      agent_seen = true;
      EXPECT_FALSE(r.flag_for_removal);
      ASSERT_TRUE(r.last_use.has_value());
    }
    if (r.actor == kClerk) {
      clerk_seen = true;
      EXPECT_TRUE(r.flag_for_removal);
    }
    if (r.actor == kOfficer) {
      EXPECT_FALSE(r.judged_by_uses);
    }
  }
  EXPECT_TRUE(agent_seen);
  EXPECT_TRUE(clerk_seen);
}

TEST_F(SupervisionEngineTest, AuditReportCoversEverySectionAndVerifiesFromTheLastHead) {
  const absl::Time from = T0() - absl::Hours(1);
  const std::vector<std::string> customers = AddNamedCustomers(2);
  ASSERT_EQ(ReadName(kAgent, customers[0]), Outcome::kAllow);
  ASSERT_EQ(ReadName(kMarketer, customers[0]), Outcome::kDeny);
  UseRequest grounded = Use(kAgent, "dpv:CustomerCare", customers[1], {"pd:Name"});
  grounded.ground = policy::Ground::kLaw;
  grounded.reason = kReason;
  ASSERT_TRUE(engine_->Decide(grounded).ok());
  IncidentScope scope;
  scope.subjects = {customers[0]};
  IncidentSpec spec;
  spec.discovered_at = clock_.Now();
  spec.cause = incident::Cause::kUnauthorizedAccess;
  spec.description = "web skimming";
  spec.scope = scope;
  IncidentView incident = ValueOf(engine_->OpenIncident(kOfficer, spec));
  ASSERT_TRUE(engine_->LoadPolicy(kAdmin, SecondPolicyText(), "v2.toml").ok());
  ASSERT_TRUE(engine_->SignHead().ok());
  clock_.Advance(absl::Hours(1));

  audit::AuditFacts r = ValueOf(engine_->AuditReport(from, clock_.Now()));
  EXPECT_TRUE(r.ledger.verified);
  EXPECT_EQ(r.ledger.verified_from, 0);
  ASSERT_TRUE(r.ledger.tree_head.has_value());
  EXPECT_EQ(r.ledger.entries, Entries());
  int64_t allowed = 0, denied = 0;
  for (const store::UseCount& c : r.decisions.by_rule)
    (c.key2 == "allow" ? allowed : denied) += c.count;
  EXPECT_EQ(allowed, 2);  // the read and the grounded decide
  EXPECT_EQ(denied, 1);
  ASSERT_EQ(r.decisions.by_day.size(), 1u);
  EXPECT_EQ(r.decisions.by_day[0].allowed, 2);
  EXPECT_EQ(r.decisions.by_role["call-center-agent"], 2);
  ASSERT_EQ(r.exception_uses.size(), 1u);
  EXPECT_EQ(r.exception_uses[0].ground, "law");
  EXPECT_EQ(r.exception_uses[0].subject, customers[1]);
  ASSERT_EQ(r.incidents.size(), 1u);
  EXPECT_EQ(r.incidents[0].id, incident.row.id);
  EXPECT_TRUE(r.incidents[0].reportable);
  EXPECT_FALSE(r.incidents[0].reports.empty());
  // Version 1 (at init, T0) and version 2, with its changes.
  ASSERT_EQ(r.policy_versions.size(), 2u);
  EXPECT_EQ(r.policy_versions[0].version, 1);
  EXPECT_TRUE(r.policy_versions[0].changes.is_null());
  EXPECT_EQ(r.policy_versions[1].version, 2);
  EXPECT_TRUE(r.policy_versions[1].changes.is_object());
  EXPECT_FALSE(r.trustees.empty());
  EXPECT_THAT(r.training, Contains(Field(&audit::TrainingStatus::actor, kClerk)));
  EXPECT_EQ(r.retention.records_past_retention, 0);
  json shown = audit::AuditReportJson(r);
  EXPECT_EQ(shown["ledger"]["verified"], true);
  EXPECT_EQ(shown["decisions"]["total"], 3);
  // No personal value in the report.
  const std::string text = shown.dump();
  EXPECT_EQ(text.find("顧客"), std::string::npos);
  EXPECT_EQ(text.find(kReason), std::string::npos);
  EXPECT_EQ(text.find("web skimming"), std::string::npos);

  // The next report starts from the head this one verified.
  const int64_t verified_head = r.ledger.tree_head->tree_size;
  ASSERT_EQ(ReadName(kAgent, customers[1]), Outcome::kAllow);
  ASSERT_TRUE(engine_->SignHead().ok());
  audit::AuditFacts next = ValueOf(engine_->AuditReport(from, clock_.Now() + absl::Seconds(1)));
  EXPECT_TRUE(next.ledger.verified);
  EXPECT_EQ(next.ledger.verified_from, verified_head);

  // Records past retention: a call record is kept three months.
  vault::SubjectIdentifiers caller;
  caller.phone = "090-5555-0000";
  ASSERT_TRUE(engine_
                  ->AddSubject(kAdmin, caller,
                               {{.category = "pd:CallLog",
                                 .service = "mobile",
                                 .value = "2026-04-01T08:15:00+09:00 to +81312345678 184s"}})
                  .ok());
  clock_.Advance(absl::Hours(24 * 200));
  audit::AuditFacts later = ValueOf(engine_->AuditReport(from, clock_.Now()));
  EXPECT_GT(later.retention.records_past_retention, 0);
  EXPECT_EQ(engine_->AuditReport(from, from).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SupervisionEngineTest, AuditReportFindsAnEntryChangedAfterTheLastVerifiedHead) {
  const std::vector<std::string> customers = AddNamedCustomers(1);
  ASSERT_TRUE(engine_->SignHead().ok());
  ASSERT_TRUE(ValueOf(engine_->AuditReport(T0() - absl::Hours(1), clock_.Now() + absl::Seconds(1)))
                  .ledger.verified);
  ASSERT_EQ(ReadName(kAgent, customers[0]), Outcome::kAllow);
  ASSERT_TRUE(engine_->SignHead().ok());
  const int64_t last = Entries() - 1;
  ASSERT_NO_FATAL_FAILURE(StopEngine());
  {
    // Rewrite the last entry in place (the writer is stopped).
    std::optional<store::LedgerEntryRow> row = ValueOf(ledger().GetEntry(last));
    ASSERT_TRUE(row.has_value());
    std::string changed = row->entry;
    changed.replace(changed.find("\"read\""), 6, "\"xead\"");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((std::filesystem::path(data_dir_) / "records.db").c_str(), &db),
              SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE ledger_entries SET entry = ? WHERE seq = ?", -1, &stmt,
                                 nullptr),
              SQLITE_OK);
    sqlite3_bind_blob(stmt, 1, changed.data(), static_cast<int>(changed.size()), SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, last);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }
  ASSERT_NO_FATAL_FAILURE(StartEngine());
  audit::AuditFacts r =
      ValueOf(engine_->AuditReport(T0() - absl::Hours(1), clock_.Now() + absl::Seconds(1)));
  EXPECT_FALSE(r.ledger.verified);
  EXPECT_FALSE(r.ledger.problems.empty());
}

}  // namespace
}  // namespace mamori::engine
