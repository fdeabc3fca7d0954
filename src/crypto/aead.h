// Authenticated encryption of values and keys: XChaCha20-Poly1305 (IETF)
// from libsodium, with a random 192-bit nonce stored in front of the
// ciphertext.
//
// The associated data binds a ciphertext to where it belongs (for a value:
// subject, record and category), so a ciphertext copied into another row
// fails to open.
//
//   std::string sealed = Seal(key, "090-1234-5678", aad, random);
//   absl::StatusOr<std::string> plain = Open(key, sealed, aad);  // DataLoss on tamper
//
// Sealed layout: nonce (24 bytes) || ciphertext || tag (16 bytes).
// Thread-safety: all functions are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/random.h"
#include "crypto/secret_key.h"

namespace mamori::crypto {

inline constexpr size_t kAeadNonceSize = 24;
inline constexpr size_t kAeadTagSize = 16;
inline constexpr size_t kAeadOverhead = kAeadNonceSize + kAeadTagSize;

// Encrypts `plaintext` into `out` (resized to plaintext.size() + kAeadOverhead).
void SealInto(const SecretKey& key, std::string_view plaintext, std::string_view aad,
              common::RandomSource& random, std::string& out);
std::string Seal(const SecretKey& key, std::string_view plaintext, std::string_view aad,
                 common::RandomSource& random);

// Decrypts into `out`. DataLoss when the tag does not verify (wrong key,
// wrong associated data, or modified bytes); `out` is then cleared.
absl::Status OpenInto(const SecretKey& key, std::string_view sealed, std::string_view aad,
                      std::string& out);
absl::StatusOr<std::string> Open(const SecretKey& key, std::string_view sealed,
                                 std::string_view aad);

// Key wrapping: a key sealed under a key-encryption key. The associated data
// names the wrapped key's place in the hierarchy.
std::string WrapKey(const SecretKey& kek, const SecretKey& key, std::string_view aad,
                    common::RandomSource& random);
absl::StatusOr<SecretKey> UnwrapKey(const SecretKey& kek, std::string_view wrapped,
                                    std::string_view aad);

}  // namespace mamori::crypto
