// Small helpers shared by the engine's source files (engine.cc,
// retention_sweep.cc); not part of its interface.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "notice/notice.h"

namespace mamori::engine::internal {

// A ledger entry for a change made by `actor`.
inline nlohmann::json ChangeEntry(std::string_view change, std::string_view actor) {
  return {{"kind", "change"}, {"change", change}, {"actor", actor}};
}

// Empty or only whitespace.
inline bool Blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

inline absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(message); }

// A customer's chosen language: empty (not given), "ja" or "en".
inline absl::Status ValidateLanguage(std::string_view language) {
  if (language.empty() || notice::ParseLanguage(language)) return absl::OkStatus();
  return Invalid("language: expected ja or en");
}

}  // namespace mamori::engine::internal
