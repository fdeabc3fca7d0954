// Thin RAII over the SQLite C API: a connection and its prepared
// statements, with errors as absl::Status. Only the store uses it.
//
// Thread-safety: not thread-safe; one thread uses a connection at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mamori::store::internal {

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement() { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Binding is 1-based, as in SQLite.
  SqliteStatement& BindText(int index, std::string_view text);
  SqliteStatement& BindBlob(int index, std::string_view bytes);
  SqliteStatement& BindInt(int index, int64_t value);

  // kRow when a row is ready, kDone when finished.
  enum class StepResult { kRow, kDone };
  absl::StatusOr<StepResult> Step();
  // Steps to completion, expecting no rows. Maps constraint violations to
  // AlreadyExists (unique) or NotFound (foreign key).
  absl::Status Run();
  // Resets and clears bindings so the statement can be reused.
  void Reset();

  int64_t ColumnInt(int index) const;
  std::string ColumnText(int index) const;
  // The text without a copy: valid until the next Step or Reset.
  std::string_view ColumnTextView(int index) const;
  std::string ColumnBlob(int index) const;
  bool ColumnIsNull(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// Resets a statement when it goes out of scope.
class StatementScope {
 public:
  explicit StatementScope(SqliteStatement& stmt) : stmt_(stmt) {}
  ~StatementScope() { stmt_.Reset(); }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;

 private:
  SqliteStatement& stmt_;
};

class SqliteDatabase {
 public:
  // Opens (and with `create`, creates) the file at `path`.
  static absl::StatusOr<std::unique_ptr<SqliteDatabase>> Open(const std::string& path, bool create);
  ~SqliteDatabase();
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  absl::Status Exec(std::string_view sql);
  // Runs one statement without results, like Exec, but keeps it prepared
  // for the next call with the same text: for the transaction control
  // statements (BEGIN, COMMIT, SAVEPOINT, RELEASE) that every batch job
  // runs, whose parsing would otherwise cost as much as a look-up.
  absl::Status ExecPrepared(std::string_view sql);
  absl::StatusOr<std::unique_ptr<SqliteStatement>> Prepare(std::string_view sql);
  sqlite3* handle() { return db_; }
  const std::string& path() const { return path_; }

  // How many transactions are open on this connection: 0 outside one, 1 in
  // the outer transaction, more inside nested ones (savepoints).
  int transaction_depth() const { return transaction_depth_; }
  void set_transaction_depth(int depth) { transaction_depth_ = depth; }

 private:
  SqliteDatabase(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };

  sqlite3* db_;
  std::string path_;
  int transaction_depth_ = 0;
  // ExecPrepared's statements, by text.
  std::map<std::string, std::unique_ptr<sqlite3_stmt, Finalize>, std::less<>> prepared_;
};

// An error from SQLite as a Status; never includes bound values.
absl::Status SqliteError(sqlite3* db, int rc, std::string_view what);

}  // namespace mamori::store::internal
