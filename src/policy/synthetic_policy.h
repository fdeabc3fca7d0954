// Synthetic policies and facts for tests and benchmarks: a policy of any size
// shaped like an operator's (every legal class, consent-only and
// business-act purposes, a few purposes no service announces, roles with
// required courses), and actors, subjects and use requests to go with it,
// mixing well-formed uses with every kind of mistake Decide() denies.
// Everything is deterministic for a given seed. Not linked into mamori
// itself.
//
//   Policy policy = MakeSyntheticPolicy({.purposes = 120, .categories = 240});
//   SyntheticFacts facts(policy, absl::FromUnixSeconds(1'780'000'000), /*seed=*/7);
//   ActorFacts actor = facts.Actor("act_0001");
//   Decision d = Decide(policy, actor, facts.Subject(), facts.Request(actor));
//
// Thread-safety: MakeSyntheticPolicy is; a SyntheticFacts is not (it holds
// its random generator).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "policy/decision.h"
#include "policy/policy.h"

namespace mamori::policy {

struct SyntheticPolicyShape {
  int services = 24;
  int categories = 240;  // ids "pd:Category000" ...
  int purposes = 120;    // ids "dpv:Purpose000" ...
  int categories_per_purpose = 12;
  int roles = 60;  // ids "role-00" ...
  int purposes_per_role = 12;
  int courses = 60;  // ids "course-00" ...; every role requires course-00 and one more
  uint64_t seed = 1;
};

// A policy of that shape, indexed (Policy::BuildIndex). Categories cycle
// through the legal classes; one purpose in 20 is announced by no service;
// a role holds its purposes and about 90 % of their categories.
Policy MakeSyntheticPolicy(const SyntheticPolicyShape& shape = {});

// Random actors, subjects and requests for a policy made by
// MakeSyntheticPolicy (or any policy with at least one purpose, category,
// role and course).
class SyntheticFacts {
 public:
  // `policy` must outlive this object.
  SyntheticFacts(const Policy& policy, absl::Time now, uint64_t seed);

  // 1–3 roles; each required course completed within its validity (92 %),
  // long ago (4 %) or never (4 %).
  ActorFacts Actor(std::string id);
  // 35 % with consents (some withdrawn, some explicit for location, some to
  // recipients), 3 % with a stop-use order, 20 % consented to special-care
  // acquisition.
  SubjectFacts Subject();
  // Mostly a purpose of one of the actor's roles with categories of that
  // purpose; sometimes an unknown or unannounced purpose, unknown, missing
  // or foreign categories, an exception ground (with or without a reason).
  // `now` is the time given to the constructor.
  UseRequest Request(const ActorFacts& actor);

  absl::Time now() const { return now_; }

 private:
  // A uniform integer in [0, n). REQUIRES: n > 0.
  size_t Below(size_t n) { return static_cast<size_t>(rng_() % n); }
  // True with probability `percent` / 100.
  bool Percent(int percent) { return Below(100) < static_cast<size_t>(percent); }
  const std::string& AnyPurpose() { return policy_.purposes[Below(policy_.purposes.size())].id; }
  const std::string& AnyCategory() {
    return policy_.categories[Below(policy_.categories.size())].id;
  }

  const Policy& policy_;
  absl::Time now_;
  std::mt19937_64 rng_;
  std::vector<std::string> consent_purposes_;  // purposes that require consent
};

}  // namespace mamori::policy
