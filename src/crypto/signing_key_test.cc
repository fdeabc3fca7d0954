#include "crypto/signing_key.h"

#include <gtest/gtest.h>

namespace mamori::crypto {
namespace {

TEST(SigningKeyTest, SignsAndVerifies) {
  SigningKey key = SigningKey::Generate(common::SodiumRandom::Instance());
  std::string sig = key.Sign("tree head 42");
  EXPECT_TRUE(VerifySignature(key.public_key(), "tree head 42", sig));
  EXPECT_FALSE(VerifySignature(key.public_key(), "tree head 43", sig));
  sig[0] ^= 1;
  EXPECT_FALSE(VerifySignature(key.public_key(), "tree head 42", sig));
}

TEST(SigningKeyTest, SeedRebuildsSameKeyPair) {
  SigningKey key = SigningKey::Generate(common::SodiumRandom::Instance());
  SigningKey again = SigningKey::FromSeed(key.seed());
  EXPECT_EQ(again.public_key(), key.public_key());
  EXPECT_TRUE(VerifySignature(key.public_key(), "m", again.Sign("m")));
}

TEST(SigningKeyTest, RejectsMalformedInputs) {
  EXPECT_FALSE(VerifySignature("short", "m", std::string(64, '\0')));
  SigningKey key = SigningKey::Generate(common::SodiumRandom::Instance());
  EXPECT_FALSE(VerifySignature(key.public_key(), "m", "short"));
}

}  // namespace
}  // namespace mamori::crypto
