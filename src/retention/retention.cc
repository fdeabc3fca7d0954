#include "retention/retention.h"

#include <algorithm>

namespace mamori::retention {

std::string_view FateStateName(FateState s) {
  switch (s) {
    case FateState::kKept:
      return "kept";
    case FateState::kDue:
      return "due";
    case FateState::kHeld:
      return "held";
  }
  return "kept";
}

namespace {

// The civil day of `t` in `zone`, remembering the last day's bounds on this
// thread: a sweep asks for millions of records' deadlines in the order they
// were collected, mostly of the same few days, and the zone lookup is the
// costliest part of a deadline.
absl::CivilDay DayOf(absl::Time t, absl::TimeZone zone) {
  struct LastDay {
    absl::TimeZone zone;
    absl::Time start = absl::InfiniteFuture();
    absl::Time end = absl::InfinitePast();
    absl::CivilDay day;
  };
  thread_local LastDay last;
  if (t >= last.start && t < last.end && zone == last.zone) return last.day;
  const absl::CivilDay day = absl::ToCivilDay(t, zone);
  last = {zone, absl::FromCivil(day, zone), absl::FromCivil(day + 1, zone), day};
  return day;
}

// The start of `day` in `zone`, remembering the last answer on this thread.
absl::Time StartOf(absl::CivilDay day, absl::TimeZone zone) {
  struct LastStart {
    absl::TimeZone zone;
    absl::CivilDay day;
    absl::Time start = absl::InfinitePast();
  };
  thread_local LastStart last;
  if (day == last.day && zone == last.zone && last.start != absl::InfinitePast()) {
    return last.start;
  }
  last = {zone, day, absl::FromCivil(day, zone)};
  return last.start;
}

}  // namespace

absl::Time EndOfPeriod(absl::Time from, const policy::Period& period, absl::TimeZone zone) {
  const absl::CivilDay start = DayOf(from, zone);
  const absl::CivilMonth month =
      absl::CivilMonth(start) + (static_cast<int64_t>(period.years) * 12 + period.months);
  // The same day of the target month, or its last day when shorter.
  const absl::CivilDay first_of_next = absl::CivilDay(month + 1);
  const int last_day = (first_of_next - 1).day();
  const absl::CivilDay same_day(month.year(), month.month(), std::min(start.day(), last_day));
  // Kept through the whole of the period's last day.
  return StartOf(same_day + period.days + 1, zone);
}

std::optional<absl::Time> PurposeDeadline(const policy::Policy& policy, absl::TimeZone zone,
                                          const SubjectRetentionFacts& facts,
                                          std::string_view purpose, std::string_view service,
                                          absl::Time collected_at) {
  const policy::Purpose* p = policy.FindPurpose(purpose);
  const policy::RetentionRule* rule = p != nullptr ? policy.FindRetention(p->retention) : nullptr;
  if (rule == nullptr) return collected_at;
  absl::Time anchor = collected_at;
  switch (rule->anchor) {
    case policy::RetentionAnchor::kCollection:
      break;
    case policy::RetentionAnchor::kContractEnd: {
      auto it = facts.contract_ends.find(absl::string_view(service.data(), service.size()));
      if (it == facts.contract_ends.end()) it = facts.contract_ends.find("");
      if (it == facts.contract_ends.end()) return std::nullopt;
      // A record collected after the contract ended (a final bill) counts
      // from its own collection.
      anchor = std::max(it->second, collected_at);
      break;
    }
    case policy::RetentionAnchor::kLastUse: {
      auto it = facts.last_uses.find(absl::string_view(purpose.data(), purpose.size()));
      if (it != facts.last_uses.end()) anchor = std::max(anchor, it->second);
      break;
    }
  }
  return EndOfPeriod(anchor, rule->duration, zone);
}

bool AllRetainedFromCollection(const policy::Policy& policy,
                               const std::vector<std::string>& purposes) {
  if (purposes.empty()) return false;
  for (const std::string& id : purposes) {
    const policy::Purpose* purpose = policy.FindPurpose(id);
    const policy::RetentionRule* rule =
        purpose == nullptr ? nullptr : policy.FindRetention(purpose->retention);
    if (rule == nullptr || rule->anchor != policy::RetentionAnchor::kCollection) return false;
  }
  return true;
}

RecordFate FateOf(const policy::Policy& policy, absl::TimeZone zone,
                  const SubjectRetentionFacts& facts, const RecordTerms& record, absl::Time now) {
  RecordFate fate;
  absl::Time latest = record.collected_at;
  std::string longest;     // the purpose with the latest deadline
  std::string open_ended;  // the first purpose still waiting for its anchor
  if (record.purposes != nullptr) {
    for (const std::string& purpose : *record.purposes) {
      std::optional<absl::Time> deadline =
          PurposeDeadline(policy, zone, facts, purpose, record.service, record.collected_at);
      if (!deadline) {
        if (open_ended.empty()) open_ended = purpose;
      } else if (longest.empty() || *deadline > latest) {
        longest = purpose;
        latest = std::max(latest, *deadline);
      }
    }
  }
  if (!open_ended.empty()) {
    fate.purpose = open_ended;
    return fate;  // kept, no deadline yet
  }
  fate.purpose = longest;
  fate.deadline = latest;
  if (now < latest) {
    fate.state = FateState::kKept;
    return fate;
  }
  for (const Hold& hold : facts.holds) {
    if (now >= hold.until) continue;
    if (hold.category && *hold.category != record.category) continue;
    fate.state = FateState::kHeld;
    fate.hold_id = hold.id;
    return fate;
  }
  fate.state = FateState::kDue;
  return fate;
}

}  // namespace mamori::retention
