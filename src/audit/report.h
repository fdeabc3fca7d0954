// The internal-audit report (APPI Art. 23–25; LEGAL.md, "Security
// measures"): what the ledger's verification found, the decisions of a
// period by rule, day and role, the uses on exception grounds, trustee
// supervision, records past retention, training, supervision alerts,
// incidents with their report deadlines and the policy versions loaded. As
// JSON (the staff console reads it) and as a printable HTML page in
// Japanese or English with three inline SVG charts.
//
// Pure: the engine gathers the facts from the store into an AuditFacts;
// these functions only render them. Ids and counts only, never a personal
// value.
//
//   AuditFacts facts = ...;  // filled by the engine
//   nlohmann::json j = AuditReportJson(facts);
//   std::string page = AuditReportHtml(facts, notice::Language::kJa);
//
// Thread-safety: the functions are pure and may run on any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "audit/supervision.h"
#include "nlohmann/json.hpp"
#include "notice/notice.h"
#include "store/store.h"

namespace mamori::audit {

// What the ledger verification of the report found.
struct LedgerFacts {
  bool verified = false;
  int64_t entries = 0;
  // The signed tree head the verification covered; nullopt when none has
  // been signed yet. The signature is not shown.
  std::optional<store::TreeHeadRow> tree_head;
  // The tree size this verification started from (the head the last full
  // verification covered); 0 = from the first entry.
  int64_t verified_from = 0;
  std::vector<std::string> problems;  // empty when verified
};

// Decisions of one day of the operator's zone.
struct DayDecisions {
  absl::CivilDay day;
  int64_t allowed = 0;
  int64_t denied = 0;
};

struct DecisionFacts {
  // UseIndexStore::CountUses(by "rule_id"): key = rule id, key2 = outcome
  // ("allow" or "deny"). The totals are summed from these rows.
  std::vector<store::UseCount> by_rule;
  std::vector<DayDecisions> by_day;  // in day order
  // Allowed uses attributed to each of the acting actor's roles.
  std::map<std::string, int64_t> by_role;
};

// A use on an exception ground (the decision's audit flag).
struct ExceptionUse {
  int64_t seq = 0;  // the ledger entry
  absl::Time at;
  std::string actor;
  std::string purpose;
  std::string ground;
  std::string subject;  // the opaque subject id; "" when none
  std::string outcome;  // "allow" or "deny"
};

struct TrusteeFacts {
  std::string id;
  std::string name;
  bool overdue_audit = false;
  bool contract_in_force = false;
  std::optional<absl::Time> next_due;  // the next audit; nullopt when none is scheduled
};

struct RetentionFacts {
  int64_t records_past_retention = 0;  // past retention and not yet erased
  int64_t held = 0;                    // of those, kept by a legal hold
};

struct ReportDue {
  std::string kind;  // incident::ReportKind name, e.g. "appi_preliminary"
  absl::Time due;
  bool submitted = false;
};

struct IncidentSummary {
  std::string id;
  absl::Time discovered_at;
  std::string cause;  // incident::CauseName
  int64_t affected_subjects = 0;
  bool reportable = false;
  std::vector<ReportDue> reports;
};

struct PolicyVersionFacts {
  int64_t version = 0;
  absl::Time loaded_at;
  std::string loaded_by;
  nlohmann::json changes;  // policy::DiffPolicies against the version before
};

// A customer request or complaint the report lists: overdue now, or
// answered after its due time in the period.
struct RequestLine {
  std::string id;
  std::string kind;  // request kind, or the complaint's category
  std::string status;
  absl::Time due;
  std::optional<absl::Time> answered_at;  // final step (requests), first response (complaints)
};

// Customer requests and complaints (docs/requests.md). `tracked` is false
// only for facts gathered without the request store (tests of other parts).
struct RequestFacts {
  bool tracked = false;
  int64_t received = 0;  // requests received in the period
  int64_t completed = 0;
  int64_t refused = 0;
  int64_t withdrawn = 0;
  int64_t open = 0;                             // now
  std::vector<RequestLine> overdue;             // open past their due time now
  std::vector<RequestLine> answered_late;       // answered in the period after their due time
  int64_t complaints_received = 0;              // in the period
  std::vector<RequestLine> complaints_overdue;  // first response missing past due, now
  std::vector<RequestLine> complaints_late;     // first response in the period, after due
};

// Everything the report shows, gathered by the engine.
struct AuditFacts {
  absl::Time from;  // the period: from <= t < to
  absl::Time to;
  absl::Time generated_at;
  std::string time_zone;  // the operator's zone, in which days are counted
  LedgerFacts ledger;
  DecisionFacts decisions;
  std::vector<ExceptionUse> exception_uses;
  std::vector<TrusteeFacts> trustees;
  RetentionFacts retention;
  std::vector<TrainingStatus> training;
  std::vector<Alert> alerts;
  std::vector<IncidentSummary> incidents;
  std::vector<PolicyVersionFacts> policy_versions;  // loaded in the period
  RequestFacts requests;
};

// A report not submitted whose due time is before `now`.
bool IsOverdue(const ReportDue& report, absl::Time now);

// The report as JSON. Top-level keys, exactly: period {from, to,
// time_zone}, generated_at, ledger {verified, entries, tree_head {tree_size,
// root_hash (hex), signed_at} or null, verified_from, problems}, decisions
// {total, allowed, denied, by_rule [{rule_id, outcome, count}], by_day [{day,
// allowed, denied}], by_role [{role, count}] (most used first)},
// exception_uses [{seq, at, actor, purpose, ground, subject, outcome}],
// requests {tracked: false} or {tracked: true, received, completed, refused,
// withdrawn, open, overdue [LINE], answered_late [LINE], complaints
// {received, overdue [LINE], responded_late [LINE]}} with LINE {id, kind,
// status, due, answered_at}, trustees [{id, name, overdue_audit,
// contract_in_force, next_due}], retention {records_past_retention, held},
// training [TrainingStatusJson], alerts [AlertJson], incidents [{id,
// discovered_at, cause, affected_subjects, reportable, reports [{kind, due,
// submitted, overdue}]}], policy_versions [{version, loaded_at, loaded_by,
// changes}].
nlohmann::json AuditReportJson(const AuditFacts& facts);

// The report as a complete, self-contained printable HTML5 page (inline
// CSS with print rules, no script, every text escaped): each section as a
// table, and three inline SVG charts: decisions per day (allowed and denied
// stacked), incident report deadlines on a time axis (overdue in red), and
// uses by role. Empty sections say "none" ("なし").
std::string AuditReportHtml(const AuditFacts& facts, notice::Language language);

}  // namespace mamori::audit
