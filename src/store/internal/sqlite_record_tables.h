// The tables records live in, on one connection: the main `records` table
// (segment 0) and the segments' tables, each holding records of one
// (category, collection month) (store.h, RecordSegmentRow). A segment is
// made when a record of its month arrives and the month's newest segment
// is full, and dropped whole when the month is due, so that erasing a
// month costs a DROP TABLE per `max_records` records, not three B-tree
// deletions per record, and each drop is a bounded job.
//
// Statements on each table are prepared on first use and kept; a segment's
// are finalized before it is dropped (SQLite refuses to drop a table a
// running statement reads). Catalog look-ups read the `record_segments`
// table every time, never a copy in memory: a job rolled back by the
// engine takes its segments with it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/internal/sqlite_db.h"
#include "store/store.h"

namespace mamori::store::internal {

class RecordTables {
 public:
  // What a table statement does; each holds `?` parameters in the order
  // named.
  enum class Op {
    kInsertOne,                 // the nine record columns
    kInsertBatch,               // kInsertBatchRows rows of them
    kGetById,                   // id
    kListBySubject,             // subject_id; in insertion order
    kCountBySubject,            // subject_id
    kAnyOfSubject,              // subject_id; a row when it has one
    kListBySubjectAndCategory,  // subject_id, category; in insertion order
    kListOfKey,                 // subject_id, category, key_bucket; in insertion order
    kCountOfKey,                // subject_id, category, key_bucket
    kDeleteById,                // id
    kDeleteAt,                  // rowid, id
    kScanTerms,                 // after rowid, limit
    kScanRows,                  // after rowid, limit; rowid and the nine columns
    kCountAll,                  // -
    kCountPerSubject,           // -; by subject id
    kCopySubjectToMain,         // subject_id
    kDeleteSubject,             // subject_id
  };
  static constexpr size_t kOpCount = 17;
  static constexpr int kInsertBatchRows = 32;
  static constexpr int kRecordColumnCount = 9;

  // `max_records`: how many records a segment takes before the next one of
  // its month is made (inserts of one call may overshoot it).
  RecordTables(SqliteDatabase& db, int64_t max_records) : db_(db), max_records_(max_records) {}

  // The statement for `op` on segment `segment`'s table (0: `records`).
  // Taking one that writes moves the segment's Version.
  absl::StatusOr<SqliteStatement*> Statement(int64_t segment, Op op);
  // How many statements that write a segment's rows were taken on this
  // connection: unchanged between two times, its rows did not change
  // through it in between. Only the writer's connection changes them.
  int64_t Version(int64_t segment) const;

  // The live segments of (category, bucket), ascending.
  absl::StatusOr<std::vector<int64_t>> LiveOf(std::string_view category, std::string_view bucket);
  // The segment new records of (category, bucket) go to: its newest live
  // one while not full, else a new one (table and catalog row).
  absl::StatusOr<int64_t> SegmentForInsert(std::string_view category, std::string_view bucket);
  // Every live segment's id, or those of one category, ascending.
  absl::StatusOr<std::vector<int64_t>> LiveIds(std::optional<std::string_view> category);
  // NotFound unless `segment` is a live segment (0, the main table, is not).
  absl::Status CheckLive(int64_t segment);
  // 0 (the main table) and then LiveIds(category): every table a record
  // (of that category) may be in.
  absl::StatusOr<std::vector<int64_t>> AllTables(std::optional<std::string_view> category);
  // The catalog with terms, by id; dropped segments too when asked.
  absl::StatusOr<std::vector<RecordSegmentRow>> List(bool with_dropped);
  // Widens a segment's collection span and adds the terms of `records`,
  // just inserted into it.
  absl::Status NoteInserted(int64_t segment, std::span<const RecordRow* const> records);
  // A segment's records per subject, by subject id, off its subject index.
  absl::StatusOr<std::vector<SubjectRecordCount>> CountPerSubject(int64_t segment);
  // Drops the segment's table and marks it dropped in the catalog.
  absl::Status Drop(int64_t segment);
  // Removes a dropped segment from the catalog.
  absl::Status Forget(int64_t segment);
  // Finalizes the statements of every segment not in `live` (ascending),
  // dropped by another connection: a reader's statements would otherwise
  // stay prepared for every segment it ever read, each month's.
  void ForgetStatementsExcept(std::span<const int64_t> live);
  // The tables with statements prepared, the main one included.
  size_t PreparedTables() const { return tables_.size(); }

 private:
  static std::string TableName(int64_t segment);

  SqliteDatabase& db_;
  const int64_t max_records_;
  absl::flat_hash_map<int64_t, std::array<std::unique_ptr<SqliteStatement>, kOpCount>> tables_;
  absl::flat_hash_map<int64_t, int64_t> versions_;
  std::unique_ptr<SqliteStatement> find_live_, find_open_, create_, list_live_,
      list_live_of_category_, list_all_, list_terms_, widen_, add_terms_, mark_dropped_, forget_,
      forget_terms_;
};

}  // namespace mamori::store::internal
