// The inline SVG charts of the audit report (report.h): drawn as text into
// a notice::HtmlWriter, every label escaped, fixed colors only (no script,
// no external resource). Each chart is an <svg role="img"> with a <title>;
// each bar or mark has its own <title> with its exact values. Without data
// a chart still renders, saying `none`. Used by this folder only.
//
// Thread-safety: pure functions over the writer they are given.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "audit/report.h"
#include "notice/html_writer.h"

namespace mamori::audit::internal {

struct ChartLabels {
  std::string_view none;
  std::string_view allowed;
  std::string_view denied;
  std::string_view now;
  std::string_view overdue;
  std::string_view pending;
  std::string_view submitted;
};

// Stacked bars per day: allowed below, denied above.
void DecisionsChart(notice::HtmlWriter& out, std::string_view title,
                    const std::vector<DayDecisions>& days, const ChartLabels& labels);

// One row per incident report: its due time on a time axis from the
// earliest to the latest of the due times and `now`, with a line at `now`;
// overdue reports in red, submitted ones in grey.
void DeadlinesChart(notice::HtmlWriter& out, std::string_view title,
                    const std::vector<IncidentSummary>& incidents, absl::Time now,
                    const ChartLabels& labels);

// Horizontal bars, one per (label, count), in the order given.
void RoleChart(notice::HtmlWriter& out, std::string_view title,
               const std::vector<std::pair<std::string, int64_t>>& rows, const ChartLabels& labels);

}  // namespace mamori::audit::internal
