// RecordCache: the records (metadata and sealed values, never plaintext) of
// recently used subjects, by category, so that a use's records are found
// without a store read. SQLite discards a reader's page cache whenever the
// writer commits, which under load is every batch, so without this cache
// each audited read would read its B-tree pages again.
//
// Correctness rests on one rule: the writer invalidates a subject after the
// commit that changed its records (added, erased) and before it
// acknowledges anything, and a reader caches what it read only when no
// invalidation happened since before its read began (generation()). So
// once a change is acknowledged, no reader finds what it replaced. A use
// prepared before an invalidation but decided after it, in a later batch,
// may still hold what was replaced: the writer asks ChangedSince() and
// reads such a subject again, so that a use sees the records its subject
// had at its place in the ledger.
//
//   const uint64_t seen = cache.generation();
//   ... read the rows from a store snapshot ...
//   cache.Insert(seen, subject, categories, rows);
//
// Thread-safety: thread-safe (sharded mutexes).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "engine/subject_history.h"
#include "store/store.h"

namespace mamori::engine {

class RecordCache {
 public:
  // One category's records of one subject, in insertion order.
  using Rows = std::shared_ptr<const std::vector<store::RecordRow>>;

  // Holds at most about `max_subjects` subjects (evicting arbitrary ones).
  explicit RecordCache(size_t max_subjects);

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // The rows of each category (in the order given), when every one is
  // cached (else `rows` is left empty); a cached subject exists.
  bool Find(std::string_view subject, std::span<const std::string> categories,
            std::vector<Rows>& rows) const;

  // Caches the rows of `categories` (rows[i] for categories[i]) of an
  // existing subject, read from a snapshot taken after generation()
  // returned `seen`; does nothing when anything was invalidated since.
  void Insert(uint64_t seen, std::string_view subject, std::span<const std::string> categories,
              std::vector<Rows> rows);

  // Forgets subjects (after a commit that changed their records).
  void Invalidate(absl::flat_hash_set<std::string> subjects);
  void Invalidate(std::string_view subject);
  // Whether `subject` was invalidated after generation() returned `seen`;
  // true also when `seen` is too old to tell.
  bool ChangedSince(std::string_view subject, uint64_t seen) const;
  // Forgets everything (after a failed commit).
  void Clear();

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mutex;
    // subject id -> category -> rows
    absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, Rows>> subjects;
  };
  Shard& ShardOf(std::string_view subject) const;

  // How many Invalidate() calls ChangedSince() knows of: uses prepared
  // further back are read again.
  static constexpr size_t kInvalidationsKept = 1024;

  const size_t max_per_shard_;
  // Moves under history_mutex_ (and the shards' locks of what it removes).
  std::atomic<uint64_t> generation_{0};
  mutable std::mutex history_mutex_;
  SubjectHistory history_{kInvalidationsKept};  // by generation
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace mamori::engine
