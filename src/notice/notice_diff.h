// Notice diff: how the public notice of one service changes from one policy
// version to another, and what a changed purpose means for the records
// collected before the change (APPI Art. 17(2), 18(1), 21(3), 27(6)).
//
//   ASSIGN_OR_RETURN(nlohmann::json d, NoticeDiff(v1, 1, v2, 2, "mobile"));
//   for (const auto& p : d["purposes"]["changed"])
//     if (p["changed_purpose"]) Review(p["consequence"]["code"]);
//
// A purpose whose announced text (either language) or categories changed is
// a changed purpose, and so is a purpose the service newly announces: data
// already held would be used for something the person was not told. If the
// new version declares it `change_reasonably_related`, records collected
// before may be used for it once it is announced (the consequence code
// "changed_purpose_applies_to_existing_records"); otherwise they keep their
// former purposes and the new use needs consent
// ("existing_records_need_consent"). The schema is in docs/notices.md.
//
// Thread-safety: pure function, thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "absl/status/statusor.h"
#include "policy/policy.h"

namespace mamori::notice {

// Stable codes of the consequence of a changed purpose.
inline constexpr char kChangedPurposeAppliesToExistingRecords[] =
    "changed_purpose_applies_to_existing_records";
inline constexpr char kExistingRecordsNeedConsent[] = "existing_records_need_consent";

// Stable codes of the consequences of a changed joint use.
inline constexpr char kJointUsePriorNoticeRequired[] = "prior_notice_required";
inline constexpr char kJointUseHeldDataKeepsScope[] = "held_data_keeps_items_and_users";

// The changes to `service`'s notice from `before` (version `before_version`)
// to `after`. A service in only one of the two counts as empty in the other.
// NotFound when neither has it.
absl::StatusOr<nlohmann::json> NoticeDiff(const policy::Policy& before, int64_t before_version,
                                          const policy::Policy& after, int64_t after_version,
                                          std::string_view service);

}  // namespace mamori::notice
