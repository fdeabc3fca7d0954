// Retention: when a record's purposes stop keeping it (LEGAL.md, "Retention
// and erasure"; docs/retention.md).
//
// Each purpose a record was collected for names a retention rule: a period
// counted from an anchor event (collection, the end of the contract, the
// last use for that purpose). The purpose keeps the record until the end of
// the period's last calendar day in the operator's time zone; a purpose
// whose anchor has not happened yet (a contract still running) keeps it
// with no end. A record is due for erasure once no purpose keeps it, unless
// a legal hold on the subject (and category) keeps it past its deadline.
//
//   RecordFate fate = FateOf(policy, zone, facts, {.category = "pd:CallLog",
//                                                  .service = "mobile",
//                                                  .purposes = {"dpv:ServiceProvision"},
//                                                  .collected_at = t}, now);
//   if (fate.state == FateState::kDue) Erase(...);
//
// Thread-safety: pure functions of their arguments; call from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "policy/policy.h"

namespace mamori::retention {

// A legal hold as the sweep sees it.
struct Hold {
  std::string id;
  std::optional<std::string> category;  // nullopt: every category of the subject
  absl::Time until;
};

// What the sweep knows about one subject.
struct SubjectRetentionFacts {
  // When the contract ended, by service; "" for every service of the
  // subject (the customer left).
  absl::flat_hash_map<std::string, absl::Time> contract_ends;
  // The last allowed use of the subject's data, by purpose.
  absl::flat_hash_map<std::string, absl::Time> last_uses;
  std::vector<Hold> holds;  // in force or not; FateOf checks `until`
};

// The terms a record was collected under: everything but its value.
struct RecordTerms {
  std::string_view category;
  std::string_view service;
  const std::vector<std::string>* purposes = nullptr;
  absl::Time collected_at;
};

enum class FateState {
  kKept,  // a purpose still keeps it (`deadline` may be unknown yet)
  kDue,   // no purpose keeps it and no hold: erase now
  kHeld,  // due, but a legal hold keeps it (`hold_id`)
};
std::string_view FateStateName(FateState s);  // "kept", "due", "held"

struct RecordFate {
  FateState state = FateState::kKept;
  // When the last purpose stops keeping the record; nullopt while one of
  // its purposes waits for its anchor event.
  std::optional<absl::Time> deadline;
  std::string purpose;  // the purpose that keeps it longest ("" when unknown)
  std::string hold_id;  // kHeld only
};

// `period` after `from`, on the calendar of `zone`: the end of the last day
// of the period, i.e. the start of the following day. Months clamp to the
// month's last day (31 Jan + P1M is 28/29 Feb).
absl::Time EndOfPeriod(absl::Time from, const policy::Period& period, absl::TimeZone zone);

// When `purpose` stops keeping a record collected at `collected_at` through
// `service`; nullopt while its anchor has not happened. A purpose the policy
// does not declare keeps nothing (its deadline is `collected_at`).
std::optional<absl::Time> PurposeDeadline(const policy::Policy& policy, absl::TimeZone zone,
                                          const SubjectRetentionFacts& facts,
                                          std::string_view purpose, std::string_view service,
                                          absl::Time collected_at);

// True when every purpose keeps data for a period counted from collection:
// then a record's fate follows from its terms and collection time alone
// (and holds), its data key can be one per collection month, and its
// month's records can be erased together.
bool AllRetainedFromCollection(const policy::Policy& policy,
                               const std::vector<std::string>& purposes);

// The record's fate at `now`.
RecordFate FateOf(const policy::Policy& policy, absl::TimeZone zone,
                  const SubjectRetentionFacts& facts, const RecordTerms& record, absl::Time now);

}  // namespace mamori::retention
