// PolicyIndex: a Policy's elements by id, and the facts Decide() derives from
// them, computed once by Policy::BuildIndex().
//
// Positions are indexes into the Policy's vectors. Where a hand-built policy
// has several elements with one id, the first wins, as in the linear scans,
// so an indexed look-up returns exactly what a scan would.
//
//   const PolicyIndex* index = policy.index_slot.get();
//   if (index != nullptr && index->Covers(policy)) {
//     uint32_t p = index->purposes.Find("dpv:Marketing");  // kNoPosition if absent
//   }
//
// Thread-safety: immutable after construction; share it freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/strings.h"
#include "policy/policy.h"

namespace mamori::policy::internal {

inline constexpr uint32_t kNoPosition = UINT32_MAX;

// The positions of one of a Policy's vectors' elements, by id.
class IdPositions {
 public:
  IdPositions() = default;
  template <typename T>
  explicit IdPositions(const std::vector<T>& items) : data_(items.data()), size_(items.size()) {
    positions_.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      positions_.try_emplace(items[i].id, static_cast<uint32_t>(i));
    }
  }

  // Whether `items` is still the vector this was built over: same elements'
  // buffer, same size. False after an element was added, removed, or the
  // vector replaced.
  template <typename T>
  bool Covers(const std::vector<T>& items) const {
    return static_cast<const void*>(items.data()) == data_ && items.size() == size_;
  }

  // The position of the first element with `id`; kNoPosition when none.
  uint32_t Find(std::string_view id) const {
    auto it = positions_.find(common::ToAbsl(id));
    return it == positions_.end() ? kNoPosition : it->second;
  }

 private:
  absl::flat_hash_map<std::string, uint32_t> positions_;
  const void* data_ = nullptr;
  size_t size_ = 0;
};

// A set of positions below a fixed bound, as a bitmap: O(1) membership. The
// index holds one per purpose (bound: categories) and two per role, e.g.
// 7 KB for 120 purposes, 240 categories and 60 roles.
class PositionSet {
 public:
  explicit PositionSet(size_t bound) : words_((bound + 63) / 64) {}
  // REQUIRES: position < bound.
  void Insert(uint32_t position) { words_[position / 64] |= uint64_t{1} << (position % 64); }
  // REQUIRES: position < bound.
  bool Contains(uint32_t position) const {
    return ((words_[position / 64] >> (position % 64)) & 1) != 0;
  }

 private:
  std::vector<uint64_t> words_;
};

struct PolicyIndex {
  explicit PolicyIndex(const Policy& policy);

  // Whether every vector of `policy` is still the one indexed (IdPositions::
  // Covers). An index that does not cover its policy must not be used.
  bool Covers(const Policy& policy) const;

  IdPositions services, categories, purposes, retention, roles, courses, trustees, recipients,
      group_companies;

  // By purpose position: whether some service lists the purpose (rule 2 of
  // docs/decisions.md).
  std::vector<bool> purpose_announced;
  // By purpose position: the positions of the purpose's categories (those
  // the policy defines; the others can never be requested).
  std::vector<PositionSet> purpose_categories;
  // By role position: the positions of the purposes and categories it grants.
  std::vector<PositionSet> role_purposes;
  std::vector<PositionSet> role_categories;
  // By role position: the positions of its required courses, in the role's
  // order (kNoPosition for an id the policy does not define).
  std::vector<std::vector<uint32_t>> role_courses;
};

}  // namespace mamori::policy::internal
