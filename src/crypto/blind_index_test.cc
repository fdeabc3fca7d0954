#include "crypto/blind_index.h"

#include <gtest/gtest.h>

namespace mamori::crypto {
namespace {

TEST(BlindIndexTest, SameInputSameMac) {
  common::DeterministicRandom random(1);
  BlindIndexer indexer(SecretKey::Generate(random));
  EXPECT_EQ(indexer.Mac("phone", "+819012345678"), indexer.Mac("phone", "+819012345678"));
  EXPECT_EQ(indexer.Mac("phone", "+819012345678").size(), BlindIndexer::kMacSize);
}

TEST(BlindIndexTest, DomainSeparatesKinds) {
  common::DeterministicRandom random(1);
  BlindIndexer indexer(SecretKey::Generate(random));
  EXPECT_NE(indexer.Mac("name", "abc"), indexer.Mac("contract", "abc"));
  // The separator keeps ("ab","c") apart from ("a","bc").
  EXPECT_NE(indexer.Mac("ab", "c"), indexer.Mac("a", "bc"));
}

TEST(BlindIndexTest, DifferentKeysGiveUnrelatedMacs) {
  common::DeterministicRandom random(1);
  BlindIndexer a(SecretKey::Generate(random));
  BlindIndexer b(SecretKey::Generate(random));
  EXPECT_NE(a.Mac("email", "x@example.jp"), b.Mac("email", "x@example.jp"));
}

TEST(BlindIndexTest, MacDoesNotContainTheValue) {
  common::DeterministicRandom random(1);
  BlindIndexer indexer(SecretKey::Generate(random));
  std::string mac = indexer.Mac("email", "taro@example.jp");
  EXPECT_EQ(mac.find("taro"), std::string::npos);
}

}  // namespace
}  // namespace mamori::crypto
