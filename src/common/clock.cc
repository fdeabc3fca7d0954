#include "common/clock.h"

#include "absl/time/clock.h"

namespace mamori::common {

absl::Time SystemClock::Now() const { return absl::Now(); }

SystemClock& SystemClock::Instance() {
  static SystemClock* clock = new SystemClock();
  return *clock;
}

}  // namespace mamori::common
