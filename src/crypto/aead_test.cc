#include "crypto/aead.h"

#include <gtest/gtest.h>

namespace mamori::crypto {
namespace {

class AeadTest : public ::testing::Test {
 protected:
  common::DeterministicRandom random_{42};
  SecretKey key_ = SecretKey::Generate(random_);
};

TEST_F(AeadTest, RoundTripsValuesOfManySizes) {
  for (size_t n : {0, 1, 15, 16, 17, 255, 256, 4096}) {
    std::string plain(n, 'x');
    for (size_t i = 0; i < n; ++i) plain[i] = static_cast<char>(i * 7);
    std::string sealed = Seal(key_, plain, "aad", random_);
    EXPECT_EQ(sealed.size(), n + kAeadOverhead);
    EXPECT_EQ(Open(key_, sealed, "aad").value(), plain);
  }
}

TEST_F(AeadTest, RoundTripsJapaneseText) {
  std::string plain = "山田 太郎";
  EXPECT_EQ(Open(key_, Seal(key_, plain, "a", random_), "a").value(), plain);
}

TEST_F(AeadTest, SameValueEncryptsDifferentlyEachTime) {
  EXPECT_NE(Seal(key_, "same", "a", random_), Seal(key_, "same", "a", random_));
}

TEST_F(AeadTest, WrongAssociatedDataFails) {
  std::string sealed = Seal(key_, "secret", "sub_A|rec_1|pd:Name", random_);
  auto opened = Open(key_, sealed, "sub_B|rec_1|pd:Name");
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(AeadTest, WrongKeyFails) {
  std::string sealed = Seal(key_, "secret", "a", random_);
  SecretKey other = SecretKey::Generate(random_);
  EXPECT_EQ(Open(other, sealed, "a").status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(AeadTest, EveryFlippedByteFails) {
  std::string sealed = Seal(key_, "0901234567", "a", random_);
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string tampered = sealed;
    tampered[i] ^= 0x01;
    EXPECT_EQ(Open(key_, tampered, "a").status().code(), absl::StatusCode::kDataLoss) << i;
  }
}

TEST_F(AeadTest, TruncatedFails) {
  std::string sealed = Seal(key_, "value", "a", random_);
  EXPECT_FALSE(Open(key_, sealed.substr(0, kAeadOverhead - 1), "a").ok());
  EXPECT_FALSE(Open(key_, sealed.substr(0, sealed.size() - 1), "a").ok());
  EXPECT_FALSE(Open(key_, "", "a").ok());
}

TEST_F(AeadTest, KeyWrapRoundTripAndBinding) {
  SecretKey inner = SecretKey::Generate(random_);
  std::string wrapped = WrapKey(key_, inner, "subject-key|sub_1", random_);
  auto unwrapped = UnwrapKey(key_, wrapped, "subject-key|sub_1");
  ASSERT_TRUE(unwrapped.ok());
  EXPECT_EQ(std::memcmp(unwrapped->data(), inner.data(), SecretKey::kSize), 0);
  EXPECT_EQ(UnwrapKey(key_, wrapped, "subject-key|sub_2").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace mamori::crypto
