#include "notice/notice_diff.h"

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "notice/notice.h"

namespace mamori::notice {
namespace {

using nlohmann::json;
using policy::Policy;
using policy::Purpose;
using policy::Service;

// One side of the diff: a policy version and the service in it, if any.
struct Side {
  const Policy& policy;
  int64_t version;
  const Service* service;  // nullptr: not announced in this version

  std::vector<const Purpose*> Purposes() const {
    std::vector<const Purpose*> out;
    if (service == nullptr) return out;
    for (const std::string& id : service->purposes) {
      if (const Purpose* p = policy.FindPurpose(id)) out.push_back(p);
    }
    return out;
  }
  std::vector<std::string> Collected() const {
    return service == nullptr ? std::vector<std::string>() : CollectedCategories(policy, *service);
  }
  bool Announces(const std::string& purpose) const {
    return service != nullptr && std::find(service->purposes.begin(), service->purposes.end(),
                                           purpose) != service->purposes.end();
  }
};

bool Contains(const std::vector<std::string>& list, const std::string& id) {
  return std::find(list.begin(), list.end(), id) != list.end();
}

// The ids of `a` that `b` lacks, in the order of `a`.
json Missing(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  json out = json::array();
  for (const std::string& id : a) {
    if (!Contains(b, id)) out.push_back(id);
  }
  return out;
}

bool SameSet(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return Missing(a, b).empty() && Missing(b, a).empty();
}

json Consequence(std::string_view code, std::string_view text_ja, std::string_view text_en) {
  return {{"code", code}, {"text_ja", text_ja}, {"text_en", text_en}};
}

// What a changed (or newly announced) purpose means for the records
// collected before the change (LEGAL.md, "Purpose limitation").
json PurposeConsequence(bool reasonably_related) {
  if (reasonably_related) {
    return Consequence(
        kChangedPurposeAppliesToExistingRecords,
        "変更前の利用目的と関連性を有すると合理的に認められる範囲の変更と宣言されています（個人情"
        "報保護法第17条第2項）。変更後の利用目的を公表した後は（同法第21条第3項）、変更前に取得"
        "した個人情報も変更後の利用目的で利用できます。",
        "Declared reasonably related to the former purpose (APPI Art. 17(2)). Once the changed "
        "purpose is announced (Art. 21(3)), records collected before the change may be used "
        "for it.");
  }
  return Consequence(
      kExistingRecordsNeedConsent,
      "変更前の利用目的と関連性を有すると合理的に認められる範囲の変更とは宣言されていません（個"
      "人情報保護法第17条第2項）。変更前に取得した個人情報は変更前の利用目的の範囲で取り扱い、"
      "変更後の利用目的での利用にはご本人の同意が必要です（同法第18条第1項）。",
      "Not declared reasonably related to the former purpose (APPI Art. 17(2)): records "
      "collected before the change keep their former purposes, and using them for the changed "
      "purpose needs the person's consent (Art. 18(1)).");
}

json RetentionOf(const Policy& policy, const Purpose& p) {
  const policy::RetentionRule* r = policy.FindRetention(p.retention);
  if (r == nullptr) return nullptr;
  return {{"duration", policy::FormatPeriod(r->duration)},
          {"anchor", policy::RetentionAnchorName(r->anchor)},
          {"text_ja", RetentionInWords(*r, Language::kJa)},
          {"text_en", RetentionInWords(*r, Language::kEn)}};
}

json Named(const std::string& id, std::string_view name_ja, std::string_view name_en) {
  return {{"id", id}, {"name_ja", name_ja}, {"name_en", name_en}};
}

json DiffPurposes(const Side& a, const Side& b, json& retention_changes) {
  json added = json::array(), removed = json::array(), changed = json::array();
  for (const Purpose* p : b.Purposes()) {
    const Purpose* before = a.Announces(p->id) ? a.policy.FindPurpose(p->id) : nullptr;
    if (before == nullptr) {
      json entry = Named(p->id, p->name_ja, p->name_en);
      entry["changed_purpose"] = true;
      entry["reasonably_related"] = p->change_reasonably_related;
      entry["consequence"] = PurposeConsequence(p->change_reasonably_related);
      added.push_back(std::move(entry));
      continue;
    }
    const Purpose& old = *before;
    json fields = json::array();
    for (auto [field, was, is] : {std::tuple{"name_ja", &old.name_ja, &p->name_ja},
                                  {"name_en", &old.name_en, &p->name_en},
                                  {"announcement_ja", &old.announcement_ja, &p->announcement_ja},
                                  {"announcement_en", &old.announcement_en, &p->announcement_en}}) {
      if (*was != *is) fields.push_back(field);
    }
    const bool categories_changed = !SameSet(old.categories, p->categories);
    if (categories_changed) fields.push_back("categories");
    if (old.requires_consent != p->requires_consent) fields.push_back("requires_consent");
    const json old_retention = RetentionOf(a.policy, old);
    const json new_retention = RetentionOf(b.policy, *p);
    if (old_retention != new_retention) {
      fields.push_back("retention");
      retention_changes.push_back(
          {{"purpose", p->id}, {"from", old_retention}, {"to", new_retention}});
    }
    if (fields.empty()) continue;
    const bool changed_purpose = old.announcement_ja != p->announcement_ja ||
                                 old.announcement_en != p->announcement_en || categories_changed;
    json entry = Named(p->id, p->name_ja, p->name_en);
    entry["fields"] = std::move(fields);
    entry["categories_added"] = Missing(p->categories, old.categories);
    entry["categories_removed"] = Missing(old.categories, p->categories);
    entry["changed_purpose"] = changed_purpose;
    entry["reasonably_related"] = p->change_reasonably_related;
    entry["consequence"] =
        changed_purpose ? PurposeConsequence(p->change_reasonably_related) : json(nullptr);
    changed.push_back(std::move(entry));
  }
  for (const Purpose* p : a.Purposes()) {
    if (!b.Announces(p->id)) removed.push_back(Named(p->id, p->name_ja, p->name_en));
  }
  return {{"added", added}, {"removed", removed}, {"changed", changed}};
}

json DiffCategories(const Side& a, const Side& b) {
  const std::vector<std::string> old_ids = a.Collected(), new_ids = b.Collected();
  json added = json::array(), removed = json::array(), changed = json::array();
  for (const std::string& id : new_ids) {
    const policy::Category& c = *b.policy.FindCategory(id);
    if (!Contains(old_ids, id)) {
      added.push_back(Named(id, c.name_ja, c.name_en));
      continue;
    }
    const policy::Category& old = *a.policy.FindCategory(id);
    json fields = json::array();
    if (old.name_ja != c.name_ja) fields.push_back("name_ja");
    if (old.name_en != c.name_en) fields.push_back("name_en");
    if (old.legal_class != c.legal_class) fields.push_back("legal_class");
    if (!fields.empty()) {
      json entry = Named(id, c.name_ja, c.name_en);
      entry["fields"] = std::move(fields);
      changed.push_back(std::move(entry));
    }
  }
  for (const std::string& id : old_ids) {
    if (Contains(new_ids, id)) continue;
    const policy::Category& c = *a.policy.FindCategory(id);
    removed.push_back(Named(id, c.name_ja, c.name_en));
  }
  return {{"added", added}, {"removed", removed}, {"changed", changed}};
}

// Compares elements of one kind by id. `relevant` says whether an element
// concerns the service's notice; `view` gives the fields the notice shows,
// as a JSON object; `consequences` (may be null) what a change of some
// fields means.
template <typename T>
json DiffElements(const std::vector<T>& old_list, const std::vector<T>& new_list,
                  const std::function<bool(const T&, bool after)>& relevant,
                  const std::function<json(const T&)>& view,
                  const std::function<json(const json& fields)>& consequences) {
  std::map<std::string, const T*> old_by_id, new_by_id;
  for (const T& item : old_list) {
    if (relevant(item, false)) old_by_id.emplace(item.id, &item);
  }
  for (const T& item : new_list) {
    if (relevant(item, true)) new_by_id.emplace(item.id, &item);
  }
  json added = json::array(), removed = json::array(), changed = json::array();
  for (const T& item : new_list) {
    if (!new_by_id.contains(item.id)) continue;
    auto old = old_by_id.find(item.id);
    if (old == old_by_id.end()) {
      added.push_back(item.id);
      continue;
    }
    const json was = view(*old->second), is = view(item);
    json fields = json::array();
    for (const auto& [key, value] : is.items()) {
      if (was.at(key) != value) fields.push_back(key);
    }
    if (fields.empty()) continue;
    json entry = {{"id", item.id}, {"fields", fields}};
    if (consequences) entry["consequences"] = consequences(fields);
    changed.push_back(std::move(entry));
  }
  for (const T& item : old_list) {
    if (old_by_id.contains(item.id) && !new_by_id.contains(item.id)) removed.push_back(item.id);
  }
  return {{"added", added}, {"removed", removed}, {"changed", changed}};
}

json JointUseConsequences(const json& fields) {
  auto has = [&fields](std::string_view f) {
    return std::find(fields.begin(), fields.end(), f) != fields.end();
  };
  json out = json::array();
  if (has("responsible") || has("purposes")) {
    out.push_back(Consequence(
        kJointUsePriorNoticeRequired,
        "個人データの管理について責任を有する者又は利用する者の利用目的の変更は、あらかじめご本人"
        "に通知し、又はご本人が容易に知り得る状態に置く必要があります（個人情報保護法第27条第6項"
        "）。",
        "A change of the responsible party or of the joint users' purposes must be notified to "
        "the persons, or made easy for them to know, before it takes effect (APPI Art. 27(6))."));
  }
  if (has("items") || has("users")) {
    out.push_back(Consequence(
        kJointUseHeldDataKeepsScope,
        "共同して利用する個人データの項目及び共同して利用する者の範囲は、既に取得した個人データに"
        "ついては変更できません。変更は、以後に取得する個人データに限り適用されます。",
        "The items and the scope of joint users cannot be changed for personal data already "
        "held: the change applies only to data obtained after it."));
  }
  return out;
}

// Whether either language's notice changes, apart from the line that names
// the policy version.
bool NoticeChanged(const Side& a, const Side& b) {
  if ((a.service == nullptr) != (b.service == nullptr)) return true;
  for (Language language : {Language::kJa, Language::kEn}) {
    absl::StatusOr<json> was = NoticeJson(a.policy, a.version, a.service->id, language);
    absl::StatusOr<json> is = NoticeJson(b.policy, b.version, b.service->id, language);
    if (!was.ok() || !is.ok()) return true;
    for (json* n : {&*was, &*is}) {
      n->erase("policy");
      n->erase("based_on");
    }
    if (*was != *is) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<nlohmann::json> NoticeDiff(const policy::Policy& before, int64_t before_version,
                                          const policy::Policy& after, int64_t after_version,
                                          std::string_view service) {
  const Side a{before, before_version, before.FindService(service)};
  const Side b{after, after_version, after.FindService(service)};
  if (a.service == nullptr && b.service == nullptr) {
    return absl::NotFoundError(absl::StrCat("no service \"", common::ToAbsl(service),
                                            "\" in policy version ", before_version, " or ",
                                            after_version));
  }
  const std::vector<std::string> old_collected = a.Collected(), new_collected = b.Collected();
  const policy::Operator& o1 = before.operator_info;
  const policy::Operator& o2 = after.operator_info;
  const bool operator_changed =
      o1.name != o2.name || o1.name_en != o2.name_en || o1.address != o2.address ||
      o1.representative != o2.representative || o1.privacy_contact != o2.privacy_contact ||
      o1.complaint_desk != o2.complaint_desk;

  json retention = json::array();
  json purposes = DiffPurposes(a, b, retention);

  // Joint uses the service's data may go into, in that version.
  std::function<bool(const policy::JointUse&, bool)> joint_relevant = [&](const policy::JointUse& j,
                                                                          bool is_after) {
    const Side& side = is_after ? b : a;
    return side.service != nullptr &&
           JointUseConcerns(j, *side.service, is_after ? new_collected : old_collected);
  };
  std::function<json(const policy::JointUse&)> joint_view = [](const policy::JointUse& j) {
    return json{{"items", j.items},
                {"users", j.users},
                {"purposes", j.purposes},
                {"responsible",
                 {{"name", j.responsible.name},
                  {"address", j.responsible.address},
                  {"representative", j.responsible.representative}}}};
  };
  // Trustees and recipients entrusted with or given data for a purpose the
  // service announces in that version.
  std::function<bool(const policy::Trustee&, bool)> trustee_relevant = [&](const policy::Trustee& t,
                                                                           bool is_after) {
    const Side& side = is_after ? b : a;
    return std::any_of(t.purposes.begin(), t.purposes.end(),
                       [&side](const std::string& p) { return side.Announces(p); });
  };
  std::function<json(const policy::Trustee&)> trustee_view = [](const policy::Trustee& t) {
    return json{{"name", t.name},
                {"country", t.country},
                {"purposes", t.purposes},
                {"categories", t.categories},
                {"equivalent_measures", t.equivalent_measures}};
  };
  std::function<bool(const policy::Recipient&, bool)> recipient_relevant =
      [&](const policy::Recipient& r, bool is_after) {
        const Side& side = is_after ? b : a;
        return std::any_of(r.purposes.begin(), r.purposes.end(),
                           [&side](const std::string& p) { return side.Announces(p); });
      };
  std::function<json(const policy::Recipient&)> recipient_view = [](const policy::Recipient& r) {
    return json{{"name", r.name},
                {"country", r.country},
                {"purposes", r.purposes},
                {"categories", r.categories},
                {"equivalent_measures", r.equivalent_measures}};
  };

  return json{
      {"service", std::string(service)},
      {"from_version", before_version},
      {"to_version", after_version},
      {"announced", {{"before", a.service != nullptr}, {"after", b.service != nullptr}}},
      {"changed", NoticeChanged(a, b)},
      {"operator_changed", operator_changed},
      {"purposes", std::move(purposes)},
      {"categories", DiffCategories(a, b)},
      {"retention", std::move(retention)},
      {"joint_uses", DiffElements(before.joint_uses, after.joint_uses, joint_relevant, joint_view,
                                  std::function<json(const json&)>(JointUseConsequences))},
      {"trustees", DiffElements(before.trustees, after.trustees, trustee_relevant, trustee_view,
                                std::function<json(const json&)>())},
      {"recipients", DiffElements(before.recipients, after.recipients, recipient_relevant,
                                  recipient_view, std::function<json(const json&)>())},
      {"request_fee_changed", before.notice.request_fee_ja != after.notice.request_fee_ja ||
                                  before.notice.request_fee_en != after.notice.request_fee_en},
      {"security_measures_changed",
       before.notice.security_measures_ja != after.notice.security_measures_ja ||
           before.notice.security_measures_en != after.notice.security_measures_en}};
}

}  // namespace mamori::notice
