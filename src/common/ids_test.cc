#include "common/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace mamori::common {
namespace {

TEST(IdsTest, NewIdsHavePrefixAndAreUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewId(IdKind::kSubject, SodiumRandom::Instance());
    EXPECT_TRUE(IsValidId(id, IdKind::kSubject)) << id;
    EXPECT_FALSE(IsValidId(id, IdKind::kRecord)) << id;
    EXPECT_TRUE(seen.insert(id).second);
  }
}

TEST(IdsTest, RejectsMalformedIds) {
  EXPECT_FALSE(IsValidId("", IdKind::kSubject));
  EXPECT_FALSE(IsValidId("sub_", IdKind::kSubject));
  EXPECT_FALSE(IsValidId("sub_short", IdKind::kSubject));
  EXPECT_FALSE(IsValidId("sub_AAAAAAAAAAAAAAAAAAAAA/", IdKind::kSubject));
  EXPECT_FALSE(IsValidId("sub_AAAAAAAAAAAAAAAAAAAAAAA", IdKind::kSubject));
  EXPECT_TRUE(IsValidId("sub_AAAAAAAAAAAAAAAAAAAAAA", IdKind::kSubject));
}

TEST(IdsTest, DeterministicRandomRepeats) {
  DeterministicRandom a(7), b(7);
  absl::Time t = absl::FromUnixMillis(1'775'000'000'123);
  EXPECT_EQ(NewId(IdKind::kRecord, a, t), NewId(IdKind::kRecord, b, t));
  EXPECT_NE(NewId(IdKind::kRecord, a, t), NewId(IdKind::kRecord, a, t));
}

TEST(IdsTest, IdsMadeCloseInTimeShareAPrefix) {
  absl::Time t = absl::FromUnixMillis(1'775'000'000'123);
  std::string a = NewId(IdKind::kRecord, SodiumRandom::Instance(), t);
  std::string b = NewId(IdKind::kRecord, SodiumRandom::Instance(), t + absl::Milliseconds(1));
  // 4 + 7 characters cover the prefix and the top 42 bits of the time.
  EXPECT_EQ(a.substr(0, 11), b.substr(0, 11));
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace mamori::common
