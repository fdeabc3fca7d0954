// SweepSchedule: the server's automatic retention sweep (docs/retention.md).
// Every `interval` it folds the ledger's new decisions into the use index
// (Engine::UpdateUseIndex, for incidents and the audit report) and runs
// Engine::SweepRetention as `system:retention` on a thread of its own; the sweep works in bounded writer jobs, so requests go
// on meanwhile. Results and failures go to the log as counts only.
//
//   SweepSchedule schedule(engine, absl::Hours(1));
//   ...
//   schedule.Stop();  // a sweep in progress stops after its current job
//
// Thread-safety: Stop() may be called from any thread, once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "engine/engine.h"

namespace mamori::server {

inline constexpr char kRetentionActor[] = "system:retention";

class SweepSchedule {
 public:
  // A zero or negative interval schedules nothing. The first sweep runs
  // one interval after start, not at once: a restart must not stall the
  // first requests.
  SweepSchedule(engine::Engine& engine, absl::Duration interval);
  ~SweepSchedule();
  SweepSchedule(const SweepSchedule&) = delete;
  SweepSchedule& operator=(const SweepSchedule&) = delete;

  void Stop();
  // Sweeps run so far (for tests and metrics).
  int64_t sweeps() const;

 private:
  void Loop();

  engine::Engine& engine_;
  const absl::Duration interval_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};  // tells a running sweep to stop
  int64_t sweeps_ = 0;
  std::thread thread_;
};

}  // namespace mamori::server
