#include "ledger/verify.h"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <cstring>

#include "common/status_macros.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"

namespace mamori::ledger {
namespace {

constexpr size_t kHashSize = sizeof(Hash);

bool SameBytes(const Hash& hash, std::string_view bytes, size_t offset) {
  return bytes.size() >= offset + kHashSize &&
         std::memcmp(hash.data(), bytes.data() + offset, kHashSize) == 0;
}

// Recomputes the tree from the leaves in order, as an auditor would: a
// frontier of complete subtrees, one node hash per leaf on average.
class Recomputation {
 public:
  uint64_t size() const { return size_; }

  // Adds the next leaf; writes the hashes of the subtrees it completes
  // (level 1 upward) to `nodes`.
  void Append(const Hash& leaf, std::string& nodes) {
    nodes.clear();
    const int completed = std::countr_one(size_);
    Hash node = leaf;
    for (int level = 0; level < completed; ++level) {
      node = NodeHash(frontier_[static_cast<size_t>(level)], node);
      nodes.append(reinterpret_cast<const char*>(node.data()), kHashSize);
    }
    frontier_[static_cast<size_t>(completed)] = node;
    ++size_;
  }

  Hash Root() const {
    if (size_ == 0) return EmptyTreeRoot();
    int level = std::countr_zero(size_);
    Hash root = frontier_[static_cast<size_t>(level)];
    for (++level; level < 64; ++level) {
      if ((size_ >> level & 1) != 0) root = NodeHash(frontier_[static_cast<size_t>(level)], root);
    }
    return root;
  }

 private:
  uint64_t size_ = 0;
  std::array<Hash, 64> frontier_{};
};

VerifyReport Fail(VerifyReport report, std::optional<uint64_t> entry, std::string problem) {
  report.ok = false;
  report.first_bad_entry = entry;
  report.problem = std::move(problem);
  return report;
}

}  // namespace

absl::StatusOr<VerifyReport> VerifyLedger(store::LedgerStore& store, std::string_view public_key,
                                          const VerifyProgress& progress) {
  VerifyReport report;
  ASSIGN_OR_RETURN(std::vector<store::TreeHeadRow> head_rows, store.ListTreeHeads());
  std::vector<TreeHead> heads;
  heads.reserve(head_rows.size());
  for (const store::TreeHeadRow& row : head_rows) {
    absl::StatusOr<TreeHead> head = TreeHeadFromRow(row);
    if (!head.ok()) {
      report.bad_tree_head = static_cast<uint64_t>(std::max<int64_t>(row.tree_size, 0));
      return Fail(report, std::nullopt, std::string(head.status().message()));
    }
    heads.push_back(*std::move(head));
  }
  ASSIGN_OR_RETURN(int64_t count, store.CountEntries());
  const uint64_t total = static_cast<uint64_t>(count);

  Recomputation tree;
  size_t next_head = 0;
  uint64_t last_verified_size = 0;
  std::string nodes;
  std::optional<VerifyReport> failure;

  // Checks every head whose size the recomputation has reached.
  auto check_heads = [&]() -> bool {
    while (next_head < heads.size() && heads[next_head].tree_size == tree.size()) {
      const TreeHead& head = heads[next_head];
      if (!VerifyTreeHead(public_key, head)) {
        report.bad_tree_head = head.tree_size;
        failure = Fail(report, std::nullopt,
                       fmt::format("tree head of size {}: the signature does not verify with "
                                   "this public key",
                                   head.tree_size));
        return false;
      }
      if (head.root_hash != tree.Root()) {
        report.bad_tree_head = head.tree_size;
        failure = Fail(report, last_verified_size,
                       fmt::format("tree head of size {}: its signed root does not match the "
                                   "entries; an entry from {} to {} was changed, added or removed",
                                   head.tree_size, last_verified_size, head.tree_size - 1));
        return false;
      }
      last_verified_size = head.tree_size;
      ++report.tree_heads;
      ++next_head;
    }
    return true;
  };

  if (!check_heads()) return *failure;
  absl::Status scanned = store.ScanEntries(0, count, [&](const store::LedgerEntryRow& row) {
    const uint64_t expected = tree.size();
    if (row.seq != static_cast<int64_t>(expected)) {
      failure = Fail(report, expected, fmt::format("entry {} is missing", expected));
      return absl::CancelledError();
    }
    const Hash leaf = LeafHash(row.entry);
    if (!SameBytes(leaf, row.leaf_hash, 0) || row.leaf_hash.size() != kHashSize) {
      failure = Fail(report, expected,
                     fmt::format("entry {}: its content does not match its leaf hash", expected));
      return absl::CancelledError();
    }
    tree.Append(leaf, nodes);
    if (nodes != row.nodes) {
      // The first stored node that differs names the subtree that changed.
      int level = 1;
      while (static_cast<size_t>(level) * kHashSize <= nodes.size() &&
             SameBytes(*reinterpret_cast<const Hash*>(nodes.data() + (level - 1) * kHashSize),
                       row.nodes, static_cast<size_t>(level - 1) * kHashSize)) {
        ++level;
      }
      if (static_cast<size_t>(level - 1) * kHashSize >= nodes.size()) {
        // Every node the entry completes matches: the row holds more than them
        // (as a row moved from a later seq does).
        failure =
            Fail(report, expected,
                 fmt::format("entry {}: its row holds more Merkle nodes than it completes; an "
                             "entry was added, removed or moved",
                             expected));
        return absl::CancelledError();
      }
      const uint64_t first = expected + 1 - (uint64_t{1} << level);
      failure = Fail(report, first,
                     fmt::format("entries {} to {}: the stored Merkle node (level {}) does not "
                                 "match their hashes; an entry was changed, added, removed or "
                                 "moved",
                                 first, expected, level));
      return absl::CancelledError();
    }
    ++report.entries;
    if (progress && (report.entries & 0xffff) == 0) progress(report.entries, total);
    if (!check_heads()) return absl::CancelledError();
    return absl::OkStatus();
  });
  if (failure) return *failure;
  RETURN_IF_ERROR(scanned);
  if (progress) progress(report.entries, total);

  if (next_head < heads.size()) {
    report.bad_tree_head = heads[next_head].tree_size;
    return Fail(
        report, tree.size(),
        fmt::format("entries {} to {} are missing: the signed tree head of size {} "
                    "covers them",
                    tree.size(), heads[next_head].tree_size - 1, heads[next_head].tree_size));
  }
  if (!heads.empty()) report.latest_head = heads.back();
  report.unsigned_entries = tree.size() - last_verified_size;
  return report;
}

nlohmann::json VerifyReportToJson(const VerifyReport& report) {
  nlohmann::json j = {{"ok", report.ok},
                      {"entries", report.entries},
                      {"tree_heads", report.tree_heads},
                      {"unsigned_entries", report.unsigned_entries},
                      {"latest_head", nullptr},
                      {"first_bad_entry", nullptr},
                      {"bad_tree_head", nullptr},
                      {"problem", report.problem}};
  if (report.latest_head) j["latest_head"] = TreeHeadToJson(*report.latest_head);
  if (report.first_bad_entry) j["first_bad_entry"] = *report.first_bad_entry;
  if (report.bad_tree_head) j["bad_tree_head"] = *report.bad_tree_head;
  return j;
}

}  // namespace mamori::ledger
