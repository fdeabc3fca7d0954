// Rules of Decide() that other decisions apply unchanged: the provision
// decision (policy/provision.h) checks the actor exactly as a use is checked.
//
//   if (std::optional<Decision> d = internal::CheckActorRules(policy, actor, *purpose,
//                                                             categories, use)) {
//     return *d;  // role_purpose_not_allowed, ..., training_expired
//   }
//
// Thread-safety: pure functions; call from any number of threads.
#pragma once

#include <optional>
#include <span>

#include "policy/decision.h"
#include "policy/policy.h"

namespace mamori::policy::internal {

// Rules 8–9 of docs/decisions.md: some held role grants the purpose; for
// each category one held role grants both the purpose and the category; every
// course of every held role has a completion not after `request.now` that is
// still valid. nullopt when the actor passes, else the denial (reason codes
// role_purpose_not_allowed, role_category_not_allowed, training_missing,
// training_expired), flagged for audit when `request` names a ground. Reads
// only `request.now` and `request.ground`.
// REQUIRES: `purpose` and each of `categories` are elements of `policy`.
std::optional<Decision> CheckActorRules(const Policy& policy, const ActorFacts& actor,
                                        const Purpose& purpose,
                                        std::span<const Category* const> categories,
                                        const UseRequest& request);

}  // namespace mamori::policy::internal
