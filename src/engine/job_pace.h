// JobPace: how much of a long task fits one writer job of about a budget.
//
// The retention sweep and the ledger folds run beside foreground work on
// the single writer: each job holds the writer for about the budget, so a
// read queued behind it waits no longer. How many records, rows or pages
// fit is learnt from the pace of the job before, which changes with the
// data and with what else the machine is doing.
#pragma once

#include <algorithm>
#include <cstddef>

#include "absl/time/time.h"

namespace mamori::engine {

class JobPace {
 public:
  // The first job does `first` units; none does more than `most` or fewer
  // than one.
  JobPace(size_t first, size_t most, absl::Duration budget)
      : most_(std::max<size_t>(most, 1)),
        per_job_(std::clamp<size_t>(first, 1, most_)),
        budget_(budget) {}

  size_t per_job() const { return per_job_; }

  // The last job did `done` units in `took`: the next does as many as fit
  // the budget at that pace. A job that did nothing or took no time tells
  // nothing.
  void Learn(size_t done, absl::Duration took) {
    if (done == 0 || took <= absl::ZeroDuration()) return;
    const double fit = static_cast<double>(done) * absl::FDivDuration(budget_, took);
    per_job_ =
        fit >= static_cast<double>(most_) ? most_ : std::max<size_t>(static_cast<size_t>(fit), 1);
  }

 private:
  size_t most_;
  size_t per_job_;
  absl::Duration budget_;
};

}  // namespace mamori::engine
