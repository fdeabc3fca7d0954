// Vault: customers' personal data, encrypted at rest and findable without
// decryption.
//
// A subject is a customer; a record is one value of one category, collected
// through one service under the purposes that service announced for that
// category in the current policy version. Each value is sealed with
// XChaCha20-Poly1305 under the data key of (subject, category, retention
// bucket); the associated data binds subject, record and category, so a
// ciphertext moved to another row fails to open. Identifiers (phone, email,
// contract number, name, birth date) are kept as blind indexes so staff can
// find a customer; records of identifier categories are indexed too.
//
// No personal value ever reaches the database in plaintext, a log or an
// error message: errors name the field, not the value.
//
//   ASSIGN_OR_RETURN(auto vault, Vault::Open(store, master, policy, version, clock, random));
//   ASSIGN_OR_RETURN(std::string subject, vault->AddSubject({.phone = "090-1234-5678"}, {}));
//   ASSIGN_OR_RETURN(auto ids, vault->FindSubjects(IdentifierKind::kPhone, "+81 90 1234 5678"));
//
// Thread-safety: not thread-safe; one writer uses a Vault at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/random.h"
#include "crypto/blind_index.h"
#include "crypto/secret_key.h"
#include "policy/policy.h"
#include "store/store.h"
#include "vault/key_ring.h"

namespace mamori::vault {

// What a customer can be found by. Identifiers given when a subject is
// created are indexed (one-way MACs) but not stored as values; to keep a
// value, add it as a record.
struct SubjectIdentifiers {
  std::optional<std::string> phone = std::nullopt;
  std::optional<std::string> email = std::nullopt;
  std::optional<std::string> contract = std::nullopt;
  std::optional<std::string> name = std::nullopt;
  std::optional<std::string> birth_date = std::nullopt;

  bool empty() const { return !phone && !email && !contract && !name && !birth_date; }
};

struct NewRecord {
  std::string category = {};
  std::string service = {};
  std::string value = {};
  std::optional<absl::Time> collected_at = std::nullopt;  // default: now
};

// A record's metadata: everything but the value.
struct RecordInfo {
  std::string id;
  std::string subject_id;
  std::string category;
  std::string service;
  std::vector<std::string> purposes;
  int64_t policy_version = 0;
  absl::Time collected_at;
};

struct ImportSummary {
  int64_t lines = 0;
  int64_t subjects = 0;
  int64_t records = 0;
};

// Called during an import with (bytes read, lines done).
using ImportProgress = std::function<void(int64_t bytes_read, int64_t lines)>;

// Largest value accepted, in bytes.
inline constexpr size_t kMaxValueBytes = 64 * 1024;

class Vault {
 public:
  // REQUIRES: `store` already holds the operator keys that `init` creates.
  // `policy` is the compiled form of `policy_version`. DataLoss when the
  // master key does not match the data directory.
  static absl::StatusOr<std::unique_ptr<Vault>> Open(store::Store& store,
                                                     const crypto::SecretKey& master,
                                                     const policy::Policy& policy,
                                                     int64_t policy_version,
                                                     common::Clock& clock,
                                                     common::RandomSource& random);

  // Creates a subject with its identifiers indexed and its records stored,
  // all or nothing. Returns the new subject id.
  absl::StatusOr<std::string> AddSubject(const SubjectIdentifiers& identifiers,
                                         const std::vector<NewRecord>& records);

  // Stores one record for an existing subject. Returns the record id.
  absl::StatusOr<std::string> AddRecord(std::string_view subject_id, const NewRecord& record);

  // Subjects whose identifier of `kind` matches `value` after normalization.
  absl::StatusOr<std::vector<std::string>> FindSubjects(policy::IdentifierKind kind,
                                                        std::string_view value);

  absl::StatusOr<std::vector<RecordInfo>> ListRecords(std::string_view subject_id);

  // Decrypts one record's value. Callers decide first whether the use is
  // allowed; the vault only keeps the data safe.
  absl::StatusOr<std::string> ReadValue(std::string_view record_id);

  // Bulk-loads subjects from JSONL (docs/import-format.md), all or nothing:
  // a bad line fails the whole file with "line N: field: problem".
  absl::StatusOr<ImportSummary> Import(std::istream& in, const ImportProgress& progress);

  // Seals `value` for a record as AddRecord would. Exposed for benchmarks.
  absl::StatusOr<std::string> SealValue(const store::DataKeyId& key_id, std::string_view record_id,
                                        std::string_view value);
  absl::StatusOr<std::string> OpenValue(const store::DataKeyId& key_id,
                                        std::string_view record_id, std::string_view sealed);

  // The data key bucket for a record collected at `collected_at` under
  // `purposes`: the collection month (in the operator's time zone) when
  // every purpose's retention counts from collection, else "open".
  std::string KeyBucket(const std::vector<std::string>& purposes, absl::Time collected_at) const;

 private:
  class WriteBatch;

  Vault(store::Store& store, const crypto::SecretKey& master, const policy::Policy& policy,
        int64_t policy_version, common::Clock& clock, common::RandomSource& random);

  absl::Status IndexIdentifiers(std::string_view subject_id, const SubjectIdentifiers& ids);
  absl::StatusOr<std::string> InsertSubject(const SubjectIdentifiers& identifiers,
                                            const std::vector<NewRecord>& records);
  absl::StatusOr<std::string> InsertRecord(std::string_view subject_id, const NewRecord& record,
                                           std::string_view field_prefix);

  store::Store& store_;
  const policy::Policy& policy_;
  int64_t policy_version_;
  common::Clock& clock_;
  common::RandomSource& random_;
  KeyRing key_ring_;
  std::unique_ptr<crypto::BlindIndexer> indexer_;
  absl::TimeZone operator_zone_;
  std::string aad_scratch_;  // reused by SealValue / OpenValue
};

}  // namespace mamori::vault
