#include "policy/policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "policy/internal/policy_index.h"

namespace mamori::policy {
namespace internal {

PolicyIndexSlot::PolicyIndexSlot() noexcept = default;
PolicyIndexSlot::~PolicyIndexSlot() = default;
PolicyIndexSlot::PolicyIndexSlot(const PolicyIndexSlot&) noexcept {}
PolicyIndexSlot& PolicyIndexSlot::operator=(const PolicyIndexSlot& other) noexcept {
  if (this != &other) index_.reset();
  return *this;
}
PolicyIndexSlot::PolicyIndexSlot(PolicyIndexSlot&&) noexcept = default;
PolicyIndexSlot& PolicyIndexSlot::operator=(PolicyIndexSlot&&) noexcept = default;

void PolicyIndexSlot::reset(std::unique_ptr<const PolicyIndex> index) noexcept {
  index_ = std::move(index);
}

}  // namespace internal

namespace {

using internal::IdPositions;
using internal::PolicyIndex;

// Returns the first element of `items` whose `id` equals `id`, or nullptr:
// through `table` of `index` when that covers `items`, else by scanning.
template <typename T>
const T* FindById(const PolicyIndex* index, IdPositions PolicyIndex::*table,
                  const std::vector<T>& items, std::string_view id) {
  if (index != nullptr && (index->*table).Covers(items)) {
    const uint32_t p = (index->*table).Find(id);
    return p == internal::kNoPosition ? nullptr : &items[p];
  }
  auto it = std::find_if(items.begin(), items.end(), [id](const T& item) { return item.id == id; });
  return it == items.end() ? nullptr : &*it;
}

}  // namespace

const Service* Policy::FindService(std::string_view id) const {
  return FindById(index_slot.get(), &PolicyIndex::services, services, id);
}
const Category* Policy::FindCategory(std::string_view id) const {
  return FindById(index_slot.get(), &PolicyIndex::categories, categories, id);
}
const Purpose* Policy::FindPurpose(std::string_view id) const {
  return FindById(index_slot.get(), &PolicyIndex::purposes, purposes, id);
}
const RetentionRule* Policy::FindRetention(std::string_view id) const {
  return FindById(index_slot.get(), &PolicyIndex::retention, retention, id);
}
const Role* Policy::FindRole(std::string_view id) const {
  return FindById(index_slot.get(), &PolicyIndex::roles, roles, id);
}
const Course* Policy::FindCourse(std::string_view id) const {
  return FindById(index_slot.get(), &PolicyIndex::courses, courses, id);
}
const Trustee* Policy::FindTrustee(std::string_view id) const {
  return FindById(index_slot.get(), &PolicyIndex::trustees, trustees, id);
}
const Recipient* Policy::FindRecipient(std::string_view id) const {
  return FindById(index_slot.get(), &PolicyIndex::recipients, recipients, id);
}
const GroupCompany* Policy::FindGroupCompany(std::string_view id) const {
  return FindById(index_slot.get(), &PolicyIndex::group_companies, group_companies, id);
}

void Policy::BuildIndex() { index_slot.reset(std::make_unique<const PolicyIndex>(*this)); }

bool Policy::HasCurrentIndex() const {
  return index_slot.get() != nullptr && index_slot.get()->Covers(*this);
}

std::vector<std::string> Policy::CollectionPurposes(std::string_view service,
                                                    std::string_view category) const {
  std::vector<std::string> result;
  const Service* s = FindService(service);
  if (s == nullptr) return result;
  for (const std::string& purpose_id : s->purposes) {
    const Purpose* p = FindPurpose(purpose_id);
    if (p == nullptr) continue;
    if (std::find(p->categories.begin(), p->categories.end(), category) == p->categories.end()) {
      continue;
    }
    if (std::find(result.begin(), result.end(), purpose_id) == result.end()) {
      result.push_back(purpose_id);
    }
  }
  return result;
}

std::string_view LegalClassName(LegalClass c) {
  switch (c) {
    case LegalClass::kOrdinary:
      return "ordinary";
    case LegalClass::kSpecialCare:
      return "special_care";
    case LegalClass::kCommunicationSecrecy:
      return "communication_secrecy";
    case LegalClass::kLocation:
      return "location";
    case LegalClass::kMyNumber:
      return "my_number";
    case LegalClass::kFinancial:
      return "financial";
  }
  return "unknown";
}

std::string_view IdentifierKindName(IdentifierKind k) {
  switch (k) {
    case IdentifierKind::kNone:
      return "none";
    case IdentifierKind::kPhone:
      return "phone";
    case IdentifierKind::kEmail:
      return "email";
    case IdentifierKind::kContract:
      return "contract";
    case IdentifierKind::kName:
      return "name";
    case IdentifierKind::kBirthDate:
      return "birth_date";
  }
  return "unknown";
}

std::string_view ErasureModeName(ErasureMode m) {
  switch (m) {
    case ErasureMode::kDelete:
      return "delete";
    case ErasureMode::kDeidentify:
      return "deidentify";
  }
  return "unknown";
}

std::string_view RetentionAnchorName(RetentionAnchor a) {
  switch (a) {
    case RetentionAnchor::kCollection:
      return "collection";
    case RetentionAnchor::kContractEnd:
      return "contract_end";
    case RetentionAnchor::kLastUse:
      return "last_use";
  }
  return "unknown";
}

std::string FormatPeriod(const Period& p) {
  std::string out = "P";
  if (p.years != 0) absl::StrAppend(&out, p.years, "Y");
  if (p.months != 0) absl::StrAppend(&out, p.months, "M");
  if (p.days != 0 || out.size() == 1) absl::StrAppend(&out, p.days, "D");
  return out;
}

}  // namespace mamori::policy
