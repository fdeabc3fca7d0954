#include "crypto/blind_index.h"

#include <sodium.h>

namespace mamori::crypto {

static_assert(BlindIndexer::kMacSize >= crypto_generichash_BYTES_MIN);
static_assert(SecretKey::kSize >= crypto_generichash_KEYBYTES_MIN);

std::string BlindIndexer::Mac(std::string_view domain, std::string_view normalized) const {
  crypto_generichash_state state;
  crypto_generichash_init(&state, key_.data(), SecretKey::kSize, kMacSize);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(domain.data()),
                            domain.size());
  const unsigned char separator = 0;
  crypto_generichash_update(&state, &separator, 1);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(normalized.data()),
                            normalized.size());
  std::string mac(kMacSize, '\0');
  crypto_generichash_final(&state, reinterpret_cast<unsigned char*>(mac.data()), kMacSize);
  sodium_memzero(&state, sizeof(state));
  return mac;
}

}  // namespace mamori::crypto
