// Opaque ids: URL-safe strings with a type prefix (DESIGN.md, "Ids").
//
//   std::string id = NewId(IdKind::kSubject, random);   // "sub_AZLc...", 22 chars after the prefix
//   bool ok = HasIdPrefix(id, IdKind::kSubject);
#pragma once

#include <string>
#include <string_view>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/random.h"

namespace mamori::common {

enum class IdKind {
  kSubject,        // sub_
  kRecord,         // rec_
  kRequest,        // req_
  kConsent,        // con_
  kComplaint,      // cmp_
  kIncident,       // inc_
  kHold,           // hld_
  kToken,          // tok_
  kStopOrder,      // stp_
  kDeidentified,   // dei_
  kProvision,      // prv_: a provider's record of a provision (APPI Art. 29)
  kReceipt,        // rcv_: a recipient's record of data received (Art. 30)
  kTrusteeAudit,   // aud_
  kReentrustment,  // ree_: an approval of re-entrustment to a subcontractor
};

std::string_view IdPrefix(IdKind kind);

// 16 bytes, web-safe base64 without padding, after the prefix: the creation
// time in milliseconds (48 bits, big-endian) then 80 random bits, as in
// UUIDv7 (RFC 9562). Ids made close in time share a prefix, so inserting
// them into a B-tree touches few pages; 80 random bits keep them unique
// and unguessable.
std::string NewId(IdKind kind, RandomSource& random, absl::Time now = absl::Now());

// True when `id` has the kind's prefix and a well-formed body.
bool IsValidId(std::string_view id, IdKind kind);

}  // namespace mamori::common
