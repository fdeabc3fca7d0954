// SQLite-specific behaviour: files, reopening, migrations, and that destroyed
// keys leave the key file.
#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/time/clock.h"
#include "common/testing/test_files.h"

namespace mamori::store {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  common::testing::ScopedTempDir temp_;
  const std::filesystem::path& dir_ = temp_.path();
};

TEST_F(SqliteStoreTest, MissingDirectoryIsNotFoundWithoutCreate) {
  auto store = OpenSqliteStore(dir_.string(), {.create = false});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_ / kRecordsFileName));
}

TEST_F(SqliteStoreTest, ReopenKeepsDataAndSchemaVersion) {
  {
    auto store = OpenSqliteStore(dir_.string(), {.create = true});
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->records().InsertPolicyVersion({1, absl::Now(), "h", "s", "a"}).ok());
  }
  auto store = OpenSqliteStore(dir_.string(), {.create = false});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->records().SchemaVersion().value(), 3);
  EXPECT_TRUE((*store)->records().GetPolicyVersion(1).value().has_value());
  EXPECT_EQ((*store)->engine(), "sqlite");
}

TEST_F(SqliteStoreTest, RefusesNewerSchema) {
  {
    auto store = OpenSqliteStore(dir_.string(), {.create = true});
    ASSERT_TRUE(store.ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / kRecordsFileName).c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (99, 0)", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  auto store = OpenSqliteStore(dir_.string(), {.create = false});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(SqliteStoreTest, DestroyedKeyBytesLeaveTheDisk) {
  const std::string marker = "WRAPPED-KEY-MARKER-0123456789abcdef";
  {
    auto store = OpenSqliteStore(dir_.string(), {.create = true});
    ASSERT_TRUE(store.ok());
    KeyStore& ks = (*store)->keys();
    ASSERT_TRUE(ks.PutSubjectKey("sub_1", marker).ok());
    ASSERT_TRUE(ks.Checkpoint().ok());
    EXPECT_NE(common::testing::ReadFileBytes(dir_ / kKeysFileName).find(marker), std::string::npos);
    ASSERT_TRUE(ks.DestroySubjectKeys("sub_1").ok());
    ASSERT_TRUE(ks.Checkpoint().ok());
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    EXPECT_EQ(common::testing::ReadFileBytes(entry.path()).find(marker), std::string::npos)
        << entry.path();
  }
}

}  // namespace
}  // namespace mamori::store
