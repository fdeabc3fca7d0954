// Consent receipts: a consent record exported in the shape of the Kantara
// Initiative Consent Receipt Specification v1.1, whose fields ISO/IEC TS
// 27560:2023 took over for consent records, so a customer or another system
// can keep and read it. Built from the consent and the policy version the
// person was shown; the evidence text is not included (only its SHA-256).
//
//   nlohmann::json receipt = ConsentReceipt(policy_at_consent, consent_row);
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "policy/policy.h"
#include "store/store.h"

namespace mamori::engine {

// `policy` is the version the consent was given under (row.policy_version);
// `evidence` the evidence text opened (row.evidence is stored sealed; see
// engine.h, OpenSealedText). Without it, row.evidence is taken as the text.
nlohmann::json ConsentReceipt(const policy::Policy& policy, const store::ConsentRow& row,
                              std::optional<std::string_view> evidence = std::nullopt);

}  // namespace mamori::engine
