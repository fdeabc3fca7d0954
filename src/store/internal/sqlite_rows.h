// Helpers for reading and writing rows with prepared statements, shared by
// the parts of the SQLite engine. Only the engine's .cc files include it.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "store/internal/sqlite_db.h"
#include "store/internal/sqlite_parts.h"

namespace mamori::store::internal {

// SQLite binds a null data pointer as NULL; a default std::string_view is
// meant as the empty text.
inline std::string_view NonNull(std::string_view text) {
  return text.data() != nullptr ? text : "";
}

// nullopt leaves the parameter unbound, which is NULL: a prepared statement
// starts with NULL parameters and Reset() (also done by Run()) clears them.
inline void BindOptionalText(SqliteStatement& stmt, int index,
                             const std::optional<std::string>& text) {
  if (text) stmt.BindText(index, *text);
}
inline void BindOptionalTime(SqliteStatement& stmt, int index,
                             const std::optional<absl::Time>& time) {
  if (time) stmt.BindInt(index, ToMicros(*time));
}

inline std::optional<std::string> ColumnOptionalText(const SqliteStatement& stmt, int index) {
  if (stmt.ColumnIsNull(index)) return std::nullopt;
  return stmt.ColumnText(index);
}
inline std::optional<absl::Time> ColumnOptionalTime(const SqliteStatement& stmt, int index) {
  if (stmt.ColumnIsNull(index)) return std::nullopt;
  return FromMicros(stmt.ColumnInt(index));
}

// The row `stmt` (bound to `id`) finds, if any.
template <typename Row>
absl::StatusOr<std::optional<Row>> GetOne(SqliteStatement& stmt, std::string_view id,
                                          Row (*read)(const SqliteStatement&)) {
  StatementScope scope(stmt);
  stmt.BindText(1, NonNull(id));
  ASSIGN_OR_RETURN(SqliteStatement::StepResult r, stmt.Step());
  if (r == SqliteStatement::StepResult::kDone) return std::nullopt;
  return read(stmt);
}

// Every row `stmt` (already bound) yields.
template <typename Row>
absl::StatusOr<std::vector<Row>> ReadAll(SqliteStatement& stmt,
                                         Row (*read)(const SqliteStatement&)) {
  StatementScope scope(stmt);
  std::vector<Row> rows;
  while (true) {
    ASSIGN_OR_RETURN(SqliteStatement::StepResult r, stmt.Step());
    if (r == SqliteStatement::StepResult::kDone) break;
    rows.push_back(read(stmt));
  }
  return rows;
}

// Every row of `all` when `key` is empty, else those of `by_key` bound to it.
template <typename Row>
absl::StatusOr<std::vector<Row>> ListBy(SqliteStatement& all, SqliteStatement& by_key,
                                        std::string_view key, Row (*read)(const SqliteStatement&)) {
  if (key.empty()) return ReadAll(all, read);
  by_key.BindText(1, key);
  return ReadAll(by_key, read);
}

// Names the row an insert was about in the constraint errors Run() maps:
// AlreadyExists for a taken id, NotFound for a missing subject.
inline absl::Status DescribeInsert(absl::Status s, std::string_view what, std::string_view id,
                                   std::string_view subject_id) {
  switch (s.code()) {
    case absl::StatusCode::kAlreadyExists:
      return absl::AlreadyExistsError(fmt::format("{} {} already exists", what, id));
    case absl::StatusCode::kNotFound:
      return absl::NotFoundError(
          fmt::format("{} {}: subject {} does not exist", what, id, subject_id));
    default:
      return s;
  }
}

// NotFound when there is no such row, FailedPrecondition when it already
// is in that state. `stmt` selects whether the state is set, by id.
inline absl::Status WhyUnchanged(SqliteStatement& stmt, std::string_view what, std::string_view id,
                                 std::string_view state) {
  StatementScope scope(stmt);
  stmt.BindText(1, NonNull(id));
  ASSIGN_OR_RETURN(SqliteStatement::StepResult r, stmt.Step());
  if (r == SqliteStatement::StepResult::kDone) {
    return absl::NotFoundError(fmt::format("{} {} does not exist", what, id));
  }
  if (stmt.ColumnInt(0) != 0) {
    return absl::FailedPreconditionError(fmt::format("{} {} is already {}", what, id, state));
  }
  return absl::InternalError(fmt::format("{} {} was not {}", what, id, state));
}

// A records row selected as: id, subject_id, category, service, purposes,
// policy_version, key_bucket, collected_at, sealed_value.
inline RecordRow ReadRecordRow(const SqliteStatement& stmt) {
  RecordRow row;
  row.id = stmt.ColumnText(0);
  row.subject_id = stmt.ColumnText(1);
  row.category = stmt.ColumnText(2);
  row.service = stmt.ColumnText(3);
  std::string purposes = stmt.ColumnText(4);
  if (!purposes.empty()) row.purposes = absl::StrSplit(purposes, ',');
  row.policy_version = stmt.ColumnInt(5);
  row.key_bucket = stmt.ColumnText(6);
  row.collected_at = FromMicros(stmt.ColumnInt(7));
  row.sealed_value = stmt.ColumnBlob(8);
  return row;
}

}  // namespace mamori::store::internal
