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
#include <set>
#include <string>

#include "absl/status/status.h"
#include "policy/policy.h"

namespace mamori::policy {

nlohmann::json DiffPolicies(const Policy& before, const Policy& after);

// One line for people: "operator: changed; purposes: +1 -0 ~2; categories: ~1",
// or "no changes". A kind shows "+added -removed" when something was added
// or removed and "~changed" when something changed.
std::string DiffSummary(const nlohmann::json& diff);

// Whether `next` may replace `old` as far as joint use goes (APPI Art. 27(6);
// LEGAL.md "Joint use"). For each declaration kept (same id):
//   - its items and its users are not widened, since they cannot change for
//     data already held (narrowing is allowed);
//   - a change of its responsible party or its purposes (as a set) comes with
//     a `notice_date`, later than the old version's, recording the prior
//     notice of the change.
// Adding or removing a declaration is allowed. OK, or InvalidArgument with one
// line per problem, in the new policy's order, e.g.
//   joint use "group-fraud-prevention": items cannot be widened for data
//   already held (APPI Art. 27(6))
absl::Status CheckJointUseChange(const Policy& old, const Policy& next);

// Whether a purpose's meaning changed: its announced text (either
// language) or its categories (as a set). Names and retention are not its
// meaning.
bool PurposeMeaningChanged(const Purpose& before, const Purpose& after);

// The purposes of `after` whose meaning changed since `before` without the
// change being declared reasonably related (`change_reasonably_related`):
// data collected under `before` keeps its former purpose, so a use under
// the changed one needs the person's consent (APPI Art. 17(2), 18(1),
// 21(3)). Purposes new in `after` are not listed: data collected before
// never had them.
std::set<std::string> PurposesChangedWithoutRelation(const Policy& before, const Policy& after);

}  // namespace mamori::policy
