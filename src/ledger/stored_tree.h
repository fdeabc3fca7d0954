// StoredTree: the ledger's Merkle tree as kept in the store. Each entry's
// row holds its leaf hash and the hashes of the complete subtrees that end
// at it (store::LedgerEntryRow::nodes), so no node is ever recomputed from
// the leaves: appending costs one node hash on average, and a proof reads
// O(log n) nodes. The levels from kCachedLevel up are cached in memory,
// loaded on the first proof (one row per 2^kCachedLevel entries), so a proof
// at 10M entries reads at most kCachedLevel rows.
//
//   ASSIGN_OR_RETURN(auto tree, StoredTree::Open(store.ledger()));
//   store::LedgerEntryRow row = tree->Append(entry_bytes);   // then store it
//   Hash root = tree->Root();
//   ASSIGN_OR_RETURN(auto path, InclusionProofOf(*tree, 5, tree->size()));
//
// Thread-safety: not thread-safe; the single writer owns it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/merkle.h"
#include "store/store.h"

namespace mamori::ledger {

// The frontier of the first `size` stored leaves: frontier[l] is the hash of
// the complete subtree of 2^l leaves on their right edge when bit l of `size`
// is set (as RootOfFrontier takes it), read from the row of that subtree's
// last leaf (one row per set bit). Not recomputed: what the rows hold.
// DataLoss when a row it needs is missing or malformed.
absl::StatusOr<std::array<Hash, 64>> ReadFrontier(store::LedgerStore& store, uint64_t size);

class StoredTree final : public SubtreeSource {
 public:
  // Levels at and above this one are cached in memory.
  static constexpr int kCachedLevel = 6;

  // Reads the right edge of the stored tree (O(log n) rows). DataLoss when a
  // row it needs is missing or malformed.
  static absl::StatusOr<std::unique_ptr<StoredTree>> Open(store::LedgerStore& store);

  uint64_t size() const override { return size_; }
  absl::StatusOr<Hash> Node(int level, uint64_t index) const override;

  // Hashes `entry` as leaf size() and returns its row (seq, entry, leaf
  // hash, completed nodes) for the caller to store.
  store::LedgerEntryRow Append(std::string entry);

  // The root of all size() leaves; O(log n) node hashes, no store access.
  Hash Root() const;

  // The in-memory state at a point, to return to when the rows appended
  // since are rolled back.
  struct Mark {
    uint64_t size = 0;
    std::array<Hash, 64> frontier{};
  };
  Mark mark() const { return {size_, frontier_}; }
  void RollbackTo(const Mark& mark);

 private:
  explicit StoredTree(store::LedgerStore& store) : store_(store) {}
  absl::Status LoadCache() const;

  store::LedgerStore& store_;
  uint64_t size_ = 0;
  // frontier_[l] is the hash of the complete subtree of 2^l leaves on the
  // right edge when bit l of size_ is set.
  std::array<Hash, 64> frontier_{};
  // cache_[l - kCachedLevel][j] = Node(l, j), once loaded.
  mutable bool cache_loaded_ = false;
  mutable std::vector<std::vector<Hash>> cache_;
};

}  // namespace mamori::ledger
