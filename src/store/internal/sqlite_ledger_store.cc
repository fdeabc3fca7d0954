// LedgerStore on the records connection: the `ledger_entries`,
// `tree_heads` and `ledger_notes` tables of migration 2.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/status_macros.h"
#include "store/internal/sqlite_parts.h"

namespace mamori::store::internal {
namespace {

using StepResult = SqliteStatement::StepResult;

struct Finalize {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using RawStatement = std::unique_ptr<sqlite3_stmt, Finalize>;

// Column `index` of the current row into `out`, reusing its buffer; a NULL
// is empty, as SqliteStatement::ColumnBlob reads it.
void AssignBlob(sqlite3_stmt* stmt, int index, std::string& out) {
  const void* blob = sqlite3_column_blob(stmt, index);
  const int n = sqlite3_column_bytes(stmt, index);
  if (blob == nullptr) {
    out.clear();
  } else {
    out.assign(static_cast<const char*>(blob), static_cast<size_t>(n));
  }
}

class SqliteLedgerStore final : public LedgerStore {
 public:
  explicit SqliteLedgerStore(SqliteDatabase& db) : db_(db) {}

  absl::Status Prepare() {
    constexpr std::string_view kInsert =
        "INSERT INTO ledger_entries (seq, entry, leaf_hash, nodes) VALUES ";
    ASSIGN_OR_RETURN(insert_entry_, db_.Prepare(fmt::format("{}(?, ?, ?, ?)", kInsert)));
    std::vector<std::string_view> rows(kInsertBatch, "(?, ?, ?, ?)");
    ASSIGN_OR_RETURN(insert_entries_,
                     db_.Prepare(fmt::format("{}{}", kInsert, fmt::join(rows, ", "))));
    ASSIGN_OR_RETURN(get_entry_, db_.Prepare("SELECT seq, entry, leaf_hash, nodes FROM "
                                             "ledger_entries WHERE seq = ?"));
    ASSIGN_OR_RETURN(count_entries_,
                     db_.Prepare("SELECT COALESCE(MAX(seq) + 1, 0) FROM ledger_entries"));
    ASSIGN_OR_RETURN(insert_head_, db_.Prepare("INSERT INTO tree_heads (tree_size, signed_at, "
                                               "root_hash, signature) VALUES (?, ?, ?, ?)"));
    constexpr std::string_view kHeadColumns =
        "SELECT tree_size, signed_at, root_hash, signature FROM tree_heads ";
    ASSIGN_OR_RETURN(latest_head_,
                     db_.Prepare(fmt::format("{}ORDER BY tree_size DESC LIMIT 1", kHeadColumns)));
    ASSIGN_OR_RETURN(get_head_, db_.Prepare(fmt::format("{}WHERE tree_size = ?", kHeadColumns)));
    ASSIGN_OR_RETURN(list_heads_, db_.Prepare(fmt::format("{}ORDER BY tree_size", kHeadColumns)));
    ASSIGN_OR_RETURN(insert_note_, db_.Prepare("INSERT INTO ledger_notes (seq, text) "
                                               "VALUES (?, ?)"));
    ASSIGN_OR_RETURN(get_note_, db_.Prepare("SELECT text FROM ledger_notes WHERE seq = ?"));
    ASSIGN_OR_RETURN(scan_, PrepareRaw(kScanLedgerSql));
    return absl::OkStatus();
  }

  absl::Status AppendEntries(std::span<const LedgerEntryRow> entries) override {
    if (entries.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(int64_t next, CountEntries());
    if (entries.front().seq != next) {
      return absl::FailedPreconditionError(fmt::format(
          "ledger entry {} does not continue the ledger of {} entries", entries.front().seq, next));
    }
    for (const LedgerEntryRow& row : entries) {
      if (row.seq != next) {
        return absl::FailedPreconditionError(
            fmt::format("ledger entry {} leaves a gap after {}", row.seq, next - 1));
      }
      ++next;
    }
    // A group commit's entries go in rows of kInsertBatch per statement.
    while (entries.size() >= kInsertBatch) {
      for (size_t i = 0; i < kInsertBatch; ++i) BindEntry(*insert_entries_, i, entries[i]);
      RETURN_IF_ERROR(insert_entries_->Run());
      entries = entries.subspan(kInsertBatch);
    }
    for (const LedgerEntryRow& row : entries) {
      BindEntry(*insert_entry_, 0, row);
      RETURN_IF_ERROR(insert_entry_->Run());
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<LedgerEntryRow>> GetEntry(int64_t seq) override {
    StatementScope scope(*get_entry_);
    get_entry_->BindInt(1, seq);
    ASSIGN_OR_RETURN(StepResult r, get_entry_->Step());
    if (r == StepResult::kDone) return std::nullopt;
    LedgerEntryRow row;
    ReadLedgerEntry(*get_entry_, row);
    return row;
  }

  absl::StatusOr<int64_t> CountEntries() override {
    StatementScope scope(*count_entries_);
    ASSIGN_OR_RETURN(StepResult r, count_entries_->Step());
    (void)r;
    return count_entries_->ColumnInt(0);
  }

  absl::Status ScanEntries(int64_t first, int64_t end, const EntryVisitor& visit) override {
    // Its own statement, kept prepared: a visitor may call GetEntry
    // meanwhile. A scan from inside a visitor prepares another. The row's
    // strings are reused, and filled straight from SQLite's buffers: a full
    // verification reads every row.
    RawStatement nested;
    sqlite3_stmt* scan = scan_.get();
    if (scanning_) {
      ASSIGN_OR_RETURN(nested, PrepareRaw(kScanLedgerSql));
      scan = nested.get();
    }
    struct Done {
      sqlite3_stmt* stmt;
      bool* scanning;
      ~Done() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        if (scanning != nullptr) *scanning = false;
      }
    } done{scan, scan == scan_.get() ? &scanning_ : nullptr};
    if (done.scanning != nullptr) scanning_ = true;
    sqlite3_bind_int64(scan, 1, first);
    sqlite3_bind_int64(scan, 2, end);
    LedgerEntryRow row;
    while (true) {
      const int rc = sqlite3_step(scan);
      if (rc == SQLITE_DONE) return absl::OkStatus();
      if (rc != SQLITE_ROW) return SqliteError(db_.handle(), rc, "sqlite step");
      row.seq = sqlite3_column_int64(scan, 0);
      AssignBlob(scan, 1, row.entry);
      AssignBlob(scan, 2, row.leaf_hash);
      AssignBlob(scan, 3, row.nodes);
      RETURN_IF_ERROR(visit(row));
    }
  }

  absl::Status InsertTreeHead(const TreeHeadRow& head) override {
    return insert_head_->BindInt(1, head.tree_size)
        .BindInt(2, ToMicros(head.signed_at))
        .BindBlob(3, head.root_hash)
        .BindBlob(4, head.signature)
        .Run();
  }

  absl::StatusOr<std::optional<TreeHeadRow>> LatestTreeHead() override {
    StatementScope scope(*latest_head_);
    return ReadOptionalHead(*latest_head_);
  }

  absl::StatusOr<std::optional<TreeHeadRow>> GetTreeHead(int64_t tree_size) override {
    StatementScope scope(*get_head_);
    get_head_->BindInt(1, tree_size);
    return ReadOptionalHead(*get_head_);
  }

  absl::StatusOr<std::vector<TreeHeadRow>> ListTreeHeads() override {
    StatementScope scope(*list_heads_);
    std::vector<TreeHeadRow> heads;
    while (true) {
      ASSIGN_OR_RETURN(std::optional<TreeHeadRow> head, ReadOptionalHead(*list_heads_));
      if (!head) return heads;
      heads.push_back(*std::move(head));
    }
  }

  absl::Status InsertNote(int64_t seq, std::string_view text) override {
    return insert_note_->BindInt(1, seq).BindText(2, text).Run();
  }

  absl::StatusOr<std::optional<std::string>> GetNote(int64_t seq) override {
    StatementScope scope(*get_note_);
    get_note_->BindInt(1, seq);
    ASSIGN_OR_RETURN(StepResult r, get_note_->Step());
    if (r == StepResult::kDone) return std::nullopt;
    return get_note_->ColumnText(0);
  }

 private:
  // Steps `stmt` once: the head on its row, nullopt when done.
  static absl::StatusOr<std::optional<TreeHeadRow>> ReadOptionalHead(SqliteStatement& stmt) {
    ASSIGN_OR_RETURN(StepResult r, stmt.Step());
    if (r == StepResult::kDone) return std::nullopt;
    return TreeHeadRow{stmt.ColumnInt(0), FromMicros(stmt.ColumnInt(1)), stmt.ColumnBlob(2),
                       stmt.ColumnBlob(3)};
  }

  absl::StatusOr<RawStatement> PrepareRaw(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_.handle(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      return SqliteError(db_.handle(), rc, fmt::format("cannot prepare: {}", sql));
    }
    return RawStatement(stmt);
  }

  SqliteDatabase& db_;
  RawStatement scan_;
  bool scanning_ = false;  // scan_ is in use
  static constexpr size_t kInsertBatch = 32;

  static void BindEntry(SqliteStatement& stmt, size_t row, const LedgerEntryRow& entry) {
    const int base = static_cast<int>(row) * 4;
    stmt.BindInt(base + 1, entry.seq)
        .BindBlob(base + 2, entry.entry)
        .BindBlob(base + 3, entry.leaf_hash)
        .BindBlob(base + 4, entry.nodes);
  }

  std::unique_ptr<SqliteStatement> insert_entries_, insert_entry_, get_entry_, count_entries_,
      insert_head_, latest_head_, get_head_, list_heads_, insert_note_, get_note_;
};

}  // namespace

void ReadLedgerEntry(const SqliteStatement& stmt, LedgerEntryRow& row) {
  row.seq = stmt.ColumnInt(0);
  row.entry.assign(stmt.ColumnTextView(1));
  row.leaf_hash.assign(stmt.ColumnTextView(2));
  row.nodes.assign(stmt.ColumnTextView(3));
}

absl::StatusOr<std::unique_ptr<LedgerStore>> NewSqliteLedgerStore(SqliteDatabase& db) {
  auto store = std::make_unique<SqliteLedgerStore>(db);
  RETURN_IF_ERROR(store->Prepare());
  return store;
}

}  // namespace mamori::store::internal
