// Clock: the one source of "now" in mamori.
//
// Everything is stored in UTC (DESIGN.md, "Time"). Production code uses
// SystemClock; tests use FakeClock to move time by hand.
//
//   FakeClock clock(absl::FromCivil(absl::CivilDay(2026, 4, 1), absl::UTCTimeZone()));
//   clock.Advance(absl::Hours(24));
//
// Thread-safety: SystemClock is thread-safe; FakeClock is thread-safe.
#pragma once

#include <atomic>

#include "absl/time/time.h"

namespace mamori::common {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override;
  // A process-wide instance; never destroyed.
  static SystemClock& Instance();
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_ns_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(now_ns_.load()); }
  void Set(absl::Time t) { now_ns_.store(absl::ToUnixNanos(t)); }
  void Advance(absl::Duration d) { now_ns_.fetch_add(absl::ToInt64Nanoseconds(d)); }

 private:
  std::atomic<int64_t> now_ns_;
};

}  // namespace mamori::common
