#include "ledger/merkle.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"

namespace mamori::ledger {
namespace {

Hash FromHex(std::string_view hex) {
  absl::StatusOr<Hash> hash = HashFromHex(hex);
  EXPECT_TRUE(hash.ok()) << hash.status();
  return hash.ok() ? *hash : Hash{};
}

std::vector<Hash> FromHex(const std::vector<std::string_view>& hexes) {
  std::vector<Hash> hashes;
  for (std::string_view hex : hexes) hashes.push_back(FromHex(hex));
  return hashes;
}

template <typename T>
T ValueOf(absl::StatusOr<T> result) {
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : T{};
}

Hash FlipBit(Hash hash, size_t bit) {
  hash[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  return hash;
}

// ---------------------------------------------------------------------------
// Known answers.
//
// The empty-tree hash, the eight inputs, the roots for sizes 1..8 and the
// path and consistency vectors are the certificate-transparency reference
// test vectors, copied from google/certificate-transparency,
// cpp/merkletree/merkle_tree_test.cc (commit
// 0e901cacd1388fa16f78b184612f6cd16e5ceec1): kSHA256EmptyTreeHash, kInputs,
// kSHA256Roots, kSHA256Paths and kSHA256Proofs. That file numbers leaves
// from 1; the indices below are from 0, as RFC 6962 and mamori number them.
// ---------------------------------------------------------------------------

constexpr std::string_view kEmptyTreeHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const std::vector<std::string> kInputs = {
    std::string(),
    std::string("\x00", 1),
    std::string("\x10"),
    std::string("\x20\x21"),
    std::string("\x30\x31"),
    std::string("\x40\x41\x42\x43"),
    std::string("\x50\x51\x52\x53\x54\x55\x56\x57"),
    std::string("\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"),
};

// kRoots[i] is the root of the tree over kInputs[0..i].
constexpr std::string_view kRoots[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct InclusionVector {
  uint64_t index;
  uint64_t tree_size;
  std::vector<std::string_view> path;
};

const std::vector<InclusionVector> kInclusionVectors = {
    {0, 1, {}},
    {0,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

struct ConsistencyVector {
  uint64_t old_size;
  uint64_t new_size;
  std::vector<std::string_view> proof;
};

const std::vector<ConsistencyVector> kConsistencyVectors = {
    {1, 1, {}},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

MerkleTree ReferenceInputsTree() {
  MerkleTree tree;
  for (const std::string& input : kInputs) tree.Append(LeafHash(input));
  return tree;
}

TEST(MerkleKnownAnswerTest, EmptyTreeRootIsSha256OfNothing) {
  EXPECT_EQ(ToHex(EmptyTreeRoot()), kEmptyTreeHash);
  MerkleTree tree;
  EXPECT_EQ(tree.size(), 0u);
  EXPECT_EQ(tree.Root(), EmptyTreeRoot());
  EXPECT_EQ(ValueOf(tree.RootAt(0)), EmptyTreeRoot());
}

TEST(MerkleKnownAnswerTest, LeafHashOfEmptyEntryIsTheOneLeafRoot) {
  EXPECT_EQ(ToHex(LeafHash("")), kRoots[0]);
}

TEST(MerkleKnownAnswerTest, RootsWhileAppending) {
  MerkleTree tree;
  for (size_t i = 0; i < kInputs.size(); ++i) {
    tree.Append(LeafHash(kInputs[i]));
    EXPECT_EQ(tree.size(), i + 1);
    EXPECT_EQ(ToHex(tree.Root()), kRoots[i]) << "size " << i + 1;
    EXPECT_EQ(ValueOf(tree.RootAt(0)), EmptyTreeRoot());
    for (size_t j = 0; j <= i; ++j) {
      EXPECT_EQ(ToHex(ValueOf(tree.RootAt(j + 1))), kRoots[j]) << "size " << j + 1;
    }
  }
}

TEST(MerkleKnownAnswerTest, InclusionProofs) {
  MerkleTree tree = ReferenceInputsTree();
  for (const InclusionVector& v : kInclusionVectors) {
    std::vector<Hash> expected = FromHex(v.path);
    EXPECT_EQ(ValueOf(tree.InclusionProof(v.index, v.tree_size)), expected)
        << "index " << v.index << ", size " << v.tree_size;
    EXPECT_TRUE(VerifyInclusion(LeafHash(kInputs[v.index]), v.index, v.tree_size, expected,
                                FromHex(kRoots[v.tree_size - 1])));
  }
}

TEST(MerkleKnownAnswerTest, ConsistencyProofs) {
  MerkleTree tree = ReferenceInputsTree();
  for (const ConsistencyVector& v : kConsistencyVectors) {
    std::vector<Hash> expected = FromHex(v.proof);
    EXPECT_EQ(ValueOf(tree.ConsistencyProof(v.old_size, v.new_size)), expected)
        << v.old_size << " -> " << v.new_size;
    EXPECT_TRUE(VerifyConsistency(v.old_size, v.new_size, FromHex(kRoots[v.old_size - 1]),
                                  FromHex(kRoots[v.new_size - 1]), expected));
  }
}

TEST(MerkleHexTest, RoundTrips) {
  Hash hash = FromHex(kRoots[7]);
  EXPECT_EQ(ToHex(hash), kRoots[7]);
  EXPECT_EQ(
      ValueOf(HashFromHex("5DC9DA79A70659A9AD559CB701DED9A2AB9D823AAD2F4960CFE370EFF4604328")),
      hash);
}

TEST(MerkleHexTest, RejectsMalformedHex) {
  for (std::string_view bad : {
           std::string_view(""),
           std::string_view("5dc9"),
           kRoots[7].substr(0, 63),
           std::string_view("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff46043280"),
           std::string_view("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff460432g"),
           std::string_view("x5c9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
           std::string_view(" dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
       }) {
    EXPECT_EQ(HashFromHex(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(MerkleHashTest, DomainSeparatesLeavesFromNodes) {
  Hash a = LeafHash("a");
  Hash b = LeafHash("b");
  std::string concatenated(reinterpret_cast<const char*>(a.data()), a.size());
  concatenated.append(reinterpret_cast<const char*>(b.data()), b.size());
  // A leaf whose entry is the two child hashes is not the interior node.
  EXPECT_NE(LeafHash(concatenated), NodeHash(a, b));
  EXPECT_NE(NodeHash(a, b), NodeHash(b, a));
}

// ---------------------------------------------------------------------------
// A naive reference, written straight from RFC 6962 section 2.1 over the
// entries themselves: recursion on D[n] with k the largest power of two
// smaller than n, recomputing every subtree hash from its leaves.
// ---------------------------------------------------------------------------

using Entries = std::span<const std::string>;

uint64_t LargestPowerOfTwoBelow(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// MTH({}) = SHA-256(); MTH({d0}) = SHA-256(0x00 || d0);
// MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])).
Hash ReferenceMth(Entries d) {
  if (d.empty()) return FromHex(kEmptyTreeHash);
  if (d.size() == 1) return LeafHash(d[0]);
  const uint64_t k = LargestPowerOfTwoBelow(d.size());
  return NodeHash(ReferenceMth(d.subspan(0, k)), ReferenceMth(d.subspan(k)));
}

// PATH(m, {d0}) = {};
// PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k,
//                 PATH(m - k, D[k:n]) : MTH(D[0:k]) for m >= k.
std::vector<Hash> ReferencePath(uint64_t m, Entries d) {
  if (d.size() == 1) return {};
  const uint64_t k = LargestPowerOfTwoBelow(d.size());
  std::vector<Hash> path;
  if (m < k) {
    path = ReferencePath(m, d.subspan(0, k));
    path.push_back(ReferenceMth(d.subspan(k)));
  } else {
    path = ReferencePath(m - k, d.subspan(k));
    path.push_back(ReferenceMth(d.subspan(0, k)));
  }
  return path;
}

// SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])};
// SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) for m <= k,
//                        SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]) for m > k.
std::vector<Hash> ReferenceSubproof(uint64_t m, Entries d, bool b) {
  if (m == d.size()) {
    if (b) return {};
    return {ReferenceMth(d)};
  }
  const uint64_t k = LargestPowerOfTwoBelow(d.size());
  std::vector<Hash> proof;
  if (m <= k) {
    proof = ReferenceSubproof(m, d.subspan(0, k), b);
    proof.push_back(ReferenceMth(d.subspan(k)));
  } else {
    proof = ReferenceSubproof(m - k, d.subspan(k), false);
    proof.push_back(ReferenceMth(d.subspan(0, k)));
  }
  return proof;
}

// PROOF(m, D[n]) = SUBPROOF(m, D[n], true), defined for 0 < m <= n.
std::vector<Hash> ReferenceProof(uint64_t m, Entries d) { return ReferenceSubproof(m, d, true); }

// Recomputes the root from an audit path by the same recursion, or nullopt
// when the path has the wrong length for (m, n). Used to tell which wrong
// tree sizes a proof legitimately also fits (see WrongTreeSize below).
std::optional<Hash> ReferenceRootFromPath(uint64_t m, uint64_t n, const Hash& leaf,
                                          std::span<const Hash> path) {
  if (m >= n) return std::nullopt;
  if (n == 1) return path.empty() ? std::optional<Hash>(leaf) : std::nullopt;
  if (path.empty()) return std::nullopt;
  const uint64_t k = LargestPowerOfTwoBelow(n);
  const Hash& sibling = path.back();
  std::span<const Hash> rest = path.first(path.size() - 1);
  if (m < k) {
    std::optional<Hash> left = ReferenceRootFromPath(m, k, leaf, rest);
    if (!left) return std::nullopt;
    return NodeHash(*left, sibling);
  }
  std::optional<Hash> right = ReferenceRootFromPath(m - k, n - k, leaf, rest);
  if (!right) return std::nullopt;
  return NodeHash(sibling, *right);
}

std::vector<std::string> MakeEntries(size_t count) {
  std::vector<std::string> entries;
  for (size_t i = 0; i < count; ++i) entries.push_back(fmt::format("ledger entry {}", i));
  return entries;
}

MerkleTree TreeOf(const std::vector<std::string>& entries) {
  MerkleTree tree;
  for (const std::string& entry : entries) tree.Append(LeafHash(entry));
  return tree;
}

constexpr uint64_t kMaxReferenceSize = 130;

TEST(MerkleReferenceTest, ReferenceMatchesKnownAnswers) {
  for (size_t n = 1; n <= kInputs.size(); ++n) {
    EXPECT_EQ(ToHex(ReferenceMth(Entries(kInputs).first(n))), kRoots[n - 1]);
  }
  EXPECT_EQ(ReferencePath(5, kInputs), FromHex(kInclusionVectors[2].path));
  EXPECT_EQ(ReferenceProof(6, kInputs), FromHex(kConsistencyVectors[2].proof));
}

// Every size 1..130, every leaf index and every old size, compared with the
// reference, both in a tree of exactly that size (grown one leaf at a time)
// and as an earlier size of the full tree.
TEST(MerkleReferenceTest, MatchesRfcDefinitionsForEverySizeIndexAndOldSize) {
  const std::vector<std::string> entries = MakeEntries(kMaxReferenceSize);
  const MerkleTree full = TreeOf(entries);
  MerkleTree growing;
  for (uint64_t n = 1; n <= kMaxReferenceSize; ++n) {
    growing.Append(LeafHash(entries[n - 1]));
    ASSERT_EQ(growing.size(), n);
    Entries d = Entries(entries).first(n);

    const Hash root = ReferenceMth(d);
    EXPECT_EQ(growing.Root(), root) << "n=" << n;
    EXPECT_EQ(ValueOf(growing.RootAt(n)), root) << "n=" << n;
    EXPECT_EQ(ValueOf(full.RootAt(n)), root) << "n=" << n;

    for (uint64_t m = 0; m < n; ++m) {
      const std::vector<Hash> path = ReferencePath(m, d);
      EXPECT_EQ(ValueOf(growing.InclusionProof(m, n)), path) << "m=" << m << " n=" << n;
      EXPECT_EQ(ValueOf(full.InclusionProof(m, n)), path) << "m=" << m << " n=" << n;
    }

    EXPECT_TRUE(ValueOf(full.ConsistencyProof(0, n)).empty()) << "n=" << n;
    for (uint64_t m = 1; m <= n; ++m) {
      const std::vector<Hash> proof = ReferenceProof(m, d);
      EXPECT_EQ(ValueOf(growing.ConsistencyProof(m, n)), proof) << "m=" << m << " n=" << n;
      EXPECT_EQ(ValueOf(full.ConsistencyProof(m, n)), proof) << "m=" << m << " n=" << n;
    }
  }
}

// Sizes around powers of two in a larger tree, against the reference.
TEST(MerkleReferenceTest, LargerTreeSpotChecks) {
  const std::vector<std::string> entries = MakeEntries(2100);
  const MerkleTree tree = TreeOf(entries);
  for (uint64_t n : {1023u, 1024u, 1025u, 1536u, 2047u, 2048u, 2049u, 2100u}) {
    Entries d = Entries(entries).first(n);
    EXPECT_EQ(ValueOf(tree.RootAt(n)), ReferenceMth(d)) << "n=" << n;
    for (uint64_t m : {uint64_t{0}, uint64_t{1}, n / 3, n / 2, n - 2, n - 1}) {
      EXPECT_EQ(ValueOf(tree.InclusionProof(m, n)), ReferencePath(m, d)) << "m=" << m << " n=" << n;
    }
    for (uint64_t m : {uint64_t{1}, uint64_t{7}, n / 3, n / 2, n - 1, n}) {
      EXPECT_EQ(ValueOf(tree.ConsistencyProof(m, n)), ReferenceProof(m, d))
          << "m=" << m << " n=" << n;
    }
  }
}

// ---------------------------------------------------------------------------
// Verification: every honest proof verifies, every tampered one fails.
// ---------------------------------------------------------------------------

// Checks the proof of leaf `index` in the tree of `n` leaves, then tampers
// with each part of the claim in turn.
void CheckInclusionAndTampering(const MerkleTree& tree, const std::vector<std::string>& entries,
                                uint64_t index, uint64_t n) {
  SCOPED_TRACE(fmt::format("inclusion of leaf {} in tree size {}", index, n));
  const Hash leaf = LeafHash(entries[index]);
  const Hash root = ValueOf(tree.RootAt(n));
  const std::vector<Hash> proof = ValueOf(tree.InclusionProof(index, n));
  ASSERT_TRUE(VerifyInclusion(leaf, index, n, proof, root));

  // A flipped bit in any proof element.
  for (size_t j = 0; j < proof.size(); ++j) {
    std::vector<Hash> tampered = proof;
    tampered[j] = FlipBit(tampered[j], (j * 37 + index * 11 + n) % 256);
    EXPECT_FALSE(VerifyInclusion(leaf, index, n, tampered, root)) << "element " << j;
  }

  // Wrong leaf, wrong root.
  EXPECT_FALSE(VerifyInclusion(LeafHash(entries[index] + "x"), index, n, proof, root));
  EXPECT_FALSE(VerifyInclusion(FlipBit(leaf, 0), index, n, proof, root));
  EXPECT_FALSE(VerifyInclusion(leaf, index, n, proof, FlipBit(root, 255)));
  EXPECT_FALSE(VerifyInclusion(leaf, index, n, proof, EmptyTreeRoot()));

  // Wrong index: neighbours, another bit, out of range.
  for (uint64_t wrong : {index - 1, index + 1, index ^ 2, n, n + 1, ~uint64_t{0}}) {
    if (wrong == index) continue;
    EXPECT_FALSE(VerifyInclusion(leaf, wrong, n, proof, root)) << "index " << wrong;
  }

  // Wrong tree size. The size is not hashed into the proof, so a proof also
  // fits a size whose tree has the same shape along the leaf's path (leaf 0
  // of 3 leaves and of 4 leaves, say); the claimed root, not the proof,
  // pins the size down. So: doubling or halving the size always fails, and
  // any other wrong size passes exactly when the RFC recursion says the
  // proof fits it.
  EXPECT_FALSE(VerifyInclusion(leaf, index, 2 * n, proof, root));
  EXPECT_FALSE(VerifyInclusion(leaf, index, n / 2, proof, root));
  for (uint64_t wrong : {n - 1, n + 1, n + 2, 0ul}) {
    if (wrong == n) continue;
    EXPECT_EQ(VerifyInclusion(leaf, index, wrong, proof, root),
              ReferenceRootFromPath(index, wrong, leaf, proof) == root)
        << "size " << wrong;
  }

  // Truncated and extended proofs.
  if (!proof.empty()) {
    EXPECT_FALSE(VerifyInclusion(leaf, index, n, std::span(proof).first(proof.size() - 1), root));
    EXPECT_FALSE(VerifyInclusion(leaf, index, n, std::span(proof).subspan(1), root));
    EXPECT_FALSE(VerifyInclusion(leaf, index, n, {}, root));
  }
  for (const Hash& extra : {EmptyTreeRoot(), root, Hash{}, leaf}) {
    std::vector<Hash> longer = proof;
    longer.push_back(extra);
    EXPECT_FALSE(VerifyInclusion(leaf, index, n, longer, root));
    longer = proof;
    longer.insert(longer.begin(), extra);
    EXPECT_FALSE(VerifyInclusion(leaf, index, n, longer, root));
  }
}

TEST(VerifyInclusionTest, EveryProofVerifiesAndEveryTamperFails) {
  const std::vector<std::string> entries = MakeEntries(kMaxReferenceSize);
  const MerkleTree tree = TreeOf(entries);
  for (uint64_t n = 1; n <= kMaxReferenceSize; ++n) {
    for (uint64_t index = 0; index < n; ++index) {
      CheckInclusionAndTampering(tree, entries, index, n);
    }
  }
}

TEST(VerifyInclusionTest, EveryBitOfEveryElementMatters) {
  const std::vector<std::string> entries = MakeEntries(13);
  const MerkleTree tree = TreeOf(entries);
  for (uint64_t n = 1; n <= entries.size(); ++n) {
    const Hash root = ValueOf(tree.RootAt(n));
    for (uint64_t index = 0; index < n; ++index) {
      const Hash leaf = LeafHash(entries[index]);
      const std::vector<Hash> proof = ValueOf(tree.InclusionProof(index, n));
      for (size_t bit = 0; bit < 256; ++bit) {
        EXPECT_FALSE(VerifyInclusion(FlipBit(leaf, bit), index, n, proof, root));
        for (size_t j = 0; j < proof.size(); ++j) {
          std::vector<Hash> tampered = proof;
          tampered[j] = FlipBit(tampered[j], bit);
          EXPECT_FALSE(VerifyInclusion(leaf, index, n, tampered, root))
              << "index " << index << " size " << n << " element " << j << " bit " << bit;
        }
      }
    }
  }
}

TEST(VerifyInclusionTest, RejectsIndexOutsideTheTree) {
  const Hash leaf = LeafHash("");
  EXPECT_FALSE(VerifyInclusion(leaf, 0, 0, {}, leaf));
  EXPECT_FALSE(VerifyInclusion(leaf, 0, 0, {}, EmptyTreeRoot()));
  EXPECT_FALSE(VerifyInclusion(leaf, 1, 1, {}, leaf));
  EXPECT_FALSE(VerifyInclusion(leaf, 2, 1, {}, leaf));
  EXPECT_TRUE(VerifyInclusion(leaf, 0, 1, {}, leaf));
}

TEST(VerifyInclusionTest, HugeSizesAndLongProofsFailCleanly) {
  const Hash leaf = LeafHash("x");
  const std::vector<Hash> proof(70, leaf);
  const uint64_t max = ~uint64_t{0};
  for (size_t length : {0u, 1u, 63u, 64u, 65u, 70u}) {
    std::span<const Hash> p = std::span(proof).first(length);
    EXPECT_FALSE(VerifyInclusion(leaf, max - 1, max, p, leaf));
    EXPECT_FALSE(VerifyInclusion(leaf, 0, max, p, leaf));
    EXPECT_FALSE(VerifyInclusion(leaf, max, max, p, leaf));
  }
}

void CheckConsistencyAndTampering(const MerkleTree& tree, uint64_t old_size, uint64_t new_size) {
  SCOPED_TRACE(fmt::format("consistency {} -> {}", old_size, new_size));
  const Hash old_root = ValueOf(tree.RootAt(old_size));
  const Hash new_root = ValueOf(tree.RootAt(new_size));
  const std::vector<Hash> proof = ValueOf(tree.ConsistencyProof(old_size, new_size));
  ASSERT_TRUE(VerifyConsistency(old_size, new_size, old_root, new_root, proof));
  if (old_size == 0 || old_size == new_size) {
    // Nothing to prove: the proof is empty and only the roots can be wrong.
    EXPECT_TRUE(proof.empty());
    EXPECT_FALSE(VerifyConsistency(old_size, new_size, FlipBit(old_root, 3), new_root, proof));
    EXPECT_FALSE(
        VerifyConsistency(old_size, new_size, old_root, new_root, std::vector<Hash>{new_root}));
    return;
  }

  // A flipped bit in any proof element.
  for (size_t j = 0; j < proof.size(); ++j) {
    std::vector<Hash> tampered = proof;
    tampered[j] = FlipBit(tampered[j], (j * 41 + old_size * 7 + new_size) % 256);
    EXPECT_FALSE(VerifyConsistency(old_size, new_size, old_root, new_root, tampered))
        << "element " << j;
  }

  // Wrong roots.
  EXPECT_FALSE(VerifyConsistency(old_size, new_size, FlipBit(old_root, 0), new_root, proof));
  EXPECT_FALSE(VerifyConsistency(old_size, new_size, old_root, FlipBit(new_root, 255), proof));
  EXPECT_FALSE(VerifyConsistency(old_size, new_size, new_root, old_root, proof));
  EXPECT_FALSE(VerifyConsistency(old_size, new_size, old_root, old_root, proof));

  // Wrong sizes. As with inclusion, the sizes are not hashed into the proof,
  // so a new size of the same shape (1 -> 3 and 1 -> 4, say) also fits; the
  // roots of a signed tree head pin the sizes down. Halving, doubling and
  // impossible sizes always fail.
  for (uint64_t wrong : {old_size - 1, old_size + 1, old_size ^ 2, new_size + 1, 0ul}) {
    if (wrong == old_size) continue;
    EXPECT_FALSE(VerifyConsistency(wrong, new_size, old_root, new_root, proof))
        << "old size " << wrong;
  }
  for (uint64_t wrong : {new_size * 2, new_size / 2, old_size - 1, ~uint64_t{0}}) {
    if (wrong == new_size) continue;
    EXPECT_FALSE(VerifyConsistency(old_size, wrong, old_root, new_root, proof))
        << "new size " << wrong;
  }

  // Truncated and extended proofs.
  EXPECT_FALSE(VerifyConsistency(old_size, new_size, old_root, new_root, {}));
  EXPECT_FALSE(VerifyConsistency(old_size, new_size, old_root, new_root,
                                 std::span(proof).first(proof.size() - 1)));
  EXPECT_FALSE(
      VerifyConsistency(old_size, new_size, old_root, new_root, std::span(proof).subspan(1)));
  for (const Hash& extra : {proof.back(), proof.front(), old_root, new_root, Hash{}}) {
    std::vector<Hash> longer = proof;
    longer.push_back(extra);
    EXPECT_FALSE(VerifyConsistency(old_size, new_size, old_root, new_root, longer));
    longer = proof;
    longer.insert(longer.begin(), extra);
    EXPECT_FALSE(VerifyConsistency(old_size, new_size, old_root, new_root, longer));
  }
}

TEST(VerifyConsistencyTest, EveryProofVerifiesAndEveryTamperFails) {
  const MerkleTree tree = TreeOf(MakeEntries(kMaxReferenceSize));
  for (uint64_t new_size = 0; new_size <= kMaxReferenceSize; ++new_size) {
    for (uint64_t old_size = 0; old_size <= new_size; ++old_size) {
      CheckConsistencyAndTampering(tree, old_size, new_size);
    }
  }
}

TEST(VerifyConsistencyTest, EveryBitOfEveryElementMatters) {
  const MerkleTree tree = TreeOf(MakeEntries(13));
  for (uint64_t new_size = 2; new_size <= tree.size(); ++new_size) {
    const Hash new_root = ValueOf(tree.RootAt(new_size));
    for (uint64_t old_size = 1; old_size < new_size; ++old_size) {
      const Hash old_root = ValueOf(tree.RootAt(old_size));
      const std::vector<Hash> proof = ValueOf(tree.ConsistencyProof(old_size, new_size));
      for (size_t bit = 0; bit < 256; ++bit) {
        EXPECT_FALSE(
            VerifyConsistency(old_size, new_size, FlipBit(old_root, bit), new_root, proof));
        EXPECT_FALSE(
            VerifyConsistency(old_size, new_size, old_root, FlipBit(new_root, bit), proof));
        for (size_t j = 0; j < proof.size(); ++j) {
          std::vector<Hash> tampered = proof;
          tampered[j] = FlipBit(tampered[j], bit);
          EXPECT_FALSE(VerifyConsistency(old_size, new_size, old_root, new_root, tampered))
              << old_size << " -> " << new_size << " element " << j << " bit " << bit;
        }
      }
    }
  }
}

// The rules for the trivial cases: RFC 6962 defines PROOF(m, D[n]) for
// 0 < m < n, and SUBPROOF(m, D[m], true) = {}.
TEST(VerifyConsistencyTest, TrivialCases) {
  const Hash empty = EmptyTreeRoot();
  const Hash one = LeafHash("");
  const Hash two = NodeHash(one, LeafHash("a"));
  // Time does not run backwards.
  EXPECT_FALSE(VerifyConsistency(1, 0, one, empty, {}));
  EXPECT_FALSE(VerifyConsistency(2, 1, two, one, {}));
  EXPECT_FALSE(VerifyConsistency(2, 1, two, one, std::vector<Hash>{one}));
  // Equal sizes: an empty proof and equal roots.
  EXPECT_TRUE(VerifyConsistency(0, 0, empty, empty, {}));
  EXPECT_TRUE(VerifyConsistency(1, 1, one, one, {}));
  EXPECT_FALSE(VerifyConsistency(1, 1, one, two, {}));
  EXPECT_FALSE(VerifyConsistency(1, 1, one, one, std::vector<Hash>{one}));
  EXPECT_FALSE(VerifyConsistency(0, 0, empty, empty, std::vector<Hash>{empty}));
  EXPECT_FALSE(VerifyConsistency(0, 0, one, one, {}));
  // From the empty tree: an empty proof, and the old root is the empty root.
  EXPECT_TRUE(VerifyConsistency(0, 1, empty, one, {}));
  EXPECT_TRUE(VerifyConsistency(0, 2, empty, two, {}));
  EXPECT_FALSE(VerifyConsistency(0, 2, empty, two, std::vector<Hash>{one}));
  EXPECT_FALSE(VerifyConsistency(0, 2, one, two, {}));
  // A real extension needs a proof.
  EXPECT_FALSE(VerifyConsistency(1, 2, one, two, {}));
  EXPECT_TRUE(VerifyConsistency(1, 2, one, two, std::vector<Hash>{LeafHash("a")}));
}

TEST(VerifyConsistencyTest, HugeSizesAndLongProofsFailCleanly) {
  const Hash h = LeafHash("x");
  const std::vector<Hash> proof(70, h);
  const uint64_t max = ~uint64_t{0};
  for (size_t length : {1u, 63u, 64u, 65u, 70u}) {
    std::span<const Hash> p = std::span(proof).first(length);
    EXPECT_FALSE(VerifyConsistency(max - 1, max, h, h, p));
    EXPECT_FALSE(VerifyConsistency(1, max, h, h, p));
    EXPECT_FALSE(VerifyConsistency(uint64_t{1} << 63, max, h, h, p));
  }
}

// ---------------------------------------------------------------------------
// Errors from the tree.
// ---------------------------------------------------------------------------

TEST(MerkleTreeErrorTest, RootAtBeyondTheTree) {
  MerkleTree tree = ReferenceInputsTree();
  EXPECT_EQ(tree.RootAt(9).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(tree.RootAt(~uint64_t{0}).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(MerkleTree().RootAt(1).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(MerkleTreeErrorTest, InclusionProofErrors) {
  MerkleTree tree = ReferenceInputsTree();
  // index >= tree_size: the leaf is not in that tree.
  EXPECT_EQ(tree.InclusionProof(8, 8).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tree.InclusionProof(3, 3).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tree.InclusionProof(0, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MerkleTree().InclusionProof(0, 0).status().code(), absl::StatusCode::kInvalidArgument);
  // tree_size > size(): the tree has not grown that far.
  EXPECT_EQ(tree.InclusionProof(0, 9).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(tree.InclusionProof(8, 9).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(MerkleTree().InclusionProof(0, 1).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(MerkleTreeErrorTest, ConsistencyProofErrors) {
  MerkleTree tree = ReferenceInputsTree();
  // old_size > new_size.
  EXPECT_EQ(tree.ConsistencyProof(5, 4).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tree.ConsistencyProof(1, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tree.ConsistencyProof(9, 8).status().code(), absl::StatusCode::kInvalidArgument);
  // new_size > size().
  EXPECT_EQ(tree.ConsistencyProof(1, 9).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(tree.ConsistencyProof(9, 9).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(tree.ConsistencyProof(0, 9).status().code(), absl::StatusCode::kOutOfRange);
  // old_size == 0 or old_size == new_size: nothing to prove, an empty proof.
  EXPECT_TRUE(ValueOf(tree.ConsistencyProof(0, 0)).empty());
  EXPECT_TRUE(ValueOf(tree.ConsistencyProof(0, 8)).empty());
  EXPECT_TRUE(ValueOf(tree.ConsistencyProof(8, 8)).empty());
  EXPECT_TRUE(ValueOf(MerkleTree().ConsistencyProof(0, 0)).empty());
}

}  // namespace
}  // namespace mamori::ledger
