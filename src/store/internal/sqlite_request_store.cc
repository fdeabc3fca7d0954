// The SQLite RequestStore: customer requests and complaints, in the records
// file and on its connection (sqlite_parts.h), so that a request's change
// commits with the ledger entry recording it.
//
// A trail (the ledger entries of a request) is stored as a JSON array of
// sequence numbers. Error messages name the row, never a stored value.
#include <fmt/format.h>
#include <sqlite3.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status_macros.h"
#include "store/internal/sqlite_db.h"
#include "store/internal/sqlite_parts.h"
#include "store/internal/sqlite_rows.h"

namespace mamori::store::internal {
namespace {

constexpr std::string_view kRequestColumns =
    "SELECT id, kind, status, verification, received_at, due, assignee, subject_id, "
    "secret_sha256, summary_json, sealed_state, sealed_result, trail, updated_at FROM requests ";
constexpr std::string_view kComplaintColumns =
    "SELECT id, status, service, category, received_at, first_response_due, first_response_at, "
    "assignee, sealed, trail, updated_at FROM complaints ";

std::string TrailText(const std::vector<int64_t>& trail) { return nlohmann::json(trail).dump(); }

std::vector<int64_t> ParseTrail(std::string_view text) {
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<int64_t> trail;
  if (!parsed.is_array()) return trail;
  for (const nlohmann::json& seq : parsed) {
    if (seq.is_number_integer()) trail.push_back(seq.get<int64_t>());
  }
  return trail;
}

RequestRow ReadRequest(const SqliteStatement& stmt) {
  RequestRow row;
  row.id = stmt.ColumnText(0);
  row.kind = stmt.ColumnText(1);
  row.status = stmt.ColumnText(2);
  row.verification = stmt.ColumnText(3);
  row.received_at = FromMicros(stmt.ColumnInt(4));
  row.due = FromMicros(stmt.ColumnInt(5));
  row.assignee = stmt.ColumnText(6);
  row.subject_id = stmt.ColumnText(7);
  row.secret_sha256 = stmt.ColumnBlob(8);
  row.summary_json = stmt.ColumnText(9);
  row.sealed_state = stmt.ColumnBlob(10);
  row.sealed_result = stmt.ColumnBlob(11);
  row.trail = ParseTrail(stmt.ColumnTextView(12));
  row.updated_at = FromMicros(stmt.ColumnInt(13));
  return row;
}

ComplaintRow ReadComplaint(const SqliteStatement& stmt) {
  ComplaintRow row;
  row.id = stmt.ColumnText(0);
  row.status = stmt.ColumnText(1);
  row.service = stmt.ColumnText(2);
  row.category = stmt.ColumnText(3);
  row.received_at = FromMicros(stmt.ColumnInt(4));
  row.first_response_due = FromMicros(stmt.ColumnInt(5));
  row.first_response_at = ColumnOptionalTime(stmt, 6);
  row.assignee = stmt.ColumnText(7);
  row.sealed = stmt.ColumnBlob(8);
  row.trail = ParseTrail(stmt.ColumnTextView(9));
  row.updated_at = FromMicros(stmt.ColumnInt(10));
  return row;
}

class SqliteRequestStore final : public RequestStore {
 public:
  explicit SqliteRequestStore(SqliteDatabase& db) : db_(db) {}

  absl::Status PrepareStatements() {
    ASSIGN_OR_RETURN(insert_request_,
                     db_.Prepare("INSERT INTO requests (id, kind, status, verification, "
                                 "received_at, due, assignee, subject_id, secret_sha256, "
                                 "summary_json, sealed_state, sealed_result, trail, updated_at) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                                 "?14)"));
    ASSIGN_OR_RETURN(
        update_request_,
        db_.Prepare("UPDATE requests SET kind = ?2, status = ?3, verification = ?4, "
                    "received_at = ?5, due = ?6, assignee = ?7, subject_id = ?8, "
                    "secret_sha256 = ?9, summary_json = ?10, sealed_state = ?11, "
                    "sealed_result = ?12, trail = ?13, updated_at = ?14 WHERE id = ?1"));
    ASSIGN_OR_RETURN(get_request_, db_.Prepare(fmt::format("{}WHERE id = ?", kRequestColumns)));
    ASSIGN_OR_RETURN(list_requests_,
                     db_.Prepare(fmt::format("{}ORDER BY due, id", kRequestColumns)));
    ASSIGN_OR_RETURN(insert_complaint_,
                     db_.Prepare("INSERT INTO complaints (id, status, service, category, "
                                 "received_at, first_response_due, first_response_at, assignee, "
                                 "sealed, trail, updated_at) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
    ASSIGN_OR_RETURN(update_complaint_,
                     db_.Prepare("UPDATE complaints SET status = ?2, service = ?3, category = ?4, "
                                 "received_at = ?5, first_response_due = ?6, "
                                 "first_response_at = ?7, assignee = ?8, sealed = ?9, trail = ?10, "
                                 "updated_at = ?11 WHERE id = ?1"));
    ASSIGN_OR_RETURN(get_complaint_, db_.Prepare(fmt::format("{}WHERE id = ?", kComplaintColumns)));
    ASSIGN_OR_RETURN(list_complaints_, db_.Prepare(fmt::format("{}ORDER BY first_response_due, id",
                                                               kComplaintColumns)));
    return absl::OkStatus();
  }

  absl::Status InsertRequest(const RequestRow& request) override {
    absl::Status s = BindRequest(*insert_request_, request).Run();
    if (s.code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError(fmt::format("request {} already exists", request.id));
    }
    return s;
  }

  absl::Status UpdateRequest(const RequestRow& request) override {
    RETURN_IF_ERROR(BindRequest(*update_request_, request).Run());
    if (sqlite3_changes(db_.handle()) == 0) {
      return absl::NotFoundError(fmt::format("request {} does not exist", request.id));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<RequestRow>> GetRequest(std::string_view id) override {
    return GetOne(*get_request_, id, &ReadRequest);
  }

  absl::StatusOr<std::vector<RequestRow>> ListRequests() override {
    return ReadAll(*list_requests_, &ReadRequest);
  }

  absl::Status InsertComplaint(const ComplaintRow& complaint) override {
    absl::Status s = BindComplaint(*insert_complaint_, complaint).Run();
    if (s.code() == absl::StatusCode::kAlreadyExists) {
      return absl::AlreadyExistsError(fmt::format("complaint {} already exists", complaint.id));
    }
    return s;
  }

  absl::Status UpdateComplaint(const ComplaintRow& complaint) override {
    RETURN_IF_ERROR(BindComplaint(*update_complaint_, complaint).Run());
    if (sqlite3_changes(db_.handle()) == 0) {
      return absl::NotFoundError(fmt::format("complaint {} does not exist", complaint.id));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<ComplaintRow>> GetComplaint(std::string_view id) override {
    return GetOne(*get_complaint_, id, &ReadComplaint);
  }

  absl::StatusOr<std::vector<ComplaintRow>> ListComplaints() override {
    return ReadAll(*list_complaints_, &ReadComplaint);
  }

 private:
  // The trail's text must outlive the statement's run: `scratch` holds it.
  SqliteStatement& BindRequest(SqliteStatement& stmt, const RequestRow& r) {
    trail_scratch_ = TrailText(r.trail);
    return stmt.BindText(1, NonNull(r.id))
        .BindText(2, NonNull(r.kind))
        .BindText(3, NonNull(r.status))
        .BindText(4, NonNull(r.verification))
        .BindInt(5, ToMicros(r.received_at))
        .BindInt(6, ToMicros(r.due))
        .BindText(7, NonNull(r.assignee))
        .BindText(8, NonNull(r.subject_id))
        .BindBlob(9, r.secret_sha256)
        .BindText(10, NonNull(r.summary_json))
        .BindBlob(11, r.sealed_state)
        .BindBlob(12, r.sealed_result)
        .BindText(13, trail_scratch_)
        .BindInt(14, ToMicros(r.updated_at));
  }

  SqliteStatement& BindComplaint(SqliteStatement& stmt, const ComplaintRow& c) {
    trail_scratch_ = TrailText(c.trail);
    stmt.BindText(1, NonNull(c.id))
        .BindText(2, NonNull(c.status))
        .BindText(3, NonNull(c.service))
        .BindText(4, NonNull(c.category))
        .BindInt(5, ToMicros(c.received_at))
        .BindInt(6, ToMicros(c.first_response_due))
        .BindText(8, NonNull(c.assignee))
        .BindBlob(9, c.sealed)
        .BindText(10, trail_scratch_)
        .BindInt(11, ToMicros(c.updated_at));
    BindOptionalTime(stmt, 7, c.first_response_at);
    return stmt;
  }

  SqliteDatabase& db_;
  std::string trail_scratch_;
  std::unique_ptr<SqliteStatement> insert_request_, update_request_, get_request_, list_requests_;
  std::unique_ptr<SqliteStatement> insert_complaint_, update_complaint_, get_complaint_,
      list_complaints_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RequestStore>> NewSqliteRequestStore(SqliteDatabase& db) {
  auto store = std::make_unique<SqliteRequestStore>(db);
  RETURN_IF_ERROR(store->PrepareStatements());
  return store;
}

}  // namespace mamori::store::internal
