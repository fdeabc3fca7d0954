// The SQLite ProvisionStore: provision records (APPI Art. 29), receipt
// records (Art. 30), trustee audits and re-entrustment approvals, in the
// records file and on its connection (sqlite_parts.h), so they commit with
// their ledger entries.
//
// Error messages name the row and the field, never a stored value.
#include <fmt/format.h>
#include <sqlite3.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "store/internal/sqlite_db.h"
#include "store/internal/sqlite_parts.h"
#include "store/internal/sqlite_rows.h"

namespace mamori::store::internal {
namespace {

constexpr std::string_view kRecordColumns =
    "SELECT id, recipient, subject_id, categories, purpose, legal_basis, consent_id, provided_at, "
    "provided_by, keep_until, kept_from_last_provision, ledger_entry FROM provision_records ";
constexpr std::string_view kReceiptColumns =
    "SELECT id, provider_name, provider_address, provider_representative, how_obtained, "
    "by_opt_out, subject_id, categories, received_at, recorded_at, recorded_by, keep_until "
    "FROM provision_receipts ";
constexpr std::string_view kAuditColumns =
    "SELECT id, trustee_id, audited_at, result, next_due, recorded_at, recorded_by "
    "FROM trustee_audits ";
constexpr std::string_view kReentrustmentColumns =
    "SELECT id, trustee_id, subcontractor, scope, approved_at, approved_by FROM reentrustments ";

// Category ids cannot contain ',' (policy ids), as records.purposes.
std::vector<std::string> SplitList(const std::string& joined) {
  if (joined.empty()) return {};
  return absl::StrSplit(joined, ',');
}

ProvisionRecordRow ReadProvisionRecord(const SqliteStatement& stmt) {
  ProvisionRecordRow row;
  row.id = stmt.ColumnText(0);
  row.recipient = stmt.ColumnText(1);
  row.subject_id = stmt.ColumnText(2);
  row.categories = SplitList(stmt.ColumnText(3));
  row.purpose = stmt.ColumnText(4);
  row.legal_basis = stmt.ColumnText(5);
  row.consent_id = ColumnOptionalText(stmt, 6);
  row.provided_at = FromMicros(stmt.ColumnInt(7));
  row.provided_by = stmt.ColumnText(8);
  row.keep_until = FromMicros(stmt.ColumnInt(9));
  row.kept_from_last_provision = stmt.ColumnInt(10) != 0;
  row.ledger_entry = stmt.ColumnInt(11);
  return row;
}

ReceiptRow ReadReceipt(const SqliteStatement& stmt) {
  ReceiptRow row;
  row.id = stmt.ColumnText(0);
  row.provider_name = stmt.ColumnText(1);
  row.provider_address = stmt.ColumnText(2);
  row.provider_representative = stmt.ColumnText(3);
  row.how_obtained = stmt.ColumnText(4);
  row.by_opt_out = stmt.ColumnInt(5) != 0;
  row.subject_id = ColumnOptionalText(stmt, 6);
  row.categories = SplitList(stmt.ColumnText(7));
  row.received_at = FromMicros(stmt.ColumnInt(8));
  row.recorded_at = FromMicros(stmt.ColumnInt(9));
  row.recorded_by = stmt.ColumnText(10);
  row.keep_until = FromMicros(stmt.ColumnInt(11));
  return row;
}

TrusteeAuditRow ReadAudit(const SqliteStatement& stmt) {
  return TrusteeAuditRow{stmt.ColumnText(0),
                         stmt.ColumnText(1),
                         FromMicros(stmt.ColumnInt(2)),
                         stmt.ColumnText(3),
                         FromMicros(stmt.ColumnInt(4)),
                         FromMicros(stmt.ColumnInt(5)),
                         stmt.ColumnText(6)};
}

ReentrustmentRow ReadReentrustment(const SqliteStatement& stmt) {
  return ReentrustmentRow{stmt.ColumnText(0),
                          stmt.ColumnText(1),
                          stmt.ColumnText(2),
                          stmt.ColumnText(3),
                          FromMicros(stmt.ColumnInt(4)),
                          stmt.ColumnText(5)};
}

absl::Status Inserted(absl::Status s, std::string_view what, std::string_view id) {
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError(fmt::format("{} {} already exists", what, id));
  }
  return s;
}

// The first column of every row `stmt` (already bound) yields.
absl::StatusOr<std::vector<std::string>> ReadIds(SqliteStatement& stmt) {
  return ReadAll<std::string>(stmt, [](const SqliteStatement& s) { return s.ColumnText(0); });
}

class SqliteProvisionStore final : public ProvisionStore {
 public:
  explicit SqliteProvisionStore(SqliteDatabase& db) : db_(db) {}

  absl::Status PrepareStatements() {
    ASSIGN_OR_RETURN(insert_record_,
                     db_.Prepare("INSERT INTO provision_records (id, recipient, subject_id, "
                                 "categories, purpose, legal_basis, consent_id, provided_at, "
                                 "provided_by, keep_until, kept_from_last_provision, ledger_entry) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(extend_records_,
                     db_.Prepare("UPDATE provision_records SET keep_until = ? "
                                 "WHERE recipient = ? AND kept_from_last_provision = 1 "
                                 "AND keep_until < ?"));
    ASSIGN_OR_RETURN(records_of_subject_,
                     db_.Prepare(fmt::format("{}WHERE subject_id = ? ORDER BY provided_at, rowid",
                                             kRecordColumns)));
    ASSIGN_OR_RETURN(records_to_recipient_,
                     db_.Prepare(fmt::format("{}WHERE recipient = ? ORDER BY provided_at, rowid",
                                             kRecordColumns)));
    ASSIGN_OR_RETURN(insert_receipt_,
                     db_.Prepare("INSERT INTO provision_receipts (id, provider_name, "
                                 "provider_address, provider_representative, how_obtained, "
                                 "by_opt_out, subject_id, categories, received_at, recorded_at, "
                                 "recorded_by, keep_until) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(list_receipts_,
                     db_.Prepare(fmt::format("{}ORDER BY received_at, rowid", kReceiptColumns)));
    ASSIGN_OR_RETURN(list_receipts_of_subject_,
                     db_.Prepare(fmt::format("{}WHERE subject_id = ? ORDER BY received_at, rowid",
                                             kReceiptColumns)));
    ASSIGN_OR_RETURN(records_kept_until_,
                     db_.Prepare("SELECT id FROM provision_records WHERE keep_until <= ? "
                                 "ORDER BY keep_until, rowid LIMIT ?"));
    ASSIGN_OR_RETURN(receipts_kept_until_,
                     db_.Prepare("SELECT id FROM provision_receipts WHERE keep_until <= ? "
                                 "ORDER BY keep_until, rowid LIMIT ?"));
    ASSIGN_OR_RETURN(delete_record_, db_.Prepare("DELETE FROM provision_records WHERE id = ?"));
    ASSIGN_OR_RETURN(delete_receipt_, db_.Prepare("DELETE FROM provision_receipts WHERE id = ?"));
    ASSIGN_OR_RETURN(insert_audit_,
                     db_.Prepare("INSERT INTO trustee_audits (id, trustee_id, audited_at, result, "
                                 "next_due, recorded_at, recorded_by) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(list_audits_,
                     db_.Prepare(fmt::format("{}ORDER BY audited_at, rowid", kAuditColumns)));
    ASSIGN_OR_RETURN(list_audits_of_trustee_,
                     db_.Prepare(fmt::format("{}WHERE trustee_id = ? ORDER BY audited_at, rowid",
                                             kAuditColumns)));
    ASSIGN_OR_RETURN(insert_reentrustment_,
                     db_.Prepare("INSERT INTO reentrustments (id, trustee_id, subcontractor, "
                                 "scope, approved_at, approved_by) VALUES (?, ?, ?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(list_reentrustments_,
                     db_.Prepare(fmt::format("{}ORDER BY rowid", kReentrustmentColumns)));
    ASSIGN_OR_RETURN(
        list_reentrustments_of_trustee_,
        db_.Prepare(fmt::format("{}WHERE trustee_id = ? ORDER BY rowid", kReentrustmentColumns)));
    return absl::OkStatus();
  }

  absl::Status InsertRecord(const ProvisionRecordRow& record) override {
    const std::string categories = absl::StrJoin(record.categories, ",");
    SqliteStatement& stmt = *insert_record_;
    stmt.BindText(1, NonNull(record.id))
        .BindText(2, NonNull(record.recipient))
        .BindText(3, NonNull(record.subject_id))
        .BindText(4, categories)
        .BindText(5, NonNull(record.purpose))
        .BindText(6, NonNull(record.legal_basis))
        .BindInt(8, ToMicros(record.provided_at))
        .BindText(9, NonNull(record.provided_by))
        .BindInt(10, ToMicros(record.keep_until))
        .BindInt(11, record.kept_from_last_provision ? 1 : 0)
        .BindInt(12, record.ledger_entry);
    BindOptionalText(stmt, 7, record.consent_id);
    return Inserted(stmt.Run(), "provision record", record.id);
  }

  absl::StatusOr<int64_t> ExtendRecordsKeptFromLastProvision(std::string_view recipient,
                                                             absl::Time keep_until) override {
    RETURN_IF_ERROR(extend_records_->BindInt(1, ToMicros(keep_until))
                        .BindText(2, NonNull(recipient))
                        .BindInt(3, ToMicros(keep_until))
                        .Run());
    return sqlite3_changes(db_.handle());
  }

  absl::StatusOr<std::vector<ProvisionRecordRow>> ListRecordsOfSubject(
      std::string_view subject_id) override {
    records_of_subject_->BindText(1, NonNull(subject_id));
    return ReadAll(*records_of_subject_, &ReadProvisionRecord);
  }

  absl::StatusOr<std::vector<ProvisionRecordRow>> ListRecordsToRecipient(
      std::string_view recipient) override {
    records_to_recipient_->BindText(1, NonNull(recipient));
    return ReadAll(*records_to_recipient_, &ReadProvisionRecord);
  }

  absl::Status InsertReceipt(const ReceiptRow& receipt) override {
    const std::string categories = absl::StrJoin(receipt.categories, ",");
    SqliteStatement& stmt = *insert_receipt_;
    stmt.BindText(1, NonNull(receipt.id))
        .BindText(2, NonNull(receipt.provider_name))
        .BindText(3, NonNull(receipt.provider_address))
        .BindText(4, NonNull(receipt.provider_representative))
        .BindText(5, NonNull(receipt.how_obtained))
        .BindInt(6, receipt.by_opt_out ? 1 : 0)
        .BindText(8, categories)
        .BindInt(9, ToMicros(receipt.received_at))
        .BindInt(10, ToMicros(receipt.recorded_at))
        .BindText(11, NonNull(receipt.recorded_by))
        .BindInt(12, ToMicros(receipt.keep_until));
    BindOptionalText(stmt, 7, receipt.subject_id);
    return Inserted(stmt.Run(), "receipt record", receipt.id);
  }

  absl::StatusOr<std::vector<ReceiptRow>> ListReceipts(std::string_view subject_id) override {
    return ListBy(*list_receipts_, *list_receipts_of_subject_, subject_id, &ReadReceipt);
  }

  absl::StatusOr<std::vector<std::string>> ListRecordsKeptUntil(absl::Time at,
                                                                size_t limit) override {
    records_kept_until_->BindInt(1, ToMicros(at)).BindInt(2, static_cast<int64_t>(limit));
    return ReadIds(*records_kept_until_);
  }

  absl::StatusOr<std::vector<std::string>> ListReceiptsKeptUntil(absl::Time at,
                                                                 size_t limit) override {
    receipts_kept_until_->BindInt(1, ToMicros(at)).BindInt(2, static_cast<int64_t>(limit));
    return ReadIds(*receipts_kept_until_);
  }

  absl::StatusOr<int64_t> DeleteRecords(std::span<const std::string> ids) override {
    return DeleteEach(*delete_record_, ids);
  }

  absl::StatusOr<int64_t> DeleteReceipts(std::span<const std::string> ids) override {
    return DeleteEach(*delete_receipt_, ids);
  }

  absl::Status InsertTrusteeAudit(const TrusteeAuditRow& audit) override {
    return Inserted(insert_audit_->BindText(1, NonNull(audit.id))
                        .BindText(2, NonNull(audit.trustee_id))
                        .BindInt(3, ToMicros(audit.audited_at))
                        .BindText(4, NonNull(audit.result))
                        .BindInt(5, ToMicros(audit.next_due))
                        .BindInt(6, ToMicros(audit.recorded_at))
                        .BindText(7, NonNull(audit.recorded_by))
                        .Run(),
                    "trustee audit", audit.id);
  }

  absl::StatusOr<std::vector<TrusteeAuditRow>> ListTrusteeAudits(
      std::string_view trustee_id) override {
    return ListBy(*list_audits_, *list_audits_of_trustee_, trustee_id, &ReadAudit);
  }

  absl::Status InsertReentrustment(const ReentrustmentRow& approval) override {
    return Inserted(insert_reentrustment_->BindText(1, NonNull(approval.id))
                        .BindText(2, NonNull(approval.trustee_id))
                        .BindText(3, NonNull(approval.subcontractor))
                        .BindText(4, NonNull(approval.scope))
                        .BindInt(5, ToMicros(approval.approved_at))
                        .BindText(6, NonNull(approval.approved_by))
                        .Run(),
                    "re-entrustment approval", approval.id);
  }

  absl::StatusOr<std::vector<ReentrustmentRow>> ListReentrustments(
      std::string_view trustee_id) override {
    return ListBy(*list_reentrustments_, *list_reentrustments_of_trustee_, trustee_id,
                  &ReadReentrustment);
  }

 private:
  absl::StatusOr<int64_t> DeleteEach(SqliteStatement& stmt, std::span<const std::string> ids) {
    int64_t deleted = 0;
    for (const std::string& id : ids) {
      RETURN_IF_ERROR(stmt.BindText(1, id).Run());
      deleted += sqlite3_changes(db_.handle());
    }
    return deleted;
  }

  SqliteDatabase& db_;
  std::unique_ptr<SqliteStatement> insert_record_, extend_records_, records_of_subject_,
      records_to_recipient_, insert_receipt_, list_receipts_, list_receipts_of_subject_,
      records_kept_until_, receipts_kept_until_, delete_record_, delete_receipt_, insert_audit_,
      list_audits_, list_audits_of_trustee_, insert_reentrustment_, list_reentrustments_,
      list_reentrustments_of_trustee_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ProvisionStore>> NewSqliteProvisionStore(SqliteDatabase& db) {
  auto store = std::make_unique<SqliteProvisionStore>(db);
  RETURN_IF_ERROR(store->PrepareStatements());
  return store;
}

}  // namespace mamori::store::internal
