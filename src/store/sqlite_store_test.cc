// SQLite-specific behaviour: files, reopening, migrations, and that destroyed
// keys leave the key file.
#include "store/sqlite_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/testing/test_files.h"
#include "store/internal/sqlite_db.h"
#include "store/internal/sqlite_record_tables.h"
#include "store/internal/wal_checkpointer.h"

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
  EXPECT_EQ((*store)->records().SchemaVersion().value(), 12);
  EXPECT_TRUE((*store)->records().GetPolicyVersion(1).value().has_value());
  EXPECT_EQ((*store)->engine(), "sqlite");
}

// A file at schema 4 (before retention) gains the retention and provision
// tables, the records' index by data key, and the use index and incident
// tables, the request and complaint tables, the subjects' language, the
// record segments and the free-page scrub table when opened, and keeps its
// records.
TEST_F(SqliteStoreTest, UpgradesSchema4ToSchema12) {
  {
    auto store = OpenSqliteStore(dir_.string(), {.create = true});
    ASSERT_TRUE(store.ok()) << store.status();
    RecordStore& rs = (*store)->records();
    ASSERT_TRUE(rs.InsertSubject({"sub_1", absl::FromUnixSeconds(1'700'000'000), 1}).ok());
    RecordRow record{"rec_1",   "sub_1", "pd:Name", "mobile",
                     {"dpv:A"}, 1,       "open",    absl::FromUnixSeconds(1'700'000'100),
                     "sealed"};
    ASSERT_TRUE(rs.InsertRecord(record).ok());
  }
  // Back to schema 4: without the tables of migrations 5, 6, 8 and 9 and their
  // rows, with the index migration 7 replaces, without migration 10's column.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / kRecordsFileName).c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP TABLE legal_holds; DROP TABLE contract_ends; DROP TABLE last_uses; "
                         "DROP TABLE retention_cursors; DROP TABLE deidentified_records; "
                         "DROP TABLE provision_records; DROP TABLE provision_receipts; "
                         "DROP TABLE trustee_audits; DROP TABLE reentrustments; "
                         "DROP TABLE ledger_uses; DROP TABLE verified_heads; "
                         "DROP TABLE incidents; DROP TABLE incident_subjects; "
                         "DROP TABLE incident_reports; DROP TABLE requests; "
                         "DROP TABLE complaints; ALTER TABLE subjects DROP COLUMN language; "
                         "DROP TABLE record_segments; DROP TABLE record_segment_terms; "
                         "DROP TABLE free_page_scrub; "
                         "DROP INDEX records_by_key; CREATE INDEX records_by_subject_category "
                         "ON records(subject_id, category); "
                         "DELETE FROM schema_migrations WHERE version >= 5;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);

  auto store = OpenSqliteStore(dir_.string(), {.create = false});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->records().SchemaVersion().value(), 12);
  EXPECT_TRUE((*store)->records().GetRecord("rec_1").value().has_value());
  EXPECT_EQ((*store)->records().GetSubject("sub_1").value()->language, "");
  RetentionStore& retention = (*store)->retention();
  EXPECT_TRUE(retention.SubjectHasRecords("sub_1").value());
  EXPECT_TRUE(retention.ListHolds("").value().empty());
  EXPECT_TRUE((*store)->requests().ListRequests().value().empty());
  LegalHoldRow hold{"hld_1",
                    "sub_1",
                    std::nullopt,
                    "litigation",
                    absl::FromUnixSeconds(1'800'000'000),
                    absl::FromUnixSeconds(1'700'000'200),
                    "emp:legal",
                    std::nullopt};
  EXPECT_TRUE(retention.InsertHold(hold).ok());
  EXPECT_EQ(retention.ListHolds("sub_1").value().size(), 1u);
  EXPECT_EQ(retention.GetCursor("last_uses").value(), 0);
  EXPECT_FALSE(retention.HasUnscrubbedPages().value());
  EXPECT_TRUE((*store)->provisions().ListRecordsOfSubject("sub_1").value().empty());
  EXPECT_TRUE((*store)->provisions().ListTrusteeAudits("").value().empty());
  UseIndexStore& uses = (*store)->uses();
  EXPECT_TRUE(uses.ListUses("", absl::InfinitePast(), absl::InfiniteFuture(), 0).value().empty());
  UseRow use;
  use.seq = 1;
  use.at = absl::FromUnixSeconds(1'700'000'300);
  use.actor = "emp:a";
  use.action = "read";
  use.allowed = true;
  use.subject = "sub_1";
  use.categories = {"pd:Name"};
  ASSERT_TRUE(uses.InsertUses(std::vector<UseRow>{use}).ok());
  EXPECT_EQ(uses.CountSubjectsTouched("emp:a", use.at, use.at + absl::Seconds(1)).value(), 1);
  EXPECT_FALSE(uses.LastVerifiedHead().value().has_value());
  EXPECT_TRUE((*store)->incidents().ListIncidents().value().empty());
  ASSERT_EQ(sqlite3_open((dir_ / kRecordsFileName).c_str(), &db), SQLITE_OK);
  std::string indexes;
  ASSERT_EQ(sqlite3_exec(
                db,
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' "
                "AND sql IS NOT NULL ORDER BY name",
                [](void* out, int, char** values, char**) {
                  static_cast<std::string*>(out)->append(values[0]).append(" ");
                  return 0;
                },
                &indexes, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(indexes, "records_by_key ");
}

TEST_F(SqliteStoreTest, AMonthsRecordsFillSegmentsOfTheConfiguredSize) {
  auto store = OpenSqliteStore(dir_.string(), {.create = true, .segment_records = 3});
  ASSERT_TRUE(store.ok()) << store.status();
  RecordStore& rs = (*store)->records();
  RetentionStore& retention = (*store)->retention();
  ASSERT_TRUE(rs.InsertSubject({"sub_1", absl::Now(), 1}).ok());
  auto record = [](int i) {
    return RecordRow{
        fmt::format("rec_{}", i), "sub_1", "pd:CallLog", "mobile", {"dpv:A"}, 1, "2026-04",
        absl::FromUnixSeconds(i), "sealed"};
  };
  // One at a time: 3, 3 and 1 records.
  for (int i = 1; i <= 7; ++i) ASSERT_TRUE(rs.InsertRecord(record(i)).ok());
  std::vector<RecordSegmentRow> segments = retention.ListSegments().value();
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_EQ(segments[0].first_collected_at, absl::FromUnixSeconds(1));
  EXPECT_EQ(segments[0].last_collected_at, absl::FromUnixSeconds(3));
  EXPECT_EQ(segments[2].first_collected_at, absl::FromUnixSeconds(7));
  // One call may overshoot: its records stay together.
  const std::vector<RecordRow> batch = {record(8), record(9), record(10)};
  ASSERT_TRUE(rs.InsertRecords(batch).ok());
  EXPECT_EQ(retention.ListSegments().value().size(), 3u);
  ASSERT_TRUE(rs.InsertRecord(record(11)).ok());
  EXPECT_EQ(retention.ListSegments().value().size(), 4u);
  // The key's records are found in all of them, and go with each drop.
  const DataKeyId key{"sub_1", "pd:CallLog", "2026-04"};
  EXPECT_EQ(retention.CountRecordsOfKey(key).value(), 11);
  EXPECT_EQ(retention.ListRecordsOfKey(key).value().size(), 11u);
  EXPECT_EQ(rs.ListRecords("sub_1").value().size(), 11u);
  EXPECT_EQ(retention.DropSegment(segments[1].id).value().at(0).records, 3);
  EXPECT_EQ(retention.CountRecordsOfKey(key).value(), 8);
  EXPECT_TRUE(retention.SubjectHasRecords("sub_1").value());
}

// A connection that did not drop a segment (a reader's) lets go of the
// statements it prepared on it: with a month's segments dropped every
// month, they would otherwise pile up for as long as the server runs.
TEST_F(SqliteStoreTest, StatementsOfSegmentsDroppedElsewhereAreFinalized) {
  auto store = OpenSqliteStore(dir_.string(), {.create = true, .segment_records = 1});
  ASSERT_TRUE(store.ok()) << store.status();
  RecordStore& rs = (*store)->records();
  ASSERT_TRUE(rs.InsertSubject({"sub_1", absl::Now(), 1}).ok());
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(rs.InsertRecord({fmt::format("rec_{}", i),
                                 "sub_1",
                                 "pd:CallLog",
                                 "mobile",
                                 {"dpv:A"},
                                 1,
                                 "2026-04",
                                 absl::FromUnixSeconds(i),
                                 "sealed"})
                    .ok());
  }
  auto other = internal::SqliteDatabase::Open((dir_ / kRecordsFileName).string(), false);
  ASSERT_TRUE(other.ok()) << other.status();
  auto statements = [&] {
    int count = 0;
    for (sqlite3_stmt* s = sqlite3_next_stmt((*other)->handle(), nullptr); s != nullptr;
         s = sqlite3_next_stmt((*other)->handle(), s)) {
      ++count;
    }
    return count;
  };
  const int own = statements();  // the connection's own, if any
  {
    internal::RecordTables tables(**other, 1);
    std::vector<int64_t> live = tables.LiveIds(std::nullopt).value();
    ASSERT_EQ(live.size(), 3u);
    for (int64_t table : {int64_t{0}, live[0], live[1], live[2]}) {
      ASSERT_TRUE(tables.Statement(table, internal::RecordTables::Op::kListBySubject).ok());
    }
    EXPECT_EQ(tables.PreparedTables(), 4u);
    const int before = statements();

    ASSERT_TRUE((*store)->retention().DropSegment(live[1]).ok());
    ASSERT_TRUE((*store)->retention().DropSegment(live[2]).ok());
    const std::vector<int64_t> left = tables.LiveIds(std::nullopt).value();
    EXPECT_EQ(left, (std::vector<int64_t>{live[0]}));
    tables.ForgetStatementsExcept(left);
    EXPECT_EQ(tables.PreparedTables(), 2u);  // the main table's and the live segment's
    EXPECT_EQ(statements(), before - 2);
    // The statements kept still work.
    ASSERT_TRUE(tables.Statement(live[0], internal::RecordTables::Op::kCountAll).ok());
  }
  EXPECT_EQ(statements(), own);
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

// A cursor set to 0 keeps no row: the sweep forgets a dropped segment's
// de-identification cursor so, and the table does not grow by one row per
// month ever swept.
TEST_F(SqliteStoreTest, ACursorSetToZeroKeepsNoRow) {
  const std::string path = (dir_ / kRecordsFileName).string();
  {
    auto store = OpenSqliteStore(dir_.string(), {.create = true});
    ASSERT_TRUE(store.ok());
    RetentionStore& retention = (*store)->retention();
    ASSERT_TRUE(retention.SetCursor("segment.7.deidentified", 120).ok());
    ASSERT_TRUE(retention.SetCursor("segment.8.deidentified", 40).ok());
    ASSERT_TRUE(retention.SetCursor("segment.7.deidentified", 0).ok());
  }
  auto db = internal::SqliteDatabase::Open(path, /*create=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  auto names = (*db)->Prepare("SELECT name FROM retention_cursors ORDER BY name");
  ASSERT_TRUE(names.ok()) << names.status();
  std::vector<std::string> left;
  while ((*names)->Step().value() == internal::SqliteStatement::StepResult::kRow) {
    left.push_back((*names)->ColumnText(0));
  }
  EXPECT_EQ(left, std::vector<std::string>{"segment.8.deidentified"});
}

// A segment is dropped without overwriting its pages (secure_delete=FAST),
// so its rows stay in the file until ScrubFreePages fills every free page
// with zeros; then nothing of them is left in any file of the directory.
TEST_F(SqliteStoreTest, ADroppedSegmentsRowsLeaveTheDiskOnceItsPagesAreScrubbed) {
  const std::string marker = "SEALED-VALUE-MARKER-0123456789abcdef";
  auto files_holding_marker = [&] {
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      if (common::testing::ReadFileBytes(entry.path()).find(marker) != std::string::npos) ++files;
    }
    return files;
  };
  {
    auto store = OpenSqliteStore(dir_.string(), {.create = true});
    ASSERT_TRUE(store.ok()) << store.status();
    RecordStore& rs = (*store)->records();
    ASSERT_TRUE(rs.InsertSubject({"sub_1", absl::Now(), 1}).ok());
    std::vector<RecordRow> rows;
    for (int i = 0; i < 300; ++i) {
      RecordRow& row = rows.emplace_back();
      row.id = fmt::format("rec_{}", i);
      row.subject_id = "sub_1";
      row.category = "pd:CallLog";
      row.service = "mobile";
      row.purposes = {"dpv:A"};
      row.policy_version = 1;
      row.key_bucket = "2026-04";
      row.collected_at = absl::FromUnixSeconds(i);
      row.sealed_value = fmt::format("{}-{:04}", marker, i);
    }
    ASSERT_TRUE(rs.InsertRecords(rows).ok());
    RetentionStore& retention = (*store)->retention();
    ASSERT_EQ(retention.DropSegment(retention.ListSegments().value().at(0).id).value().size(), 1u);
  }
  // Closed, so the WAL is copied into the file: the freed pages still hold
  // the rows.
  EXPECT_GE(files_holding_marker(), 1);
  const auto size_with_rows = std::filesystem::file_size(dir_ / kRecordsFileName);
  {
    auto store = OpenSqliteStore(dir_.string(), {.create = false});
    ASSERT_TRUE(store.ok()) << store.status();
    RetentionStore& retention = (*store)->retention();
    ASSERT_TRUE(retention.HasUnscrubbedPages().value());  // across the restart
    int64_t left = 1;
    while (left > 0) left = retention.ScrubFreePages(4).value();
    int64_t held = 1;
    while (held > 0) held = retention.ReleaseScrubbedPages(4).value();
  }
  EXPECT_EQ(files_holding_marker(), 0);
  // The zeros went into the free pages, not onto the end of the file (a
  // page or two for the scrub table's own rows at most).
  EXPECT_LE(std::filesystem::file_size(dir_ / kRecordsFileName), size_with_rows + 2 * 16384);
}

// The transaction statements are kept prepared: reused across transactions,
// with SQLite's errors still reported, and the connection usable after one.
TEST_F(SqliteStoreTest, PreparedTransactionStatementsAreReusedAndReportErrors) {
  auto db = internal::SqliteDatabase::Open((dir_ / "t.db").string(), /*create=*/true);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t (v INTEGER)").ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*db)->ExecPrepared("BEGIN IMMEDIATE").ok());
    ASSERT_TRUE((*db)->ExecPrepared("SAVEPOINT t2").ok());
    ASSERT_TRUE((*db)->Exec(fmt::format("INSERT INTO t VALUES ({})", i)).ok());
    ASSERT_TRUE((*db)->ExecPrepared("RELEASE SAVEPOINT t2").ok());
    ASSERT_TRUE((*db)->ExecPrepared("COMMIT").ok());
  }
  absl::Status no_transaction = (*db)->ExecPrepared("COMMIT");
  EXPECT_EQ(no_transaction.code(), absl::StatusCode::kInternal);
  EXPECT_NE(no_transaction.message().find("no transaction is active"), absl::string_view::npos)
      << no_transaction;
  EXPECT_FALSE((*db)->ExecPrepared("NOT SQL").ok());
  ASSERT_TRUE((*db)->ExecPrepared("BEGIN IMMEDIATE").ok());
  ASSERT_TRUE((*db)->Exec("INSERT INTO t VALUES (3)").ok());
  ASSERT_TRUE((*db)->ExecPrepared("COMMIT").ok());
  auto count = (*db)->Prepare("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(count.ok());
  ASSERT_EQ((*count)->Step().value(), internal::SqliteStatement::StepResult::kRow);
  EXPECT_EQ((*count)->ColumnInt(0), 4);
}

// A WAL-mode database at `path` with one table, t (v BLOB).
absl::StatusOr<std::unique_ptr<internal::SqliteDatabase>> OpenWalTable(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<internal::SqliteDatabase> db,
                   internal::SqliteDatabase::Open(path, /*create=*/true));
  RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(db->Exec("CREATE TABLE t (v BLOB)"));
  return db;
}

// Inserts one row of 3,000 bytes into t in a transaction of its own.
absl::Status CommitRow(internal::SqliteDatabase& db, internal::SqliteStatement& insert) {
  static const std::string kValue(3000, 'v');
  RETURN_IF_ERROR(db.ExecPrepared("BEGIN IMMEDIATE"));
  RETURN_IF_ERROR(insert.BindBlob(1, kValue).Run());
  return db.ExecPrepared("COMMIT");
}

// Checkpoints run on the checkpointer's thread, and every commit survives
// closing and reopening.
TEST_F(SqliteStoreTest, BackgroundCheckpointsKeepEveryCommit) {
  const std::string path = (dir_ / "c.db").string();
  {
    auto db = OpenWalTable(path);
    ASSERT_TRUE(db.ok()) << db.status();
    internal::WalCheckpointer checkpointer(**db, /*background_pages=*/10,
                                           /*foreground_pages=*/1000000);
    auto insert = (*db)->Prepare("INSERT INTO t VALUES (?)");
    ASSERT_TRUE(insert.ok());
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(CommitRow(**db, **insert).ok());
    for (int i = 0; i < 500 && checkpointer.background_checkpoints() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_GT(checkpointer.background_checkpoints(), 0);
    insert->reset();
  }
  auto reopened = internal::SqliteDatabase::Open(path, /*create=*/false);
  ASSERT_TRUE(reopened.ok());
  auto count = (*reopened)->Prepare("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(count.ok());
  ASSERT_EQ((*count)->Step().value(), internal::SqliteStatement::StepResult::kRow);
  EXPECT_EQ((*count)->ColumnInt(0), 200);
}

// While a reader stays in the WAL the writer cannot start it over, so it
// only grows. A checkpoint is due for every `background_pages` frames not
// yet copied, not at every commit once the WAL is that long (each one syncs
// the WAL and the database twice), however long it grows.
TEST_F(SqliteStoreTest, CheckpointsCountTheFramesNotYetCopied) {
  const std::string path = (dir_ / "grow.db").string();
  auto db = OpenWalTable(path);
  ASSERT_TRUE(db.ok()) << db.status();
  // Two readers taking turns: one always holds a snapshot in the WAL, so
  // it cannot start over even when a checkpoint copies all the other's.
  std::vector<std::unique_ptr<internal::SqliteDatabase>> readers;
  for (int r = 0; r < 2; ++r) {
    auto reader = internal::SqliteDatabase::Open(path, /*create=*/false);
    ASSERT_TRUE(reader.ok()) << reader.status();
    readers.push_back(*std::move(reader));
  }
  constexpr int kBackgroundPages = 10;
  int checkpoints = 0;
  {
    internal::WalCheckpointer checkpointer(**db, kBackgroundPages, /*foreground_pages=*/1000000);
    auto insert = (*db)->Prepare("INSERT INTO t VALUES (?)");
    ASSERT_TRUE(insert.ok());
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(CommitRow(**db, **insert).ok());
      // One reader moves to the newest snapshot while the other stays.
      internal::SqliteDatabase& reader = *readers[i % 2];
      if (i > 1) {
        ASSERT_TRUE(reader.Exec("COMMIT").ok());
      }
      ASSERT_TRUE(reader.Exec("BEGIN").ok());
      ASSERT_TRUE(reader.Exec("SELECT COUNT(*) FROM t").ok());
      // Time for the checkpointer to do whatever is due.
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    checkpoints = checkpointer.background_checkpoints();
    insert->reset();
  }
  int wal_frames = 0;
  ASSERT_EQ(sqlite3_wal_checkpoint_v2((*db)->handle(), "main", SQLITE_CHECKPOINT_PASSIVE,
                                      &wal_frames, nullptr),
            SQLITE_OK);
  EXPECT_GE(wal_frames, 200);  // never started over: 20 times kBackgroundPages
  EXPECT_GT(checkpoints, 0);
  // A commit made while a checkpoint runs can see its frames still uncopied
  // and call for one more, so up to twice one per kBackgroundPages frames
  // (at every commit it would be ~200; at every commit once the WAL is ten
  // times kBackgroundPages long, as a former rule had it, over 100).
  EXPECT_LE(checkpoints, 2 * (wal_frames / kBackgroundPages) + 1) << wal_frames << " frames";
  for (auto& reader : readers) ASSERT_TRUE(reader->Exec("COMMIT").ok());
}

}  // namespace
}  // namespace mamori::store
