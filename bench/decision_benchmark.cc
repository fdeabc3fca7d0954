// The decision engine's hot path: policy::Decide(), one call per use of
// personal data.
//
//   build/bench/decision_benchmark --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
//
// BM_DecideAllow / BM_DecideDeny: the example operator policy, one fixed
// request. BM_DecideLargePolicy: one fixed request against a generated
// policy of 120 purposes, 240 categories and 60 roles and courses, with its
// index (/1) and scanning (/0). BM_DecideAtScale: the scenario —
// that policy, 1,000,000 subjects' and 2,000 actors' facts in hash maps,
// every iteration a random subject — reporting decisions/s and, from a
// sample of individually timed decisions, p50/p99/p99.9 latency.
//
// Target (issue "Decisions and the verifiable ledger"): >= 1M decisions/s
// on one core with 100+ rules and 1M subjects' facts in memory, p99 <= 10 us.
// docs/performance.md has the figures.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/strings.h"
#include "policy/decision.h"
#include "policy/policy_file.h"
#include "policy/synthetic_policy.h"

namespace mamori::bench {
namespace {

const policy::Policy& ExamplePolicy() {
  static const policy::Policy* policy = [] {
    auto loaded =
        policy::LoadPolicyFile(std::string(MAMORI_SOURCE_DIR) + "/examples/telecom-operator.toml");
    if (!loaded.ok()) throw std::runtime_error(std::string(loaded.status().message()));
    return new policy::Policy(std::move(*loaded));
  }();
  return *policy;
}

struct Case {
  policy::ActorFacts actor;
  policy::SubjectFacts subject;
  policy::UseRequest request;
};

Case AgentReadsName() {
  absl::Time now = absl::FromUnixSeconds(1'780'000'000);
  Case c;
  c.actor.id = "agent-1";
  c.actor.roles = {"call-center-agent"};
  c.actor.completed_courses = {{"privacy-annual", now - absl::Hours(24 * 30)}};
  c.subject.consents = {{"dpv:Marketing", std::nullopt, now - absl::Hours(24 * 400), std::nullopt}};
  c.request.purpose = "dpv:CustomerCare";
  c.request.categories = {"pd:Name", "pd:TelephoneNumber"};
  c.request.collection_purposes = {"dpv:ServiceProvision", "dpv:CustomerCare"};
  c.request.now = now;
  return c;
}

// An allowed read: every rule is evaluated.
void BM_DecideAllow(benchmark::State& state) {
  const policy::Policy& policy = ExamplePolicy();
  Case c = AgentReadsName();
  for (auto _ : state) {
    policy::Decision d = policy::Decide(policy, c.actor, c.subject, c.request);
    benchmark::DoNotOptimize(d);
  }
  if (policy::Decide(policy, c.actor, c.subject, c.request).outcome != policy::Outcome::kAllow) {
    state.SkipWithError("expected an allow");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecideAllow);

// A denial late in the order: the agent asks for call records.
void BM_DecideDeny(benchmark::State& state) {
  const policy::Policy& policy = ExamplePolicy();
  Case c = AgentReadsName();
  c.request.categories = {"pd:Name", "pd:CallLog"};
  for (auto _ : state) {
    policy::Decision d = policy::Decide(policy, c.actor, c.subject, c.request);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecideDeny);

// A fixed request that every rule evaluates and allows, against the
// generated policy: the first such request the generator makes.
struct LargeCase {
  policy::Policy policy;
  Case c;
};

const LargeCase& AllowedOnLargePolicy() {
  static const LargeCase* large = [] {
    auto* l = new LargeCase{policy::MakeSyntheticPolicy(), {}};
    policy::SyntheticFacts facts(l->policy, absl::FromUnixSeconds(1'780'000'000), 11);
    for (int i = 0;; ++i) {
      Case c{facts.Actor("act_" + std::to_string(i)), facts.Subject(), {}};
      c.request = facts.Request(c.actor);
      const policy::Decision d = policy::Decide(l->policy, c.actor, c.subject, c.request);
      if (d.outcome == policy::Outcome::kAllow && d.legal_basis == "announced_purpose" &&
          c.request.categories.size() == 3) {
        l->c = std::move(c);
        return l;
      }
    }
  }();
  return *large;
}

// Arg 1: the policy with its index, as compiled. Arg 0: an unindexed copy,
// whose look-ups scan.
void BM_DecideLargePolicy(benchmark::State& state) {
  const LargeCase& large = AllowedOnLargePolicy();
  const policy::Policy scanned = large.policy;  // a copy has no index
  const policy::Policy& policy = state.range(0) == 1 ? large.policy : scanned;
  const Case& c = large.c;
  for (auto _ : state) {
    policy::Decision d = policy::Decide(policy, c.actor, c.subject, c.request);
    benchmark::DoNotOptimize(d);
  }
  if (policy.HasCurrentIndex() != (state.range(0) == 1)) state.SkipWithError("wrong index state");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecideLargePolicy)->ArgName("indexed")->Arg(1)->Arg(0);

// The scale. Built once per process (about 1 s and 0.4 GiB).
constexpr int kSubjects = 1'000'000;
constexpr int kActors = 2'000;
// Requests of each mix, drawn at random. Few enough to stay in the CPU
// caches, as a request just received and parsed would be.
constexpr int kRequests = 1024;

// A request as it arrives: who asks, and what (the subject is drawn per
// iteration).
struct IncomingRequest {
  std::string actor_id;
  policy::UseRequest request;
};

struct AtScale {
  policy::Policy policy;
  absl::flat_hash_map<std::string, policy::ActorFacts> actors;
  absl::flat_hash_map<std::string, policy::SubjectFacts> subjects;
  // SyntheticFacts::Request as it comes: every rule's denials, ~18 % allowed.
  std::vector<IncomingRequest> mixed;
  // Only requests that the actor's roles and training allow, for a subject
  // without consents or orders: ~95 % allowed, after every rule has run.
  std::vector<IncomingRequest> allowed;
};

// "sub_000123": writes the 10 characters of subject `n`'s id into `out`.
void SubjectId(uint32_t n, char* out) {
  std::copy_n("sub_", 4, out);
  for (int i = 9; i >= 4; --i) {
    out[i] = static_cast<char>('0' + n % 10);
    n /= 10;
  }
}

const AtScale& Scale() {
  static const AtScale* scale = [] {
    auto* s = new AtScale{policy::MakeSyntheticPolicy(), {}, {}, {}, {}};
    policy::SyntheticFacts facts(s->policy, absl::FromUnixSeconds(1'780'000'000), 5);
    std::vector<std::string> actor_ids;
    s->actors.reserve(kActors);
    for (int i = 0; i < kActors; ++i) {
      char id[16];
      std::snprintf(id, sizeof(id), "act_%04d", i);
      actor_ids.emplace_back(id);
      s->actors.emplace(id, facts.Actor(id));
    }
    s->subjects.reserve(kSubjects);
    char id[10];
    for (uint32_t i = 0; i < kSubjects; ++i) {
      SubjectId(i, id);
      s->subjects.emplace(std::string(id, sizeof(id)), facts.Subject());
    }
    const policy::SubjectFacts plain;
    for (int i = 0; s->mixed.size() < kRequests || s->allowed.size() < kRequests; ++i) {
      const std::string& actor_id = actor_ids[(i * 7919) % kActors];
      const policy::ActorFacts& actor = s->actors.at(actor_id);
      policy::UseRequest request = facts.Request(actor);
      if (s->mixed.size() < kRequests) s->mixed.push_back({actor_id, request});
      if (s->allowed.size() < kRequests &&
          policy::Decide(s->policy, actor, plain, request).outcome == policy::Outcome::kAllow) {
        s->allowed.push_back({actor_id, std::move(request)});
      }
    }
    return s;
  }();
  return *scale;
}

// SplitMix64: a cheap, good-enough generator for picking subjects.
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

// One decision as a server would make it: look up the actor's and the
// subject's facts by id, build the request, decide. True if allowed.
bool DecideOne(const AtScale& scale, const IncomingRequest& in, std::string_view subject_id) {
  static const policy::ActorFacts kNoActor;
  static const policy::SubjectFacts kNoSubject;
  auto actor = scale.actors.find(common::ToAbsl(in.actor_id));
  auto subject = scale.subjects.find(common::ToAbsl(subject_id));
  const policy::UseRequest request{.purpose = in.request.purpose,
                                   .categories = in.request.categories,
                                   .collection_purposes = in.request.collection_purposes,
                                   .ground = in.request.ground,
                                   .reason = in.request.reason,
                                   .now = in.request.now};
  const policy::Decision d =
      policy::Decide(scale.policy, actor == scale.actors.end() ? kNoActor : actor->second,
                     subject == scale.subjects.end() ? kNoSubject : subject->second, request);
  benchmark::DoNotOptimize(d);
  return d.outcome == policy::Outcome::kAllow;
}

// One decision per iteration, each for a random subject and a random request
// of the mix. Every 16th decision is also timed on its own with the steady
// clock (two clock reads, ~40 ns, included) for the latency percentiles.
// Args: `drawn`, the subjects are drawn from the first `drawn` of the
// million (all of them: the scenario, nearly every look-up a cache
// miss; 1,000: a hot set); `allowed_mix`, 1 for AtScale::allowed, 0 for
// AtScale::mixed.
void BM_DecideAtScale(benchmark::State& state) {
  const AtScale& scale = Scale();
  const uint64_t drawn = static_cast<uint64_t>(state.range(0));
  const std::vector<IncomingRequest>& requests = state.range(1) == 1 ? scale.allowed : scale.mixed;
  constexpr uint64_t kSampleEvery = 16;
  std::vector<int64_t> samples;
  samples.reserve(state.max_iterations / kSampleEvery + 1);
  uint64_t random = 42;
  uint64_t n = 0;
  int64_t allowed = 0;
  char subject_id[10];
  for (auto _ : state) {
    const uint64_t r = NextRandom(random);
    SubjectId(static_cast<uint32_t>(r % drawn), subject_id);
    const IncomingRequest& in = requests[(r >> 40) % requests.size()];
    const std::string_view id(subject_id, sizeof(subject_id));
    if (n++ % kSampleEvery == 0) {
      const auto start = std::chrono::steady_clock::now();
      allowed += DecideOne(scale, in, id);
      samples.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count());
    } else {
      allowed += DecideOne(scale, in, id);
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (samples.empty()) return;
  std::sort(samples.begin(), samples.end());
  auto percentile = [&samples](double q) {
    return static_cast<double>(samples[static_cast<size_t>(q * (samples.size() - 1))]);
  };
  state.counters["p50_ns"] = percentile(0.50);
  state.counters["p99_ns"] = percentile(0.99);
  state.counters["p999_ns"] = percentile(0.999);
  state.counters["max_ns"] = static_cast<double>(samples.back());
  state.counters["allowed_pct"] = 100.0 * static_cast<double>(allowed) /
                                  static_cast<double>(std::max<int64_t>(1, state.iterations()));
}
BENCHMARK(BM_DecideAtScale)
    ->ArgNames({"drawn", "allowed_mix"})
    ->Args({kSubjects, 1})
    ->Args({kSubjects, 0})
    ->Args({1'000, 1})
    ->MinTime(2);

}  // namespace
}  // namespace mamori::bench

BENCHMARK_MAIN();
