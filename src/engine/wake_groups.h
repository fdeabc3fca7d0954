// WakeGroups: wakes the callers waiting on one batch of the writer with a
// single futex wake-up instead of one each.
//
// A caller of Engine::Submit sleeps until its job's batch is durable. Woken
// one by one, each caller preempted the sync thread that woke it (the
// scheduler runs a freshly woken thread first), so the sync thread ran a
// caller's next read before waking the next caller, and the next sync began
// only after all of them: with 64 callers on two cores, a third of the CPU
// went to those switches. Callers whose jobs the writer took together share
// a word here, and one wake-up per word lets the sync thread wake them all
// in one system call before it yields.
//
//   queue (under the queue's lock):  job.wake_word = groups.Current();
//   writer takes the queued jobs:    groups.NextIntake();   (same lock)
//   caller:                          WakeGroups::Wait(answered, word);
//   sync thread, after answering:    WakeGroups::WakeAll(word);
//
// Why not std::atomic<T>::wait: libstdc++ 12 spins before it sleeps and
// calls sched_yield four times in that spin, each a switch to another of
// the many runnable callers.
//
// Thread-safety: Current() and NextIntake() under the caller's lock; Wait()
// and WakeAll() from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace mamori::engine {

class WakeGroups {
 public:
  // The word for jobs queued now.
  std::atomic<uint32_t>* Current() { return &words_[intake_ % kWords].value; }
  // The writer took every job queued so far: later ones wake apart.
  void NextIntake() { ++intake_; }

  // Returns once `answered` is true (set by the job's answer, before the
  // WakeAll of its word).
  static void Wait(const std::atomic<bool>& answered, std::atomic<uint32_t>* word);
  // Wakes every caller waiting on `word`.
  static void WakeAll(std::atomic<uint32_t>* word);

 private:
  // Words are reused after kWords intakes: a caller woken by a later batch
  // that shares its word finds its job unanswered and sleeps again.
  static constexpr size_t kWords = 64;
  struct alignas(64) Word {
    std::atomic<uint32_t> value{0};
  };
  std::array<Word, kWords> words_;
  uint64_t intake_ = 0;
};

}  // namespace mamori::engine
