// Proofs an auditor checks offline with nothing but the operator's public
// key (docs/ledger-format.md, "Proofs"): one entry's inclusion in the tree
// of `tree_size` entries, and that tree's consistency with the latest
// signed tree head.
//
//   ASSIGN_OR_RETURN(EntryProof proof, ProveEntry(store.ledger(), tree, 42, std::nullopt));
//   nlohmann::json j = EntryProofToJson(proof);
//   absl::Status ok = CheckEntryProof(*EntryProofFromJson(j), public_key);
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/merkle.h"
#include "ledger/stored_tree.h"
#include "ledger/tree_head.h"
#include "store/store.h"

namespace mamori::ledger {

struct EntryProof {
  uint64_t index = 0;
  std::string entry;  // the entry's exact bytes
  // The leaf hash the proof states, when read from JSON: it must be the
  // entry's.
  std::optional<Hash> stated_leaf_hash;
  // Inclusion of the entry in the tree of the first `tree_size` entries.
  uint64_t tree_size = 0;
  Hash root_hash{};
  std::vector<Hash> inclusion;
  // The signed head the proof leads to (the latest), and the consistency
  // proof from `tree_size` to its size (empty when they are equal).
  TreeHead head;
  std::vector<Hash> consistency;
  // The signed head of exactly `tree_size`, when one was stored: lets an
  // auditor match the proof to a head they kept.
  std::optional<TreeHead> tree_size_head;
};

// Proves entry `index` in the tree of `against_size` entries (default: the
// latest signed head's size), leading to the latest signed head.
// InvalidArgument for an index or size outside the signed ledger;
// FailedPrecondition when no head has been signed yet.
absl::StatusOr<EntryProof> ProveEntry(store::LedgerStore& store, const StoredTree& tree,
                                      uint64_t index, std::optional<uint64_t> against_size);

// {"format": "mamori-entry-proof-v1", "index": N, "entry": "<exact text>",
//  "leaf_hash": hex, "tree_size": M, "root_hash": hex, "inclusion": [hex...],
//  "consistency": [hex...], "tree_head": {...}, "tree_size_head": {...} | null}
nlohmann::json EntryProofToJson(const EntryProof& proof);
// InvalidArgument naming the field for anything malformed.
absl::StatusOr<EntryProof> EntryProofFromJson(const nlohmann::json& json);

// OK when the stated leaf hash (if any) is the entry's, the head's signature
// verifies with `public_key`, the consistency
// proof links root_hash at tree_size to the head's root, the inclusion proof
// links the entry's leaf hash to root_hash, and tree_size_head (if any) is
// signed and has the same root. DataLoss naming the first check that fails.
absl::Status CheckEntryProof(const EntryProof& proof, std::string_view public_key);

}  // namespace mamori::ledger
