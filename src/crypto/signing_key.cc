#include "crypto/signing_key.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <array>
#include <cstdlib>
#include <memory>

#include "absl/status/status.h"

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

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

}  // namespace

std::string PublicKeyToPem(std::string_view public_key) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(public_key.data()),
      public_key.size()));
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (key == nullptr || bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) {
    // Only a wrong-sized key or allocation failure gets here: a bug.
    std::abort();
  }
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

absl::StatusOr<std::string> PublicKeyFromPem(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) std::abort();
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError("not an Ed25519 public key in PEM form");
  }
  std::string raw(SigningKey::kPublicKeySize, '\0');
  size_t length = raw.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(raw.data()),
                                  &length) != 1 ||
      length != raw.size()) {
    return absl::InvalidArgumentError("not an Ed25519 public key in PEM form");
  }
  return raw;
}

}  // namespace mamori::crypto
