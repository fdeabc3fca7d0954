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
  EXPECT_EQ(NewId(IdKind::kRecord, a), NewId(IdKind::kRecord, b));
  EXPECT_NE(NewId(IdKind::kRecord, a), NewId(IdKind::kRecord, a));
}

}  // namespace
}  // namespace mamori::common
