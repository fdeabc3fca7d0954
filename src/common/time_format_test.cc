#include "common/time_format.h"

#include <gtest/gtest.h>

namespace mamori::common {
namespace {

TEST(TimeFormatTest, RoundTripsUtc) {
  absl::Time t = absl::FromUnixSeconds(1'775'035'800);
  EXPECT_EQ(ParseTimestamp(FormatTimestamp(t)).value(), t);
}

TEST(TimeFormatTest, AcceptsDateAndOffsets) {
  EXPECT_EQ(FormatTimestamp(ParseTimestamp("2026-04-01").value()), "2026-04-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(ParseTimestamp("2026-04-01T09:30:00+09:00").value()),
            "2026-04-01T00:30:00Z");
}

TEST(TimeFormatTest, RejectsGarbage) {
  EXPECT_FALSE(ParseTimestamp("yesterday").ok());
  EXPECT_FALSE(ParseTimestamp("2026-13-01").ok());
  EXPECT_FALSE(ParseTimestamp("2026-04-01T09:30").ok());
  EXPECT_FALSE(ParseDate("2026-4-1").ok());
}

}  // namespace
}  // namespace mamori::common

TEST(TimeFormatTest, PeriodsTakeDaysInTheZoneAndIncludeTheLastDay) {
  using mamori::common::ParsePeriod;
  using mamori::common::Period;
  absl::TimeZone tokyo;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Tokyo", &tokyo));
  const absl::Time now = absl::FromCivil(absl::CivilSecond(2026, 11, 28, 12, 0, 0), tokyo);
  absl::StatusOr<Period> p =
      ParsePeriod("--from", "2026-11-01", "--to", "2026-11-27", tokyo, now, absl::Hours(24));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->from, absl::FromCivil(absl::CivilDay(2026, 11, 1), tokyo));
  EXPECT_EQ(p->to, absl::FromCivil(absl::CivilDay(2026, 11, 28), tokyo));
  p = ParsePeriod("--from", "", "--to", "", tokyo, now, absl::Hours(24 * 30));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->to, now);
  EXPECT_EQ(p->from, now - absl::Hours(24 * 30));
  p = ParsePeriod("--from", "2026-11-02T00:00:00Z", "--to", "", tokyo, now, absl::Hours(1));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->from, absl::FromUnixSeconds(1793577600));
  EXPECT_EQ(ParsePeriod("--from", "2026-11-28", "--to", "2026-11-27", tokyo, now, absl::Hours(1))
                .status()
                .message(),
            "--from must be before --to");
  EXPECT_EQ(
      ParsePeriod("--from", "yesterday", "--to", "", tokyo, now, absl::Hours(1)).status().message(),
      "--from: expected a date YYYY-MM-DD or an RFC 3339 time");
}
