#include "ledger/proof.h"

#include <fmt/format.h>

#include "common/status_macros.h"
#include "common/strings.h"
#include "ledger/ledger.h"

namespace mamori::ledger {
namespace {

constexpr std::string_view kFormat = "mamori-entry-proof-v1";

nlohmann::json HashesToJson(const std::vector<Hash>& hashes) {
  nlohmann::json list = nlohmann::json::array();
  for (const Hash& h : hashes) list.push_back(ToHex(h));
  return list;
}

absl::Status FieldError(std::string_view field, std::string_view problem) {
  return absl::InvalidArgumentError(fmt::format("proof.{}: {}", field, problem));
}

absl::StatusOr<uint64_t> ReadSize(const nlohmann::json& json, std::string_view field) {
  auto it = json.find(field);
  if (it == json.end() || !it->is_number_unsigned()) {
    return FieldError(field, "expected a non-negative integer");
  }
  return it->get<uint64_t>();
}

absl::StatusOr<Hash> ReadHash(const nlohmann::json& json, std::string_view field) {
  auto it = json.find(field);
  if (it == json.end() || !it->is_string()) return FieldError(field, "expected a hex hash");
  absl::StatusOr<Hash> h = HashFromHex(it->get<std::string>());
  if (!h.ok()) return FieldError(field, common::FromAbsl(h.status().message()));
  return *h;
}

absl::StatusOr<std::vector<Hash>> ReadHashes(const nlohmann::json& json, std::string_view field) {
  auto it = json.find(field);
  if (it == json.end() || !it->is_array()) return FieldError(field, "expected a list of hashes");
  std::vector<Hash> hashes;
  for (const nlohmann::json& item : *it) {
    if (!item.is_string()) return FieldError(field, "expected a list of hashes");
    absl::StatusOr<Hash> h = HashFromHex(item.get<std::string>());
    if (!h.ok()) return FieldError(field, common::FromAbsl(h.status().message()));
    hashes.push_back(*h);
  }
  return hashes;
}

absl::StatusOr<std::optional<TreeHead>> StoredHead(store::LedgerStore& store, uint64_t size) {
  ASSIGN_OR_RETURN(std::optional<store::TreeHeadRow> row,
                   store.GetTreeHead(static_cast<int64_t>(size)));
  if (!row) return std::nullopt;
  ASSIGN_OR_RETURN(TreeHead head, TreeHeadFromRow(*row));
  return head;
}

}  // namespace

absl::StatusOr<EntryProof> ProveEntry(store::LedgerStore& store, const StoredTree& tree,
                                      uint64_t index, std::optional<uint64_t> against_size) {
  ASSIGN_OR_RETURN(std::optional<store::TreeHeadRow> latest_row, store.LatestTreeHead());
  if (!latest_row) {
    return absl::FailedPreconditionError("no tree head has been signed yet");
  }
  EntryProof proof;
  ASSIGN_OR_RETURN(proof.head, TreeHeadFromRow(*latest_row));
  proof.tree_size = against_size.value_or(proof.head.tree_size);
  if (proof.tree_size > proof.head.tree_size) {
    return absl::InvalidArgumentError(
        fmt::format("--against-size {} is beyond the latest signed tree head ({} entries)",
                    proof.tree_size, proof.head.tree_size));
  }
  if (index >= proof.tree_size) {
    return absl::InvalidArgumentError(
        fmt::format("entry {} is not in the tree of {} entries{}", index, proof.tree_size,
                    against_size ? "" : " covered by the latest signed tree head"));
  }
  ASSIGN_OR_RETURN(std::optional<store::LedgerEntryRow> row,
                   store.GetEntry(static_cast<int64_t>(index)));
  if (!row) return absl::DataLossError(fmt::format("ledger entry {} is missing", index));
  proof.index = index;
  proof.entry = row->entry;
  ASSIGN_OR_RETURN(proof.root_hash, RootOf(tree, proof.tree_size));
  ASSIGN_OR_RETURN(proof.inclusion, InclusionProofOf(tree, index, proof.tree_size));
  ASSIGN_OR_RETURN(proof.consistency,
                   ConsistencyProofOf(tree, proof.tree_size, proof.head.tree_size));
  ASSIGN_OR_RETURN(proof.tree_size_head, StoredHead(store, proof.tree_size));
  return proof;
}

nlohmann::json EntryProofToJson(const EntryProof& proof) {
  return {{"format", kFormat},
          {"index", proof.index},
          {"entry", proof.entry},
          {"leaf_hash", ToHex(LeafHash(proof.entry))},
          {"tree_size", proof.tree_size},
          {"root_hash", ToHex(proof.root_hash)},
          {"inclusion", HashesToJson(proof.inclusion)},
          {"consistency", HashesToJson(proof.consistency)},
          {"tree_head", TreeHeadToJson(proof.head)},
          {"tree_size_head",
           proof.tree_size_head ? TreeHeadToJson(*proof.tree_size_head) : nlohmann::json()}};
}

absl::StatusOr<EntryProof> EntryProofFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return absl::InvalidArgumentError("proof: expected a JSON object");
  auto format = json.find("format");
  if (format == json.end() || *format != kFormat) {
    return FieldError("format", fmt::format("expected \"{}\"", kFormat));
  }
  EntryProof proof;
  ASSIGN_OR_RETURN(proof.index, ReadSize(json, "index"));
  auto entry = json.find("entry");
  if (entry == json.end() || !entry->is_string()) return FieldError("entry", "expected a string");
  proof.entry = entry->get<std::string>();
  ASSIGN_OR_RETURN(proof.tree_size, ReadSize(json, "tree_size"));
  ASSIGN_OR_RETURN(proof.root_hash, ReadHash(json, "root_hash"));
  ASSIGN_OR_RETURN(proof.inclusion, ReadHashes(json, "inclusion"));
  ASSIGN_OR_RETURN(proof.consistency, ReadHashes(json, "consistency"));
  auto head = json.find("tree_head");
  if (head == json.end()) return FieldError("tree_head", "missing");
  ASSIGN_OR_RETURN(proof.head, TreeHeadFromJson(*head));
  auto size_head = json.find("tree_size_head");
  if (size_head != json.end() && !size_head->is_null()) {
    ASSIGN_OR_RETURN(proof.tree_size_head, TreeHeadFromJson(*size_head));
  }
  if (json.contains("leaf_hash")) {
    ASSIGN_OR_RETURN(proof.stated_leaf_hash, ReadHash(json, "leaf_hash"));
  }
  return proof;
}

absl::Status CheckEntryProof(const EntryProof& proof, std::string_view public_key) {
  if (proof.stated_leaf_hash && *proof.stated_leaf_hash != LeafHash(proof.entry)) {
    return absl::DataLossError(
        fmt::format("entry {}: its text does not match the proof's leaf hash", proof.index));
  }
  if (!VerifyTreeHead(public_key, proof.head)) {
    return absl::DataLossError("the tree head's signature does not verify with this public key");
  }
  if (!VerifyConsistency(proof.tree_size, proof.head.tree_size, proof.root_hash,
                         proof.head.root_hash, proof.consistency)) {
    return absl::DataLossError(fmt::format(
        "the tree of {} entries is not consistent with the signed tree head of {} entries",
        proof.tree_size, proof.head.tree_size));
  }
  if (!VerifyInclusion(LeafHash(proof.entry), proof.index, proof.tree_size, proof.inclusion,
                       proof.root_hash)) {
    return absl::DataLossError(
        fmt::format("entry {} is not in the tree of {} entries", proof.index, proof.tree_size));
  }
  if (proof.tree_size_head) {
    if (proof.tree_size_head->tree_size != proof.tree_size ||
        proof.tree_size_head->root_hash != proof.root_hash ||
        !VerifyTreeHead(public_key, *proof.tree_size_head)) {
      return absl::DataLossError(
          fmt::format("the signed tree head of size {} does not match", proof.tree_size));
    }
  }
  return absl::OkStatus();
}

}  // namespace mamori::ledger
