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
