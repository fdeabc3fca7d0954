#include "cli/provision_commands.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "cli/arguments.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "engine/json_views.h"
#include "policy/decision.h"

namespace mamori::cli {
namespace {

using nlohmann::json;

// The options of the provision commands, bound by CLI11 and read by the
// actions after parsing. Shared by the bindings and the actions, which
// CLI11 keeps as std::function (copyable), so not a unique_ptr.
struct ProvisionOptions {
  std::string actor, recipient, purpose, ground, reason;
  std::vector<std::string> subjects, categories;
  std::string subject;  // provision records, provision receive
  // provision receive
  std::string provider_name, provider_address, provider_representative, how_obtained, received;
  bool opt_out = false;
  // trustee
  std::string trustee, date, result, subcontractor, scope;
  bool overdue = false;
};

// The first denied decision of a provide answer, for the line on stderr.
json FirstDecision(const json& answer) {
  if (answer.is_object() && answer.contains("decisions") && answer["decisions"].is_array() &&
      !answer["decisions"].empty()) {
    return answer["decisions"][0].value("decision", json::object());
  }
  return json::object();
}

class ProvisionCommands {
 public:
  ProvisionCommands(CommandHost& host, std::shared_ptr<ProvisionOptions> options)
      : host_(host), o_(std::move(options)) {}

  // --- provide ---

  absl::StatusOr<json> Provide() {
    const ProvisionOptions& o = *o_;
    if (host_.UsesServer() && !o.actor.empty()) {
      return absl::InvalidArgumentError(
          "--actor: with --server the token's actor acts; leave --actor out");
    }
    if (!host_.UsesServer() && o.actor.empty()) {
      return absl::InvalidArgumentError("--actor is required");
    }
    engine::ProvideRequest request{o.actor,      o.recipient,           o.purpose, o.subjects,
                                   o.categories, policy::Ground::kNone, o.reason};
    if (!o.ground.empty()) {
      std::optional<policy::Ground> g = policy::ParseGround(o.ground);
      if (!g || *g == policy::Ground::kNone) {
        return absl::InvalidArgumentError(fmt::format("--ground: unknown ground \"{}\"", o.ground));
      }
      request.ground = *g;
    }
    if (host_.UsesServer()) {
      json body = {{"recipient", o.recipient},
                   {"purpose", o.purpose},
                   {"subjects", o.subjects},
                   {"categories", o.categories}};
      if (!o.ground.empty()) body["ground"] = o.ground;
      if (!o.reason.empty()) body["reason"] = o.reason;
      ASSIGN_OR_RETURN(const RemoteServer* server, host_.Server());
      ASSIGN_OR_RETURN(RemoteReply reply, server->Post("/v1/provisions", body));
      if (reply.denied) host_.ReportDenial(FirstDecision(reply.body));
      return std::move(reply.body);
    }
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(engine::ProvideResult r, eng.Provide(request));
      json out = engine::ProvideResultJson(request, r);
      if (r.payload.is_null()) host_.ReportDenial(FirstDecision(out));
      return out;
    });
  }

  // --- provision records, provision receive ---

  absl::StatusOr<json> Records() {
    const ProvisionOptions& o = *o_;
    if (o.subject.empty() == o.recipient.empty()) {
      return absl::InvalidArgumentError("give either --subject or --recipient");
    }
    if (host_.UsesServer()) {
      return Get(o.subject.empty() ? fmt::format("/v1/provisions/records?recipient={}",
                                                 RemoteServer::Segment(o.recipient))
                                   : fmt::format("/v1/provisions/records?subject={}",
                                                 RemoteServer::Segment(o.subject)));
    }
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(engine::ProvisionRecords records,
                       eng.ListProvisionRecords(o.subject, o.recipient));
      return engine::ProvisionRecordsJson(records, /*by_subject=*/!o.subject.empty());
    });
  }

  absl::StatusOr<json> Receive() {
    const ProvisionOptions& o = *o_;
    engine::ReceiptSpec spec;
    spec.provider_name = o.provider_name;
    spec.provider_address = o.provider_address;
    spec.provider_representative = o.provider_representative;
    spec.how_obtained = o.how_obtained;
    spec.by_opt_out = o.opt_out;
    if (!o.subject.empty()) spec.subject = o.subject;
    spec.categories = o.categories;
    if (!o.received.empty()) {
      ASSIGN_OR_RETURN(common::DayOrTime at, DayOrTimeArgument("--received", o.received));
      spec.received_at = at.time;
      spec.received_on = at.day;
    }
    if (host_.UsesServer()) {
      json body = {{"provider_name", o.provider_name},
                   {"provider_address", o.provider_address},
                   {"provider_representative", o.provider_representative},
                   {"how_obtained", o.how_obtained},
                   {"by_opt_out", o.opt_out},
                   {"categories", o.categories}};
      if (!o.subject.empty()) body["subject"] = o.subject;
      if (!o.received.empty()) body["received_at"] = o.received;
      return Post("/v1/provisions/receipts", body);
    }
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(store::ReceiptRow row, eng.RecordReceipt(host_.AdminActor(), spec));
      return engine::ReceiptJson(row);
    });
  }

  // --- trustee ---

  absl::StatusOr<json> RecordAudit() {
    const ProvisionOptions& o = *o_;
    ASSIGN_OR_RETURN(common::DayOrTime at, DayOrTimeArgument("--date", o.date));
    if (host_.UsesServer()) {
      return Post(fmt::format("/v1/trustees/{}/audits", RemoteServer::Segment(o.trustee)),
                  {{"audited_at", o.date}, {"result", o.result}});
    }
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(
          store::TrusteeAuditRow row,
          eng.RecordTrusteeAudit(host_.AdminActor(), {o.trustee, at.time, at.day, o.result}));
      return engine::TrusteeAuditJson(row);
    });
  }

  absl::StatusOr<json> List() {
    const ProvisionOptions& o = *o_;
    if (host_.UsesServer()) {
      return Get(o.overdue ? "/v1/trustees?overdue=true" : "/v1/trustees");
    }
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(std::vector<engine::TrusteeStatus> trustees, eng.ListTrustees(o.overdue));
      json out = json::array();
      for (const engine::TrusteeStatus& t : trustees) out.push_back(engine::TrusteeStatusJson(t));
      return json{{"trustees", std::move(out)}};
    });
  }

  absl::StatusOr<json> ApproveSubcontractor() {
    const ProvisionOptions& o = *o_;
    if (host_.UsesServer()) {
      return Post(fmt::format("/v1/trustees/{}/subcontractors", RemoteServer::Segment(o.trustee)),
                  {{"subcontractor", o.subcontractor}, {"scope", o.scope}});
    }
    return host_.WithEngine([&](engine::Engine& eng) -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(
          store::ReentrustmentRow row,
          eng.ApproveReentrustment(host_.AdminActor(), o.trustee, o.subcontractor, o.scope));
      return engine::ReentrustmentJson(row);
    });
  }

 private:
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
  std::shared_ptr<ProvisionOptions> o_;
};

}  // namespace

void AddProvisionCommands(CLI::App& app, CommandHost& host) {
  auto o = std::make_shared<ProvisionOptions>();
  auto commands = std::make_shared<ProvisionCommands>(host, o);

  auto* provide = app.add_subcommand(
      "provide",
      "Provide subjects' data to a third party, trustee or joint user, if allowed (recorded)");
  host.AddDataOptions(provide);
  provide->add_option("--actor", o->actor,
                      "Acting employee or system (actor id); required, except with --server, "
                      "where the token's actor acts");
  provide->add_option("--recipient", o->recipient, "Recipient, trustee or group company id")
      ->required();
  provide->add_option("--purpose", o->purpose, "Purpose of the provision (purpose id)")->required();
  provide->add_option("--subject", o->subjects, "Subject id (repeatable)")->required();
  provide->add_option("--category", o->categories, "Data category id (repeatable)")->required();
  provide->add_option("--ground", o->ground,
                      "Art. 27(1) ground: law, life_body_property, public_health_child, "
                      "government_cooperation, academic_research, warrant, imminent_danger");
  provide->add_option("--reason", o->reason, "Written reason for the ground (required with it)");
  host.Action(provide, [commands] { return commands->Provide(); });

  auto* provision =
      app.add_subcommand("provision", "Records of provision (APPI Art. 29) and receipt (Art. 30)");
  provision->require_subcommand(1);
  auto* records = provision->add_subcommand(
      "records", "A subject's provision and receipt records, or those of provisions to a party");
  host.AddDataOptions(records);
  records->add_option("--subject", o->subject, "Subject id");
  records->add_option("--recipient", o->recipient, "Recipient, trustee or group company id");
  host.Action(records, [commands] { return commands->Records(); });

  auto* receive = provision->add_subcommand(
      "receive", "Record data received from another operator, with the Art. 30 checks");
  host.AddDataOptions(receive);
  receive->add_option("--provider-name", o->provider_name, "The provider's name")->required();
  receive->add_option("--provider-address", o->provider_address, "The provider's address")
      ->required();
  receive
      ->add_option("--provider-representative", o->provider_representative,
                   "The provider's representative")
      ->required();
  receive->add_option("--how-obtained", o->how_obtained, "How the provider obtained the data")
      ->required();
  receive->add_option("--category", o->categories, "Data category id (repeatable)")->required();
  receive->add_option("--subject", o->subject, "The subject the data is about, if known here");
  receive->add_flag("--opt-out", o->opt_out, "The provider provided it by opt-out (Art. 27(2))");
  receive->add_option("--received", o->received,
                      "When it was received: YYYY-MM-DD (operator's time zone) or an RFC 3339 "
                      "time; default now");
  host.Action(receive, [commands] { return commands->Receive(); });

  auto* trustee = app.add_subcommand("trustee", "Supervision of trustees (APPI Art. 25)");
  trustee->require_subcommand(1);
  auto* audit = trustee->add_subcommand("audit", "Audits of trustees");
  audit->require_subcommand(1);
  auto* record = audit->add_subcommand("record", "Record a completed audit of a trustee");
  host.AddDataOptions(record);
  record->add_option("--trustee", o->trustee, "Trustee id from the policy")->required();
  record
      ->add_option("--date", o->date,
                   "When it was done: YYYY-MM-DD (operator's time zone) or an RFC 3339 time")
      ->required();
  record->add_option("--result", o->result, "What the audit found")->required();
  host.Action(record, [commands] { return commands->RecordAudit(); });

  auto* list = trustee->add_subcommand(
      "list", "The policy's trustees: contracts, last audit, next due, subcontractors");
  host.AddDataOptions(list);
  list->add_flag("--overdue", o->overdue, "Only trustees whose audit is overdue");
  host.Action(list, [commands] { return commands->List(); });

  auto* approve = trustee->add_subcommand(
      "approve-subcontractor", "Approve that a trustee re-entrusts handling to a subcontractor");
  host.AddDataOptions(approve);
  approve->add_option("--trustee", o->trustee, "Trustee id from the policy")->required();
  approve->add_option("--subcontractor", o->subcontractor, "The subcontractor's name")->required();
  approve->add_option("--scope", o->scope, "What it may handle")->required();
  host.Action(approve, [commands] { return commands->ApproveSubcontractor(); });
}

}  // namespace mamori::cli
