// Bridges between std::string_view and Debian's Abseil, which is built with
// its own absl::string_view type (ABSL_OPTION_USE_STD_STRING_VIEW is 0), so
// the two do not convert implicitly.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace mamori::common {

inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view FromAbsl(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace mamori::common
