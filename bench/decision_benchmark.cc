// The decision engine's hot path: policy::Decide() with the example operator
// policy, one call per use of personal data.
//
//   build/bench/decision_benchmark --benchmark_min_time=2
//
// Target (issue "Decisions and the verifiable ledger"): >= 1M decisions/s
// on one core. docs/performance.md has the figures.
#include <benchmark/benchmark.h>

#include <stdexcept>
#include <string>

#include "policy/decision.h"
#include "policy/policy_file.h"

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

}  // namespace
}  // namespace mamori::bench

BENCHMARK_MAIN();
