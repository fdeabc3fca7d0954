// A customer's disclosure request (docs/requests.md, "In the engine") over a
// large data directory:
//
//   build/bench/request_benchmark                       # 10M records
//   MAMORI_BENCH_RECORDS=1000000 build/bench/request_benchmark
//
// Target (issue "Customer requests"): a disclosure of one subject with 1,000
// records among 10M records completes in <= 50 ms. docs/performance.md has
// the figures.
//
// The data set: MAMORI_BENCH_RECORDS (default 10,000,000) background records
// of N / 100 mobile customers (identifiers phone, contract and birth date;
// records: name, phone number, contract number and 97 call records spread
// over January to October 2026), plus the subject disclosed: one mobile
// customer with phone, contract and birth date (the example policy's
// `[requests] verification`) and 1,000 records of the categories mobile
// collects (10 profile records, 600 call records, 200 connection logs, 150
// locations, 40 inquiries). Everything is imported through Vault::Import,
// as `mamori import` does, one line per background customer with all of its
// records; the subject's records after its first 10 come one at a time
// between the background customers (lines with `subject`), so that they are
// spread over the whole records table as a customer's records gathered over
// months would be, not packed in a few pages. An actor `emp:officer` with
// the role privacy-officer (permission `requests`) and current training
// (privacy-annual, secrecy-annual, my-number) is added through the engine.
// Built once (1M: ~1 min; 10M: ~10x on the shared 2-core VM) and kept under
// build*/bench/bench-data/request-v1-<records>/ (or $MAMORI_BENCH_DATA).
// Each run adds its requests, their ledger entries and their sealed result
// documents to that data directory (a few MB per run); delete the folder
// after changing the store's format or this data set.
//
// The submission limit (5 requests per identifier, one more every 12
// minutes; kept in the engine's memory) is met by restarting the engine
// after every 5 submissions, outside the timed part.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "engine/engine.h"
#include "vault/data_directory.h"

namespace mamori::bench {
namespace {

namespace fs = std::filesystem;
using Seconds = std::chrono::duration<double>;
using SteadyClock = std::chrono::steady_clock;

constexpr char kAdmin[] = "admin:bench";
constexpr char kOfficer[] = "emp:officer";
constexpr int kRecordsPerCustomer = 100;  // 3 profile records and 97 calls
constexpr int kSubjectRecords = 1000;
constexpr int kSubjectProfileRecords = 10;
constexpr int kSubmissionsPerEngine = 5;  // the engine's submission limit
// The subject disclosed: its identifiers match no background customer
// (their phone numbers begin 090, their birth dates are 1950-2004).
constexpr char kPhone[] = "080-9999-0001";
constexpr char kContract[] = "MT-90000001";
constexpr char kBirthDate[] = "1938-07-15";

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

int64_t RecordsWanted() {
  const char* text = std::getenv("MAMORI_BENCH_RECORDS");
  if (text == nullptr || *text == '\0') return 10'000'000;
  const int64_t records = std::strtoll(text, nullptr, 10);
  if (records < 100'000) throw std::runtime_error("MAMORI_BENCH_RECORDS: at least 100000");
  return records;
}

fs::path CacheRoot() {
  if (const char* dir = std::getenv("MAMORI_BENCH_DATA"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return MAMORI_BENCH_DATA_DIR;
}

void Import(vault::DataDirectory& dir, const std::string& jsonl) {
  std::istringstream in(jsonl);
  Value(dir.vault().Import(in, nullptr), "import");
}

// Background customer `c`: identifiers and 100 records, one JSONL line.
std::string CustomerLine(int c) {
  std::string line = fmt::format(
      R"({{"phone":"090-{:04d}-{:04d}","contract":"MT-{:08d}","birth_date":"{}-{:02d}-{:02d}",)"
      R"("records":[)"
      R"({{"category":"pd:Name","service":"mobile","value":"顧客 {}号","collected_at":"2025-04-01"}},)"
      R"({{"category":"pd:TelephoneNumber","service":"mobile","value":"090-{:04d}-{:04d}","collected_at":"2025-04-01"}},)"
      R"({{"category":"mamori:ContractNumber","service":"mobile","value":"MT-{:08d}","collected_at":"2025-04-01"}})",
      c / 10000, c % 10000, c, 1950 + c % 55, 1 + (c / 55) % 12, 1 + (c / 660) % 28, c, c / 10000,
      c % 10000, c);
  for (int k = 0; k < kRecordsPerCustomer - 3; ++k) {
    const int month = 1 + k % 10;
    const int day = 1 + k / 10;
    const int hour = 8 + (c + k) % 12;
    const int minute = (c * 7 + k) % 60;
    line += fmt::format(
        R"(,{{"category":"pd:CallLog","service":"mobile",)"
        R"("value":"2026-{:02d}-{:02d}T{:02d}:{:02d}:00+09:00 to +8131234{:04d} duration {}s",)"
        R"("collected_at":"2026-{:02d}-{:02d}T{:02d}:{:02d}:00+09:00"}})",
        month, day, hour, minute, (c * 13 + k) % 10000, 30 + (c + k) % 600, month, day, hour,
        minute);
  }
  line += "]}";
  return line;
}

// The subject's record `i` (10 profile records, then calls, connection
// logs, locations and inquiries over January to October 2026), as a JSON
// object.
std::string SubjectRecord(int i) {
  static const char* const kProfile[][2] = {
      {"pd:Name", "山本 さくら"},
      {"pd:PhysicalAddress", "東京都千代田区丸の内九丁目1番1号"},
      {"pd:TelephoneNumber", kPhone},
      {"pd:EmailAddress", "sakura.yamamoto@example.jp"},
      {"pd:BirthDate", kBirthDate},
      {"mamori:ContractNumber", kContract},
      {"mamori:DeviceIMEI", "356938035643809"},
      {"mamori:IdentityVerificationRecord", "運転免許証 第123456789012号"},
      {"pd:PaymentCardNumber", "4111-1111-1111-1111"},
      {"pd:BankAccount", "みらい銀行 本店 普通 1234567"},
  };
  if (i < kSubjectProfileRecords) {
    return fmt::format(
        R"({{"category":"{}","service":"mobile","value":"{}","collected_at":"2025-04-01"}})",
        kProfile[i][0], kProfile[i][1]);
  }
  const int k = i - kSubjectProfileRecords;  // 0..989
  const int month = 1 + k % 10;
  const int day = 1 + (k / 10) % 28;
  const int hour = (k * 7) % 24;
  const int minute = (k * 11) % 60;
  const std::string at =
      fmt::format("2026-{:02d}-{:02d}T{:02d}:{:02d}:00+09:00", month, day, hour, minute);
  std::string category;
  std::string value;
  if (k < 600) {
    category = "pd:CallLog";
    value = fmt::format("{} to +8131234{:04d} duration {}s", at, k * 17 % 10000, 20 + k % 900);
  } else if (k < 800) {
    category = "mamori:ConnectionLog";
    value = fmt::format("{} session {}m IPv4 203.0.113.{} {} MB", at, 5 + k % 300, k % 256,
                        k * 3 % 2000);
  } else if (k < 950) {
    category = "pd:Location";
    value = fmt::format("{} base station TKY-{:05d} (35.{:04d}, 139.{:04d})", at, k * 31 % 100000,
                        k * 7 % 10000, k * 13 % 10000);
  } else {
    category = "mamori:InquiryHistory";
    value = fmt::format("{} 料金プランの変更についてのお問い合わせ（受付番号 {:06d}）", at, k);
  }
  return fmt::format(
      R"({{"category":"{}","service":"mobile","value":"{}","collected_at":"{}"}})", category,
      value, at);
}

// Builds the data set in `root` (data/, data.master.key, subject.txt).
void BuildDataSet(const fs::path& root, int64_t records) {
  common::Clock& clock = common::SystemClock::Instance();
  common::RandomSource& random = common::SodiumRandom::Instance();
  fs::create_directories(root);
  const std::string data = (root / "data").string();
  const std::string key = (root / "data.master.key").string();
  Check(vault::InitDataDirectory(
            {data, std::string(MAMORI_SOURCE_DIR) + "/examples/telecom-operator.toml", key, kAdmin},
            clock, random)
            .status(),
        "init");
  auto dir = Value(
      vault::DataDirectory::Open(data, key, vault::DataDirectory::Access::kWrite, clock, random),
      "open");
  const auto start = SteadyClock::now();
  const int customers = static_cast<int>(records / kRecordsPerCustomer);
  auto log = [&](std::string_view what) {
    std::fprintf(stderr, "request data set (%d customers): %s, %.0f s\n", customers,
                 std::string(what).c_str(), Seconds(SteadyClock::now() - start).count());
  };
  // The subject, with its identifiers and profile records.
  {
    std::string line = fmt::format(R"({{"phone":"{}","contract":"{}","birth_date":"{}","records":[)",
                                   kPhone, kContract, kBirthDate);
    for (int i = 0; i < kSubjectProfileRecords; ++i) {
      if (i > 0) line += ',';
      line += SubjectRecord(i);
    }
    line += "]}\n";
    Import(*dir, line);
  }
  std::vector<std::string> found =
      Value(dir->vault().FindSubjects(policy::IdentifierKind::kContract, kContract), "find");
  if (found.size() != 1) throw std::runtime_error("the subject: not found after import");
  const std::string subject = found.front();
  // The background customers, with the subject's other records in between.
  const int spread = kSubjectRecords - kSubjectProfileRecords;
  const int every = std::max(1, customers / spread);
  int next_record = kSubjectProfileRecords;
  std::string jsonl;
  int64_t imported = 0;
  for (int c = 0; c < customers; ++c) {
    jsonl += CustomerLine(c);
    jsonl += '\n';
    if (c % every == every - 1 && next_record < kSubjectRecords) {
      jsonl += fmt::format(R"({{"subject":"{}","records":[{}]}})", subject,
                           SubjectRecord(next_record++));
      jsonl += '\n';
    }
    if (c + 1 == customers) {
      // The subject's records left over (when customers < 990 * every).
      while (next_record < kSubjectRecords) {
        jsonl += fmt::format(R"({{"subject":"{}","records":[{}]}})", subject,
                             SubjectRecord(next_record++));
        jsonl += '\n';
      }
    }
    if (jsonl.size() > (64 << 20) || c + 1 == customers) {
      Import(*dir, jsonl);
      jsonl.clear();
      imported = int64_t{c + 1} * kRecordsPerCustomer;
      log(fmt::format("{} background records imported", imported));
    }
  }
  // The privacy officer, through the engine so that the ledger holds it.
  {
    auto engine = Value(engine::Engine::Start(*dir, clock, random), "start engine");
    Check(engine->AddActor(kAdmin, kOfficer, {"privacy-officer"}).status(), "add actor");
    for (const char* course : {"privacy-annual", "secrecy-annual", "my-number"}) {
      Check(engine->RecordTraining(kAdmin, kOfficer, course, clock.Now() - absl::Hours(24))
                .status(),
            "record training");
    }
    Check(engine->Stop(), "stop engine");
  }
  std::ofstream(root / "subject.txt") << subject << '\n';
  log("built");
}

// The built data set of this size, from the cache or built there first.
fs::path DataSet() {
  const fs::path root = CacheRoot() / fmt::format("request-v1-{}", RecordsWanted());
  if (fs::exists(root / "complete")) return root;
  const fs::path partial = root.string() + ".partial";
  fs::remove_all(partial);
  BuildDataSet(partial, RecordsWanted());
  std::ofstream(partial / "complete") << "built\n";
  fs::remove_all(root);
  fs::rename(partial, root);
  return root;
}

std::vector<requests::GivenIdentifier> Identifiers() {
  return {{policy::IdentifierKind::kContract, kContract},
          {policy::IdentifierKind::kPhone, kPhone},
          {policy::IdentifierKind::kBirthDate, kBirthDate}};
}

// The data set opened with an engine on it, shared by the benchmarks of
// one run. The engine is restarted (untimed) after every 5 submissions.
class Target {
 public:
  static Target& Get() {
    static Target* target = new Target;
    return *target;
  }

  // An engine that accepts one more submission.
  engine::Engine& EngineForSubmission() {
    if (submitted_ == kSubmissionsPerEngine) {
      Check(engine_->Stop(), "stop engine");
      engine_ = Value(engine::Engine::Start(*dir_, clock(), random()), "restart engine");
      submitted_ = 0;
    }
    ++submitted_;
    return *engine_;
  }
  engine::Engine& engine() { return *engine_; }
  const std::string& subject() const { return subject_; }

  // A disclosure request submitted and verified, ready to approve.
  std::string Verified() {
    engine::RequestSpec spec;
    spec.kind = "disclosure";
    spec.identifiers = Identifiers();
    spec.details = "benchmark";
    engine::RequestReceipt receipt =
        Value(EngineForSubmission().SubmitRequest(spec), "submit request");
    engine::RequestView view = Value(engine_->VerifyRequest(kOfficer, receipt.id), "verify");
    CheckVerified(view);
    return receipt.id;
  }

  void CheckVerified(const engine::RequestView& view) const {
    if (view.state.verification != requests::VerificationState::kVerified ||
        view.state.subject_id != subject_) {
      throw std::runtime_error(
          fmt::format("request {} not verified as the subject ({})", view.state.id,
                      view.options.verification_reason));
    }
  }

  // Checks a completed disclosure: 1,000 records with their values.
  void CheckDisclosed(const engine::RequestView& view) const {
    if (view.state.status != requests::RequestStatus::kCompleted || !view.result ||
        !view.result->contains("records") ||
        (*view.result)["records"].size() != static_cast<size_t>(kSubjectRecords)) {
      throw std::runtime_error(fmt::format(
          "request {}: not completed with {} records (status {}, error {})", view.state.id,
          kSubjectRecords, requests::RequestStatusName(view.state.status),
          view.state.error.value_or("")));
    }
  }

 private:
  Target() {
    const fs::path root = DataSet();
    std::ifstream(root / "subject.txt") >> subject_;
    dir_ = Value(vault::DataDirectory::Open((root / "data").string(),
                                            (root / "data.master.key").string(),
                                            vault::DataDirectory::Access::kWrite, clock(),
                                            random()),
                 "open");
    engine_ = Value(engine::Engine::Start(*dir_, clock(), random()), "start engine");
  }
  static common::Clock& clock() { return common::SystemClock::Instance(); }
  static common::RandomSource& random() { return common::SodiumRandom::Instance(); }

  std::string subject_;
  std::unique_ptr<vault::DataDirectory> dir_;
  std::unique_ptr<engine::Engine> engine_;
  int submitted_ = 0;
};

double Ms(SteadyClock::duration d) { return Seconds(d).count() * 1e3; }

// The whole disclosure as the staff and the customer drive it: submitted
// (POST /v1/public/requests), verified (identifiers looked up in the blind
// indexes), approved and executed (the 1,000 records listed and decrypted,
// consents, provision records and stop orders listed, the result document
// built and sealed, the ledger entries appended and made durable). Only the
// three calls are timed (manual time); counters: each step's mean in ms.
void BM_Disclosure(benchmark::State& state) {
  Target& t = Target::Get();
  double submit = 0, verify = 0, approve = 0;
  for (auto _ : state) {
    engine::Engine& engine = t.EngineForSubmission();  // a restart is not timed
    engine::RequestSpec spec;
    spec.kind = "disclosure";
    spec.identifiers = Identifiers();
    spec.details = "benchmark";
    const auto t0 = SteadyClock::now();
    engine::RequestReceipt receipt = Value(engine.SubmitRequest(std::move(spec)), "submit");
    const auto t1 = SteadyClock::now();
    engine::RequestView verified = Value(engine.VerifyRequest(kOfficer, receipt.id), "verify");
    const auto t2 = SteadyClock::now();
    engine::RequestView done = Value(engine.ApproveRequest(kOfficer, receipt.id), "approve");
    const auto t3 = SteadyClock::now();
    state.SetIterationTime(Seconds(t3 - t0).count());
    t.CheckVerified(verified);
    t.CheckDisclosed(done);
    submit += Ms(t1 - t0);
    verify += Ms(t2 - t1);
    approve += Ms(t3 - t2);
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["submit_ms"] = submit / n;
  state.counters["verify_ms"] = verify / n;
  state.counters["approve_ms"] = approve / n;
  state.counters["records"] = kSubjectRecords;
}
BENCHMARK(BM_Disclosure)->Iterations(10)->UseManualTime()->Unit(benchmark::kMillisecond);

// The execution alone: Engine::ApproveRequest of a request submitted and
// verified beforehand (untimed). Counters: the fastest and slowest
// iteration in ms, the size of the result document (JSON) in KiB.
void BM_DisclosureApprove(benchmark::State& state) {
  Target& t = Target::Get();
  double fastest = 1e300, slowest = 0, result_bytes = 0;
  for (auto _ : state) {
    const std::string id = t.Verified();  // not timed
    const auto start = SteadyClock::now();
    engine::RequestView done = Value(t.engine().ApproveRequest(kOfficer, id), "approve");
    const double ms = Ms(SteadyClock::now() - start);
    state.SetIterationTime(ms / 1e3);
    t.CheckDisclosed(done);
    result_bytes = static_cast<double>(done.result->dump().size());
    fastest = std::min(fastest, ms);
    slowest = std::max(slowest, ms);
  }
  state.counters["fastest_ms"] = fastest;
  state.counters["slowest_ms"] = slowest;
  state.counters["result_kb"] = result_bytes / 1024;
  state.counters["records"] = kSubjectRecords;
}
BENCHMARK(BM_DisclosureApprove)->Iterations(20)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mamori::bench

BENCHMARK_MAIN();
