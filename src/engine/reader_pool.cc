#include "engine/reader_pool.h"

#include <utility>

namespace mamori::engine {

ReaderPool::ReaderPool(store::Store& store, const crypto::SecretKey& master,
                       common::RandomSource& random, size_t max_readers)
    : store_(store), master_(master), random_(random), max_readers_(max_readers) {}

absl::StatusOr<ReaderPool::Lease> ReaderPool::Acquire() {
  std::unique_ptr<Reader> reader;
  {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [&] { return !idle_.empty() || opened_ < max_readers_; });
    if (!idle_.empty()) {
      reader = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++opened_;
    }
  }
  if (reader == nullptr) {
    // Opened outside the lock: opening connections takes a while.
    absl::StatusOr<std::unique_ptr<store::StoreReader>> opened = store_.OpenReader();
    if (!opened.ok()) {
      std::lock_guard lock(mutex_);
      --opened_;
      returned_.notify_one();
      return opened.status();
    }
    reader = std::make_unique<Reader>();
    reader->store = *std::move(opened);
    reader->keys = std::make_unique<vault::KeyRing>(reader->store->keys(), master_, random_);
    reader->epoch = key_epoch();
  }
  if (reader->epoch != key_epoch()) CatchUp(*reader);
  return Lease(this, std::move(reader));
}

void ReaderPool::CatchUp(Reader& reader) {
  std::lock_guard lock(forgotten_mutex_);
  const uint64_t now = key_epoch();
  if (forgotten_.empty() || forgotten_.front().epoch > reader.epoch + 1) {
    reader.keys->EvictAll();  // too far behind to know what went
  } else {
    for (const Forgotten& f : forgotten_) {
      if (f.epoch > reader.epoch) reader.keys->Evict(f.data_keys, f.erased_subjects);
    }
  }
  reader.epoch = now;
}

void ReaderPool::ForgetKeys(std::vector<store::DataKeyId> data_keys,
                            std::vector<std::string> subjects) {
  absl::flat_hash_set<std::string> changed(subjects.begin(), subjects.end());
  for (const store::DataKeyId& key : data_keys) changed.insert(key.subject_id);
  Forgotten f;
  f.data_keys = std::move(data_keys);
  f.erased_subjects = std::move(subjects);
  std::lock_guard lock(forgotten_mutex_);
  f.epoch = key_epoch() + 1;
  changed_.Add(f.epoch, f.epoch, std::move(changed));
  forgotten_.push_back(std::move(f));
  if (forgotten_.size() > kForgottenKept) forgotten_.pop_front();
  epoch_.store(forgotten_.back().epoch, std::memory_order_release);
}

bool ReaderPool::SubjectChangedSince(std::string_view subject, uint64_t epoch) const {
  if (epoch == key_epoch()) return false;
  std::lock_guard lock(forgotten_mutex_);
  return changed_.ChangedSince(subject, epoch);
}

void ReaderPool::Return(std::unique_ptr<Reader> reader) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(reader));
  returned_.notify_one();
}

}  // namespace mamori::engine
