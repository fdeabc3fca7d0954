// The embedded store engine: two SQLite files in WAL mode inside the data
// directory, `records.db` (RecordStore) and `keys.db` (KeyStore). The key
// file uses secure_delete so destroyed keys are overwritten, and Checkpoint()
// truncates its WAL so no copy of a destroyed key stays behind.
//
// Schemas are versioned migrations (docs/storage.md); opening an older file
// applies the missing ones in a transaction.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace mamori::store {

inline constexpr int64_t kDefaultSegmentRecords = 65536;

struct SqliteStoreOptions {
  // Create the files when absent. Without it a missing file is NotFound.
  bool create = false;
  // How many records a segment's table takes before the next one of its
  // (category, month) is made (store.h, RecordSegmentRow): the retention
  // sweep drops a table in one writer job, so this bounds that job.
  int64_t segment_records = kDefaultSegmentRecords;
};

inline constexpr char kRecordsFileName[] = "records.db";
inline constexpr char kKeysFileName[] = "keys.db";

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& directory,
                                                       const SqliteStoreOptions& options);

}  // namespace mamori::store
