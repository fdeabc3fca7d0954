// Opaque ids: URL-safe strings with a type prefix (DESIGN.md, "Ids").
//
//   std::string id = NewId(IdKind::kSubject, random);   // "sub_Zk3...". 22 chars after the prefix
//   bool ok = HasIdPrefix(id, IdKind::kSubject);
#pragma once

#include <string>
#include <string_view>

#include "common/random.h"

namespace mamori::common {

enum class IdKind {
  kSubject,    // sub_
  kRecord,     // rec_
  kRequest,    // req_
  kConsent,    // con_
  kComplaint,  // cmp_
  kIncident,   // inc_
  kHold,       // hld_
  kToken,      // tok_
};

std::string_view IdPrefix(IdKind kind);

// 128 random bits, web-safe base64 without padding, after the prefix.
std::string NewId(IdKind kind, RandomSource& random);

// True when `id` has the kind's prefix and a well-formed body.
bool IsValidId(std::string_view id, IdKind kind);

}  // namespace mamori::common
