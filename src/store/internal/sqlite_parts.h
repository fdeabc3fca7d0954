// The halves of the SQLite engine that share the records connection, so
// their writes commit in the records file's transaction. Only
// sqlite_store.cc builds them.
#pragma once

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/internal/sqlite_db.h"
#include "store/store.h"

namespace mamori::store::internal {

// Times are stored as microseconds since the Unix epoch, UTC.
inline int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }
inline absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

// `db` must outlive the returned object and already hold schema version 2.
absl::StatusOr<std::unique_ptr<FactStore>> NewSqliteFactStore(SqliteDatabase& db);
absl::StatusOr<std::unique_ptr<LedgerStore>> NewSqliteLedgerStore(SqliteDatabase& db);
class RecordTables;
// `db` must hold schema version 12; `tables` are the records tables on it
// and must outlive the returned object.
absl::StatusOr<std::unique_ptr<RetentionStore>> NewSqliteRetentionStore(SqliteDatabase& db,
                                                                        RecordTables& tables);
// `db` must hold schema version 6.
absl::StatusOr<std::unique_ptr<ProvisionStore>> NewSqliteProvisionStore(SqliteDatabase& db);
// `db` must hold schema version 8.
absl::StatusOr<std::unique_ptr<UseIndexStore>> NewSqliteUseIndexStore(SqliteDatabase& db);
absl::StatusOr<std::unique_ptr<IncidentStore>> NewSqliteIncidentStore(SqliteDatabase& db);
// `db` must hold schema version 9.
absl::StatusOr<std::unique_ptr<RequestStore>> NewSqliteRequestStore(SqliteDatabase& db);

// The ledger's entries from seq ?1 up to ?2, oldest first: the ledger
// store's scans and a reader's (StoreReader::ScanLedgerEntries).
inline constexpr std::string_view kScanLedgerSql =
    "SELECT seq, entry, leaf_hash, nodes FROM ledger_entries WHERE seq >= ? AND seq < ? "
    "ORDER BY seq";
// The entry on the current row of a statement over (seq, entry, leaf_hash,
// nodes), such as kScanLedgerSql's, into `row`, whose strings are reused.
void ReadLedgerEntry(const SqliteStatement& stmt, LedgerEntryRow& row);

}  // namespace mamori::store::internal
