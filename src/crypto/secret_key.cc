#include "crypto/secret_key.h"

#include <sodium.h>

#include <cassert>
#include <cstring>

namespace mamori::crypto {

SecretKey::SecretKey() = default;

SecretKey::~SecretKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

SecretKey::SecretKey(const SecretKey& other) : bytes_(other.bytes_) {}

SecretKey& SecretKey::operator=(const SecretKey& other) {
  bytes_ = other.bytes_;
  return *this;
}

SecretKey SecretKey::Generate(common::RandomSource& random) {
  SecretKey key;
  random.Fill(key.bytes_);
  return key;
}

SecretKey SecretKey::FromBytes(std::span<const uint8_t> bytes) {
  assert(bytes.size() == kSize);
  SecretKey key;
  std::memcpy(key.bytes_.data(), bytes.data(), kSize);
  return key;
}

void Wipe(std::span<uint8_t> bytes) { sodium_memzero(bytes.data(), bytes.size()); }

}  // namespace mamori::crypto
