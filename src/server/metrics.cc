#include "server/metrics.h"

#include <fmt/format.h>

namespace mamori::server {

void Metrics::ObserveRequest(std::string_view route, int status, absl::Duration latency) {
  const double seconds = absl::ToDoubleSeconds(latency);
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{std::string(route), status}];
  Histogram& h = latency_[std::string(route)];
  ++h.count;
  h.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.counts[i];
      break;
    }
  }
}

void Metrics::ObserveDecision(std::string_view outcome, std::string_view reason_code) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++decisions_[{std::string(outcome), std::string(reason_code)}];
}

std::string Metrics::Render(uint64_t ledger_entries, int64_t in_flight) const {
  // Label values are routes and reason codes chosen by mamori, never input,
  // so they need no escaping beyond what they are.
  std::string out;
  std::lock_guard<std::mutex> lock(mutex_);
  out += "# HELP mamori_http_requests_total HTTP requests by route and status.\n";
  out += "# TYPE mamori_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out += fmt::format("mamori_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", key.first,
                       key.second, count);
  }
  out += "# HELP mamori_http_request_duration_seconds Time from request read to response.\n";
  out += "# TYPE mamori_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.counts[i];
      out +=
          fmt::format("mamori_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                      route, kBuckets[i], cumulative);
    }
    out +=
        fmt::format("mamori_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
                    route, h.count);
    out +=
        fmt::format("mamori_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route, h.sum);
    out += fmt::format("mamori_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route,
                       h.count);
  }
  out += "# HELP mamori_decisions_total Decisions by outcome and reason code.\n";
  out += "# TYPE mamori_decisions_total counter\n";
  for (const auto& [key, count] : decisions_) {
    out += fmt::format("mamori_decisions_total{{outcome=\"{}\",reason=\"{}\"}} {}\n", key.first,
                       key.second, count);
  }
  out += "# HELP mamori_ledger_entries Entries in the ledger.\n";
  out += "# TYPE mamori_ledger_entries gauge\n";
  out += fmt::format("mamori_ledger_entries {}\n", ledger_entries);
  out += "# HELP mamori_http_requests_in_flight Requests being handled.\n";
  out += "# TYPE mamori_http_requests_in_flight gauge\n";
  out += fmt::format("mamori_http_requests_in_flight {}\n", in_flight);
  return out;
}

}  // namespace mamori::server
