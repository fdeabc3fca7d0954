#include "store/sqlite_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "store/internal/sqlite_db.h"
#include "store/internal/sqlite_parts.h"
#include "store/internal/sqlite_record_tables.h"
#include "store/internal/sqlite_rows.h"
#include "store/internal/wal_checkpointer.h"

namespace mamori::store {
namespace {

using internal::SqliteDatabase;
using internal::SqliteStatement;
using internal::StatementScope;
using StepResult = SqliteStatement::StepResult;
using internal::RecordTables;
using Op = RecordTables::Op;

struct Migration {
  int version;
  const char* sql;
};

// Append-only: a released migration is never edited, only followed.
//
// Tables keyed by a composite or text key are WITHOUT ROWID (one B-tree
// instead of two). Policy versions are not foreign keys of subjects and
// records: the vault only ever writes the current version, and the check
// cost a third of import throughput.
constexpr Migration kRecordMigrations[] = {
    {1, R"sql(
CREATE TABLE policy_versions (
  version        INTEGER PRIMARY KEY,
  loaded_at      BIGINT  NOT NULL,
  source_sha256  TEXT    NOT NULL,
  source         TEXT    NOT NULL,
  loaded_by      TEXT    NOT NULL
);
CREATE TABLE subjects (
  id              TEXT    PRIMARY KEY,
  created_at      BIGINT  NOT NULL,
  policy_version  INTEGER NOT NULL
);
CREATE TABLE records (
  id              TEXT    PRIMARY KEY,
  subject_id      TEXT    NOT NULL REFERENCES subjects(id),
  category        TEXT    NOT NULL,
  service         TEXT    NOT NULL,
  purposes        TEXT    NOT NULL,
  policy_version  INTEGER NOT NULL,
  key_bucket      TEXT    NOT NULL,
  collected_at    BIGINT  NOT NULL,
  sealed_value    BLOB    NOT NULL
);
CREATE INDEX records_by_subject ON records(subject_id);
CREATE TABLE blind_indexes (
  kind        TEXT NOT NULL,
  mac         BLOB NOT NULL,
  subject_id  TEXT NOT NULL REFERENCES subjects(id),
  PRIMARY KEY (kind, mac, subject_id)
) WITHOUT ROWID;
)sql"},
    // Facts the decision engine reads, and the ledger.
    {2, R"sql(
CREATE TABLE actors (
  id          TEXT   PRIMARY KEY,
  roles       TEXT   NOT NULL,
  created_at  BIGINT NOT NULL,
  created_by  TEXT   NOT NULL
) WITHOUT ROWID;
CREATE TABLE trainings (
  actor_id      TEXT   NOT NULL REFERENCES actors(id),
  course        TEXT   NOT NULL,
  completed_at  BIGINT NOT NULL,
  recorded_at   BIGINT NOT NULL,
  recorded_by   TEXT   NOT NULL
);
CREATE INDEX trainings_by_actor ON trainings(actor_id, completed_at);
CREATE TABLE consents (
  id                     TEXT    PRIMARY KEY,
  subject_id             TEXT    NOT NULL REFERENCES subjects(id),
  purpose                TEXT    NOT NULL,
  recipient              TEXT,
  given_at               BIGINT  NOT NULL,
  channel                TEXT    NOT NULL,
  evidence               TEXT    NOT NULL,
  explicit_for_location  INTEGER NOT NULL,
  cross_border_informed  INTEGER NOT NULL,
  policy_version         INTEGER NOT NULL,
  recorded_by            TEXT    NOT NULL,
  withdrawn_at           BIGINT,
  withdrawal_channel     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX consents_by_subject ON consents(subject_id);
CREATE TABLE stop_orders (
  id          TEXT   PRIMARY KEY,
  subject_id  TEXT   NOT NULL REFERENCES subjects(id),
  kind        TEXT   NOT NULL CHECK (kind IN ('use', 'provision')),
  purpose     TEXT,
  recipient   TEXT,
  created_at  BIGINT NOT NULL,
  request_id  TEXT   NOT NULL,
  lifted_at   BIGINT
);
CREATE INDEX stop_orders_by_subject ON stop_orders(subject_id);
CREATE TABLE ledger_entries (
  seq        INTEGER PRIMARY KEY,
  entry      BLOB    NOT NULL,
  leaf_hash  BLOB    NOT NULL,
  nodes      BLOB    NOT NULL
);
CREATE TABLE tree_heads (
  tree_size  INTEGER PRIMARY KEY,
  signed_at  BIGINT  NOT NULL,
  root_hash  BLOB    NOT NULL,
  signature  BLOB    NOT NULL
);
CREATE TABLE ledger_notes (
  seq   INTEGER PRIMARY KEY,
  text  TEXT    NOT NULL
);
)sql"},
    // API bearer tokens (only their SHA-256).
    {3, R"sql(
CREATE TABLE api_tokens (
  id            TEXT   PRIMARY KEY,
  token_sha256  BLOB   NOT NULL UNIQUE,
  actor_id      TEXT   NOT NULL REFERENCES actors(id),
  created_at    BIGINT NOT NULL,
  created_by    TEXT   NOT NULL,
  expires_at    BIGINT,
  revoked_at    BIGINT
);
)sql"},
    // Reads of one category of one subject (every audited read) find their
    // rows without visiting the subject's other records.
    {4, R"sql(
CREATE INDEX records_by_subject_category ON records(subject_id, category);
DROP INDEX records_by_subject;
)sql"},
    // Retention (docs/retention.md): legal holds, the anchors of retention
    // rules, how far the sweep has read the ledger, de-identified remainders.
    // Records are found by data key when one is erased.
    {5, R"sql(
CREATE TABLE legal_holds (
  id           TEXT   PRIMARY KEY,
  subject_id   TEXT   NOT NULL REFERENCES subjects(id),
  category     TEXT,
  basis        TEXT   NOT NULL,
  until        BIGINT NOT NULL,
  created_at   BIGINT NOT NULL,
  created_by   TEXT   NOT NULL,
  released_at  BIGINT
);
CREATE INDEX legal_holds_by_subject ON legal_holds(subject_id);
CREATE TABLE contract_ends (
  subject_id   TEXT   NOT NULL REFERENCES subjects(id),
  service      TEXT   NOT NULL,
  ended_at     BIGINT NOT NULL,
  recorded_at  BIGINT NOT NULL,
  recorded_by  TEXT   NOT NULL,
  PRIMARY KEY (subject_id, service)
) WITHOUT ROWID;
CREATE TABLE last_uses (
  subject_id  TEXT   NOT NULL,
  purpose     TEXT   NOT NULL,
  used_at     BIGINT NOT NULL,
  PRIMARY KEY (subject_id, purpose)
) WITHOUT ROWID;
CREATE TABLE retention_cursors (
  name      TEXT    PRIMARY KEY,
  position  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE deidentified_records (
  id          TEXT   PRIMARY KEY,
  category    TEXT   NOT NULL,
  service     TEXT   NOT NULL,
  month       TEXT   NOT NULL,
  remainder   BLOB   NOT NULL,
  created_at  BIGINT NOT NULL
);
)sql"},
    // Provision (docs/decisions.md, "Provision"): the provider's records
    // (Art. 29), the recipient's records (Art. 30), trustee audits and
    // re-entrustment approvals. No foreign keys to subjects: these records
    // outlive the subject's erasure. Category lists are joined by ','.
    {6, R"sql(
CREATE TABLE provision_records (
  id                        TEXT    PRIMARY KEY,
  recipient                 TEXT    NOT NULL,
  subject_id                TEXT    NOT NULL,
  categories                TEXT    NOT NULL,
  purpose                   TEXT    NOT NULL,
  legal_basis               TEXT    NOT NULL,
  consent_id                TEXT,
  provided_at               BIGINT  NOT NULL,
  provided_by               TEXT    NOT NULL,
  keep_until                BIGINT  NOT NULL,
  kept_from_last_provision  INTEGER NOT NULL,
  ledger_entry              INTEGER NOT NULL
);
CREATE INDEX provision_records_by_subject ON provision_records(subject_id);
CREATE INDEX provision_records_by_recipient ON provision_records(recipient);
CREATE INDEX provision_records_by_keep_until ON provision_records(keep_until);
CREATE TABLE provision_receipts (
  id                       TEXT    PRIMARY KEY,
  provider_name            TEXT    NOT NULL,
  provider_address         TEXT    NOT NULL,
  provider_representative  TEXT    NOT NULL,
  how_obtained             TEXT    NOT NULL,
  by_opt_out               INTEGER NOT NULL,
  subject_id               TEXT,
  categories               TEXT    NOT NULL,
  received_at              BIGINT  NOT NULL,
  recorded_at              BIGINT  NOT NULL,
  recorded_by              TEXT    NOT NULL,
  keep_until               BIGINT  NOT NULL
);
CREATE INDEX provision_receipts_by_subject ON provision_receipts(subject_id);
CREATE INDEX provision_receipts_by_keep_until ON provision_receipts(keep_until);
CREATE TABLE trustee_audits (
  id           TEXT   PRIMARY KEY,
  trustee_id   TEXT   NOT NULL,
  audited_at   BIGINT NOT NULL,
  result       TEXT   NOT NULL,
  next_due     BIGINT NOT NULL,
  recorded_at  BIGINT NOT NULL,
  recorded_by  TEXT   NOT NULL
);
CREATE INDEX trustee_audits_by_trustee ON trustee_audits(trustee_id, audited_at);
CREATE TABLE reentrustments (
  id             TEXT   PRIMARY KEY,
  trustee_id     TEXT   NOT NULL,
  subcontractor  TEXT   NOT NULL,
  scope          TEXT   NOT NULL,
  approved_at    BIGINT NOT NULL,
  approved_by    TEXT   NOT NULL
);
)sql"},
    // The retention sweep asks, per data key, whether any row is left under
    // it: with the bucket in the index that is a count of index entries, not
    // a visit to every row of the subject's category. Reads by subject and
    // category use its prefix.
    {7, R"sql(
CREATE INDEX records_by_key ON records(subject_id, category, key_bucket);
DROP INDEX records_by_subject_category;
)sql"},
    // Incidents and supervision (docs/incidents.md, docs/supervision.md):
    // the use index, one row per (ledger entry, subject), derived from the
    // ledger and rebuildable from it, so "whose data did this actor touch"
    // reads an index range instead of the ledger; the tree head the last
    // full verification covered; incidents with their affected subjects and
    // reports. No foreign keys to subjects: incident facts outlive erasure.
    // Clustered by (seq, subject), so folding the ledger appends at the end
    // and listing in seq order needs no sort. uses_by_actor covers "whose
    // data did this actor touch" (with seq and subject, which every index of
    // the table holds), so a window of 100k uses reads no table row: ten
    // times faster on a 10M-row index. uses_by_actor_purpose lets each
    // actor's last use per purpose and categories be found by one look-up
    // per group instead of a sort of the whole table.
    {8, R"sql(
CREATE TABLE ledger_uses (
  seq          INTEGER NOT NULL,
  at           BIGINT  NOT NULL,
  actor        TEXT    NOT NULL,
  action       TEXT    NOT NULL,
  allowed      INTEGER NOT NULL,
  purpose      TEXT    NOT NULL,
  subject      TEXT    NOT NULL,
  recipient    TEXT    NOT NULL,
  categories   TEXT    NOT NULL,
  rule_id      TEXT    NOT NULL,
  reason_code  TEXT    NOT NULL,
  flagged      INTEGER NOT NULL,
  ground       TEXT    NOT NULL,
  PRIMARY KEY (seq, subject)
) WITHOUT ROWID;
CREATE INDEX uses_by_actor ON ledger_uses(actor, at, allowed, action, categories, rule_id);
CREATE INDEX uses_by_actor_purpose ON ledger_uses(actor, purpose, categories, at)
  WHERE allowed = 1;
CREATE INDEX uses_by_recipient ON ledger_uses(recipient, at) WHERE recipient <> '';
CREATE INDEX uses_by_at ON ledger_uses(at, allowed, rule_id, actor);
CREATE INDEX uses_flagged ON ledger_uses(at) WHERE flagged = 1;
CREATE TABLE verified_heads (
  tree_size    INTEGER PRIMARY KEY,
  root_hash    BLOB    NOT NULL,
  verified_at  BIGINT  NOT NULL
);
CREATE TABLE incidents (
  id              TEXT    PRIMARY KEY,
  opened_at       BIGINT  NOT NULL,
  opened_by       TEXT    NOT NULL,
  discovered_at   BIGINT  NOT NULL,
  occurred_at     BIGINT,
  cause           TEXT    NOT NULL,
  suspected       INTEGER NOT NULL,
  description     TEXT    NOT NULL,
  scope_json      TEXT    NOT NULL,
  narrative_json  TEXT    NOT NULL,
  status          TEXT    NOT NULL,
  closed_at       BIGINT,
  updated_at      BIGINT  NOT NULL
);
CREATE INDEX incidents_by_opened_at ON incidents(opened_at);
CREATE TABLE incident_subjects (
  incident_id             TEXT    NOT NULL,
  subject_id              TEXT    NOT NULL,
  categories              TEXT    NOT NULL,
  encrypted_without_keys  INTEGER NOT NULL,
  PRIMARY KEY (incident_id, subject_id)
) WITHOUT ROWID;
CREATE TABLE incident_reports (
  incident_id   TEXT    NOT NULL,
  kind          TEXT    NOT NULL,
  submitted_at  BIGINT  NOT NULL,
  submitted_by  TEXT    NOT NULL,
  reference     TEXT    NOT NULL,
  PRIMARY KEY (incident_id, kind)
);
)sql"},
    // Customer requests and complaints (docs/requests.md). What the customer
    // gave is sealed (sealed_state, sealed); the plain columns are what the
    // queues filter and sort on.
    {9, R"sql(
CREATE TABLE requests (
  id             TEXT    PRIMARY KEY,
  kind           TEXT    NOT NULL,
  status         TEXT    NOT NULL,
  verification   TEXT    NOT NULL,
  received_at    BIGINT  NOT NULL,
  due            BIGINT  NOT NULL,
  assignee       TEXT    NOT NULL,
  subject_id     TEXT    NOT NULL,
  secret_sha256  BLOB    NOT NULL,
  summary_json   TEXT    NOT NULL,
  sealed_state   BLOB    NOT NULL,
  sealed_result  BLOB    NOT NULL,
  trail          TEXT    NOT NULL,
  updated_at     BIGINT  NOT NULL
);
CREATE INDEX requests_by_due ON requests(due, id);
CREATE TABLE complaints (
  id                  TEXT    PRIMARY KEY,
  status              TEXT    NOT NULL,
  service             TEXT    NOT NULL,
  category            TEXT    NOT NULL,
  received_at         BIGINT  NOT NULL,
  first_response_due  BIGINT  NOT NULL,
  first_response_at   BIGINT,
  assignee            TEXT    NOT NULL,
  sealed              BLOB    NOT NULL,
  trail               TEXT    NOT NULL,
  updated_at          BIGINT  NOT NULL
);
CREATE INDEX complaints_by_due ON complaints(first_response_due, id);
)sql"},
    // The language each customer chose for notices (docs/incidents.md).
    {10, R"sql(
ALTER TABLE subjects ADD COLUMN language TEXT NOT NULL DEFAULT '';
)sql"},
    // Segments (docs/storage.md): records of a collection month are written
    // to tables per (category, month), record_segment_<id>, each made when
    // the last is full, so that a month that is due goes with a DROP TABLE
    // per table, each a bounded job.
    // Records already stored stay in `records` and go one by one.
    {11, R"sql(
CREATE TABLE record_segments (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  category  TEXT    NOT NULL,
  bucket    TEXT    NOT NULL,
  first_at  BIGINT  NOT NULL,
  last_at   BIGINT  NOT NULL,
  records   INTEGER NOT NULL DEFAULT 0,
  dropped   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX record_segments_live ON record_segments(category, bucket) WHERE dropped = 0;
CREATE TABLE record_segment_terms (
  segment_id  INTEGER NOT NULL,
  service     TEXT    NOT NULL,
  purposes    TEXT    NOT NULL,
  PRIMARY KEY (segment_id, service, purposes)
) WITHOUT ROWID;
)sql"},
    // A dropped segment's pages are freed as they are and overwritten
    // afterwards, a few at a time, by rows of zeros that take them
    // (RetentionStore::ScrubFreePages); the rows are deleted once every
    // free page is overwritten.
    {12, R"sql(
CREATE TABLE free_page_scrub (
  pages  INTEGER NOT NULL,
  zeros  BLOB    NOT NULL
);
)sql"},
};

constexpr Migration kKeyMigrations[] = {
    {1, R"sql(
CREATE TABLE subject_keys (
  subject_id  TEXT PRIMARY KEY,
  wrapped     BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE data_keys (
  subject_id  TEXT NOT NULL,
  category    TEXT NOT NULL,
  bucket      TEXT NOT NULL,
  wrapped     BLOB NOT NULL,
  PRIMARY KEY (subject_id, category, bucket)
) WITHOUT ROWID;
CREATE TABLE operator_keys (
  name     TEXT PRIMARY KEY,
  wrapped  BLOB NOT NULL
);
)sql"},
};

// Records: 16 KiB pages (shallower B-trees, fewer splits on bulk inserts;
// about 8% faster imports than 4 KiB). Keys: small rows that are destroyed
// one by one with secure_delete, so small pages to overwrite.
constexpr int kRecordsPageSize = 16384;
constexpr int kKeysPageSize = 4096;

using internal::FromMicros;
using internal::ToMicros;

// Applies the migrations newer than the file's version, all in one
// transaction, and returns the resulting version.
absl::StatusOr<int> Migrate(SqliteDatabase& db, std::span<const Migration> migrations) {
  RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
              " version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)"));
  ASSIGN_OR_RETURN(auto current_stmt,
                   db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  ASSIGN_OR_RETURN(StepResult r, current_stmt->Step());
  (void)r;
  int current = static_cast<int>(current_stmt->ColumnInt(0));
  current_stmt->Reset();
  int latest = migrations.empty() ? 0 : migrations.back().version;
  if (current > latest) {
    return absl::FailedPreconditionError(
        fmt::format("{} has schema version {}, newer than this mamori knows ({}); upgrade mamori",
                    db.path(), current, latest));
  }
  if (current == latest) return current;
  RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    absl::Status s = db.Exec(m.sql);
    if (s.ok()) {
      ASSIGN_OR_RETURN(auto insert,
                       db.Prepare("INSERT INTO schema_migrations (version, applied_at) "
                                  "VALUES (?, ?)"));
      s = insert->BindInt(1, m.version).BindInt(2, ToMicros(absl::Now())).Run();
    }
    if (!s.ok()) {
      (void)db.Exec("ROLLBACK");
      return s;
    }
  }
  RETURN_IF_ERROR(db.Exec("COMMIT"));
  return latest;
}

// The outer transaction is BEGIN IMMEDIATE .. COMMIT; a transaction begun
// inside another is a savepoint, so a service can run its own all-or-nothing
// unit inside the engine's group commit and roll back only its part.
class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteDatabase& db, int depth) : db_(db), depth_(depth) {}
  ~SqliteTransaction() override {
    if (!done_) Rollback();
  }
  absl::Status Commit() override {
    if (done_) return absl::FailedPreconditionError("transaction already finished");
    if (db_.transaction_depth() != depth_) {
      return absl::FailedPreconditionError("a nested transaction is still open");
    }
    done_ = true;
    absl::Status s = db_.ExecPrepared(depth_ == 1 ? std::string("COMMIT")
                                                  : fmt::format("RELEASE SAVEPOINT t{}", depth_));
    if (!s.ok()) {
      done_ = false;
      Rollback();
      return s;
    }
    db_.set_transaction_depth(depth_ - 1);
    return s;
  }

 private:
  void Rollback() {
    done_ = true;
    if (depth_ == 1) {
      (void)db_.Exec("ROLLBACK");
    } else {
      (void)db_.Exec(fmt::format("ROLLBACK TO SAVEPOINT t{0}; RELEASE SAVEPOINT t{0}", depth_));
    }
    db_.set_transaction_depth(depth_ - 1);
  }

  SqliteDatabase& db_;
  int depth_;
  bool done_ = false;
};

absl::StatusOr<std::unique_ptr<Transaction>> Begin(SqliteDatabase& db) {
  const int depth = db.transaction_depth() + 1;
  RETURN_IF_ERROR(db.ExecPrepared(depth == 1 ? std::string("BEGIN IMMEDIATE")
                                             : fmt::format("SAVEPOINT t{}", depth)));
  db.set_transaction_depth(depth);
  return std::make_unique<SqliteTransaction>(db, depth);
}

absl::StatusOr<std::unique_ptr<SqliteDatabase>> OpenFile(const std::string& path, bool create,
                                                         bool secure_delete, int page_size) {
  if (!create && !std::filesystem::exists(path)) {
    return absl::NotFoundError(fmt::format(
        "{} does not exist (is this a mamori data directory? see `mamori init`)", path));
  }
  ASSIGN_OR_RETURN(auto db, SqliteDatabase::Open(path, create));
  // Takes effect only when the file is created.
  RETURN_IF_ERROR(db->Exec(fmt::format("PRAGMA page_size={}", page_size)));
  // synchronous=FULL: a committed transaction survives power loss, so nothing
  // acknowledged is lost.
  RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL"));
  RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=FULL"));
  RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  // Up to 128 MiB of page cache per file (allocated as used): bulk imports
  // insert random ids into B-trees, which thrashes SQLite's 2 MiB default.
  RETURN_IF_ERROR(db->Exec("PRAGMA cache_size=-131072"));
  if (secure_delete) RETURN_IF_ERROR(db->Exec("PRAGMA secure_delete=ON"));
  return db;
}

class SqliteStoreReader;

class SqliteRecordStore final : public RecordStore {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteRecordStore>> Open(const std::string& path,
                                                                 bool create,
                                                                 int64_t segment_records) {
    // secure_delete: a deleted record, and a month's table dropped whole by
    // the retention sweep, leave their metadata (subject ids, collection
    // times) nowhere in the file: freed space is overwritten with zeros.
    // Debian's SQLite does this by default; this makes it so everywhere.
    ASSIGN_OR_RETURN(auto db, OpenFile(path, create, /*secure_delete=*/true, kRecordsPageSize));
    ASSIGN_OR_RETURN(int version, Migrate(*db, kRecordMigrations));
    auto store =
        std::unique_ptr<SqliteRecordStore>(new SqliteRecordStore(std::move(db), segment_records));
    store->schema_version_ = version;
    RETURN_IF_ERROR(store->PrepareStatements());
    // Every use appends to the ledger here: checkpoints go to a thread of
    // their own, so that no commit waits for one (see WalCheckpointer).
    store->checkpointer_ = std::make_unique<internal::WalCheckpointer>(
        *store->db_, kBackgroundCheckpointPages, kForegroundCheckpointPages);
    return store;
  }

  absl::StatusOr<std::unique_ptr<Transaction>> BeginTransaction() override { return Begin(*db_); }

  absl::Status InsertSubject(const SubjectRow& subject) override {
    return insert_subject_->BindText(1, subject.id)
        .BindInt(2, ToMicros(subject.created_at))
        .BindInt(3, subject.policy_version)
        .BindText(4, subject.language)
        .Run();
  }

  absl::StatusOr<std::optional<SubjectRow>> GetSubject(std::string_view id) override {
    StatementScope scope(*get_subject_);
    get_subject_->BindText(1, id);
    ASSIGN_OR_RETURN(StepResult r, get_subject_->Step());
    if (r == StepResult::kDone) return std::nullopt;
    return SubjectRow{get_subject_->ColumnText(0), FromMicros(get_subject_->ColumnInt(1)),
                      get_subject_->ColumnInt(2), get_subject_->ColumnText(3)};
  }

  absl::Status SetSubjectLanguage(std::string_view id, std::string_view language) override {
    RETURN_IF_ERROR(set_subject_language_->BindText(1, language).BindText(2, id).Run());
    if (sqlite3_changes(db_->handle()) == 0) {
      return absl::NotFoundError(fmt::format("subject {} not found", id));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> CountSubjects() override {
    return Count("SELECT COUNT(*) FROM subjects");
  }
  absl::StatusOr<int64_t> CountRecords() override {
    ASSIGN_OR_RETURN(std::vector<int64_t> tables, tables_->AllTables(std::nullopt));
    int64_t total = 0;
    for (int64_t table : tables) {
      ASSIGN_OR_RETURN(SqliteStatement * count, tables_->Statement(table, Op::kCountAll));
      StatementScope scope(*count);
      ASSIGN_OR_RETURN(StepResult r, count->Step());
      (void)r;
      total += count->ColumnInt(0);
    }
    return total;
  }

  absl::Status InsertRecord(const RecordRow& record) override {
    return InsertRecords(std::span<const RecordRow>(&record, 1));
  }

  absl::Status InsertRecords(std::span<const RecordRow> records) override {
    // Each record goes to its table: the open bucket's to `records`, a
    // month's to its segment. Rows keep their order within a table.
    std::vector<std::pair<int64_t, size_t>> routed;  // (table, index)
    routed.reserve(records.size());
    absl::flat_hash_map<std::pair<std::string_view, std::string_view>, int64_t> segments;
    for (size_t i = 0; i < records.size(); ++i) {
      const RecordRow& record = records[i];
      int64_t table = 0;
      if (record.key_bucket != kOpenBucket) {
        auto [it, inserted] = segments.try_emplace({record.category, record.key_bucket}, 0);
        if (inserted) {
          ASSIGN_OR_RETURN(it->second,
                           tables_->SegmentForInsert(record.category, record.key_bucket));
        }
        table = it->second;
      }
      routed.emplace_back(table, i);
    }
    std::stable_sort(routed.begin(), routed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> purposes(RecordTables::kInsertBatchRows);
    std::vector<const RecordRow*> inserted;
    for (size_t run = 0; run < routed.size();) {
      const int64_t table = routed[run].first;
      size_t end = run;
      while (end < routed.size() && routed[end].first == table) ++end;
      for (size_t at = run; at < end;) {
        const bool batch = end - at >= static_cast<size_t>(RecordTables::kInsertBatchRows);
        const size_t rows = batch ? RecordTables::kInsertBatchRows : 1;
        ASSIGN_OR_RETURN(SqliteStatement * insert,
                         tables_->Statement(table, batch ? Op::kInsertBatch : Op::kInsertOne));
        for (size_t i = 0; i < rows; ++i) {
          const RecordRow& record = records[routed[at + i].second];
          purposes[i] = absl::StrJoin(record.purposes, ",");
          BindRecord(*insert, static_cast<int>(i), record, purposes[i]);
        }
        RETURN_IF_ERROR(insert->Run());
        at += rows;
      }
      if (table != 0) {
        inserted.clear();
        for (size_t at = run; at < end; ++at) inserted.push_back(&records[routed[at].second]);
        RETURN_IF_ERROR(tables_->NoteInserted(table, inserted));
      }
      run = end;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<RecordRow>> GetRecord(std::string_view id) override {
    ASSIGN_OR_RETURN(std::vector<int64_t> tables, tables_->AllTables(std::nullopt));
    for (int64_t table : tables) {
      ASSIGN_OR_RETURN(SqliteStatement * get, tables_->Statement(table, Op::kGetById));
      StatementScope scope(*get);
      get->BindText(1, id);
      ASSIGN_OR_RETURN(StepResult r, get->Step());
      if (r == StepResult::kRow) return ReadRecord(*get);
    }
    return std::nullopt;
  }

  absl::StatusOr<std::vector<RecordRow>> ListRecords(std::string_view subject_id) override {
    ASSIGN_OR_RETURN(std::vector<int64_t> tables, tables_->AllTables(std::nullopt));
    std::vector<RecordRow> rows;
    for (int64_t table : tables) {
      ASSIGN_OR_RETURN(SqliteStatement * list, tables_->Statement(table, Op::kListBySubject));
      StatementScope scope(*list);
      list->BindText(1, subject_id);
      while (true) {
        ASSIGN_OR_RETURN(StepResult r, list->Step());
        if (r == StepResult::kDone) break;
        rows.push_back(ReadRecord(*list));
      }
    }
    return rows;
  }

  absl::Status InsertBlindIndex(std::string_view kind, std::string_view mac,
                                std::string_view subject_id) override {
    return insert_index_->BindText(1, kind).BindBlob(2, mac).BindText(3, subject_id).Run();
  }

  absl::StatusOr<int64_t> DeleteBlindIndex(std::string_view kind, std::string_view mac,
                                           std::string_view subject_id) override {
    RETURN_IF_ERROR(
        delete_index_->BindText(1, kind).BindBlob(2, mac).BindText(3, subject_id).Run());
    return sqlite3_changes(db_->handle());
  }

  absl::StatusOr<std::vector<std::string>> FindSubjectsByIndex(std::string_view kind,
                                                               std::string_view mac) override {
    StatementScope scope(*find_index_);
    find_index_->BindText(1, kind).BindBlob(2, mac);
    std::vector<std::string> ids;
    while (true) {
      ASSIGN_OR_RETURN(StepResult r, find_index_->Step());
      if (r == StepResult::kDone) break;
      ids.push_back(find_index_->ColumnText(0));
    }
    return ids;
  }

  absl::Status InsertPolicyVersion(const PolicyVersionRow& row) override {
    ASSIGN_OR_RETURN(auto stmt,
                     db_->Prepare("INSERT INTO policy_versions (version, loaded_at, "
                                  "source_sha256, source, loaded_by) VALUES (?, ?, ?, ?, ?)"));
    return stmt->BindInt(1, row.version)
        .BindInt(2, ToMicros(row.loaded_at))
        .BindText(3, row.source_sha256)
        .BindText(4, row.source)
        .BindText(5, row.loaded_by)
        .Run();
  }

  absl::StatusOr<std::optional<PolicyVersionRow>> GetPolicyVersion(int64_t version) override {
    return ReadPolicyVersion(
        "SELECT version, loaded_at, source_sha256, source, loaded_by FROM policy_versions "
        "WHERE version = ?",
        version);
  }

  absl::StatusOr<std::optional<PolicyVersionRow>> LatestPolicyVersion() override {
    return ReadPolicyVersion(
        "SELECT version, loaded_at, source_sha256, source, loaded_by FROM policy_versions "
        "ORDER BY version DESC LIMIT 1",
        std::nullopt);
  }

  absl::StatusOr<int> SchemaVersion() override { return schema_version_; }

  // WAL mode with synchronous=NORMAL: a commit appends its frames to the
  // WAL without syncing; SyncCommitted syncs the WAL file (fdatasync on the
  // inode covers every frame written so far, through any descriptor).
  // SQLite still syncs the WAL before each checkpoint and its header when
  // it starts over, so a synced commit survives power loss as under FULL.
  absl::Status DeferSync(bool defer) override {
    RETURN_IF_ERROR(db_->Exec(defer ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL"));
    deferred_sync_ = defer;
    return absl::OkStatus();
  }

  absl::Status SyncCommitted() override {
    if (!deferred_sync_) return absl::OkStatus();
    std::lock_guard lock(wal_mutex_);
    if (wal_fd_ < 0) {
      // The WAL exists from the first write until the last connection
      // closes; the writer's connection stays open, so the file does too.
      const std::string path = db_->path() + "-wal";
      wal_fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (wal_fd_ < 0) {
        return absl::UnavailableError(
            fmt::format("cannot open {} to sync it: {}", path, std::strerror(errno)));
      }
    }
    if (::fdatasync(wal_fd_) != 0) {
      return absl::UnavailableError(
          fmt::format("cannot sync {}-wal: {}", db_->path(), std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  ~SqliteRecordStore() override {
    if (wal_fd_ >= 0) ::close(wal_fd_);
  }

  SqliteDatabase& database() { return *db_; }
  RecordTables& tables() { return *tables_; }

 private:
  SqliteRecordStore(std::unique_ptr<SqliteDatabase> db, int64_t segment_records)
      : db_(std::move(db)), tables_(std::make_unique<RecordTables>(*db_, segment_records)) {}

  absl::Status PrepareStatements() {
    ASSIGN_OR_RETURN(insert_subject_,
                     db_->Prepare("INSERT INTO subjects (id, created_at, policy_version, language) "
                                  "VALUES (?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(get_subject_, db_->Prepare("SELECT id, created_at, policy_version, language "
                                                "FROM subjects WHERE id = ?"));
    ASSIGN_OR_RETURN(set_subject_language_,
                     db_->Prepare("UPDATE subjects SET language = ? WHERE id = ?"));
    ASSIGN_OR_RETURN(insert_index_,
                     db_->Prepare("INSERT INTO blind_indexes (kind, mac, subject_id) "
                                  "VALUES (?, ?, ?) ON CONFLICT DO NOTHING"));
    ASSIGN_OR_RETURN(find_index_, db_->Prepare("SELECT subject_id FROM blind_indexes "
                                               "WHERE kind = ? AND mac = ? ORDER BY subject_id"));
    ASSIGN_OR_RETURN(delete_index_, db_->Prepare("DELETE FROM blind_indexes "
                                                 "WHERE kind = ? AND mac = ? AND subject_id = ?"));
    return absl::OkStatus();
  }

  static constexpr int kRecordColumnCount = RecordTables::kRecordColumnCount;

  // Binds `record` as the `row`-th row of a (multi-row) insert. The bound
  // text must outlive the statement's next Run(): `purposes` is the joined
  // purpose list kept by the caller.
  static void BindRecord(SqliteStatement& stmt, int row, const RecordRow& record,
                         const std::string& purposes) {
    int base = row * kRecordColumnCount;
    stmt.BindText(base + 1, record.id)
        .BindText(base + 2, record.subject_id)
        .BindText(base + 3, record.category)
        .BindText(base + 4, record.service)
        .BindText(base + 5, purposes)
        .BindInt(base + 6, record.policy_version)
        .BindText(base + 7, record.key_bucket)
        .BindInt(base + 8, ToMicros(record.collected_at))
        .BindBlob(base + 9, record.sealed_value);
  }

  friend class SqliteStoreReader;

  static RecordRow ReadRecord(const SqliteStatement& stmt) { return internal::ReadRecordRow(stmt); }

  absl::StatusOr<int64_t> Count(std::string_view sql) {
    ASSIGN_OR_RETURN(auto stmt, db_->Prepare(sql));
    ASSIGN_OR_RETURN(StepResult r, stmt->Step());
    (void)r;
    return stmt->ColumnInt(0);
  }

  absl::StatusOr<std::optional<PolicyVersionRow>> ReadPolicyVersion(
      std::string_view sql, std::optional<int64_t> version) {
    ASSIGN_OR_RETURN(auto stmt, db_->Prepare(sql));
    if (version) stmt->BindInt(1, *version);
    ASSIGN_OR_RETURN(StepResult r, stmt->Step());
    if (r == StepResult::kDone) return std::nullopt;
    return PolicyVersionRow{stmt->ColumnInt(0), FromMicros(stmt->ColumnInt(1)), stmt->ColumnText(2),
                            stmt->ColumnText(3), stmt->ColumnText(4)};
  }

  // WAL frames (16 KiB pages) after which the background thread checkpoints
  // (small and often: a large checkpoint's writes slow the writer's own WAL
  // syncs), and after which the writer does it itself (SQLite's automatic
  // checkpoint would at 1000).
  static constexpr int kBackgroundCheckpointPages = 100;
  static constexpr int kForegroundCheckpointPages = 4000;

  std::unique_ptr<SqliteDatabase> db_;
  std::unique_ptr<RecordTables> tables_;                     // its statements go before db_ closes
  std::unique_ptr<internal::WalCheckpointer> checkpointer_;  // before db_ closes
  int schema_version_ = 0;
  bool deferred_sync_ = false;
  std::mutex wal_mutex_;
  int wal_fd_ = -1;  // the WAL file, opened at the first SyncCommitted
  std::unique_ptr<SqliteStatement> insert_subject_, get_subject_, set_subject_language_,
      insert_index_, find_index_, delete_index_;
};

class SqliteKeyStore final : public KeyStore {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteKeyStore>> Open(const std::string& path,
                                                              bool create) {
    ASSIGN_OR_RETURN(auto db, OpenFile(path, create, /*secure_delete=*/true, kKeysPageSize));
    ASSIGN_OR_RETURN(int version, Migrate(*db, kKeyMigrations));
    (void)version;
    auto store = std::unique_ptr<SqliteKeyStore>(new SqliteKeyStore(std::move(db)));
    RETURN_IF_ERROR(store->PrepareStatements());
    return store;
  }

  // Over a read-only connection (query_only): for a StoreReader.
  static absl::StatusOr<std::unique_ptr<SqliteKeyStore>> OpenReadOnly(
      std::unique_ptr<SqliteDatabase> db) {
    auto store = std::unique_ptr<SqliteKeyStore>(new SqliteKeyStore(std::move(db)));
    store->read_only_ = true;
    RETURN_IF_ERROR(store->PrepareStatements());
    return store;
  }

  absl::StatusOr<std::unique_ptr<Transaction>> BeginTransaction() override {
    RETURN_IF_ERROR(CheckWritable());
    return Begin(*db_);
  }

  absl::Status PutSubjectKey(std::string_view subject_id, std::string_view wrapped) override {
    RETURN_IF_ERROR(CheckWritable());
    return put_subject_key_->BindText(1, subject_id).BindBlob(2, wrapped).Run();
  }

  absl::StatusOr<std::optional<std::string>> GetSubjectKey(std::string_view subject_id) override {
    StatementScope scope(*get_subject_key_);
    get_subject_key_->BindText(1, subject_id);
    return ReadOptionalBlob(*get_subject_key_);
  }

  absl::Status PutDataKey(const DataKeyId& id, std::string_view wrapped) override {
    RETURN_IF_ERROR(CheckWritable());
    return put_data_key_->BindText(1, id.subject_id)
        .BindText(2, id.category)
        .BindText(3, id.bucket)
        .BindBlob(4, wrapped)
        .Run();
  }

  absl::StatusOr<std::optional<std::string>> GetDataKey(const DataKeyId& id) override {
    StatementScope scope(*get_data_key_);
    get_data_key_->BindText(1, id.subject_id).BindText(2, id.category).BindText(3, id.bucket);
    return ReadOptionalBlob(*get_data_key_);
  }

  absl::Status PutOperatorKey(std::string_view name, std::string_view wrapped) override {
    RETURN_IF_ERROR(CheckWritable());
    ASSIGN_OR_RETURN(auto stmt,
                     db_->Prepare("INSERT INTO operator_keys (name, wrapped) VALUES (?, ?)"));
    return stmt->BindText(1, name).BindBlob(2, wrapped).Run();
  }

  absl::StatusOr<std::optional<std::string>> GetOperatorKey(std::string_view name) override {
    ASSIGN_OR_RETURN(auto stmt, db_->Prepare("SELECT wrapped FROM operator_keys WHERE name = ?"));
    stmt->BindText(1, name);
    return ReadOptionalBlob(*stmt);
  }

  absl::StatusOr<int64_t> DestroySubjectKeys(std::string_view subject_id) override {
    RETURN_IF_ERROR(CheckWritable());
    ASSIGN_OR_RETURN(auto data, db_->Prepare("DELETE FROM data_keys WHERE subject_id = ?"));
    RETURN_IF_ERROR(data->BindText(1, subject_id).Run());
    int64_t destroyed = sqlite3_changes(db_->handle());
    ASSIGN_OR_RETURN(auto subject, db_->Prepare("DELETE FROM subject_keys WHERE subject_id = ?"));
    RETURN_IF_ERROR(subject->BindText(1, subject_id).Run());
    return destroyed + sqlite3_changes(db_->handle());
  }

  absl::StatusOr<int64_t> DestroyDataKey(const DataKeyId& id) override {
    RETURN_IF_ERROR(CheckWritable());
    if (destroy_data_key_ == nullptr) {
      // Prepared once: a sweep destroys keys by the hundred thousand.
      ASSIGN_OR_RETURN(destroy_data_key_,
                       db_->Prepare("DELETE FROM data_keys WHERE subject_id = ? AND "
                                    "category = ? AND bucket = ?"));
    }
    RETURN_IF_ERROR(destroy_data_key_->BindText(1, id.subject_id)
                        .BindText(2, id.category)
                        .BindText(3, id.bucket)
                        .Run());
    return static_cast<int64_t>(sqlite3_changes(db_->handle()));
  }

  absl::StatusOr<std::vector<std::string>> ListDataKeySubjects(std::string_view category,
                                                               std::string_view bucket) override {
    ASSIGN_OR_RETURN(auto stmt, db_->Prepare("SELECT subject_id FROM data_keys WHERE "
                                             "category = ? AND bucket = ? ORDER BY subject_id"));
    stmt->BindText(1, category).BindText(2, bucket);
    return internal::ReadAll<std::string>(
        *stmt, [](const SqliteStatement& row) { return row.ColumnText(0); });
  }

  absl::Status Checkpoint() override {
    RETURN_IF_ERROR(CheckWritable());
    return db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  const std::string& path() const { return db_->path(); }

 private:
  explicit SqliteKeyStore(std::unique_ptr<SqliteDatabase> db) : db_(std::move(db)) {}

  absl::Status PrepareStatements() {
    ASSIGN_OR_RETURN(put_subject_key_, db_->Prepare("INSERT INTO subject_keys (subject_id, "
                                                    "wrapped) VALUES (?, ?)"));
    ASSIGN_OR_RETURN(get_subject_key_,
                     db_->Prepare("SELECT wrapped FROM subject_keys WHERE subject_id = ?"));
    ASSIGN_OR_RETURN(put_data_key_, db_->Prepare("INSERT INTO data_keys (subject_id, category, "
                                                 "bucket, wrapped) VALUES (?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(get_data_key_, db_->Prepare("SELECT wrapped FROM data_keys WHERE "
                                                 "subject_id = ? AND category = ? AND bucket = ?"));
    return absl::OkStatus();
  }

  static absl::StatusOr<std::optional<std::string>> ReadOptionalBlob(SqliteStatement& stmt) {
    ASSIGN_OR_RETURN(StepResult r, stmt.Step());
    if (r == StepResult::kDone) return std::nullopt;
    return stmt.ColumnBlob(0);
  }

  absl::Status CheckWritable() const {
    if (read_only_) return absl::FailedPreconditionError("the key store of a reader is read-only");
    return absl::OkStatus();
  }

  std::unique_ptr<SqliteDatabase> db_;
  bool read_only_ = false;
  std::unique_ptr<SqliteStatement> put_subject_key_, get_subject_key_, put_data_key_, get_data_key_,
      destroy_data_key_;
};

// A StoreReader: its own connections to both files, query_only, with a
// smaller page cache than the writer's (there are several readers).
// How much of keys.db a reader maps (SQLite caps it at its compile-time
// limit, 2 GiB in Debian's build; the rest is read as usual).
constexpr int64_t kReaderKeysMapBytes = int64_t{2} << 30;
class SqliteStoreReader final : public StoreReader {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteStoreReader>> Open(const std::string& records_path,
                                                                 const std::string& keys_path) {
    ASSIGN_OR_RETURN(auto records, OpenReadOnlyFile(records_path));
    ASSIGN_OR_RETURN(auto keys_db, OpenReadOnlyFile(keys_path));
    // The key store is read through a memory map: a read of one among
    // millions of subjects misses the page cache of its connection and
    // would otherwise copy each page of two B-tree searches from the
    // kernel (pread). keys.db changes only when keys are created or
    // destroyed, so the map is seldom renewed, and it never shrinks (no
    // auto_vacuum, no VACUUM), so a mapped page never lies past its end;
    // records.db grows with every checkpoint of the ledger, and mapping it
    // cost more than it saved (docs/performance.md, "HTTP: audited reads
    // vs nginx").
    RETURN_IF_ERROR(keys_db->Exec(fmt::format("PRAGMA mmap_size={}", kReaderKeysMapBytes)));
    ASSIGN_OR_RETURN(auto keys, SqliteKeyStore::OpenReadOnly(std::move(keys_db)));
    auto reader = std::unique_ptr<SqliteStoreReader>(
        new SqliteStoreReader(std::move(records), std::move(keys)));
    ASSIGN_OR_RETURN(reader->subject_exists_,
                     reader->db_->Prepare("SELECT 1 FROM subjects WHERE id = ?"));
    return reader;
  }

  absl::Status ScanRecordTerms(int64_t after_position, size_t limit,
                               std::vector<RecordTermsRow>& out,
                               std::span<const int64_t> skip) override {
    // In one snapshot: a segment the catalog names is not dropped under the
    // statement that reads it.
    return InSnapshot([&]() -> absl::Status {
      const int64_t first_table = SegmentOfPosition(after_position);
      ASSIGN_OR_RETURN(std::vector<int64_t> tables, tables_->AllTables(std::nullopt));
      for (int64_t table : tables) {
        if (table < first_table || std::find(skip.begin(), skip.end(), table) != skip.end()) {
          continue;
        }
        const int64_t after_rowid =
            table == first_table ? after_position - FirstPositionOf(table) : 0;
        RETURN_IF_ERROR(ScanTable(table, after_rowid, limit, out));
        if (!out.empty()) return absl::OkStatus();
      }
      return absl::OkStatus();
    });
  }

  absl::StatusOr<std::vector<RecordSegmentRow>> ListSegments() override {
    std::vector<RecordSegmentRow> segments;
    RETURN_IF_ERROR(InSnapshot([&]() -> absl::Status {
      ASSIGN_OR_RETURN(segments, tables_->List(/*with_dropped=*/false));
      return absl::OkStatus();
    }));
    return segments;
  }

  absl::StatusOr<int64_t> CountSegmentRecords(int64_t segment,
                                              std::string_view subject_id) override {
    int64_t count = 0;
    RETURN_IF_ERROR(InSnapshot([&]() -> absl::Status {
      ASSIGN_OR_RETURN(std::vector<int64_t> live, tables_->LiveIds(std::nullopt));
      if (std::find(live.begin(), live.end(), segment) == live.end()) return absl::OkStatus();
      ASSIGN_OR_RETURN(
          SqliteStatement * stmt,
          tables_->Statement(segment, subject_id.empty() ? Op::kCountAll : Op::kCountBySubject));
      StatementScope scope(*stmt);
      if (!subject_id.empty()) stmt->BindText(1, subject_id);
      ASSIGN_OR_RETURN(StepResult r, stmt->Step());
      (void)r;
      count = stmt->ColumnInt(0);
      return absl::OkStatus();
    }));
    return count;
  }

  absl::StatusOr<std::vector<SubjectRecordCount>> CountSegmentRecordsBySubject(
      int64_t segment) override {
    std::vector<SubjectRecordCount> counts;
    const absl::Status counted = InSnapshot([&]() -> absl::Status {
      RETURN_IF_ERROR(tables_->CheckLive(segment));
      ASSIGN_OR_RETURN(counts, tables_->CountPerSubject(segment));
      return absl::OkStatus();
    });
    RETURN_IF_ERROR(counted);
    return counts;
  }

  // Reloads the live segments by category when the snapshot's schema
  // differs from the one they were read under: a segment is made by a
  // CREATE TABLE and dropped by a DROP TABLE, in the transaction that
  // changes the catalog, so the schema version tells every change of the
  // live set. An audited read then asks the catalog nothing (it cost about
  // a tenth of the reads' throughput).
  absl::Status RefreshLiveSegments() {
    if (schema_version_ == nullptr) {
      ASSIGN_OR_RETURN(schema_version_, db_->Prepare("PRAGMA schema_version"));
    }
    int64_t version = 0;
    {
      StatementScope scope(*schema_version_);
      ASSIGN_OR_RETURN(StepResult r, schema_version_->Step());
      (void)r;
      version = schema_version_->ColumnInt(0);
    }
    if (version == live_segments_schema_) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::vector<RecordSegmentRow> segments, tables_->List(/*with_dropped=*/false));
    live_segments_.clear();
    std::vector<int64_t> live;
    live.reserve(segments.size());
    for (const RecordSegmentRow& segment : segments) {
      live_segments_[segment.category].push_back(segment.id);
      live.push_back(segment.id);
    }
    std::sort(live.begin(), live.end());
    tables_->ForgetStatementsExcept(live);
    live_segments_schema_ = version;
    return absl::OkStatus();
  }

  // Runs `read` in one read transaction of this reader's connection.
  template <typename Read>
  absl::Status InSnapshot(Read read) {
    RETURN_IF_ERROR(db_->ExecPrepared("BEGIN"));
    absl::Status status = read();
    absl::Status ended = db_->ExecPrepared("COMMIT");
    RETURN_IF_ERROR(status);
    return ended;
  }

  // Up to `limit` rows of one table after `after_rowid`, into `out`.
  absl::Status ScanTable(int64_t table, int64_t after_rowid, size_t limit,
                         std::vector<RecordTermsRow>& out) {
    ASSIGN_OR_RETURN(SqliteStatement * scan, tables_->Statement(table, Op::kScanTerms));
    // The rows of `out` are reused, their strings assigned in place: a
    // sweep scans every record, and allocating each field of each row
    // would cost more than reading it.
    size_t rows = 0;
    const int64_t base = FirstPositionOf(table);
    StatementScope scope(*scan);
    scan->BindInt(1, after_rowid).BindInt(2, static_cast<int64_t>(limit));
    while (true) {
      ASSIGN_OR_RETURN(StepResult r, scan->Step());
      if (r == StepResult::kDone) break;
      RecordTermsRow& row = rows < out.size() ? out[rows] : out.emplace_back();
      ++rows;
      row.position = base + scan->ColumnInt(0);
      row.id.assign(scan->ColumnTextView(1));
      row.subject_id.assign(scan->ColumnTextView(2));
      row.category.assign(scan->ColumnTextView(3));
      row.service.assign(scan->ColumnTextView(4));
      size_t purposes = 0;
      for (std::string_view rest = scan->ColumnTextView(5); !rest.empty();) {
        const size_t comma = std::min(rest.find(','), rest.size());
        if (purposes < row.purposes.size()) {
          row.purposes[purposes].assign(rest.substr(0, comma));
        } else {
          row.purposes.emplace_back(rest.substr(0, comma));
        }
        ++purposes;
        rest.remove_prefix(std::min(comma + 1, rest.size()));
      }
      row.purposes.resize(purposes);
      row.key_bucket.assign(scan->ColumnTextView(6));
      row.collected_at = FromMicros(scan->ColumnInt(7));
    }
    out.resize(rows);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> SubjectExists(std::string_view id) override {
    StatementScope scope(*subject_exists_);
    subject_exists_->BindText(1, id);
    ASSIGN_OR_RETURN(StepResult r, subject_exists_->Step());
    return r == StepResult::kRow;
  }

  absl::StatusOr<std::vector<RecordRow>> ListRecords(
      std::string_view subject_id, std::span<const std::string> categories) override {
    std::vector<RecordRow> rows;
    // One statement transaction per category would let a commit land
    // between them: read them all in one snapshot.
    absl::Status read = InSnapshot([&]() -> absl::Status {
      RETURN_IF_ERROR(RefreshLiveSegments());
      std::vector<int64_t> tables;
      for (const std::string& category : categories) {
        // The main table's rows of the category, then its segments'.
        tables.assign(1, 0);
        if (auto live = live_segments_.find(category); live != live_segments_.end()) {
          tables.insert(tables.end(), live->second.begin(), live->second.end());
        }
        for (int64_t table : tables) {
          ASSIGN_OR_RETURN(SqliteStatement * list,
                           tables_->Statement(table, table == 0 ? Op::kListBySubjectAndCategory
                                                                : Op::kListBySubject));
          StatementScope scope(*list);
          list->BindText(1, subject_id);
          if (table == 0) list->BindText(2, category);
          while (true) {
            ASSIGN_OR_RETURN(StepResult r, list->Step());
            if (r == StepResult::kDone) break;
            rows.push_back(SqliteRecordStore::ReadRecord(*list));
          }
        }
      }
      return absl::OkStatus();
    });
    RETURN_IF_ERROR(read);
    return rows;
  }

  absl::Status ScanLedgerEntries(int64_t first, int64_t end,
                                 const LedgerStore::EntryVisitor& visit) override {
    if (scan_ledger_ == nullptr) {
      ASSIGN_OR_RETURN(scan_ledger_, db_->Prepare(internal::kScanLedgerSql));
    }
    return InSnapshot([&]() -> absl::Status {
      StatementScope scope(*scan_ledger_);
      scan_ledger_->BindInt(1, first).BindInt(2, end);
      LedgerEntryRow row;  // its strings reused from row to row
      while (true) {
        ASSIGN_OR_RETURN(StepResult r, scan_ledger_->Step());
        if (r == StepResult::kDone) return absl::OkStatus();
        internal::ReadLedgerEntry(*scan_ledger_, row);
        RETURN_IF_ERROR(visit(row));
      }
    });
  }

  KeyStore& keys() override { return *keys_; }

 private:
  SqliteStoreReader(std::unique_ptr<SqliteDatabase> db, std::unique_ptr<SqliteKeyStore> keys)
      : db_(std::move(db)),
        // A reader never inserts: the segment size does not matter to it.
        tables_(std::make_unique<RecordTables>(*db_, kDefaultSegmentRecords)),
        keys_(std::move(keys)) {}

  static absl::StatusOr<std::unique_ptr<SqliteDatabase>> OpenReadOnlyFile(const std::string& path) {
    if (!std::filesystem::exists(path)) {
      return absl::NotFoundError(fmt::format("{} does not exist", path));
    }
    ASSIGN_OR_RETURN(auto db, SqliteDatabase::Open(path, /*create=*/false));
    RETURN_IF_ERROR(db->Exec("PRAGMA query_only=ON"));
    RETURN_IF_ERROR(db->Exec("PRAGMA cache_size=-16384"));
    return db;
  }

  std::unique_ptr<SqliteDatabase> db_;
  std::unique_ptr<RecordTables> tables_;  // its statements go before db_ closes
  std::unique_ptr<SqliteKeyStore> keys_;
  std::unique_ptr<SqliteStatement> subject_exists_, schema_version_, scan_ledger_;
  // The live segments' ids by category, ascending, as of schema version
  // `live_segments_schema_` (RefreshLiveSegments).
  absl::flat_hash_map<std::string, std::vector<int64_t>> live_segments_;
  int64_t live_segments_schema_ = -1;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<SqliteRecordStore> records, std::unique_ptr<FactStore> facts,
              std::unique_ptr<LedgerStore> ledger, std::unique_ptr<RetentionStore> retention,
              std::unique_ptr<ProvisionStore> provisions, std::unique_ptr<UseIndexStore> uses,
              std::unique_ptr<IncidentStore> incidents, std::unique_ptr<RequestStore> requests,
              std::unique_ptr<SqliteKeyStore> keys)
      : records_(std::move(records)),
        facts_(std::move(facts)),
        ledger_(std::move(ledger)),
        retention_(std::move(retention)),
        provisions_(std::move(provisions)),
        uses_(std::move(uses)),
        incidents_(std::move(incidents)),
        requests_(std::move(requests)),
        keys_(std::move(keys)) {}
  absl::StatusOr<std::unique_ptr<StoreReader>> OpenReader() override {
    ASSIGN_OR_RETURN(auto reader,
                     SqliteStoreReader::Open(records_->database().path(), keys_->path()));
    return std::unique_ptr<StoreReader>(std::move(reader));
  }
  ~SqliteStore() override {
    // The parts hold statements on the records connection: finalize them first.
    facts_.reset();
    ledger_.reset();
    retention_.reset();
    provisions_.reset();
    uses_.reset();
    incidents_.reset();
    requests_.reset();
  }
  RecordStore& records() override { return *records_; }
  FactStore& facts() override { return *facts_; }
  LedgerStore& ledger() override { return *ledger_; }
  RetentionStore& retention() override { return *retention_; }
  ProvisionStore& provisions() override { return *provisions_; }
  UseIndexStore& uses() override { return *uses_; }
  IncidentStore& incidents() override { return *incidents_; }
  RequestStore& requests() override { return *requests_; }
  KeyStore& keys() override { return *keys_; }
  std::string_view engine() const override { return "sqlite"; }

 private:
  std::unique_ptr<SqliteRecordStore> records_;
  std::unique_ptr<FactStore> facts_;
  std::unique_ptr<LedgerStore> ledger_;
  std::unique_ptr<RetentionStore> retention_;
  std::unique_ptr<ProvisionStore> provisions_;
  std::unique_ptr<UseIndexStore> uses_;
  std::unique_ptr<IncidentStore> incidents_;
  std::unique_ptr<RequestStore> requests_;
  std::unique_ptr<SqliteKeyStore> keys_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& directory,
                                                       const SqliteStoreOptions& options) {
  // SQLite's memory statistics put a global mutex around every allocation;
  // mamori does not read them. Must precede the first connection.
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
  std::filesystem::path dir(directory);
  // Keys first: a crash between the two leaves keys without records, which
  // is harmless, never records without keys.
  ASSIGN_OR_RETURN(auto keys, SqliteKeyStore::Open((dir / kKeysFileName).string(), options.create));
  ASSIGN_OR_RETURN(auto records, SqliteRecordStore::Open((dir / kRecordsFileName).string(),
                                                         options.create, options.segment_records));
  ASSIGN_OR_RETURN(auto facts, internal::NewSqliteFactStore(records->database()));
  ASSIGN_OR_RETURN(auto ledger, internal::NewSqliteLedgerStore(records->database()));
  ASSIGN_OR_RETURN(auto retention,
                   internal::NewSqliteRetentionStore(records->database(), records->tables()));
  ASSIGN_OR_RETURN(auto provisions, internal::NewSqliteProvisionStore(records->database()));
  ASSIGN_OR_RETURN(auto uses, internal::NewSqliteUseIndexStore(records->database()));
  ASSIGN_OR_RETURN(auto incidents, internal::NewSqliteIncidentStore(records->database()));
  ASSIGN_OR_RETURN(auto requests, internal::NewSqliteRequestStore(records->database()));
  return std::make_unique<SqliteStore>(std::move(records), std::move(facts), std::move(ledger),
                                       std::move(retention), std::move(provisions), std::move(uses),
                                       std::move(incidents), std::move(requests), std::move(keys));
}

}  // namespace mamori::store
