// Store: the one storage interface of mamori (DESIGN.md, "One storage
// interface, two engines").
//
// A Store has two halves kept in separate files (or schemas), because keys
// must be destroyable apart from the records they protect:
//   - RecordStore: subjects, encrypted records, blind indexes, policy
//     versions (and, later, the ledger and the services' tables);
//   - KeyStore: wrapped keys only (subject keys, data keys, operator keys).
// Neither half ever sees a plaintext value or an unwrapped key.
//
// SQLite is the embedded engine (sqlite_store.h). A PostgreSQL engine will
// implement the same interface and pass the same conformance suite
// (store_conformance_test.cc), so SQL stays portable.
//
//   ASSIGN_OR_RETURN(auto store, OpenSqliteStore(dir, {.create = true}));
//   ASSIGN_OR_RETURN(auto tx, store->records().BeginTransaction());
//   RETURN_IF_ERROR(store->records().InsertSubject(row));
//   RETURN_IF_ERROR(tx->Commit());
//
// Thread-safety: a Store and its halves are used by one thread at a time
// (the single writer); callers serialize access.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mamori::store {

struct SubjectRow {
  std::string id;
  absl::Time created_at;
  int64_t policy_version = 0;
};

// One personal-data value, encrypted, with where and why it was collected.
struct RecordRow {
  std::string id;
  std::string subject_id;
  std::string category;
  std::string service;
  std::vector<std::string> purposes;  // purposes announced at collection
  int64_t policy_version = 0;         // the policy version collected under
  std::string key_bucket;             // which data key encrypts it
  absl::Time collected_at;
  std::string sealed_value;  // XChaCha20-Poly1305 nonce || ciphertext || tag
};

struct PolicyVersionRow {
  int64_t version = 0;
  absl::Time loaded_at;
  std::string source_sha256;  // hex digest of the TOML source
  std::string source;         // the TOML text as loaded
  std::string loaded_by;      // actor id, e.g. "admin:root"
};

// A data key covers one subject, one category and one retention bucket.
struct DataKeyId {
  std::string subject_id;
  std::string category;
  std::string bucket;
};

// A unit of work on one half of the store. Destroying it without Commit()
// rolls back. At most one is open per half at a time.
class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual absl::Status Commit() = 0;
};

class RecordStore {
 public:
  virtual ~RecordStore() = default;

  virtual absl::StatusOr<std::unique_ptr<Transaction>> BeginTransaction() = 0;

  // AlreadyExists when the id is taken.
  virtual absl::Status InsertSubject(const SubjectRow& subject) = 0;
  virtual absl::StatusOr<std::optional<SubjectRow>> GetSubject(std::string_view id) = 0;
  virtual absl::StatusOr<int64_t> CountSubjects() = 0;

  // NotFound when the subject does not exist; AlreadyExists for a taken id.
  virtual absl::Status InsertRecord(const RecordRow& record) = 0;
  // Many records at once, for bulk imports: faster than one at a time, with
  // the same errors. On error some may be inserted; callers use it inside a
  // transaction and roll back.
  virtual absl::Status InsertRecords(std::span<const RecordRow> records) = 0;
  virtual absl::StatusOr<std::optional<RecordRow>> GetRecord(std::string_view id) = 0;
  // In insertion order.
  virtual absl::StatusOr<std::vector<RecordRow>> ListRecords(std::string_view subject_id) = 0;
  virtual absl::StatusOr<int64_t> CountRecords() = 0;

  // Idempotent: the same (kind, mac, subject) twice is one entry.
  virtual absl::Status InsertBlindIndex(std::string_view kind, std::string_view mac,
                                        std::string_view subject_id) = 0;
  // Subject ids with that MAC, sorted.
  virtual absl::StatusOr<std::vector<std::string>> FindSubjectsByIndex(std::string_view kind,
                                                                       std::string_view mac) = 0;

  // AlreadyExists when the version number is taken.
  virtual absl::Status InsertPolicyVersion(const PolicyVersionRow& row) = 0;
  virtual absl::StatusOr<std::optional<PolicyVersionRow>> GetPolicyVersion(int64_t version) = 0;
  virtual absl::StatusOr<std::optional<PolicyVersionRow>> LatestPolicyVersion() = 0;

  virtual absl::StatusOr<int> SchemaVersion() = 0;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  virtual absl::StatusOr<std::unique_ptr<Transaction>> BeginTransaction() = 0;

  // Put* are AlreadyExists when a key is already stored under that id: keys
  // are created once and destroyed, never replaced.
  virtual absl::Status PutSubjectKey(std::string_view subject_id, std::string_view wrapped) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GetSubjectKey(std::string_view subject_id) = 0;

  virtual absl::Status PutDataKey(const DataKeyId& id, std::string_view wrapped) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GetDataKey(const DataKeyId& id) = 0;

  // Operator keys: the blind-index key, the ledger signing seed, the
  // de-identification key. Wrapped under the master key.
  virtual absl::Status PutOperatorKey(std::string_view name, std::string_view wrapped) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GetOperatorKey(std::string_view name) = 0;

  // Crypto-shredding. Return how many keys were destroyed.
  virtual absl::StatusOr<int64_t> DestroySubjectKeys(std::string_view subject_id) = 0;
  virtual absl::StatusOr<int64_t> DestroyDataKey(const DataKeyId& id) = 0;

  // Makes destroyed key bytes leave the disk (WAL checkpoint, secure delete).
  virtual absl::Status Checkpoint() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual RecordStore& records() = 0;
  virtual KeyStore& keys() = 0;
  virtual std::string_view engine() const = 0;  // "sqlite", "postgresql"
};

}  // namespace mamori::store
