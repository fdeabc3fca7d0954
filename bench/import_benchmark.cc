// Bulk import into the embedded SQLite store: JSONL lines of customers with
// their records, parsed, normalized, blind-indexed, encrypted and written in
// one transaction, as `mamori import` does.
//
//   build/bench/import_benchmark --benchmark_min_time=1
//
// Target (issue "Foundation"): >= 100k records/s. docs/performance.md has
// the figures.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <sstream>
#include <string>

#include "bench/bench_data_dir.h"

namespace mamori::bench {
namespace {

// `customers` lines, each a mobile customer with identifiers, five profile
// records and `cdrs` call detail records (the bulk of a telecom's data).
std::string MakeJsonl(int customers, int cdrs) {
  std::string out;
  for (int c = 0; c < customers; ++c) {
    out += fmt::format(
        R"({{"phone":"090-{:04d}-{:04d}","contract":"MT-{:08d}","records":[)"
        R"({{"category":"pd:Name","service":"mobile","value":"顧客 {}号"}},)"
        R"({{"category":"pd:TelephoneNumber","service":"mobile","value":"090-{:04d}-{:04d}"}},)"
        R"({{"category":"pd:EmailAddress","service":"mobile","value":"customer{}@example.jp"}},)"
        R"({{"category":"mamori:ContractNumber","service":"mobile","value":"MT-{:08d}"}},)"
        R"({{"category":"pd:PhysicalAddress","service":"mobile","value":"東京都千代田区丸の内{}-1-1"}})",
        c / 10000, c % 10000, c, c, c / 10000, c % 10000, c, c, c % 9 + 1);
    for (int k = 0; k < cdrs; ++k) {
      out += fmt::format(
          R"(,{{"category":"pd:CallLog","service":"mobile","value":"2026-11-{:02d}T10:{:02d}:00+09:00 to +8131234{:04d} {}s","collected_at":"2026-11-{:02d}T10:30:00+09:00"}})",
          k % 27 + 1, k % 60, (c + k) % 10000, 30 + k, k % 27 + 1);
    }
    out += "]}\n";
  }
  return out;
}

void BM_Import(benchmark::State& state) {
  const int customers = static_cast<int>(state.range(0));
  const int cdrs = static_cast<int>(state.range(1));
  std::string jsonl = MakeJsonl(customers, cdrs);
  int64_t records = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto data = std::make_unique<BenchDataDir>();
    std::istringstream in(jsonl);
    state.ResumeTiming();
    auto summary = data->vault().Import(in, nullptr);
    if (!summary.ok()) {
      state.SkipWithError(std::string(summary.status().message()).c_str());
      break;
    }
    records += summary->records;
    state.PauseTiming();
    data.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(records);
  state.counters["records"] =
      benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
}
// 2,000 customers with 45 call records each (100k records), and a
// profile-only load (5 records a customer, all identifiers indexed).
BENCHMARK(BM_Import)
    ->Args({2000, 45})
    ->Args({20000, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace mamori::bench

BENCHMARK_MAIN();
