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

// Small draws (nonces, ids, keys) are served from a per-thread buffer filled
// by the OS CSPRNG 4 KiB at a time: one getrandom() call per ~150 nonces
// instead of one per nonce, which is most of the cost of sealing a short
// value. Served bytes are wiped from the buffer at once.
namespace {
constexpr size_t kRandomBufferSize = 4096;
constexpr size_t kMaxBufferedDraw = 64;

struct RandomBuffer {
  std::array<uint8_t, kRandomBufferSize> bytes{};
  size_t next = kRandomBufferSize;  // empty
  ~RandomBuffer() { sodium_memzero(bytes.data(), bytes.size()); }
};
}  // namespace

void SodiumRandom::Fill(std::span<uint8_t> out) {
  EnsureSodium();
  if (out.size() > kMaxBufferedDraw) {
    randombytes_buf(out.data(), out.size());
    return;
  }
  thread_local RandomBuffer buffer;
  if (kRandomBufferSize - buffer.next < out.size()) {
    randombytes_buf(buffer.bytes.data(), buffer.bytes.size());
    buffer.next = 0;
  }
  std::memcpy(out.data(), buffer.bytes.data() + buffer.next, out.size());
  sodium_memzero(buffer.bytes.data() + buffer.next, out.size());
  buffer.next += out.size();
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
  uint64_t n = 0;
  {
    std::lock_guard lock(mutex_);
    n = ++counter_;
  }
  std::memcpy(block_seed.data() + 8, &n, sizeof(n));
  randombytes_buf_deterministic(out.data(), out.size(), block_seed.data());
}

}  // namespace mamori::common
