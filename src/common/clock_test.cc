#include "common/clock.h"

#include <gtest/gtest.h>

#include "absl/time/clock.h"

namespace mamori::common {
namespace {

TEST(FakeClockTest, AdvancesOnlyWhenTold) {
  absl::Time start = absl::FromUnixSeconds(1'700'000'000);
  FakeClock clock(start);
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(absl::Hours(25));
  EXPECT_EQ(clock.Now(), start + absl::Hours(25));
  clock.Set(start);
  EXPECT_EQ(clock.Now(), start);
}

TEST(SystemClockTest, IsCloseToNow) {
  EXPECT_LT(absl::AbsDuration(SystemClock::Instance().Now() - absl::Now()), absl::Seconds(5));
}

}  // namespace
}  // namespace mamori::common
