#include "vault/key_ring.h"

#include <fmt/format.h>

#include "absl/container/flat_hash_set.h"
#include "common/status_macros.h"
#include "crypto/aead.h"

namespace mamori::vault {
namespace {

// Associated data naming each wrapped key's place in the hierarchy, so a
// wrapped key copied to another row does not unwrap.
std::string SubjectKeyAad(std::string_view subject_id) {
  return fmt::format("mamori:subject-key:v1|{}", subject_id);
}
std::string DataKeyAad(const store::DataKeyId& id) {
  return fmt::format("mamori:data-key:v1|{}|{}|{}", id.subject_id, id.category, id.bucket);
}
std::string OperatorKeyAad(std::string_view name) {
  return fmt::format("mamori:operator-key:v1|{}", name);
}
// Makes room for one more key. The caches are bounded: one that grew with
// every subject ever read would hold every key in memory and rehash at each
// doubling, stopping the engine's writer thread for 20 ms past 115k keys,
// 90 ms past 459k, 215 ms past 918k. At the bound it starts over (~8 ms);
// its table is sized once, never grown.
template <typename Map>
void MakeRoom(Map& cache) {
  if (cache.size() >= KeyRing::kMaxCachedKeys) cache.clear();
  if (cache.capacity() < KeyRing::kMaxCachedKeys) cache.reserve(KeyRing::kMaxCachedKeys);
}

void CacheKey(const store::DataKeyId& id, std::string& key) {
  key.clear();
  key.append(id.subject_id).push_back('\x1f');
  key.append(id.category).push_back('\x1f');
  key.append(id.bucket);
}

}  // namespace

absl::StatusOr<const crypto::SecretKey*> KeyRing::SubjectKey(std::string_view subject_id,
                                                             bool create) {
  std::string cache_key(subject_id);
  if (auto it = subject_keys_.find(cache_key); it != subject_keys_.end()) {
    return &it->second;
  }
  ASSIGN_OR_RETURN(std::optional<std::string> wrapped, keys_.GetSubjectKey(subject_id));
  crypto::SecretKey key;
  if (wrapped) {
    ASSIGN_OR_RETURN(key, crypto::UnwrapKey(master_, *wrapped, SubjectKeyAad(subject_id)));
  } else if (create) {
    NewKey created = NewSubjectKey(subject_id);
    RETURN_IF_ERROR(keys_.PutSubjectKey(subject_id, created.wrapped));
    key = created.key;
  } else {
    return absl::NotFoundError("the subject's key does not exist (erased?)");
  }
  MakeRoom(subject_keys_);
  return &subject_keys_.emplace(std::move(cache_key), key).first->second;
}

absl::StatusOr<const crypto::SecretKey*> KeyRing::DataKey(const store::DataKeyId& id, bool create) {
  CacheKey(id, lookup_scratch_);
  if (auto it = data_keys_.find(lookup_scratch_); it != data_keys_.end()) {
    return &it->second;
  }
  std::string cache_key = lookup_scratch_;
  ASSIGN_OR_RETURN(const crypto::SecretKey* subject_key, SubjectKey(id.subject_id, create));
  ASSIGN_OR_RETURN(std::optional<std::string> wrapped, keys_.GetDataKey(id));
  crypto::SecretKey key;
  if (wrapped) {
    ASSIGN_OR_RETURN(key, crypto::UnwrapKey(*subject_key, *wrapped, DataKeyAad(id)));
  } else if (create) {
    NewKey created = NewDataKey(*subject_key, id);
    RETURN_IF_ERROR(keys_.PutDataKey(id, created.wrapped));
    key = created.key;
  } else {
    return absl::NotFoundError("the record's data key does not exist (erased?)");
  }
  MakeRoom(data_keys_);
  return &data_keys_.emplace(std::move(cache_key), key).first->second;
}

KeyRing::NewKey KeyRing::NewSubjectKey(std::string_view subject_id) const {
  crypto::SecretKey key = crypto::SecretKey::Generate(random_);
  std::string wrapped = crypto::WrapKey(master_, key, SubjectKeyAad(subject_id), random_);
  return {key, std::move(wrapped)};
}

KeyRing::NewKey KeyRing::NewDataKey(const crypto::SecretKey& subject_key,
                                    const store::DataKeyId& id) const {
  crypto::SecretKey key = crypto::SecretKey::Generate(random_);
  std::string wrapped = crypto::WrapKey(subject_key, key, DataKeyAad(id), random_);
  return {key, std::move(wrapped)};
}

absl::StatusOr<crypto::SecretKey> KeyRing::OperatorKey(std::string_view name, bool create) {
  ASSIGN_OR_RETURN(std::optional<std::string> wrapped, keys_.GetOperatorKey(name));
  if (wrapped) return crypto::UnwrapKey(master_, *wrapped, OperatorKeyAad(name));
  if (!create) return absl::NotFoundError(fmt::format("operator key {} does not exist", name));
  crypto::SecretKey key = crypto::SecretKey::Generate(random_);
  RETURN_IF_ERROR(StoreOperatorKey(name, key));
  return key;
}

absl::Status KeyRing::StoreOperatorKey(std::string_view name, const crypto::SecretKey& key) {
  return keys_.PutOperatorKey(name, crypto::WrapKey(master_, key, OperatorKeyAad(name), random_));
}

void KeyRing::EvictAll() {
  // Not clear(): past a small size it frees the table, and MakeRoom would
  // allocate and initialise the full-size table again for the next key.
  absl::erase_if(subject_keys_, [](const auto&) { return true; });
  absl::erase_if(data_keys_, [](const auto&) { return true; });
}

void KeyRing::Evict(std::span<const store::DataKeyId> data_keys,
                    std::span<const std::string> subjects) {
  for (const store::DataKeyId& id : data_keys) {
    CacheKey(id, lookup_scratch_);
    data_keys_.erase(lookup_scratch_);
  }
  if (subjects.empty()) return;
  absl::flat_hash_set<std::string_view> gone;
  for (const std::string& subject : subjects) {
    subject_keys_.erase(subject);
    gone.insert(subject);
  }
  // Cached data keys are named "subject\x1f...": one pass over them.
  absl::erase_if(data_keys_, [&](const auto& entry) {
    const std::string_view name = entry.first;
    return gone.contains(name.substr(0, name.find('\x1f')));
  });
}

}  // namespace mamori::vault
