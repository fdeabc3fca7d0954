#include "ledger/merkle.h"

#include <openssl/evp.h>

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "fmt/format.h"

namespace mamori::ledger {
namespace {

// SHA-256 failing is not an expected failure (only allocation can make it
// fail), so it ends the process rather than returning a wrong hash.
[[noreturn]] void DieOnOpenSsl(const char* what) {
  std::fprintf(stderr, "mamori::ledger: OpenSSL %s failed\n", what);
  std::abort();
}

// The SHA-256 implementation, fetched once from the default provider. OpenSSL
// 3 looks the algorithm up again on every call when given EVP_sha256(), which
// costs more than hashing 65 bytes; a fetched EVP_MD skips that.
const EVP_MD* Sha256() {
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) DieOnOpenSsl("EVP_MD_fetch(SHA256)");
    return fetched;
  }();
  return md;
}

// One digest context per thread, reused for every hash on that thread.
class DigestContext {
 public:
  DigestContext() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr) DieOnOpenSsl("EVP_MD_CTX_new");
  }
  ~DigestContext() { EVP_MD_CTX_free(ctx_); }
  DigestContext(const DigestContext&) = delete;
  DigestContext& operator=(const DigestContext&) = delete;

  // SHA-256(prefix || first || second); no prefix byte when `prefix` is
  // nullopt.
  Hash Digest(std::optional<uint8_t> prefix, std::span<const uint8_t> first,
              std::span<const uint8_t> second) {
    if (EVP_DigestInit_ex2(ctx_, Sha256(), nullptr) != 1) DieOnOpenSsl("EVP_DigestInit_ex2");
    if ((prefix && EVP_DigestUpdate(ctx_, &*prefix, 1) != 1) ||
        EVP_DigestUpdate(ctx_, first.data(), first.size()) != 1 ||
        EVP_DigestUpdate(ctx_, second.data(), second.size()) != 1) {
      DieOnOpenSsl("EVP_DigestUpdate");
    }
    Hash out;
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx_, out.data(), &length) != 1 || length != out.size()) {
      DieOnOpenSsl("EVP_DigestFinal_ex");
    }
    return out;
  }

  static DigestContext& ForThisThread() {
    thread_local DigestContext context;
    return context;
  }

 private:
  EVP_MD_CTX* ctx_;
};

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

// The largest power of two smaller than n: where MTH splits D[n].
// REQUIRES: n >= 2.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Right-shifts fn and sn together until fn is odd or zero (RFC 9162
// section 2.1.3.2, step 4.b.ii, and section 2.1.4.2, step 6.b.iii).
void ShiftUntilOddOrZero(uint64_t& fn, uint64_t& sn) {
  while (fn != 0 && (fn & 1) == 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

}  // namespace

Hash LeafHash(std::string_view entry) {
  return DigestContext::ForThisThread().Digest(
      kLeafPrefix,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(entry.data()), entry.size()), {});
}

Hash Sha256Of(std::string_view text) {
  return DigestContext::ForThisThread().Digest(
      std::nullopt,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()), {});
}

Hash NodeHash(const Hash& left, const Hash& right) {
  return DigestContext::ForThisThread().Digest(kNodePrefix, left, right);
}

Hash EmptyTreeRoot() {
  static const Hash root = [] {
    Hash out;
    unsigned int length = 0;
    if (EVP_Digest(nullptr, 0, out.data(), &length, Sha256(), nullptr) != 1 ||
        length != out.size()) {
      DieOnOpenSsl("EVP_Digest");
    }
    return out;
  }();
  return root;
}

std::string ToHex(const Hash& hash) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

// absl::HexStringToBytes of this Abseil release does not reject bad digits,
// so the parse is done here.
absl::StatusOr<Hash> HashFromHex(std::string_view hex) {
  Hash hash;
  if (hex.size() != 2 * hash.size()) {
    return absl::InvalidArgumentError(
        fmt::format("a hash is {} hex digits, got {}", 2 * hash.size(), hex.size()));
  }
  for (size_t i = 0; i < hash.size(); ++i) {
    int high = HexDigitValue(hex[2 * i]);
    int low = HexDigitValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      return absl::InvalidArgumentError(
          fmt::format("not a hex digit at position {}", high < 0 ? 2 * i : 2 * i + 1));
    }
    hash[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return hash;
}

void MerkleTree::Append(const Hash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  // Each level whose size became even completes one node on the level above.
  for (size_t level = 0; levels_[level].size() % 2 == 0; ++level) {
    if (level + 1 == levels_.size()) levels_.emplace_back();
    const std::vector<Hash>& nodes = levels_[level];
    Hash parent = NodeHash(nodes[nodes.size() - 2], nodes[nodes.size() - 1]);
    levels_[level + 1].push_back(parent);
  }
}

namespace {

// The RFC 6962 recursions over a SubtreeSource. A read error is kept and
// stops further reads; the caller returns it.
class TreeWalk {
 public:
  explicit TreeWalk(const SubtreeSource& source) : source_(source) {}

  const absl::Status& status() const { return status_; }

  // MTH(D[begin:end]) where [begin, end) is a subtree of the RFC recursion:
  // begin is a multiple of a power of two >= end - begin. Such a range is
  // the run of complete subtrees given by the binary digits of its size,
  // largest first; MTH folds them from the right.
  Hash SubtreeHash(uint64_t begin, uint64_t end) {
    std::array<Hash, 64> parts;
    size_t count = 0;
    uint64_t position = begin;
    const uint64_t n = end - begin;
    for (int level = std::bit_width(n) - 1; level >= 0; --level) {
      const uint64_t width = uint64_t{1} << level;
      if ((n & width) == 0) continue;
      parts[count++] = Read(level, position >> level);
      position += width;
    }
    Hash hash = parts[count - 1];
    for (size_t i = count - 1; i-- > 0;) hash = NodeHash(parts[i], hash);
    return hash;
  }

  // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k,
  //                 PATH(m - k, D[k:n]) : MTH(D[0:k]) for m >= k.
  void AppendPath(uint64_t index, uint64_t begin, uint64_t end, std::vector<Hash>& path) {
    if (end - begin == 1) return;
    const uint64_t middle = begin + SplitPoint(end - begin);
    if (index < middle) {
      AppendPath(index, begin, middle, path);
      path.push_back(SubtreeHash(middle, end));
    } else {
      AppendPath(index, middle, end, path);
      path.push_back(SubtreeHash(begin, middle));
    }
  }

  // SUBPROOF(m, D[m], b) = {} if b, {MTH(D[m])} otherwise;
  // SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) for m <= k,
  //                        SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]) for m > k.
  void AppendSubproof(uint64_t old_size, uint64_t begin, uint64_t end, bool old_is_root,
                      std::vector<Hash>& proof) {
    const uint64_t n = end - begin;
    if (old_size == n) {
      if (!old_is_root) proof.push_back(SubtreeHash(begin, end));
      return;
    }
    const uint64_t k = SplitPoint(n);
    if (old_size <= k) {
      AppendSubproof(old_size, begin, begin + k, old_is_root, proof);
      proof.push_back(SubtreeHash(begin + k, end));
    } else {
      AppendSubproof(old_size - k, begin + k, end, false, proof);
      proof.push_back(SubtreeHash(begin, begin + k));
    }
  }

 private:
  Hash Read(int level, uint64_t index) {
    if (!status_.ok()) return Hash{};
    absl::StatusOr<Hash> node = source_.Node(level, index);
    if (!node.ok()) {
      status_ = node.status();
      return Hash{};
    }
    return *node;
  }

  const SubtreeSource& source_;
  absl::Status status_;
};

absl::Status CheckSize(const SubtreeSource& source, uint64_t tree_size) {
  if (tree_size > source.size()) {
    return absl::OutOfRangeError(
        fmt::format("tree size {} is beyond the tree's {} leaves", tree_size, source.size()));
  }
  return absl::OkStatus();
}

}  // namespace

Hash RootOfFrontier(const std::array<Hash, 64>& frontier, uint64_t size) {
  if (size == 0) return EmptyTreeRoot();
  // Fold the frontier's subtrees from the smallest (rightmost) up.
  int level = std::countr_zero(size);
  Hash root = frontier[static_cast<size_t>(level)];
  for (++level; level < 64; ++level) {
    if ((size >> level & 1) != 0) root = NodeHash(frontier[static_cast<size_t>(level)], root);
  }
  return root;
}

absl::StatusOr<Hash> RootOf(const SubtreeSource& source, uint64_t tree_size) {
  if (absl::Status s = CheckSize(source, tree_size); !s.ok()) return s;
  if (tree_size == 0) return EmptyTreeRoot();
  TreeWalk walk(source);
  Hash root = walk.SubtreeHash(0, tree_size);
  if (!walk.status().ok()) return walk.status();
  return root;
}

absl::StatusOr<std::vector<Hash>> InclusionProofOf(const SubtreeSource& source, uint64_t index,
                                                   uint64_t tree_size) {
  if (index >= tree_size) {
    return absl::InvalidArgumentError(
        fmt::format("leaf {} is not in a tree of {} leaves", index, tree_size));
  }
  if (absl::Status s = CheckSize(source, tree_size); !s.ok()) return s;
  std::vector<Hash> path;
  path.reserve(static_cast<size_t>(std::bit_width(tree_size - 1)));
  TreeWalk walk(source);
  walk.AppendPath(index, 0, tree_size, path);
  if (!walk.status().ok()) return walk.status();
  return path;
}

absl::StatusOr<std::vector<Hash>> ConsistencyProofOf(const SubtreeSource& source, uint64_t old_size,
                                                     uint64_t new_size) {
  if (old_size > new_size) {
    return absl::InvalidArgumentError(
        fmt::format("old tree size {} is larger than new tree size {}", old_size, new_size));
  }
  if (absl::Status s = CheckSize(source, new_size); !s.ok()) return s;
  std::vector<Hash> proof;
  if (old_size == 0 || old_size == new_size) return proof;
  proof.reserve(static_cast<size_t>(std::bit_width(new_size - 1)) + 1);
  TreeWalk walk(source);
  walk.AppendSubproof(old_size, 0, new_size, /*old_is_root=*/true, proof);
  if (!walk.status().ok()) return walk.status();
  return proof;
}

absl::StatusOr<Hash> MerkleTree::Node(int level, uint64_t index) const {
  if (level < 0 || static_cast<size_t>(level) >= levels_.size() ||
      index >= levels_[static_cast<size_t>(level)].size()) {
    return absl::OutOfRangeError(
        fmt::format("no complete subtree at level {} index {}", level, index));
  }
  return levels_[static_cast<size_t>(level)][index];
}

Hash MerkleTree::Root() const { return size() == 0 ? EmptyTreeRoot() : *RootAt(size()); }

bool VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t tree_size,
                     std::span<const Hash> proof, const Hash& root) {
  if (index >= tree_size) return false;
  uint64_t fn = index;
  uint64_t sn = tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      ShiftUntilOddOrZero(fn, sn);
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                       const Hash& new_root, std::span<const Hash> proof) {
  if (old_size > new_size) return false;
  // The tree of no leaves has exactly one root.
  if (old_size == 0 && old_root != EmptyTreeRoot()) return false;
  // Equal sizes, or growth from the empty tree: there is nothing to prove.
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (old_size == 0) return proof.empty();
  if (proof.empty()) return false;

  // A complete old tree is a node of the new one, so the proof leaves out
  // its hash: start from old_root instead.
  size_t next = 0;
  Hash fr = std::has_single_bit(old_size) ? old_root : proof[next++];
  Hash sr = fr;
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  for (; next < proof.size(); ++next) {
    const Hash& c = proof[next];
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      ShiftUntilOddOrZero(fn, sn);
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && fr == old_root && sr == new_root;
}

}  // namespace mamori::ledger
