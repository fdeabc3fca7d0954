#include "audit/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "audit/internal/charts.h"
#include "common/time_format.h"
#include "notice/html_writer.h"

namespace mamori::audit {
namespace {

nlohmann::json TimeOrNull(const std::optional<absl::Time>& t) {
  return t ? nlohmann::json(common::FormatTimestamp(*t)) : nlohmann::json(nullptr);
}

std::string Hex(std::string_view bytes) {
  std::string hex;
  for (const char c : bytes) absl::StrAppendFormat(&hex, "%02x", static_cast<unsigned char>(c));
  return hex;
}

struct Totals {
  int64_t allowed = 0;
  int64_t denied = 0;
};

Totals SumByRule(const std::vector<store::UseCount>& by_rule) {
  Totals totals;
  for (const store::UseCount& row : by_rule) {
    (row.key2 == "allow" ? totals.allowed : totals.denied) += row.count;
  }
  return totals;
}

// Roles by count, most used first, then by id.
std::vector<std::pair<std::string, int64_t>> RolesByCount(
    const std::map<std::string, int64_t>& by_role) {
  std::vector<std::pair<std::string, int64_t>> rows(by_role.begin(), by_role.end());
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return rows;
}

// --- HTML ---

struct Labels {
  std::string_view lang;
  std::string_view title;
  std::string_view none;
  std::string_view yes;
  std::string_view no;
  // Summary.
  std::string_view summary;
  std::string_view period;
  std::string_view generated_at;
  std::string_view time_zone;
  // Ledger.
  std::string_view ledger;
  std::string_view verified;
  std::string_view entries;
  std::string_view tree_size;
  std::string_view root_hash;
  std::string_view signed_at;
  std::string_view verified_from;
  std::string_view from_start;
  std::string_view problems;
  std::string_view no_head;
  // Decisions.
  std::string_view decisions;
  std::string_view total;
  std::string_view allowed;
  std::string_view denied;
  std::string_view decisions_chart;
  std::string_view by_day;
  std::string_view day;
  std::string_view by_rule;
  std::string_view rule;
  std::string_view outcome;
  std::string_view count;
  std::string_view by_role;
  std::string_view role;
  std::string_view role_chart;
  // Exception uses.
  std::string_view exception_uses;
  std::string_view seq;
  std::string_view at;
  std::string_view actor;
  std::string_view purpose;
  std::string_view ground;
  std::string_view subject;
  // Requests.
  std::string_view requests;
  std::string_view requests_untracked;
  // Trustees.
  std::string_view trustees;
  std::string_view id;
  std::string_view name;
  std::string_view overdue_audit;
  std::string_view contract_in_force;
  std::string_view next_due;
  // Retention.
  std::string_view retention;
  std::string_view past_retention;
  std::string_view held;
  // Training.
  std::string_view training;
  std::string_view course;
  std::string_view valid_until;
  std::string_view status;
  std::string_view roles;
  std::string_view missing;
  std::string_view expired;
  std::string_view due_soon;
  // Alerts.
  std::string_view alerts;
  std::string_view kind;
  std::string_view threshold;
  std::string_view bulk_access;
  std::string_view repeated_denials;
  // Incidents.
  std::string_view incidents;
  std::string_view discovered_at;
  std::string_view cause;
  std::string_view affected;
  std::string_view reportable;
  std::string_view reports;
  std::string_view incident;
  std::string_view report;
  std::string_view due;
  std::string_view deadlines_chart;
  std::string_view overdue;
  std::string_view pending;
  std::string_view submitted;
  std::string_view now;
  // Policy versions.
  std::string_view policy_versions;
  std::string_view version;
  std::string_view loaded_at;
  std::string_view loaded_by;
  std::string_view changes;
};

constexpr Labels kJa = {
    .lang = "ja",
    .title = "内部監査報告書",
    .none = "なし",
    .yes = "はい",
    .no = "いいえ",
    .summary = "概要",
    .period = "対象期間",
    .generated_at = "作成日時",
    .time_zone = "タイムゾーン",
    .ledger = "台帳の検証",
    .verified = "検証結果",
    .entries = "エントリ数",
    .tree_size = "署名済みツリーヘッドの大きさ",
    .root_hash = "ルートハッシュ",
    .signed_at = "署名日時",
    .verified_from = "検証開始位置",
    .from_start = "先頭から",
    .problems = "問題",
    .no_head = "署名済みツリーヘッドなし",
    .decisions = "利用の判定",
    .total = "合計",
    .allowed = "許可",
    .denied = "拒否",
    .decisions_chart = "日ごとの判定（許可・拒否）",
    .by_day = "日ごと",
    .day = "日",
    .by_rule = "規則ごと",
    .rule = "規則",
    .outcome = "結果",
    .count = "件数",
    .by_role = "役割ごとのアクセス",
    .role = "役割",
    .role_chart = "役割ごとのアクセス件数",
    .exception_uses = "例外事由による利用",
    .seq = "台帳番号",
    .at = "日時",
    .actor = "利用者",
    .purpose = "利用目的",
    .ground = "事由",
    .subject = "本人ID",
    .requests = "開示等の請求・苦情",
    .requests_untracked = "請求と苦情の処理記録はまだ管理されていません。",
    .trustees = "委託先の監督",
    .id = "ID",
    .name = "名称",
    .overdue_audit = "監査期限超過",
    .contract_in_force = "契約有効",
    .next_due = "次回監査期限",
    .retention = "保存期間",
    .past_retention = "保存期間を過ぎた未消去の記録",
    .held = "うち法的保全中",
    .training = "教育研修",
    .course = "研修",
    .valid_until = "有効期限",
    .status = "状態",
    .roles = "役割",
    .missing = "未受講",
    .expired = "期限切れ",
    .due_soon = "期限間近",
    .alerts = "監視アラート",
    .kind = "種類",
    .threshold = "閾値",
    .bulk_access = "大量アクセス",
    .repeated_denials = "拒否の繰り返し",
    .incidents = "漏えい等事案",
    .discovered_at = "発覚日時",
    .cause = "原因",
    .affected = "本人数",
    .reportable = "報告対象",
    .reports = "報告期限",
    .incident = "事案",
    .report = "報告",
    .due = "期限",
    .deadlines_chart = "報告期限",
    .overdue = "期限超過",
    .pending = "未提出",
    .submitted = "提出済み",
    .now = "作成時点",
    .policy_versions = "ポリシーの改定",
    .version = "版",
    .loaded_at = "適用日時",
    .loaded_by = "適用者",
    .changes = "変更内容",
};

constexpr Labels kEn = {
    .lang = "en",
    .title = "Internal audit report",
    .none = "none",
    .yes = "yes",
    .no = "no",
    .summary = "Summary",
    .period = "Period",
    .generated_at = "Generated at",
    .time_zone = "Time zone",
    .ledger = "Ledger verification",
    .verified = "Verified",
    .entries = "Entries",
    .tree_size = "Signed tree head size",
    .root_hash = "Root hash",
    .signed_at = "Signed at",
    .verified_from = "Verified from",
    .from_start = "the start",
    .problems = "Problems",
    .no_head = "no signed tree head",
    .decisions = "Decisions",
    .total = "Total",
    .allowed = "allowed",
    .denied = "denied",
    .decisions_chart = "Decisions per day (allowed and denied)",
    .by_day = "By day",
    .day = "Day",
    .by_rule = "By rule",
    .rule = "Rule",
    .outcome = "Outcome",
    .count = "Count",
    .by_role = "Access by role",
    .role = "Role",
    .role_chart = "Uses by role",
    .exception_uses = "Uses on exception grounds",
    .seq = "Entry",
    .at = "At",
    .actor = "Actor",
    .purpose = "Purpose",
    .ground = "Ground",
    .subject = "Subject id",
    .requests = "Requests and complaints",
    .requests_untracked = "Requests and complaints are not tracked yet.",
    .trustees = "Supervision of trustees",
    .id = "Id",
    .name = "Name",
    .overdue_audit = "Audit overdue",
    .contract_in_force = "Contract in force",
    .next_due = "Next audit due",
    .retention = "Retention",
    .past_retention = "Records past retention, not yet erased",
    .held = "Of which under legal hold",
    .training = "Training",
    .course = "Course",
    .valid_until = "Valid until",
    .status = "Status",
    .roles = "Roles",
    .missing = "missing",
    .expired = "expired",
    .due_soon = "due soon",
    .alerts = "Supervision alerts",
    .kind = "Kind",
    .threshold = "Threshold",
    .bulk_access = "bulk access",
    .repeated_denials = "repeated denials",
    .incidents = "Incidents",
    .discovered_at = "Discovered at",
    .cause = "Cause",
    .affected = "Persons affected",
    .reportable = "Reportable",
    .reports = "Report deadlines",
    .incident = "Incident",
    .report = "Report",
    .due = "Due",
    .deadlines_chart = "Report deadlines",
    .overdue = "overdue",
    .pending = "pending",
    .submitted = "submitted",
    .now = "report time",
    .policy_versions = "Policy versions loaded",
    .version = "Version",
    .loaded_at = "Loaded at",
    .loaded_by = "Loaded by",
    .changes = "Changes",
};

// Legible on screen and on paper without any external resource; colors keep
// a contrast ratio above 4.5:1, and print keeps the charts' colors.
constexpr std::string_view kStyle =
    "body{font-family:system-ui,sans-serif;line-height:1.6;max-width:60rem;margin:0 auto;"
    "padding:1rem;color:#111;background:#fff}"
    "h1{font-size:1.5rem;line-height:1.3}"
    "h2{font-size:1.2rem;border-bottom:1px solid #555;margin-top:1.75rem}"
    "h3{font-size:1rem}"
    "table{border-collapse:collapse;width:100%;margin:.5rem 0}"
    "th,td{border:1px solid #555;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.alert td{color:#b3261e;font-weight:bold}"
    "code{font-size:.85rem;word-break:break-all}"
    "figure{margin:.5rem 0}svg{max-width:100%;height:auto}"
    "@media print{body{max-width:none;padding:0}h2,h3{break-after:avoid}"
    "tr,figure{break-inside:avoid}th{background:none}"
    "svg{print-color-adjust:exact;-webkit-print-color-adjust:exact}}";

struct Cell {
  std::string text;
  bool number = false;
  bool code = false;
};

Cell Text(std::string_view text) {
  return Cell{.text = std::string(text), .number = false, .code = false};
}
Cell Number(int64_t n) { return Cell{.text = absl::StrCat(n), .number = true, .code = false}; }
Cell Code(std::string_view text) {
  return Cell{.text = std::string(text), .number = false, .code = true};
}
Cell Time(absl::Time t) { return Text(common::FormatTimestamp(t)); }
Cell OptionalTime(const std::optional<absl::Time>& t, const Labels& l) {
  return t ? Time(*t) : Text(l.none);
}
Cell YesNo(bool b, const Labels& l) { return Text(b ? l.yes : l.no); }

struct Row {
  std::vector<Cell> cells;
  bool alert = false;  // shown in red
};

// A table with a header row, or "none" when there are no rows.
void WriteTable(notice::HtmlWriter& out, const std::vector<std::string_view>& headers,
                const std::vector<Row>& rows, const Labels& l) {
  if (rows.empty()) {
    out.Element("p", l.none);
    return;
  }
  out.Raw("<table>\n<thead><tr>");
  for (const std::string_view h : headers) {
    out.Raw("<th scope=\"col\">");
    out.Text(h);
    out.Raw("</th>");
  }
  out.Raw("</tr></thead>\n<tbody>\n");
  for (const Row& row : rows) {
    out.Raw(row.alert ? "<tr class=\"alert\">" : "<tr>");
    for (const Cell& cell : row.cells) {
      out.Raw(cell.number ? "<td class=\"n\">" : "<td>");
      if (cell.code) out.Raw("<code>");
      out.Value(cell.text);
      if (cell.code) out.Raw("</code>");
      out.Raw("</td>");
    }
    out.Raw("</tr>\n");
  }
  out.Raw("</tbody>\n</table>\n");
}

// A two-column table of terms and values.
void WriteFacts(notice::HtmlWriter& out,
                const std::vector<std::pair<std::string_view, Cell>>& facts) {
  out.Raw("<table>\n<tbody>\n");
  for (const auto& [term, cell] : facts) {
    out.Raw("<tr><th scope=\"row\">");
    out.Text(term);
    out.Raw(cell.number ? "</th><td class=\"n\">" : "</th><td>");
    if (cell.code) out.Raw("<code>");
    out.Value(cell.text);
    if (cell.code) out.Raw("</code>");
    out.Raw("</td></tr>\n");
  }
  out.Raw("</tbody>\n</table>\n");
}

std::string_view TrainingStatusLabel(std::string_view status, const Labels& l) {
  if (status == kTrainingMissing) return l.missing;
  if (status == kTrainingExpired) return l.expired;
  if (status == kTrainingDueSoon) return l.due_soon;
  return status;
}

std::string_view AlertKindLabel(std::string_view kind, const Labels& l) {
  if (kind == kBulkAccess) return l.bulk_access;
  if (kind == kRepeatedDenials) return l.repeated_denials;
  return kind;
}

std::string_view OutcomeLabel(std::string_view outcome, const Labels& l) {
  if (outcome == "allow") return l.allowed;
  if (outcome == "deny") return l.denied;
  return outcome;
}

}  // namespace

bool IsOverdue(const ReportDue& report, absl::Time now) {
  return !report.submitted && report.due < now;
}

nlohmann::json AuditReportJson(const AuditFacts& facts) {
  nlohmann::json j = nlohmann::json::object();
  j["period"] = {{"from", common::FormatTimestamp(facts.from)},
                 {"to", common::FormatTimestamp(facts.to)},
                 {"time_zone", facts.time_zone}};
  j["generated_at"] = common::FormatTimestamp(facts.generated_at);

  const LedgerFacts& ledger = facts.ledger;
  nlohmann::json head = nullptr;
  if (ledger.tree_head) {
    head = {{"tree_size", ledger.tree_head->tree_size},
            {"root_hash", Hex(ledger.tree_head->root_hash)},
            {"signed_at", common::FormatTimestamp(ledger.tree_head->signed_at)}};
  }
  j["ledger"] = {{"verified", ledger.verified},
                 {"entries", ledger.entries},
                 {"tree_head", head},
                 {"verified_from", ledger.verified_from},
                 {"problems", ledger.problems}};

  const Totals totals = SumByRule(facts.decisions.by_rule);
  nlohmann::json by_rule = nlohmann::json::array();
  for (const store::UseCount& row : facts.decisions.by_rule) {
    by_rule.push_back({{"rule_id", row.key}, {"outcome", row.key2}, {"count", row.count}});
  }
  nlohmann::json by_day = nlohmann::json::array();
  for (const DayDecisions& d : facts.decisions.by_day) {
    by_day.push_back({{"day", FormatDay(d.day)}, {"allowed", d.allowed}, {"denied", d.denied}});
  }
  nlohmann::json by_role = nlohmann::json::array();
  for (const auto& [role, count] : RolesByCount(facts.decisions.by_role)) {
    by_role.push_back({{"role", role}, {"count", count}});
  }
  j["decisions"] = {{"total", totals.allowed + totals.denied},
                    {"allowed", totals.allowed},
                    {"denied", totals.denied},
                    {"by_rule", std::move(by_rule)},
                    {"by_day", std::move(by_day)},
                    {"by_role", std::move(by_role)}};

  nlohmann::json exception_uses = nlohmann::json::array();
  for (const ExceptionUse& use : facts.exception_uses) {
    exception_uses.push_back({{"seq", use.seq},
                              {"at", common::FormatTimestamp(use.at)},
                              {"actor", use.actor},
                              {"purpose", use.purpose},
                              {"ground", use.ground},
                              {"subject", use.subject},
                              {"outcome", use.outcome}});
  }
  j["exception_uses"] = std::move(exception_uses);

  // Without the request store (facts gathered for another part's test)
  // there is nothing to count, and the report says so rather than showing
  // zeros.
  const RequestFacts& rf = facts.requests;
  if (!rf.tracked) {
    j["requests"] = {{"tracked", false}};
  } else {
    auto lines = [](const std::vector<RequestLine>& list) {
      nlohmann::json out = nlohmann::json::array();
      for (const RequestLine& line : list) {
        out.push_back({{"id", line.id},
                       {"kind", line.kind},
                       {"status", line.status},
                       {"due", common::FormatTimestamp(line.due)},
                       {"answered_at", line.answered_at ? nlohmann::json(common::FormatTimestamp(
                                                              *line.answered_at))
                                                        : nlohmann::json()}});
      }
      return out;
    };
    j["requests"] = {{"tracked", true},
                     {"received", rf.received},
                     {"completed", rf.completed},
                     {"refused", rf.refused},
                     {"withdrawn", rf.withdrawn},
                     {"open", rf.open},
                     {"overdue", lines(rf.overdue)},
                     {"answered_late", lines(rf.answered_late)},
                     {"complaints",
                      {{"received", rf.complaints_received},
                       {"overdue", lines(rf.complaints_overdue)},
                       {"responded_late", lines(rf.complaints_late)}}}};
  }

  nlohmann::json trustees = nlohmann::json::array();
  for (const TrusteeFacts& t : facts.trustees) {
    trustees.push_back({{"id", t.id},
                        {"name", t.name},
                        {"overdue_audit", t.overdue_audit},
                        {"contract_in_force", t.contract_in_force},
                        {"next_due", TimeOrNull(t.next_due)}});
  }
  j["trustees"] = std::move(trustees);

  j["retention"] = {{"records_past_retention", facts.retention.records_past_retention},
                    {"held", facts.retention.held}};

  nlohmann::json training = nlohmann::json::array();
  for (const TrainingStatus& t : facts.training) training.push_back(TrainingStatusJson(t));
  j["training"] = std::move(training);

  nlohmann::json alerts = nlohmann::json::array();
  for (const Alert& a : facts.alerts) alerts.push_back(AlertJson(a));
  j["alerts"] = std::move(alerts);

  nlohmann::json incidents = nlohmann::json::array();
  for (const IncidentSummary& incident : facts.incidents) {
    nlohmann::json reports = nlohmann::json::array();
    for (const ReportDue& r : incident.reports) {
      reports.push_back({{"kind", r.kind},
                         {"due", common::FormatTimestamp(r.due)},
                         {"submitted", r.submitted},
                         {"overdue", IsOverdue(r, facts.generated_at)}});
    }
    incidents.push_back({{"id", incident.id},
                         {"discovered_at", common::FormatTimestamp(incident.discovered_at)},
                         {"cause", incident.cause},
                         {"affected_subjects", incident.affected_subjects},
                         {"reportable", incident.reportable},
                         {"reports", std::move(reports)}});
  }
  j["incidents"] = std::move(incidents);

  nlohmann::json versions = nlohmann::json::array();
  for (const PolicyVersionFacts& v : facts.policy_versions) {
    versions.push_back({{"version", v.version},
                        {"loaded_at", common::FormatTimestamp(v.loaded_at)},
                        {"loaded_by", v.loaded_by},
                        {"changes", v.changes}});
  }
  j["policy_versions"] = std::move(versions);
  return j;
}

std::string AuditReportHtml(const AuditFacts& facts, notice::Language language) {
  const Labels& l = language == notice::Language::kJa ? kJa : kEn;
  const bool ja = language == notice::Language::kJa;
  const internal::ChartLabels chart{.none = l.none,
                                    .allowed = l.allowed,
                                    .denied = l.denied,
                                    .now = l.now,
                                    .overdue = l.overdue,
                                    .pending = l.pending,
                                    .submitted = l.submitted};
  notice::HtmlWriter out(/*mark_japanese=*/language != notice::Language::kJa);
  out.Raw("<!DOCTYPE html>\n<html lang=\"");
  out.Text(l.lang);
  out.Raw(
      "\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
  out.Element("title", l.title);
  out.Raw("<style>");
  out.Raw(kStyle);
  out.Raw("</style>\n</head>\n<body>\n");
  out.Element("h1", l.title);

  out.OpenSection("summary", l.summary);
  WriteFacts(out, {{l.period, Text(common::FormatTimestamp(facts.from) + " – " +
                                   common::FormatTimestamp(facts.to))},
                   {l.generated_at, Time(facts.generated_at)},
                   {l.time_zone, Text(facts.time_zone)}});
  out.CloseSection();

  const LedgerFacts& ledger = facts.ledger;
  out.OpenSection("ledger", l.ledger);
  std::vector<std::pair<std::string_view, Cell>> ledger_facts = {
      {l.verified, YesNo(ledger.verified, l)},
      {l.entries, Number(ledger.entries)},
      {l.verified_from,
       ledger.verified_from == 0 ? Text(l.from_start) : Number(ledger.verified_from)}};
  if (ledger.tree_head) {
    ledger_facts.emplace_back(l.tree_size, Number(ledger.tree_head->tree_size));
    ledger_facts.emplace_back(l.root_hash, Code(Hex(ledger.tree_head->root_hash)));
    ledger_facts.emplace_back(l.signed_at, Time(ledger.tree_head->signed_at));
  } else {
    ledger_facts.emplace_back(l.tree_size, Text(l.no_head));
  }
  WriteFacts(out, ledger_facts);
  out.Element("h3", l.problems);
  std::vector<Row> problems;
  for (const std::string& p : ledger.problems)
    problems.push_back(Row{.cells = {Text(p)}, .alert = true});
  WriteTable(out, {l.problems}, problems, l);
  out.CloseSection();

  const Totals totals = SumByRule(facts.decisions.by_rule);
  out.OpenSection("decisions", l.decisions);
  WriteFacts(out, {{l.total, Number(totals.allowed + totals.denied)},
                   {l.allowed, Number(totals.allowed)},
                   {l.denied, Number(totals.denied)}});
  internal::DecisionsChart(out, l.decisions_chart, facts.decisions.by_day, chart);
  out.Element("h3", l.by_day);
  std::vector<Row> days;
  for (const DayDecisions& d : facts.decisions.by_day) {
    days.push_back(Row{.cells = {Text(FormatDay(d.day)), Number(d.allowed), Number(d.denied)},
                       .alert = false});
  }
  WriteTable(out, {l.day, l.allowed, l.denied}, days, l);
  out.Element("h3", l.by_rule);
  std::vector<Row> rules;
  for (const store::UseCount& r : facts.decisions.by_rule) {
    rules.push_back(Row{.cells = {Code(r.key), Text(OutcomeLabel(r.key2, l)), Number(r.count)},
                        .alert = false});
  }
  WriteTable(out, {l.rule, l.outcome, l.count}, rules, l);
  out.CloseSection();

  out.OpenSection("access-by-role", l.by_role);
  const auto role_counts = RolesByCount(facts.decisions.by_role);
  internal::RoleChart(out, l.role_chart, role_counts, chart);
  std::vector<Row> roles;
  for (const auto& [role, count] : role_counts) {
    roles.push_back(Row{.cells = {Code(role), Number(count)}, .alert = false});
  }
  WriteTable(out, {l.role, l.count}, roles, l);
  out.CloseSection();

  out.OpenSection("exception-uses", l.exception_uses);
  std::vector<Row> uses;
  for (const ExceptionUse& u : facts.exception_uses) {
    uses.push_back(
        Row{.cells = {Number(u.seq), Time(u.at), Code(u.actor), Code(u.purpose), Code(u.ground),
                      Code(u.subject.empty() ? "-" : u.subject), Text(OutcomeLabel(u.outcome, l))},
            .alert = false});
  }
  WriteTable(out, {l.seq, l.at, l.actor, l.purpose, l.ground, l.subject, l.outcome}, uses, l);
  out.CloseSection();

  out.OpenSection("requests", l.requests);
  if (!facts.requests.tracked) {
    out.Element("p", l.requests_untracked);
  } else {
    const RequestFacts& r = facts.requests;
    out.Element(
        "p",
        ja ? fmt::format("期間中の受付 {} 件（完了 {}、拒否 {}、取下げ {}）、"
                         "現在対応中 {} 件、期限超過 {} 件、期限後の回答 {} 件。"
                         "苦情の受付 {} 件、初回回答の期限超過 {} 件、期限後の初回回答 {} 件。",
                         r.received, r.completed, r.refused, r.withdrawn, r.open, r.overdue.size(),
                         r.answered_late.size(), r.complaints_received, r.complaints_overdue.size(),
                         r.complaints_late.size())
           : fmt::format("{} received in the period ({} completed, {} refused, {} "
                         "withdrawn); {} open now, {} overdue, {} answered late. "
                         "{} complaints received, {} past their first-response time, "
                         "{} answered late.",
                         r.received, r.completed, r.refused, r.withdrawn, r.open, r.overdue.size(),
                         r.answered_late.size(), r.complaints_received, r.complaints_overdue.size(),
                         r.complaints_late.size()));
    std::vector<Row> late;
    auto add = [&](const std::vector<RequestLine>& list, bool alert) {
      for (const RequestLine& line : list) {
        late.push_back(Row{.cells = {Code(line.id), Code(line.kind), Code(line.status),
                                     Time(line.due), OptionalTime(line.answered_at, l)},
                           .alert = alert});
      }
    };
    add(r.overdue, true);
    add(r.answered_late, false);
    add(r.complaints_overdue, true);
    add(r.complaints_late, false);
    WriteTable(out,
               {"ID", ja ? "種別" : "Kind", ja ? "状態" : "Status", ja ? "期限" : "Due",
                ja ? "回答日時" : "Answered"},
               late, l);
  }
  out.CloseSection();

  out.OpenSection("trustees", l.trustees);
  std::vector<Row> trustees;
  for (const TrusteeFacts& t : facts.trustees) {
    trustees.push_back(Row{.cells = {Code(t.id), Text(t.name), YesNo(t.overdue_audit, l),
                                     YesNo(t.contract_in_force, l), OptionalTime(t.next_due, l)},
                           .alert = t.overdue_audit});
  }
  WriteTable(out, {l.id, l.name, l.overdue_audit, l.contract_in_force, l.next_due}, trustees, l);
  out.CloseSection();

  out.OpenSection("retention", l.retention);
  WriteFacts(out, {{l.past_retention, Number(facts.retention.records_past_retention)},
                   {l.held, Number(facts.retention.held)}});
  out.CloseSection();

  out.OpenSection("training", l.training);
  std::vector<Row> training;
  for (const TrainingStatus& t : facts.training) {
    std::string role_list;
    for (const std::string& r : t.roles)
      absl::StrAppend(&role_list, role_list.empty() ? "" : ", ", r);
    training.push_back(Row{.cells = {Code(t.actor), Code(t.course), OptionalTime(t.valid_until, l),
                                     Text(TrainingStatusLabel(t.status, l)), Code(role_list)},
                           .alert = t.status != kTrainingDueSoon});
  }
  WriteTable(out, {l.actor, l.course, l.valid_until, l.status, l.roles}, training, l);
  out.CloseSection();

  out.OpenSection("alerts", l.alerts);
  std::vector<Row> alerts;
  for (const Alert& a : facts.alerts) {
    alerts.push_back(
        Row{.cells = {Text(FormatDay(a.day)), Code(a.actor), Text(AlertKindLabel(a.kind, l)),
                      Number(a.count), Number(a.threshold), Code(a.role.empty() ? "-" : a.role),
                      Code(a.id)},
            .alert = false});
  }
  WriteTable(out, {l.day, l.actor, l.kind, l.count, l.threshold, l.role, l.id}, alerts, l);
  out.CloseSection();

  out.OpenSection("incidents", l.incidents);
  std::vector<Row> incidents;
  std::vector<Row> reports;
  for (const IncidentSummary& i : facts.incidents) {
    incidents.push_back(Row{.cells = {Code(i.id), Time(i.discovered_at), Code(i.cause),
                                      Number(i.affected_subjects), YesNo(i.reportable, l)},
                            .alert = false});
    for (const ReportDue& r : i.reports) {
      const bool overdue = IsOverdue(r, facts.generated_at);
      reports.push_back(
          Row{.cells = {Code(i.id), Code(r.kind), Time(r.due),
                        Text(overdue ? l.overdue : (r.submitted ? l.submitted : l.pending))},
              .alert = overdue});
    }
  }
  WriteTable(out, {l.id, l.discovered_at, l.cause, l.affected, l.reportable}, incidents, l);
  out.Element("h3", l.reports);
  internal::DeadlinesChart(out, l.deadlines_chart, facts.incidents, facts.generated_at, chart);
  WriteTable(out, {l.incident, l.report, l.due, l.status}, reports, l);
  out.CloseSection();

  out.OpenSection("policy-versions", l.policy_versions);
  std::vector<Row> versions;
  for (const PolicyVersionFacts& v : facts.policy_versions) {
    versions.push_back(
        Row{.cells = {Number(v.version), Time(v.loaded_at), Code(v.loaded_by),
                      Code(v.changes.is_null()
                               ? "-"
                               : v.changes.dump(-1, ' ', false,
                                                nlohmann::json::error_handler_t::replace))},
            .alert = false});
  }
  WriteTable(out, {l.version, l.loaded_at, l.loaded_by, l.changes}, versions, l);
  out.CloseSection();

  out.Raw("</body>\n</html>\n");
  return std::move(out).Take();
}

}  // namespace mamori::audit
