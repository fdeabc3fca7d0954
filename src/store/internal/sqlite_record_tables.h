// The tables records live in, on one connection: the main `records` table
// (segment 0) and one table per segment, (category, collection month)
// (store.h, RecordSegmentRow). Segments are made as their first record
// arrives and dropped whole when the month is due, so that erasing a month
// costs one DROP TABLE, not three B-tree deletions per record.
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
  static constexpr size_t kOpCount = 16;
  static constexpr int kInsertBatchRows = 32;
  static constexpr int kRecordColumnCount = 9;

  explicit RecordTables(SqliteDatabase& db) : db_(db) {}

  // The statement for `op` on segment `segment`'s table (0: `records`).
  absl::StatusOr<SqliteStatement*> Statement(int64_t segment, Op op);

  // The live segment of (category, bucket), if any.
  absl::StatusOr<std::optional<int64_t>> FindLive(std::string_view category,
                                                  std::string_view bucket);
  // The live segment of (category, bucket), made (table and catalog row)
  // when there is none.
  absl::StatusOr<int64_t> FindOrCreate(std::string_view category, std::string_view bucket);
  // Every live segment's id, or those of one category, ascending.
  absl::StatusOr<std::vector<int64_t>> LiveIds(std::optional<std::string_view> category);
  // 0 (the main table) and then LiveIds(category): every table a record
  // (of that category) may be in.
  absl::StatusOr<std::vector<int64_t>> AllTables(std::optional<std::string_view> category);
  // The catalog with terms, by id; dropped segments too when asked.
  absl::StatusOr<std::vector<RecordSegmentRow>> List(bool with_dropped);
  // Widens a segment's collection span and adds the terms of `records`,
  // just inserted into it.
  absl::Status NoteInserted(int64_t segment, std::span<const RecordRow> records);
  // Drops the segment's table and marks it dropped in the catalog.
  absl::Status Drop(int64_t segment);
  // Removes a dropped segment from the catalog.
  absl::Status Forget(int64_t segment);

 private:
  static std::string TableName(int64_t segment);
  absl::StatusOr<std::unique_ptr<SqliteStatement>> Prepare(std::string_view sql);

  SqliteDatabase& db_;
  absl::flat_hash_map<int64_t, std::array<std::unique_ptr<SqliteStatement>, kOpCount>> tables_;
  std::unique_ptr<SqliteStatement> find_live_, create_, list_live_, list_live_of_category_,
      list_all_, list_terms_, widen_, add_terms_, mark_dropped_, forget_, forget_terms_;
};

}  // namespace mamori::store::internal
