#include "common/ids.h"

#include <array>

#include "absl/strings/escaping.h"

namespace mamori::common {
namespace {
constexpr size_t kIdBytes = 16;
constexpr size_t kIdTimeBytes = 6;
constexpr size_t kIdBodyLength = 22;  // base64 of 16 bytes, unpadded
}  // namespace

std::string_view IdPrefix(IdKind kind) {
  switch (kind) {
    case IdKind::kSubject:
      return "sub_";
    case IdKind::kRecord:
      return "rec_";
    case IdKind::kRequest:
      return "req_";
    case IdKind::kConsent:
      return "con_";
    case IdKind::kComplaint:
      return "cmp_";
    case IdKind::kIncident:
      return "inc_";
    case IdKind::kHold:
      return "hld_";
    case IdKind::kToken:
      return "tok_";
    case IdKind::kStopOrder:
      return "stp_";
    case IdKind::kDeidentified:
      return "dei_";
    case IdKind::kProvision:
      return "prv_";
    case IdKind::kReceipt:
      return "rcv_";
    case IdKind::kTrusteeAudit:
      return "aud_";
    case IdKind::kReentrustment:
      return "ree_";
  }
  return "";
}

std::string NewId(IdKind kind, RandomSource& random, absl::Time now) {
  std::array<uint8_t, kIdBytes> bytes{};
  uint64_t millis = static_cast<uint64_t>(absl::ToUnixMillis(now));
  for (size_t i = 0; i < kIdTimeBytes; ++i) {
    bytes[i] = static_cast<uint8_t>(millis >> (8 * (kIdTimeBytes - 1 - i)));
  }
  random.Fill(std::span<uint8_t>(bytes.data() + kIdTimeBytes, kIdBytes - kIdTimeBytes));
  std::string body = absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  std::string id(IdPrefix(kind));
  id += body;
  return id;
}

bool IsValidId(std::string_view id, IdKind kind) {
  std::string_view prefix = IdPrefix(kind);
  if (id.substr(0, prefix.size()) != prefix) return false;
  std::string_view body = id.substr(prefix.size());
  if (body.size() != kIdBodyLength) return false;
  for (char c : body) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace mamori::common
