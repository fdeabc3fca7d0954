#include "crypto/signing_key.h"

#include <sodium.h>

#include <array>

namespace mamori::crypto {

static_assert(SecretKey::kSize == crypto_sign_SEEDBYTES);
static_assert(SigningKey::kPublicKeySize == crypto_sign_PUBLICKEYBYTES);
static_assert(SigningKey::kSignatureSize == crypto_sign_BYTES);

SigningKey SigningKey::Generate(common::RandomSource& random) {
  return FromSeed(SecretKey::Generate(random));
}

SigningKey SigningKey::FromSeed(const SecretKey& seed) {
  SigningKey key;
  key.seed_ = seed;
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> secret{};
  key.public_key_.assign(kPublicKeySize, '\0');
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(key.public_key_.data()), secret.data(),
                           seed.data());
  sodium_memzero(secret.data(), secret.size());
  return key;
}

std::string SigningKey::Sign(std::string_view message) const {
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> secret{};
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> public_key{};
  crypto_sign_seed_keypair(public_key.data(), secret.data(), seed_.data());
  std::string signature(kSignatureSize, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret.data());
  sodium_memzero(secret.data(), secret.size());
  return signature;
}

bool VerifySignature(std::string_view public_key, std::string_view message,
                     std::string_view signature) {
  if (public_key.size() != SigningKey::kPublicKeySize ||
      signature.size() != SigningKey::kSignatureSize) {
    return false;
  }
  return crypto_sign_verify_detached(
             reinterpret_cast<const unsigned char*>(signature.data()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(),
             reinterpret_cast<const unsigned char*>(public_key.data())) == 0;
}

}  // namespace mamori::crypto
