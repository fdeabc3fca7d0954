#include "audit/internal/charts.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "audit/supervision.h"

namespace mamori::audit::internal {
namespace {

constexpr std::string_view kAllowedColor = "#2b5797";
constexpr std::string_view kDeniedColor = "#b3261e";
constexpr std::string_view kPendingColor = "#2b5797";
constexpr std::string_view kSubmittedColor = "#767676";
constexpr std::string_view kAxisColor = "#555";
constexpr int kWidth = 720;

std::string Num(double v) { return absl::StrFormat("%.1f", v); }

void OpenSvg(notice::HtmlWriter& out, std::string_view title, int height) {
  out.Raw(absl::StrFormat(
      "<figure>\n<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 %d %d\" "
      "width=\"100%%\" preserveAspectRatio=\"xMinYMin meet\" font-size=\"12\" "
      "font-family=\"system-ui,sans-serif\">\n",
      kWidth, height));
  out.Element("title", title);
}

void CloseSvg(notice::HtmlWriter& out) { out.Raw("</svg>\n</figure>\n"); }

// A text at (x, y); `anchor` is start, middle or end.
void Label(notice::HtmlWriter& out, double x, double y, std::string_view anchor,
           std::string_view text, std::string_view fill = "#111") {
  out.Raw(absl::StrFormat("<text x=\"%s\" y=\"%s\" text-anchor=\"%s\" fill=\"%s\">", Num(x), Num(y),
                          std::string(anchor), std::string(fill)));
  out.Text(text);
  out.Raw("</text>\n");
}

void Rect(notice::HtmlWriter& out, double x, double y, double w, double h, std::string_view fill) {
  out.Raw(absl::StrFormat("<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"/>",
                          Num(x), Num(y), Num(w), Num(h), std::string(fill)));
}

void Line(notice::HtmlWriter& out, double x1, double y1, double x2, double y2,
          std::string_view stroke, bool dashed = false) {
  out.Raw(absl::StrFormat("<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\"%s/>\n",
                          Num(x1), Num(y1), Num(x2), Num(y2), std::string(stroke),
                          dashed ? " stroke-dasharray=\"4 3\"" : ""));
}

void LegendItem(notice::HtmlWriter& out, double x, double y, std::string_view color,
                std::string_view text) {
  Rect(out, x, y - 10, 12, 12, color);
  Label(out, x + 16, y, "start", text);
}

void NoneChart(notice::HtmlWriter& out, std::string_view title, std::string_view none) {
  OpenSvg(out, title, 40);
  Label(out, kWidth / 2.0, 24, "middle", none);
  CloseSvg(out);
}

std::string DayOfTime(absl::Time t) { return FormatDay(absl::ToCivilDay(t, absl::UTCTimeZone())); }

}  // namespace

void DecisionsChart(notice::HtmlWriter& out, std::string_view title,
                    const std::vector<DayDecisions>& days, const ChartLabels& labels) {
  if (days.empty()) {
    NoneChart(out, title, labels.none);
    return;
  }
  constexpr double kLeft = 56, kRight = 12, kTop = 28, kPlotHeight = 180;
  constexpr int kHeight = 240;
  const double plot_width = kWidth - kLeft - kRight;
  int64_t max_total = 1;
  for (const DayDecisions& d : days) max_total = std::max(max_total, d.allowed + d.denied);
  OpenSvg(out, title, kHeight);
  LegendItem(out, kLeft, 16, kAllowedColor, labels.allowed);
  LegendItem(out, kLeft + 140, 16, kDeniedColor, labels.denied);
  const double bottom = kTop + kPlotHeight;
  Line(out, kLeft, kTop, kLeft, bottom, kAxisColor);
  Line(out, kLeft, bottom, kWidth - kRight, bottom, kAxisColor);
  Label(out, kLeft - 6, kTop + 4, "end", absl::StrFormat("%d", max_total));
  Label(out, kLeft - 6, bottom + 4, "end", "0");
  const double slot = plot_width / static_cast<double>(days.size());
  const double bar = std::max(1.0, slot * 0.8);
  for (size_t i = 0; i < days.size(); ++i) {
    const DayDecisions& d = days[i];
    const double x = kLeft + slot * static_cast<double>(i) + (slot - bar) / 2;
    const double allowed_h = kPlotHeight * static_cast<double>(d.allowed) / max_total;
    const double denied_h = kPlotHeight * static_cast<double>(d.denied) / max_total;
    out.Raw("<g>");
    out.Element("title",
                absl::StrFormat("%s: %s %d, %s %d", FormatDay(d.day), std::string(labels.allowed),
                                d.allowed, std::string(labels.denied), d.denied));
    Rect(out, x, bottom - allowed_h, bar, allowed_h, kAllowedColor);
    Rect(out, x, bottom - allowed_h - denied_h, bar, denied_h, kDeniedColor);
    out.Raw("</g>\n");
  }
  Label(out, kLeft, bottom + 18, "start", FormatDay(days.front().day));
  if (days.size() > 1) Label(out, kWidth - kRight, bottom + 18, "end", FormatDay(days.back().day));
  CloseSvg(out);
}

void DeadlinesChart(notice::HtmlWriter& out, std::string_view title,
                    const std::vector<IncidentSummary>& incidents, absl::Time now,
                    const ChartLabels& labels) {
  struct Row {
    std::string label;
    const ReportDue* report;
  };
  std::vector<Row> rows;
  absl::Time first = now;
  absl::Time last = now;
  for (const IncidentSummary& incident : incidents) {
    for (const ReportDue& report : incident.reports) {
      rows.push_back(Row{.label = incident.id + " " + report.kind, .report = &report});
      first = std::min(first, report.due);
      last = std::max(last, report.due);
    }
  }
  if (rows.empty()) {
    NoneChart(out, title, labels.none);
    return;
  }
  if (last - first < absl::Hours(24)) {
    first -= absl::Hours(12);
    last += absl::Hours(12);
  }
  const absl::Duration pad = (last - first) / 20;
  first -= pad;
  last += pad;
  constexpr double kLabelWidth = 260, kRight = 16, kTop = 44, kRowHeight = 24;
  const double plot_left = kLabelWidth;
  const double plot_width = kWidth - kLabelWidth - kRight;
  const int height = static_cast<int>(kTop + kRowHeight * static_cast<double>(rows.size()) + 12);
  const auto x_of = [&](absl::Time t) {
    return plot_left + plot_width * absl::FDivDuration(t - first, last - first);
  };
  OpenSvg(out, title, height);
  LegendItem(out, 8, 16, kDeniedColor, labels.overdue);
  LegendItem(out, 148, 16, kPendingColor, labels.pending);
  LegendItem(out, 288, 16, kSubmittedColor, labels.submitted);
  Label(out, plot_left, kTop - 8, "start", DayOfTime(first));
  Label(out, kWidth - kRight, kTop - 8, "end", DayOfTime(last));
  const double bottom = kTop + kRowHeight * static_cast<double>(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const ReportDue& report = *rows[i].report;
    const double y = kTop + kRowHeight * (static_cast<double>(i) + 0.5);
    const bool overdue = IsOverdue(report, now);
    const std::string_view color =
        overdue ? kDeniedColor : (report.submitted ? kSubmittedColor : kPendingColor);
    const std::string_view state =
        overdue ? labels.overdue : (report.submitted ? labels.submitted : labels.pending);
    Label(out, plot_left - 8, y + 4, "end", rows[i].label);
    Line(out, plot_left, y, kWidth - kRight, y, "#ddd");
    out.Raw("<g>");
    out.Element("title", absl::StrFormat("%s: %s (%s)", rows[i].label, DayOfTime(report.due),
                                         std::string(state)));
    out.Raw(absl::StrFormat("<circle cx=\"%s\" cy=\"%s\" r=\"6\" fill=\"%s\"/>",
                            Num(x_of(report.due)), Num(y), std::string(color)));
    out.Raw("</g>\n");
  }
  const double now_x = x_of(now);
  Line(out, now_x, kTop, now_x, bottom, "#111", /*dashed=*/true);
  Label(out, now_x, bottom + 10, "middle", labels.now);
  CloseSvg(out);
}

void RoleChart(notice::HtmlWriter& out, std::string_view title,
               const std::vector<std::pair<std::string, int64_t>>& rows,
               const ChartLabels& labels) {
  if (rows.empty()) {
    NoneChart(out, title, labels.none);
    return;
  }
  constexpr double kLabelWidth = 200, kRight = 64, kTop = 8, kRowHeight = 24;
  const double plot_width = kWidth - kLabelWidth - kRight;
  int64_t max_count = 1;
  for (const auto& [label, count] : rows) max_count = std::max(max_count, count);
  const int height = static_cast<int>(kTop * 2 + kRowHeight * static_cast<double>(rows.size()));
  OpenSvg(out, title, height);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& [label, count] = rows[i];
    const double y = kTop + kRowHeight * static_cast<double>(i);
    const double w = plot_width * static_cast<double>(count) / max_count;
    Label(out, kLabelWidth - 8, y + 16, "end", label);
    out.Raw("<g>");
    out.Element("title", absl::StrFormat("%s: %d", label, count));
    Rect(out, kLabelWidth, y + 4, w, kRowHeight - 8, kAllowedColor);
    out.Raw("</g>\n");
    Label(out, kLabelWidth + w + 6, y + 16, "start", absl::StrFormat("%d", count));
  }
  CloseSvg(out);
}

}  // namespace mamori::audit::internal
