// BlindIndexer: keyed BLAKE2b MACs of normalized identifiers, so a customer
// can be found by phone, email, contract number, name or birth date without
// decrypting anything (DESIGN.md, "Look-ups without decryption").
//
// The MAC is domain-separated by the identifier kind, so the same string
// indexed as a name and as a contract number gives unrelated MACs. Callers
// normalize first (vault/normalizer.h); this class only MACs.
//
//   BlindIndexer indexer(index_key);
//   std::string mac = indexer.Mac("phone", "+819012345678");  // 32 bytes
//
// Thread-safety: thread-safe (const after construction).
#pragma once

#include <string>
#include <string_view>

#include "crypto/secret_key.h"

namespace mamori::crypto {

class BlindIndexer {
 public:
  static constexpr size_t kMacSize = 32;

  explicit BlindIndexer(const SecretKey& key) : key_(key) {}

  // MAC over (domain, 0x00, normalized value).
  std::string Mac(std::string_view domain, std::string_view normalized) const;

 private:
  SecretKey key_;
};

}  // namespace mamori::crypto
