// The RFC 6962 Merkle tree under the ledger (DESIGN.md, "Verifiable, not just
// logged"): leaf and node hashing, an append-only tree that gives the root of
// any earlier size with inclusion and consistency proofs, and verifiers that
// need nothing but a proof, as an auditor's offline tool would.
//
// Hashing follows RFC 6962 section 2.1 (unchanged in RFC 9162 section 2.1):
// a leaf is SHA-256(0x00 || entry), an interior node SHA-256(0x01 || left ||
// right), the empty tree SHA-256(""). MTH(D[n]) for n > 1 splits at k, the
// largest power of two smaller than n. This file knows nothing of storage or
// signing; the ledger builds on it.
//
//   MerkleTree tree;
//   tree.Append(LeafHash(entry0));
//   tree.Append(LeafHash(entry1));
//   Hash root = tree.Root();
//   absl::StatusOr<std::vector<Hash>> path = tree.InclusionProof(1, tree.size());
//   bool ok = VerifyInclusion(LeafHash(entry1), 1, tree.size(), *path, root);
//
// Thread-safety: the free functions are thread-safe. A MerkleTree's const
// methods may run concurrently with each other; Append needs exclusive access.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mamori::ledger {

// A SHA-256 digest: a leaf hash, an interior node hash or a tree root.
using Hash = std::array<uint8_t, 32>;

// SHA-256(0x00 || entry): the hash of one ledger entry as a leaf.
Hash LeafHash(std::string_view entry);
// Plain SHA-256 of a text (no prefix), for the ledger's other digests:
// token hashes, notes. Uses the same per-thread context as LeafHash.
Hash Sha256Of(std::string_view text);
// SHA-256(0x01 || left || right): the hash of an interior node.
Hash NodeHash(const Hash& left, const Hash& right);
// SHA-256(""): the root of the tree with no leaves.
Hash EmptyTreeRoot();

// Lowercase hexadecimal, 64 characters.
std::string ToHex(const Hash& hash);
// Parses 64 hexadecimal digits (either case). InvalidArgument otherwise.
absl::StatusOr<Hash> HashFromHex(std::string_view hex);

// Where the tree algorithms read hashes: Node(level, index) is the MTH of
// the complete, aligned subtree of leaves [index * 2^level, (index + 1) *
// 2^level), level 0 being the leaf hashes. The in-memory MerkleTree below is
// one; the ledger's stored tree (ledger/stored_tree.h) is another.
class SubtreeSource {
 public:
  virtual ~SubtreeSource() = default;
  // The number of leaves.
  virtual uint64_t size() const = 0;
  // REQUIRES: the subtree lies within size().
  virtual absl::StatusOr<Hash> Node(int level, uint64_t index) const = 0;
};

// MTH of a tree of `size` leaves from its frontier: frontier[l] is the hash
// of the complete subtree of 2^l leaves on the right edge when bit l of
// `size` is set (as an append-only tree keeps it). EmptyTreeRoot() for 0.
Hash RootOfFrontier(const std::array<Hash, 64>& frontier, uint64_t size);

// MTH(D[0:tree_size]), from the O(log n) complete subtrees that make it up.
// OutOfRange if tree_size > source.size().
absl::StatusOr<Hash> RootOf(const SubtreeSource& source, uint64_t tree_size);

// RFC 6962 section 2.1.1 PATH(index, D[0:tree_size]): the audit path of
// leaf `index` in the tree of the first tree_size leaves, from the leaf's
// sibling up to the root's child. InvalidArgument if index >= tree_size;
// OutOfRange if tree_size > source.size().
absl::StatusOr<std::vector<Hash>> InclusionProofOf(const SubtreeSource& source, uint64_t index,
                                                   uint64_t tree_size);

// RFC 6962 section 2.1.2 PROOF(old_size, D[0:new_size]): shows that the tree
// of new_size leaves extends the tree of old_size leaves. The RFC defines
// it for 0 < old_size < new_size; SUBPROOF(m, D[m], true) = {} makes it
// empty when old_size == new_size, and it is empty when old_size == 0 too
// (every tree extends the empty tree), as in the certificate-transparency
// reference code. InvalidArgument if old_size > new_size; OutOfRange if
// new_size > source.size().
absl::StatusOr<std::vector<Hash>> ConsistencyProofOf(const SubtreeSource& source, uint64_t old_size,
                                                     uint64_t new_size);

// An append-only Merkle tree over leaf hashes, in memory. It keeps every
// complete subtree (level l holds the hashes of the aligned subtrees of 2^l
// leaves), so the root of any earlier size and any proof are computed
// without rehashing leaves; the incomplete nodes on the right edge of a tree
// whose size is not a power of two are computed when needed, in O(log n)
// node hashes. Memory: about 2 hashes (64 bytes) per leaf. Append costs one
// node hash on average.
class MerkleTree final : public SubtreeSource {
 public:
  MerkleTree() = default;

  // Appends a leaf hash (normally LeafHash(entry)) as leaf number size().
  void Append(const Hash& leaf_hash);

  uint64_t size() const override { return levels_.empty() ? 0 : levels_[0].size(); }
  absl::StatusOr<Hash> Node(int level, uint64_t index) const override;

  // MTH of the whole tree; EmptyTreeRoot() when empty.
  Hash Root() const;

  // RootOf, InclusionProofOf and ConsistencyProofOf on this tree.
  absl::StatusOr<Hash> RootAt(uint64_t tree_size) const { return RootOf(*this, tree_size); }
  absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t tree_size) const {
    return InclusionProofOf(*this, index, tree_size);
  }
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size) const {
    return ConsistencyProofOf(*this, old_size, new_size);
  }

 private:
  // levels_[l][j] = MTH of leaves [j * 2^l, (j + 1) * 2^l); levels_[0] holds
  // the leaf hashes.
  std::vector<std::vector<Hash>> levels_;
};

// Neither verifier hashes the tree sizes into the proof: a proof can also fit
// another size whose tree has the same shape along its path (leaf 0 of 3
// leaves and of 4 leaves, say). The root is what pins the size down, so a
// caller takes the size and the root from the same signed tree head.

// Verifies that `leaf_hash` is leaf `index` of the tree of `tree_size` leaves
// whose root is `root`, given its audit path (RFC 9162 section 2.1.3.2).
// False if index >= tree_size or the proof does not lead to `root`.
bool VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t tree_size,
                     std::span<const Hash> proof, const Hash& root);

// Verifies that the tree of new_size leaves with root new_root extends the
// tree of old_size leaves with root old_root (RFC 9162 section 2.1.4.2).
// old_size == new_size needs an empty proof and equal roots; old_size == 0
// needs an empty proof and old_root == EmptyTreeRoot(). False if
// old_size > new_size.
bool VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                       const Hash& new_root, std::span<const Hash> proof);

}  // namespace mamori::ledger
