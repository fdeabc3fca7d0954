#include "engine/job_pace.h"

#include <gtest/gtest.h>

#include <limits>

namespace mamori::engine {
namespace {

TEST(JobPaceTest, TheFirstJobIsWithinOneAndTheMost) {
  EXPECT_EQ(JobPace(64, 2048, absl::Milliseconds(2)).per_job(), 64u);
  EXPECT_EQ(JobPace(64, 10, absl::Milliseconds(2)).per_job(), 10u);
  EXPECT_EQ(JobPace(0, 10, absl::Milliseconds(2)).per_job(), 1u);
  EXPECT_EQ(JobPace(5, 0, absl::Milliseconds(2)).per_job(), 1u);
}

TEST(JobPaceTest, TheNextJobFitsTheBudgetAtTheLastOnesPace) {
  JobPace pace(64, 2048, absl::Milliseconds(2));
  pace.Learn(64, absl::Microseconds(500));  // 4 times too few
  EXPECT_EQ(pace.per_job(), 256u);
  pace.Learn(256, absl::Milliseconds(8));  // 4 times too many
  EXPECT_EQ(pace.per_job(), 64u);
  pace.Learn(64, absl::Seconds(1));  // far too slow: one at least
  EXPECT_EQ(pace.per_job(), 1u);
}

TEST(JobPaceTest, NeverMoreThanTheMostHoweverFast) {
  JobPace pace(64, 2048, absl::Milliseconds(2));
  pace.Learn(64, absl::Nanoseconds(1));  // 128 million would fit
  EXPECT_EQ(pace.per_job(), 2048u);
  // Past size_t's range as a double: a cast would be undefined.
  pace.Learn(std::numeric_limits<size_t>::max() / 2, absl::Nanoseconds(1));
  EXPECT_EQ(pace.per_job(), 2048u);
}

TEST(JobPaceTest, AJobThatDidNothingOrTookNoTimeTellsNothing) {
  JobPace pace(64, 2048, absl::Milliseconds(2));
  pace.Learn(0, absl::Milliseconds(5));
  EXPECT_EQ(pace.per_job(), 64u);
  pace.Learn(64, absl::ZeroDuration());
  EXPECT_EQ(pace.per_job(), 64u);
}

}  // namespace
}  // namespace mamori::engine
