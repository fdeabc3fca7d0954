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
  if (const uint64_t epoch = key_epoch(); reader->epoch != epoch) {
    reader->keys->EvictAll();
    reader->epoch = epoch;
  }
  return Lease(this, std::move(reader));
}

void ReaderPool::Return(std::unique_ptr<Reader> reader) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(reader));
  returned_.notify_one();
}

}  // namespace mamori::engine
