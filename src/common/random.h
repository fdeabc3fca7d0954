// RandomSource: where mamori gets random bytes (keys, nonces, ids).
//
// Production code uses SodiumRandom (the OS CSPRNG through libsodium). Tests
// that need repeatable output use DeterministicRandom; it is never used for
// real keys.
//
// Thread-safety: implementations must be thread-safe (a vault draws from
// two threads during an import); both here are.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <span>

namespace mamori::common {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void Fill(std::span<uint8_t> out) = 0;
};

class SodiumRandom final : public RandomSource {
 public:
  void Fill(std::span<uint8_t> out) override;
  // A process-wide instance; never destroyed.
  static SodiumRandom& Instance();
};

// Repeatable bytes from a seed: each Fill() call draws a fresh block derived
// from (seed, call counter).
class DeterministicRandom final : public RandomSource {
 public:
  explicit DeterministicRandom(uint64_t seed);
  void Fill(std::span<uint8_t> out) override;

 private:
  std::mutex mutex_;
  std::array<uint8_t, 32> seed_{};
  uint64_t counter_ = 0;  // guarded by mutex_
};

}  // namespace mamori::common
