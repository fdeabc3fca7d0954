// SubjectHistory: which subjects changed at which steps of a counter that
// only goes up (ReaderPool's key epoch, RecordCache's generation), for the
// last `kept` changes, so that a use prepared at some step can be told
// whether its subject changed since.
//
//   history.Add(first, last, {"sub_a", "sub_b"});
//   if (history.ChangedSince("sub_a", prepared_at)) ... read it again ...
//
// Thread-safety: not thread-safe; its owner locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"

namespace mamori::engine {

class SubjectHistory {
 public:
  explicit SubjectHistory(size_t kept) : kept_(kept) {}

  // `subjects` changed in steps `first` to `last` of the counter (later
  // than every step added before).
  void Add(uint64_t first, uint64_t last, absl::flat_hash_set<std::string> subjects);
  // Whether `subject` changed in a step after `since`; true also when steps
  // after `since` are no longer kept.
  bool ChangedSince(std::string_view subject, uint64_t since) const;
  // Forgets everything: every step before now is too old to tell.
  void Clear() { steps_.clear(); }

 private:
  struct Step {
    uint64_t first = 0;
    uint64_t last = 0;
    absl::flat_hash_set<std::string> subjects;
  };
  const size_t kept_;
  std::deque<Step> steps_;  // oldest first
};

}  // namespace mamori::engine
