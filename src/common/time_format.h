// RFC 3339 timestamps in UTC, the only textual time format mamori stores or
// prints.
//
//   std::string s = FormatTimestamp(t);              // "2026-04-01T09:30:00Z"
//   absl::StatusOr<absl::Time> t = ParseTimestamp("2026-04-01");  // midnight UTC
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace mamori::common {

// Seconds precision, always with a trailing Z.
std::string FormatTimestamp(absl::Time t);
// RFC 3339 in UTC with microseconds: "2026-04-01T09:30:00.123456Z".
std::string FormatTimestampMicros(absl::Time t);

// Accepts "YYYY-MM-DD" (midnight UTC) or RFC 3339 with a zone offset
// ("2026-04-01T09:30:00+09:00", fractional seconds allowed).
absl::StatusOr<absl::Time> ParseTimestamp(std::string_view text);

// Accepts only a calendar date "YYYY-MM-DD".
absl::StatusOr<absl::CivilDay> ParseDate(std::string_view text);

// A calendar date, whose time zone the caller chooses (usually the
// operator's), or an exact time.
struct DayOrTime {
  std::optional<absl::CivilDay> day;  // set for "YYYY-MM-DD"
  absl::Time time;                    // set otherwise
};
// Accepts "YYYY-MM-DD" or RFC 3339 with a zone offset.
absl::StatusOr<DayOrTime> ParseDayOrTime(std::string_view text);

}  // namespace mamori::common
