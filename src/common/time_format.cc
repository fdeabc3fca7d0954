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

absl::StatusOr<Period> ParsePeriod(std::string_view from_name, std::string_view from,
                                   std::string_view to_name, std::string_view to,
                                   absl::TimeZone zone, absl::Time now,
                                   absl::Duration default_length) {
  auto bound = [&](std::string_view name, std::string_view text,
                   bool end) -> absl::StatusOr<absl::Time> {
    absl::StatusOr<DayOrTime> t = ParseDayOrTime(text);
    if (!t.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("{}: expected a date YYYY-MM-DD or an RFC 3339 time", name));
    }
    if (!t->day) return t->time;
    return absl::FromCivil(end ? *t->day + 1 : *t->day, zone);
  };
  Period period;
  if (to.empty()) {
    period.to = now;
  } else {
    absl::StatusOr<absl::Time> t = bound(to_name, to, /*end=*/true);
    if (!t.ok()) return t.status();
    period.to = *t;
  }
  if (from.empty()) {
    period.from = period.to - default_length;
  } else {
    absl::StatusOr<absl::Time> t = bound(from_name, from, /*end=*/false);
    if (!t.ok()) return t.status();
    period.from = *t;
  }
  if (period.from >= period.to) {
    return absl::InvalidArgumentError(fmt::format("{} must be before {}", from_name, to_name));
  }
  return period;
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
