// Tests of the record cache (record_cache.h): what it returns, and the rule
// that a read which began before an invalidation never caches its rows.
#include "engine/record_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace mamori::engine {
namespace {

RecordCache::Rows RowsOf(std::vector<std::string> ids) {
  std::vector<store::RecordRow> rows;
  for (std::string& id : ids) {
    store::RecordRow row;
    row.id = std::move(id);
    rows.push_back(std::move(row));
  }
  return std::make_shared<const std::vector<store::RecordRow>>(std::move(rows));
}

const std::vector<std::string> kName = {"pd:Name"};
const std::vector<std::string> kNameAndEmail = {"pd:Name", "pd:EmailAddress"};

TEST(RecordCacheTest, FindsWhatWasInsertedCategoryByCategory) {
  RecordCache cache(100);
  std::vector<RecordCache::Rows> rows;
  EXPECT_FALSE(cache.Find("sub_a", kName, rows));
  cache.Insert(cache.generation(), "sub_a", kNameAndEmail, {RowsOf({"r1", "r2"}), RowsOf({})});
  ASSERT_TRUE(cache.Find("sub_a", kName, rows));
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(rows[0]->size(), 2u);
  EXPECT_EQ((*rows[0])[1].id, "r2");
  const std::vector<std::string> email_first = {"pd:EmailAddress", "pd:Name"};
  ASSERT_TRUE(cache.Find("sub_a", email_first, rows));
  EXPECT_TRUE(rows[0]->empty());  // cached as none
  EXPECT_EQ(rows[1]->size(), 2u);
  EXPECT_FALSE(cache.Find("sub_b", kName, rows));
}

TEST(RecordCacheTest, AMissingCategoryIsAMissAndLeavesNoRows) {
  RecordCache cache(100);
  cache.Insert(cache.generation(), "sub_a", kName, {RowsOf({"r1"})});
  std::vector<RecordCache::Rows> rows;
  EXPECT_FALSE(cache.Find("sub_a", kNameAndEmail, rows));
  EXPECT_TRUE(rows.empty());
}

TEST(RecordCacheTest, InvalidateForgetsTheSubjectOnly) {
  RecordCache cache(100);
  cache.Insert(cache.generation(), "sub_a", kName, {RowsOf({"r1"})});
  cache.Insert(cache.generation(), "sub_b", kName, {RowsOf({"r2"})});
  cache.Invalidate("sub_a");
  std::vector<RecordCache::Rows> rows;
  EXPECT_FALSE(cache.Find("sub_a", kName, rows));
  EXPECT_TRUE(cache.Find("sub_b", kName, rows));
}

TEST(RecordCacheTest, ARowSetReadBeforeAnInvalidationIsNotCached) {
  RecordCache cache(100);
  const uint64_t seen = cache.generation();
  // ... a reader reads from a snapshot; meanwhile a commit changes sub_a ...
  cache.Invalidate("sub_a");
  cache.Insert(seen, "sub_a", kName, {RowsOf({"stale"})});
  std::vector<RecordCache::Rows> rows;
  EXPECT_FALSE(cache.Find("sub_a", kName, rows));
  // A read that began after it is cached.
  cache.Insert(cache.generation(), "sub_a", kName, {RowsOf({"r1", "r2"})});
  ASSERT_TRUE(cache.Find("sub_a", kName, rows));
  EXPECT_EQ(rows[0]->size(), 2u);
}

TEST(RecordCacheTest, ClearForgetsEverythingAndRefusesReadsInFlight) {
  RecordCache cache(100);
  cache.Insert(cache.generation(), "sub_a", kName, {RowsOf({"r1"})});
  const uint64_t seen = cache.generation();
  cache.Clear();
  std::vector<RecordCache::Rows> rows;
  EXPECT_FALSE(cache.Find("sub_a", kName, rows));
  cache.Insert(seen, "sub_b", kName, {RowsOf({"r2"})});
  EXPECT_FALSE(cache.Find("sub_b", kName, rows));
}

TEST(RecordCacheTest, HoldsAboutItsCapacity) {
  RecordCache cache(32);
  for (int i = 0; i < 1000; ++i) {
    cache.Insert(cache.generation(), "sub_" + std::to_string(i), kName, {RowsOf({"r"})});
  }
  int held = 0;
  std::vector<RecordCache::Rows> rows;
  for (int i = 0; i < 1000; ++i) held += cache.Find("sub_" + std::to_string(i), kName, rows);
  EXPECT_GT(held, 0);
  EXPECT_LE(held, 32);
}

TEST(RecordCacheTest, ChangedSinceNamesTheSubjectsInvalidatedAfterAGeneration) {
  RecordCache cache(100);
  const uint64_t before = cache.generation();
  EXPECT_FALSE(cache.ChangedSince("sub_a", before));
  cache.Invalidate(absl::flat_hash_set<std::string>{"sub_a", "sub_b"});
  const uint64_t between = cache.generation();
  cache.Invalidate("sub_c");
  EXPECT_TRUE(cache.ChangedSince("sub_a", before));
  EXPECT_TRUE(cache.ChangedSince("sub_b", before));
  EXPECT_TRUE(cache.ChangedSince("sub_c", before));
  EXPECT_FALSE(cache.ChangedSince("sub_d", before));
  EXPECT_FALSE(cache.ChangedSince("sub_a", between));
  EXPECT_TRUE(cache.ChangedSince("sub_c", between));
  EXPECT_FALSE(cache.ChangedSince("sub_c", cache.generation()));
}

TEST(RecordCacheTest, ChangedSinceAnswersYesWhenItCannotTell) {
  RecordCache cache(100);
  const uint64_t before = cache.generation();
  for (int i = 0; i < 2000; ++i) cache.Invalidate("sub_" + std::to_string(i));
  EXPECT_TRUE(cache.ChangedSince("sub_unrelated", before));  // too long ago
  const uint64_t recent = cache.generation();
  cache.Invalidate("sub_x");
  EXPECT_FALSE(cache.ChangedSince("sub_unrelated", recent));
  cache.Clear();
  EXPECT_TRUE(cache.ChangedSince("sub_unrelated", recent));  // everything went
}

}  // namespace
}  // namespace mamori::engine
