// Signed tree heads: the Ed25519 signature of the operator's ledger key over
// the Merkle root of the first `tree_size` entries at a point in time
// (docs/ledger-format.md, "Tree heads"). Anyone with the public key can
// check one without the data directory.
//
//   TreeHead head = SignTreeHead(key, tree.size(), clock.Now(), tree.Root());
//   bool ok = VerifyTreeHead(key.public_key(), head);
//   nlohmann::json j = TreeHeadToJson(head);
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/signing_key.h"
#include "ledger/merkle.h"

namespace mamori::ledger {

struct TreeHead {
  uint64_t tree_size = 0;
  absl::Time timestamp;  // whole microseconds
  Hash root_hash{};
  std::string signature;  // 64 bytes
};

// The exact bytes signed, ASCII with "\n" after each line:
//   mamori-tree-head-v1
//   <tree_size in decimal>
//   <timestamp in microseconds since 1970-01-01T00:00:00Z, decimal>
//   <root hash, 64 lowercase hex digits>
std::string TreeHeadMessage(uint64_t tree_size, absl::Time timestamp, const Hash& root_hash);

// `timestamp` is truncated to whole microseconds.
TreeHead SignTreeHead(const crypto::SigningKey& key, uint64_t tree_size, absl::Time timestamp,
                      const Hash& root_hash);
bool VerifyTreeHead(std::string_view public_key, const TreeHead& head);

// {"tree_size": N, "timestamp": "RFC 3339 with microseconds", "timestamp_us": N,
//  "root_hash": "<hex>", "signature": "<base64>"}
nlohmann::json TreeHeadToJson(const TreeHead& head);
// InvalidArgument naming the field for anything malformed, including a
// "timestamp" that is not "timestamp_us" (the signature is not checked here).
absl::StatusOr<TreeHead> TreeHeadFromJson(const nlohmann::json& json);

}  // namespace mamori::ledger
