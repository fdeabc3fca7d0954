// KeyRing: the key hierarchy of DESIGN.md ("Erasure is crypto-shredding").
//
//   master key (file outside the data directory)
//     ├─ wraps each subject key              (KeyStore: subject_keys)
//     │    └─ wraps each data key             (KeyStore: data_keys)
//     │         one per subject × category × retention bucket
//     └─ wraps operator keys                  (KeyStore: operator_keys)
//          blind-index key, ledger signing seed, de-identification key
//
// Keys are created on first use and stored only wrapped; unwrapped keys are
// cached in memory for speed (up to kMaxCachedKeys of each kind) and evicted
// when destroyed (or when a write batch is abandoned, since its new keys were
// never stored).
//
//   KeyRing ring(store.keys(), master, random);
//   ASSIGN_OR_RETURN(const SecretKey* key, ring.DataKey({subject, category, bucket}, true));
//
// Thread-safety: not thread-safe, but for the const New*Key functions; owned
// by the single writer.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/random.h"
#include "crypto/secret_key.h"
#include "store/store.h"

namespace mamori::vault {

// Names of the operator keys in the key store.
inline constexpr char kBlindIndexKeyName[] = "blind_index";
inline constexpr char kSigningKeyName[] = "ledger_signing";
inline constexpr char kDeidentificationKeyName[] = "deidentification";

class KeyRing {
 public:
  // Each cache (subject keys, data keys) holds at most this many keys.
  static constexpr size_t kMaxCachedKeys = 1 << 16;

  KeyRing(store::KeyStore& keys, const crypto::SecretKey& master, common::RandomSource& random)
      : keys_(keys), master_(master), random_(random) {}

  // The data key for `id`. With `create`, a missing subject key and data key
  // are generated and stored (inside the caller's key-store transaction);
  // without it, a missing key is NotFound (for example after erasure).
  // The pointer stays valid until the next call on this KeyRing.
  absl::StatusOr<const crypto::SecretKey*> DataKey(const store::DataKeyId& id, bool create);

  // An operator key; with `create`, generated when missing.
  absl::StatusOr<crypto::SecretKey> OperatorKey(std::string_view name, bool create);

  // A freshly generated key and its wrapped form, not yet stored.
  struct NewKey {
    crypto::SecretKey key;
    std::string wrapped;
  };

  // Generate keys for a brand-new subject without touching the store or the
  // cache; the caller stores the wrapped forms (keys before records).
  // Thread-safe.
  NewKey NewSubjectKey(std::string_view subject_id) const;
  NewKey NewDataKey(const crypto::SecretKey& subject_key, const store::DataKeyId& id) const;

  // Stores a given operator key (for example a signing seed) wrapped under
  // the master key. AlreadyExists when one is stored under that name.
  absl::Status StoreOperatorKey(std::string_view name, const crypto::SecretKey& key);

  // Forgets every cached key (after a rolled-back batch, or a destroy).
  void EvictAll();
  // Forgets the given data keys, and the subject keys of `subjects` with
  // every data key of theirs (after destroying them).
  void Evict(std::span<const store::DataKeyId> data_keys, std::span<const std::string> subjects);

 private:
  absl::StatusOr<const crypto::SecretKey*> SubjectKey(std::string_view subject_id, bool create);

  store::KeyStore& keys_;
  crypto::SecretKey master_;
  common::RandomSource& random_;
  // Keyed by subject id.
  absl::flat_hash_map<std::string, crypto::SecretKey> subject_keys_;
  // Keyed by "subject\x1f" "category\x1f" "bucket".
  absl::flat_hash_map<std::string, crypto::SecretKey> data_keys_;
  // Reused to build look-up keys without allocating on the hot path.
  std::string lookup_scratch_;
};

}  // namespace mamori::vault
