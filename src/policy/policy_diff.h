// Policy diff: what changed between two versions of the policy, for the
// ledger entry recorded when a new version is loaded and for reviewers
// (APPI Art. 17(2), 21(3): a purpose change must be notified or announced).
//
//   nlohmann::json d = DiffPolicies(old_policy, new_policy);
//   std::cerr << DiffSummary(d) << "\n";  // "purposes: +1 -0 ~2; categories: ~1"
//
// The diff is an object with `operator_changed` and `name_changed` (bools,
// always present) and, for each kind of element that changed (`purposes`,
// `categories`, `services`, `retention`, `joint_uses`, `trustees`,
// `recipients`, `roles`, `courses`, `group_companies`), an object of id lists
// `added` (in the new policy's order), `removed` (in the old policy's order)
// and `changed` (same id, different PolicyToJson form; new policy's order).
// Kinds without a change are omitted.
//
// Thread-safety: pure functions, thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "policy/policy.h"

namespace mamori::policy {

nlohmann::json DiffPolicies(const Policy& before, const Policy& after);

// One line for people: "operator: changed; purposes: +1 -0 ~2; categories: ~1",
// or "no changes". A kind shows "+added -removed" when something was added
// or removed and "~changed" when something changed.
std::string DiffSummary(const nlohmann::json& diff);

}  // namespace mamori::policy
