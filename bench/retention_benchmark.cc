// The retention sweep (Engine::SweepRetention, docs/retention.md) over a
// data directory of mostly expired call records, and what it does to
// foreground audited reads while it runs.
//
//   build/bench/retention_benchmark                      # 1M records
//   MAMORI_BENCH_RECORDS=10000000 build/bench/retention_benchmark
//       --benchmark_filter='BM_Sweep/mode:1'   (one line)
//
// Target (issue "Retention"): a sweep erases >= 1M expired records/s
// (measured with 10M records), and foreground read p99 rises by <= 20 %
// while it runs. docs/performance.md has the figures.
//
// The data set: MAMORI_BENCH_RECORDS (default 1,000,000) call records
// (`pd:CallLog` through `mobile`, kept 6 months from collection, monthly
// data keys) of N / 100 mobile customers, each with 3 profile records that
// the sweep keeps (name, phone number, contract number: kept until the
// contract ends) and 10 calls in each month of January to October 2026:
// 100 data keys' worth of records per customer, 10 under each key. They are
// imported through Vault::Import, as `mamori import` does, either as daily
// files would bring them (layout 0: one call per customer per file, so a
// key's records are spread over its month of the table) or one line per
// customer with all its calls (layout 1, a migration's bulk load). The
// clock runs a year ahead of the system's, so every call record is due.
// Two variants of examples/telecom-operator.toml: as it is (call records
// de-identified: a decryption and an encryption each) and with
// `erasure = "deidentify"` removed from `pd:CallLog` (plain deletion). An
// agent with the call-center-agent role reads `pd:Name` for customer care.
//
// Built once (1M: 30-60 s a data set; 10M: ~10x) and kept in the build
// tree, under build*/bench/bench-data/retention-v3-<records>-<variant>/
// (or $MAMORI_BENCH_DATA); every run sweeps a fresh copy. Delete that
// folder after changing the store's format or this data set.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/testing/test_files.h"
#include "engine/engine.h"
#include "vault/data_directory.h"

namespace mamori::bench {
namespace {

namespace fs = std::filesystem;
using Seconds = std::chrono::duration<double>;
using SteadyClock = std::chrono::steady_clock;

constexpr char kAdmin[] = "admin:bench";
constexpr char kAgent[] = "emp:agent-0001";
constexpr char kSweeper[] = "system:retention";
constexpr int kMonths = 10;         // January to October 2026
constexpr int kCallsPerMonth = 10;  // per customer; one per daily file
constexpr int kProfileRecords = 3;  // kept by the sweep
// Callers reading at once (as many HTTP connections would): enough that a
// read held up for a few milliseconds does not hold the next ones back.
constexpr int kReaderThreads = 64;

enum class Erasure { kDeidentify = 0, kDelete = 1 };
// How the call records were brought in, which decides where they sit in the
// records table (in insertion order) and so how many pages a job touches.
enum class Layout {
  kDaily = 0,       // ten files a month, one call of every customer each
  kByCustomer = 1,  // one line per customer with all of its calls
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

// The system's time a year ahead: past every call record's retention, and
// still moving, so ids (which begin with their creation time) grow as they
// would in production and later runs never see time go back.
class YearAheadClock final : public common::Clock {
 public:
  absl::Time Now() const override {
    return common::SystemClock::Instance().Now() + absl::Hours(24 * 365);
  }
  static YearAheadClock& Instance() {
    static YearAheadClock clock;
    return clock;
  }
};

int64_t RecordsWanted() {
  const char* text = std::getenv("MAMORI_BENCH_RECORDS");
  if (text == nullptr || *text == '\0') return 1'000'000;
  const int64_t records = std::strtoll(text, nullptr, 10);
  if (records < kMonths * kCallsPerMonth) {
    throw std::runtime_error("MAMORI_BENCH_RECORDS: at least 100 records");
  }
  return records;
}

int SubjectCount() { return static_cast<int>(RecordsWanted() / (kMonths * kCallsPerMonth)); }
int64_t DueRecords() { return int64_t{SubjectCount()} * kMonths * kCallsPerMonth; }
int64_t DueKeys() { return int64_t{SubjectCount()} * kMonths; }

fs::path CacheRoot() {
  if (const char* dir = std::getenv("MAMORI_BENCH_DATA"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return MAMORI_BENCH_DATA_DIR;
}

// The example policy; for kDelete, without `erasure = "deidentify"` on
// pd:CallLog (the default erasure mode is `delete`).
std::string PolicyText(Erasure erasure) {
  std::string text = common::testing::ReadFileBytes(fs::path(MAMORI_SOURCE_DIR) / "examples" /
                                                    "telecom-operator.toml");
  if (text.empty()) throw std::runtime_error("examples/telecom-operator.toml: cannot read");
  if (erasure == Erasure::kDelete) {
    const size_t category = text.find("id = \"pd:CallLog\"");
    const std::string_view line = "erasure = \"deidentify\"\n";
    const size_t at = text.find(line, category);
    if (category == std::string::npos || at == std::string::npos) {
      throw std::runtime_error("the example policy no longer de-identifies pd:CallLog");
    }
    text.erase(at, line.size());
  }
  return text;
}

void Import(vault::DataDirectory& dir, const std::string& jsonl) {
  std::istringstream in(jsonl);
  Value(dir.vault().Import(in, nullptr), "import");
}

// The profile records of customer `c`, as JSON objects joined by commas.
std::string ProfileRecords(int c) {
  return fmt::format(
      R"({{"category":"pd:Name","service":"mobile","value":"顧客 {}号"}},)"
      R"({{"category":"pd:TelephoneNumber","service":"mobile","value":"090-{:04d}-{:04d}"}},)"
      R"({{"category":"mamori:ContractNumber","service":"mobile","value":"MT-{:08d}"}})",
      c, c / 10000, c % 10000, c);
}

// Call `day` (1-10) of customer `c` in `month` of 2026, as a JSON object.
std::string CallRecord(int c, int month, int day) {
  const int hour = 8 + c % 12;
  const int minute = (c + day) % 60;
  return fmt::format(
      R"({{"category":"pd:CallLog","service":"mobile",)"
      R"("value":"2026-{:02d}-{:02d}T{:02d}:{:02d}:00+09:00 to +8131234{:04d} duration {}s",)"
      R"("collected_at":"2026-{:02d}-{:02d}T{:02d}:{:02d}:00+09:00"}})",
      month, day * 2, hour, minute, (c * 7 + day) % 10000, 30 + (c + day) % 600, month, day * 2,
      hour, minute);
}

std::string Identifiers(int c) {
  return fmt::format(R"("phone":"090-{:04d}-{:04d}","contract":"MT-{:08d}")", c / 10000, c % 10000,
                     c);
}

// Builds the data set in `root` (data/, data.master.key, subjects.txt).
void BuildDataSet(const fs::path& root, Erasure erasure, Layout layout) {
  common::Clock& clock = YearAheadClock::Instance();
  common::RandomSource& random = common::SodiumRandom::Instance();
  fs::create_directories(root);
  {
    std::ofstream policy(root / "policy.toml");
    policy << PolicyText(erasure);
  }
  const std::string data = (root / "data").string();
  const std::string key = (root / "data.master.key").string();
  Check(
      vault::InitDataDirectory({data, (root / "policy.toml").string(), key, kAdmin}, clock, random)
          .status(),
      "init");
  auto dir = Value(
      vault::DataDirectory::Open(data, key, vault::DataDirectory::Access::kWrite, clock, random),
      "open");
  const int subjects = SubjectCount();
  const auto start = SteadyClock::now();
  auto log = [&](std::string_view what) {
    std::fprintf(stderr, "retention data set (%d subjects): %s, %.0f s\n", subjects,
                 std::string(what).c_str(), Seconds(SteadyClock::now() - start).count());
  };
  std::string jsonl;
  auto add_line = [&](std::string line, bool last) {
    jsonl += line;
    jsonl += '\n';
    if (last || jsonl.size() > (64 << 20)) {
      Import(*dir, jsonl);
      jsonl.clear();
    }
  };
  // The customers with their profile records (and, by customer, all their
  // calls).
  for (int c = 0; c < subjects; ++c) {
    std::string line = fmt::format(R"({{{},"records":[{})", Identifiers(c), ProfileRecords(c));
    if (layout == Layout::kByCustomer) {
      for (int month = 1; month <= kMonths; ++month) {
        for (int day = 1; day <= kCallsPerMonth; ++day) line += "," + CallRecord(c, month, day);
      }
    }
    line += "]}";
    add_line(std::move(line), c + 1 == subjects);
  }
  std::vector<std::string> ids;
  {
    auto reader = Value(dir->store().OpenReader(), "open reader");
    std::vector<store::RecordTermsRow> page;
    int64_t after = 0;
    while (true) {
      Check(reader->ScanRecordTerms(after, 8192, page), "scan");
      if (page.empty()) break;
      for (const store::RecordTermsRow& row : page) {
        if (ids.empty() || ids.back() != row.subject_id) ids.push_back(row.subject_id);
      }
      after = page.back().position;
    }
  }
  if (static_cast<int>(ids.size()) != subjects) throw std::runtime_error("subjects: wrong count");
  log("customers imported");
  // Daily: ten files a month, each with one call of every customer.
  for (int month = 1; layout == Layout::kDaily && month <= kMonths; ++month) {
    for (int day = 1; day <= kCallsPerMonth; ++day) {
      for (int c = 0; c < subjects; ++c) {
        add_line(fmt::format(R"({{"subject":"{}","records":[{}]}})", ids[static_cast<size_t>(c)],
                             CallRecord(c, month, day)),
                 c + 1 == subjects);
      }
    }
    log(fmt::format("calls of 2026-{:02d} imported", month));
  }
  // The reading agent, through the engine so that the ledger holds it.
  {
    auto engine = Value(engine::Engine::Start(*dir, clock, random), "start engine");
    Check(engine->AddActor(kAdmin, kAgent, {"call-center-agent"}).status(), "add actor");
    Check(engine->RecordTraining(kAdmin, kAgent, "privacy-annual", clock.Now() - absl::Hours(24))
              .status(),
          "record training");
    Check(engine->Stop(), "stop engine");
  }
  std::ofstream out(root / "subjects.txt");
  for (const std::string& id : ids) out << id << '\n';
}

// The built data set of this size, erasure mode and layout, from the cache
// or built there first. Returns its folder.
fs::path DataSet(Erasure erasure, Layout layout = Layout::kDaily) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  const fs::path root =
      CacheRoot() / fmt::format("retention-v3-{}-{}{}", RecordsWanted(),
                                erasure == Erasure::kDelete ? "delete" : "deidentify",
                                layout == Layout::kByCustomer ? "-by-customer" : "");
  if (fs::exists(root / "complete")) return root;
  const fs::path partial = root.string() + ".partial";
  fs::remove_all(partial);
  BuildDataSet(partial, erasure, layout);
  std::ofstream(partial / "complete") << "built\n";
  fs::remove_all(root);
  fs::rename(partial, root);
  return root;
}

std::vector<std::string> SubjectsOf(const fs::path& root) {
  std::vector<std::string> ids;
  std::ifstream in(root / "subjects.txt");
  for (std::string line; std::getline(in, line);) ids.push_back(line);
  return ids;
}

// A scratch copy of a data set with the engine running on it; removed when
// the object dies.
class SweepTarget {
 public:
  explicit SweepTarget(Erasure erasure, Layout layout = Layout::kDaily) {
    const fs::path source = DataSet(erasure, layout);
    fs::copy(source / "data", temp_.path() / "data", fs::copy_options::recursive);
    fs::copy_file(source / "data.master.key", temp_.path() / "data.master.key");
    common::Clock& clock = YearAheadClock::Instance();
    common::RandomSource& random = common::SodiumRandom::Instance();
    dir_ = Value(vault::DataDirectory::Open((temp_.path() / "data").string(),
                                            (temp_.path() / "data.master.key").string(),
                                            vault::DataDirectory::Access::kWrite, clock, random),
                 "open copy");
    engine_ = Value(engine::Engine::Start(*dir_, clock, random), "start engine");
  }
  ~SweepTarget() {
    if (engine_ != nullptr) (void)engine_->Stop();
    engine_.reset();
    dir_.reset();
  }
  engine::Engine& engine() { return *engine_; }

 private:
  common::testing::ScopedTempDir temp_;
  std::unique_ptr<vault::DataDirectory> dir_;
  std::unique_ptr<engine::Engine> engine_;  // stopped before `dir_` closes
};

// CPU seconds (user + system) of this process's threads, by thread name
// (the engine names its threads: mamori-writer, mamori-sync, mamori-ckpt),
// summed over threads of the same name; "" holds the whole process.
std::map<std::string, double> ThreadCpuSeconds() {
  std::map<std::string, double> seconds;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    std::string stat = common::testing::ReadFileBytes(task.path() / "stat");
    const size_t open = stat.find('(');
    const size_t close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 > stat.size()) {
      continue;
    }
    const std::string name = stat.substr(open + 1, close - open - 1);
    // After the name: state is field 3, utime and stime fields 14 and 15.
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    long ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14 || i == 15) ticks += std::stol(field);
    }
    seconds[name] += static_cast<double>(ticks) / tick;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto time = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  seconds[""] = time(usage.ru_utime) + time(usage.ru_stime);
  return seconds;
}

// Sets counters `<prefix>cpu_s` (the process) and `<prefix>writer_cpu_s`
// (the engine's writer thread) from two ThreadCpuSeconds().
void SetCpuCounters(benchmark::State& state, const std::map<std::string, double>& before,
                    const std::map<std::string, double>& after) {
  auto spent = [&](const std::string& name) {
    auto a = after.find(name);
    auto b = before.find(name);
    return (a == after.end() ? 0 : a->second) - (b == before.end() ? 0 : b->second);
  };
  state.counters["cpu_s"] = spent("");
  state.counters["writer_cpu_s"] = spent("mamori-writer");
}

// Checks a real sweep's summary against the data set: every call record
// and its key, nothing else.
std::string WrongSummary(const engine::SweepSummary& summary, Erasure erasure) {
  const int64_t deleted = erasure == Erasure::kDelete ? DueRecords() : 0;
  const int64_t deidentified = erasure == Erasure::kDelete ? 0 : DueRecords();
  if (summary.erased == deleted && summary.deidentified == deidentified &&
      summary.keys_destroyed == DueKeys() && summary.subjects_erased == 0 && summary.held == 0) {
    return "";
  }
  return fmt::format("unexpected sweep: erased {}, de-identified {}, keys {}, subjects {}",
                     summary.erased, summary.deidentified, summary.keys_destroyed,
                     summary.subjects_erased);
}

// BM_Sweep/mode:M/records_per_job:J/layout:L/budget_us:B — one real sweep
// of a fresh copy (mode 0: de-identify, 1: delete; layout 0: daily files,
// 1: one line per customer with all its calls; jobs of about B microseconds
// of the writer's time, at most J records), timed from the call to its return (last-use
// update, scan, erasure jobs, the sweep's ledger entry). Counters:
// records_per_s (deleted + de-identified), keys_per_s (data keys
// destroyed), and the CPU seconds of the process (cpu_s) and of the
// engine's writer thread (writer_cpu_s) during the sweep: the wall time
// minus the writer's CPU time is mostly waiting (for the disk, for the
// next job, for a core).
void BM_Sweep(benchmark::State& state) {
  const auto erasure = static_cast<Erasure>(state.range(0));
  const auto layout = static_cast<Layout>(state.range(2));
  engine::SweepOptions options;
  options.records_per_job = static_cast<size_t>(state.range(1));
  options.job_budget = absl::Microseconds(state.range(3));
  engine::SweepSummary summary;
  double seconds = 0;
  for (auto _ : state) {
    SweepTarget target(erasure, layout);
    const std::map<std::string, double> cpu_before = ThreadCpuSeconds();
    const auto start = SteadyClock::now();
    absl::StatusOr<engine::SweepSummary> swept = target.engine().SweepRetention(kSweeper, options);
    const double elapsed = Seconds(SteadyClock::now() - start).count();
    state.SetIterationTime(elapsed);
    SetCpuCounters(state, cpu_before, ThreadCpuSeconds());
    if (!swept.ok()) {
      state.SkipWithError(std::string(swept.status().message()).c_str());
      return;
    }
    if (std::string wrong = WrongSummary(*swept, erasure); !wrong.empty()) {
      state.SkipWithError(wrong.c_str());
      return;
    }
    summary = *swept;
    seconds += elapsed;
  }
  const double sweeps = static_cast<double>(state.iterations());
  state.counters["records"] = static_cast<double>(summary.erased + summary.deidentified);
  state.counters["records_per_s"] = (summary.erased + summary.deidentified) * sweeps / seconds;
  state.counters["keys_per_s"] = static_cast<double>(summary.keys_destroyed) * sweeps / seconds;
}
BENCHMARK(BM_Sweep)
    ->ArgNames({"mode", "records_per_job", "layout", "budget_us"})
    ->Args({0, 2048, 0, 2000})
    ->Args({1, 2048, 0, 2000})
    ->Args({1, 2048, 0, 500})
    ->Args({1, 8192, 0, 50000})
    ->Args({1, 2048, 1, 2000})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

// BM_DryRun: a dry run (the scan and the plan, nothing erased) of a fresh
// copy of the delete variant (daily layout), three times. Counter: scanned_per_s (records' terms
// scanned).
void BM_DryRun(benchmark::State& state) {
  SweepTarget target(Erasure::kDelete);
  engine::SweepOptions options;
  options.dry_run = true;
  int64_t scanned = 0;
  for (auto _ : state) {
    absl::StatusOr<engine::SweepSummary> plan = target.engine().SweepRetention(kSweeper, options);
    if (!plan.ok()) {
      state.SkipWithError(std::string(plan.status().message()).c_str());
      return;
    }
    if (plan->erased + plan->deidentified != DueRecords()) {
      state.SkipWithError(
          fmt::format("dry run: {} due", plan->erased + plan->deidentified).c_str());
      return;
    }
    scanned += plan->scanned;
  }
  state.counters["scanned_per_s"] =
      benchmark::Counter(static_cast<double>(scanned), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DryRun)->Iterations(3)->UseRealTime()->Unit(benchmark::kSecond);

// Latencies in nanoseconds; sorts them.
double PercentileMicros(std::vector<int64_t>& ns, double q) {
  if (ns.empty()) return 0;
  std::sort(ns.begin(), ns.end());
  const size_t at =
      std::min(ns.size() - 1, static_cast<size_t>(q * static_cast<double>(ns.size())));
  return static_cast<double>(ns[at]) / 1e3;
}

// BM_ReadsDuringSweep/reads_per_s:R/budget_us:B: audited reads
// (Engine::Read of pd:Name of a random customer, customer care, by the
// agent; every read allowed and durable) issued at a fixed rate R by 64
// threads, each read timed from when it was due (a read held up delays the
// ones after it, and that wait counts: no coordinated omission). 2 s of
// warm-up, 10 s without a sweep (base_*), then during a real de-identifying
// sweep of the same copy with jobs of about B microseconds (sweep_*).
// Counters: p50 and p99 in microseconds, reads/s done in each phase,
// p99_ratio = sweep_p99 / base_p99, and the sweep's records/s under that
// load. Time: the sweep's.
void BM_ReadsDuringSweep(benchmark::State& state) {
  const double rate = static_cast<double>(state.range(0));
  for (auto _ : state) {
    SweepTarget target(Erasure::kDeidentify);
    const std::vector<std::string> subjects = SubjectsOf(DataSet(Erasure::kDeidentify));
    enum Phase : int { kWarm, kBase, kSweep, kDone };
    std::atomic<int> phase{kWarm};
    std::atomic<bool> failed{false};
    std::vector<std::vector<int64_t>> base(kReaderThreads), during(kReaderThreads);
    std::vector<std::thread> readers;
    const auto begin = SteadyClock::now();
    // Thread t issues reads t, t + 8, t + 16, ... of the schedule.
    const auto interval = std::chrono::duration_cast<SteadyClock::duration>(
        std::chrono::duration<double>(kReaderThreads / rate));
    for (int t = 0; t < kReaderThreads; ++t) {
      readers.emplace_back([&, t] {
        std::mt19937_64 random(static_cast<uint64_t>(t) + 1);
        std::uniform_int_distribution<size_t> pick(0, subjects.size() - 1);
        engine::UseRequest request;
        request.actor = kAgent;
        request.purpose = "dpv:CustomerCare";
        request.categories = {"pd:Name"};
        auto due = begin + std::chrono::duration_cast<SteadyClock::duration>(
                               std::chrono::duration<double>(t / rate));
        int now = phase.load();
        while (now != kDone) {
          std::this_thread::sleep_until(due);
          request.subject = subjects[pick(random)];
          absl::StatusOr<engine::UseResult> result = target.engine().Read(request);
          const int64_t ns =
              std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - due)
                  .count();
          if (!result.ok() || result->decision.outcome != policy::Outcome::kAllow ||
              result->values["pd:Name"].size() != 1) {
            failed = true;
            return;
          }
          if (now == kBase) base[static_cast<size_t>(t)].push_back(ns);
          if (now == kSweep) during[static_cast<size_t>(t)].push_back(ns);
          due += interval;
          now = phase.load();
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
    phase = kBase;
    const auto base_start = SteadyClock::now();
    std::this_thread::sleep_for(std::chrono::seconds(10));
    phase = kSweep;
    const auto sweep_start = SteadyClock::now();
    const double base_seconds = Seconds(sweep_start - base_start).count();
    engine::SweepOptions options;
    options.job_budget = absl::Microseconds(state.range(1));
    absl::StatusOr<engine::SweepSummary> swept = target.engine().SweepRetention(kSweeper, options);
    const double sweep_seconds = Seconds(SteadyClock::now() - sweep_start).count();
    phase = kDone;
    for (std::thread& reader : readers) reader.join();
    state.SetIterationTime(sweep_seconds);
    if (!swept.ok()) {
      state.SkipWithError(std::string(swept.status().message()).c_str());
      return;
    }
    if (std::string wrong = WrongSummary(*swept, Erasure::kDeidentify); !wrong.empty()) {
      state.SkipWithError(wrong.c_str());
      return;
    }
    if (failed) {
      state.SkipWithError("a read failed or was not allowed");
      return;
    }
    auto merge = [](std::vector<std::vector<int64_t>>& parts) {
      std::vector<int64_t> all;
      for (std::vector<int64_t>& part : parts) all.insert(all.end(), part.begin(), part.end());
      return all;
    };
    std::vector<int64_t> base_ns = merge(base), sweep_ns = merge(during);
    const double base_p99 = PercentileMicros(base_ns, 0.99);
    const double sweep_p99 = PercentileMicros(sweep_ns, 0.99);
    state.counters["base_p50_us"] = PercentileMicros(base_ns, 0.50);
    state.counters["base_p99_us"] = base_p99;
    state.counters["base_reads_per_s"] = static_cast<double>(base_ns.size()) / base_seconds;
    state.counters["sweep_p50_us"] = PercentileMicros(sweep_ns, 0.50);
    state.counters["sweep_p99_us"] = sweep_p99;
    state.counters["sweep_max_us"] = sweep_ns.empty() ? 0 : sweep_ns.back() / 1e3;
    state.counters["sweep_reads_per_s"] = static_cast<double>(sweep_ns.size()) / sweep_seconds;
    state.counters["p99_ratio"] = base_p99 > 0 ? sweep_p99 / base_p99 : 0;
    state.counters["records_per_s"] =
        static_cast<double>(swept->erased + swept->deidentified) / sweep_seconds;
  }
}
BENCHMARK(BM_ReadsDuringSweep)
    ->ArgNames({"reads_per_s", "budget_us"})
    ->Args({5000, 2000})
    ->Args({5000, 500})
    ->Args({5000, 50000})
    ->Args({10000, 2000})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

}  // namespace
}  // namespace mamori::bench

BENCHMARK_MAIN();
