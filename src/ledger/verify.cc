#include "ledger/verify.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status_macros.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/stored_tree.h"

namespace mamori::ledger {
namespace {

constexpr size_t kHashSize = sizeof(Hash);

bool SameBytes(const Hash& hash, std::string_view bytes, size_t offset) {
  return bytes.size() >= offset + kHashSize &&
         std::memcmp(hash.data(), bytes.data() + offset, kHashSize) == 0;
}

// Entries are checked in chunks of kChunkSize rows, aligned on multiples of
// it. Hashing a chunk (its leaf hashes and the Merkle nodes of the subtrees
// inside it, levels below kChunkLevels) needs nothing from other chunks, so
// worker threads do it while the calling thread reads the next rows; the
// calling thread then checks the chunk's entries in order, hashing only the
// nodes above the chunk (one per chunk on average). The report is the one a
// check of one entry at a time would give.
constexpr int kChunkLevels = 10;
constexpr size_t kChunkSize = size_t{1} << kChunkLevels;

struct Chunk {
  uint64_t first = 0;  // the seq rows[0] should have
  size_t size = 0;
  std::vector<store::LedgerEntryRow> rows = std::vector<store::LedgerEntryRow>(kChunkSize);
  std::vector<Hash> leaves = std::vector<Hash>(kChunkSize);
  // For each entry: the nodes it completes inside the chunk (level 1 up to
  // kChunkLevels), and the last of them (the leaf when there is none).
  std::vector<std::string> nodes = std::vector<std::string>(kChunkSize);
  std::vector<Hash> tops = std::vector<Hash>(kChunkSize);
  bool hashed = false;  // guarded by the verification's mutex
};

// The worker threads' part: everything that depends on the chunk alone.
void HashChunk(Chunk& chunk) {
  // frontier[l]: the latest complete subtree of 2^l leaves inside the chunk.
  std::array<Hash, kChunkLevels> frontier{};
  for (size_t k = 0; k < chunk.size; ++k) {
    const Hash leaf = LeafHash(chunk.rows[k].entry);
    chunk.leaves[k] = leaf;
    std::string& nodes = chunk.nodes[k];
    nodes.clear();
    const int levels = std::min(std::countr_one(chunk.first + k), kChunkLevels);
    Hash node = leaf;
    for (int level = 0; level < levels; ++level) {
      node = NodeHash(frontier[static_cast<size_t>(level)], node);
      nodes.append(reinterpret_cast<const char*>(node.data()), kHashSize);
    }
    if (levels < kChunkLevels) frontier[static_cast<size_t>(levels)] = node;
    chunk.tops[k] = node;
  }
}

// Recomputes the tree from the leaves in order, as an auditor would: a
// frontier of complete subtrees, one node hash per leaf on average.
class Recomputation {
 public:
  // Continues a tree of `size` leaves from its frontier (as RootOfFrontier
  // takes it).
  Recomputation(uint64_t size, const std::array<Hash, 64>& frontier)
      : size_(size), frontier_(frontier) {}

  uint64_t size() const { return size_; }

  // Adds the next leaf, given what HashChunk computed for it: `top` and the
  // nodes it completes inside its chunk. Appends to `nodes` the hashes of the
  // subtrees it completes above the chunk.
  void Append(const Hash& top, std::string& nodes) {
    const int completed = std::countr_one(size_);
    Hash node = top;
    for (int level = kChunkLevels; level < completed; ++level) {
      node = NodeHash(frontier_[static_cast<size_t>(level)], node);
      nodes.append(reinterpret_cast<const char*>(node.data()), kHashSize);
    }
    frontier_[static_cast<size_t>(completed)] = node;
    ++size_;
  }

  Hash Root() const { return RootOfFrontier(frontier_, size_); }

 private:
  uint64_t size_ = 0;
  std::array<Hash, 64> frontier_{};
};

// Threads that run tasks in the order they are submitted. Tasks not started
// when it is destroyed are dropped; running ones are waited for.
class Workers {
 public:
  explicit Workers(unsigned count) {
    for (unsigned i = 0; i < count; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~Workers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      queue_.clear();
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  void Submit(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(task));
    }
    wake_.notify_one();
  }

 private:
  void Run() {
    while (true) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
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
  return VerifyLedgerFrom(store, public_key, VerifiedPoint{}, progress);
}

absl::StatusOr<VerifyReport> VerifyLedgerFrom(store::LedgerStore& store,
                                              std::string_view public_key,
                                              const VerifiedPoint& start,
                                              const VerifyProgress& progress) {
  VerifyReport report;
  report.verified_from = start.tree_size;
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

  // From a verified head: the scan starts at the chunk boundary at or before
  // it, from the stored frontier at that boundary (the stored nodes of the
  // complete subtrees before it); the root recomputed at the head's size
  // must be the verified root, so those stored nodes (and the entries from
  // the boundary on) are checked against it.
  const uint64_t boundary = start.tree_size / kChunkSize * kChunkSize;
  std::array<Hash, 64> frontier{};
  size_t next_head = 0;
  const auto no_longer_matches = [&](std::string_view why) {
    report.bad_tree_head = start.tree_size;
    return Fail(report, std::nullopt,
                fmt::format("the ledger before entry {} no longer matches the verified head of "
                            "size {}: {}",
                            start.tree_size, start.tree_size, why));
  };
  if (start.tree_size > 0) {
    auto head = std::find_if(heads.begin(), heads.end(),
                             [&](const TreeHead& h) { return h.tree_size == start.tree_size; });
    if (head == heads.end() || start.root_hash.size() != kHashSize ||
        !SameBytes(head->root_hash, start.root_hash, 0)) {
      report.bad_tree_head = start.tree_size;
      return Fail(report, std::nullopt,
                  fmt::format("the verified tree head of size {} is no longer stored as it was "
                              "verified",
                              start.tree_size));
    }
    if (start.tree_size > total) {
      return Fail(report, total, fmt::format("entries from {} are missing", total));
    }
    absl::StatusOr<std::array<Hash, 64>> stored = ReadFrontier(store, boundary);
    if (absl::IsDataLoss(stored.status())) {
      return no_longer_matches(std::string(stored.status().message()));
    }
    RETURN_IF_ERROR(stored.status());
    frontier = *stored;
    // Heads before the boundary were checked by the verification that
    // ended at `start`.
    while (next_head < heads.size() && heads[next_head].tree_size < boundary) ++next_head;
  }
  Recomputation tree(boundary, frontier);
  // The entries the report counts: those after the verified head.
  const uint64_t to_check = total - start.tree_size;
  uint64_t last_verified_size = boundary;
  std::optional<VerifyReport> failure;

  // Shared with the workers, under `mutex`: which chunks are hashed and which
  // heads' signatures are checked.
  std::mutex mutex;
  std::condition_variable done;
  enum : uint8_t { kUnchecked, kGoodSignature, kBadSignature };
  std::vector<uint8_t> signatures(heads.size(), kUnchecked);
  // Chunks being hashed or waiting to be checked, oldest first; at most
  // max_in_flight of them.
  std::deque<std::unique_ptr<Chunk>> in_flight;
  std::vector<std::unique_ptr<Chunk>> spare;
  // One worker per core (up to 8, and no more than there are chunks).
  const uint64_t chunks = (total + kChunkSize - 1) / kChunkSize;
  const unsigned threads = static_cast<unsigned>(
      std::clamp<uint64_t>(std::min<uint64_t>(std::thread::hardware_concurrency(), chunks), 1, 8));
  const size_t max_in_flight = 2 * static_cast<size_t>(threads) + 2;
  // Last, so that it stops before what its tasks use goes away.
  Workers workers(threads);

  // Hands the signatures of the heads up to `size` entries to the workers,
  // in batches.
  size_t next_signature = next_head;
  auto check_signatures_up_to = [&](uint64_t size) {
    constexpr size_t kBatch = 32;
    while (next_signature < heads.size() && heads[next_signature].tree_size <= size) {
      const size_t begin = next_signature;
      while (next_signature < heads.size() && next_signature - begin < kBatch &&
             heads[next_signature].tree_size <= size) {
        ++next_signature;
      }
      workers.Submit([&, begin, end = next_signature] {
        std::vector<uint8_t> results;
        for (size_t i = begin; i < end; ++i) {
          results.push_back(VerifyTreeHead(public_key, heads[i]) ? kGoodSignature : kBadSignature);
        }
        {
          std::lock_guard<std::mutex> lock(mutex);
          std::copy(results.begin(), results.end(), signatures.begin() + begin);
        }
        done.notify_all();
      });
    }
  };
  auto signature_ok = [&](size_t head) {
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [&] { return signatures[head] != kUnchecked; });
    return signatures[head] == kGoodSignature;
  };

  // Checks every head whose size the recomputation has reached.
  auto check_heads = [&]() -> bool {
    while (next_head < heads.size() && heads[next_head].tree_size == tree.size()) {
      const TreeHead& head = heads[next_head];
      if (!signature_ok(next_head)) {
        report.bad_tree_head = head.tree_size;
        failure = Fail(report, std::nullopt,
                       fmt::format("tree head of size {}: the signature does not verify with "
                                   "this public key",
                                   head.tree_size));
        return false;
      }
      if (head.root_hash != tree.Root()) {
        if (head.tree_size <= start.tree_size) {
          // A head the earlier verification checked (from the boundary to the
          // start). The entries from the boundary were rehashed and their
          // stored nodes matched: a stored node before the boundary, or
          // entries from it with their stored hashes, were rewritten.
          failure = no_longer_matches(
              "a stored Merkle node covering older entries, or an entry with its stored hashes, "
              "was changed");
          return false;
        }
        report.bad_tree_head = head.tree_size;
        failure = Fail(report, last_verified_size,
                       fmt::format("tree head of size {}: its signed root does not match the "
                                   "entries; an entry from {} to {} was changed, added or removed",
                                   head.tree_size, last_verified_size, head.tree_size - 1));
        return false;
      }
      last_verified_size = head.tree_size;
      if (start.tree_size == 0 || head.tree_size > start.tree_size) ++report.tree_heads;
      ++next_head;
    }
    return true;
  };

  // Checks entry `k` of a hashed chunk, in order; false at a failure.
  auto check_entry = [&](Chunk& chunk, size_t k) -> bool {
    const store::LedgerEntryRow& row = chunk.rows[k];
    const uint64_t expected = tree.size();
    if (row.seq != static_cast<int64_t>(expected)) {
      failure = Fail(report, expected, fmt::format("entry {} is missing", expected));
      return false;
    }
    const Hash& leaf = chunk.leaves[k];
    if (!SameBytes(leaf, row.leaf_hash, 0) || row.leaf_hash.size() != kHashSize) {
      failure = Fail(report, expected,
                     fmt::format("entry {}: its content does not match its leaf hash", expected));
      return false;
    }
    std::string& nodes = chunk.nodes[k];
    tree.Append(chunk.tops[k], nodes);
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
        return false;
      }
      const uint64_t first = expected + 1 - (uint64_t{1} << level);
      failure = Fail(report, first,
                     fmt::format("entries {} to {}: the stored Merkle node (level {}) does not "
                                 "match their hashes; an entry was changed, added, removed or "
                                 "moved",
                                 first, expected, level));
      return false;
    }
    if (expected >= start.tree_size) {
      ++report.entries;
      if (progress && (report.entries & 0xffff) == 0) progress(report.entries, to_check);
    }
    return check_heads();
  };

  // Waits for the oldest chunk in flight to be hashed and checks it.
  auto check_oldest = [&]() -> bool {
    std::unique_ptr<Chunk> chunk = std::move(in_flight.front());
    in_flight.pop_front();
    {
      std::unique_lock<std::mutex> lock(mutex);
      done.wait(lock, [&] { return chunk->hashed; });
      chunk->hashed = false;
    }
    bool ok = true;
    for (size_t k = 0; ok && k < chunk->size; ++k) ok = check_entry(*chunk, k);
    spare.push_back(std::move(chunk));
    return ok;
  };
  auto oldest_hashed = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    return in_flight.front()->hashed;
  };

  uint64_t rows_read = boundary;
  std::unique_ptr<Chunk> filling = std::make_unique<Chunk>();
  filling->first = boundary;
  // Hands the chunk being filled to the workers, then checks the chunks
  // already hashed (all but max_in_flight - 1 of them, waiting if need be).
  auto submit = [&]() -> bool {
    Chunk* chunk = filling.get();
    check_signatures_up_to(chunk->first + chunk->size);
    workers.Submit([&, chunk] {
      HashChunk(*chunk);
      {
        std::lock_guard<std::mutex> lock(mutex);
        chunk->hashed = true;
      }
      done.notify_all();
    });
    in_flight.push_back(std::move(filling));
    while (!in_flight.empty() && (in_flight.size() >= max_in_flight || oldest_hashed())) {
      if (!check_oldest()) return false;
    }
    if (spare.empty()) {
      filling = std::make_unique<Chunk>();
    } else {
      filling = std::move(spare.back());
      spare.pop_back();
    }
    filling->first = rows_read;
    filling->size = 0;
    return true;
  };

  check_signatures_up_to(boundary);
  if (!check_heads()) return *failure;
  absl::Status scanned = store.ScanEntries(static_cast<int64_t>(boundary), count,
                                           [&](const store::LedgerEntryRow& row) {
                                             filling->rows[filling->size++] = row;
                                             ++rows_read;
                                             if (filling->size == kChunkSize && !submit())
                                               return absl::CancelledError();
                                             return absl::OkStatus();
                                           });
  // The rows read and not yet checked, in order.
  if (!failure && filling->size > 0) submit();
  while (!failure && !in_flight.empty()) check_oldest();
  if (failure) return *failure;
  RETURN_IF_ERROR(scanned);
  if (progress) progress(report.entries, to_check);

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
                      {"verified_from", report.verified_from},
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
