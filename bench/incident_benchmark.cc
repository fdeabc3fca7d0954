// Incidents and the internal audit over a large use index (docs/incidents.md,
// docs/supervision.md):
//
//   build/bench/incident_benchmark                        # 10M uses
//   MAMORI_BENCH_USES=1000000 build/bench/incident_benchmark
//   MAMORI_BENCH_FOLD_ENTRIES=20000 build/bench/incident_benchmark
//       --benchmark_filter=BM_FoldUseIndex
//
// Targets (issue "Leakage incidents, employee supervision and internal
// audit"): the affected set of an actor window over a ledger of 10M entries
// in <= 1 s; the audit report over 10M entries in <= 10 s. docs/performance.md
// has the figures.
//
// The data set: MAMORI_BENCH_USES (default 10,000,000) rows of the use index
// (`ledger_uses`, what the engine folds a 10M-entry ledger's decisions
// into), INSERTED DIRECTLY through the store (UseIndexStore::InsertUses, in
// transactions of 100k rows), not folded from a real ledger: writing 10M
// entries through the engine would take far longer than the queries
// measured here. The ledger itself stays small (the data directory's
// initial entries); the fold is measured on its own, on real entries
// (BM_FoldUseIndex, entries per second). 200 actors (in the facts store,
// with the example policy's roles), 30 days of uses at a steady rate up to
// the time the set was built: 90 % reads, 7 % finds (an allowed find is a
// row for each of its 3 subjects), 3 % provisions to the trustee
// "sakura-contact"; 3 % denied with the decision engine's rule ids and
// reason codes; 0.1 % flagged with the ground "law"; subjects drawn from
// 1M synthetic ids (`sub_bench...`, not in the subject store: an actor
// window does not look subjects up), categories from each role's. The use
// cursor `ledger.uses` is set to the ledger's size, so the engine sees the
// index as current. Built once (10M: ~8 min on the shared 2-core VM) and
// kept under build*/bench/bench-data/incident-v2-<uses>/; delete it after
// changing the store's format.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/bench_data_dir.h"
#include "common/clock.h"
#include "common/random.h"
#include "engine/engine.h"
#include "vault/data_directory.h"

namespace mamori::bench {
namespace {

namespace fs = std::filesystem;

constexpr int kActors = 200;
constexpr int64_t kSubjects = 1'000'000;
constexpr int kDays = 30;
constexpr char kOfficer[] = "emp:officer";
constexpr int64_t kFindSubjects = 3;  // subjects an allowed find returns
constexpr size_t kBatch = 100'000;    // rows per transaction
// The example policy's roles, each with a purpose and categories it allows.
struct Role {
  const char* id;
  const char* purpose;
  std::vector<std::string> categories;
};
const Role kRoles[] = {
    {"call-center-agent",
     "dpv:CustomerCare",
     {"pd:Name", "pd:PhysicalAddress", "pd:TelephoneNumber", "pd:EmailAddress"}},
    {"billing-clerk",
     "dpv:PaymentManagement",
     {"pd:Name", "pd:PhysicalAddress", "pd:TelephoneNumber", "mamori:ContractNumber"}},
    {"fraud-analyst",
     "dpv:FraudPreventionAndDetection",
     {"pd:Name", "pd:TelephoneNumber", "pd:BirthDate", "mamori:ContractNumber"}},
    {"network-engineer", "dpv:TechnicalServiceProvision", {"pd:TelephoneNumber", "pd:CallLog"}},
};
// Denials as the decision engine words them (src/policy/decision.cc).
struct Denial {
  const char* rule_id;
  const char* reason_code;
};
const Denial kDenials[] = {
    {"appi.23", "role_purpose_not_allowed"},  {"appi.23", "role_category_not_allowed"},
    {"appi.24", "training_missing"},          {"appi.24", "training_expired"},
    {"appi.18.1", "category_not_in_purpose"}, {"appi.18.3", "ground_reason_missing"},
    {"appi.21.1", "purpose_not_announced"},
};

void Check(const absl::Status& status, std::string_view what) {
  if (!status.ok()) {
    throw std::runtime_error(fmt::format("{}: {}", what, std::string(status.message())));
  }
}
template <typename T>
T Value(absl::StatusOr<T> value, std::string_view what) {
  Check(value.status(), what);
  return *std::move(value);
}

int64_t UsesWanted() {
  const char* text = std::getenv("MAMORI_BENCH_USES");
  if (text == nullptr || *text == '\0') return 10'000'000;
  const int64_t uses = std::strtoll(text, nullptr, 10);
  if (uses < 10'000) throw std::runtime_error("MAMORI_BENCH_USES: at least 10000");
  return uses;
}

std::string ActorId(int i) { return fmt::format("emp:bench-{:03d}", i); }

// The data set on disk, built on first use: the data directory, its master
// key, and the end of its 30 days.
struct DataSet {
  fs::path data;
  fs::path key;
  absl::Time end;
};

DataSet BuildOrOpen(int64_t uses) {
  const char* root_env = std::getenv("MAMORI_BENCH_DATA");
  const fs::path root = fs::path(root_env != nullptr ? root_env : MAMORI_BENCH_DATA_DIR) /
                        fmt::format("incident-v2-{}", uses);
  DataSet set{root / "data", root / "data.master.key", absl::InfinitePast()};
  const fs::path done = root / "built";
  if (fs::exists(done)) {
    std::ifstream in(done);
    int64_t end_us = 0;
    in >> end_us;
    set.end = absl::FromUnixMicros(end_us);
    return set;
  }
  fs::remove_all(root);
  fs::create_directories(root);
  common::Clock& clock = common::SystemClock::Instance();
  common::RandomSource& random = common::SodiumRandom::Instance();
  Check(vault::InitDataDirectory(
            {set.data.string(), std::string(MAMORI_SOURCE_DIR) + "/examples/telecom-operator.toml",
             set.key.string(), "admin:bench"},
            clock, random)
            .status(),
        "init");
  auto dir = Value(vault::DataDirectory::Open(set.data.string(), set.key.string(),
                                              vault::DataDirectory::Access::kWrite, clock, random),
                   "open");
  store::Store& store = dir->store();
  set.end = clock.Now();
  const absl::Time start = set.end - absl::Hours(24 * kDays);
  {
    auto tx = Value(store.records().BeginTransaction(), "begin");
    for (int i = 0; i < kActors; ++i) {
      Check(store.facts().InsertActor(
                {ActorId(i), {kRoles[i % std::size(kRoles)].id}, start, "admin:bench"}),
            "actor");
    }
    Check(store.facts().InsertActor({kOfficer, {"privacy-officer"}, start, "admin:bench"}),
          "officer");
    Check(tx->Commit(), "commit");
  }
  // Rows, not entries: a find gives a row per subject it returned.
  std::mt19937_64 rng(20261128);
  const absl::Duration step = (set.end - start) / uses;
  std::vector<store::UseRow> batch;
  batch.reserve(kBatch + kFindSubjects);
  int64_t seq = 0;
  for (int64_t rows = 0; rows < uses; ++seq) {
    store::UseRow u;
    u.seq = seq;
    u.at = start + step * rows;
    const int actor = static_cast<int>(rng() % kActors);
    const Role& role = kRoles[actor % std::size(kRoles)];
    u.actor = ActorId(actor);
    const uint64_t kind = rng() % 100;
    u.action = kind < 90 ? "read" : kind < 97 ? "find" : "provide";
    u.purpose = role.purpose;
    u.categories = {role.categories[rng() % role.categories.size()]};
    if (rng() % 2 == 0) {
      std::string second = role.categories[rng() % role.categories.size()];
      if (second != u.categories[0]) u.categories.push_back(std::move(second));
    }
    if (u.action == "provide") {
      u.recipient = "sakura-contact";
      u.purpose = "dpv:CustomerCare";
    }
    u.allowed = rng() % 100 >= 3;
    if (u.allowed) {
      u.rule_id = u.action == "provide" ? "appi.27.5" : "appi.18.1";
      u.reason_code = "allowed";
    } else {
      const Denial& d = kDenials[rng() % std::size(kDenials)];
      u.rule_id = d.rule_id;
      u.reason_code = d.reason_code;
    }
    u.flagged_for_audit = rng() % 1000 == 0;
    u.ground = u.flagged_for_audit ? "law" : "none";
    // A denied find returned no one: one row with no subject.
    const int64_t subjects = u.action == "find" && u.allowed ? kFindSubjects : 1;
    const bool has_subject = !(u.action == "find" && !u.allowed);
    for (int64_t k = 0; k < subjects && rows < uses; ++k, ++rows) {
      store::UseRow row = u;
      if (has_subject) {
        row.subject = fmt::format("sub_bench{:07d}", rng() % static_cast<uint64_t>(kSubjects));
      }
      batch.push_back(std::move(row));
    }
    if (batch.size() >= kBatch || rows == uses) {
      auto tx = Value(store.records().BeginTransaction(), "begin");
      Check(store.uses().InsertUses(batch), "insert uses");
      Check(tx->Commit(), "commit");
      batch.clear();
    }
  }
  {
    auto tx = Value(store.records().BeginTransaction(), "begin");
    const int64_t size = Value(store.ledger().CountEntries(), "count");
    Check(store.retention().SetCursor("ledger.uses", size), "cursor");
    Check(tx->Commit(), "commit");
  }
  dir.reset();
  std::ofstream(done) << absl::ToUnixMicros(set.end);
  return set;
}

// The data set opened for writing with an engine on it, shared by the
// benchmarks of one run.
struct Opened {
  DataSet set;
  std::unique_ptr<vault::DataDirectory> dir;
  std::unique_ptr<engine::Engine> engine;
};

Opened& Shared() {
  static Opened* opened = [] {
    auto* o = new Opened;
    o->set = BuildOrOpen(UsesWanted());
    common::Clock& clock = common::SystemClock::Instance();
    common::RandomSource& random = common::SodiumRandom::Instance();
    o->dir = Value(vault::DataDirectory::Open(o->set.data.string(), o->set.key.string(),
                                              vault::DataDirectory::Access::kWrite, clock, random),
                   "open");
    o->engine = Value(engine::Engine::Start(*o->dir, clock, random), "start");
    // Incidents an interrupted earlier run left open would weigh on the
    // audit report (it shows every open incident).
    for (const engine::IncidentView& view : Value(o->engine->ListIncidents(), "incidents")) {
      if (view.row.status == "open") {
        Check(o->engine->CloseIncident(kOfficer, view.row.id).status(), "close incident");
      }
    }
    return o;
  }();
  return *opened;
}

// The affected set of one actor's window, as `incident open --actor` runs
// it: the index query, the incident and its subjects stored, the
// reportability assessed. Arg: the window in days.
void BM_AffectedSetActorWindow(benchmark::State& state) {
  Opened& o = Shared();
  const absl::Duration window = absl::Hours(24 * state.range(0));
  int64_t subjects = 0;
  int n = 0;
  for (auto _ : state) {
    engine::IncidentSpec spec;
    // Discovered before the data set's 30 days and closed below, so that the
    // incidents opened here stay out of BM_AuditReport's period.
    spec.discovered_at = o.set.end - absl::Hours(24 * (kDays + 1));
    spec.cause = incident::Cause::kInsider;
    spec.description = "benchmark";
    spec.scope.actors.push_back({ActorId(n++ % kActors), o.set.end - window, o.set.end});
    engine::IncidentView view = Value(o.engine->OpenIncident(kOfficer, spec), "open incident");
    subjects = view.facts.affected.subjects;
    state.PauseTiming();
    Check(o.engine->CloseIncident(kOfficer, view.row.id).status(), "close incident");
    state.ResumeTiming();
  }
  state.counters["subjects"] = static_cast<double>(subjects);
}
BENCHMARK(BM_AffectedSetActorWindow)
    ->ArgName("days")
    ->Arg(1)
    ->Arg(30)
    ->Iterations(5)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// The data set's use index on a read-only connection of its own, beside
// the engine's.
store::UseIndexStore& ReadOnlyUses() {
  static vault::DataDirectory* reader = [] {
    Opened& o = Shared();
    return Value(vault::DataDirectory::Open(o.set.data.string(), o.set.key.string(),
                                            vault::DataDirectory::Access::kReadOnly,
                                            common::SystemClock::Instance(),
                                            common::SodiumRandom::Instance()),
                 "open read-only")
        .release();
  }();
  return reader->store().uses();
}

// The index query alone (UseIndexStore::SubjectsTouchedByActor), on a
// read-only connection of its own: what BM_AffectedSetActorWindow costs
// before the incident is stored. Arg: the window in days.
void BM_SubjectsTouchedByActor(benchmark::State& state) {
  Opened& o = Shared();
  store::UseIndexStore& uses = ReadOnlyUses();
  const std::vector<std::string> actions = {"read", "find", "provide"};
  const absl::Duration window = absl::Hours(24 * state.range(0));
  int64_t subjects = 0;
  int n = 0;
  for (auto _ : state) {
    std::vector<store::TouchedSubject> touched = Value(
        uses.SubjectsTouchedByActor(ActorId(n++ % kActors), o.set.end - window, o.set.end, actions),
        "subjects touched");
    subjects = static_cast<int64_t>(touched.size());
  }
  state.counters["subjects"] = static_cast<double>(subjects);
}
BENCHMARK(BM_SubjectsTouchedByActor)
    ->ArgName("days")
    ->Arg(1)
    ->Arg(30)
    ->Iterations(5)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// The internal-audit report over the 30 days of the data set, as
// `mamori audit report` runs it: the ledger verified from the last verified
// head, then the index's counts, alerts, training, incidents. The ledger is
// small here (the index was filled directly), so its verification costs
// nothing: the first report of a real 10M-entry ledger verifies it whole
// (ledger_benchmark's BM_VerifyLedger: ~7 s at 10M), later ones only the
// entries since the last report. BM_AuditReportQuery splits the rest.
void BM_AuditReport(benchmark::State& state) {
  Opened& o = Shared();
  int64_t decisions = 0;
  for (auto _ : state) {
    audit::AuditFacts facts = Value(
        o.engine->AuditReport(o.set.end - absl::Hours(24 * kDays), o.set.end), "audit report");
    decisions = 0;
    for (const store::UseCount& c : facts.decisions.by_rule) decisions += c.count;
  }
  state.counters["decisions"] = static_cast<double>(decisions);
}
BENCHMARK(BM_AuditReport)->Iterations(2)->UseRealTime()->Unit(benchmark::kSecond);

// The index queries the audit report runs over the whole period, one at a
// time, to tell which dominates BM_AuditReport. Arg: 0 decisions by rule,
// 1 decisions by actor (for the roles), 2 decisions by day, 3 each actor's
// days (distinct subjects and denials, for the alerts), 4 exception uses.
void BM_AuditReportQuery(benchmark::State& state) {
  Opened& o = Shared();
  store::UseIndexStore& uses = ReadOnlyUses();
  const absl::Time from = o.set.end - absl::Hours(24 * kDays);
  const absl::Duration offset = absl::Hours(9);  // the example operator's zone, JST
  int64_t rows = 0;
  for (auto _ : state) {
    switch (state.range(0)) {
      case 0:
        rows = static_cast<int64_t>(
            Value(uses.CountUses("", from, o.set.end, "rule_id"), "rule").size());
        break;
      case 1:
        rows = static_cast<int64_t>(
            Value(uses.CountUses("", from, o.set.end, "actor"), "actor").size());
        break;
      case 2:
        rows =
            static_cast<int64_t>(Value(uses.CountUsesByDay(from, o.set.end, offset), "day").size());
        break;
      case 3:
        rows = static_cast<int64_t>(
            Value(uses.ActorDays(from, o.set.end, offset), "actor days").size());
        break;
      default:
        rows = static_cast<int64_t>(
            Value(uses.ListFlaggedUses(from, o.set.end, 10000), "flagged").size());
        break;
    }
  }
  state.counters["rows"] = static_cast<double>(rows);
}
BENCHMARK(BM_AuditReportQuery)
    ->ArgName("query")
    ->DenseRange(0, 4)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// How fast the engine folds real ledger entries into the index: 200k
// (or $MAMORI_BENCH_FOLD_ENTRIES) decision entries written through the
// engine (decides of 5 customers by one agent), folded from cursor 0 in a
// fresh data directory. Entries per second (items_per_second), to tell the
// time a 10M-entry ledger takes to fold; the ledger writes are not timed.
void BM_FoldUseIndex(benchmark::State& state) {
  const char* text = std::getenv("MAMORI_BENCH_FOLD_ENTRIES");
  const int entries = text != nullptr && *text != '\0' ? std::atoi(text) : 200'000;
  for (auto _ : state) {
    state.PauseTiming();
    BenchDataDir scratch;
    common::Clock& clock = common::SystemClock::Instance();
    common::RandomSource& random = common::SodiumRandom::Instance();
    auto eng = Value(engine::Engine::Start(scratch.dir(), clock, random), "start");
    Check(eng->AddActor("admin:bench", "emp:agent", {"call-center-agent"}).status(), "actor");
    Check(eng->RecordTraining("admin:bench", "emp:agent", "privacy-annual", clock.Now()).status(),
          "training");
    std::vector<std::string> subjects;
    for (int i = 0; i < 5; ++i) {
      vault::SubjectIdentifiers ids;
      ids.phone = fmt::format("090-2000-{:04d}", i);
      subjects.push_back(
          Value(eng->AddSubject("admin:bench", ids,
                                {{.category = "pd:Name", .service = "mobile", .value = "顧客"}}),
                "subject"));
    }
    std::mutex mutex;
    std::condition_variable all_done;
    int pending = entries;
    absl::Status failed;
    for (int i = 0; i < entries; ++i) {
      engine::UseRequest use;
      use.actor = "emp:agent";
      use.purpose = "dpv:CustomerCare";
      use.subject = subjects[static_cast<size_t>(i) % subjects.size()];
      use.categories = {"pd:Name"};
      eng->DecideAsync(use, [&](absl::StatusOr<engine::UseResult> r) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!r.ok() && failed.ok()) failed = r.status();
        if (--pending == 0) all_done.notify_one();
      });
    }
    {
      std::unique_lock<std::mutex> lock(mutex);
      all_done.wait(lock, [&] { return pending == 0; });
    }
    Check(failed, "decide");
    state.ResumeTiming();
    Check(eng->UpdateUseIndex(), "fold");
    state.PauseTiming();
    Check(eng->Stop(), "stop");
    eng.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * entries);
}
BENCHMARK(BM_FoldUseIndex)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

}  // namespace
}  // namespace mamori::bench

BENCHMARK_MAIN();
