#include "store/internal/sqlite_record_tables.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "store/internal/sqlite_parts.h"
#include "store/internal/sqlite_rows.h"

namespace mamori::store::internal {

namespace {

using StepResult = SqliteStatement::StepResult;

constexpr std::string_view kColumns =
    "id, subject_id, category, service, purposes, policy_version, key_bucket, collected_at, "
    "sealed_value";

// The SQL of `op` on `table`.
std::string OpSql(RecordTables::Op op, std::string_view table) {
  using Op = RecordTables::Op;
  switch (op) {
    case Op::kInsertOne:
      return fmt::format("INSERT INTO {} ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", table, kColumns);
    case Op::kInsertBatch: {
      std::vector<std::string_view> rows(RecordTables::kInsertBatchRows,
                                         "(?, ?, ?, ?, ?, ?, ?, ?, ?)");
      return fmt::format("INSERT INTO {} ({}) VALUES {}", table, kColumns, fmt::join(rows, ", "));
    }
    case Op::kGetById:
      return fmt::format("SELECT {} FROM {} WHERE id = ?", kColumns, table);
    case Op::kListBySubject:
      return fmt::format("SELECT {} FROM {} WHERE subject_id = ? ORDER BY rowid", kColumns, table);
    case Op::kListBySubjectAndCategory:
      return fmt::format("SELECT {} FROM {} WHERE subject_id = ? AND category = ? ORDER BY rowid",
                         kColumns, table);
    case Op::kAnyOfSubject:
      return fmt::format("SELECT 1 FROM {} WHERE subject_id = ? LIMIT 1", table);
    case Op::kCountBySubject:
      return fmt::format("SELECT COUNT(*) FROM {} WHERE subject_id = ?", table);
    case Op::kListOfKey:
      return fmt::format(
          "SELECT {} FROM {} WHERE subject_id = ? AND category = ? AND key_bucket = ? "
          "ORDER BY rowid",
          kColumns, table);
    case Op::kCountOfKey:
      return fmt::format(
          "SELECT COUNT(*) FROM {} WHERE subject_id = ? AND category = ? AND key_bucket = ?",
          table);
    case Op::kDeleteById:
      return fmt::format("DELETE FROM {} WHERE id = ?", table);
    case Op::kDeleteAt:
      // The id as well: a rowid freed by another deletion may have been
      // given to a newer record.
      return fmt::format("DELETE FROM {} WHERE rowid = ? AND id = ?", table);
    case Op::kScanTerms:
      return fmt::format(
          "SELECT rowid, id, subject_id, category, service, purposes, key_bucket, collected_at "
          "FROM {} WHERE rowid > ? ORDER BY rowid LIMIT ?",
          table);
    case Op::kScanRows:
      return fmt::format("SELECT rowid, {} FROM {} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                         kColumns, table);
    case Op::kCountAll:
      return fmt::format("SELECT COUNT(*) FROM {}", table);
    case Op::kCountPerSubject:
      return fmt::format(
          "SELECT subject_id, COUNT(*) FROM {} GROUP BY subject_id ORDER BY subject_id", table);
    case Op::kCopySubjectToMain:
      return fmt::format("INSERT INTO records ({0}) SELECT {0} FROM {1} WHERE subject_id = ?",
                         kColumns, table);
    case Op::kDeleteSubject:
      return fmt::format("DELETE FROM {} WHERE subject_id = ?", table);
  }
  return {};
}

}  // namespace

std::string RecordTables::TableName(int64_t segment) {
  return segment == 0 ? std::string("records") : fmt::format("record_segment_{}", segment);
}

absl::StatusOr<SqliteStatement*> RecordTables::Statement(int64_t segment, Op op) {
  switch (op) {
    case Op::kInsertOne:
    case Op::kInsertBatch:
    case Op::kDeleteById:
    case Op::kDeleteAt:
    case Op::kDeleteSubject:
      ++versions_[segment];
      break;
    default:
      break;
  }
  std::unique_ptr<SqliteStatement>& slot = tables_[segment][static_cast<size_t>(op)];
  if (slot == nullptr) {
    ASSIGN_OR_RETURN(slot, db_.Prepare(OpSql(op, TableName(segment))));
  }
  return slot.get();
}

int64_t RecordTables::Version(int64_t segment) const {
  auto it = versions_.find(segment);
  return it == versions_.end() ? 0 : it->second;
}

void RecordTables::ForgetStatementsExcept(std::span<const int64_t> live) {
  absl::erase_if(tables_, [&](const auto& table) {
    return table.first != 0 && !std::binary_search(live.begin(), live.end(), table.first);
  });
}

absl::StatusOr<std::vector<int64_t>> RecordTables::LiveOf(std::string_view category,
                                                          std::string_view bucket) {
  if (find_live_ == nullptr) {
    ASSIGN_OR_RETURN(find_live_,
                     db_.Prepare("SELECT id FROM record_segments "
                                 "WHERE category = ? AND bucket = ? AND dropped = 0 ORDER BY id"));
  }
  StatementScope scope(*find_live_);
  find_live_->BindText(1, NonNull(category)).BindText(2, NonNull(bucket));
  std::vector<int64_t> ids;
  while (true) {
    ASSIGN_OR_RETURN(StepResult r, find_live_->Step());
    if (r == StepResult::kDone) break;
    ids.push_back(find_live_->ColumnInt(0));
  }
  return ids;
}

absl::StatusOr<int64_t> RecordTables::SegmentForInsert(std::string_view category,
                                                       std::string_view bucket) {
  if (find_open_ == nullptr) {
    ASSIGN_OR_RETURN(find_open_, db_.Prepare("SELECT id, records FROM record_segments "
                                             "WHERE category = ? AND bucket = ? AND dropped = 0 "
                                             "ORDER BY id DESC LIMIT 1"));
  }
  {
    StatementScope scope(*find_open_);
    find_open_->BindText(1, NonNull(category)).BindText(2, NonNull(bucket));
    ASSIGN_OR_RETURN(StepResult r, find_open_->Step());
    if (r == StepResult::kRow && find_open_->ColumnInt(1) < max_records_) {
      return find_open_->ColumnInt(0);
    }
  }
  if (create_ == nullptr) {
    // first/last start inverted, so the first NoteInserted sets both.
    ASSIGN_OR_RETURN(create_,
                     db_.Prepare("INSERT INTO record_segments (category, bucket, first_at, "
                                 "last_at) VALUES (?, ?, 9223372036854775807, "
                                 "-9223372036854775808) RETURNING id"));
  }
  int64_t id = 0;
  {
    StatementScope scope(*create_);
    create_->BindText(1, NonNull(category)).BindText(2, NonNull(bucket));
    ASSIGN_OR_RETURN(StepResult r, create_->Step());
    (void)r;
    id = create_->ColumnInt(0);
  }
  const std::string table = TableName(id);
  // The same columns as `records`, so that rows move between them as they
  // are; the category and bucket repeat in every row, a few bytes each.
  RETURN_IF_ERROR(
      db_.Exec(fmt::format("CREATE TABLE {0} ("
                           " id TEXT PRIMARY KEY, subject_id TEXT NOT NULL REFERENCES subjects(id),"
                           " category TEXT NOT NULL, service TEXT NOT NULL, purposes TEXT NOT NULL,"
                           " policy_version INTEGER NOT NULL, key_bucket TEXT NOT NULL,"
                           " collected_at BIGINT NOT NULL, sealed_value BLOB NOT NULL);"
                           "CREATE INDEX {0}_by_subject ON {0}(subject_id);",
                           table)));
  return id;
}

absl::StatusOr<std::vector<int64_t>> RecordTables::LiveIds(
    std::optional<std::string_view> category) {
  SqliteStatement* stmt = nullptr;
  if (category) {
    if (list_live_of_category_ == nullptr) {
      ASSIGN_OR_RETURN(list_live_of_category_,
                       db_.Prepare("SELECT id FROM record_segments "
                                   "WHERE category = ? AND dropped = 0 ORDER BY id"));
    }
    stmt = list_live_of_category_.get();
    stmt->BindText(1, NonNull(*category));
  } else {
    if (list_live_ == nullptr) {
      ASSIGN_OR_RETURN(list_live_,
                       db_.Prepare("SELECT id FROM record_segments WHERE dropped = 0 ORDER BY id"));
    }
    stmt = list_live_.get();
  }
  StatementScope scope(*stmt);
  std::vector<int64_t> ids;
  while (true) {
    ASSIGN_OR_RETURN(StepResult r, stmt->Step());
    if (r == StepResult::kDone) break;
    ids.push_back(stmt->ColumnInt(0));
  }
  return ids;
}

absl::StatusOr<std::vector<int64_t>> RecordTables::AllTables(
    std::optional<std::string_view> category) {
  ASSIGN_OR_RETURN(std::vector<int64_t> ids, LiveIds(category));
  ids.insert(ids.begin(), 0);
  return ids;
}

absl::StatusOr<std::vector<RecordSegmentRow>> RecordTables::List(bool with_dropped) {
  if (list_all_ == nullptr) {
    ASSIGN_OR_RETURN(list_all_,
                     db_.Prepare("SELECT id, category, bucket, first_at, last_at, dropped "
                                 "FROM record_segments ORDER BY id"));
    ASSIGN_OR_RETURN(list_terms_, db_.Prepare("SELECT service, purposes FROM record_segment_terms "
                                              "WHERE segment_id = ?"));
  }
  std::vector<RecordSegmentRow> rows;
  {
    StatementScope scope(*list_all_);
    while (true) {
      ASSIGN_OR_RETURN(StepResult r, list_all_->Step());
      if (r == StepResult::kDone) break;
      RecordSegmentRow row;
      row.dropped = list_all_->ColumnInt(5) != 0;
      if (row.dropped && !with_dropped) continue;
      row.id = list_all_->ColumnInt(0);
      row.category = list_all_->ColumnText(1);
      row.bucket = list_all_->ColumnText(2);
      row.first_collected_at = FromMicros(list_all_->ColumnInt(3));
      row.last_collected_at = FromMicros(list_all_->ColumnInt(4));
      rows.push_back(std::move(row));
    }
  }
  for (RecordSegmentRow& row : rows) {
    StatementScope scope(*list_terms_);
    list_terms_->BindInt(1, row.id);
    while (true) {
      ASSIGN_OR_RETURN(StepResult r, list_terms_->Step());
      if (r == StepResult::kDone) break;
      RecordSegmentRow::Terms& terms = row.terms.emplace_back();
      terms.service = list_terms_->ColumnText(0);
      const std::string purposes = list_terms_->ColumnText(1);
      if (!purposes.empty()) terms.purposes = absl::StrSplit(purposes, ',');
    }
  }
  return rows;
}

absl::Status RecordTables::NoteInserted(int64_t segment,
                                        std::span<const RecordRow* const> records) {
  if (records.empty()) return absl::OkStatus();
  if (widen_ == nullptr) {
    ASSIGN_OR_RETURN(widen_, db_.Prepare("UPDATE record_segments SET first_at = min(first_at, ?), "
                                         "last_at = max(last_at, ?), records = records + ? "
                                         "WHERE id = ?"));
    ASSIGN_OR_RETURN(add_terms_,
                     db_.Prepare("INSERT INTO record_segment_terms (segment_id, service, purposes) "
                                 "VALUES (?, ?, ?) ON CONFLICT DO NOTHING"));
  }
  absl::Time first = records.front()->collected_at, last = first;
  // A batch brings few distinct terms: one insert each.
  absl::flat_hash_set<std::pair<std::string_view, std::string>> terms;
  for (const RecordRow* record : records) {
    first = std::min(first, record->collected_at);
    last = std::max(last, record->collected_at);
    if (terms.size() < 64) terms.emplace(record->service, absl::StrJoin(record->purposes, ","));
  }
  RETURN_IF_ERROR(widen_->BindInt(1, ToMicros(first))
                      .BindInt(2, ToMicros(last))
                      .BindInt(3, static_cast<int64_t>(records.size()))
                      .BindInt(4, segment)
                      .Run());
  if (terms.size() == 64) {
    // Unusually many: add every record's terms, deduplicated by the table.
    terms.clear();
    for (const RecordRow* record : records) {
      terms.emplace(record->service, absl::StrJoin(record->purposes, ","));
    }
  }
  for (const auto& [service, purposes] : terms) {
    RETURN_IF_ERROR(
        add_terms_->BindInt(1, segment).BindText(2, service).BindText(3, purposes).Run());
  }
  return absl::OkStatus();
}

absl::Status RecordTables::CheckLive(int64_t segment) {
  ASSIGN_OR_RETURN(std::vector<int64_t> live, LiveIds(std::nullopt));
  if (segment == 0 || !std::binary_search(live.begin(), live.end(), segment)) {
    return absl::NotFoundError(fmt::format("record segment {} is not live", segment));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SubjectRecordCount>> RecordTables::CountPerSubject(int64_t segment) {
  ASSIGN_OR_RETURN(SqliteStatement * stmt, Statement(segment, Op::kCountPerSubject));
  StatementScope scope(*stmt);
  std::vector<SubjectRecordCount> counts;
  while (true) {
    ASSIGN_OR_RETURN(StepResult r, stmt->Step());
    if (r == StepResult::kDone) break;
    counts.push_back({stmt->ColumnText(0), stmt->ColumnInt(1)});
  }
  return counts;
}

absl::Status RecordTables::Drop(int64_t segment) {
  if (mark_dropped_ == nullptr) {
    ASSIGN_OR_RETURN(
        mark_dropped_,
        db_.Prepare("UPDATE record_segments SET dropped = 1 WHERE id = ? AND dropped = 0"));
  }
  RETURN_IF_ERROR(mark_dropped_->BindInt(1, segment).Run());
  if (sqlite3_changes(db_.handle()) == 0) {
    return absl::NotFoundError(fmt::format("record segment {} is not live", segment));
  }
  tables_.erase(segment);  // finalizes its statements
  return db_.Exec(fmt::format("DROP TABLE {}", TableName(segment)));
}

absl::Status RecordTables::Forget(int64_t segment) {
  if (forget_ == nullptr) {
    ASSIGN_OR_RETURN(forget_,
                     db_.Prepare("DELETE FROM record_segments WHERE id = ? AND dropped = 1"));
    ASSIGN_OR_RETURN(forget_terms_,
                     db_.Prepare("DELETE FROM record_segment_terms WHERE segment_id = ?"));
  }
  RETURN_IF_ERROR(forget_->BindInt(1, segment).Run());
  return forget_terms_->BindInt(1, segment).Run();
}

}  // namespace mamori::store::internal
