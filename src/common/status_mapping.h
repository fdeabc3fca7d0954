// The one mapping from absl::Status codes to CLI exit codes, HTTP statuses
// and stable error-code strings (DESIGN.md, "Command line and API
// conventions"). A denied decision is not a Status; callers map it to exit 3
// / HTTP 403 themselves.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace mamori::common {

enum ExitCode : int {
  kExitOk = 0,
  kExitOther = 1,
  kExitBadInput = 2,
  kExitDenied = 3,
  kExitIntegrity = 4,
};

// 0 ok · 2 bad input (also a refused token or permission) · 4 integrity
// failure · 1 anything else. Never 3: a denial is not a Status.
int ExitCodeFor(const absl::Status& status);

// 400 / 401 / 403 / 404 / 409 / 413 / 500 / 503 ...
int HttpStatusFor(const absl::Status& status);

// A stable snake_case code for the error body ("invalid_argument", ...).
std::string_view ErrorCodeFor(const absl::Status& status);

}  // namespace mamori::common
