// Metrics: what /metrics reports, in the Prometheus text format — requests
// by route and status, their latency as histograms, decisions by outcome
// and reason, and the ledger's size.
//
//   metrics.ObserveRequest("POST /v1/read", 200, absl::Microseconds(420));
//   metrics.ObserveDecision("deny", "training_missing");
//   std::string text = metrics.Render(ledger_size);
//
// Thread-safety: thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "absl/time/time.h"

namespace mamori::server {

class Metrics {
 public:
  void ObserveRequest(std::string_view route, int status, absl::Duration latency);
  void ObserveDecision(std::string_view outcome, std::string_view reason_code);
  // The Prometheus text exposition (version 0.0.4).
  std::string Render(uint64_t ledger_entries, int64_t in_flight) const;

 private:
  // Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 12> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   0.25,   1.0};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};  // non-cumulative
    uint64_t count = 0;
    double sum = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::pair<std::string, std::string>, uint64_t> decisions_;
};

}  // namespace mamori::server
