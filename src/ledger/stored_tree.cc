#include "ledger/stored_tree.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

#include "common/status_macros.h"

namespace mamori::ledger {
namespace {

constexpr size_t kHashSize = sizeof(Hash);

absl::Status Corrupt(uint64_t seq, std::string_view what) {
  return absl::DataLossError(fmt::format("ledger entry {}: {}", seq, what));
}

Hash HashAt(const std::string& bytes, size_t offset) {
  Hash h;
  std::memcpy(h.data(), bytes.data() + offset, kHashSize);
  return h;
}

// The number of complete subtrees (above the leaf) that end at leaf `seq`.
int CompletedLevels(uint64_t seq) { return std::countr_one(seq); }

// Node (level, index) from the row of its last leaf.
absl::StatusOr<Hash> NodeFromRow(const store::LedgerEntryRow& row, int level) {
  if (level == 0) {
    if (row.leaf_hash.size() != kHashSize) return Corrupt(row.seq, "leaf hash is malformed");
    return HashAt(row.leaf_hash, 0);
  }
  const size_t offset = static_cast<size_t>(level - 1) * kHashSize;
  if (row.nodes.size() < offset + kHashSize) return Corrupt(row.seq, "stored nodes are missing");
  return HashAt(row.nodes, offset);
}

// Node (level, index) from the row of its last leaf.
absl::StatusOr<Hash> ReadStoredNode(store::LedgerStore& store, int level, uint64_t index) {
  const uint64_t last_leaf = ((index + 1) << level) - 1;
  ASSIGN_OR_RETURN(std::optional<store::LedgerEntryRow> row,
                   store.GetEntry(static_cast<int64_t>(last_leaf)));
  if (!row) return Corrupt(last_leaf, "missing");
  return NodeFromRow(*row, level);
}

}  // namespace

absl::StatusOr<std::array<Hash, 64>> ReadFrontier(store::LedgerStore& store, uint64_t size) {
  std::array<Hash, 64> frontier{};
  // Bit l of size set: the subtree of 2^l leaves ending at the leaves before
  // the next lower set bits is complete; its hash is in its last leaf's row.
  uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((size & width) == 0) continue;
    ASSIGN_OR_RETURN(frontier[static_cast<size_t>(level)],
                     ReadStoredNode(store, level, begin >> level));
    begin += width;
  }
  return frontier;
}

absl::StatusOr<std::unique_ptr<StoredTree>> StoredTree::Open(store::LedgerStore& store) {
  auto tree = std::unique_ptr<StoredTree>(new StoredTree(store));
  ASSIGN_OR_RETURN(int64_t count, store.CountEntries());
  tree->size_ = static_cast<uint64_t>(count);
  ASSIGN_OR_RETURN(tree->frontier_, ReadFrontier(store, tree->size_));
  return tree;
}

absl::StatusOr<Hash> StoredTree::Node(int level, uint64_t index) const {
  // Checked before shifting: a level outside [0, 63) or an index whose
  // subtree ends past size_ names no stored node.
  if (level < 0 || level >= 63 || index >= (size_ >> level) ||
      ((index + 1) << level) - 1 >= size_) {
    return absl::OutOfRangeError(
        fmt::format("no complete subtree at level {} index {} in {} leaves", level, index, size_));
  }
  if (level >= kCachedLevel) {
    if (!cache_loaded_) RETURN_IF_ERROR(LoadCache());
    return cache_[static_cast<size_t>(level - kCachedLevel)][index];
  }
  return ReadStoredNode(store_, level, index);
}

absl::Status StoredTree::LoadCache() const {
  std::vector<std::vector<Hash>> cache;
  const uint64_t stride = uint64_t{1} << kCachedLevel;
  for (uint64_t last = stride - 1; last < size_; last += stride) {
    ASSIGN_OR_RETURN(std::optional<store::LedgerEntryRow> row,
                     store_.GetEntry(static_cast<int64_t>(last)));
    if (!row) return Corrupt(last, "missing");
    const int levels = CompletedLevels(last);
    for (int level = kCachedLevel; level <= levels; ++level) {
      ASSIGN_OR_RETURN(Hash h, NodeFromRow(*row, level));
      const size_t slot = static_cast<size_t>(level - kCachedLevel);
      if (cache.size() <= slot) cache.resize(slot + 1);
      cache[slot].push_back(h);
    }
  }
  cache_ = std::move(cache);
  cache_loaded_ = true;
  return absl::OkStatus();
}

store::LedgerEntryRow StoredTree::Append(std::string entry) {
  store::LedgerEntryRow row;
  row.seq = static_cast<int64_t>(size_);
  const Hash leaf = LeafHash(entry);
  row.entry = std::move(entry);
  row.leaf_hash.assign(reinterpret_cast<const char*>(leaf.data()), kHashSize);
  // Leaf n completes one subtree per trailing one bit of n: fold it into
  // the frontier's subtrees of those sizes.
  const int completed = CompletedLevels(size_);
  row.nodes.reserve(static_cast<size_t>(completed) * kHashSize);
  Hash node = leaf;
  for (int level = 0; level < completed; ++level) {
    node = NodeHash(frontier_[static_cast<size_t>(level)], node);
    row.nodes.append(reinterpret_cast<const char*>(node.data()), kHashSize);
    if (cache_loaded_ && level + 1 >= kCachedLevel) {
      const size_t slot = static_cast<size_t>(level + 1 - kCachedLevel);
      if (cache_.size() <= slot) cache_.resize(slot + 1);
      cache_[slot].push_back(node);
    }
  }
  frontier_[static_cast<size_t>(completed)] = node;
  ++size_;
  return row;
}

Hash StoredTree::Root() const { return RootOfFrontier(frontier_, size_); }

void StoredTree::RollbackTo(const Mark& mark) {
  size_ = mark.size;
  frontier_ = mark.frontier;
  if (cache_loaded_) {
    for (size_t slot = 0; slot < cache_.size(); ++slot) {
      const uint64_t keep = size_ >> (slot + kCachedLevel);
      if (cache_[slot].size() > keep) cache_[slot].resize(keep);
    }
  }
}

}  // namespace mamori::ledger
