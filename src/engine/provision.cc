// The engine's provision work (docs/provision.md): provisions of personal
// data to third parties, trustees and joint users, each decided by
// policy::DecideProvision and recorded; the provider's records of Art. 29
// and the recipient's records of Art. 30; trustee audits and re-entrustment
// approvals.
//
// A provision runs as one writer job: for each subject the engine gathers
// the facts (consents and stop orders from the facts cache, the trustee's
// audits, whether the data was itself received by opt-out), decides,
// records the decision (one ledger entry, no values), and for an allowed
// subject opens the values of the requested categories and makes the
// Art. 29 record where the decision requires one. The payload handed to
// the recipient is built from those values only, and its SHA-256 goes to
// the ledger, so what left is exactly what was decided.
//
// Statutory records hold ids and category names, never a personal value:
// they need no subject key, survive the subject's erasure, and are erased
// by the retention sweep when their own keep_until passes.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "engine/engine_submit.h"
#include "retention/retention.h"

namespace mamori::engine {

using internal::Blank;
using internal::ChangeEntry;
using internal::Invalid;
using nlohmann::json;

namespace {

// Most subjects in one provision request.
constexpr size_t kMaxProvisionSubjects = 10000;
// Most statutory records erased per writer job by the sweep.
constexpr size_t kRecordsErasedPerJob = 1000;
// Receipt records (Art. 30) are kept as provision records are (Art. 29):
// 3 years.
constexpr policy::Period kReceiptRetention{.years = 3};

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

absl::Status ValidateProvide(const ProvideRequest& request) {
  if (request.actor.empty()) return Invalid("actor: required");
  if (request.recipient.empty()) return Invalid("recipient: required");
  if (request.purpose.empty()) return Invalid("purpose: required");
  if (request.categories.empty()) return Invalid("category: at least one is required");
  if (request.subjects.empty()) return Invalid("subject: at least one is required");
  if (request.subjects.size() > kMaxProvisionSubjects) {
    return Invalid(fmt::format("subjects: at most {} in one provision", kMaxProvisionSubjects));
  }
  absl::flat_hash_set<std::string_view> seen;
  for (const std::string& subject : request.subjects) {
    if (subject.empty()) return Invalid("subject: an empty id");
    if (!seen.insert(subject).second) {
      return Invalid(fmt::format("subject: {} is given twice", subject));
    }
  }
  if (request.ground == policy::Ground::kNone && !request.reason.empty()) {
    return Invalid("reason: given without a ground");
  }
  return absl::OkStatus();
}

// The consent in force at `now` that the subject gave to provision to the
// recipient for the purpose: the latest given.
std::optional<std::string> ConsentRelied(const std::vector<store::ConsentRow>& consents,
                                         const ProvideRequest& request, absl::Time now) {
  const store::ConsentRow* best = nullptr;
  for (const store::ConsentRow& c : consents) {
    if (c.recipient != request.recipient || c.purpose != request.purpose) continue;
    if (c.given_at > now || (c.withdrawn_at && *c.withdrawn_at <= now)) continue;
    if (best == nullptr || c.given_at >= best->given_at) best = &c;
  }
  if (best == nullptr) return std::nullopt;
  return best->id;
}

}  // namespace

// --- Provide ---

absl::StatusOr<SubjectProvision> Engine::ProvideOne(const ProvideRequest& request,
                                                    const std::string& subject, absl::Time now,
                                                    json& values) {
  const policy::Policy& policy = dir_.policy();
  store::Store& store = dir_.store();

  // The subject's records of the requested categories, oldest first, and
  // the purposes announced for every one of them at collection.
  ASSIGN_OR_RETURN(std::vector<store::RecordRow> all, store.records().ListRecords(subject));
  std::vector<store::RecordRow> records;
  for (store::RecordRow& r : all) {
    if (Contains(request.categories, r.category)) records.push_back(std::move(r));
  }
  std::stable_sort(records.begin(), records.end(),
                   [](const store::RecordRow& a, const store::RecordRow& b) {
                     return a.collected_at < b.collected_at;
                   });

  policy::ProvisionRequest decide;
  decide.recipient = request.recipient;
  decide.purpose = request.purpose;
  decide.categories = request.categories;
  decide.ground = request.ground;
  decide.reason = request.reason;
  decide.now = now;
  decide.time_zone = OperatorZone();
  if (records.empty()) {
    // Nothing held yet: what the policy announces now.
    std::set<std::string> announced;
    for (const policy::Service& s : policy.services) {
      for (const std::string& c : request.categories) {
        for (std::string& p : policy.CollectionPurposes(s.id, c)) announced.insert(std::move(p));
      }
    }
    decide.collection_purposes.assign(announced.begin(), announced.end());
  } else {
    decide.collection_purposes = records.front().purposes;
    for (const store::RecordRow& r : records) {
      std::erase_if(decide.collection_purposes,
                    [&](const std::string& p) { return !Contains(r.purposes, p); });
    }
  }
  // Data that itself came by opt-out may not leave by opt-out (Art. 27(2)).
  ASSIGN_OR_RETURN(std::vector<store::ReceiptRow> receipts,
                   store.provisions().ListReceipts(subject));
  decide.received_by_opt_out =
      std::any_of(receipts.begin(), receipts.end(), [&](const store::ReceiptRow& r) {
        return r.by_opt_out &&
               std::any_of(r.categories.begin(), r.categories.end(),
                           [&](const std::string& c) { return Contains(request.categories, c); });
      });
  // What the operator knows of a trustee's audits (Art. 25).
  if (policy.FindTrustee(request.recipient) != nullptr) {
    ASSIGN_OR_RETURN(std::vector<store::TrusteeAuditRow> audits,
                     store.provisions().ListTrusteeAudits(request.recipient));
    for (const store::TrusteeAuditRow& a : audits) {
      if (a.audited_at > now) continue;
      if (!decide.trustee.last_audit_at || a.audited_at > *decide.trustee.last_audit_at) {
        decide.trustee.last_audit_at = a.audited_at;
      }
    }
  }

  SubjectProvision result;
  result.subject = subject;
  const policy::ActorFacts* actor = facts_->actor(request.actor);
  if (actor == nullptr) {
    result.decision.decision.outcome = policy::Outcome::kDeny;
    result.decision.decision.reason_code = kActorUnknown;
    result.decision.decision.rule_id = "appi.23";
    result.decision.decision.flagged_for_audit = request.ground != policy::Ground::kNone;
  } else {
    result.decision = policy::DecideProvision(policy, *actor, facts_->subject(subject), decide);
  }
  const policy::Decision& d = result.decision.decision;
  const bool allowed = d.outcome == policy::Outcome::kAllow;

  json entry = {{"kind", "decision"},
                {"action", "provide"},
                {"actor", request.actor},
                {"subject", subject},
                {"recipient", request.recipient},
                {"recipient_kind", policy::RecipientKindName(result.decision.recipient_kind)},
                {"cross_border", result.decision.cross_border},
                {"purpose", request.purpose},
                {"categories", request.categories},
                {"ground", policy::GroundName(request.ground)},
                {"outcome", policy::OutcomeName(d.outcome)},
                {"reason_code", d.reason_code},
                {"rule_id", d.rule_id},
                {"legal_basis", d.legal_basis},
                {"flagged_for_audit", d.flagged_for_audit}};
  if (allowed) {
    // The values, opened only now that the provision is allowed.
    json by_category = json::object();
    for (const std::string& c : request.categories) by_category[c] = json::array();
    json ids = json::array();
    std::string value;
    for (const store::RecordRow& r : records) {
      RETURN_IF_ERROR(dir_.vault().OpenValueInto({r.subject_id, r.category, r.key_bucket}, r.id,
                                                 r.sealed_value, value));
      by_category[r.category].push_back(value);
      ids.push_back(r.id);
    }
    values = {{"subject", subject}, {"values", std::move(by_category)}};
    entry["records"] = std::move(ids);
    if (result.decision.provider_record_required) {
      store::ProvisionRecordRow record;
      record.id = common::NewId(common::IdKind::kProvision, random_, now);
      record.recipient = request.recipient;
      record.subject_id = subject;
      record.categories = request.categories;
      record.purpose = request.purpose;
      record.legal_basis = d.legal_basis;
      if (d.legal_basis == "consent") {
        ASSIGN_OR_RETURN(std::vector<store::ConsentRow> consents,
                         store.facts().ListConsents(subject));
        record.consent_id = ConsentRelied(consents, request, now);
      }
      record.provided_at = now;
      record.provided_by = request.actor;
      record.keep_until = retention::EndOfPeriod(
          now, result.decision.provider_record_retention.value_or(policy::Period{.years = 3}),
          decide.time_zone);
      record.kept_from_last_provision = result.decision.record_kept_from_last_provision;
      entry["provision_record"] = record.id;
      entry["record_keep_until"] = common::FormatTimestamp(record.keep_until);
      result.record = std::move(record);
    }
  }
  // A written reason may speak of the person: the entry holds its SHA-256,
  // and the note beside it is sealed under the subject's keys.
  const bool noted = request.ground != policy::Ground::kNone && !request.reason.empty();
  if (noted) entry["note_sha256"] = ledger::Sha256Hex(request.reason);
  ASSIGN_OR_RETURN(result.entry, ledger_->Append(std::move(entry)));
  if (noted) {
    ASSIGN_OR_RETURN(std::string sealed,
                     SealForSubject(subject, kUseReasonKey, fmt::format("note-{}", result.entry),
                                    request.reason));
    RETURN_IF_ERROR(store.ledger().InsertNote(static_cast<int64_t>(result.entry), sealed));
  }
  if (result.record) {
    result.record->ledger_entry = static_cast<int64_t>(result.entry);
    RETURN_IF_ERROR(store.provisions().InsertRecord(*result.record));
    if (result.record->kept_from_last_provision) {
      // One year from the last provision under the contract: the earlier
      // records of this recipient are kept as long as this one.
      RETURN_IF_ERROR(
          store.provisions()
              .ExtendRecordsKeptFromLastProvision(request.recipient, result.record->keep_until)
              .status());
    }
  }
  return result;
}

absl::StatusOr<ProvideResult> Engine::Provide(const ProvideRequest& request) {
  RETURN_IF_ERROR(ValidateProvide(request));
  return Submit<ProvideResult>(JobKind::kWrites, [&]() -> absl::StatusOr<ProvideResult> {
    // Every subject exists, or nothing is decided.
    for (const std::string& subject : request.subjects) {
      ASSIGN_OR_RETURN(std::optional<store::SubjectRow> row,
                       dir_.store().records().GetSubject(subject));
      if (!row) return absl::NotFoundError(fmt::format("subject {} not found", subject));
    }
    ProvideResult result;
    result.provided_at = clock_.Now();
    json provided = json::array();
    json entries = json::array();
    for (const std::string& subject : request.subjects) {
      json values;
      ASSIGN_OR_RETURN(SubjectProvision one,
                       ProvideOne(request, subject, result.provided_at, values));
      if (one.decision.decision.outcome == policy::Outcome::kAllow) {
        provided.push_back(std::move(values));
        entries.push_back(one.entry);
      }
      result.subjects.push_back(std::move(one));
    }
    if (provided.empty()) return result;
    result.payload = {{"recipient", request.recipient},
                      {"purpose", request.purpose},
                      {"provided_at", common::FormatTimestamp(result.provided_at)},
                      {"subjects", std::move(provided)}};
    // What left, bound to the decisions that allowed it.
    json entry = ChangeEntry("provision.payload", request.actor);
    entry["recipient"] = request.recipient;
    entry["purpose"] = request.purpose;
    entry["decisions"] = std::move(entries);
    entry["payload_sha256"] = ledger::Sha256Hex(ledger::CanonicalEntry(result.payload));
    ASSIGN_OR_RETURN(result.payload_entry, ledger_->Append(std::move(entry)));
    return result;
  });
}

// --- Records ---

absl::StatusOr<ProvisionRecords> Engine::ListProvisionRecords(std::string subject,
                                                              std::string recipient) {
  if (subject.empty() == recipient.empty()) {
    return Invalid("give either a subject or a recipient");
  }
  return Submit<ProvisionRecords>(JobKind::kRecords, [&]() -> absl::StatusOr<ProvisionRecords> {
    store::ProvisionStore& provisions = dir_.store().provisions();
    ProvisionRecords out;
    if (!subject.empty()) {
      // Subjects are never deleted, only their data: an erased subject's
      // records are still listed.
      ASSIGN_OR_RETURN(std::optional<store::SubjectRow> row,
                       dir_.store().records().GetSubject(subject));
      ASSIGN_OR_RETURN(out.records, provisions.ListRecordsOfSubject(subject));
      ASSIGN_OR_RETURN(out.receipts, provisions.ListReceipts(subject));
      if (!row && out.records.empty() && out.receipts.empty()) {
        return absl::NotFoundError(fmt::format("subject {} not found", subject));
      }
      return out;
    }
    ASSIGN_OR_RETURN(out.records, provisions.ListRecordsToRecipient(recipient));
    const policy::Policy& policy = dir_.policy();
    bool declared =
        policy.FindRecipient(recipient) != nullptr || policy.FindTrustee(recipient) != nullptr;
    for (const policy::JointUse& use : policy.joint_uses) {
      declared = declared || Contains(use.users, recipient);
    }
    if (!declared && out.records.empty()) {
      return absl::NotFoundError(
          fmt::format("recipient {} is not declared by the policy and has no records", recipient));
    }
    return out;
  });
}

absl::StatusOr<store::ReceiptRow> Engine::RecordReceipt(std::string by, ReceiptSpec spec) {
  return Submit<store::ReceiptRow>(JobKind::kRecords, [&]() -> absl::StatusOr<store::ReceiptRow> {
    // Art. 30: the provider's identity and how it obtained the data.
    for (const auto& [field, value] :
         {std::pair<std::string_view, const std::string*>{"provider_name", &spec.provider_name},
          {"provider_address", &spec.provider_address},
          {"provider_representative", &spec.provider_representative},
          {"how_obtained", &spec.how_obtained}}) {
      if (Blank(*value)) return Invalid(fmt::format("{}: required (APPI Art. 30)", field));
    }
    if (spec.categories.empty()) return Invalid("category: at least one is required");
    const policy::Policy& policy = dir_.policy();
    for (const std::string& c : spec.categories) {
      if (policy.FindCategory(c) == nullptr) {
        return Invalid(fmt::format("category: \"{}\" is not a category of the policy", c));
      }
    }
    const absl::Time now = clock_.Now();
    const absl::TimeZone zone = OperatorZone();
    const absl::Time received = spec.received_on ? absl::FromCivil(*spec.received_on, zone)
                                                 : spec.received_at.value_or(now);
    if (received > now) return Invalid("received_at: must not be in the future");
    if (spec.subject) {
      ASSIGN_OR_RETURN(std::optional<store::SubjectRow> row,
                       dir_.store().records().GetSubject(*spec.subject));
      if (!row) return absl::NotFoundError(fmt::format("subject {} not found", *spec.subject));
    }
    store::ReceiptRow row;
    row.id = common::NewId(common::IdKind::kReceipt, random_, now);
    row.provider_name = spec.provider_name;
    row.provider_address = spec.provider_address;
    row.provider_representative = spec.provider_representative;
    row.how_obtained = spec.how_obtained;
    row.by_opt_out = spec.by_opt_out;
    row.subject_id = spec.subject;
    row.categories = spec.categories;
    row.received_at = received;
    row.recorded_at = now;
    row.recorded_by = by;
    row.keep_until = retention::EndOfPeriod(received, kReceiptRetention, zone);
    RETURN_IF_ERROR(dir_.store().provisions().InsertReceipt(row));
    // The provider's details name people (its representative): the entry
    // holds their SHA-256.
    json entry = ChangeEntry("provision.receive", by);
    entry["receipt"] = row.id;
    entry["subject"] = row.subject_id ? json(*row.subject_id) : json();
    entry["categories"] = row.categories;
    entry["by_opt_out"] = row.by_opt_out;
    entry["received_at"] = common::FormatTimestamp(row.received_at);
    entry["keep_until"] = common::FormatTimestamp(row.keep_until);
    entry["provider_sha256"] =
        ledger::Sha256Hex(ledger::CanonicalEntry({{"name", row.provider_name},
                                                  {"address", row.provider_address},
                                                  {"representative", row.provider_representative},
                                                  {"how_obtained", row.how_obtained}}));
    RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
    return row;
  });
}

absl::StatusOr<int64_t> Engine::EraseProvisionRecords(const std::string& by, absl::Time as_of,
                                                      bool dry_run) {
  int64_t total = 0;
  while (true) {
    // Bounded jobs: foreground work runs in between.
    absl::StatusOr<int64_t> erased =
        Submit<int64_t>(JobKind::kRecords, [&]() -> absl::StatusOr<int64_t> {
          store::ProvisionStore& provisions = dir_.store().provisions();
          // A dry run lists them all at once, and changes nothing.
          const size_t limit = dry_run ? std::numeric_limits<int32_t>::max() : kRecordsErasedPerJob;
          ASSIGN_OR_RETURN(std::vector<std::string> records,
                           provisions.ListRecordsKeptUntil(as_of, limit));
          ASSIGN_OR_RETURN(std::vector<std::string> receipts,
                           provisions.ListReceiptsKeptUntil(as_of, limit));
          const int64_t due = static_cast<int64_t>(records.size() + receipts.size());
          if (dry_run || due == 0) return due;
          ASSIGN_OR_RETURN(int64_t deleted_records, provisions.DeleteRecords(records));
          ASSIGN_OR_RETURN(int64_t deleted_receipts, provisions.DeleteReceipts(receipts));
          json entry = ChangeEntry("provision.records_erase", by);
          entry["as_of"] = common::FormatTimestamp(as_of);
          entry["provision_records"] = records;
          entry["receipts"] = receipts;
          RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
          return deleted_records + deleted_receipts;
        });
    if (!erased.ok()) return erased.status();
    total += *erased;
    if (dry_run || *erased == 0) return total;
  }
}

// --- Trustees ---

absl::StatusOr<store::TrusteeAuditRow> Engine::RecordTrusteeAudit(std::string by,
                                                                  TrusteeAuditSpec spec) {
  return Submit<store::TrusteeAuditRow>(
      JobKind::kRecords, [&]() -> absl::StatusOr<store::TrusteeAuditRow> {
        const policy::Trustee* trustee = dir_.policy().FindTrustee(spec.trustee);
        if (trustee == nullptr) {
          return absl::NotFoundError(
              fmt::format("trustee {} is not a trustee of the policy", spec.trustee));
        }
        if (Blank(spec.result)) return Invalid("result: required (what the audit found)");
        const absl::Time now = clock_.Now();
        const absl::Time audited =
            spec.audited_on ? absl::FromCivil(*spec.audited_on, OperatorZone()) : spec.audited_at;
        if (audited > now) return Invalid("date: the audit must not be in the future");
        store::TrusteeAuditRow row{
            common::NewId(common::IdKind::kTrusteeAudit, random_, now),
            spec.trustee,
            audited,
            spec.result,
            audited + absl::Hours(int64_t{24} * trustee->audit_interval_days),
            now,
            by};
        RETURN_IF_ERROR(dir_.store().provisions().InsertTrusteeAudit(row));
        json entry = ChangeEntry("trustee.audit", by);
        entry["trustee"] = row.trustee_id;
        entry["audit"] = row.id;
        entry["audited_at"] = common::FormatTimestamp(row.audited_at);
        entry["next_due"] = common::FormatTimestamp(row.next_due);
        entry["result_sha256"] = ledger::Sha256Hex(row.result);
        RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
        return row;
      });
}

absl::StatusOr<store::ReentrustmentRow> Engine::ApproveReentrustment(std::string by,
                                                                     std::string trustee,
                                                                     std::string subcontractor,
                                                                     std::string scope) {
  return Submit<store::ReentrustmentRow>(
      JobKind::kRecords, [&]() -> absl::StatusOr<store::ReentrustmentRow> {
        if (dir_.policy().FindTrustee(trustee) == nullptr) {
          return absl::NotFoundError(
              fmt::format("trustee {} is not a trustee of the policy", trustee));
        }
        if (Blank(subcontractor)) return Invalid("subcontractor: required");
        if (Blank(scope)) return Invalid("scope: required (what the subcontractor may handle)");
        const absl::Time now = clock_.Now();
        store::ReentrustmentRow row{common::NewId(common::IdKind::kReentrustment, random_, now),
                                    trustee,
                                    subcontractor,
                                    scope,
                                    now,
                                    by};
        RETURN_IF_ERROR(dir_.store().provisions().InsertReentrustment(row));
        // A subcontractor may be a person trading under their name: hashes.
        json entry = ChangeEntry("trustee.reentrustment", by);
        entry["trustee"] = row.trustee_id;
        entry["approval"] = row.id;
        entry["subcontractor_sha256"] = ledger::Sha256Hex(row.subcontractor);
        entry["scope_sha256"] = ledger::Sha256Hex(row.scope);
        RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
        return row;
      });
}

absl::StatusOr<std::vector<TrusteeStatus>> Engine::ListTrustees(bool overdue_only) {
  return Submit<std::vector<TrusteeStatus>>(
      JobKind::kRecords, [&]() -> absl::StatusOr<std::vector<TrusteeStatus>> {
        const policy::Policy& policy = dir_.policy();
        const absl::Time now = clock_.Now();
        const absl::TimeZone zone = OperatorZone();
        store::ProvisionStore& provisions = dir_.store().provisions();
        std::vector<TrusteeStatus> out;
        for (const policy::Trustee& trustee : policy.trustees) {
          TrusteeStatus status;
          status.trustee = trustee;
          // As DecideProvision judges it (docs/decisions.md, P9–P10).
          std::optional<absl::Time> start;
          if (trustee.contract_start) start = absl::FromCivil(*trustee.contract_start, zone);
          status.contract_in_force =
              (!start || now >= *start) &&
              (!trustee.contract_end || now < absl::FromCivil(*trustee.contract_end + 1, zone));
          ASSIGN_OR_RETURN(std::vector<store::TrusteeAuditRow> audits,
                           provisions.ListTrusteeAudits(trustee.id));
          for (store::TrusteeAuditRow& audit : audits) {
            if (audit.audited_at > now) continue;
            if (!status.last_audit || audit.audited_at >= status.last_audit->audited_at) {
              status.last_audit = std::move(audit);
            }
          }
          const std::optional<absl::Time> counted_from =
              status.last_audit ? std::optional<absl::Time>(status.last_audit->audited_at) : start;
          if (counted_from) {
            status.next_due =
                *counted_from + absl::Hours(int64_t{24} * trustee.audit_interval_days);
          }
          status.overdue = !status.next_due || *status.next_due < now;
          if (overdue_only && !status.overdue) continue;
          ASSIGN_OR_RETURN(status.subcontractors, provisions.ListReentrustments(trustee.id));
          out.push_back(std::move(status));
        }
        return out;
      });
}

}  // namespace mamori::engine
