// The definitions of Engine::Submit and Engine::SubmitAsync, for the
// engine's source files that queue writer jobs (engine.cc,
// retention_sweep.cc); not part of its interface.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "engine/engine.h"

namespace mamori::engine {

template <typename T>
void Engine::SubmitAsync(JobKind kind, std::function<absl::StatusOr<T>()> fn,
                         std::function<void(absl::StatusOr<T>)> done,
                         std::atomic<uint32_t>** wake_word) {
  struct State {
    std::function<absl::StatusOr<T>()> fn;
    std::function<void(absl::StatusOr<T>)> done;
    std::optional<absl::StatusOr<T>> result;
  };
  auto state = std::make_shared<State>(State{std::move(fn), std::move(done), std::nullopt});
  Job job;
  job.kind = kind;
  job.run = [state]() -> absl::Status {
    state->result = state->fn();
    return state->result->status();
  };
  job.finish = [state](const absl::Status& commit) {
    if (!commit.ok()) {
      state->done(commit);
    } else if (!state->result) {
      state->done(absl::InternalError("the job did not run"));
    } else {
      state->done(*std::move(state->result));
    }
  };
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!stopping_) {
      if (wake_word != nullptr) *wake_word = job.wake_word = wake_groups_.Current();
      queue_.push_back(std::move(job));
      lock.unlock();
      wake_.notify_one();
      return;
    }
  }
  state->done(absl::FailedPreconditionError("the engine has stopped"));
}

template <typename T>
absl::StatusOr<T> Engine::Submit(JobKind kind, std::function<absl::StatusOr<T>()> fn) {
  // Answered in place; woken with the rest of the batch (WakeGroups).
  std::optional<absl::StatusOr<T>> answer;
  std::atomic<bool> answered = false;
  std::atomic<uint32_t>* wake_word = nullptr;
  SubmitAsync<T>(
      kind, std::move(fn),
      [&answer, &answered](absl::StatusOr<T> r) {
        answer = std::move(r);
        // The last touch of this frame: once it is seen, Submit returns.
        answered.store(true, std::memory_order_release);
      },
      &wake_word);
  if (wake_word != nullptr) WakeGroups::Wait(answered, wake_word);
  return *std::move(answer);
}

}  // namespace mamori::engine
