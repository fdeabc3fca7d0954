#include "server/sweep_schedule.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace mamori::server {

SweepSchedule::SweepSchedule(engine::Engine& engine, absl::Duration interval)
    : engine_(engine), interval_(interval) {
  if (interval_ > absl::ZeroDuration()) thread_ = std::thread([this] { Loop(); });
}

SweepSchedule::~SweepSchedule() { Stop(); }

void SweepSchedule::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cancel_.store(true);
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t SweepSchedule::sweeps() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sweeps_;
}

void SweepSchedule::Loop() {
  pthread_setname_np(pthread_self(), "mamori-sweep");
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait_for(lock, absl::ToChronoMilliseconds(interval_), [this] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    // The use index first (incidents, supervision, the audit report read
    // it): folded here, a report does not wait for a day of new entries.
    const absl::Time fold_start = absl::Now();
    if (absl::Status folded = engine_.UpdateUseIndex(); !folded.ok()) {
      spdlog::error(R"("event":"use_index_fold_failed","code":"{}","message":{})",
                    absl::StatusCodeToString(folded.code()),
                    nlohmann::json(std::string(common::FromAbsl(folded.message()))).dump());
    } else {
      spdlog::info(R"("event":"use_index_fold","seconds":{:.3f})",
                   absl::ToDoubleSeconds(absl::Now() - fold_start));
    }
    const absl::Time start = absl::Now();
    engine::SweepOptions options;
    options.cancel = &cancel_;
    absl::StatusOr<engine::SweepSummary> r = engine_.SweepRetention(kRetentionActor, options);
    if (r.ok()) {
      spdlog::info(R"("event":"retention_sweep","erased":{},"deidentified":{},"held":{},)"
                   R"("keys_destroyed":{},"subjects_erased":{},"scanned":{},"seconds":{:.3f})",
                   r->erased, r->deidentified, r->held, r->keys_destroyed, r->subjects_erased,
                   r->scanned, absl::ToDoubleSeconds(absl::Now() - start));
    } else {
      // Status messages name ids and fields, never personal values.
      spdlog::error(R"("event":"retention_sweep_failed","code":"{}","message":{})",
                    absl::StatusCodeToString(r.status().code()),
                    nlohmann::json(std::string(common::FromAbsl(r.status().message()))).dump());
    }
    lock.lock();
    ++sweeps_;
  }
}

}  // namespace mamori::server
