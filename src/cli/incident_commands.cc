#include "cli/incident_commands.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "cli/arguments.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "engine/json_views.h"
#include "incident/incident.h"
#include "incident/reports.h"
#include "notice/notice.h"

namespace mamori::cli {
namespace {

using nlohmann::json;

// The options of the incident commands, bound by CLI11 and read by the
// actions after parsing (shared, as CLI11 keeps actions copyable).
struct IncidentOptions {
  std::string id, description, cause, discovered, occurred;
  bool suspected = false;
  // scope
  std::string actor, recipient, from, to, service;
  std::vector<std::string> subjects, categories;
  bool encrypted_without_keys = false;
  // narrative
  std::optional<std::string> secondary_damage, response, publication, recurrence_prevention, other,
      inquiry_desk;
  // reports, drafts, notices
  std::string kind, submitted, reference, lang = "ja", purpose = "dpv:CustomerCare";
  std::string html;  // a file to write a page to
};

// Writes `page` to `path`; the command prints what was written.
absl::StatusOr<json> WritePage(const std::string& path, const std::string& page) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << page;
  out.close();
  if (!out) return absl::UnavailableError(fmt::format("could not write {}", path));
  return json{{"written", path}, {"bytes", page.size()}};
}

class IncidentCommands {
 public:
  IncidentCommands(CommandHost& host, std::shared_ptr<IncidentOptions> options)
      : host_(host), o_(std::move(options)) {}

  absl::StatusOr<json> Open() {
    const IncidentOptions& o = *o_;
    ASSIGN_OR_RETURN(incident::Cause cause, CauseArgument());
    ASSIGN_OR_RETURN(json scope, ScopeBody());
    json body = {{"description", o.description},
                 {"cause", incident::CauseName(cause)},
                 {"suspected", o.suspected},
                 {"scope", scope}};
    if (!o.discovered.empty()) body["discovered_at"] = o.discovered;
    if (!o.occurred.empty()) body["occurred_at"] = o.occurred;
    if (host_.UsesServer()) return Post("/v1/incidents", body);
    engine::IncidentSpec spec;
    spec.cause = cause;
    spec.suspected = o.suspected;
    spec.description = o.description;
    if (!o.discovered.empty()) {
      ASSIGN_OR_RETURN(common::DayOrTime at, DayOrTimeArgument("--discovered", o.discovered));
      spec.discovered_at = at.time;
      spec.discovered_on = at.day;
    }
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(absl::TimeZone zone, eng.TimeZone());
      if (o.discovered.empty()) spec.discovered_at = absl::Now();
      if (!o.occurred.empty()) {
        ASSIGN_OR_RETURN(common::DayOrTime at, DayOrTimeArgument("--occurred", o.occurred));
        spec.occurred_at = at.day ? absl::FromCivil(*at.day, zone) : at.time;
      }
      ASSIGN_OR_RETURN(spec.scope, engine::IncidentScopeFromJson(scope, zone));
      ASSIGN_OR_RETURN(engine::IncidentView view, eng.OpenIncident(host_.AdminActor(), spec));
      return engine::IncidentJson(view, absl::Now());
    });
  }

  absl::StatusOr<json> Scope() {
    const IncidentOptions& o = *o_;
    ASSIGN_OR_RETURN(json scope, ScopeBody());
    if (host_.UsesServer()) return Post(Path("/scope"), {{"scope", scope}});
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(absl::TimeZone zone, eng.TimeZone());
      ASSIGN_OR_RETURN(engine::IncidentScope parsed, engine::IncidentScopeFromJson(scope, zone));
      ASSIGN_OR_RETURN(engine::IncidentView view,
                       eng.RescopeIncident(host_.AdminActor(), o.id, std::move(parsed)));
      return engine::IncidentJson(view, absl::Now());
    });
  }

  absl::StatusOr<json> Show() {
    const IncidentOptions& o = *o_;
    if (host_.UsesServer()) return Get(Path(""));
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(engine::IncidentView view, eng.GetIncident(o.id));
      return engine::IncidentJson(view, absl::Now());
    });
  }

  absl::StatusOr<json> List() {
    if (host_.UsesServer()) return Get("/v1/incidents");
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(std::vector<engine::IncidentView> views, eng.ListIncidents());
      json list = json::array();
      for (const engine::IncidentView& v : views)
        list.push_back(engine::IncidentJson(v, absl::Now()));
      return json{{"incidents", std::move(list)}};
    });
  }

  absl::StatusOr<json> Subjects() {
    const IncidentOptions& o = *o_;
    if (host_.UsesServer()) return Get(Path("/subjects"));
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(std::vector<store::IncidentSubjectRow> rows, eng.IncidentSubjects(o.id));
      return engine::IncidentSubjectsJson(o.id, rows);
    });
  }

  absl::StatusOr<json> Timeline() {
    const IncidentOptions& o = *o_;
    if (host_.UsesServer()) return Get(Path("/timeline"));
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(std::vector<json> events, eng.IncidentTimeline(o.id));
      return json{{"incident", o.id}, {"events", std::move(events)}};
    });
  }

  absl::StatusOr<json> Narrative() {
    const IncidentOptions& o = *o_;
    json body = json::object();
    const std::pair<const char*, const std::optional<std::string>*> fields[] = {
        {"secondary_damage", &o.secondary_damage},
        {"response_to_persons", &o.response},
        {"publication", &o.publication},
        {"recurrence_prevention", &o.recurrence_prevention},
        {"other", &o.other},
        {"inquiry_desk", &o.inquiry_desk}};
    for (const auto& [key, value] : fields) {
      if (value->has_value()) body[key] = **value;
    }
    if (body.empty()) return absl::InvalidArgumentError("give at least one narrative option");
    if (host_.UsesServer()) return Post(Path("/narrative"), body);
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      // Options not given keep what the incident already says.
      ASSIGN_OR_RETURN(engine::IncidentView current, eng.GetIncident(o.id));
      json merged = engine::NarrativeToJson(current.narrative);
      merged.update(body);
      ASSIGN_OR_RETURN(incident::IncidentNarrative narrative, engine::NarrativeFromJson(merged));
      ASSIGN_OR_RETURN(engine::IncidentView view,
                       eng.SetIncidentNarrative(host_.AdminActor(), o.id, std::move(narrative)));
      return engine::IncidentJson(view, absl::Now());
    });
  }

  absl::StatusOr<json> Report() {
    const IncidentOptions& o = *o_;
    ASSIGN_OR_RETURN(incident::ReportKind kind, KindArgument());
    json body = {{"kind", o.kind}, {"reference", o.reference}};
    if (!o.submitted.empty()) body["submitted_at"] = o.submitted;
    if (host_.UsesServer()) return Post(Path("/reports"), body);
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      absl::Time at = absl::Now();
      if (!o.submitted.empty()) {
        ASSIGN_OR_RETURN(common::DayOrTime when, DayOrTimeArgument("--submitted", o.submitted));
        ASSIGN_OR_RETURN(absl::TimeZone zone, eng.TimeZone());
        at = when.day ? absl::FromCivil(*when.day, zone) : when.time;
      }
      ASSIGN_OR_RETURN(engine::IncidentView view,
                       eng.SubmitIncidentReport(host_.AdminActor(), o.id, kind, at, o.reference));
      return engine::IncidentJson(view, absl::Now());
    });
  }

  absl::StatusOr<json> Draft() {
    const IncidentOptions& o = *o_;
    ASSIGN_OR_RETURN(incident::ReportKind kind, KindArgument());
    ASSIGN_OR_RETURN(notice::Language language, LanguageArgument());
    const bool html = !o.html.empty();
    if (host_.UsesServer()) {
      ASSIGN_OR_RETURN(const RemoteServer* server, host_.Server());
      ASSIGN_OR_RETURN(
          RemoteReply reply,
          server->Get(Path(fmt::format("/drafts/{}?lang={}&format={}", o.kind,
                                       notice::LanguageCode(language), html ? "html" : "json"))));
      if (html && reply.body.is_string()) return WritePage(o.html, reply.body.get<std::string>());
      return std::move(reply.body);
    }
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(std::string draft, eng.IncidentDraft(o.id, kind, language, html));
      if (html) return WritePage(o.html, draft);
      return json::parse(draft);
    });
  }

  absl::StatusOr<json> Notices() {
    const IncidentOptions& o = *o_;
    ASSIGN_OR_RETURN(notice::Language language, LanguageArgument());
    if (host_.UsesServer() && !o.actor.empty()) {
      return absl::InvalidArgumentError(
          "--actor: with --server the token's actor acts; leave --actor out");
    }
    if (!host_.UsesServer() && o.actor.empty()) {
      return absl::InvalidArgumentError("--actor is required");
    }
    if (host_.UsesServer()) {
      return Post(Path("/notices"),
                  {{"purpose", o.purpose}, {"lang", notice::LanguageCode(language)}});
    }
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(engine::NoticeBatch batch,
                       eng.IncidentNotices(o.actor, o.id, o.purpose, language));
      return engine::NoticeBatchJson(batch);
    });
  }

  absl::StatusOr<json> Close() {
    const IncidentOptions& o = *o_;
    if (host_.UsesServer()) return Post(Path("/close"), json::object());
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(engine::IncidentView view, eng.CloseIncident(host_.AdminActor(), o.id));
      return engine::IncidentJson(view, absl::Now());
    });
  }

 private:
  std::string Path(std::string_view rest) const {
    return fmt::format("/v1/incidents/{}{}", RemoteServer::Segment(o_->id), rest);
  }

  absl::StatusOr<incident::Cause> CauseArgument() const {
    absl::StatusOr<incident::Cause> cause = incident::ParseCause(o_->cause);
    if (!cause.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("--cause: {}", common::FromAbsl(cause.status().message())));
    }
    return *cause;
  }

  absl::StatusOr<incident::ReportKind> KindArgument() const {
    absl::StatusOr<incident::ReportKind> kind = incident::ParseReportKind(o_->kind);
    if (!kind.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("--kind: {}", common::FromAbsl(kind.status().message())));
    }
    return *kind;
  }

  absl::StatusOr<notice::Language> LanguageArgument() const {
    std::optional<notice::Language> language = notice::ParseLanguage(o_->lang);
    if (!language) return absl::InvalidArgumentError("--lang: expected ja or en");
    return *language;
  }

  // The scope options as the API's JSON scope. --from/--to go with --actor
  // or --recipient; --category and --encrypted-without-keys with --service.
  absl::StatusOr<json> ScopeBody() const {
    const IncidentOptions& o = *o_;
    json scope = json::object();
    const bool window = !o.actor.empty() || !o.recipient.empty();
    if (window && (o.from.empty() || o.to.empty())) {
      return absl::InvalidArgumentError("--from and --to are required with --actor or --recipient");
    }
    if (!window && (!o.from.empty() || !o.to.empty())) {
      return absl::InvalidArgumentError("--from and --to go with --actor or --recipient");
    }
    if (!o.from.empty()) RETURN_IF_ERROR(DayOrTimeArgument("--from", o.from).status());
    if (!o.to.empty()) RETURN_IF_ERROR(DayOrTimeArgument("--to", o.to).status());
    if (!o.actor.empty()) {
      scope["actors"] = json::array({{{"actor", o.actor}, {"from", o.from}, {"to", o.to}}});
    }
    if (!o.recipient.empty()) {
      scope["recipients"] =
          json::array({{{"recipient", o.recipient}, {"from", o.from}, {"to", o.to}}});
    }
    if (!o.subjects.empty()) scope["subjects"] = o.subjects;
    if (o.service.empty() && (!o.categories.empty() || o.encrypted_without_keys)) {
      return absl::InvalidArgumentError(
          "--category and --encrypted-without-keys go with --service");
    }
    if (!o.service.empty()) {
      scope["services"] = json::array({{{"service", o.service},
                                        {"categories", o.categories},
                                        {"encrypted_without_keys", o.encrypted_without_keys}}});
    }
    if (scope.empty()) {
      return absl::InvalidArgumentError(
          "give the scope: --actor/--recipient with --from and --to, --subject, or --service");
    }
    return scope;
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
  std::shared_ptr<IncidentOptions> o_;
};

void AddScopeOptions(CLI::App* command, IncidentOptions& o) {
  command->add_option("--actor", o.actor, "Scope: everything this actor read, found or provided");
  command->add_option("--recipient", o.recipient,
                      "Scope: everything provided to this recipient, trustee or joint user");
  command->add_option("--from", o.from,
                      "Window start (with --actor or --recipient): YYYY-MM-DD or RFC 3339");
  command->add_option("--to", o.to,
                      "Window end, exclusive; a date includes that whole day: YYYY-MM-DD or "
                      "RFC 3339");
  command->add_option("--subject", o.subjects, "Scope: this subject's data (repeatable)");
  command->add_option("--service", o.service, "Scope: every subject's records of this service");
  command->add_option("--category", o.categories,
                      "With --service: only these categories (repeatable; default all)");
  command->add_flag("--encrypted-without-keys", o.encrypted_without_keys,
                    "With --service: the leaked copies were encrypted and their keys did not "
                    "leave");
}

}  // namespace

void AddIncidentCommands(CLI::App& app, CommandHost& host) {
  auto o = std::make_shared<IncidentOptions>();
  auto commands = std::make_shared<IncidentCommands>(host, o);

  auto* incident = app.add_subcommand("incident", "Leakage incidents (docs/incidents.md)");
  incident->require_subcommand(1);

  auto* open = incident->add_subcommand(
      "open", "Record an incident; its affected set is computed from the ledger");
  host.AddDataOptions(open);
  open->add_option("--description", o->description, "What happened (kept with the incident)")
      ->required();
  open->add_option("--cause", o->cause,
                   "unauthorized_access, insider, misdelivery, loss, vulnerability or other")
      ->required();
  open->add_option("--discovered", o->discovered,
                   "When the operator learned of it: YYYY-MM-DD or RFC 3339; default now");
  open->add_option("--occurred", o->occurred, "When it happened, if known");
  open->add_flag("--suspected", o->suspected, "Suspected, not (yet) confirmed");
  AddScopeOptions(open, *o);
  host.Action(open, [commands] { return commands->Open(); });

  auto* scope = incident->add_subcommand(
      "scope", "Replace an incident's scope and recompute its affected set");
  host.AddDataOptions(scope);
  scope->add_option("--id", o->id, "Incident id (inc_...)")->required();
  AddScopeOptions(scope, *o);
  host.Action(scope, [commands] { return commands->Scope(); });

  auto* list = incident->add_subcommand("list", "Every incident, newest first");
  host.AddDataOptions(list);
  host.Action(list, [commands] { return commands->List(); });

  auto add_by_id = [&](const char* name, const char* help) {
    auto* command = incident->add_subcommand(name, help);
    host.AddDataOptions(command);
    command->add_option("--id", o->id, "Incident id (inc_...)")->required();
    return command;
  };
  auto* show = add_by_id("show", "An incident: facts, reportability, reports and deadlines");
  host.Action(show, [commands] { return commands->Show(); });
  auto* subjects = add_by_id("subjects", "The affected subjects and their categories");
  host.Action(subjects, [commands] { return commands->Subjects(); });
  auto* timeline = add_by_id("timeline", "Every recorded action on the incident (ledger)");
  host.Action(timeline, [commands] { return commands->Timeline(); });

  auto* narrative =
      add_by_id("narrative",
                "What only the officer knows, for the reports and notices (options not given "
                "are kept)");
  narrative->add_option("--secondary-damage", o->secondary_damage, "Secondary damage or its risk");
  narrative->add_option("--response", o->response, "What was done for the affected persons");
  narrative->add_option("--publication", o->publication, "Whether and how it was made public");
  narrative->add_option("--recurrence-prevention", o->recurrence_prevention,
                        "Measures against recurrence");
  narrative->add_option("--other", o->other, "Anything else of use");
  narrative->add_option("--inquiry-desk", o->inquiry_desk,
                        "Where affected persons ask (default: the policy's contact)");
  host.Action(narrative, [commands] { return commands->Narrative(); });

  auto* report = add_by_id("report", "Record that a required report was submitted");
  report->add_option("--kind", o->kind, "appi_preliminary, appi_final, tba_prompt, tba_detailed")
      ->required();
  report->add_option("--submitted", o->submitted, "When: YYYY-MM-DD or RFC 3339; default now");
  report->add_option("--reference", o->reference, "The authority's receipt number or the like");
  host.Action(report, [commands] { return commands->Report(); });

  auto* draft = add_by_id("draft", "The draft of a report with every statutory field");
  draft->add_option("--kind", o->kind, "appi_preliminary, appi_final, tba_prompt, tba_detailed")
      ->required();
  draft->add_option("--lang", o->lang, "ja (default) or en");
  draft->add_option("--html", o->html,
                    "Write a printable HTML page to this file instead of printing JSON");
  host.Action(draft, [commands] { return commands->Draft(); });

  auto* notices = add_by_id(
      "notices", "One notice per affected person, for the mailing system (each a decided read)");
  notices->add_option("--actor", o->actor,
                      "Acting employee (actor id); required, except with --server");
  notices->add_option("--purpose", o->purpose,
                      "Purpose the contact data is read under (default dpv:CustomerCare)");
  notices->add_option("--lang", o->lang, "ja (default) or en");
  host.Action(notices, [commands] { return commands->Notices(); });

  auto* close = add_by_id("close", "Close the incident (its scope can no longer change)");
  host.Action(close, [commands] { return commands->Close(); });
}

}  // namespace mamori::cli
