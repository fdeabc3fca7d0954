#include "vault/key_ring.h"

#include <gtest/gtest.h>

#include <cstring>

#include "crypto/master_key.h"
#include "vault/test_data_dir.h"

namespace mamori::vault {
namespace {

class KeyRingTest : public testing::DataDirTest {
 protected:
  crypto::SecretKey master_key() {
    auto key = crypto::ReadMasterKeyFile(master_key_);
    EXPECT_TRUE(key.ok());
    return *key;
  }
};

TEST_F(KeyRingTest, CreatesOnceThenReadsTheSameKey) {
  store::KeyStore& keys = dir_->store().keys();
  store::DataKeyId id{"sub_1", "pd:Name", "open"};
  crypto::SecretKey first;
  {
    KeyRing ring(keys, master_key(), common::SodiumRandom::Instance());
    auto key = ring.DataKey(id, /*create=*/true);
    ASSERT_TRUE(key.ok()) << key.status();
    first = **key;
  }
  KeyRing fresh(keys, master_key(), common::SodiumRandom::Instance());
  auto again = fresh.DataKey(id, /*create=*/false);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(std::memcmp((*again)->data(), first.data(), crypto::SecretKey::kSize), 0);
  // Keys are stored only wrapped: the raw bytes are not what the store holds.
  std::string wrapped = keys.GetDataKey(id).value().value();
  EXPECT_EQ(wrapped.find(
                std::string(reinterpret_cast<const char*>(first.data()), crypto::SecretKey::kSize)),
            std::string::npos);
}

TEST_F(KeyRingTest, MissingKeyWithoutCreateIsNotFound) {
  KeyRing ring(dir_->store().keys(), master_key(), common::SodiumRandom::Instance());
  EXPECT_EQ(ring.DataKey({"sub_none", "pd:Name", "open"}, false).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(KeyRingTest, DestroyedKeysCannotBeRecovered) {
  store::KeyStore& keys = dir_->store().keys();
  KeyRing ring(keys, master_key(), common::SodiumRandom::Instance());
  store::DataKeyId id{"sub_2", "pd:Name", "open"};
  ASSERT_TRUE(ring.DataKey(id, true).ok());
  ASSERT_EQ(keys.DestroySubjectKeys("sub_2").value(), 2);
  ring.EvictAll();
  EXPECT_EQ(ring.DataKey(id, false).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(KeyRingTest, WrongMasterKeyIsDataLoss) {
  common::DeterministicRandom random(3);
  KeyRing ring(dir_->store().keys(), crypto::SecretKey::Generate(random), random);
  EXPECT_EQ(ring.OperatorKey(kBlindIndexKeyName, false).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(KeyRingTest, OperatorKeysExistAfterInit) {
  KeyRing ring(dir_->store().keys(), master_key(), common::SodiumRandom::Instance());
  EXPECT_TRUE(ring.OperatorKey(kBlindIndexKeyName, false).ok());
  EXPECT_TRUE(ring.OperatorKey(kSigningKeyName, false).ok());
  EXPECT_TRUE(ring.OperatorKey(kDeidentificationKeyName, false).ok());
}

}  // namespace
}  // namespace mamori::vault
