// The stored ledger (src/ledger/) on a real SQLite store: durable appends,
// full verification, and inclusion proofs at ten million entries.
//
//   build/bench/ledger_benchmark --benchmark_filter=DurableAppend
//   build/bench/ledger_benchmark --benchmark_filter='Verify|Inclusion'
//
// Targets (issue "Decisions and the verifiable ledger"):
//   - durable appends, one fsync per group commit: >= 100k entries/s
//     (BM_DurableAppend: batches of N decision entries staged with
//     Ledger::Stage and stored by Ledger::Flush in one records transaction,
//     as the engine's writer does, heads signed when due, then committed
//     with synchronous=FULL);
//   - full verification (VerifyLedger): >= 1M entries/s (BM_VerifyLedger);
//     verification from a verified head (VerifyLedgerFrom) costs what came
//     after it (BM_VerifyLedgerFrom: the last 1%);
//   - at 10M entries, an inclusion proof generated in <= 50 us and verified
//     in <= 10 us, the tree head's Ed25519 check aside (BM_InclusionProof on
//     StoredTree, BM_VerifyInclusion).
// docs/performance.md has the figures.
//
// The ledgers of 1M and 10M entries take a while to build (10 s and 2 min
// here; 0.4 and 4.3 GB), so they are built once and kept in the build tree,
// under build/bench/bench-data/ledger-v2-<entries>/ (or $MAMORI_BENCH_DATA),
// and reused by later runs. Delete that folder after changing the ledger's
// format or this file's entries.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/random.h"
#include "common/testing/test_files.h"
#include "common/time_format.h"
#include "crypto/signing_key.h"
#include "ledger/entry_builder.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/proof.h"
#include "ledger/stored_tree.h"
#include "ledger/verify.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace mamori::bench {
namespace {

namespace fs = std::filesystem;
using ledger::Hash;

// Changing the entries below changes what a cached ledger holds: bump it.
constexpr char kCacheFormat[] = "ledger-v2";

void Check(const absl::Status& status, std::string_view what) {
  if (!status.ok()) {
    throw std::runtime_error(fmt::format("{}: {}", what, std::string(status.message())));
  }
}

template <typename T>
T Value(absl::StatusOr<T> result, std::string_view what) {
  Check(result.status(), what);
  return *std::move(result);
}

// Decision entries as the engine writes them for a read by a call-center
// agent (engine.cc, DecisionEntry): ids and codes, no personal values. With
// the "at" the ledger adds, 369 bytes in canonical form. Next() gives one as
// a JSON document, NextBuilt() the same entry as the engine now builds it
// (ledger::EntryBuilder): the same canonical bytes.
class DecisionEntries {
 public:
  DecisionEntries() {
    common::RandomSource& random = common::SodiumRandom::Instance();
    for (int i = 0; i < kSubjects; ++i) {
      subjects_.push_back(common::NewId(common::IdKind::kSubject, random));
      records_.push_back(common::NewId(common::IdKind::kRecord, random));
    }
    template_ = {
        {"kind", "decision"},        {"action", "read"},       {"purpose", "dpv:CustomerCare"},
        {"categories", {"pd:Name"}}, {"ground", "none"},       {"outcome", "allow"},
        {"reason_code", "allowed"},  {"rule_id", "appi.18.1"}, {"legal_basis", "announced_purpose"},
        {"flagged_for_audit", false}};
  }

  nlohmann::json Next() {
    const size_t k = next_++ % kSubjects;
    nlohmann::json entry = template_;
    entry["actor"] = fmt::format("emp:agent-{:04d}", k % 300);
    entry["subject"] = subjects_[k];
    entry["records"] = nlohmann::json::array({records_[k]});
    return entry;
  }

  ledger::EntryBuilder NextBuilt() {
    const size_t k = next_++ % kSubjects;
    ledger::EntryBuilder entry;
    entry.Add("kind", "decision")
        .Add("action", "read")
        .Add("actor", fmt::format("emp:agent-{:04d}", k % 300))
        .Add("categories", categories_)
        .Add("ground", "none")
        .Add("outcome", "allow")
        .Add("reason_code", "allowed")
        .Add("rule_id", "appi.18.1")
        .Add("legal_basis", "announced_purpose")
        .Add("flagged_for_audit", false)
        .Add("purpose", "dpv:CustomerCare")
        .Add("subject", subjects_[k])
        .Add("records", std::span<const std::string>(&records_[k], 1));
    return entry;
  }

 private:
  static constexpr int kSubjects = 4096;
  std::vector<std::string> subjects_;
  std::vector<std::string> records_;
  nlohmann::json template_;
  const std::vector<std::string> categories_ = {"pd:Name"};
  size_t next_ = 0;
};

// Spreads benchmark iterations over the entries (a multiplicative hash of
// the iteration number), so no single path is measured.
uint64_t SpreadIndex(uint64_t i, uint64_t size) { return (i * 0x9E3779B97F4A7C15ull) % size; }

// --- The text of a decision entry ---

// One read's decision entry from its fields to its canonical text, the way
// the engine's writer builds it for every use: /0 through a JSON document
// and CanonicalEntry (the engine before EntryBuilder), /1 with
// ledger::EntryBuilder. In-memory only; the appends below include this.
void BM_DecisionEntryText(benchmark::State& state) {
  const bool built = state.range(0) == 1;
  DecisionEntries entries;
  const std::string at = common::FormatTimestampMicros(absl::Now());
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text;
    if (built) {
      ledger::EntryBuilder entry = entries.NextBuilt();
      entry.Add("at", at);
      text = entry.Canonical();
    } else {
      nlohmann::json entry = entries.Next();
      entry["at"] = at;
      text = ledger::CanonicalEntry(entry);
    }
    bytes += text.size();
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["entry_bytes"] =
      static_cast<double>(bytes) / static_cast<double>(std::max<int64_t>(1, state.iterations()));
}
BENCHMARK(BM_DecisionEntryText)->ArgName("builder")->Arg(0)->Arg(1);

// --- (a) Durable appends ---

// A fresh store in a scratch directory, with its ledger.
struct ScratchLedger {
  ScratchLedger() {
    store = Value(store::OpenSqliteStore(temp.path().string(), {.create = true}), "open store");
    ledger =
        Value(ledger::Ledger::Open(store->ledger(),
                                   crypto::SigningKey::Generate(common::SodiumRandom::Instance()),
                                   common::SystemClock::Instance()),
              "open ledger");
  }
  common::testing::ScopedTempDir temp;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<ledger::Ledger> ledger;
};

// One group commit per iteration: BEGIN IMMEDIATE, N decision entries
// built as the engine builds them (EntryBuilder) and staged, their rows
// stored by Flush (32 to an INSERT), a signed head when one is due (every
// 1000 entries or 1 s, the engine's default), COMMIT (WAL,
// synchronous=FULL: one fsync). The engine's RunBatch does the same around
// its decision jobs. entry_bytes: the canonical entry size.
void BM_DurableAppend(benchmark::State& state) {
  const int64_t batch = state.range(0);
  ScratchLedger scratch;
  DecisionEntries entries;
  int64_t heads = 0;
  for (auto _ : state) {
    auto tx = Value(scratch.store->records().BeginTransaction(), "begin");
    for (int64_t i = 0; i < batch; ++i) {
      scratch.ledger->Stage(entries.NextBuilt());
    }
    Check(scratch.ledger->Flush(), "flush");
    if (scratch.ledger->HeadDue()) {
      Check(scratch.ledger->SignHead().status(), "sign head");
      ++heads;
    }
    Check(tx->Commit(), "commit");
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["heads"] = static_cast<double>(heads);
  ledger::EntryBuilder sample = entries.NextBuilt();
  sample.Add("at", common::FormatTimestampMicros(absl::Now()));
  state.counters["entry_bytes"] = static_cast<double>(sample.Canonical().size());
}
BENCHMARK(BM_DurableAppend)->Arg(1)->Arg(64)->Arg(256)->Arg(1000)->UseRealTime();

// --- Ledgers of 1M and 10M entries, built once and cached ---

fs::path CacheRoot() {
  if (const char* dir = std::getenv("MAMORI_BENCH_DATA"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return MAMORI_BENCH_DATA_DIR;
}

constexpr char kPublicKeyFile[] = "public_key.hex";

// Builds a ledger of `entries` decision entries in `dir`, in transactions of
// 100k entries, a head signed every 1000 entries and one over everything.
// Returns the public key.
std::string BuildLedger(const fs::path& dir, uint64_t entries) {
  fs::create_directories(dir);
  auto store = Value(store::OpenSqliteStore(dir.string(), {.create = true}), "open store");
  crypto::SigningKey key = crypto::SigningKey::Generate(common::SodiumRandom::Instance());
  const std::string public_key = key.public_key();
  auto ledger = Value(
      ledger::Ledger::Open(store->ledger(), std::move(key), common::SystemClock::Instance(),
                           {.sign_every_entries = 1000, .sign_every = absl::InfiniteDuration()}),
      "open ledger");
  DecisionEntries source;
  constexpr uint64_t kPerTransaction = 100'000;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t done = 0; done < entries;) {
    auto tx = Value(store->records().BeginTransaction(), "begin");
    for (uint64_t i = 0; i < kPerTransaction && done < entries; ++i, ++done) {
      Check(ledger->Append(source.Next()).status(), "append");
      if (ledger->HeadDue()) Check(ledger->SignHead().status(), "sign head");
    }
    if (done == entries) Check(ledger->SignHead().status(), "sign head");
    Check(tx->Commit(), "commit");
    if (done % 1'000'000 == 0 || done == entries) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "building the ledger of %llu entries: %llu done, %.0f s\n",
                   static_cast<unsigned long long>(entries), static_cast<unsigned long long>(done),
                   seconds);
    }
  }
  return public_key;
}

struct CachedLedger {
  std::unique_ptr<store::Store> store;
  std::string public_key;
};

// The ledger of `entries` entries from the cache, built first if absent.
// Thread-safe; the stores stay open for the life of the process.
CachedLedger& LedgerOf(uint64_t entries) {
  static std::mutex mutex;
  static std::map<uint64_t, std::unique_ptr<CachedLedger>> ledgers;
  std::lock_guard<std::mutex> lock(mutex);
  std::unique_ptr<CachedLedger>& cached = ledgers[entries];
  if (cached) return *cached;

  const fs::path dir = CacheRoot() / fmt::format("{}-{}", kCacheFormat, entries);
  const fs::path key_file = dir / kPublicKeyFile;
  if (!fs::exists(key_file)) {
    // The key file is written last: without it, a build was interrupted.
    const fs::path building = dir.string() + ".building";
    fs::remove_all(building);
    fs::remove_all(dir);
    const std::string public_key = BuildLedger(building, entries);
    std::ofstream(building / kPublicKeyFile) << absl::BytesToHexString(public_key) << "\n";
    fs::rename(building, dir);
  } else {
    std::fprintf(stderr, "using the cached ledger in %s\n", dir.c_str());
  }
  cached = std::make_unique<CachedLedger>();
  std::string hex;
  std::ifstream(key_file) >> hex;
  cached->public_key = absl::HexStringToBytes(hex);
  cached->store = Value(store::OpenSqliteStore(dir.string(), {}), "open cached store");
  if (Value(cached->store->ledger().CountEntries(), "count") != static_cast<int64_t>(entries)) {
    throw std::runtime_error(
        fmt::format("{} does not hold {} entries; delete it", dir.string(), entries));
  }
  return *cached;
}

// --- (b) Full verification ---

void BM_VerifyLedger(benchmark::State& state) {
  CachedLedger& cached = LedgerOf(static_cast<uint64_t>(state.range(0)));
  uint64_t entries = 0, heads = 0;
  for (auto _ : state) {
    auto report = Value(ledger::VerifyLedger(cached.store->ledger(), cached.public_key), "verify");
    if (!report.ok) {
      state.SkipWithError(report.problem.c_str());
      break;
    }
    entries += report.entries;
    heads = report.tree_heads;
  }
  state.SetItemsProcessed(static_cast<int64_t>(entries));
  state.counters["tree_heads"] = static_cast<double>(heads);
}
BENCHMARK(BM_VerifyLedger)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// VerifyLedgerFrom from the signed head covering all but the last 1% of the
// entries (the cached ledgers have a head every 1000 entries), as the
// internal-audit report verifies what is new since its last report: the
// cost follows the entries after the head, not the ledger's size.
void BM_VerifyLedgerFrom(benchmark::State& state) {
  const uint64_t size = static_cast<uint64_t>(state.range(0));
  CachedLedger& cached = LedgerOf(size);
  const int64_t start_size = static_cast<int64_t>(size / 100 * 99);
  ledger::VerifiedPoint start;
  for (const store::TreeHeadRow& row :
       Value(cached.store->ledger().ListTreeHeads(), "list tree heads")) {
    if (row.tree_size == start_size) start = {static_cast<uint64_t>(start_size), row.root_hash};
  }
  if (start.tree_size == 0) {
    state.SkipWithError("no signed head at 99% of the entries");
    return;
  }
  uint64_t entries = 0, checked = 0, heads = 0;
  for (auto _ : state) {
    auto report =
        Value(ledger::VerifyLedgerFrom(cached.store->ledger(), cached.public_key, start), "verify");
    if (!report.ok) {
      state.SkipWithError(report.problem.c_str());
      break;
    }
    entries += report.entries;
    checked = report.entries;
    heads = report.tree_heads;
  }
  state.SetItemsProcessed(static_cast<int64_t>(entries));
  state.counters["entries"] = static_cast<double>(checked);
  state.counters["tree_heads"] = static_cast<double>(heads);
}
BENCHMARK(BM_VerifyLedgerFrom)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// --- (c) Inclusion proofs at 10M entries ---

// The stored tree over a cached ledger, its in-memory levels loaded (the
// first proof loads them: `load_ms`, once per process).
struct OpenTree {
  explicit OpenTree(CachedLedger& cached) {
    tree = Value(ledger::StoredTree::Open(cached.store->ledger()), "open tree");
    const auto start = std::chrono::steady_clock::now();
    Check(ledger::InclusionProofOf(*tree, 0, tree->size()).status(), "first proof");
    load_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  std::unique_ptr<ledger::StoredTree> tree;
  double load_ms = 0;
};

OpenTree& TreeOf(uint64_t entries) {
  static std::mutex mutex;
  static std::map<uint64_t, std::unique_ptr<OpenTree>> trees;
  std::lock_guard<std::mutex> lock(mutex);
  std::unique_ptr<OpenTree>& tree = trees[entries];
  if (!tree) tree = std::make_unique<OpenTree>(LedgerOf(entries));
  return *tree;
}

// InclusionProofOf(tree, index, size) on the stored tree: up to
// kCachedLevel entry rows read from SQLite, the levels above from memory.
void BM_InclusionProof(benchmark::State& state) {
  const uint64_t size = static_cast<uint64_t>(state.range(0));
  OpenTree& open = TreeOf(size);
  uint64_t i = 0;
  for (auto _ : state) {
    auto proof = ledger::InclusionProofOf(*open.tree, SpreadIndex(i++, size), size);
    if (!proof.ok()) {
      state.SkipWithError(std::string(proof.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(proof);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["load_ms"] = open.load_ms;
}
BENCHMARK(BM_InclusionProof)->Arg(1'000'000)->Arg(10'000'000);

// What an auditor does with a proof: hash the entry's bytes as a leaf and
// walk the path to the root (taken from a signed head, whose Ed25519 check
// is apart: BM_CheckEntryProof).
void BM_VerifyInclusion(benchmark::State& state) {
  const uint64_t size = static_cast<uint64_t>(state.range(0));
  OpenTree& open = TreeOf(size);
  CachedLedger& cached = LedgerOf(size);
  const Hash root = open.tree->Root();
  struct Case {
    uint64_t index;
    std::string entry;
    std::vector<Hash> proof;
  };
  constexpr uint64_t kProofs = 1024;
  std::vector<Case> cases;
  for (uint64_t k = 0; k < kProofs; ++k) {
    const uint64_t index = SpreadIndex(k, size);
    auto row = Value(cached.store->ledger().GetEntry(static_cast<int64_t>(index)), "get entry");
    cases.push_back(
        {index, row->entry, Value(ledger::InclusionProofOf(*open.tree, index, size), "proof")});
  }
  uint64_t i = 0;
  for (auto _ : state) {
    const Case& c = cases[i++ % kProofs];
    bool ok = ledger::VerifyInclusion(ledger::LeafHash(c.entry), c.index, size, c.proof, root);
    if (!ok) {
      state.SkipWithError("a proof did not verify");
      break;
    }
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["path_length"] = static_cast<double>(cases[0].proof.size());
}
BENCHMARK(BM_VerifyInclusion)->Arg(1'000'000)->Arg(10'000'000);

// For context: the whole entry proof of `mamori ledger prove` (entry,
// inclusion, consistency to the latest signed head, the heads read) ...
void BM_ProveEntry(benchmark::State& state) {
  const uint64_t size = static_cast<uint64_t>(state.range(0));
  OpenTree& open = TreeOf(size);
  CachedLedger& cached = LedgerOf(size);
  uint64_t i = 0;
  for (auto _ : state) {
    auto proof = ledger::ProveEntry(cached.store->ledger(), *open.tree, SpreadIndex(i++, size),
                                    std::nullopt);
    if (!proof.ok()) {
      state.SkipWithError(std::string(proof.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(proof);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProveEntry)->Arg(10'000'000);

// ... and its offline check, the Ed25519 verification of the head included.
void BM_CheckEntryProof(benchmark::State& state) {
  const uint64_t size = static_cast<uint64_t>(state.range(0));
  OpenTree& open = TreeOf(size);
  CachedLedger& cached = LedgerOf(size);
  constexpr uint64_t kProofs = 256;
  std::vector<ledger::EntryProof> proofs;
  for (uint64_t k = 0; k < kProofs; ++k) {
    proofs.push_back(Value(
        ledger::ProveEntry(cached.store->ledger(), *open.tree, SpreadIndex(k, size), std::nullopt),
        "prove"));
  }
  uint64_t i = 0;
  for (auto _ : state) {
    absl::Status ok = ledger::CheckEntryProof(proofs[i++ % kProofs], cached.public_key);
    if (!ok.ok()) {
      state.SkipWithError(std::string(ok.message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckEntryProof)->Arg(10'000'000);

}  // namespace
}  // namespace mamori::bench

BENCHMARK_MAIN();
