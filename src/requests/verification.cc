#include "requests/verification.h"

#include <algorithm>
#include <iterator>

#include "common/strings.h"

namespace mamori::requests {

std::string_view VerificationReasonName(VerificationReason reason) {
  switch (reason) {
    case VerificationReason::kVerified:
      return "verified";
    case VerificationReason::kNoIdentifier:
      return "no_identifier";
    case VerificationReason::kMissingFactor:
      return "missing_factor";
    case VerificationReason::kNoMatch:
      return "no_match";
    case VerificationReason::kAmbiguous:
      return "ambiguous";
    case VerificationReason::kDifferentSubjects:
      return "different_subjects";
  }
  return "no_identifier";
}

namespace {

VerificationResult CannotVerify(VerificationReason reason,
                                policy::IdentifierKind about = policy::IdentifierKind::kNone) {
  return {.verified = false, .subject_id = "", .reason = reason, .about = about};
}

}  // namespace

VerificationResult Verify(const std::vector<IdentifierMatch>& given,
                          const std::vector<policy::IdentifierKind>& required) {
  if (given.empty()) return CannotVerify(VerificationReason::kNoIdentifier);
  for (policy::IdentifierKind factor : required) {
    const bool present = std::any_of(given.begin(), given.end(),
                                     [&](const IdentifierMatch& m) { return m.kind == factor; });
    if (!present) return CannotVerify(VerificationReason::kMissingFactor, factor);
  }
  // The people every identifier so far points to. A birth date or a name
  // is shared by many; with the contract and the phone it narrows to one.
  std::vector<std::string> candidates;
  bool first = true;
  policy::IdentifierKind widest = policy::IdentifierKind::kNone;  // first one of several
  for (const IdentifierMatch& match : given) {
    // The same subject matched twice by one identifier is one subject.
    std::vector<std::string> subjects = match.subjects;
    std::sort(subjects.begin(), subjects.end());
    subjects.erase(std::unique(subjects.begin(), subjects.end()), subjects.end());
    if (match.kind == policy::IdentifierKind::kNone || subjects.empty()) {
      return CannotVerify(VerificationReason::kNoMatch, match.kind);
    }
    if (subjects.size() > 1 && widest == policy::IdentifierKind::kNone) widest = match.kind;
    if (first) {
      candidates = std::move(subjects);
      first = false;
      continue;
    }
    std::vector<std::string> both;
    std::set_intersection(candidates.begin(), candidates.end(), subjects.begin(), subjects.end(),
                          std::back_inserter(both));
    if (both.empty()) return CannotVerify(VerificationReason::kDifferentSubjects, match.kind);
    candidates = std::move(both);
  }
  if (candidates.size() > 1) return CannotVerify(VerificationReason::kAmbiguous, widest);
  return {.verified = true,
          .subject_id = candidates.front(),
          .reason = VerificationReason::kVerified};
}

std::string_view PublicVerificationAnswer(const VerificationResult& result) {
  return result.verified ? "verified" : "cannot_verify";
}

AttemptLimiter::AttemptLimiter(Options options) : options_(options) {
  options_.capacity = std::max(options_.capacity, 1);
  if (options_.refill_every <= absl::ZeroDuration()) options_.refill_every = absl::Seconds(1);
}

AttemptLimiter::Bucket AttemptLimiter::Refilled(Bucket b, absl::Time now) const {
  if (now <= b.refilled_at) return b;  // a clock that went back refills nothing
  absl::Duration rest;
  const int64_t periods = absl::IDivDuration(now - b.refilled_at, options_.refill_every, &rest);
  if (b.tokens + periods >= options_.capacity) return {options_.capacity, now};
  // Keep the part of a period already elapsed.
  return {b.tokens + static_cast<int>(periods), b.refilled_at + periods * options_.refill_every};
}

bool AttemptLimiter::TryAcquire(std::string_view key, absl::Time now) {
  auto [it, inserted] = buckets_.try_emplace(common::ToAbsl(key), Bucket{options_.capacity, now});
  Bucket b = inserted ? it->second : Refilled(it->second, now);
  if (b.tokens == 0) {
    it->second = b;
    return false;
  }
  // The period counts from when the bucket was last full.
  if (b.tokens == options_.capacity) b.refilled_at = now;
  --b.tokens;
  it->second = b;
  return true;
}

int AttemptLimiter::Available(std::string_view key, absl::Time now) const {
  auto it = buckets_.find(common::ToAbsl(key));
  if (it == buckets_.end()) return options_.capacity;
  return Refilled(it->second, now).tokens;
}

absl::Duration AttemptLimiter::RetryAfter(std::string_view key, absl::Time now) const {
  auto it = buckets_.find(common::ToAbsl(key));
  if (it == buckets_.end()) return absl::ZeroDuration();
  const Bucket b = Refilled(it->second, now);
  if (b.tokens > 0) return absl::ZeroDuration();
  return std::max(absl::ZeroDuration(), b.refilled_at + options_.refill_every - now);
}

void AttemptLimiter::Prune(absl::Time now) {
  absl::erase_if(buckets_, [&](const auto& entry) {
    return Refilled(entry.second, now).tokens >= options_.capacity;
  });
}

}  // namespace mamori::requests
