// Supervision of employees and the internal-audit report
// (docs/supervision.md): statistics, alerts, training and access review from
// the use index; the report gathers them with the ledger's verification,
// trustees, retention, incidents and policy versions.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "engine/engine_submit.h"
#include "fmt/core.h"
#include "ledger/verify.h"
#include "policy/policy_diff.h"
#include "policy/policy_file.h"

namespace mamori::engine {

using internal::Invalid;
using json = nlohmann::json;

namespace {

// The offset of `zone` from UTC at `at`, for counting days in the operator's
// zone. Japan has no daylight saving time, so one offset serves a window.
absl::Duration OffsetAt(absl::TimeZone zone, absl::Time at) {
  return absl::Seconds(zone.At(at).offset);
}

}  // namespace

absl::StatusOr<ActorActivity> Engine::ActivityOf(std::string actor, absl::Time from,
                                                 absl::Time to) {
  if (actor.empty()) return Invalid("actor: required");
  if (from >= to) return Invalid("from must be before to");
  RETURN_IF_ERROR(UpdateUseIndex());
  return Submit<ActorActivity>(JobKind::kRecords, [&]() -> absl::StatusOr<ActorActivity> {
    store::UseIndexStore& uses = dir_.store().uses();
    ActorActivity activity;
    activity.actor = actor;
    activity.from = from;
    activity.to = to;
    ASSIGN_OR_RETURN(activity.by_purpose, uses.CountUses(actor, from, to, "purpose"));
    ASSIGN_OR_RETURN(activity.by_action, uses.CountUses(actor, from, to, "action"));
    ASSIGN_OR_RETURN(activity.by_category, uses.CountCategories(actor, from, to));
    ASSIGN_OR_RETURN(activity.subjects_touched, uses.CountSubjectsTouched(actor, from, to));
    ASSIGN_OR_RETURN(std::vector<store::UseCount> reasons,
                     uses.CountUses(actor, from, to, "reason_code"));
    for (store::UseCount& r : reasons) {
      if (r.key2 == "deny") activity.denials.push_back(std::move(r));
    }
    for (const store::UseCount& c : activity.by_action) {
      activity.decisions += c.count;
      (c.key2 == "allow" ? activity.allowed : activity.denied) += c.count;
    }
    return activity;
  });
}

absl::StatusOr<std::vector<audit::Alert>> Engine::Alerts(absl::Time from, absl::Time to) {
  if (from >= to) return Invalid("from must be before to");
  RETURN_IF_ERROR(UpdateUseIndex());
  return Submit<std::vector<audit::Alert>>(
      JobKind::kRecords, [&]() -> absl::StatusOr<std::vector<audit::Alert>> {
        // In actor order, one index seek per actor (UseSummary).
        ASSIGN_OR_RETURN(store::UseSummary summary, dir_.store().uses().SummarizeUses(
                                                        from, to, OffsetAt(OperatorZone(), from)));
        ASSIGN_OR_RETURN(std::vector<store::ActorRow> actors, dir_.store().facts().ListActors());
        return audit::FindAlerts(dir_.policy(), actors, summary.actor_days);
      });
}

absl::StatusOr<IncidentView> Engine::OpenIncidentFromAlert(std::string by, std::string alert_id,
                                                           incident::Cause cause,
                                                           std::string description) {
  // The alert's day is the id's last part (audit::AlertId): YYYYMMDD.
  const size_t underscore = alert_id.rfind('_');
  absl::CivilDay day;
  if (underscore == std::string::npos || alert_id.size() - underscore != 9 ||
      !absl::ParseCivilTime(
          common::ToAbsl(fmt::format("{}-{}-{}", alert_id.substr(underscore + 1, 4),
                                     alert_id.substr(underscore + 5, 2),
                                     alert_id.substr(underscore + 7, 2))),
          &day)) {
    return absl::NotFoundError(fmt::format("alert {} not found", alert_id));
  }
  ASSIGN_OR_RETURN(absl::TimeZone zone, TimeZone());
  const absl::Time from = absl::FromCivil(day, zone);
  const absl::Time to = absl::FromCivil(day + 1, zone);
  ASSIGN_OR_RETURN(std::vector<audit::Alert> alerts, Alerts(from, to));
  auto it = std::find_if(alerts.begin(), alerts.end(),
                         [&](const audit::Alert& a) { return a.id == alert_id; });
  if (it == alerts.end()) return absl::NotFoundError(fmt::format("alert {} not found", alert_id));
  IncidentSpec spec;
  spec.discovered_at = clock_.Now();
  spec.cause = cause;
  spec.suspected = true;
  spec.description = std::move(description);
  spec.scope.actors.push_back({it->actor, from, to});
  return OpenIncident(std::move(by), std::move(spec));
}

absl::StatusOr<std::vector<audit::TrainingStatus>> Engine::TrainingDue() {
  return Submit<std::vector<audit::TrainingStatus>>(
      JobKind::kRecords, [&]() -> absl::StatusOr<std::vector<audit::TrainingStatus>> {
        ASSIGN_OR_RETURN(std::vector<store::ActorRow> actors, dir_.store().facts().ListActors());
        ASSIGN_OR_RETURN(std::vector<store::TrainingRow> trainings,
                         dir_.store().facts().ListTrainings(""));
        std::map<std::string, std::vector<store::TrainingRow>> by_actor;
        for (store::TrainingRow& t : trainings) by_actor[t.actor_id].push_back(std::move(t));
        return audit::TrainingDue(dir_.policy(), actors, by_actor, clock_.Now());
      });
}

absl::StatusOr<std::vector<audit::RoleReview>> Engine::ReviewAccess() {
  RETURN_IF_ERROR(UpdateUseIndex());
  return Submit<std::vector<audit::RoleReview>>(
      JobKind::kRecords, [&]() -> absl::StatusOr<std::vector<audit::RoleReview>> {
        ASSIGN_OR_RETURN(std::vector<store::ActorRow> actors, dir_.store().facts().ListActors());
        ASSIGN_OR_RETURN(std::vector<store::UseCount> last_uses, dir_.store().uses().LastUses());
        return audit::ReviewAccess(dir_.policy(), actors, last_uses, clock_.Now());
      });
}

absl::StatusOr<audit::AuditFacts> Engine::AuditReport(absl::Time from, absl::Time to) {
  if (from >= to) return Invalid("from must be before to");
  RETURN_IF_ERROR(UpdateUseIndex());
  audit::AuditFacts facts;
  facts.from = from;
  facts.to = to;

  // The ledger: from the head the last report verified, which the stored
  // frontier must still hash to, onward.
  absl::Status verified =
      Submit<bool>(JobKind::kRecords, [&]() -> absl::StatusOr<bool> {
        store::UseIndexStore& uses = dir_.store().uses();
        ASSIGN_OR_RETURN(std::optional<store::VerifiedHeadRow> last, uses.LastVerifiedHead());
        ledger::VerifiedPoint start;
        if (last) start = {static_cast<uint64_t>(last->tree_size), last->root_hash};
        ASSIGN_OR_RETURN(ledger::VerifyReport report,
                         ledger::VerifyLedgerFrom(dir_.store().ledger(), public_key_, start));
        facts.ledger.verified = report.ok;
        facts.ledger.entries = static_cast<int64_t>(ledger_size_.load());
        facts.ledger.verified_from = static_cast<int64_t>(report.verified_from);
        if (!report.ok) facts.ledger.problems.push_back(report.problem);
        ASSIGN_OR_RETURN(facts.ledger.tree_head, dir_.store().ledger().LatestTreeHead());
        if (report.ok && facts.ledger.tree_head) {
          RETURN_IF_ERROR(uses.PutVerifiedHead({facts.ledger.tree_head->tree_size,
                                                facts.ledger.tree_head->root_hash, clock_.Now()}));
        }
        return true;
      }).status();
  RETURN_IF_ERROR(verified);

  // Decisions, exception uses, alerts, training, trustees, incidents and
  // policy versions: facts, no personal value.
  absl::Status gathered =
      Submit<bool>(JobKind::kRecords, [&]() -> absl::StatusOr<bool> {
        const policy::Policy& policy = dir_.policy();
        const absl::TimeZone zone = OperatorZone();
        const absl::Duration offset = OffsetAt(zone, from);
        facts.generated_at = clock_.Now();
        facts.time_zone = policy.operator_info.time_zone;
        store::UseIndexStore& uses = dir_.store().uses();
        // One pass over the index for the counts and the actors' days.
        ASSIGN_OR_RETURN(store::UseSummary totals, uses.SummarizeUses(from, to, offset));
        facts.decisions.by_rule = std::move(totals.by_rule);
        for (const store::DayUseCount& d : totals.by_day) {
          facts.decisions.by_day.push_back({audit::DayOf(d.day), d.allowed, d.denied});
        }
        ASSIGN_OR_RETURN(std::vector<store::ActorRow> actors, dir_.store().facts().ListActors());
        std::map<std::string, const store::ActorRow*> actor_by_id;
        for (const store::ActorRow& a : actors) actor_by_id[a.id] = &a;
        // Each allowed use counts for every role its actor holds: the access
        // that role gives was exercised.
        for (const store::UseCount& c : totals.by_actor) {
          if (c.key2 != "allow") continue;
          auto it = actor_by_id.find(c.key);
          if (it == actor_by_id.end()) continue;
          for (const std::string& role : it->second->roles) {
            facts.decisions.by_role[role] += c.count;
          }
        }
        ASSIGN_OR_RETURN(std::vector<store::UseRow> flagged, uses.ListFlaggedUses(from, to, 10000));
        for (const store::UseRow& u : flagged) {
          facts.exception_uses.push_back(
              {u.seq, u.at, u.actor, u.purpose, u.ground, u.subject, u.allowed ? "allow" : "deny"});
        }
        facts.alerts = audit::FindAlerts(policy, actors, totals.actor_days);
        ASSIGN_OR_RETURN(std::vector<store::TrainingRow> trainings,
                         dir_.store().facts().ListTrainings(""));
        std::map<std::string, std::vector<store::TrainingRow>> trainings_by_actor;
        for (store::TrainingRow& t : trainings)
          trainings_by_actor[t.actor_id].push_back(std::move(t));
        facts.training = audit::TrainingDue(policy, actors, trainings_by_actor, facts.generated_at);

        ASSIGN_OR_RETURN(std::vector<store::IncidentRow> incidents,
                         dir_.store().incidents().ListIncidents());
        for (store::IncidentRow& row : incidents) {
          const bool in_period = row.discovered_at >= from && row.discovered_at < to;
          if (!in_period && row.status != "open") continue;
          ASSIGN_OR_RETURN(IncidentView view, ViewOf(std::move(row)));
          audit::IncidentSummary summary{view.row.id,
                                         view.row.discovered_at,
                                         view.row.cause,
                                         view.facts.affected.subjects,
                                         view.reportability.reportable,
                                         {}};
          for (const incident::Report& r : view.reports) {
            summary.reports.push_back({std::string(incident::ReportKindName(r.kind)), r.due,
                                       r.status == incident::ReportStatus::kSubmitted});
          }
          facts.incidents.push_back(std::move(summary));
        }
        std::reverse(facts.incidents.begin(), facts.incidents.end());  // oldest first

        // Policy versions loaded in the period, each with its changes.
        ASSIGN_OR_RETURN(std::optional<store::PolicyVersionRow> latest,
                         dir_.store().records().LatestPolicyVersion());
        for (int64_t v = latest ? latest->version : 0; v >= 1; --v) {
          ASSIGN_OR_RETURN(std::optional<store::PolicyVersionRow> row,
                           dir_.store().records().GetPolicyVersion(v));
          if (!row || row->loaded_at < from) break;
          if (row->loaded_at >= to) continue;
          audit::PolicyVersionFacts version{row->version, row->loaded_at, row->loaded_by, json()};
          ASSIGN_OR_RETURN(policy::Policy after, policy::ParsePolicyText(row->source, "policy"));
          if (v > 1) {
            ASSIGN_OR_RETURN(std::optional<store::PolicyVersionRow> before_row,
                             dir_.store().records().GetPolicyVersion(v - 1));
            if (before_row) {
              ASSIGN_OR_RETURN(policy::Policy before,
                               policy::ParsePolicyText(before_row->source, "policy"));
              version.changes = policy::DiffPolicies(before, after);
            }
          }
          facts.policy_versions.push_back(std::move(version));
        }
        std::reverse(facts.policy_versions.begin(), facts.policy_versions.end());

        // Customer requests and complaints, from their plain columns: the
        // period's intake and late answers, and what is overdue now. The
        // last step's time answers a final request.
        audit::RequestFacts& r = facts.requests;
        r.tracked = true;
        const absl::Time now = facts.generated_at;
        ASSIGN_OR_RETURN(std::vector<store::RequestRow> requests,
                         dir_.store().requests().ListRequests());
        for (const store::RequestRow& row : requests) {
          const bool final =
              row.status == "completed" || row.status == "refused" || row.status == "withdrawn";
          if (row.received_at >= from && row.received_at < to) {
            ++r.received;
            if (row.status == "completed") ++r.completed;
            if (row.status == "refused") ++r.refused;
            if (row.status == "withdrawn") ++r.withdrawn;
          }
          if (!final) ++r.open;
          audit::RequestLine line{row.id, row.kind, row.status, row.due, std::nullopt};
          if (!final && now >= row.due) r.overdue.push_back(line);
          if (final && row.status != "withdrawn" && row.updated_at > row.due &&
              row.updated_at >= from && row.updated_at < to) {
            line.answered_at = row.updated_at;
            r.answered_late.push_back(line);
          }
        }
        ASSIGN_OR_RETURN(std::vector<store::ComplaintRow> complaints,
                         dir_.store().requests().ListComplaints());
        for (const store::ComplaintRow& c : complaints) {
          if (c.received_at >= from && c.received_at < to) ++r.complaints_received;
          audit::RequestLine line{c.id, c.category, c.status, c.first_response_due,
                                  c.first_response_at};
          if (!c.first_response_at && now >= c.first_response_due) {
            r.complaints_overdue.push_back(line);
          }
          if (c.first_response_at && *c.first_response_at > c.first_response_due &&
              *c.first_response_at >= from && *c.first_response_at < to) {
            r.complaints_late.push_back(line);
          }
        }
        return true;
      }).status();
  RETURN_IF_ERROR(gathered);

  ASSIGN_OR_RETURN(std::vector<TrusteeStatus> trustees, ListTrustees(false));
  for (const TrusteeStatus& t : trustees) {
    facts.trustees.push_back(
        {t.trustee.id, t.trustee.name, t.overdue, t.contract_in_force, t.next_due});
  }
  // Records past retention not yet erased: what a sweep run now would erase.
  SweepOptions dry_run;
  dry_run.dry_run = true;
  ASSIGN_OR_RETURN(SweepSummary due, SweepRetention("system:audit", std::move(dry_run)));
  facts.retention.records_past_retention = due.erased + due.deidentified + due.held;
  facts.retention.held = due.held;
  return facts;
}

}  // namespace mamori::engine
