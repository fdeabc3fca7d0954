// Supervision of employees (APPI Art. 24; LEGAL.md, "Security measures"):
// the rules that turn facts the engine gathers from the store into alerts
// (bulk access, repeated denials), training due, and the periodic review of
// who holds which role. Pure functions: no clock, no store, no I/O; the
// engine passes "now" and the rows.
//
//   std::vector<Alert> alerts = FindAlerts(policy, actors, days, kDefaultDenialsPerDay);
//   std::vector<TrainingStatus> due = TrainingDue(policy, actors, trainings, now);
//   std::vector<RoleReview> review = ReviewAccess(policy, actors, last_uses, now);
//
// Every result holds actor, role and course ids and counts only: never a
// personal value.
//
// Thread-safety: the functions are pure and may run on any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "policy/policy.h"
#include "store/store.h"

namespace mamori::audit {

// Denials per actor and day from which an alert is raised, when the engine
// has no other value. The policy file has no setting for it yet: the engine
// passes this constant (or its own) to FindAlerts.
inline constexpr int64_t kDefaultDenialsPerDay = 5;

// Alert kinds.
inline constexpr std::string_view kBulkAccess = "bulk_access";
inline constexpr std::string_view kRepeatedDenials = "repeated_denials";

// Something a supervisor should look at: an actor's activity on one day of
// the operator's zone that crossed a threshold.
struct Alert {
  // "alr_" + kind + "_" + the first 16 hex digits of SHA-256(actor) + "_" +
  // YYYYMMDD (AlertId): deterministic, so the same facts give the same id
  // on every run, and URL-safe whatever characters the actor id has.
  std::string id;
  std::string actor;
  std::string kind;  // kBulkAccess or kRepeatedDenials
  absl::CivilDay day;
  int64_t count = 0;      // subjects touched (bulk access) or denials that day
  int64_t threshold = 0;  // the threshold that applied
  std::string role;       // the role whose threshold applied; "" for denials
};

// The alert id of `kind` for `actor` on `day` (see Alert::id).
std::string AlertId(std::string_view kind, std::string_view actor, absl::CivilDay day);

// The day an ActorDayRow counts (days since 1970-01-01 in the operator's zone).
absl::CivilDay DayOf(int64_t days_since_epoch);

// Alerts for each actor and day of `days`:
//   - bulk_access when the distinct subjects touched that day exceed the
//     lowest `bulk_access_threshold` among the actor's roles that set one
//     (no such role, or an actor not in `actors`: no bulk alert);
//   - repeated_denials when the denials that day are at least
//     `denial_threshold` (and at least one), for every actor, known or
//     not (a stranger being denied is exactly what to look at).
// Sorted by day, then actor, then kind.
std::vector<Alert> FindAlerts(const policy::Policy& policy,
                              const std::vector<store::ActorRow>& actors,
                              const std::vector<store::ActorDayRow>& days,
                              int64_t denial_threshold = kDefaultDenialsPerDay);

// Training statuses.
inline constexpr std::string_view kTrainingMissing = "missing";
inline constexpr std::string_view kTrainingExpired = "expired";
inline constexpr std::string_view kTrainingDueSoon = "due_soon";

// A course an actor's roles require that is not, or soon will not be, valid.
struct TrainingStatus {
  std::string actor;
  std::string course;
  // The latest completion (at or before now) plus the course's valid_days;
  // nullopt when never completed (or the course is not in the policy).
  std::optional<absl::Time> valid_until;
  std::string status;              // kTrainingMissing, kTrainingExpired, kTrainingDueSoon
  std::vector<std::string> roles;  // the actor's roles that require the course
};

// For every course some role of each actor requires, judged as the
// decision engine judges training (policy/decision.cc): the latest
// completion at or before `now` counts, and the course is valid while
// now < completed_at + valid_days × 24 h.
//   - missing: no completion (or the course is not in the policy);
//   - expired: valid_until <= now;
//   - due_soon: now < valid_until <= now + soon.
// Courses valid beyond `soon` are not listed. Actors in the order given,
// courses in the order the actor's roles name them first.
std::vector<TrainingStatus> TrainingDue(
    const policy::Policy& policy, const std::vector<store::ActorRow>& actors,
    const std::map<std::string, std::vector<store::TrainingRow>>& trainings_by_actor,
    absl::Time now, absl::Duration soon = absl::Hours(24 * 30));

// One role of one actor in the periodic access review (least privilege with
// regular review).
struct RoleReview {
  std::string actor;
  std::string role;
  // The latest allowed use the role covers; nullopt when none (or when the
  // role is not judged by uses).
  std::optional<absl::Time> last_use;
  // False for a role uses can't judge: a permission-only role (no
  // purposes), or a role the policy no longer has.
  bool judged_by_uses = true;
  bool flag_for_removal = false;
};

// For every role of every actor: the latest use the role covers — a use of
// a purpose in the role's purposes and a category in its categories — from
// `last_uses` (UseIndexStore::LastUses: key = actor, key2 = purpose + "\n" +
// category, count = unix micros of the latest allowed use).
// flag_for_removal when
//   - the role is judged by uses, has not been used since now - unused
//     (last use at or before it, or none), and the actor was created at or
//     before now - unused (a younger actor has not had the time); or
//   - the policy no longer has the role (judged_by_uses = false).
// Permission-only roles are listed with judged_by_uses = false and never
// flagged. Actors in the order given, roles in the actor's order.
std::vector<RoleReview> ReviewAccess(const policy::Policy& policy,
                                     const std::vector<store::ActorRow>& actors,
                                     const std::vector<store::UseCount>& last_uses, absl::Time now,
                                     absl::Duration unused = absl::Hours(24 * 90));

// JSON views, snake_case keys; days "YYYY-MM-DD", times RFC 3339 (UTC), an
// absent time null.
//   {"id", "actor", "kind", "day", "count", "threshold", "role"}
nlohmann::json AlertJson(const Alert& alert);
//   {"actor", "course", "valid_until", "status", "roles"}
nlohmann::json TrainingStatusJson(const TrainingStatus& status);
//   {"actor", "role", "last_use", "judged_by_uses", "flag_for_removal"}
nlohmann::json RoleReviewJson(const RoleReview& review);

// "YYYY-MM-DD".
std::string FormatDay(absl::CivilDay day);

}  // namespace mamori::audit
