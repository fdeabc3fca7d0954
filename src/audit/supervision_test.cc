// The supervision rules from tables: alert thresholds, training due, the
// access review.
#include "audit/supervision.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "audit/audit_test_util.h"
#include "common/time_format.h"

namespace mamori::audit {
namespace {

using testing::Actor;
using testing::Now;
using testing::TestPolicy;

constexpr absl::CivilDay kDay(2026, 11, 28);

int64_t DaysSinceEpoch(absl::CivilDay day) { return day - absl::CivilDay(1970, 1, 1); }

// --- Alerts ---

struct ExpectedAlert {
  std::string kind;
  int64_t count;
  int64_t threshold;
  std::string role;
};

struct AlertCase {
  std::string name;
  std::optional<std::vector<std::string>> roles;  // nullopt: the actor is unknown
  int64_t subjects;
  int64_t denials;
  std::vector<ExpectedAlert> expected;
};

TEST(FindAlertsTest, Table) {
  const std::vector<AlertCase> cases = {
      {"below threshold", std::vector<std::string>{"clerk"}, 199, 0, {}},
      {"at threshold", std::vector<std::string>{"clerk"}, 200, 0, {}},
      {"just above threshold",
       std::vector<std::string>{"clerk"},
       201,
       0,
       {{"bulk_access", 201, 200, "clerk"}}},
      {"lowest of several roles applies",
       std::vector<std::string>{"clerk", "analyst"},
       51,
       0,
       {{"bulk_access", 51, 50, "analyst"}}},
      {"at the lowest of several", std::vector<std::string>{"clerk", "analyst"}, 50, 0, {}},
      {"lowest ignores a role without one",
       std::vector<std::string>{"support", "clerk"},
       201,
       0,
       {{"bulk_access", 201, 200, "clerk"}}},
      {"no role sets a threshold", std::vector<std::string>{"support", "auditor"}, 100000, 0, {}},
      {"role not in the policy", std::vector<std::string>{"removed"}, 100000, 0, {}},
      {"denials below", std::vector<std::string>{"clerk"}, 0, 4, {}},
      {"denials at", std::vector<std::string>{"clerk"}, 0, 5, {{"repeated_denials", 5, 5, ""}}},
      {"denials above", std::vector<std::string>{"clerk"}, 0, 6, {{"repeated_denials", 6, 5, ""}}},
      {"both",
       std::vector<std::string>{"analyst"},
       60,
       7,
       {{"bulk_access", 60, 50, "analyst"}, {"repeated_denials", 7, 5, ""}}},
      {"unknown actor: denials only", std::nullopt, 100000, 5, {{"repeated_denials", 5, 5, ""}}},
      {"unknown actor, few denials", std::nullopt, 100000, 4, {}},
  };
  const policy::Policy policy = TestPolicy();
  for (const AlertCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<store::ActorRow> actors = {Actor("emp:other", {"analyst"})};
    if (c.roles) actors.push_back(Actor("emp:sato", *c.roles));
    const std::vector<store::ActorDayRow> days = {store::ActorDayRow{.actor = "emp:sato",
                                                                     .day = DaysSinceEpoch(kDay),
                                                                     .subjects = c.subjects,
                                                                     .denials = c.denials}};
    const std::vector<Alert> alerts = FindAlerts(policy, actors, days, kDefaultDenialsPerDay);
    ASSERT_EQ(alerts.size(), c.expected.size());
    for (size_t i = 0; i < alerts.size(); ++i) {
      EXPECT_EQ(alerts[i].actor, "emp:sato");
      EXPECT_EQ(alerts[i].day, kDay);
      EXPECT_EQ(alerts[i].kind, c.expected[i].kind);
      EXPECT_EQ(alerts[i].count, c.expected[i].count);
      EXPECT_EQ(alerts[i].threshold, c.expected[i].threshold);
      EXPECT_EQ(alerts[i].role, c.expected[i].role);
      EXPECT_EQ(alerts[i].id, AlertId(c.expected[i].kind, "emp:sato", kDay));
    }
  }
}

TEST(FindAlertsTest, DenialThresholdIsAParameter) {
  const std::vector<store::ActorDayRow> days = {store::ActorDayRow{
      .actor = "emp:sato", .day = DaysSinceEpoch(kDay), .subjects = 0, .denials = 2}};
  EXPECT_TRUE(FindAlerts(TestPolicy(), {}, days).empty());
  const std::vector<Alert> alerts = FindAlerts(TestPolicy(), {}, days, 2);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].threshold, 2);
}

TEST(FindAlertsTest, SortedByDayThenActorThenKind) {
  const std::vector<store::ActorRow> actors = {Actor("emp:a", {"analyst"}),
                                               Actor("emp:b", {"analyst"})};
  const std::vector<store::ActorDayRow> days = {
      {.actor = "emp:b", .day = DaysSinceEpoch(kDay), .subjects = 51, .denials = 0},
      {.actor = "emp:a", .day = DaysSinceEpoch(kDay), .subjects = 0, .denials = 9},
      {.actor = "emp:b", .day = DaysSinceEpoch(kDay) - 1, .subjects = 51, .denials = 9},
  };
  const std::vector<Alert> alerts = FindAlerts(TestPolicy(), actors, days);
  ASSERT_EQ(alerts.size(), 4u);
  EXPECT_EQ(alerts[0].day, kDay - 1);
  EXPECT_EQ(alerts[0].kind, "bulk_access");
  EXPECT_EQ(alerts[1].day, kDay - 1);
  EXPECT_EQ(alerts[1].kind, "repeated_denials");
  EXPECT_EQ(alerts[2].actor, "emp:a");
  EXPECT_EQ(alerts[3].actor, "emp:b");
}

TEST(FindAlertsTest, DayCountsFromTheEpoch) {
  EXPECT_EQ(DayOf(0), absl::CivilDay(1970, 1, 1));
  EXPECT_EQ(DayOf(DaysSinceEpoch(kDay)), kDay);
}

TEST(AlertIdTest, DeterministicAndUrlSafe) {
  const std::string id = AlertId("bulk_access", "emp:<script>/?#", kDay);
  EXPECT_TRUE(std::regex_match(id, std::regex("alr_bulk_access_[0-9a-f]{16}_20261128"))) << id;
  EXPECT_EQ(id, AlertId("bulk_access", "emp:<script>/?#", kDay));
  EXPECT_NE(AlertId("bulk_access", "emp:a", kDay), AlertId("bulk_access", "emp-a", kDay));
  EXPECT_NE(AlertId("bulk_access", "emp:a", kDay), AlertId("repeated_denials", "emp:a", kDay));
  EXPECT_NE(AlertId("bulk_access", "emp:a", kDay), AlertId("bulk_access", "emp:a", kDay + 1));
}

TEST(AlertJsonTest, Keys) {
  const Alert a{.id = "alr_x",
                .actor = "emp:sato",
                .kind = "bulk_access",
                .day = kDay,
                .count = 201,
                .threshold = 200,
                .role = "clerk"};
  EXPECT_EQ(AlertJson(a), nlohmann::json({{"id", "alr_x"},
                                          {"actor", "emp:sato"},
                                          {"kind", "bulk_access"},
                                          {"day", "2026-11-28"},
                                          {"count", 201},
                                          {"threshold", 200},
                                          {"role", "clerk"}}));
}

// --- Training ---

store::TrainingRow Completed(std::string course, absl::Time at) {
  return store::TrainingRow{.actor_id = "emp:sato",
                            .course = std::move(course),
                            .completed_at = at,
                            .recorded_at = at,
                            .recorded_by = "admin:root"};
}

absl::Duration Days(int64_t n) { return absl::Hours(24 * n); }

struct TrainingCase {
  std::string name;
  std::vector<store::TrainingRow> trainings;
  std::string expected_status;  // "" = not listed
  std::optional<absl::Time> expected_valid_until;
};

TEST(TrainingDueTest, Table) {
  const absl::Time now = Now();
  const std::vector<TrainingCase> cases = {
      {"never completed", {}, "missing", std::nullopt},
      {"another course only", {Completed("privacy", now - Days(1))}, "missing", std::nullopt},
      {"completed in the future only",
       {Completed("secrecy", now + Days(1))},
       "missing",
       std::nullopt},
      {"expired long ago", {Completed("secrecy", now - Days(400))}, "expired", now + Days(-35)},
      {"expires exactly now", {Completed("secrecy", now - Days(365))}, "expired", now},
      {"expires in a second",
       {Completed("secrecy", now - Days(365) + absl::Seconds(1))},
       "due_soon",
       now + absl::Seconds(1)},
      {"due in exactly 30 days",
       {Completed("secrecy", now - Days(335))},
       "due_soon",
       now + Days(30)},
      {"due in 30 days and a second",
       {Completed("secrecy", now - Days(335) + absl::Seconds(1))},
       "",
       std::nullopt},
      {"fine", {Completed("secrecy", now - Days(1))}, "", std::nullopt},
      {"the latest completion counts",
       {Completed("secrecy", now - Days(1)), Completed("secrecy", now - Days(400))},
       "",
       std::nullopt},
      {"a future completion does not count",
       {Completed("secrecy", now - Days(400)), Completed("secrecy", now + Days(1))},
       "expired",
       now - Days(35)},
  };
  const policy::Policy policy = TestPolicy();
  for (const TrainingCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<TrainingStatus> due =
        TrainingDue(policy, {Actor("emp:sato", {"clerk"})}, {{"emp:sato", c.trainings}}, now);
    if (c.expected_status.empty()) {
      EXPECT_TRUE(due.empty());
      continue;
    }
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].actor, "emp:sato");
    EXPECT_EQ(due[0].course, "secrecy");
    EXPECT_EQ(due[0].status, c.expected_status);
    EXPECT_EQ(due[0].valid_until, c.expected_valid_until);
    EXPECT_THAT(due[0].roles, ::testing::ElementsAre("clerk"));
  }
}

TEST(TrainingDueTest, CoursesOfSeveralRolesInOrderWithTheirRoles) {
  const absl::Time now = Now();
  // analyst requires privacy then secrecy; clerk requires secrecy; ghost a
  // course the policy lacks.
  const std::vector<store::ActorRow> actors = {Actor("emp:sato", {"clerk", "analyst", "ghost"}),
                                               Actor("emp:suzuki", {"auditor"})};
  const std::vector<TrainingStatus> due =
      TrainingDue(TestPolicy(), actors,
                  {{"emp:sato", {Completed("privacy", now - Days(170))}},
                   {"emp:nobody", {Completed("privacy", now)}}},
                  now);
  ASSERT_EQ(due.size(), 3u);
  EXPECT_EQ(due[0].course, "secrecy");
  EXPECT_EQ(due[0].status, "missing");
  EXPECT_THAT(due[0].roles, ::testing::ElementsAre("clerk", "analyst"));
  EXPECT_EQ(due[1].course, "privacy");
  EXPECT_EQ(due[1].status, "due_soon");
  EXPECT_EQ(due[1].valid_until, now + Days(10));
  EXPECT_THAT(due[1].roles, ::testing::ElementsAre("analyst"));
  EXPECT_EQ(due[2].course, "nonexistent");
  EXPECT_EQ(due[2].status, "missing");
  EXPECT_THAT(due[2].roles, ::testing::ElementsAre("ghost"));
}

TEST(TrainingDueTest, Json) {
  const TrainingStatus s{.actor = "emp:sato",
                         .course = "secrecy",
                         .valid_until = Now(),
                         .status = "expired",
                         .roles = {"clerk"}};
  EXPECT_EQ(TrainingStatusJson(s), nlohmann::json({{"actor", "emp:sato"},
                                                   {"course", "secrecy"},
                                                   {"valid_until", "2026-11-28T03:00:00Z"},
                                                   {"status", "expired"},
                                                   {"roles", {"clerk"}}}));
  TrainingStatus missing = s;
  missing.valid_until = std::nullopt;
  EXPECT_TRUE(TrainingStatusJson(missing)["valid_until"].is_null());
}

// --- Access review ---

store::UseCount LastUse(std::string actor, std::string purpose, std::string category,
                        absl::Time at) {
  return store::UseCount{
      .key = std::move(actor), .key2 = purpose + "\n" + category, .count = absl::ToUnixMicros(at)};
}

struct ReviewCase {
  std::string name;
  std::string role;
  absl::Time actor_created_at;
  std::vector<store::UseCount> last_uses;
  std::optional<absl::Time> expected_last_use;
  bool expected_judged;
  bool expected_flag;
};

TEST(ReviewAccessTest, Table) {
  const absl::Time now = Now();
  const absl::Time old = now - Days(365);
  const std::vector<ReviewCase> cases = {
      {"used 89 days ago",
       "clerk",
       old,
       {LastUse("emp:sato", "p:billing", "pd:Phone", now - Days(89))},
       now - Days(89),
       true,
       false},
      {"used 91 days ago",
       "clerk",
       old,
       {LastUse("emp:sato", "p:billing", "pd:CallLog", now - Days(91))},
       now - Days(91),
       true,
       true},
      {"used exactly 90 days ago",
       "clerk",
       old,
       {LastUse("emp:sato", "p:billing", "pd:Phone", now - Days(90))},
       now - Days(90),
       true,
       true},
      {"the latest use counts",
       "clerk",
       old,
       {LastUse("emp:sato", "p:billing", "pd:Phone", now - Days(200)),
        LastUse("emp:sato", "p:billing", "pd:CallLog", now - Days(3))},
       now - Days(3),
       true,
       false},
      {"never used", "clerk", old, {}, std::nullopt, true, true},
      {"a category the role lacks does not count",
       "analyst",
       old,
       {LastUse("emp:sato", "p:marketing", "pd:CallLog", now - Days(1))},
       std::nullopt,
       true,
       true},
      {"a purpose the role lacks does not count",
       "analyst",
       old,
       {LastUse("emp:sato", "p:billing", "pd:Phone", now - Days(1))},
       std::nullopt,
       true,
       true},
      {"another actor's use does not count",
       "clerk",
       old,
       {LastUse("emp:other", "p:billing", "pd:Phone", now - Days(1))},
       std::nullopt,
       true,
       true},
      {"a malformed key is ignored",
       "clerk",
       old,
       {store::UseCount{.key = "emp:sato", .key2 = "p:billing", .count = 1}},
       std::nullopt,
       true,
       true},
      {"young actor never used", "clerk", now - Days(10), {}, std::nullopt, true, false},
      {"actor exactly 90 days old", "clerk", now - Days(90), {}, std::nullopt, true, true},
      {"permission-only role", "auditor", old, {}, std::nullopt, false, false},
      {"role not in the policy", "removed", old, {}, std::nullopt, false, true},
  };
  const policy::Policy policy = TestPolicy();
  for (const ReviewCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<RoleReview> review =
        ReviewAccess(policy, {Actor("emp:sato", {c.role}, c.actor_created_at)}, c.last_uses, now);
    ASSERT_EQ(review.size(), 1u);
    EXPECT_EQ(review[0].actor, "emp:sato");
    EXPECT_EQ(review[0].role, c.role);
    EXPECT_EQ(review[0].last_use, c.expected_last_use);
    EXPECT_EQ(review[0].judged_by_uses, c.expected_judged);
    EXPECT_EQ(review[0].flag_for_removal, c.expected_flag);
  }
}

TEST(ReviewAccessTest, EveryRoleOfEveryActorInOrder) {
  const absl::Time now = Now();
  const std::vector<RoleReview> review = ReviewAccess(
      TestPolicy(), {Actor("emp:a", {"support", "auditor"}), Actor("emp:b", {"clerk"})},
      {LastUse("emp:a", "p:support", "pd:Phone", now - Days(5))}, now);
  ASSERT_EQ(review.size(), 3u);
  EXPECT_EQ(review[0].role, "support");
  EXPECT_FALSE(review[0].flag_for_removal);
  EXPECT_EQ(review[1].role, "auditor");
  EXPECT_EQ(review[2].actor, "emp:b");
  EXPECT_TRUE(review[2].flag_for_removal);
  EXPECT_EQ(RoleReviewJson(review[0]),
            nlohmann::json({{"actor", "emp:a"},
                            {"role", "support"},
                            {"last_use", common::FormatTimestamp(now - Days(5))},
                            {"judged_by_uses", true},
                            {"flag_for_removal", false}}));
  EXPECT_TRUE(RoleReviewJson(review[1])["last_use"].is_null());
}

}  // namespace
}  // namespace mamori::audit
