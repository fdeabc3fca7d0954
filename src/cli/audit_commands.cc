#include "cli/audit_commands.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "audit/report.h"
#include "audit/supervision.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "engine/json_views.h"
#include "incident/incident.h"
#include "notice/notice.h"

namespace mamori::cli {
namespace {

using nlohmann::json;

constexpr absl::Duration kDefaultPeriod = absl::Hours(24 * 30);

struct AuditOptions {
  std::string actor, from, to, alert, cause, description, html, lang = "ja";
};

class AuditCommands {
 public:
  AuditCommands(CommandHost& host, std::shared_ptr<AuditOptions> options)
      : host_(host), o_(std::move(options)) {}

  absl::StatusOr<json> Activity() {
    const AuditOptions& o = *o_;
    if (host_.UsesServer()) {
      return Get(fmt::format("/v1/supervision/activity?actor={}{}", RemoteServer::Segment(o.actor),
                             PeriodQuery()));
    }
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(common::Period period, Period(eng));
      ASSIGN_OR_RETURN(engine::ActorActivity activity,
                       eng.ActivityOf(o.actor, period.from, period.to));
      return engine::ActorActivityJson(activity);
    });
  }

  absl::StatusOr<json> Alerts() {
    if (host_.UsesServer()) {
      std::string query = PeriodQuery();
      if (!query.empty()) query[0] = '?';
      return Get("/v1/alerts" + query);
    }
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(common::Period period, Period(eng));
      ASSIGN_OR_RETURN(std::vector<audit::Alert> alerts, eng.Alerts(period.from, period.to));
      json list = json::array();
      for (const audit::Alert& a : alerts) list.push_back(audit::AlertJson(a));
      return json{{"from", common::FormatTimestamp(period.from)},
                  {"to", common::FormatTimestamp(period.to)},
                  {"alerts", std::move(list)}};
    });
  }

  absl::StatusOr<json> OpenIncident() {
    const AuditOptions& o = *o_;
    absl::StatusOr<incident::Cause> cause = incident::ParseCause(o.cause);
    if (!cause.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("--cause: {}", common::FromAbsl(cause.status().message())));
    }
    if (host_.UsesServer()) {
      return Post(fmt::format("/v1/alerts/{}/incident", RemoteServer::Segment(o.alert)),
                  {{"cause", o.cause}, {"description", o.description}});
    }
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(
          engine::IncidentView view,
          eng.OpenIncidentFromAlert(host_.AdminActor(), o.alert, *cause, o.description));
      return engine::IncidentJson(view, absl::Now());
    });
  }

  absl::StatusOr<json> Training() {
    if (host_.UsesServer()) return Get("/v1/training/due");
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(std::vector<audit::TrainingStatus> due, eng.TrainingDue());
      json list = json::array();
      for (const audit::TrainingStatus& t : due) list.push_back(audit::TrainingStatusJson(t));
      return json{{"training", std::move(list)}};
    });
  }

  absl::StatusOr<json> AccessReview() {
    if (host_.UsesServer()) return Get("/v1/access-review");
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(std::vector<audit::RoleReview> review, eng.ReviewAccess());
      json list = json::array();
      for (const audit::RoleReview& r : review) list.push_back(audit::RoleReviewJson(r));
      return json{{"roles", std::move(list)}};
    });
  }

  absl::StatusOr<json> Report() {
    const AuditOptions& o = *o_;
    std::optional<notice::Language> language = notice::ParseLanguage(o.lang);
    if (!language) return absl::InvalidArgumentError("--lang: expected ja or en");
    if (host_.UsesServer()) {
      std::string query = PeriodQuery();
      ASSIGN_OR_RETURN(json report, Get("/v1/audit/report?format=json" + query));
      if (!o.html.empty()) {
        ASSIGN_OR_RETURN(const RemoteServer* server, host_.Server());
        ASSIGN_OR_RETURN(RemoteReply page,
                         server->Get(fmt::format("/v1/audit/report?format=html&lang={}{}",
                                                 notice::LanguageCode(*language), query)));
        if (!page.body.is_string()) return absl::UnknownError("the server sent no page");
        RETURN_IF_ERROR(WritePage(o.html, page.body.get<std::string>()));
      }
      return report;
    }
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(common::Period period, Period(eng));
      ASSIGN_OR_RETURN(audit::AuditFacts facts, eng.AuditReport(period.from, period.to));
      if (!o.html.empty()) {
        RETURN_IF_ERROR(WritePage(o.html, audit::AuditReportHtml(facts, *language)));
      }
      return audit::AuditReportJson(facts);
    });
  }

 private:
  absl::StatusOr<common::Period> Period(engine::Engine& eng) const {
    ASSIGN_OR_RETURN(absl::TimeZone zone, eng.TimeZone());
    return common::ParsePeriod("--from", o_->from, "--to", o_->to, zone, absl::Now(),
                               kDefaultPeriod);
  }

  // "&from=..&to=.." for what was given (the server applies the defaults).
  std::string PeriodQuery() const {
    std::string query;
    if (!o_->from.empty()) query += "&from=" + RemoteServer::Segment(o_->from);
    if (!o_->to.empty()) query += "&to=" + RemoteServer::Segment(o_->to);
    return query;
  }

  static absl::Status WritePage(const std::string& path, const std::string& page) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << page;
    out.close();
    if (!out) return absl::UnavailableError(fmt::format("could not write {}", path));
    return absl::OkStatus();
  }

  absl::StatusOr<json> Get(const std::string& target) {
    ASSIGN_OR_RETURN(const RemoteServer* server, host_.Server());
    ASSIGN_OR_RETURN(RemoteReply reply, server->Get(target));
    return std::move(reply.body);
  }
  absl::StatusOr<json> Post(const std::string& target, const json& body) {
    ASSIGN_OR_RETURN(const RemoteServer* server, host_.Server());
    ASSIGN_OR_RETURN(RemoteReply reply, server->Post(target, body));
    return std::move(reply.body);
  }

  CommandHost& host_;
  std::shared_ptr<AuditOptions> o_;
};

void AddPeriod(CLI::App* command, AuditOptions& o) {
  command->add_option("--from", o.from,
                      "Period start: YYYY-MM-DD (operator's time zone) or RFC 3339; default 30 "
                      "days before --to");
  command->add_option("--to", o.to,
                      "Period end, exclusive; a date includes that whole day; default now");
}

}  // namespace

void AddAuditCommands(CLI::App& app, CommandHost& host) {
  auto o = std::make_shared<AuditOptions>();
  auto commands = std::make_shared<AuditCommands>(host, o);

  auto* supervision =
      app.add_subcommand("supervision", "Supervision of employees (docs/supervision.md)");
  supervision->require_subcommand(1);

  auto* activity = supervision->add_subcommand(
      "activity", "An actor's uses in a period: by purpose, action, category; subjects; denials");
  host.AddDataOptions(activity);
  activity->add_option("--actor", o->actor, "Actor id")->required();
  AddPeriod(activity, *o);
  host.Action(activity, [commands] { return commands->Activity(); });

  auto* alerts = supervision->add_subcommand(
      "alerts", "Bulk access above a role's threshold, repeated denials, by day");
  host.AddDataOptions(alerts);
  AddPeriod(alerts, *o);
  host.Action(alerts, [commands] { return commands->Alerts(); });

  auto* open = supervision->add_subcommand(
      "open-incident", "Open an incident whose scope is an alert's actor on the alert's day");
  host.AddDataOptions(open);
  open->add_option("--alert", o->alert, "Alert id (alr_...)")->required();
  open->add_option("--cause", o->cause,
                   "unauthorized_access, insider, misdelivery, loss, vulnerability or other")
      ->required();
  open->add_option("--description", o->description, "What is suspected")->required();
  host.Action(open, [commands] { return commands->OpenIncident(); });

  auto* training = supervision->add_subcommand(
      "training", "Actors whose required courses are missing, expired or due within 30 days");
  host.AddDataOptions(training);
  host.Action(training, [commands] { return commands->Training(); });

  auto* review = supervision->add_subcommand(
      "access-review", "Each actor's roles and last use; roles unused for 90 days flagged");
  host.AddDataOptions(review);
  host.Action(review, [commands] { return commands->AccessReview(); });

  auto* audit = app.add_subcommand("audit", "Internal audit");
  audit->require_subcommand(1);
  auto* report = audit->add_subcommand(
      "report", "The internal-audit report of a period: JSON, and a printable HTML page");
  host.AddDataOptions(report);
  AddPeriod(report, *o);
  report->add_option("--html", o->html, "Also write the report as a printable HTML page here");
  report->add_option("--lang", o->lang, "Language of the HTML page: ja (default) or en");
  host.Action(report, [commands] { return commands->Report(); });
}

}  // namespace mamori::cli
