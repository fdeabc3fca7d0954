#include "engine/record_cache.h"

#include <algorithm>
#include <utility>

#include "absl/hash/hash.h"
#include "common/strings.h"

namespace mamori::engine {

RecordCache::RecordCache(size_t max_subjects)
    : max_per_shard_(std::max<size_t>(1, max_subjects / kShards)) {}

RecordCache::Shard& RecordCache::ShardOf(std::string_view subject) const {
  return shards_[absl::HashOf(common::ToAbsl(subject)) % kShards];
}

bool RecordCache::Find(std::string_view subject, std::span<const std::string> categories,
                       std::vector<Rows>& rows) const {
  rows.clear();
  const Shard& shard = ShardOf(subject);
  std::lock_guard lock(shard.mutex);
  auto it = shard.subjects.find(common::ToAbsl(subject));
  if (it == shard.subjects.end()) return false;
  for (const std::string& category : categories) {
    auto found = it->second.find(category);
    if (found == it->second.end()) {
      rows.clear();
      return false;
    }
    rows.push_back(found->second);
  }
  return true;
}

void RecordCache::Insert(uint64_t seen, std::string_view subject,
                         std::span<const std::string> categories, std::vector<Rows> rows) {
  Shard& shard = ShardOf(subject);
  std::lock_guard lock(shard.mutex);
  // Under the shard's lock: an invalidation of this subject either happened
  // before (the generation moved on) or comes after and removes this.
  if (generation() != seen) return;
  auto it = shard.subjects.find(common::ToAbsl(subject));
  if (it == shard.subjects.end()) {
    if (shard.subjects.size() >= max_per_shard_) shard.subjects.erase(shard.subjects.begin());
    it = shard.subjects.emplace(std::string(subject), decltype(it->second){}).first;
  }
  for (size_t i = 0; i < categories.size() && i < rows.size(); ++i) {
    it->second.insert_or_assign(categories[i], std::move(rows[i]));
  }
}

void RecordCache::Invalidate(absl::flat_hash_set<std::string> subjects) {
  if (subjects.empty()) return;
  std::lock_guard history(history_mutex_);
  const uint64_t first = generation() + 1;
  for (const std::string& subject : subjects) {
    // Under the shard's lock, as Insert checks it: a reader that took the
    // generation before caches nothing of this subject any more.
    Shard& shard = ShardOf(subject);
    std::lock_guard lock(shard.mutex);
    shard.subjects.erase(subject);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  history_.Add(first, generation(), std::move(subjects));
}

void RecordCache::Invalidate(std::string_view subject) {
  Invalidate(absl::flat_hash_set<std::string>{std::string(subject)});
}

bool RecordCache::ChangedSince(std::string_view subject, uint64_t seen) const {
  if (generation() == seen) return false;
  std::lock_guard history(history_mutex_);
  return history_.ChangedSince(subject, seen);
}

void RecordCache::Clear() {
  std::lock_guard history(history_mutex_);
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    shard.subjects.clear();
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  // Uses prepared before are too old to tell now.
  history_.Clear();
}

}  // namespace mamori::engine
