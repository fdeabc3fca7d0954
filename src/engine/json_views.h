// The JSON forms of a decision, a consent, a stop order and retention facts, as the CLI prints them
// and the API returns them (docs/api.md), so both speak the same shapes.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "policy/decision.h"
#include "store/store.h"

namespace mamori::engine {

// {"outcome", "reason_code", "rule_id", "legal_basis", "flagged_for_audit",
//  "explanation", "ledger_entry"}
nlohmann::json DecisionJson(const policy::Decision& decision, uint64_t ledger_entry);
// The consent's facts; its evidence (sealed) is never included.
nlohmann::json ConsentJson(const store::ConsentRow& consent);
// {"stop_order", "subject", "kind", "purpose", "recipient", "request",
//  "created_at"}
nlohmann::json StopOrderJson(const store::StopOrderRow& order);
// {"hold", "subject", "category", "basis", "until", "created_at",
//  "created_by", "released_at"}
nlohmann::json HoldJson(const store::LegalHoldRow& hold);
// {"subject", "service", "ended_at", "recorded_at"}
nlohmann::json ContractEndJson(const store::ContractEndRow& end);
// {"erased", "deidentified", "held", "dry_run", "as_of", "scanned",
//  "keys_destroyed", "subjects_erased", "provision_records_erased"}
nlohmann::json SweepSummaryJson(const SweepSummary& summary);

// --- Provision (docs/provision.md) ---

// {"subject", "decision" (DecisionJson), "recipient_kind", "cross_border",
//  "record", "record_keep_until"}: the record fields are null when none was
// made.
nlohmann::json SubjectProvisionJson(const SubjectProvision& provision);
// {"recipient", "purpose", "provided_at", "decisions": [...], "payload",
//  "payload_entry"}: payload and payload_entry null when nothing was allowed.
nlohmann::json ProvideResultJson(const ProvideRequest& request, const ProvideResult& result);
// {"record", "recipient", "subject", "categories", "purpose", "legal_basis",
//  "consent", "provided_at", "provided_by", "keep_until",
//  "kept_from_last_provision", "ledger_entry"}
nlohmann::json ProvisionRecordJson(const store::ProvisionRecordRow& record);
// {"receipt", "provider": {"name", "address", "representative"},
//  "how_obtained", "by_opt_out", "subject", "categories", "received_at",
//  "recorded_at", "recorded_by", "keep_until"}
nlohmann::json ReceiptJson(const store::ReceiptRow& receipt);
// {"records": [...]} and, listed by subject, "receipts": [...].
nlohmann::json ProvisionRecordsJson(const ProvisionRecords& records, bool by_subject);
// {"audit", "trustee", "audited_at", "result", "next_due", "recorded_at",
//  "recorded_by"}
nlohmann::json TrusteeAuditJson(const store::TrusteeAuditRow& audit);
// {"approval", "trustee", "subcontractor", "scope", "approved_at",
//  "approved_by"}
nlohmann::json ReentrustmentJson(const store::ReentrustmentRow& approval);
// {"trustee", "name", "country", "contract", "contract_start",
//  "contract_end", "contract_in_force", "purposes", "categories",
//  "audit_interval_days", "equivalent_measures", "last_audit", "next_due",
//  "overdue", "subcontractors"}
nlohmann::json TrusteeStatusJson(const TrusteeStatus& status);

// An incident (docs/incidents.md, "API"): {"incident", "status",
//  "opened_at", "opened_by", "discovered_at", "occurred_at", "cause",
//  "suspected", "description", "scope", "affected" (persons), "categories"
//  [{"id", "subjects", "encrypted_without_keys"}], "reportable", "reasons",
//  "persons", "exempt_categories", "reports" [{"kind", "authority",
//  "filed_with", "days", "due", "status", "submitted_at", "overdue"}],
//  "narrative", "updated_at", "closed_at"}; overdue as of `now`.
nlohmann::json IncidentJson(const IncidentView& view, absl::Time now);
// {"incident", "subjects": [{"subject", "categories",
//  "encrypted_without_keys"}]}
nlohmann::json IncidentSubjectsJson(const std::string& incident,
                                    const std::vector<store::IncidentSubjectRow>& rows);
// {"actor", "from", "to", "decisions", "allowed", "denied",
//  "subjects_touched", "by_purpose": [{"purpose", "allowed", "denied"}],
//  "by_action": [{"action", "allowed", "denied"}], "by_category":
//  [{"category", "uses"}], "denials": [{"reason_code", "count"}]}
nlohmann::json ActorActivityJson(const ActorActivity& activity);
// {"incident", "language" (for those who chose none), "notices": [{"subject",
//  "channel", "to", "names", "categories", "language", "text", "entry"}],
//  "without_contact", "denied", "by_language": {"ja", "en"}}
nlohmann::json NoticeBatchJson(const NoticeBatch& batch);

}  // namespace mamori::engine
