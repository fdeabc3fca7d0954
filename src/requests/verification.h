// Identity verification of a requester (APPI Art. 37: the operator sets
// the procedure, identity verification included; docs/requests.md,
// "Verification") and a limit on attempts per requester.
//
// The engine looks each identifier the requester gave up in the blind
// indexes and passes, per identifier, the subjects it matched. `Verify`
// decides: verified as one subject only when every given identifier matched
// exactly that one subject and every factor the policy requires was given.
//
//   VerificationResult v = Verify({{IdentifierKind::kContract, {"sub_A"}},
//                                  {IdentifierKind::kPhone, {"sub_A"}},
//                                  {IdentifierKind::kBirthDate, {"sub_A", "sub_B"}}},
//                                 {IdentifierKind::kContract, IdentifierKind::kBirthDate});
//   // v.verified, v.subject_id == "sub_A": the birth date is shared, the
//   // contract and the phone are not
//   v = Verify({{IdentifierKind::kPhone, {"sub_A"}}, {IdentifierKind::kBirthDate, {"sub_B"}}}, {});
//   // v.reason == VerificationReason::kDifferentSubjects
//   Reply(PublicVerificationAnswer(v));  // "cannot_verify", whatever the reason
//
// The public answer is the same "cannot_verify" for every failure: telling
// the requester which identifier failed (or that a phone number belongs to
// someone else) would let anyone probe whose data the operator holds.
// `VerificationReason` is for the ledger and the staff console only.
//
// Thread-safety: `Verify` is a pure function. `AttemptLimiter` is
// thread-compatible: const methods may run concurrently, anything else
// needs external synchronization (the engine's single writer).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "policy/policy.h"

namespace mamori::requests {

// One identifier the requester gave, and the subjects whose blind index
// matched it (none, one, or several).
struct IdentifierMatch {
  policy::IdentifierKind kind = policy::IdentifierKind::kNone;
  std::vector<std::string> subjects;
};

// Why verification succeeded or failed. Internal: never shown to the
// requester.
enum class VerificationReason {
  kVerified,           // every identifier matched the same single subject
  kNoIdentifier,       // nothing was given
  kMissingFactor,      // a factor the policy requires was not given
  kNoMatch,            // an identifier matched no subject
  kAmbiguous,          // the identifiers together still match more than one subject
  kDifferentSubjects,  // no subject is matched by every identifier
};
// "verified", "no_identifier", "missing_factor", "no_match", "ambiguous",
// "different_subjects".
std::string_view VerificationReasonName(VerificationReason reason);

struct VerificationResult {
  bool verified = false;
  std::string subject_id;  // verified only
  VerificationReason reason = VerificationReason::kNoIdentifier;
  // The identifier kind the reason is about (kMissingFactor, kNoMatch,
  // kAmbiguous, kDifferentSubjects); kNone otherwise.
  policy::IdentifierKind about = policy::IdentifierKind::kNone;

  friend bool operator==(const VerificationResult&, const VerificationResult&) = default;
};

// The decision. `given` lists every identifier the requester gave (an
// identifier of kind kNone never verifies); `required` the policy's required
// factors (e.g. contract, phone, birth date), each of which must be among
// `given`. Checks, in order: something given; every required factor given;
// each identifier matched someone (kNoMatch, about it); some subject is
// matched by every identifier (kDifferentSubjects, about the identifier
// that left none); exactly one such subject (kAmbiguous, about the first
// identifier that matched several).
VerificationResult Verify(const std::vector<IdentifierMatch>& given,
                          const std::vector<policy::IdentifierKind>& required);

// What the requester is told: "verified" or "cannot_verify", and nothing
// else, for every failure alike.
std::string_view PublicVerificationAnswer(const VerificationResult& result);

// A token bucket per requester key (an IP address, a session, a contract
// number's blind index): each verification attempt takes a token; tokens
// come back one per `refill_every`, up to `capacity`. Time is passed in,
// so tests use a fake one; a clock that goes back refills nothing.
//
//   AttemptLimiter limiter({.capacity = 5, .refill_every = absl::Minutes(12)});
//   const absl::Time now = clock.Now();
//   if (!limiter.TryAcquire(key, now)) return TooMany(limiter.RetryAfter(key, now));
class AttemptLimiter {
 public:
  struct Options {
    int capacity = 5;                                 // attempts in a burst (≥ 1)
    absl::Duration refill_every = absl::Minutes(12);  // one attempt back per this (> 0)
  };

  // A capacity below 1 is taken as 1, a refill period of zero or less as
  // 1 second.
  explicit AttemptLimiter(Options options);

  // Takes one attempt for `key` at `now`; false (taking nothing) when none
  // is left.
  bool TryAcquire(std::string_view key, absl::Time now);
  // Attempts left for `key` at `now`.
  int Available(std::string_view key, absl::Time now) const;
  // How long until `key` has an attempt again; zero when it has one now.
  absl::Duration RetryAfter(std::string_view key, absl::Time now) const;
  // Forgets the keys whose buckets are full again at `now` (they behave as
  // new keys), so memory follows the recent requesters only.
  void Prune(absl::Time now);
  // Keys remembered.
  size_t size() const { return buckets_.size(); }

 private:
  struct Bucket {
    int tokens = 0;          // at `refilled_at`
    absl::Time refilled_at;  // when the tokens were last counted
  };
  // The bucket of `b` brought forward to `now`.
  Bucket Refilled(Bucket b, absl::Time now) const;

  Options options_;
  absl::flat_hash_map<std::string, Bucket> buckets_;
};

}  // namespace mamori::requests
