#include "crypto/aead.h"

#include <sodium.h>

#include <span>

namespace mamori::crypto {
namespace {

static_assert(kAeadNonceSize == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kAeadTagSize == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(SecretKey::kSize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

void SealInto(const SecretKey& key, std::string_view plaintext, std::string_view aad,
              common::RandomSource& random, std::string& out) {
  out.resize(plaintext.size() + kAeadOverhead);
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  random.Fill(std::span<uint8_t>(nonce, kAeadNonceSize));
  unsigned long long cipher_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kAeadNonceSize, &cipher_len, Bytes(plaintext),
                                             plaintext.size(), Bytes(aad), aad.size(), nullptr,
                                             nonce, key.data());
}

std::string Seal(const SecretKey& key, std::string_view plaintext, std::string_view aad,
                 common::RandomSource& random) {
  std::string out;
  SealInto(key, plaintext, aad, random, out);
  return out;
}

absl::Status OpenInto(const SecretKey& key, std::string_view sealed, std::string_view aad,
                      std::string& out) {
  if (sealed.size() < kAeadOverhead) {
    out.clear();
    return absl::DataLossError("ciphertext is truncated");
  }
  out.resize(sealed.size() - kAeadOverhead);
  unsigned long long plain_len = 0;
  int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      reinterpret_cast<unsigned char*>(out.data()), &plain_len, nullptr,
      Bytes(sealed) + kAeadNonceSize, sealed.size() - kAeadNonceSize, Bytes(aad), aad.size(),
      Bytes(sealed), key.data());
  if (rc != 0) {
    out.clear();
    return absl::DataLossError("ciphertext failed authentication");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Open(const SecretKey& key, std::string_view sealed,
                                 std::string_view aad) {
  std::string out;
  absl::Status s = OpenInto(key, sealed, aad, out);
  if (!s.ok()) return s;
  return out;
}

std::string WrapKey(const SecretKey& kek, const SecretKey& key, std::string_view aad,
                    common::RandomSource& random) {
  return Seal(kek, std::string_view(reinterpret_cast<const char*>(key.data()), SecretKey::kSize),
              aad, random);
}

absl::StatusOr<SecretKey> UnwrapKey(const SecretKey& kek, std::string_view wrapped,
                                    std::string_view aad) {
  std::string plain;
  absl::Status s = OpenInto(kek, wrapped, aad, plain);
  if (!s.ok()) return absl::DataLossError("wrapped key failed authentication");
  if (plain.size() != SecretKey::kSize) {
    Wipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(plain.data()), plain.size()));
    return absl::DataLossError("wrapped key has the wrong length");
  }
  SecretKey key = SecretKey::FromBytes(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(plain.data()), plain.size()));
  Wipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(plain.data()), plain.size()));
  return key;
}

}  // namespace mamori::crypto
