// The ledger's Merkle tree (src/ledger/merkle.h): appending a million leaf
// hashes, inclusion and consistency proofs at a million leaves (generation
// and offline verification), and the leaf and node hashes underneath.
//
//   build/bench/merkle_benchmark
//   build/bench/merkle_benchmark --benchmark_filter=Inclusion --benchmark_min_time=2
//
// A million is deliberately not a power of two, so root and proofs go through
// the incomplete nodes on the right edge of the tree.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/merkle.h"

namespace mamori::bench {
namespace {

using ledger::Hash;
using ledger::MerkleTree;

constexpr uint64_t kLeaves = 1'000'000;

const std::vector<Hash>& LeafHashes() {
  static const std::vector<Hash> leaves = [] {
    std::vector<Hash> hashes;
    hashes.reserve(kLeaves);
    for (uint64_t i = 0; i < kLeaves; ++i) {
      hashes.push_back(ledger::LeafHash("ledger entry " + std::to_string(i)));
    }
    return hashes;
  }();
  return leaves;
}

const MerkleTree& MillionLeafTree() {
  static const MerkleTree tree = [] {
    MerkleTree t;
    for (const Hash& leaf : LeafHashes()) t.Append(leaf);
    return t;
  }();
  return tree;
}

// Spreads benchmark iterations over the leaves (a multiplicative hash of the
// iteration number), so no single path is measured.
uint64_t SpreadIndex(uint64_t i, uint64_t size) { return (i * 0x9E3779B97F4A7C15ull) % size; }

void BM_Append(benchmark::State& state) {
  const std::vector<Hash>& leaves = LeafHashes();
  for (auto _ : state) {
    MerkleTree tree;
    for (const Hash& leaf : leaves) tree.Append(leaf);
    benchmark::DoNotOptimize(tree.size());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(leaves.size()));
}
BENCHMARK(BM_Append)->Unit(benchmark::kMillisecond);

void BM_Root(benchmark::State& state) {
  const MerkleTree& tree = MillionLeafTree();
  for (auto _ : state) benchmark::DoNotOptimize(tree.Root());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Root);

void BM_InclusionProof(benchmark::State& state) {
  const MerkleTree& tree = MillionLeafTree();
  uint64_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<std::vector<Hash>> proof =
        tree.InclusionProof(SpreadIndex(i++, kLeaves), kLeaves);
    benchmark::DoNotOptimize(proof);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InclusionProof);

void BM_VerifyInclusion(benchmark::State& state) {
  const MerkleTree& tree = MillionLeafTree();
  const Hash root = tree.Root();
  constexpr uint64_t kProofs = 1024;
  std::vector<std::vector<Hash>> proofs;
  std::vector<uint64_t> indices;
  for (uint64_t i = 0; i < kProofs; ++i) {
    indices.push_back(SpreadIndex(i, kLeaves));
    proofs.push_back(*tree.InclusionProof(indices.back(), kLeaves));
  }
  uint64_t i = 0;
  for (auto _ : state) {
    const uint64_t k = i++ % kProofs;
    bool ok =
        ledger::VerifyInclusion(LeafHashes()[indices[k]], indices[k], kLeaves, proofs[k], root);
    if (!ok) state.SkipWithError("a proof did not verify");
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyInclusion);

void BM_ConsistencyProof(benchmark::State& state) {
  const MerkleTree& tree = MillionLeafTree();
  uint64_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<std::vector<Hash>> proof =
        tree.ConsistencyProof(1 + SpreadIndex(i++, kLeaves - 1), kLeaves);
    benchmark::DoNotOptimize(proof);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConsistencyProof);

void BM_VerifyConsistency(benchmark::State& state) {
  const MerkleTree& tree = MillionLeafTree();
  const Hash root = tree.Root();
  const uint64_t old_size = 1 + SpreadIndex(7, kLeaves - 1);
  const Hash old_root = *tree.RootAt(old_size);
  const std::vector<Hash> proof = *tree.ConsistencyProof(old_size, kLeaves);
  for (auto _ : state) {
    bool ok = ledger::VerifyConsistency(old_size, kLeaves, old_root, root, proof);
    if (!ok) state.SkipWithError("the proof did not verify");
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyConsistency);

void BM_LeafHash(benchmark::State& state) {
  const std::string entry(static_cast<size_t>(state.range(0)), 'e');
  for (auto _ : state) benchmark::DoNotOptimize(ledger::LeafHash(entry));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LeafHash)->Arg(64)->Arg(256)->Arg(1024);

void BM_NodeHash(benchmark::State& state) {
  Hash left = ledger::LeafHash("left");
  const Hash right = ledger::LeafHash("right");
  for (auto _ : state) {
    left = ledger::NodeHash(left, right);
    benchmark::DoNotOptimize(left);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NodeHash);

}  // namespace
}  // namespace mamori::bench

BENCHMARK_MAIN();
