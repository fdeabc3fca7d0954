// Audited reads end to end, in process: Engine::Read of one category of one
// subject by a call-center agent for customer care — the decision, the
// decryption and the ledger entry made durable by the writer thread's group
// commit — from many concurrent callers.
//
//   build/bench/audited_read_benchmark --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
//
// Target (issue "Decisions and the verifiable ledger"): >= 50k reads/s with
// 64 concurrent callers sharing group commits (BM_AuditedRead/threads:64,
// items_per_second over all threads). The runs with 1 and 8 callers show
// what the sharing buys. BM_AuditedReadCoroutines has the 64 callers as the
// server has its connections: coroutines on one or two threads awaiting
// Engine::ReadAsync. Counters: cpu_us_per_read, the whole process's CPU
// time per read; writer_us_per_read, the busiest thread's (the engine's
// writer, which runs every read's work). docs/performance.md has the
// figures.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/bench_data_dir.h"
#include "common/clock.h"
#include "common/random.h"
#include "engine/engine.h"

namespace mamori::bench {
namespace {

constexpr int kSubjects = 4000;
constexpr char kAgent[] = "emp:agent-0001";
constexpr char kAdmin[] = "admin:bench";

void Check(const absl::Status& status, std::string_view what) {
  if (!status.ok()) {
    throw std::runtime_error(fmt::format("{}: {}", what, std::string(status.message())));
  }
}

// A data directory from examples/telecom-operator.toml with kSubjects mobile
// customers (name, phone number, e-mail address, contract number and postal
// address, as an import would bring), an agent with the call-center-agent
// role (customer care may read pd:Name) and current privacy-annual training,
// and the engine running on it. Everything is added through the engine, so
// the ledger holds its entries.
struct AuditedReads {
  AuditedReads() {
    common::Clock& clock = common::SystemClock::Instance();
    engine = engine::Engine::Start(data.dir(), clock, common::SodiumRandom::Instance()).value();
    Check(engine->AddActor(kAdmin, kAgent, {"call-center-agent"}).status(), "add actor");
    Check(engine->RecordTraining(kAdmin, kAgent, "privacy-annual", clock.Now() - absl::Hours(24))
              .status(),
          "record training");
    // Added from several threads, so they share commits.
    subjects.resize(kSubjects);
    constexpr int kAdders = 16;
    std::vector<std::thread> adders;
    for (int t = 0; t < kAdders; ++t) {
      adders.emplace_back([this, t] {
        for (int c = t; c < kSubjects; c += kAdders) {
          const std::string phone = fmt::format("090-{:04d}-{:04d}", c / 10000, c % 10000);
          const std::string contract = fmt::format("MT-{:08d}", c);
          auto id = engine->AddSubject(
              kAdmin, {.phone = phone, .contract = contract},
              {{.category = "pd:Name", .service = "mobile", .value = fmt::format("顧客 {}号", c)},
               {.category = "pd:TelephoneNumber", .service = "mobile", .value = phone},
               {.category = "pd:EmailAddress",
                .service = "mobile",
                .value = fmt::format("customer{}@example.jp", c)},
               {.category = "mamori:ContractNumber", .service = "mobile", .value = contract},
               {.category = "pd:PhysicalAddress",
                .service = "mobile",
                .value = fmt::format("東京都千代田区丸の内{}-1-1", c % 9 + 1)}});
          Check(id.status(), "add subject");
          subjects[static_cast<size_t>(c)] = *std::move(id);
        }
      });
    }
    for (std::thread& t : adders) t.join();
  }

  BenchDataDir data;
  std::unique_ptr<engine::Engine> engine;  // stopped before `data` closes
  std::vector<std::string> subjects;
};

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU ticks (user + system) of each thread of this process, by thread id.
std::map<std::string, long> ThreadTicks() {
  std::map<std::string, long> ticks;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    // A thread can end between the listing and the read (ESRCH), which
    // std::ifstream would throw for; such a thread is simply skipped.
    std::string stat(1024, '\0');
    const int fd = open((task.path() / "stat").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    const ssize_t got = read(fd, stat.data(), stat.size());
    close(fd);
    if (got <= 0) continue;
    stat.resize(static_cast<size_t>(got));
    if (stat.rfind(')') == std::string::npos || stat.rfind(')') + 2 > stat.size()) continue;
    // Fields after the command name in parentheses: state is field 3,
    // utime and stime fields 14 and 15.
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::stol(field);
      if (i == 15) stime = std::stol(field);
    }
    ticks[task.path().filename().string()] = utime + stime;
  }
  return ticks;
}

// The CPU seconds of the busiest thread between two ThreadTicks(): under
// load, the engine's writer thread.
double BusiestThreadSeconds(const std::map<std::string, long>& before,
                            const std::map<std::string, long>& after) {
  long most = 0;
  for (const auto& [tid, ticks] : after) {
    auto it = before.find(tid);
    most = std::max(most, ticks - (it == before.end() ? 0 : it->second));
  }
  return static_cast<double>(most) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// What every caller reads: pd:Name of `subject`, by the agent, for customer
// care.
engine::UseRequest NameRead(std::string subject) {
  engine::UseRequest request;
  request.actor = kAgent;
  request.purpose = "dpv:CustomerCare";
  request.categories = {"pd:Name"};
  request.subject = std::move(subject);
  return request;
}

AuditedReads& Reads() {
  static AuditedReads reads;
  return reads;
}

// Each caller reads pd:Name of random subjects, one Engine::Read at a time;
// every read waits for the commit of its ledger entry.
void BM_AuditedRead(benchmark::State& state) {
  AuditedReads& reads = Reads();
  std::mt19937_64 random(static_cast<uint64_t>(state.thread_index()) + 1);
  std::uniform_int_distribution<size_t> pick(0, reads.subjects.size() - 1);
  // The process's CPU time over the run (callers and writer thread), from
  // the first caller's view.
  const double cpu_before = state.thread_index() == 0 ? ProcessCpuSeconds() : 0;
  const std::map<std::string, long> ticks_before =
      state.thread_index() == 0 ? ThreadTicks() : std::map<std::string, long>{};
  engine::UseRequest request = NameRead("");
  for (auto _ : state) {
    request.subject = reads.subjects[pick(random)];
    absl::StatusOr<engine::UseResult> result = reads.engine->Read(request);
    if (!result.ok()) {
      state.SkipWithError(std::string(result.status().message()).c_str());
      break;
    }
    if (result->decision.outcome != policy::Outcome::kAllow || result->values.size() != 1) {
      state.SkipWithError(
          fmt::format("the read was not allowed: {}", result->decision.reason_code).c_str());
      break;
    }
    benchmark::DoNotOptimize(result->values);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    // Every caller ran as many iterations.
    const double total = static_cast<double>(state.iterations()) * state.threads();
    state.counters["cpu_us_per_read"] = (ProcessCpuSeconds() - cpu_before) * 1e6 / total;
    state.counters["writer_us_per_read"] =
        BusiestThreadSeconds(ticks_before, ThreadTicks()) * 1e6 / total;
  }
}
BENCHMARK(BM_AuditedRead)->Threads(1)->Threads(8)->Threads(64)->UseRealTime();

namespace asio = boost::asio;

// Engine::ReadAsync as the server awaits it (server/api.cc, AwaitCallback):
// the engine reports on its sync thread, and the result is posted back to
// the awaiting coroutine's executor.
asio::awaitable<absl::StatusOr<engine::UseResult>> AwaitRead(engine::Engine& engine,
                                                             engine::UseRequest request) {
  auto executor = co_await asio::this_coro::executor;
  auto initiation = [&engine, executor, request = std::move(request)](auto handler) mutable {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    // The guard keeps io_context::run() going while the read is in the engine.
    engine.ReadAsync(std::move(request), [executor, shared, work = asio::make_work_guard(executor)](
                                             absl::StatusOr<engine::UseResult> result) mutable {
      asio::post(executor,
                 [shared, result = std::move(result)]() mutable { (*shared)(std::move(result)); });
    });
  };
  // Named, not a temporary of the co_await expression (GCC bug 100611).
  auto pending =
      asio::async_initiate<decltype(asio::use_awaitable), void(absl::StatusOr<engine::UseResult>)>(
          std::move(initiation), asio::use_awaitable);
  co_return co_await std::move(pending);
}

// One caller: `count` reads of random subjects, one after another.
asio::awaitable<void> CallerReads(AuditedReads& reads, uint64_t seed, int count,
                                  std::atomic<int>& failures) {
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<size_t> pick(0, reads.subjects.size() - 1);
  for (int i = 0; i < count; ++i) {
    auto pending = AwaitRead(*reads.engine, NameRead(reads.subjects[pick(random)]));
    absl::StatusOr<engine::UseResult> result = co_await std::move(pending);
    if (!result.ok() || result->decision.outcome != policy::Outcome::kAllow ||
        result->values.size() != 1) {
      failures.fetch_add(1);
      co_return;
    }
    benchmark::DoNotOptimize(result->values);
  }
}

// The callers as the server has them: range(0) coroutines on one
// io_context run by range(1) threads (the server runs one I/O thread per
// core), each awaiting Engine::ReadAsync. One iteration is kReadsPerCaller
// reads by every caller; the ramp at either end of it (fewer than all
// callers in flight) is under 1 % of the reads.
void BM_AuditedReadCoroutines(benchmark::State& state) {
  constexpr int kReadsPerCaller = 200;
  AuditedReads& reads = Reads();
  const int callers = static_cast<int>(state.range(0));
  const int io_threads = static_cast<int>(state.range(1));
  const double cpu_before = ProcessCpuSeconds();
  const std::map<std::string, long> ticks_before = ThreadTicks();
  std::atomic<int> failures = 0;
  uint64_t seed = 1;
  for (auto _ : state) {
    asio::io_context io(io_threads);
    for (int c = 0; c < callers; ++c) {
      asio::co_spawn(io, CallerReads(reads, seed++, kReadsPerCaller, failures), asio::detached);
    }
    std::vector<std::thread> threads;
    for (int t = 1; t < io_threads; ++t) threads.emplace_back([&io] { io.run(); });
    io.run();
    for (std::thread& t : threads) t.join();
    if (failures.load() != 0) {
      state.SkipWithError("a read failed or was not allowed");
      break;
    }
  }
  const double total = static_cast<double>(state.iterations()) * callers * kReadsPerCaller;
  state.SetItemsProcessed(static_cast<int64_t>(total));
  state.counters["cpu_us_per_read"] = (ProcessCpuSeconds() - cpu_before) * 1e6 / total;
  state.counters["writer_us_per_read"] =
      BusiestThreadSeconds(ticks_before, ThreadTicks()) * 1e6 / total;
}
BENCHMARK(BM_AuditedReadCoroutines)
    ->ArgNames({"callers", "io_threads"})
    ->Args({64, 2})
    ->Args({64, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mamori::bench

BENCHMARK_MAIN();
