// ReaderPool: read-only store connections, each with a key ring of its own,
// lent to callers so that the vault reads of a use (the subject's records
// and their data keys) run on the caller's thread, beside the single writer
// (DESIGN.md, "One writer"), instead of on it.
//
// A reader sees only committed data, so it never caches a key that a
// rolled-back batch made. Keys it cached may be destroyed later (erasure):
// once the batch that destroyed them commits, the writer calls ForgetKeys()
// with them; every reader drops those keys before its next use, and the
// writer, which asks SubjectChangedSince() before trusting what a reader
// prepared for a subject, reads that subject again itself. Only the
// subjects concerned are affected: a sweep destroying keys every few
// milliseconds leaves the other reads prepared off the writer.
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
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "common/random.h"
#include "crypto/secret_key.h"
#include "engine/subject_history.h"
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

  // Makes every reader forget these keys before its next use: `data_keys`,
  // and every key of `subjects` (erased persons). Call it after the batch
  // that destroyed them committed.
  void ForgetKeys(std::vector<store::DataKeyId> data_keys, std::vector<std::string> subjects);
  uint64_t key_epoch() const { return epoch_.load(std::memory_order_acquire); }
  // Whether keys of `subject` were forgotten after `epoch`; true also when
  // `epoch` is too old to tell.
  bool SubjectChangedSince(std::string_view subject, uint64_t epoch) const;

 private:
  // One ForgetKeys() call, kept for readers (and prepared uses) still at an
  // earlier epoch.
  struct Forgotten {
    uint64_t epoch = 0;
    std::vector<store::DataKeyId> data_keys;
    std::vector<std::string> erased_subjects;
  };
  // How many calls are kept: a reader or prepared use further behind
  // forgets (or is refused) everything.
  static constexpr size_t kForgottenKept = 1024;

  void Return(std::unique_ptr<Reader> reader);
  // Brings `reader`'s key cache up to the current epoch.
  void CatchUp(Reader& reader);

  store::Store& store_;
  crypto::SecretKey master_;
  common::RandomSource& random_;
  const size_t max_readers_;
  std::atomic<uint64_t> epoch_{0};
  mutable std::mutex forgotten_mutex_;      // guards forgotten_ and changed_; epoch_ moves under it
  std::deque<Forgotten> forgotten_;         // oldest first
  SubjectHistory changed_{kForgottenKept};  // the subjects of each, by epoch

  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Reader>> idle_;
  size_t opened_ = 0;
};

}  // namespace mamori::engine
