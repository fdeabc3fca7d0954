// Normalization of identifiers before they are blind-indexed, so that the
// forms people actually type find the same customer (DESIGN.md, "Look-ups
// without decryption"):
//   phone       E.164 via libphonenumber, Japanese numbers by default
//               ("090-1234-5678", "+81 90 1234 5678", "０９０１２３４５６７８"
//               all become "+819012345678");
//   email       NFKC_Casefold, surrounding space trimmed;
//   contract    NFKC_Casefold, spaces and hyphens removed;
//   name        NFKC_Casefold, all white space removed ("ヤマダ　タロウ" and
//               "ﾔﾏﾀﾞ ﾀﾛｳ" match; "TARO" and "taro" match);
//   birth_date  YYYY-MM-DD from "1990-04-01", "1990/4/1" or full-width digits.
//
// Errors name the identifier kind, never the value.
//
// Thread-safety: thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "policy/policy.h"

namespace mamori::vault {

// Region used for phone numbers written without a country code.
inline constexpr char kDefaultPhoneRegion[] = "JP";

absl::StatusOr<std::string> NormalizeIdentifier(policy::IdentifierKind kind,
                                                std::string_view value);

// ICU NFKC_Casefold of UTF-8 text. InvalidArgument on malformed UTF-8.
absl::StatusOr<std::string> NfkcCasefold(std::string_view text);

}  // namespace mamori::vault
