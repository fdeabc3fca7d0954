// Parsing of command-line values shared by the CLI's command files.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/strings.h"
#include "common/time_format.h"

namespace mamori::cli {

// A date (YYYY-MM-DD: a day in the operator's time zone) or an RFC 3339
// time, given to the flag named `flag`; the error names the flag.
inline absl::StatusOr<common::DayOrTime> DayOrTimeArgument(std::string_view flag,
                                                           const std::string& text) {
  absl::StatusOr<common::DayOrTime> r = common::ParseDayOrTime(text);
  if (!r.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", flag, common::FromAbsl(r.status().message())));
  }
  return *r;
}

}  // namespace mamori::cli
