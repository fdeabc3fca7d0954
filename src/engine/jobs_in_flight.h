// RunJobsInFlight: a long task run as writer jobs one after another, two in
// flight, so that one runs while the other's commit is synced and the
// writer does not wait for the disk between them. The retention sweep's
// erasures and page fills, and the ledger folds, run this way.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "common/status_macros.h"

namespace mamori::engine {

enum class JobsEnd { kDone, kCancelled };

template <typename T>
using WriterJob = std::function<absl::StatusOr<T>()>;

// `next()` gives the next job, or nullopt when there is none left;
// `submit(job, done)` queues it on the writer (Engine::SubmitAsync); `take`
// is given each job's result, in order, and returns whether to submit
// more. Submitting stops at the first error, when `take` says so, or when
// `cancel` is set; the jobs in flight are always waited for, as they may
// use what the caller holds. Returns the first error, else how it ended.
template <typename T>
absl::StatusOr<JobsEnd> RunJobsInFlight(
    const std::atomic<bool>* cancel, absl::FunctionRef<std::optional<WriterJob<T>>()> next,
    absl::FunctionRef<void(WriterJob<T>, std::function<void(absl::StatusOr<T>)>)> submit,
    absl::FunctionRef<bool(T&)> take) {
  constexpr size_t kInFlight = 2;
  std::deque<std::future<absl::StatusOr<T>>> in_flight;
  absl::Status failed;
  bool more = true, cancelled = false;
  auto collect = [&] {
    absl::StatusOr<T> result = in_flight.front().get();
    in_flight.pop_front();
    if (!result.ok()) {
      if (failed.ok()) failed = result.status();
    } else if (!take(*result)) {
      more = false;
    }
  };
  while (failed.ok() && more) {
    if (cancel != nullptr && cancel->load()) {
      cancelled = true;
      break;
    }
    if (in_flight.size() == kInFlight) {
      collect();
      continue;
    }
    std::optional<WriterJob<T>> job = next();
    if (!job) break;
    auto promise = std::make_shared<std::promise<absl::StatusOr<T>>>();
    in_flight.push_back(promise->get_future());
    submit(*std::move(job),
           [promise](absl::StatusOr<T> result) { promise->set_value(std::move(result)); });
  }
  while (!in_flight.empty()) collect();
  RETURN_IF_ERROR(failed);
  return cancelled ? JobsEnd::kCancelled : JobsEnd::kDone;
}

}  // namespace mamori::engine
