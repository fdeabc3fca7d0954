// ReaderPool's record of forgotten keys: which prepared uses the writer
// must read again after keys were destroyed, and which it may trust.
#include "engine/reader_pool.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/random.h"
#include "common/testing/test_files.h"
#include "crypto/secret_key.h"
#include "store/sqlite_store.h"

namespace mamori::engine {
namespace {

class ReaderPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::OpenSqliteStore(temp_.path().string(), {.create = true});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    pool_ = std::make_unique<ReaderPool>(
        *store_, crypto::SecretKey::Generate(common::SodiumRandom::Instance()),
        common::SodiumRandom::Instance(), 2);
  }

  common::testing::ScopedTempDir temp_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ReaderPool> pool_;
};

TEST_F(ReaderPoolTest, OnlyTheSubjectsWhoseKeysWentAreChanged) {
  EXPECT_EQ(pool_->key_epoch(), 0u);
  EXPECT_FALSE(pool_->SubjectChangedSince("sub_a", 0));

  pool_->ForgetKeys({{"sub_a", "pd:CallLog", "2026-01"}}, {});
  EXPECT_EQ(pool_->key_epoch(), 1u);
  EXPECT_TRUE(pool_->SubjectChangedSince("sub_a", 0));
  EXPECT_FALSE(pool_->SubjectChangedSince("sub_b", 0));
  EXPECT_FALSE(pool_->SubjectChangedSince("sub_a", 1));  // prepared after

  pool_->ForgetKeys({}, {"sub_c"});  // an erased person: every key
  EXPECT_EQ(pool_->key_epoch(), 2u);
  EXPECT_TRUE(pool_->SubjectChangedSince("sub_c", 1));
  EXPECT_TRUE(pool_->SubjectChangedSince("sub_c", 0));
  EXPECT_FALSE(pool_->SubjectChangedSince("sub_a", 1));
  EXPECT_TRUE(pool_->SubjectChangedSince("sub_a", 0));
}

TEST_F(ReaderPoolTest, TooFarBehindCountsAsChanged) {
  for (int i = 0; i < 1100; ++i) {
    pool_->ForgetKeys({{"sub_" + std::to_string(i), "pd:CallLog", "2026-01"}}, {});
  }
  EXPECT_EQ(pool_->key_epoch(), 1100u);
  // Epoch 0 is older than what is kept: nothing can be told about it.
  EXPECT_TRUE(pool_->SubjectChangedSince("sub_unrelated", 0));
  // Recent ones are still told apart.
  EXPECT_FALSE(pool_->SubjectChangedSince("sub_unrelated", 1000));
  EXPECT_TRUE(pool_->SubjectChangedSince("sub_1050", 1000));
}

TEST_F(ReaderPoolTest, ALeasedReaderIsAtTheCurrentEpoch) {
  pool_->ForgetKeys({{"sub_a", "pd:Name", "open"}}, {});
  {
    auto lease = pool_->Acquire();
    ASSERT_TRUE(lease.ok()) << lease.status();
    EXPECT_EQ((*lease)->epoch, 1u);
  }
  pool_->ForgetKeys({}, {"sub_b"});
  auto lease = pool_->Acquire();  // the same reader, caught up
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ((*lease)->epoch, 2u);
}

}  // namespace
}  // namespace mamori::engine
