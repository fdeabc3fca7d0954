// DataDirectory: one mamori data directory on the embedded store, opened as
// a whole — store, master key, current policy version and vault.
//
// Layout of DIR: records.db, keys.db (store/sqlite_store.h) and `lock`. The
// master key lives outside it (default `DIR.master.key`, DESIGN.md "Keys"),
// so a backup of DIR alone holds no usable key.
//
// One writer (DESIGN.md): opening for kWrite takes an exclusive lock on
// DIR/lock for the life of the object; a second writer is refused with a
// message that says so. kReadOnly takes no lock.
//
//   ASSIGN_OR_RETURN(InitResult r, InitDataDirectory({.data_dir = "d", .policy_path = "p.toml",
//                                                     .master_key_path = "d.master.key"}, ...));
//   ASSIGN_OR_RETURN(auto dir, DataDirectory::Open("d", "d.master.key", Access::kWrite, ...));
//   dir->vault().AddSubject(...);
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/random.h"
#include "crypto/secret_key.h"
#include "crypto/signing_key.h"
#include "policy/policy.h"
#include "store/sqlite_store.h"
#include "store/store.h"
#include "vault/vault.h"

namespace mamori::vault {

// Inside the data directory while a server holds it: the server's URL.
inline constexpr char kServerFileName[] = "server.url";

// `DIR.master.key` beside the data directory.
std::string DefaultMasterKeyPath(const std::string& data_dir);

struct InitOptions {
  std::string data_dir;
  std::string policy_path;
  std::string master_key_path;
  std::string actor;  // who ran init, e.g. "admin:root"
};

struct InitResult {
  std::string data_dir;
  std::string master_key_path;
  int64_t policy_version = 0;
  std::string signing_public_key_hex;
};

// Creates the data directory, the master key (mode 0600, outside DIR), the
// operator keys (blind index, ledger signing, de-identification) and policy
// version 1. Refuses an existing non-empty directory or master key file;
// a bad policy file is InvalidArgument with every problem, and leaves
// nothing behind.
absl::StatusOr<InitResult> InitDataDirectory(const InitOptions& options, common::Clock& clock,
                                             common::RandomSource& random);

struct PolicyLoadResult {
  int64_t version = 0;
  bool unchanged = false;  // same text as the current version: nothing added
  nlohmann::json diff;     // policy/policy_diff.h
  std::string summary;
};

class DataDirectory {
 public:
  enum class Access { kReadOnly, kWrite };

  // `segment_records`: store::SqliteStoreOptions (tests make it small).
  static absl::StatusOr<std::unique_ptr<DataDirectory>> Open(
      const std::string& data_dir, const std::string& master_key_path, Access access,
      common::Clock& clock, common::RandomSource& random,
      int64_t segment_records = store::kDefaultSegmentRecords);
  ~DataDirectory();

  store::Store& store() { return *store_; }
  const policy::Policy& policy() const { return *policy_; }
  int64_t policy_version() const { return policy_version_; }
  Vault& vault() { return *vault_; }
  // Kept across policy loads (which reopen the vault). Not owned.
  void set_vault_observer(VaultObserver* observer);
  const crypto::SecretKey& master_key() const { return master_; }
  // The operator's ledger signing key, unwrapped with the master key.
  absl::StatusOr<crypto::SigningKey> LedgerSigningKey();
  // Rereads the current policy version from the store and reopens the vault,
  // after a transaction that loaded a policy was rolled back.
  absl::Status Reload() { return OpenVault(); }

  // Adds a new policy version from TOML text. Records collected from now on
  // carry it; records already held keep theirs.
  // REQUIRES: opened with Access::kWrite.
  absl::StatusOr<PolicyLoadResult> LoadPolicy(std::string_view toml_text,
                                              std::string_view source_name, std::string_view actor);

 private:
  DataDirectory() = default;
  absl::Status OpenVault();

  std::string data_dir_;
  int lock_fd_ = -1;
  common::Clock* clock_ = nullptr;
  common::RandomSource* random_ = nullptr;
  crypto::SecretKey master_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<policy::Policy> policy_;
  int64_t policy_version_ = 0;
  std::unique_ptr<Vault> vault_;
  VaultObserver* vault_observer_ = nullptr;
};

// Hex SHA-256 of a policy source text.
std::string PolicySha256(std::string_view text);

}  // namespace mamori::vault
