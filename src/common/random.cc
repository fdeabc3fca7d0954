#include "common/random.h"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace mamori::common {
namespace {

void EnsureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialize");
}

}  // namespace

void SodiumRandom::Fill(std::span<uint8_t> out) {
  EnsureSodium();
  randombytes_buf(out.data(), out.size());
}

SodiumRandom& SodiumRandom::Instance() {
  static SodiumRandom* random = new SodiumRandom();
  return *random;
}

DeterministicRandom::DeterministicRandom(uint64_t seed) {
  EnsureSodium();
  std::memcpy(seed_.data(), &seed, sizeof(seed));
}

void DeterministicRandom::Fill(std::span<uint8_t> out) {
  // Mix the call counter into the seed so successive calls differ.
  std::array<uint8_t, randombytes_SEEDBYTES> block_seed = seed_;
  uint64_t n = ++counter_;
  std::memcpy(block_seed.data() + 8, &n, sizeof(n));
  randombytes_buf_deterministic(out.data(), out.size(), block_seed.data());
}

}  // namespace mamori::common
