#include "engine/wake_groups.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

namespace mamori::engine {
namespace {

// The futex system calls take the word's address; an atomic of 32 bits is
// that word.
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
              std::atomic<uint32_t>::is_always_lock_free);

uint32_t* Address(std::atomic<uint32_t>* word) { return reinterpret_cast<uint32_t*>(word); }

}  // namespace

void WakeGroups::Wait(const std::atomic<bool>& answered, std::atomic<uint32_t>* word) {
  while (true) {
    // The word before the answer: a WakeAll after this load changes it, and
    // the futex then returns at once instead of sleeping through it.
    const uint32_t seen = word->load(std::memory_order_acquire);
    if (answered.load(std::memory_order_acquire)) return;
    syscall(SYS_futex, Address(word), FUTEX_WAIT_PRIVATE, seen, nullptr, nullptr, 0);
  }
}

void WakeGroups::WakeAll(std::atomic<uint32_t>* word) {
  word->fetch_add(1, std::memory_order_release);
  syscall(SYS_futex, Address(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

}  // namespace mamori::engine
