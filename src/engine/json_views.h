// The JSON forms of a decision, a consent, a stop order and retention facts, as the CLI prints them and the
// API returns them (docs/api.md), so both speak the same shapes.
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
//  "keys_destroyed", "subjects_erased"}
nlohmann::json SweepSummaryJson(const SweepSummary& summary);

}  // namespace mamori::engine
