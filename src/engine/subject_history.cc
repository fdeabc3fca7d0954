#include "engine/subject_history.h"

#include <utility>

#include "common/strings.h"

namespace mamori::engine {

void SubjectHistory::Add(uint64_t first, uint64_t last, absl::flat_hash_set<std::string> subjects) {
  steps_.push_back({first, last, std::move(subjects)});
  if (steps_.size() > kept_) steps_.pop_front();
}

bool SubjectHistory::ChangedSince(std::string_view subject, uint64_t since) const {
  if (steps_.empty() || steps_.front().first > since + 1) return true;
  for (auto step = steps_.rbegin(); step != steps_.rend() && step->last > since; ++step) {
    if (step->subjects.contains(common::ToAbsl(subject))) return true;
  }
  return false;
}

}  // namespace mamori::engine
