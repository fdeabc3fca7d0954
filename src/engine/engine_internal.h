// Small helpers shared by the engine's source files (engine.cc,
// retention_sweep.cc); not part of its interface.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace mamori::engine::internal {

// A ledger entry for a change made by `actor`.
inline nlohmann::json ChangeEntry(std::string_view change, std::string_view actor) {
  return {{"kind", "change"}, {"change", change}, {"actor", actor}};
}

inline absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(message); }

}  // namespace mamori::engine::internal
