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

// A period [from, to) given as two optional texts, each a date (in `zone`)
// or an RFC 3339 time: a `from` date starts at its midnight, a `to` date
// includes that whole day. Empty `to`: `now`; empty `from`: `default_length`
// before `to`. InvalidArgument naming `from_name`/`to_name` for a bad text,
// or when from >= to.
struct Period {
  absl::Time from;
  absl::Time to;
};
absl::StatusOr<Period> ParsePeriod(std::string_view from_name, std::string_view from,
                                   std::string_view to_name, std::string_view to,
                                   absl::TimeZone zone, absl::Time now,
                                   absl::Duration default_length);

}  // namespace mamori::common
