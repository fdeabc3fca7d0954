#include "vault/data_directory.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/status_macros.h"
#include "common/strings.h"
#include "crypto/master_key.h"
#include "crypto/signing_key.h"
#include "policy/policy_diff.h"
#include "policy/policy_file.h"
#include "policy/policy_json.h"
#include "store/sqlite_store.h"
#include "vault/key_ring.h"

namespace mamori::vault {
namespace {

namespace fs = std::filesystem;

constexpr char kLockFileName[] = "lock";

std::string Hex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("cannot read {}", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// True when `inner` is `outer` or lies below it.
bool IsWithin(const fs::path& inner, const fs::path& outer) {
  fs::path a = fs::weakly_canonical(inner), b = fs::weakly_canonical(outer);
  auto mismatch = std::mismatch(b.begin(), b.end(), a.begin(), a.end());
  return mismatch.first == b.end();
}

absl::StatusOr<int> LockDirectory(const std::string& data_dir) {
  std::string path = (fs::path(data_dir) / kLockFileName).string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    // A running server leaves its address beside the lock.
    std::ifstream server_file(std::filesystem::path(data_dir) / kServerFileName);
    std::string url;
    if (server_file && std::getline(server_file, url) && !url.empty()) {
      return absl::FailedPreconditionError(fmt::format(
          "data directory {} is held by a running mamori server at {}; run this command "
          "through it with --server {} --token TOKEN",
          data_dir, url, url));
    }
    return absl::FailedPreconditionError(fmt::format(
        "data directory {} is in use by another mamori process, which holds its write lock; "
        "try again when it has finished (while a server runs, writes go through the server)",
        data_dir));
  }
  return fd;
}

}  // namespace

std::string DefaultMasterKeyPath(const std::string& data_dir) {
  std::string dir = data_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + ".master.key";
}

std::string PolicySha256(std::string_view text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return Hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<InitResult> InitDataDirectory(const InitOptions& options, common::Clock& clock,
                                             common::RandomSource& random) {
  const fs::path dir(options.data_dir);
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec))) {
    return absl::AlreadyExistsError(
        fmt::format("{} already exists and is not empty; refusing to overwrite a data directory",
                    options.data_dir));
  }
  if (fs::exists(options.master_key_path, ec)) {
    return absl::AlreadyExistsError(fmt::format(
        "master key file {} already exists; refusing to overwrite it", options.master_key_path));
  }
  if (IsWithin(options.master_key_path, dir)) {
    return absl::InvalidArgumentError(fmt::format(
        "--master-key: {} is inside the data directory; keep the master key apart from the data",
        options.master_key_path));
  }
  // Check the policy before anything is created.
  ASSIGN_OR_RETURN(std::string source, ReadFile(options.policy_path));
  ASSIGN_OR_RETURN(policy::Policy compiled, policy::ParsePolicyText(source, options.policy_path));
  (void)compiled;

  bool created_dir = !fs::exists(dir, ec);
  bool created_key = false;
  auto cleanup = [&] {
    if (created_key) fs::remove(options.master_key_path, ec);
    if (created_dir) {
      fs::remove_all(dir, ec);
    } else {
      for (const auto& entry : fs::directory_iterator(dir, ec)) fs::remove_all(entry.path(), ec);
    }
  };
  auto result = [&]() -> absl::StatusOr<InitResult> {
    fs::create_directories(dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          fmt::format("cannot create {}: {}", options.data_dir, ec.message()));
    }
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    ASSIGN_OR_RETURN(crypto::SecretKey master,
                     crypto::CreateMasterKeyFile(options.master_key_path, random));
    created_key = true;
    ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store,
                     store::OpenSqliteStore(options.data_dir, {.create = true}));
    KeyRing ring(store->keys(), master, random);
    crypto::SigningKey signing = crypto::SigningKey::Generate(random);
    {
      ASSIGN_OR_RETURN(auto keys_tx, store->keys().BeginTransaction());
      ASSIGN_OR_RETURN(crypto::SecretKey index_key, ring.OperatorKey(kBlindIndexKeyName, true));
      ASSIGN_OR_RETURN(crypto::SecretKey deid_key,
                       ring.OperatorKey(kDeidentificationKeyName, true));
      (void)index_key;
      (void)deid_key;
      RETURN_IF_ERROR(ring.StoreOperatorKey(kSigningKeyName, signing.seed()));
      RETURN_IF_ERROR(keys_tx->Commit());
    }
    RETURN_IF_ERROR(store->records().InsertPolicyVersion(
        {1, clock.Now(), PolicySha256(source), source, options.actor}));
    return InitResult{options.data_dir, options.master_key_path, 1, Hex(signing.public_key())};
  }();
  if (!result.ok()) cleanup();
  return result;
}

DataDirectory::~DataDirectory() {
  vault_.reset();
  store_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

absl::StatusOr<std::unique_ptr<DataDirectory>> DataDirectory::Open(
    const std::string& data_dir, const std::string& master_key_path, Access access,
    common::Clock& clock, common::RandomSource& random, int64_t segment_records) {
  if (!fs::is_directory(data_dir)) {
    return absl::NotFoundError(
        fmt::format("data directory {} does not exist (create it with `mamori init`)", data_dir));
  }
  std::unique_ptr<DataDirectory> d(new DataDirectory());
  d->data_dir_ = data_dir;
  d->clock_ = &clock;
  d->random_ = &random;
  if (access == Access::kWrite) {
    ASSIGN_OR_RETURN(d->lock_fd_, LockDirectory(data_dir));
  }
  ASSIGN_OR_RETURN(d->master_, crypto::ReadMasterKeyFile(master_key_path));
  ASSIGN_OR_RETURN(d->store_, store::OpenSqliteStore(
                                  data_dir, {.create = false, .segment_records = segment_records}));
  RETURN_IF_ERROR(d->OpenVault());
  return d;
}

absl::Status DataDirectory::OpenVault() {
  ASSIGN_OR_RETURN(std::optional<store::PolicyVersionRow> latest,
                   store_->records().LatestPolicyVersion());
  if (!latest) return absl::DataLossError("the data directory holds no policy version");
  absl::StatusOr<policy::Policy> compiled =
      policy::ParsePolicyText(latest->source, fmt::format("policy version {}", latest->version));
  if (!compiled.ok()) {
    return absl::DataLossError(fmt::format("stored policy version {} no longer compiles: {}",
                                           latest->version,
                                           common::FromAbsl(compiled.status().message())));
  }
  vault_.reset();
  policy_ = std::make_unique<policy::Policy>(std::move(*compiled));
  policy_version_ = latest->version;
  ASSIGN_OR_RETURN(vault_,
                   Vault::Open(*store_, master_, *policy_, policy_version_, *clock_, *random_));
  vault_->set_observer(vault_observer_);
  return absl::OkStatus();
}

absl::StatusOr<PolicyLoadResult> DataDirectory::LoadPolicy(std::string_view toml_text,
                                                           std::string_view source_name,
                                                           std::string_view actor) {
  if (lock_fd_ < 0) {
    return absl::FailedPreconditionError("the data directory was opened read-only");
  }
  ASSIGN_OR_RETURN(policy::Policy next, policy::ParsePolicyText(toml_text, source_name));
  // Data already held was announced under the current joint-use
  // declarations: the new version may not widen them, and changes it makes
  // need prior notice (Art. 27(6)).
  RETURN_IF_ERROR(policy::CheckJointUseChange(*policy_, next));
  ASSIGN_OR_RETURN(std::optional<store::PolicyVersionRow> latest,
                   store_->records().LatestPolicyVersion());
  PolicyLoadResult result;
  std::string sha = PolicySha256(toml_text);
  if (latest && latest->source_sha256 == sha) {
    result.version = latest->version;
    result.unchanged = true;
    result.diff = policy::DiffPolicies(*policy_, next);
    result.summary = "no changes; the current version is kept";
    return result;
  }
  result.version = policy_version_ + 1;
  result.diff = policy::DiffPolicies(*policy_, next);
  result.summary = policy::DiffSummary(result.diff);
  RETURN_IF_ERROR(store_->records().InsertPolicyVersion(
      {result.version, clock_->Now(), sha, std::string(toml_text), std::string(actor)}));
  RETURN_IF_ERROR(OpenVault());
  return result;
}

void DataDirectory::set_vault_observer(VaultObserver* observer) {
  vault_observer_ = observer;
  if (vault_) vault_->set_observer(observer);
}

absl::StatusOr<crypto::SigningKey> DataDirectory::LedgerSigningKey() {
  KeyRing ring(store_->keys(), master_, *random_);
  ASSIGN_OR_RETURN(crypto::SecretKey seed, ring.OperatorKey(kSigningKeyName, /*create=*/false));
  return crypto::SigningKey::FromSeed(seed);
}

}  // namespace mamori::vault
