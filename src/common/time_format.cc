#include "common/time_format.h"

#include <fmt/format.h>

#include "common/strings.h"

namespace mamori::common {

std::string FormatTimestamp(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string FormatTimestampMicros(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::CivilDay> ParseDate(std::string_view text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(ToAbsl(text), &day)) {
    return absl::InvalidArgumentError(
        fmt::format("expected a date as YYYY-MM-DD, got \"{}\"", text));
  }
  return day;
}

absl::StatusOr<DayOrTime> ParseDayOrTime(std::string_view text) {
  if (text.size() == 10) {
    absl::StatusOr<absl::CivilDay> day = ParseDate(text);
    if (!day.ok()) return day.status();
    return DayOrTime{*day, absl::InfinitePast()};
  }
  absl::StatusOr<absl::Time> t = ParseTimestamp(text);
  if (!t.ok()) return t.status();
  return DayOrTime{std::nullopt, *t};
}

absl::StatusOr<absl::Time> ParseTimestamp(std::string_view text) {
  if (text.size() == 10) {
    absl::StatusOr<absl::CivilDay> day = ParseDate(text);
    if (!day.ok()) return day.status();
    return absl::FromCivil(*day, absl::UTCTimeZone());
  }
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, ToAbsl(text), &t, &err)) {
    return absl::InvalidArgumentError(fmt::format(
        "expected an RFC 3339 time such as 2026-04-01T09:30:00+09:00, got \"{}\"", text));
  }
  return t;
}

}  // namespace mamori::common
