// ReaderPool: read-only store connections, each with a key ring of its own,
// lent to callers so that the vault reads of a use (the subject's records
// and their data keys) run on the caller's thread, beside the single writer
// (DESIGN.md, "One writer"), instead of on it.
//
// A reader sees only committed data, so it never caches a key that a
// rolled-back batch made. Keys it cached may be destroyed later (erasure):
// whoever destroys keys calls ForgetKeys(), every reader drops its cached
// keys before its next use, and the writer, which compares key_epoch()
// before trusting keys fetched by a reader, fetches them again itself.
//
//   ASSIGN_OR_RETURN(ReaderPool::Lease reader, pool.Acquire());
//   ASSIGN_OR_RETURN(auto rows, reader->store->ListRecords(subject, categories));
//
// Thread-safety: Acquire, ForgetKeys and key_epoch are thread-safe; a lease
// is used by one thread at a time. At most `max_readers` readers exist;
// Acquire waits for a free one beyond that.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "common/random.h"
#include "crypto/secret_key.h"
#include "store/store.h"
#include "vault/key_ring.h"

namespace mamori::engine {

class ReaderPool {
 public:
  struct Reader {
    std::unique_ptr<store::StoreReader> store;
    std::unique_ptr<vault::KeyRing> keys;
    uint64_t epoch = 0;  // key_epoch() when its cache was last valid
  };

  // Gives a reader back to its pool when it goes out of scope.
  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<Reader> reader)
        : pool_(pool), reader_(std::move(reader)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&& other) noexcept {
      if (this != &other) {
        if (reader_ != nullptr) pool_->Return(std::move(reader_));
        pool_ = other.pool_;
        reader_ = std::move(other.reader_);
      }
      return *this;
    }
    ~Lease() {
      if (reader_ != nullptr) pool_->Return(std::move(reader_));
    }
    Reader* operator->() const { return reader_.get(); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Reader> reader_;
  };

  ReaderPool(store::Store& store, const crypto::SecretKey& master, common::RandomSource& random,
             size_t max_readers);

  // A free reader, opening one while fewer than max_readers exist.
  absl::StatusOr<Lease> Acquire();

  // Makes every reader forget its cached keys (after keys were destroyed).
  void ForgetKeys() { epoch_.fetch_add(1, std::memory_order_acq_rel); }
  uint64_t key_epoch() const { return epoch_.load(std::memory_order_acquire); }

 private:
  void Return(std::unique_ptr<Reader> reader);

  store::Store& store_;
  crypto::SecretKey master_;
  common::RandomSource& random_;
  const size_t max_readers_;
  std::atomic<uint64_t> epoch_{0};

  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Reader>> idle_;
  size_t opened_ = 0;
};

}  // namespace mamori::engine
