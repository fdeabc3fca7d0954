// Ed25519 signing keys for the ledger's signed tree heads (DESIGN.md,
// "Verifiable, not just logged"). The secret half is only ever stored
// wrapped under the master key; the public half can be handed to anyone.
//
//   SigningKey key = SigningKey::Generate(random);
//   std::string sig = key.Sign(message);
//   bool ok = VerifySignature(key.public_key(), message, sig);
//
// Thread-safety: a const SigningKey is thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/random.h"
#include "crypto/secret_key.h"

namespace mamori::crypto {

class SigningKey {
 public:
  static constexpr size_t kPublicKeySize = 32;
  static constexpr size_t kSignatureSize = 64;

  static SigningKey Generate(common::RandomSource& random);
  // Rebuilds the key pair from its 32-byte seed.
  static SigningKey FromSeed(const SecretKey& seed);

  const SecretKey& seed() const { return seed_; }
  const std::string& public_key() const { return public_key_; }
  std::string Sign(std::string_view message) const;

 private:
  SecretKey seed_;
  std::string public_key_;
};

bool VerifySignature(std::string_view public_key, std::string_view message,
                     std::string_view signature);

// A raw 32-byte Ed25519 public key as PEM (SubjectPublicKeyInfo, "-----BEGIN
// PUBLIC KEY-----"), the form `openssl pkeyutl -verify -pubin` reads.
std::string PublicKeyToPem(std::string_view public_key);
// The raw 32-byte key of an Ed25519 PEM public key. InvalidArgument for
// anything else.
absl::StatusOr<std::string> PublicKeyFromPem(std::string_view pem);

}  // namespace mamori::crypto
