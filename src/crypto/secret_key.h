// SecretKey: 32 bytes of key material that wipes itself.
//
// Every unwrapped key in mamori (master, subject, data, index, signing seed)
// lives in a SecretKey. The bytes are zeroed with sodium_memzero when the
// object dies, and are never printed: there is no operator<< and no
// conversion to string.
//
// Thread-safety: a const SecretKey may be read from many threads.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "common/random.h"

namespace mamori::crypto {

class SecretKey {
 public:
  static constexpr size_t kSize = 32;

  SecretKey();  // all zero; call Generate() or copy bytes in
  ~SecretKey();
  SecretKey(const SecretKey& other);
  SecretKey& operator=(const SecretKey& other);

  static SecretKey Generate(common::RandomSource& random);
  // REQUIRES: bytes.size() == kSize.
  static SecretKey FromBytes(std::span<const uint8_t> bytes);

  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* mutable_data() { return bytes_.data(); }
  std::span<const uint8_t, kSize> bytes() const { return bytes_; }

 private:
  std::array<uint8_t, kSize> bytes_{};
};

// Secure erase of any buffer (never optimized away).
void Wipe(std::span<uint8_t> bytes);

}  // namespace mamori::crypto
