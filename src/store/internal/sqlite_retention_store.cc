// The SQLite RetentionStore: legal holds, retention anchors (contract ends,
// last uses), sweep cursors, record deletion and de-identified remainders,
// in the records file and on its connection (sqlite_parts.h), so erasures
// commit with their ledger entries.
//
// Error messages name the row and the field, never a stored value.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "store/internal/sqlite_db.h"
#include "store/internal/sqlite_parts.h"
#include "store/internal/sqlite_record_tables.h"
#include "store/internal/sqlite_rows.h"

namespace mamori::store::internal {
namespace {

using StepResult = SqliteStatement::StepResult;
using Op = RecordTables::Op;

constexpr std::string_view kHoldColumns =
    "SELECT id, subject_id, category, basis, until, created_at, created_by, released_at "
    "FROM legal_holds ";
constexpr std::string_view kContractEndColumns =
    "SELECT subject_id, service, ended_at, recorded_at, recorded_by FROM contract_ends ";

LegalHoldRow ReadHold(const SqliteStatement& stmt) {
  LegalHoldRow row;
  row.id = stmt.ColumnText(0);
  row.subject_id = stmt.ColumnText(1);
  row.category = ColumnOptionalText(stmt, 2);
  row.basis = stmt.ColumnText(3);
  row.until = FromMicros(stmt.ColumnInt(4));
  row.created_at = FromMicros(stmt.ColumnInt(5));
  row.created_by = stmt.ColumnText(6);
  row.released_at = ColumnOptionalTime(stmt, 7);
  return row;
}

ContractEndRow ReadContractEnd(const SqliteStatement& stmt) {
  return ContractEndRow{stmt.ColumnText(0), stmt.ColumnText(1), FromMicros(stmt.ColumnInt(2)),
                        FromMicros(stmt.ColumnInt(3)), stmt.ColumnText(4)};
}

LastUseRow ReadLastUse(const SqliteStatement& stmt) {
  return LastUseRow{stmt.ColumnText(0), stmt.ColumnText(1), FromMicros(stmt.ColumnInt(2))};
}

DeidentifiedRow ReadDeidentified(const SqliteStatement& stmt) {
  return DeidentifiedRow{stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnText(2),
                         stmt.ColumnText(3), stmt.ColumnBlob(4), FromMicros(stmt.ColumnInt(5))};
}

// Set (1) by a segment drop, whose freed pages still hold its rows, and
// cleared once every free page is overwritten.
constexpr std::string_view kUnscrubbedCursor = "free_pages.unscrubbed";

class SqliteRetentionStore final : public RetentionStore {
 public:
  SqliteRetentionStore(SqliteDatabase& db, RecordTables& tables) : db_(db), tables_(tables) {}

  absl::Status PrepareStatements() {
    ASSIGN_OR_RETURN(insert_hold_,
                     db_.Prepare("INSERT INTO legal_holds (id, subject_id, category, basis, until, "
                                 "created_at, created_by, released_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(get_hold_, db_.Prepare(fmt::format("{}WHERE id = ?", kHoldColumns)));
    ASSIGN_OR_RETURN(release_hold_, db_.Prepare("UPDATE legal_holds SET released_at = ? "
                                                "WHERE id = ? AND released_at IS NULL"));
    ASSIGN_OR_RETURN(hold_released_,
                     db_.Prepare("SELECT released_at IS NOT NULL FROM legal_holds WHERE id = ?"));
    ASSIGN_OR_RETURN(list_holds_,
                     db_.Prepare(fmt::format("{}ORDER BY created_at, rowid", kHoldColumns)));
    ASSIGN_OR_RETURN(list_holds_by_subject_,
                     db_.Prepare(fmt::format("{}WHERE subject_id = ? ORDER BY created_at, rowid",
                                             kHoldColumns)));
    ASSIGN_OR_RETURN(
        put_contract_end_,
        db_.Prepare("INSERT INTO contract_ends (subject_id, service, ended_at, "
                    "recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (subject_id, service) DO UPDATE SET "
                    "ended_at = excluded.ended_at, recorded_at = excluded.recorded_at, "
                    "recorded_by = excluded.recorded_by"));
    ASSIGN_OR_RETURN(list_contract_ends_, db_.Prepare(fmt::format("{}ORDER BY subject_id, service",
                                                                  kContractEndColumns)));
    ASSIGN_OR_RETURN(
        list_contract_ends_by_subject_,
        db_.Prepare(fmt::format("{}WHERE subject_id = ? ORDER BY service", kContractEndColumns)));
    ASSIGN_OR_RETURN(record_last_use_,
                     db_.Prepare("INSERT INTO last_uses (subject_id, purpose, used_at) "
                                 "VALUES (?, ?, ?) ON CONFLICT (subject_id, purpose) DO UPDATE "
                                 "SET used_at = max(used_at, excluded.used_at)"));
    ASSIGN_OR_RETURN(list_last_uses_,
                     db_.Prepare("SELECT subject_id, purpose, used_at FROM last_uses"));
    ASSIGN_OR_RETURN(get_cursor_,
                     db_.Prepare("SELECT position FROM retention_cursors WHERE name = ?"));
    ASSIGN_OR_RETURN(set_cursor_,
                     db_.Prepare("INSERT INTO retention_cursors (name, position) VALUES (?, ?) "
                                 "ON CONFLICT (name) DO UPDATE SET position = excluded.position"));
    ASSIGN_OR_RETURN(clear_cursor_, db_.Prepare("DELETE FROM retention_cursors WHERE name = ?"));
    ASSIGN_OR_RETURN(delete_indexes_,
                     db_.Prepare("DELETE FROM blind_indexes WHERE subject_id = ?"));
    ASSIGN_OR_RETURN(insert_deidentified_,
                     db_.Prepare("INSERT INTO deidentified_records (id, category, service, "
                                 "month, remainder, created_at) VALUES (?, ?, ?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(list_deidentified_,
                     db_.Prepare("SELECT id, category, service, month, remainder, created_at "
                                 "FROM deidentified_records ORDER BY rowid LIMIT ?"));
    ASSIGN_OR_RETURN(count_deidentified_, db_.Prepare("SELECT COUNT(*) FROM deidentified_records"));
    ASSIGN_OR_RETURN(count_free_pages_, db_.Prepare("PRAGMA freelist_count"));
    ASSIGN_OR_RETURN(page_size_of_, db_.Prepare("PRAGMA page_size"));
    ASSIGN_OR_RETURN(insert_scrub_, db_.Prepare("INSERT INTO free_page_scrub (pages, zeros) "
                                                "VALUES (?, zeroblob(?))"));
    ASSIGN_OR_RETURN(list_scrub_,
                     db_.Prepare("SELECT rowid, pages FROM free_page_scrub ORDER BY rowid"));
    ASSIGN_OR_RETURN(release_scrub_, db_.Prepare("DELETE FROM free_page_scrub WHERE rowid <= ?"));
    ASSIGN_OR_RETURN(count_scrub_pages_,
                     db_.Prepare("SELECT COALESCE(SUM(pages), 0) FROM free_page_scrub"));
    return absl::OkStatus();
  }

  absl::Status InsertHold(const LegalHoldRow& hold) override {
    SqliteStatement& stmt = *insert_hold_;
    stmt.BindText(1, NonNull(hold.id))
        .BindText(2, NonNull(hold.subject_id))
        .BindText(4, NonNull(hold.basis))
        .BindInt(5, ToMicros(hold.until))
        .BindInt(6, ToMicros(hold.created_at))
        .BindText(7, NonNull(hold.created_by));
    BindOptionalText(stmt, 3, hold.category);
    BindOptionalTime(stmt, 8, hold.released_at);
    return DescribeInsert(stmt.Run(), "legal hold", hold.id, hold.subject_id);
  }

  absl::StatusOr<std::optional<LegalHoldRow>> GetHold(std::string_view id) override {
    return GetOne(*get_hold_, id, &ReadHold);
  }

  absl::Status ReleaseHold(std::string_view id, absl::Time at) override {
    RETURN_IF_ERROR(release_hold_->BindInt(1, ToMicros(at)).BindText(2, NonNull(id)).Run());
    if (sqlite3_changes(db_.handle()) > 0) return absl::OkStatus();
    return WhyUnchanged(*hold_released_, "legal hold", id, "released");
  }

  absl::StatusOr<std::vector<LegalHoldRow>> ListHolds(std::string_view subject_id) override {
    return ListBy(*list_holds_, *list_holds_by_subject_, subject_id, &ReadHold);
  }

  absl::Status PutContractEnd(const ContractEndRow& row) override {
    absl::Status s = put_contract_end_->BindText(1, NonNull(row.subject_id))
                         .BindText(2, NonNull(row.service))
                         .BindInt(3, ToMicros(row.ended_at))
                         .BindInt(4, ToMicros(row.recorded_at))
                         .BindText(5, NonNull(row.recorded_by))
                         .Run();
    if (s.code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(
          fmt::format("contract end: subject {} does not exist", row.subject_id));
    }
    return s;
  }

  absl::StatusOr<std::vector<ContractEndRow>> ListContractEnds(
      std::string_view subject_id) override {
    return ListBy(*list_contract_ends_, *list_contract_ends_by_subject_, subject_id,
                  &ReadContractEnd);
  }

  absl::Status RecordLastUses(std::span<const LastUseRow> uses) override {
    for (const LastUseRow& use : uses) {
      RETURN_IF_ERROR(record_last_use_->BindText(1, NonNull(use.subject_id))
                          .BindText(2, NonNull(use.purpose))
                          .BindInt(3, ToMicros(use.used_at))
                          .Run());
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<LastUseRow>> ListLastUses() override {
    return ReadAll(*list_last_uses_, &ReadLastUse);
  }

  absl::StatusOr<int64_t> GetCursor(std::string_view name) override {
    StatementScope scope(*get_cursor_);
    get_cursor_->BindText(1, NonNull(name));
    ASSIGN_OR_RETURN(StepResult r, get_cursor_->Step());
    if (r == StepResult::kDone) return 0;
    return get_cursor_->ColumnInt(0);
  }

  absl::Status SetCursor(std::string_view name, int64_t position) override {
    // 0 reads as never set: no row is kept for it.
    if (position == 0) return clear_cursor_->BindText(1, NonNull(name)).Run();
    return set_cursor_->BindText(1, NonNull(name)).BindInt(2, position).Run();
  }

  absl::StatusOr<std::vector<RecordRow>> ListRecordsOfKey(const DataKeyId& key) override {
    std::vector<RecordRow> rows;
    ASSIGN_OR_RETURN(std::vector<int64_t> tables, TablesOfKey(key));
    for (int64_t table : tables) {
      ASSIGN_OR_RETURN(SqliteStatement * list, tables_.Statement(table, Op::kListOfKey));
      BindKey(*list, key);
      ASSIGN_OR_RETURN(std::vector<RecordRow> some, ReadAll(*list, &ReadRecordRow));
      rows.insert(rows.end(), std::make_move_iterator(some.begin()),
                  std::make_move_iterator(some.end()));
    }
    return rows;
  }

  absl::StatusOr<int64_t> CountRecordsOfKey(const DataKeyId& key) override {
    int64_t count = 0;
    ASSIGN_OR_RETURN(std::vector<int64_t> tables, TablesOfKey(key));
    for (int64_t table : tables) {
      ASSIGN_OR_RETURN(SqliteStatement * stmt, tables_.Statement(table, Op::kCountOfKey));
      BindKey(*stmt, key);
      ASSIGN_OR_RETURN(int64_t some, CountWith(*stmt));
      count += some;
    }
    return count;
  }

  absl::StatusOr<bool> SubjectHasRecords(std::string_view subject_id) override {
    // The main table first: most subjects keep records there (the open
    // bucket), and then no segment is looked at.
    ASSIGN_OR_RETURN(std::vector<int64_t> tables, tables_.AllTables(std::nullopt));
    for (int64_t table : tables) {
      ASSIGN_OR_RETURN(SqliteStatement * stmt, tables_.Statement(table, Op::kAnyOfSubject));
      StatementScope scope(*stmt);
      stmt->BindText(1, NonNull(subject_id));
      ASSIGN_OR_RETURN(StepResult r, stmt->Step());
      if (r == StepResult::kRow) return true;
    }
    return false;
  }

  absl::StatusOr<int64_t> DeleteRecords(std::span<const std::string> ids) override {
    ASSIGN_OR_RETURN(std::vector<int64_t> tables, tables_.AllTables(std::nullopt));
    int64_t deleted = 0;
    for (const std::string& id : ids) {
      for (int64_t table : tables) {
        ASSIGN_OR_RETURN(SqliteStatement * stmt, tables_.Statement(table, Op::kDeleteById));
        RETURN_IF_ERROR(stmt->BindText(1, id).Run());
        if (sqlite3_changes(db_.handle()) > 0) {
          ++deleted;
          break;
        }
      }
    }
    return deleted;
  }

  absl::StatusOr<bool> DeleteRecordAt(int64_t position, std::string_view id) override {
    const int64_t table = SegmentOfPosition(position);
    if (table != 0) {
      ASSIGN_OR_RETURN(std::vector<int64_t> live, tables_.LiveIds(std::nullopt));
      if (std::find(live.begin(), live.end(), table) == live.end()) return false;
    }
    ASSIGN_OR_RETURN(SqliteStatement * stmt, tables_.Statement(table, Op::kDeleteAt));
    RETURN_IF_ERROR(
        stmt->BindInt(1, position - FirstPositionOf(table)).BindText(2, NonNull(id)).Run());
    return sqlite3_changes(db_.handle()) > 0;
  }

  absl::StatusOr<std::vector<RecordSegmentRow>> ListSegments() override {
    return tables_.List(/*with_dropped=*/true);
  }

  absl::StatusOr<int64_t> MoveSubjectOutOfSegment(int64_t segment,
                                                  std::string_view subject_id) override {
    RETURN_IF_ERROR(tables_.CheckLive(segment));
    ASSIGN_OR_RETURN(SqliteStatement * copy, tables_.Statement(segment, Op::kCopySubjectToMain));
    RETURN_IF_ERROR(copy->BindText(1, NonNull(subject_id)).Run());
    const int64_t moved = sqlite3_changes(db_.handle());
    ASSIGN_OR_RETURN(SqliteStatement * remove, tables_.Statement(segment, Op::kDeleteSubject));
    RETURN_IF_ERROR(remove->BindText(1, NonNull(subject_id)).Run());
    return moved;
  }

  absl::StatusOr<std::vector<std::pair<int64_t, RecordRow>>> ListSegmentRecords(
      int64_t segment, int64_t after_position, size_t limit) override {
    RETURN_IF_ERROR(tables_.CheckLive(segment));
    const int64_t base = FirstPositionOf(segment);
    ASSIGN_OR_RETURN(SqliteStatement * scan, tables_.Statement(segment, Op::kScanRows));
    StatementScope scope(*scan);
    scan->BindInt(1, std::max<int64_t>(after_position - base, 0))
        .BindInt(2, static_cast<int64_t>(limit));
    std::vector<std::pair<int64_t, RecordRow>> rows;
    while (true) {
      ASSIGN_OR_RETURN(StepResult r, scan->Step());
      if (r == StepResult::kDone) break;
      RecordRow row;
      row.id = scan->ColumnText(1);
      row.subject_id = scan->ColumnText(2);
      row.category = scan->ColumnText(3);
      row.service = scan->ColumnText(4);
      const std::string purposes = scan->ColumnText(5);
      if (!purposes.empty()) row.purposes = absl::StrSplit(purposes, ',');
      row.policy_version = scan->ColumnInt(6);
      row.key_bucket = scan->ColumnText(7);
      row.collected_at = FromMicros(scan->ColumnInt(8));
      row.sealed_value = scan->ColumnBlob(9);
      rows.emplace_back(base + scan->ColumnInt(0), std::move(row));
    }
    return rows;
  }

  absl::StatusOr<std::vector<SubjectRecordCount>> DropSegment(int64_t segment) override {
    RETURN_IF_ERROR(tables_.CheckLive(segment));
    ASSIGN_OR_RETURN(std::vector<SubjectRecordCount> counts, tables_.CountPerSubject(segment));
    RETURN_IF_ERROR(DropCountedSegment(segment));
    return counts;
  }

  absl::Status DropCountedSegment(int64_t segment) override {
    // NotFound unless live.
    RETURN_IF_ERROR(WithoutOverwritingFreedPages([&] { return tables_.Drop(segment); }));
    return SetCursor(kUnscrubbedCursor, 1);
  }

  absl::StatusOr<int64_t> SegmentVersion(int64_t segment) override {
    return tables_.Version(segment);
  }

  absl::Status ForgetSegment(int64_t segment) override { return tables_.Forget(segment); }

  absl::StatusOr<bool> HasUnscrubbedPages() override {
    ASSIGN_OR_RETURN(int64_t unscrubbed, GetCursor(kUnscrubbedCursor));
    return unscrubbed != 0;
  }

  absl::StatusOr<int64_t> ScrubFreePages(int64_t max_pages) override {
    ASSIGN_OR_RETURN(bool unscrubbed, HasUnscrubbedPages());
    if (!unscrubbed) return 0;
    // Every free page is taken, whatever freed it: SQLite does not say
    // which pages a drop freed, and takes free pages in its own order.
    ASSIGN_OR_RETURN(int64_t free, CountWith(*count_free_pages_));
    if (free > 0) {
      if (page_size_ == 0) {
        ASSIGN_OR_RETURN(page_size_, CountWith(*page_size_of_));
      }
      const int64_t pages = std::clamp<int64_t>(max_pages, 1, free);
      // A blob of n × (page size − 4) bytes spills into n overflow pages
      // (each keeps 4 bytes for the next one's number), written whole: the
      // zeros, and nothing of what the page held.
      RETURN_IF_ERROR(insert_scrub_->BindInt(1, pages).BindInt(2, pages * (page_size_ - 4)).Run());
      ASSIGN_OR_RETURN(free, CountWith(*count_free_pages_));
    }
    if (free == 0) RETURN_IF_ERROR(SetCursor(kUnscrubbedCursor, 0));
    return free;
  }

  absl::StatusOr<int64_t> ReleaseScrubbedPages(int64_t max_pages) override {
    ASSIGN_OR_RETURN(bool unscrubbed, HasUnscrubbedPages());
    if (unscrubbed) {
      return absl::FailedPreconditionError(
          "pages a dropped segment freed are not all overwritten yet: scrub them first");
    }
    // Oldest rows first, whole, up to about `max_pages`.
    int64_t last = 0, taken = 0;
    {
      StatementScope scope(*list_scrub_);
      while (true) {
        ASSIGN_OR_RETURN(StepResult r, list_scrub_->Step());
        if (r == StepResult::kDone) break;
        const int64_t pages = list_scrub_->ColumnInt(1);
        if (taken > 0 && taken + pages > max_pages) break;
        last = list_scrub_->ColumnInt(0);
        taken += pages;
      }
    }
    if (taken > 0) {
      // The pages hold zeros already: freeing them need not write them.
      RETURN_IF_ERROR(
          WithoutOverwritingFreedPages([&] { return release_scrub_->BindInt(1, last).Run(); }));
    }
    return CountWith(*count_scrub_pages_);
  }

  absl::StatusOr<int64_t> DeleteBlindIndexes(std::string_view subject_id) override {
    RETURN_IF_ERROR(delete_indexes_->BindText(1, NonNull(subject_id)).Run());
    return sqlite3_changes(db_.handle());
  }

  absl::Status InsertDeidentified(const DeidentifiedRow& row) override {
    absl::Status s = insert_deidentified_->BindText(1, NonNull(row.id))
                         .BindText(2, NonNull(row.category))
                         .BindText(3, NonNull(row.service))
                         .BindText(4, NonNull(row.month))
                         .BindBlob(5, row.sealed_remainder)
                         .BindInt(6, ToMicros(row.created_at))
                         .Run();
    if (s.code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError(
          fmt::format("de-identified record {} already exists", row.id));
    }
    return s;
  }

  absl::StatusOr<int64_t> CountDeidentified() override { return CountWith(*count_deidentified_); }

  absl::StatusOr<std::vector<DeidentifiedRow>> ListDeidentified(size_t limit) override {
    list_deidentified_->BindInt(1, static_cast<int64_t>(limit));
    return ReadAll(*list_deidentified_, &ReadDeidentified);
  }

 private:
  // The tables a key's records may be in: the main one, and for a month's
  // key its month's live segments.
  absl::StatusOr<std::vector<int64_t>> TablesOfKey(const DataKeyId& key) {
    std::vector<int64_t> tables = {0};
    if (key.bucket != kOpenBucket) {
      ASSIGN_OR_RETURN(std::vector<int64_t> segments, tables_.LiveOf(key.category, key.bucket));
      tables.insert(tables.end(), segments.begin(), segments.end());
    }
    return tables;
  }

  // Runs `step` with secure_delete=FAST, which leaves the pages it frees as
  // they are (ON overwrites each with zeros, and writes it to the WAL, in
  // the same transaction); cells deleted from pages that stay are still
  // zeroed. The connection is back to ON afterwards, whatever happened.
  template <typename Step>
  absl::Status WithoutOverwritingFreedPages(Step step) {
    RETURN_IF_ERROR(db_.Exec("PRAGMA secure_delete=FAST"));
    absl::Status status = step();
    absl::Status restored = db_.Exec("PRAGMA secure_delete=ON");
    return status.ok() ? restored : status;
  }

  static void BindKey(SqliteStatement& stmt, const DataKeyId& key) {
    stmt.BindText(1, NonNull(key.subject_id))
        .BindText(2, NonNull(key.category))
        .BindText(3, NonNull(key.bucket));
  }

  // The single integer a bound COUNT statement yields.
  static absl::StatusOr<int64_t> CountWith(SqliteStatement& stmt) {
    StatementScope scope(stmt);
    ASSIGN_OR_RETURN(StepResult r, stmt.Step());
    (void)r;
    return stmt.ColumnInt(0);
  }

  SqliteDatabase& db_;
  RecordTables& tables_;
  std::unique_ptr<SqliteStatement> insert_hold_, get_hold_, release_hold_, hold_released_,
      list_holds_, list_holds_by_subject_, put_contract_end_, list_contract_ends_,
      list_contract_ends_by_subject_, record_last_use_, list_last_uses_, get_cursor_, set_cursor_,
      clear_cursor_, delete_indexes_, insert_deidentified_, count_deidentified_, list_deidentified_,
      count_free_pages_, page_size_of_, insert_scrub_, list_scrub_, release_scrub_,
      count_scrub_pages_;
  int64_t page_size_ = 0;  // read once, when first needed
};

}  // namespace

absl::StatusOr<std::unique_ptr<RetentionStore>> NewSqliteRetentionStore(SqliteDatabase& db,
                                                                        RecordTables& tables) {
  auto store = std::make_unique<SqliteRetentionStore>(db, tables);
  RETURN_IF_ERROR(store->PrepareStatements());
  return store;
}

}  // namespace mamori::store::internal
