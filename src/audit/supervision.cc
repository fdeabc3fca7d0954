#include "audit/supervision.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/time_format.h"
#include "ledger/ledger.h"

namespace mamori::audit {
namespace {

// The first 16 hex digits of SHA-256(text).
std::string HexSha256Prefix(std::string_view text) { return ledger::Sha256Hex(text).substr(0, 16); }

std::map<std::string_view, const store::ActorRow*> ById(
    const std::vector<store::ActorRow>& actors) {
  std::map<std::string_view, const store::ActorRow*> by_id;
  for (const store::ActorRow& actor : actors) by_id.emplace(actor.id, &actor);
  return by_id;
}

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

nlohmann::json TimeOrNull(const std::optional<absl::Time>& t) {
  return t ? nlohmann::json(common::FormatTimestamp(*t)) : nlohmann::json(nullptr);
}

}  // namespace

std::string FormatDay(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

absl::CivilDay DayOf(int64_t days_since_epoch) {
  return absl::CivilDay(1970, 1, 1) + days_since_epoch;
}

std::string AlertId(std::string_view kind, std::string_view actor, absl::CivilDay day) {
  return absl::StrFormat("alr_%s_%s_%04d%02d%02d", std::string(kind), HexSha256Prefix(actor),
                         day.year(), day.month(), day.day());
}

std::vector<Alert> FindAlerts(const policy::Policy& policy,
                              const std::vector<store::ActorRow>& actors,
                              const std::vector<store::ActorDayRow>& days,
                              int64_t denial_threshold) {
  const std::map<std::string_view, const store::ActorRow*> by_id = ById(actors);
  std::vector<Alert> alerts;
  for (const store::ActorDayRow& row : days) {
    const absl::CivilDay day = DayOf(row.day);
    if (const auto found = by_id.find(row.actor); found != by_id.end()) {
      const store::ActorRow* actor = found->second;
      const policy::Role* lowest = nullptr;
      for (const std::string& role_id : actor->roles) {
        const policy::Role* role = policy.FindRole(role_id);
        if (role == nullptr || !role->bulk_access_threshold) continue;
        if (lowest == nullptr || *role->bulk_access_threshold < *lowest->bulk_access_threshold) {
          lowest = role;
        }
      }
      if (lowest != nullptr && row.subjects > *lowest->bulk_access_threshold) {
        alerts.push_back(Alert{.id = AlertId(kBulkAccess, row.actor, day),
                               .actor = row.actor,
                               .kind = std::string(kBulkAccess),
                               .day = day,
                               .count = row.subjects,
                               .threshold = *lowest->bulk_access_threshold,
                               .role = lowest->id});
      }
    }
    if (row.denials > 0 && row.denials >= denial_threshold) {
      alerts.push_back(Alert{.id = AlertId(kRepeatedDenials, row.actor, day),
                             .actor = row.actor,
                             .kind = std::string(kRepeatedDenials),
                             .day = day,
                             .count = row.denials,
                             .threshold = denial_threshold,
                             .role = ""});
    }
  }
  std::sort(alerts.begin(), alerts.end(), [](const Alert& a, const Alert& b) {
    return std::tie(a.day, a.actor, a.kind) < std::tie(b.day, b.actor, b.kind);
  });
  return alerts;
}

std::vector<TrainingStatus> TrainingDue(
    const policy::Policy& policy, const std::vector<store::ActorRow>& actors,
    const std::map<std::string, std::vector<store::TrainingRow>>& trainings_by_actor,
    absl::Time now, absl::Duration soon) {
  static const std::vector<store::TrainingRow> kNone;
  std::vector<TrainingStatus> out;
  for (const store::ActorRow& actor : actors) {
    const auto found = trainings_by_actor.find(actor.id);
    const std::vector<store::TrainingRow>& trainings =
        found == trainings_by_actor.end() ? kNone : found->second;
    // Required courses in order of first mention, each with its roles.
    std::vector<std::pair<std::string, std::vector<std::string>>> required;
    for (const std::string& role_id : actor.roles) {
      const policy::Role* role = policy.FindRole(role_id);
      if (role == nullptr) continue;
      for (const std::string& course : role->courses) {
        auto it = std::find_if(required.begin(), required.end(),
                               [&](const auto& r) { return r.first == course; });
        if (it == required.end()) {
          required.emplace_back(course, std::vector<std::string>{});
          it = required.end() - 1;
        }
        if (!Contains(it->second, role->id)) it->second.push_back(role->id);
      }
    }
    for (auto& [course_id, roles] : required) {
      const policy::Course* course = policy.FindCourse(course_id);
      std::optional<absl::Time> latest;
      for (const store::TrainingRow& t : trainings) {
        if (t.course == course_id && t.completed_at <= now &&
            (!latest || t.completed_at > *latest)) {
          latest = t.completed_at;
        }
      }
      TrainingStatus status{.actor = actor.id,
                            .course = course_id,
                            .valid_until = std::nullopt,
                            .status = "",
                            .roles = std::move(roles)};
      if (course == nullptr || !latest) {
        status.status = std::string(kTrainingMissing);
      } else {
        const absl::Time valid_until = *latest + absl::Hours(int64_t{24} * course->valid_days);
        status.valid_until = valid_until;
        if (valid_until <= now) {
          status.status = std::string(kTrainingExpired);
        } else if (valid_until <= now + soon) {
          status.status = std::string(kTrainingDueSoon);
        } else {
          continue;
        }
      }
      out.push_back(std::move(status));
    }
  }
  return out;
}

std::vector<RoleReview> ReviewAccess(const policy::Policy& policy,
                                     const std::vector<store::ActorRow>& actors,
                                     const std::vector<store::UseCount>& last_uses, absl::Time now,
                                     absl::Duration unused) {
  std::map<std::string_view, std::vector<const store::UseCount*>> uses_by_actor;
  for (const store::UseCount& use : last_uses) uses_by_actor[use.key].push_back(&use);
  static const std::vector<const store::UseCount*> kNoUses;
  std::vector<RoleReview> out;
  const absl::Time cutoff = now - unused;
  for (const store::ActorRow& actor : actors) {
    const auto found = uses_by_actor.find(actor.id);
    const std::vector<const store::UseCount*>& uses =
        found == uses_by_actor.end() ? kNoUses : found->second;
    const bool old_enough = actor.created_at <= cutoff;
    for (const std::string& role_id : actor.roles) {
      RoleReview review{.actor = actor.id,
                        .role = role_id,
                        .last_use = std::nullopt,
                        .judged_by_uses = true,
                        .flag_for_removal = false};
      const policy::Role* role = policy.FindRole(role_id);
      if (role == nullptr) {
        review.judged_by_uses = false;
        review.flag_for_removal = true;
      } else if (role->purposes.empty()) {
        review.judged_by_uses = false;
      } else {
        for (const store::UseCount* use : uses) {
          const std::string_view key2 = use->key2;
          const size_t newline = key2.find('\n');
          if (newline == std::string_view::npos) continue;
          if (!Contains(role->purposes, key2.substr(0, newline)) ||
              !Contains(role->categories, key2.substr(newline + 1))) {
            continue;
          }
          const absl::Time at = absl::FromUnixMicros(use->count);
          if (!review.last_use || at > *review.last_use) review.last_use = at;
        }
        review.flag_for_removal = old_enough && (!review.last_use || *review.last_use <= cutoff);
      }
      out.push_back(std::move(review));
    }
  }
  return out;
}

nlohmann::json AlertJson(const Alert& alert) {
  return {{"id", alert.id},       {"actor", alert.actor},
          {"kind", alert.kind},   {"day", FormatDay(alert.day)},
          {"count", alert.count}, {"threshold", alert.threshold},
          {"role", alert.role}};
}

nlohmann::json TrainingStatusJson(const TrainingStatus& status) {
  return {{"actor", status.actor},
          {"course", status.course},
          {"valid_until", TimeOrNull(status.valid_until)},
          {"status", status.status},
          {"roles", status.roles}};
}

nlohmann::json RoleReviewJson(const RoleReview& review) {
  return {{"actor", review.actor},
          {"role", review.role},
          {"last_use", TimeOrNull(review.last_use)},
          {"judged_by_uses", review.judged_by_uses},
          {"flag_for_removal", review.flag_for_removal}};
}

}  // namespace mamori::audit
