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
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
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

// Told of every change the vault writes, inside the same transaction, so the
// engine can append its ledger entry; an error rolls the change back. The
// rows carry sealed values: observers read only the metadata.
class VaultObserver {
 public:
  virtual ~VaultObserver() = default;
  // A new subject and the records it was created with.
  virtual absl::Status SubjectAdded(const store::SubjectRow& subject,
                                    std::span<const store::RecordRow> records) = 0;
  // Records added to an existing subject.
  virtual absl::Status RecordsAdded(std::string_view subject_id,
                                    std::span<const store::RecordRow> records) = 0;
  // An existing subject's language was set by an import line.
  virtual absl::Status SubjectLanguageSet(std::string_view subject_id) = 0;
};

class Vault {
 public:
  // REQUIRES: `store` already holds the operator keys that `init` creates.
  // `policy` is the compiled form of `policy_version`. DataLoss when the
  // master key does not match the data directory.
  static absl::StatusOr<std::unique_ptr<Vault>> Open(store::Store& store,
                                                     const crypto::SecretKey& master,
                                                     const policy::Policy& policy,
                                                     int64_t policy_version, common::Clock& clock,
                                                     common::RandomSource& random);

  // Forgets the cached unwrapped keys, after a transaction that may have
  // created keys was rolled back.
  void ForgetCachedKeys() { key_ring_.EvictAll(); }
  // Forgets only these keys (destroyed), keeping the rest cached.
  void ForgetKeys(std::span<const store::DataKeyId> data_keys,
                  std::span<const std::string> subjects) {
    key_ring_.Evict(data_keys, subjects);
  }

  // Not owned; nullptr for none. Must outlive the vault.
  void set_observer(VaultObserver* observer) { observer_ = observer; }

  // Creates a subject with its identifiers indexed and its records stored,
  // all or nothing. Returns the new subject id. `language`: the language the
  // person chose ("ja", "en"), or empty.
  absl::StatusOr<std::string> AddSubject(const SubjectIdentifiers& identifiers,
                                         const std::vector<NewRecord>& records,
                                         std::string_view language = {});

  // Stores one record for an existing subject. Returns the record id.
  absl::StatusOr<std::string> AddRecord(std::string_view subject_id, const NewRecord& record);

  // Subjects whose identifier of `kind` matches `value` after normalization.
  absl::StatusOr<std::vector<std::string>> FindSubjects(policy::IdentifierKind kind,
                                                        std::string_view value);

  // Removes the blind index of `value` (an identifier of `kind`) for the
  // subject: a corrected identifier no longer finds it. How many entries
  // went (0 or 1).
  absl::StatusOr<int64_t> UnindexValue(std::string_view subject_id, policy::IdentifierKind kind,
                                       std::string_view value);

  absl::StatusOr<std::vector<RecordInfo>> ListRecords(std::string_view subject_id);

  // Decrypts one record's value. Callers decide first whether the use is
  // allowed; the vault only keeps the data safe.
  absl::StatusOr<std::string> ReadValue(std::string_view record_id);

  // Bulk-loads subjects from JSONL (docs/import-format.md), all or nothing:
  // a bad line fails the whole file with "line N: field: problem".
  absl::StatusOr<ImportSummary> Import(std::istream& in, const ImportProgress& progress);

  // Seals `value` for a record under its data key, as AddRecord does;
  // opens it again. The *Into forms write into a caller's buffer, reusing
  // its memory (no allocation when it is large enough).
  absl::StatusOr<std::string> SealValue(const store::DataKeyId& key_id, std::string_view record_id,
                                        std::string_view value);
  absl::Status SealValueInto(const store::DataKeyId& key_id, std::string_view record_id,
                             std::string_view value, std::string& sealed);
  absl::StatusOr<std::string> OpenValue(const store::DataKeyId& key_id, std::string_view record_id,
                                        std::string_view sealed);
  absl::Status OpenValueInto(const store::DataKeyId& key_id, std::string_view record_id,
                             std::string_view sealed, std::string& value);
  // The same with a data key the caller already unwrapped (for example on a
  // reader's key ring, engine/reader_pool.h). Thread-safe.
  static absl::Status OpenValueWithKey(const crypto::SecretKey& key, const store::DataKeyId& key_id,
                                       std::string_view record_id, std::string_view sealed,
                                       std::string& value);

  // A de-identified remainder (retention, erasure mode `deidentify`) sealed
  // under the operator's de-identification key, not the subject's: it
  // outlives the subject's keys. `id` is the remainder's id (bound as AAD).
  absl::StatusOr<std::string> SealDeidentified(std::string_view id, std::string_view remainder);
  absl::StatusOr<std::string> OpenDeidentified(std::string_view id, std::string_view sealed);

  // The data key bucket for a record collected at `collected_at` under
  // `purposes`: the collection month (in the operator's time zone) when
  // every purpose's retention counts from collection, else "open".
  std::string KeyBucket(const std::vector<std::string>& purposes, absl::Time collected_at) const;

 private:
  class WriteBatch;

  // What the policy says about collecting a category through a service:
  // the purposes announced for it and whether all of them keep data for a
  // period counted from collection (which makes the key bucket monthly).
  struct CollectionRule {
    std::vector<std::string> purposes;
    bool from_collection = false;
  };

  // A blind-index entry ready to store.
  struct IndexEntry {
    std::string_view kind;  // "phone", "email", ... (static storage)
    std::string mac;
  };

  // A record checked against the policy and normalized, ready to encrypt
  // and write. Preparing needs no store access, so an import prepares lines
  // on one thread while another writes.
  struct PreparedRecord {
    NewRecord record;
    const CollectionRule* rule = nullptr;
    absl::Time collected_at;
    std::string bucket;
    std::optional<IndexEntry> index;
  };

  // A new subject made ready to store, off the writer's thread: its id, its
  // keys (wrapped), its index entries (once each) and its encrypted rows.
  struct SealedSubject {
    store::SubjectRow subject;
    std::string wrapped_subject_key;
    std::vector<std::pair<store::DataKeyId, std::string>> wrapped_data_keys;
    std::vector<IndexEntry> indexes;
    std::vector<store::RecordRow> rows;
  };

  struct PreparedLine;

  Vault(store::Store& store, const crypto::SecretKey& master, const policy::Policy& policy,
        int64_t policy_version, common::Clock& clock, common::RandomSource& random);

  // Thread-safe (const, no store access).
  absl::StatusOr<std::vector<IndexEntry>> PrepareIdentifiers(
      const SubjectIdentifiers& identifiers) const;
  absl::StatusOr<PreparedRecord> PrepareRecord(NewRecord record, std::string_view field_prefix,
                                               absl::Time now) const;
  absl::StatusOr<std::vector<PreparedRecord>> PrepareRecords(std::vector<NewRecord> records,
                                                             absl::Time now) const;
  std::string BucketFor(bool from_collection, absl::Time collected_at) const;
  // Generates the subject's keys and encrypts its records. Thread-safe.
  absl::StatusOr<SealedSubject> SealNewSubject(std::vector<IndexEntry> indexes,
                                               std::vector<PreparedRecord> records,
                                               std::string language) const;

  // The writer's half; REQUIRES: a WriteBatch is open.
  absl::Status WriteIndexes(std::string_view subject_id, const std::vector<IndexEntry>& entries);
  // With `pending`, the row is appended there for a later bulk insert
  // instead of being inserted now.
  absl::StatusOr<std::string> WriteRecord(std::string_view subject_id, PreparedRecord& record,
                                          std::vector<store::RecordRow>* pending = nullptr);
  // Stores the subject, its keys and its index entries, and moves its rows
  // to `pending` for the caller to insert (InsertRecords) in bulk.
  absl::Status WriteSealedSubject(SealedSubject& sealed, std::vector<store::RecordRow>& pending);

  store::Store& store_;
  const policy::Policy& policy_;
  int64_t policy_version_;
  common::Clock& clock_;
  common::RandomSource& random_;
  KeyRing key_ring_;
  std::unique_ptr<crypto::BlindIndexer> indexer_;
  absl::TimeZone operator_zone_;
  // Keyed by "service\x1f" "category"; only pairs with announced purposes.
  absl::flat_hash_map<std::string, CollectionRule> collection_rules_;
  std::string aad_scratch_;                                // reused by SealValue / OpenValue
  std::optional<crypto::SecretKey> deidentification_key_;  // unwrapped on first use
  VaultObserver* observer_ = nullptr;
};

}  // namespace mamori::vault
