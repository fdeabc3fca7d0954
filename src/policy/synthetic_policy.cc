#include "policy/synthetic_policy.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

namespace mamori::policy {
namespace {

// "prefix" followed by `n` zero-padded to `width` digits.
std::string NumberedId(const char* prefix, int n, int width) {
  char digits[16];
  std::snprintf(digits, sizeof(digits), "%0*d", width, n);
  return std::string(prefix) + digits;
}

// The legal class of the i-th synthetic category: mostly ordinary, then one
// in twelve of each special class, My Number one in twenty-four.
LegalClass ClassOf(int i) {
  switch (i % 12) {
    case 7:
      return LegalClass::kSpecialCare;
    case 8:
      return LegalClass::kCommunicationSecrecy;
    case 9:
      return LegalClass::kLocation;
    case 10:
      return LegalClass::kFinancial;
    case 11:
      return i % 24 == 11 ? LegalClass::kMyNumber : LegalClass::kOrdinary;
    default:
      return LegalClass::kOrdinary;
  }
}

}  // namespace

Policy MakeSyntheticPolicy(const SyntheticPolicyShape& shape) {
  std::mt19937_64 rng(shape.seed);
  auto below = [&rng](size_t n) { return static_cast<size_t>(rng() % n); };

  Policy p;
  p.name = "synthetic";
  p.operator_info = {.name = "合成通信株式会社",
                     .name_en = "Synthetic Telecom Co., Ltd.",
                     .address = "東京都千代田区",
                     .representative = "代表取締役",
                     .privacy_contact = "privacy@example.jp",
                     .complaint_desk = "0120-000-000",
                     .time_zone = "Asia/Tokyo"};
  p.group_companies.push_back(
      {.id = "group-1", .name = "合成グループ", .address = "", .representative = ""});

  for (int i = 0; i < shape.categories; ++i) {
    Category& c = p.categories.emplace_back();
    c.id = NumberedId("pd:Category", i, 3);
    c.name_en = "Category " + std::to_string(i);
    c.name_ja = c.name_en;
    c.legal_class = ClassOf(i);
    c.erasure = c.legal_class == LegalClass::kCommunicationSecrecy ? ErasureMode::kDeidentify
                                                                   : ErasureMode::kDelete;
  }
  std::vector<int> my_number, others;
  for (int i = 0; i < shape.categories; ++i) {
    (ClassOf(i) == LegalClass::kMyNumber ? my_number : others).push_back(i);
  }

  for (int i = 0; i < 6; ++i) {
    p.retention.push_back(
        {.id = NumberedId("retention-", i, 1),
         .duration = Period{.years = 1 + i},
         .anchor = i % 2 == 0 ? RetentionAnchor::kContractEnd : RetentionAnchor::kCollection,
         .minimum = std::nullopt,
         .maximum = std::nullopt});
  }

  for (int i = 0; i < shape.purposes; ++i) {
    Purpose& purpose = p.purposes.emplace_back();
    purpose.id = NumberedId("dpv:Purpose", i, 3);
    purpose.name_en = "Purpose " + std::to_string(i);
    purpose.name_ja = purpose.name_en;
    purpose.announcement_en = "We use your data for purpose " + std::to_string(i) + ".";
    purpose.announcement_ja = purpose.announcement_en;
    purpose.requires_consent = i % 4 == 1;
    purpose.legitimate_business_act = i % 6 == 2;
    purpose.statutory_my_number = i % 15 == 3 && !my_number.empty();
    purpose.retention = p.retention[i % p.retention.size()].id;
    std::set<int> chosen;
    if (purpose.statutory_my_number) chosen.insert(my_number[below(my_number.size())]);
    const size_t want = std::min<size_t>(shape.categories_per_purpose, others.size());
    while (chosen.size() < want) chosen.insert(others[below(others.size())]);
    for (int c : chosen) purpose.categories.push_back(p.categories[c].id);
  }

  // Every purpose but one in twenty is announced by some service; services
  // also share purposes, as a mobile and a fixed-line service would.
  for (int i = 0; i < shape.services; ++i) {
    Service& s = p.services.emplace_back();
    s.id = NumberedId("service-", i, 2);
    s.name_en = "Service " + std::to_string(i);
    s.name_ja = s.name_en;
  }
  if (!p.services.empty()) {
    for (int i = 0; i < shape.purposes; ++i) {
      if (i % 20 == 19) continue;
      p.services[i % p.services.size()].purposes.push_back(p.purposes[i].id);
      if (i % 3 == 0) {
        std::vector<std::string>& more = p.services[below(p.services.size())].purposes;
        if (std::find(more.begin(), more.end(), p.purposes[i].id) == more.end()) {
          more.push_back(p.purposes[i].id);
        }
      }
    }
  }

  for (int i = 0; i < shape.courses; ++i) {
    static constexpr int kValidDays[] = {365, 180, 90, 730};
    p.courses.push_back({.id = NumberedId("course-", i, 2),
                         .name = "Course " + std::to_string(i),
                         .valid_days = kValidDays[i % 4]});
  }

  for (int i = 0; i < shape.roles; ++i) {
    Role& role = p.roles.emplace_back();
    role.id = NumberedId("role-", i, 2);
    role.name = "Role " + std::to_string(i);
    std::set<size_t> purposes;
    const size_t want = std::min<size_t>(shape.purposes_per_role, p.purposes.size());
    while (purposes.size() < want) purposes.insert(below(p.purposes.size()));
    std::set<std::string> categories;
    for (size_t k : purposes) {
      role.purposes.push_back(p.purposes[k].id);
      for (const std::string& c : p.purposes[k].categories) {
        if (below(10) != 0) categories.insert(c);
      }
    }
    role.categories.assign(categories.begin(), categories.end());
    role.permissions = {"requests"};
    role.courses.push_back(p.courses[0].id);
    if (p.courses.size() > 1) role.courses.push_back(p.courses[1 + i % (p.courses.size() - 1)].id);
    role.bulk_access_threshold = 500;
  }

  p.trustees.push_back({.id = "trustee-1",
                        .name = "Call center contractor",
                        .contract = "C-1",
                        .country = "JP",
                        .purposes = {p.purposes.empty() ? "" : p.purposes[0].id},
                        .categories = {p.categories.empty() ? "" : p.categories[0].id},
                        .audit_interval_days = 365,
                        .equivalent_measures = false,
                        .contract_start = absl::CivilDay(2024, 4, 1),
                        .contract_end = std::nullopt});
  p.BuildIndex();
  return p;
}

SyntheticFacts::SyntheticFacts(const Policy& policy, absl::Time now, uint64_t seed)
    : policy_(policy), now_(now), rng_(seed) {
  for (const Purpose& purpose : policy.purposes) {
    if (purpose.requires_consent) consent_purposes_.push_back(purpose.id);
  }
  if (consent_purposes_.empty() && !policy.purposes.empty()) {
    consent_purposes_.push_back(policy.purposes[0].id);
  }
}

ActorFacts SyntheticFacts::Actor(std::string id) {
  ActorFacts actor;
  actor.id = std::move(id);
  const size_t roles = 1 + Below(3);
  for (size_t i = 0; i < roles; ++i) {
    const Role& role = policy_.roles[Below(policy_.roles.size())];
    if (std::find(actor.roles.begin(), actor.roles.end(), role.id) != actor.roles.end()) continue;
    actor.roles.push_back(role.id);
    for (const std::string& course_id : role.courses) {
      const Course* course = policy_.FindCourse(course_id);
      const int valid_days = course == nullptr ? 365 : course->valid_days;
      const size_t roll = Below(100);
      if (roll < 4) continue;  // never completed
      const int64_t days_ago = roll < 8
                                   ? valid_days + static_cast<int64_t>(Below(400))  // expired
                                   : static_cast<int64_t>(Below(static_cast<size_t>(valid_days)));
      actor.completed_courses.emplace_back(
          course_id, now_ - absl::Hours(24 * days_ago) - absl::Minutes(1 + Below(600)));
    }
  }
  return actor;
}

SubjectFacts SyntheticFacts::Subject() {
  SubjectFacts subject;
  if (Percent(35)) {
    const size_t n = 1 + Below(3);
    for (size_t i = 0; i < n; ++i) {
      ConsentFact c;
      c.purpose = Percent(70) ? consent_purposes_[Below(consent_purposes_.size())] : AnyPurpose();
      if (Percent(10)) c.recipient = "recipient-1";
      c.given_at = Percent(3) ? now_ + absl::Hours(24) : now_ - absl::Hours(1 + Below(24 * 700));
      if (Percent(15)) c.withdrawn_at = now_ - absl::Minutes(1 + Below(60 * 24 * 30));
      c.explicit_for_location = Percent(30);
      c.cross_border_informed = Percent(10);
      subject.consents.push_back(std::move(c));
    }
  }
  if (Percent(3)) {
    StopOrder o;
    if (Percent(50)) o.purpose = AnyPurpose();
    subject.stop_use.push_back(std::move(o));
  }
  if (Percent(1)) subject.stop_provision.push_back({std::nullopt, "recipient-1"});
  subject.legal_hold = Percent(1);
  subject.special_care_consented_at_acquisition = Percent(20);
  return subject;
}

UseRequest SyntheticFacts::Request(const ActorFacts& actor) {
  UseRequest request;
  request.now = now_;

  // The purpose: usually one the actor's roles grant.
  const Role* role =
      actor.roles.empty() ? nullptr : policy_.FindRole(actor.roles[Below(actor.roles.size())]);
  const size_t purpose_roll = Below(100);
  if (purpose_roll < 2) {
    request.purpose = "x:UnknownPurpose";
  } else if (purpose_roll < 20 || role == nullptr || role->purposes.empty()) {
    request.purpose = AnyPurpose();
  } else {
    request.purpose = role->purposes[Below(role->purposes.size())];
  }

  // The categories: usually 1–3 of the purpose's own.
  const Purpose* purpose = policy_.FindPurpose(request.purpose);
  const size_t category_roll = Below(100);
  if (category_roll < 1) {
    // none: a malformed request
  } else if (category_roll < 3) {
    request.categories = {AnyCategory(), "pd:UnknownCategory"};
  } else if (category_roll < 13 || purpose == nullptr || purpose->categories.empty()) {
    request.categories.push_back(AnyCategory());
    if (Percent(50)) request.categories.push_back(AnyCategory());
  } else {
    const size_t n = 1 + Below(3);
    for (size_t i = 0; i < n; ++i) {
      const std::string& c = purpose->categories[Below(purpose->categories.size())];
      if (std::find(request.categories.begin(), request.categories.end(), c) ==
          request.categories.end()) {
        request.categories.push_back(c);
      }
    }
  }

  // The record's collection purposes: usually including this one.
  if (Percent(70)) request.collection_purposes.push_back(request.purpose);
  request.collection_purposes.push_back(AnyPurpose());

  if (Percent(10)) {
    static constexpr Ground kGrounds[] = {Ground::kLaw,
                                          Ground::kLifeBodyProperty,
                                          Ground::kPublicHealthChild,
                                          Ground::kGovernmentCooperation,
                                          Ground::kAcademicResearch,
                                          Ground::kWarrant,
                                          Ground::kImminentDanger};
    request.ground = kGrounds[Below(std::size(kGrounds))];
    request.reason = Percent(85) ? "Inquiry 2026-0412 from the prefectural police" : "  ";
  }
  return request;
}

}  // namespace mamori::policy
