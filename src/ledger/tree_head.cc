#include "ledger/tree_head.h"

#include <fmt/format.h>

#include "absl/strings/escaping.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/time_format.h"

namespace mamori::ledger {
namespace {

absl::Time TruncateToMicros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

absl::Status FieldError(std::string_view field, std::string_view problem) {
  return absl::InvalidArgumentError(fmt::format("tree_head.{}: {}", field, problem));
}

}  // namespace

std::string TreeHeadMessage(uint64_t tree_size, absl::Time timestamp, const Hash& root_hash) {
  return fmt::format("mamori-tree-head-v1\n{}\n{}\n{}\n", tree_size, absl::ToUnixMicros(timestamp),
                     ToHex(root_hash));
}

TreeHead SignTreeHead(const crypto::SigningKey& key, uint64_t tree_size, absl::Time timestamp,
                      const Hash& root_hash) {
  TreeHead head{tree_size, TruncateToMicros(timestamp), root_hash, {}};
  head.signature = key.Sign(TreeHeadMessage(head.tree_size, head.timestamp, head.root_hash));
  return head;
}

bool VerifyTreeHead(std::string_view public_key, const TreeHead& head) {
  return crypto::VerifySignature(
      public_key, TreeHeadMessage(head.tree_size, head.timestamp, head.root_hash), head.signature);
}

nlohmann::json TreeHeadToJson(const TreeHead& head) {
  return {{"tree_size", head.tree_size},
          {"timestamp", common::FormatTimestampMicros(head.timestamp)},
          {"timestamp_us", absl::ToUnixMicros(head.timestamp)},
          {"root_hash", ToHex(head.root_hash)},
          {"signature", absl::Base64Escape(common::ToAbsl(head.signature))}};
}

absl::StatusOr<TreeHead> TreeHeadFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return absl::InvalidArgumentError("tree_head: expected an object");
  TreeHead head;
  auto size = json.find("tree_size");
  if (size == json.end() || !size->is_number_unsigned()) {
    return FieldError("tree_size", "expected a non-negative integer");
  }
  head.tree_size = size->get<uint64_t>();
  auto micros = json.find("timestamp_us");
  if (micros == json.end() || !micros->is_number_integer()) {
    return FieldError("timestamp_us", "expected an integer");
  }
  head.timestamp = absl::FromUnixMicros(micros->get<int64_t>());
  // "timestamp" is for people; it must say what the signed timestamp_us says.
  if (auto text = json.find("timestamp");
      text != json.end() &&
      (!text->is_string() || *text != common::FormatTimestampMicros(head.timestamp))) {
    return FieldError("timestamp", "does not match timestamp_us");
  }
  auto root = json.find("root_hash");
  if (root == json.end() || !root->is_string()) return FieldError("root_hash", "expected hex");
  absl::StatusOr<Hash> parsed = HashFromHex(root->get<std::string>());
  if (!parsed.ok()) return FieldError("root_hash", common::FromAbsl(parsed.status().message()));
  head.root_hash = *parsed;
  auto signature = json.find("signature");
  std::string decoded;
  if (signature == json.end() || !signature->is_string() ||
      !absl::Base64Unescape(signature->get_ref<const std::string&>(), &decoded) ||
      decoded.size() != crypto::SigningKey::kSignatureSize) {
    return FieldError("signature", "expected 64 bytes in base64");
  }
  head.signature = std::move(decoded);
  return head;
}

}  // namespace mamori::ledger
