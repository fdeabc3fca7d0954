#include "cli/cli.h"

#include <fmt/format.h>
#include <pwd.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "cli/arguments.h"
#include "cli/audit_commands.h"
#include "cli/incident_commands.h"
#include "cli/notice_command.h"
#include "cli/provision_commands.h"
#include "cli/remote.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "engine/consent_receipt.h"
#include "engine/engine.h"
#include "engine/json_views.h"
#include "ledger/proof.h"
#include "ledger/stored_tree.h"
#include "ledger/verify.h"
#include "policy/decision.h"
#include "policy/policy_file.h"
#include "policy/policy_json.h"
#include "server/api.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/sweep_schedule.h"
#include "store/sqlite_store.h"
#include "vault/data_directory.h"

namespace mamori::cli {
namespace {

using nlohmann::json;
using vault::DataDirectory;

constexpr char kDefaultDataDir[] = "./mamori-data";

// The value of environment variable `name`, or "".
std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// Where the data directory and master key are, from flags, the environment
// or the defaults (DESIGN.md, "Keys").
struct Location {
  std::string data_dir;
  std::string master_key;

  std::string ResolvedDataDir() const {
    if (!data_dir.empty()) return data_dir;
    if (const char* env = std::getenv("MAMORI_DATA"); env != nullptr && *env != '\0') return env;
    return kDefaultDataDir;
  }
  std::string ResolvedMasterKey() const {
    if (!master_key.empty()) return master_key;
    if (const char* env = std::getenv("MAMORI_MASTER_KEY"); env != nullptr && *env != '\0') {
      return env;
    }
    return vault::DefaultMasterKeyPath(ResolvedDataDir());
  }
};

// Administrative CLI writes are recorded as actor `admin:<os user>`.
std::string AdminActor() {
  const passwd* pw = ::getpwuid(::geteuid());
  return fmt::format("admin:{}", pw != nullptr ? pw->pw_name : std::to_string(::geteuid()));
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("cannot read {}", path));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

absl::StatusOr<std::unique_ptr<DataDirectory>> OpenData(const Location& loc,
                                                        DataDirectory::Access access) {
  return DataDirectory::Open(loc.ResolvedDataDir(), loc.ResolvedMasterKey(), access,
                             common::SystemClock::Instance(), common::SodiumRandom::Instance());
}

// The store alone, for the ledger commands an auditor runs without the
// master key.
absl::StatusOr<std::unique_ptr<store::Store>> OpenStoreOnly(const Location& loc) {
  return store::OpenSqliteStore(loc.ResolvedDataDir(), {.create = false});
}

absl::StatusOr<absl::Time> TimeArgument(std::string_view flag, const std::string& text) {
  absl::StatusOr<absl::Time> t = common::ParseTimestamp(text);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", flag, common::FromAbsl(t.status().message())));
  }
  return *t;
}

// Shows progress on a terminal (imports, sweeps): a bar with a percentage
// and a count.
class ProgressBar {
 public:
  // Shows "<verb> [###   ]  42%  <count> <unit>".
  ProgressBar(std::ostream& err, int64_t total, std::string verb = "importing",
              std::string unit = "lines")
      : err_(err),
        total_(total),
        enabled_(::isatty(STDERR_FILENO) == 1 && total > 0),
        verb_(std::move(verb)),
        unit_(std::move(unit)) {}
  // For totals learnt once the work has begun.
  void SetTotal(int64_t total) {
    if (total > 0) total_ = total;
  }
  // `done` of the total so far, shown as `count` units.
  void Update(int64_t done, int64_t count) {
    if (!enabled_) return;
    constexpr int kWidth = 30;
    double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    // Redraw only when the percentage moves: a terminal is slow to write.
    int percent = static_cast<int>(fraction * 100);
    if (percent == last_percent_) return;
    last_percent_ = percent;
    int filled = static_cast<int>(fraction * kWidth);
    err_ << fmt::format("\r{} [{}{}] {:3.0f}%  {} {}", verb_, std::string(filled, '#'),
                        std::string(kWidth - filled, ' '), fraction * 100, count, unit_)
         << std::flush;
    shown_ = true;
  }
  void Finish() {
    if (shown_) err_ << "\n";
  }

 private:
  std::ostream& err_;
  int64_t total_;
  bool enabled_;
  std::string verb_, unit_;
  bool shown_ = false;
  int last_percent_ = -1;
};

struct Outcome {
  absl::Status status;
  std::optional<json> output;
};

// A string field of an answer from the server, or "".
std::string StringField(const json& object, std::string_view key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// One request to a running server: GET, or POST with a JSON body (or,
// when `text` is set, with that body as `content_type`).
struct ServerRequest {
  bool post = false;
  std::string target;
  json body;
  std::optional<std::string> text = std::nullopt;
  std::string content_type = {};
};
ServerRequest Get(std::string target) { return {false, std::move(target), json()}; }
ServerRequest Post(std::string target, json body) {
  return {true, std::move(target), std::move(body)};
}
ServerRequest PostText(std::string target, std::string text, std::string content_type) {
  return {true, std::move(target), json(), std::move(text), std::move(content_type)};
}

class CommandLine {
 public:
  CommandLine(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  int Run(int argc, char** argv) {
    CLI::App app{"mamori: personal-information protection engine for telecom operators", "mamori"};
    app.require_subcommand(1);
    app.set_help_all_flag("--help-all", "Show help for every command");
    AddInit(app);
    AddPolicy(app);
    AddNoticeCommands(app, out_,
                      [this](CLI::App* cmd, auto body) { Action(cmd, std::move(body)); });
    AddSubject(app);
    AddRecord(app);
    AddImport(app);
    AddFind(app);
    AddDecide(app);
    AddActor(app);
    AddTraining(app);
    AddConsent(app);
    AddStopOrder(app);
    AddHold(app);
    AddContract(app);
    AddRetention(app);
    AddLedger(app);
    AddToken(app);
    AddServe(app);
    AddStatus(app);
    AddProvisionCommands(app, host_);
    AddIncidentCommands(app, host_);
    AddAuditCommands(app, host_);
    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
      out_ << app.help();
      return 0;
    } catch (const CLI::CallForAllHelp& e) {
      out_ << app.help("", CLI::AppFormatMode::All);
      return 0;
    } catch (const CLI::ParseError& e) {
      err_ << "mamori: " << e.what() << "\n";
      err_ << "Run with --help for usage.\n";
      return common::kExitBadInput;
    }
    if (!outcome_.status.ok()) {
      err_ << "mamori: "
           << (outcome_.status.code() == absl::StatusCode::kDataLoss ? "integrity failure: "
                                                                     : "error: ")
           << outcome_.status.message() << "\n";
      return common::ExitCodeFor(outcome_.status);
    }
    if (outcome_.output) out_ << outcome_.output->dump(2) << "\n";
    return exit_code_;
  }

 private:
  // Runs `fn` as the selected command's action and keeps its outcome.
  void Action(CLI::App* cmd, std::function<absl::StatusOr<json>()> fn) {
    cmd->callback([this, fn = std::move(fn)] {
      absl::Status usage = CheckServerOptions();
      absl::StatusOr<json> r = usage.ok() ? fn() : absl::StatusOr<json>(usage);
      if (r.ok()) {
        if (!r->is_null()) outcome_.output = std::move(*r);
      } else {
        outcome_.status = r.status();
      }
    });
  }

  // Opens the data directory for writing, runs `fn` on its engine, and
  // stops the engine (which signs a tree head over what the command did).
  absl::StatusOr<json> WithEngine(
      const std::function<absl::StatusOr<json>(DataDirectory&, engine::Engine&)>& fn) {
    ASSIGN_OR_RETURN(auto dir, OpenData(loc_, DataDirectory::Access::kWrite));
    ASSIGN_OR_RETURN(auto eng, engine::Engine::Start(*dir, common::SystemClock::Instance(),
                                                     common::SodiumRandom::Instance()));
    absl::StatusOr<json> result = fn(*dir, *eng);
    absl::Status stopped = eng->Stop();
    if (result.ok() && !stopped.ok()) return stopped;
    return result;
  }

  // A denial: exit 3, the decision on stdout, one line on stderr.
  void ReportDenial(const policy::Decision& d) { ReportDenial(engine::DecisionJson(d, 0)); }
  void ReportDenial(const json& decision) {
    exit_code_ = common::kExitDenied;
    const std::string why = StringField(decision, "explanation");
    err_ << "mamori: denied: " << StringField(decision, "reason_code") << " ("
         << (why.empty() ? fmt::format("rule {}", StringField(decision, "rule_id")) : why) << ")\n";
  }

  // A value given as "-" is read from standard input, so that it need not
  // appear in the shell history or the process list. Only one option of a
  // command can do so.
  absl::StatusOr<std::string> ValueArgument(std::string_view flag, const std::string& value) {
    if (value != "-") return value;
    if (!stdin_read_by_.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("{}: standard input is already read for {}; only one option can be -", flag,
                      stdin_read_by_));
    }
    stdin_read_by_ = flag;
    std::string text(std::istreambuf_iterator<char>(std::cin), {});
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
  }

  // --- Through a running server (DESIGN.md, "One writer") ---
  //
  // The data commands take --server URL --token T (or MAMORI_SERVER and
  // MAMORI_TOKEN) and then send the matching API request instead of opening
  // the data directory, printing what the direct command prints as far as
  // the API returns it, with the same exit codes. Each command has a small
  // branch `if (UsesServer()) return OnServer(...)`.

  void AddServerOptions(CLI::App* cmd) {
    cmd->add_option("--server", server_.url,
                    "Run through the mamori server at this URL (env MAMORI_SERVER), e.g. "
                    "http://127.0.0.1:8080");
    cmd->add_option("--token", server_.token,
                    "Bearer token for --server (env MAMORI_TOKEN); - reads it from stdin");
    cmd->add_flag("--insecure", server_.insecure,
                  "With an https --server: skip the certificate check (self-signed test "
                  "certificates only)");
  }

  // --server, or MAMORI_SERVER unless --data or --master-key names a
  // directory to open.
  bool UsesServer() const {
    if (!server_.url.empty()) return true;
    return loc_.data_dir.empty() && loc_.master_key.empty() && !Env("MAMORI_SERVER").empty();
  }

  // --token and --insecure mean nothing without a server.
  absl::Status CheckServerOptions() const {
    if (!UsesServer() && (!server_.token.empty() || server_.insecure)) {
      return absl::InvalidArgumentError(
          "--token and --insecure go with --server URL (or MAMORI_SERVER)");
    }
    return absl::OkStatus();
  }

  // The server of this command, with its token (read once).
  absl::StatusOr<const RemoteServer*> Server() {
    if (remote_) return &*remote_;
    if (!loc_.data_dir.empty() || !loc_.master_key.empty()) {
      return absl::InvalidArgumentError(
          "--server: give either --server or --data/--master-key, not both");
    }
    const std::string url = server_.url.empty() ? Env("MAMORI_SERVER") : server_.url;
    std::string token = server_.token.empty() ? Env("MAMORI_TOKEN") : server_.token;
    ASSIGN_OR_RETURN(token, ValueArgument("--token", token));
    if (token.empty()) {
      return absl::InvalidArgumentError(
          "--token: a bearer token is required with --server (or set MAMORI_TOKEN)");
    }
    ASSIGN_OR_RETURN(RemoteServer server,
                     RemoteServer::Create({url, std::move(token), server_.insecure}));
    remote_.emplace(std::move(server));
    return &*remote_;
  }

  // Sends `request` to the server. `shape` turns the answer into what the
  // direct command prints (by default the answer itself). A denial is
  // reported as the direct command reports it: exit 3, the decision on
  // stdout (as {"decision": ...} when `wrap_denial`), one line on stderr.
  absl::StatusOr<json> OnServer(ServerRequest request,
                                const std::function<json(json&)>& shape = nullptr,
                                bool wrap_denial = false) {
    ASSIGN_OR_RETURN(const RemoteServer* server, Server());
    ASSIGN_OR_RETURN(RemoteReply reply,
                     !request.post  ? server->Get(request.target)
                     : request.text ? server->PostText(request.target, std::move(*request.text),
                                                       request.content_type)
                                    : server->Post(request.target, request.body));
    if (reply.denied) {
      ReportDenial(reply.body);
      return wrap_denial ? json{{"decision", std::move(reply.body)}} : std::move(reply.body);
    }
    if (!shape) return std::move(reply.body);
    try {
      return shape(reply.body);
    } catch (const json::exception& e) {
      return absl::UnknownError(
          fmt::format("unexpected answer from the server at {}: {}", server->url(), e.what()));
    }
  }

  // find, read and decide act as --actor, or through a server as the
  // token's actor.
  absl::Status ActorArgument() const {
    if (UsesServer() && !actor_.empty()) {
      return absl::InvalidArgumentError(
          "--actor: with --server the token's actor acts; leave --actor out");
    }
    if (!UsesServer() && actor_.empty()) {
      return absl::InvalidArgumentError("--actor is required");
    }
    return absl::OkStatus();
  }

  void AddActorOption(CLI::App* cmd) {
    cmd->add_option("--actor", actor_,
                    "Acting employee or system (actor id); required, except with --server, "
                    "where the token's actor acts");
  }

  void AddLocation(CLI::App* cmd, bool with_master_key = true) {
    cmd->add_option("--data", loc_.data_dir,
                    "Data directory (env MAMORI_DATA, default ./mamori-data)");
    if (with_master_key) {
      cmd->add_option("--master-key", loc_.master_key,
                      "Master key file (env MAMORI_MASTER_KEY, default DIR.master.key)");
    }
  }

  void AddInit(CLI::App& app) {
    auto* cmd = app.add_subcommand("init", "Create a data directory from a policy file");
    AddLocation(cmd);
    cmd->add_option("--policy", policy_path_, "Policy file (TOML)")->required();
    Action(cmd, [this]() -> absl::StatusOr<json> {
      vault::InitOptions options{loc_.ResolvedDataDir(), policy_path_, loc_.ResolvedMasterKey(),
                                 AdminActor()};
      ASSIGN_OR_RETURN(vault::InitResult r,
                       vault::InitDataDirectory(options, common::SystemClock::Instance(),
                                                common::SodiumRandom::Instance()));
      // The ledger starts now: its first entry records policy version 1, under
      // a signed tree head.
      RETURN_IF_ERROR(WithEngine([](DataDirectory&, engine::Engine&) -> absl::StatusOr<json> {
                        return json();
                      }).status());
      err_ << "Created " << r.data_dir << "; master key written to " << r.master_key_path
           << " (mode 0600). Keep it apart from backups of the data directory.\n";
      return json{{"data", r.data_dir},
                  {"master_key", r.master_key_path},
                  {"policy_version", r.policy_version},
                  {"signing_public_key", r.signing_public_key_hex}};
    });
  }

  void AddPolicy(CLI::App& app) {
    auto* policy = app.add_subcommand("policy", "Check, show and load policy files");
    policy->require_subcommand(1);

    auto* check = policy->add_subcommand(
        "check", "Validate a policy file; every problem as FILE:LINE:COL: message");
    check->add_option("file", policy_path_, "Policy file (TOML)")->required();
    Action(check, [this]() -> absl::StatusOr<json> {
      policy::PolicyCheckResult r = policy::CheckPolicyFile(policy_path_);
      if (!r.problems.empty()) {
        for (const policy::PolicyProblem& p : r.problems) err_ << p.ToString() << "\n";
        return absl::InvalidArgumentError(fmt::format("{}: {} problem{} found", policy_path_,
                                                      r.problems.size(),
                                                      r.problems.size() == 1 ? "" : "s"));
      }
      const policy::Policy& p = *r.policy;
      return json{{"file", policy_path_},
                  {"valid", true},
                  {"counts",
                   {{"services", p.services.size()},
                    {"categories", p.categories.size()},
                    {"purposes", p.purposes.size()},
                    {"retention", p.retention.size()},
                    {"roles", p.roles.size()},
                    {"courses", p.courses.size()},
                    {"trustees", p.trustees.size()},
                    {"recipients", p.recipients.size()},
                    {"joint_uses", p.joint_uses.size()}}}};
    });

    auto* show = policy->add_subcommand("show", "Print the compiled policy as JSON");
    show->add_option("file", policy_path_, "Policy file (TOML); or give --data");
    AddLocation(show);
    show->add_option("--version", policy_version_, "With --data: this stored version");
    Action(show, [this]() -> absl::StatusOr<json> {
      if (!policy_path_.empty() && !loc_.data_dir.empty()) {
        return absl::InvalidArgumentError("give either a policy FILE or --data, not both");
      }
      if (!policy_path_.empty()) {
        ASSIGN_OR_RETURN(policy::Policy p, policy::LoadPolicyFile(policy_path_));
        return policy::PolicyToJson(p);
      }
      ASSIGN_OR_RETURN(auto dir, OpenData(loc_, DataDirectory::Access::kReadOnly));
      int64_t version = policy_version_.value_or(dir->policy_version());
      ASSIGN_OR_RETURN(std::optional<store::PolicyVersionRow> row,
                       dir->store().records().GetPolicyVersion(version));
      if (!row) return absl::NotFoundError(fmt::format("--version: no policy version {}", version));
      ASSIGN_OR_RETURN(policy::Policy p, policy::ParsePolicyText(row->source, "stored policy"));
      json j = policy::PolicyToJson(p);
      j["version"] = row->version;
      j["loaded_at"] = common::FormatTimestamp(row->loaded_at);
      j["loaded_by"] = row->loaded_by;
      j["sha256"] = row->source_sha256;
      return j;
    });

    auto* load = policy->add_subcommand(
        "load", "Add a new policy version to a data directory (or a running server's)");
    AddLocation(load);
    AddServerOptions(load);
    load->add_option("file", policy_path_, "Policy file (TOML)")->required();
    Action(load, [this]() -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(std::string text, ReadTextFile(policy_path_));
      if (UsesServer()) {
        return OnServer(
            Post("/v1/policy", {{"toml", text}, {"source", policy_path_}}), [this](json& answer) {
              ReportPolicyLoad(answer.at("version").get<int64_t>(),
                               answer.at("unchanged").get<bool>(), StringField(answer, "summary"));
              return answer;
            });
      }
      vault::PolicyLoadResult r;
      RETURN_IF_ERROR(WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
                        ASSIGN_OR_RETURN(r, eng.LoadPolicy(AdminActor(), text, policy_path_));
                        return json();
                      }).status());
      ReportPolicyLoad(r.version, r.unchanged, r.summary);
      return json{{"version", r.version},
                  {"unchanged", r.unchanged},
                  {"summary", r.summary},
                  {"changes", r.diff}};
    });
  }

  void ReportPolicyLoad(int64_t version, bool unchanged, const std::string& summary) {
    err_ << (unchanged ? "Policy unchanged: " : "Loaded policy version ") << version
         << (unchanged ? "" : ": ") << (unchanged ? "" : summary) << "\n";
  }

  void AddIdentifierOptions(CLI::App* cmd) {
    cmd->add_option("--phone", phone_, "Phone number (any common format)");
    cmd->add_option("--email", email_, "Email address");
    cmd->add_option("--contract", contract_, "Contract number");
    cmd->add_option("--name", name_, "Name");
    cmd->add_option("--birth-date", birth_date_, "Birth date, YYYY-MM-DD");
  }

  void AddLanguageOption(CLI::App* cmd, const std::string& help) {
    cmd->add_option("--language", language_, help)->check(CLI::IsMember({"ja", "en"}));
  }

  vault::SubjectIdentifiers Identifiers() const {
    return {phone_, email_, contract_, name_, birth_date_};
  }

  // The identifiers given, as the API names them.
  json IdentifiersJson() const {
    json out = json::object();
    for (const auto& [field, value] : {std::pair{"phone", &phone_},
                                       {"email", &email_},
                                       {"contract", &contract_},
                                       {"name", &name_},
                                       {"birth_date", &birth_date_}}) {
      if (*value) out[field] = **value;
    }
    return out;
  }

  void AddSubject(CLI::App& app) {
    auto* subject = app.add_subcommand("subject", "Customers (data subjects)");
    subject->require_subcommand(1);

    auto* add = subject->add_subcommand("add", "Add a subject, indexed by the identifiers given");
    AddLocation(add);
    AddServerOptions(add);
    AddIdentifierOptions(add);
    AddLanguageOption(add, "The language the person chose for notices");
    Action(add, [this]() -> absl::StatusOr<json> {
      vault::SubjectIdentifiers ids = Identifiers();
      if (ids.empty()) {
        return absl::InvalidArgumentError(
            "give at least one of --phone, --email, --contract, --name, --birth-date");
      }
      if (UsesServer()) {
        json body = IdentifiersJson();
        if (language_) body["language"] = *language_;
        // A decided collection there: the token's actor may be denied.
        return OnServer(Post("/v1/subjects", body), [](json& answer) {
          return json{{"subject", answer.at("subject")}};
        });
      }
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(std::string id,
                         eng.AddSubject(AdminActor(), ids, {}, language_.value_or("")));
        return json{{"subject", id}};
      });
    });

    auto* language = subject->add_subcommand(
        "language", "Show, or with --language record, the language a subject chose for notices");
    AddLocation(language);
    AddServerOptions(language);
    language->add_option("--subject", subject_, "Subject id")->required();
    AddLanguageOption(language, "Record this language");
    Action(language, [this]() -> absl::StatusOr<json> {
      const std::string target =
          fmt::format("/v1/subjects/{}/language", RemoteServer::Segment(subject_));
      if (UsesServer()) {
        return OnServer(language_ ? Post(target, json{{"language", *language_}}) : Get(target));
      }
      auto answer = [&](const std::string& chosen) {
        return json{{"subject", subject_}, {"language", chosen.empty() ? json() : json(chosen)}};
      };
      if (!language_) {
        ASSIGN_OR_RETURN(auto dir, OpenData(loc_, DataDirectory::Access::kReadOnly));
        ASSIGN_OR_RETURN(std::optional<store::SubjectRow> row,
                         dir->store().records().GetSubject(subject_));
        if (!row) return absl::NotFoundError(fmt::format("subject {} not found", subject_));
        return answer(row->language);
      }
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        RETURN_IF_ERROR(eng.SetSubjectLanguage(AdminActor(), subject_, *language_));
        return answer(*language_);
      });
    });

    auto* show = subject->add_subcommand("show", "List a subject's records (metadata, no values)");
    AddLocation(show);
    show->add_option("--subject", subject_, "Subject id")->required();
    Action(show, [this]() -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(auto dir, OpenData(loc_, DataDirectory::Access::kReadOnly));
      ASSIGN_OR_RETURN(std::vector<vault::RecordInfo> records, dir->vault().ListRecords(subject_));
      json list = json::array();
      for (const vault::RecordInfo& r : records) {
        list.push_back({{"record", r.id},
                        {"category", r.category},
                        {"service", r.service},
                        {"purposes", r.purposes},
                        {"policy_version", r.policy_version},
                        {"collected_at", common::FormatTimestamp(r.collected_at)}});
      }
      return json{{"subject", subject_}, {"records", list}};
    });
  }

  void AddRecord(CLI::App& app) {
    auto* record = app.add_subcommand("record", "Personal-data records of a subject");
    record->require_subcommand(1);
    auto* add = record->add_subcommand("add", "Store one value, encrypted");
    AddLocation(add);
    AddServerOptions(add);
    add->add_option("--subject", subject_, "Subject id")->required();
    add->add_option("--category", category_, "Data category id from the policy")->required();
    add->add_option("--service", service_, "Service that collected it")->required();
    add->add_option("--value", value_, "The value; - reads it from standard input")->required();
    add->add_option("--collected-at", collected_at_, "When it was collected (RFC 3339 or date)");
    Action(add, [this]() -> absl::StatusOr<json> {
      vault::NewRecord r{category_, service_, "", std::nullopt};
      ASSIGN_OR_RETURN(r.value, ValueArgument("--value", value_));
      if (!collected_at_.empty()) {
        ASSIGN_OR_RETURN(r.collected_at, TimeArgument("--collected-at", collected_at_));
      }
      if (UsesServer()) {
        // The API does not return the record's policy version.
        json item = {{"category", category_}, {"service", service_}, {"value", r.value}};
        if (!collected_at_.empty()) item["collected_at"] = collected_at_;
        return OnServer(
            Post(fmt::format("/v1/subjects/{}/records", RemoteServer::Segment(subject_)),
                 {{"records", json::array({item})}}),
            [](json& answer) {
              return json{{"record", answer.at("records").at(0)},
                          {"subject", answer.at("subject")}};
            });
      }
      return WithEngine([&](DataDirectory& dir, engine::Engine& eng) -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(std::string id, eng.AddRecord(AdminActor(), subject_, r));
        return json{
            {"record", id}, {"subject", subject_}, {"policy_version", dir.policy_version()}};
      });
    });
  }

  // POST /v1/import: the whole file in one request, decided as one
  // collection by the token's actor.
  absl::StatusOr<json> ImportOnServer() {
    if (import_path_ == "-" && server_.token == "-") {
      return absl::InvalidArgumentError(
          "--token -: standard input holds the import; give the token another way");
    }
    std::string text;
    if (import_path_ == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      std::ifstream file(import_path_, std::ios::binary);
      if (!file) return absl::NotFoundError(fmt::format("cannot read {}", import_path_));
      text.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
      if (file.bad()) return absl::DataLossError(fmt::format("cannot read {}", import_path_));
    }
    const absl::Time start = absl::Now();
    absl::StatusOr<json> r = OnServer(
        PostText("/v1/import", std::move(text), "application/x-ndjson"), [&](json& answer) {
          return json{{"lines", answer.at("lines")},
                      {"subjects", answer.at("subjects")},
                      {"records", answer.at("records")},
                      {"seconds", absl::ToDoubleSeconds(absl::Now() - start)},
                      {"decision", answer.at("decision")}};
        });
    if (!r.ok()) {
      return absl::Status(r.status().code(),
                          fmt::format("{}: {} (nothing was imported)", import_path_,
                                      common::FromAbsl(r.status().message())));
    }
    return r;
  }

  void AddImport(CLI::App& app) {
    auto* import = app.add_subcommand("import", "Bulk-load subjects and records from JSONL");
    AddLocation(import);
    import->add_option("file", import_path_, "JSONL file (docs/import-format.md); - for stdin")
        ->required();
    AddServerOptions(import);
    Action(import, [this]() -> absl::StatusOr<json> {
      if (UsesServer()) return ImportOnServer();
      std::ifstream file;
      std::istream* in = &std::cin;
      int64_t total = 0;
      if (import_path_ != "-") {
        file.open(import_path_, std::ios::binary);
        if (!file) return absl::NotFoundError(fmt::format("cannot read {}", import_path_));
        struct stat st {};
        if (::stat(import_path_.c_str(), &st) == 0) total = st.st_size;
        in = &file;
      }
      ProgressBar bar(err_, total);
      absl::Time start = absl::Now();
      absl::StatusOr<vault::ImportSummary> r = absl::UnknownError("not run");
      absl::Status ran =
          WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
            r = eng.Import(AdminActor(), *in,
                           [&](int64_t bytes, int64_t lines) { bar.Update(bytes, lines); });
            return json();
          }).status();
      bar.Finish();
      RETURN_IF_ERROR(ran);
      if (!r.ok()) {
        return absl::Status(r.status().code(),
                            fmt::format("{}: {} (nothing was imported)", import_path_,
                                        common::FromAbsl(r.status().message())));
      }
      double seconds = absl::ToDoubleSeconds(absl::Now() - start);
      return json{{"lines", r->lines},
                  {"subjects", r->subjects},
                  {"records", r->records},
                  {"seconds", seconds}};
    });
  }

  void AddFind(CLI::App& app) {
    auto* find = app.add_subcommand(
        "find", "Find subjects by an identifier, without decrypting (a decided, recorded use)");
    AddLocation(find);
    AddServerOptions(find);
    AddActorOption(find);
    find->add_option("--purpose", purpose_, "Purpose of the search (purpose id)")->required();
    AddIdentifierOptions(find);
    Action(find, [this]() -> absl::StatusOr<json> {
      RETURN_IF_ERROR(ActorArgument());
      std::vector<std::pair<policy::IdentifierKind, const std::optional<std::string>*>> given;
      for (auto [kind, value] : {std::pair{policy::IdentifierKind::kPhone, &phone_},
                                 {policy::IdentifierKind::kEmail, &email_},
                                 {policy::IdentifierKind::kContract, &contract_},
                                 {policy::IdentifierKind::kName, &name_},
                                 {policy::IdentifierKind::kBirthDate, &birth_date_}}) {
        if (value->has_value()) given.emplace_back(kind, value);
      }
      if (given.size() != 1) {
        return absl::InvalidArgumentError(
            "give exactly one of --phone, --email, --contract, --name, --birth-date");
      }
      if (UsesServer()) {
        json body = IdentifiersJson();
        body["purpose"] = purpose_;
        return OnServer(Post("/v1/find", body), nullptr, /*wrap_denial=*/true);
      }
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(engine::FindResult r,
                         eng.Find({actor_, purpose_, given[0].first, **given[0].second}));
        json out = {{"decision", engine::DecisionJson(r.decision, r.entry)}};
        if (r.decision.outcome == policy::Outcome::kDeny) {
          ReportDenial(r.decision);
        } else {
          out["subjects"] = r.subjects;
        }
        return out;
      });
    });
  }

  // decide and read: the same arguments; read also returns the values.
  void AddUseOptions(CLI::App* cmd) {
    AddLocation(cmd);
    AddServerOptions(cmd);
    AddActorOption(cmd);
    cmd->add_option("--purpose", purpose_, "Purpose of the use (purpose id)")->required();
    cmd->add_option("--subject", subject_, "Subject id")->required();
    cmd->add_option("--category", categories_, "Data category id (repeatable)")->required();
    cmd->add_option("--ground", ground_,
                    "Exception ground: law, life_body_property, public_health_child, "
                    "government_cooperation, academic_research, warrant, imminent_danger");
    cmd->add_option("--reason", reason_, "Written reason for the ground (required with it)");
  }

  absl::StatusOr<engine::UseRequest> UseArguments() const {
    RETURN_IF_ERROR(ActorArgument());
    engine::UseRequest request{actor_, purpose_, subject_, categories_, policy::Ground::kNone,
                               reason_};
    if (!ground_.empty()) {
      std::optional<policy::Ground> g = policy::ParseGround(ground_);
      if (!g || *g == policy::Ground::kNone) {
        return absl::InvalidArgumentError(fmt::format("--ground: unknown ground \"{}\"", ground_));
      }
      request.ground = *g;
    }
    return request;
  }

  // The use as the API's /v1/decide and /v1/read take it.
  json UseJson() const {
    json body = {{"subject", subject_}, {"purpose", purpose_}, {"categories", categories_}};
    if (!ground_.empty()) body["ground"] = ground_;
    if (!reason_.empty()) body["reason"] = reason_;
    return body;
  }

  void AddDecide(CLI::App& app) {
    auto* decide = app.add_subcommand("decide", "Decide a use of a subject's data (recorded)");
    AddUseOptions(decide);
    Action(decide, [this]() -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(engine::UseRequest request, UseArguments());
      if (UsesServer()) {
        return OnServer(Post("/v1/decide", UseJson()),
                        [](json& answer) { return answer.at("decision"); });
      }
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(engine::UseResult r, eng.Decide(request));
        if (r.decision.outcome == policy::Outcome::kDeny) ReportDenial(r.decision);
        return engine::DecisionJson(r.decision, r.entry);
      });
    });

    auto* read = app.add_subcommand(
        "read", "Read a subject's values of some categories, if the use is allowed (recorded)");
    AddUseOptions(read);
    Action(read, [this]() -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(engine::UseRequest request, UseArguments());
      if (UsesServer()) {
        return OnServer(Post("/v1/read", UseJson()), [&](json& answer) {
          // Every category asked for, as the direct command lists it.
          json& values = answer["values"];
          for (const std::string& c : request.categories) {
            if (!values.contains(c)) values[c] = json::array();
          }
          return answer;
        });
      }
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(engine::UseResult r, eng.Read(request));
        json decision = engine::DecisionJson(r.decision, r.entry);
        if (r.decision.outcome == policy::Outcome::kDeny) {
          ReportDenial(r.decision);
          return decision;
        }
        json values = json::object();
        for (const std::string& c : request.categories) values[c] = json::array();
        for (auto& [category, list] : r.values) values[category] = list;
        return json{{"subject", subject_}, {"decision", decision}, {"values", values}};
      });
    });
  }

  void AddActor(CLI::App& app) {
    auto* actor = app.add_subcommand("actor", "Employees and system clients");
    actor->require_subcommand(1);
    auto* add = actor->add_subcommand("add", "Add an actor with roles from the policy");
    AddLocation(add);
    AddServerOptions(add);
    add->add_option("--id", target_actor_, "Actor id, e.g. emp:tanaka or sys:billing")->required();
    add->add_option("--role", roles_, "Role id from the policy (repeatable)")->required();
    Action(add, [this]() -> absl::StatusOr<json> {
      if (UsesServer()) {
        return OnServer(Post("/v1/actors", {{"id", target_actor_}, {"roles", roles_}}));
      }
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(store::ActorRow row, eng.AddActor(AdminActor(), target_actor_, roles_));
        return json{{"actor", row.id},
                    {"roles", row.roles},
                    {"created_at", common::FormatTimestamp(row.created_at)}};
      });
    });
    auto* list = actor->add_subcommand("list", "List actors with their roles and training");
    AddLocation(list);
    Action(list, [this]() -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(auto dir, OpenData(loc_, DataDirectory::Access::kReadOnly));
      ASSIGN_OR_RETURN(std::vector<store::ActorRow> actors, dir->store().facts().ListActors());
      json out = json::array();
      for (const store::ActorRow& a : actors) {
        ASSIGN_OR_RETURN(std::vector<store::TrainingRow> trainings,
                         dir->store().facts().ListTrainings(a.id));
        json courses = json::array();
        for (const store::TrainingRow& t : trainings) {
          courses.push_back(
              {{"course", t.course}, {"completed_at", common::FormatTimestamp(t.completed_at)}});
        }
        out.push_back({{"actor", a.id}, {"roles", a.roles}, {"training", courses}});
      }
      return json{{"actors", out}};
    });
  }

  void AddTraining(CLI::App& app) {
    auto* training = app.add_subcommand("training", "Employee training");
    training->require_subcommand(1);
    auto* record = training->add_subcommand("record", "Record a completed course");
    AddLocation(record);
    AddServerOptions(record);
    record->add_option("--actor", target_actor_, "Actor id")->required();
    record->add_option("--course", course_, "Course id from the policy")->required();
    record->add_option("--completed", completed_, "Completion date, YYYY-MM-DD")->required();
    Action(record, [this]() -> absl::StatusOr<json> {
      absl::StatusOr<absl::CivilDay> day = common::ParseDate(completed_);
      if (!day.ok()) {
        return absl::InvalidArgumentError(
            fmt::format("--completed: {}", common::FromAbsl(day.status().message())));
      }
      if (UsesServer()) {
        return OnServer(
            Post("/v1/training",
                 {{"actor", target_actor_}, {"course", course_}, {"completed", completed_}}));
      }
      return WithEngine([&](DataDirectory& dir, engine::Engine& eng) -> absl::StatusOr<json> {
        absl::TimeZone zone;
        if (!absl::LoadTimeZone(common::ToAbsl(dir.policy().operator_info.time_zone), &zone)) {
          zone = absl::UTCTimeZone();
        }
        ASSIGN_OR_RETURN(
            store::TrainingRow row,
            eng.RecordTraining(AdminActor(), target_actor_, course_, absl::FromCivil(*day, zone)));
        const policy::Course* c = dir.policy().FindCourse(row.course);
        json out = {{"actor", row.actor_id},
                    {"course", row.course},
                    {"completed_at", common::FormatTimestamp(row.completed_at)}};
        if (c != nullptr) {
          out["valid_until"] =
              common::FormatTimestamp(row.completed_at + absl::Hours(24) * c->valid_days);
        }
        return out;
      });
    });
  }

  void AddConsent(CLI::App& app) {
    auto* consent = app.add_subcommand("consent", "Consents of data subjects");
    consent->require_subcommand(1);

    auto* grant = consent->add_subcommand("grant", "Record a consent");
    AddLocation(grant);
    AddServerOptions(grant);
    grant->add_option("--subject", subject_, "Subject id")->required();
    grant->add_option("--purpose", purpose_, "Purpose id")->required();
    grant->add_option("--recipient", recipient_, "Third party (recipient id) for provision");
    grant->add_option("--evidence", evidence_,
                      "Evidence: a reference or text (- reads it from standard input)");
    grant->add_option("--channel", channel_, "How it was given (web, call_center, paper, ...)")
        ->default_val("cli");
    grant->add_option("--given-at", given_at_, "When it was given (RFC 3339 or date)");
    grant->add_flag("--explicit-location", explicit_location_,
                    "The consent explicitly and specifically covers location information");
    grant->add_flag("--cross-border-informed", cross_border_informed_,
                    "The person was told the country, its system and the recipient's measures");
    Action(grant, [this]() -> absl::StatusOr<json> {
      engine::ConsentGrant g{subject_,
                             purpose_,
                             recipient_,
                             channel_,
                             "",
                             explicit_location_,
                             cross_border_informed_,
                             std::nullopt};
      if (evidence_) {
        ASSIGN_OR_RETURN(g.evidence, ValueArgument("--evidence", *evidence_));
      }
      if (!given_at_.empty()) {
        ASSIGN_OR_RETURN(g.given_at, TimeArgument("--given-at", given_at_));
      }
      if (UsesServer()) {
        json body = {{"subject", subject_},
                     {"purpose", purpose_},
                     {"channel", channel_},
                     {"explicit_for_location", explicit_location_},
                     {"cross_border_informed", cross_border_informed_}};
        if (recipient_) body["recipient"] = *recipient_;
        if (evidence_) body["evidence"] = g.evidence;
        if (!given_at_.empty()) body["given_at"] = given_at_;
        return OnServer(Post("/v1/consents", body));
      }
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(store::ConsentRow row, eng.GrantConsent(AdminActor(), g));
        return engine::ConsentJson(row);
      });
    });

    auto* withdraw = consent->add_subcommand(
        "withdraw", "Withdraw a consent: by --consent ID, or the subject's for a purpose");
    AddLocation(withdraw);
    AddServerOptions(withdraw);
    withdraw->add_option("--consent", consent_id_, "Consent id");
    withdraw->add_option("--subject", subject_, "Subject id");
    withdraw->add_option("--purpose", purpose_, "Purpose id");
    withdraw->add_option("--recipient", recipient_, "Recipient id");
    withdraw->add_option("--channel", channel_, "How it was withdrawn")->default_val("cli");
    Action(withdraw, [this]() -> absl::StatusOr<json> {
      if (consent_id_.empty() == (subject_.empty() || purpose_.empty())) {
        return absl::InvalidArgumentError(
            "give either --consent ID, or --subject and --purpose (and --recipient for a "
            "provision consent)");
      }
      if (UsesServer()) return WithdrawOnServer();
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        std::vector<std::string> ids;
        if (!consent_id_.empty()) {
          ids.push_back(consent_id_);
        } else {
          ASSIGN_OR_RETURN(std::vector<store::ConsentRow> all, eng.ListConsents(subject_));
          for (const store::ConsentRow& c : all) {
            if (c.purpose == purpose_ && c.recipient == recipient_ && !c.withdrawn_at) {
              ids.push_back(c.id);
            }
          }
          if (ids.empty()) return NoConsentInForce();
        }
        json out = json::array();
        for (const std::string& id : ids) {
          ASSIGN_OR_RETURN(store::ConsentRow row, eng.WithdrawConsent(AdminActor(), id, channel_));
          out.push_back(engine::ConsentJson(row));
        }
        return json{{"withdrawn", out}};
      });
    });

    auto* list = consent->add_subcommand("list", "List a subject's consents");
    AddLocation(list);
    AddServerOptions(list);
    list->add_option("--subject", subject_, "Subject id")->required();
    Action(list, [this]() -> absl::StatusOr<json> {
      if (UsesServer()) {
        return OnServer(
            Get(fmt::format("/v1/subjects/{}/consents", RemoteServer::Segment(subject_))));
      }
      ASSIGN_OR_RETURN(auto dir, OpenData(loc_, DataDirectory::Access::kReadOnly));
      ASSIGN_OR_RETURN(std::optional<store::SubjectRow> s,
                       dir->store().records().GetSubject(subject_));
      if (!s) return absl::NotFoundError(fmt::format("subject {} not found", subject_));
      ASSIGN_OR_RETURN(std::vector<store::ConsentRow> rows,
                       dir->store().facts().ListConsents(subject_));
      json out = json::array();
      for (const store::ConsentRow& c : rows) out.push_back(engine::ConsentJson(c));
      return json{{"subject", subject_}, {"consents", out}};
    });

    auto* receipt = consent->add_subcommand(
        "receipt", "Export a consent as a consent receipt (ISO/IEC TS 27560, Kantara CR 1.1)");
    AddLocation(receipt);
    receipt->add_option("--consent", consent_id_, "Consent id")->required();
    Action(receipt, [this]() -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(auto dir, OpenData(loc_, DataDirectory::Access::kReadOnly));
      ASSIGN_OR_RETURN(std::optional<store::ConsentRow> row,
                       dir->store().facts().GetConsent(consent_id_));
      if (!row) return absl::NotFoundError(fmt::format("consent {} not found", consent_id_));
      ASSIGN_OR_RETURN(std::optional<store::PolicyVersionRow> version,
                       dir->store().records().GetPolicyVersion(row->policy_version));
      if (!version) {
        return absl::DataLossError(
            fmt::format("policy version {} is missing", row->policy_version));
      }
      ASSIGN_OR_RETURN(policy::Policy p, policy::ParsePolicyText(version->source, "stored policy"));
      std::string evidence;
      if (!row->evidence.empty()) {
        ASSIGN_OR_RETURN(
            evidence, engine::OpenSealedText(dir->vault(), row->subject_id,
                                             engine::kConsentEvidenceKey, row->id, row->evidence));
      }
      return engine::ConsentReceipt(p, *row, evidence);
    });
  }

  absl::Status NoConsentInForce() const {
    return absl::NotFoundError(
        fmt::format("subject {} has no consent in force for {}{}", subject_, purpose_,
                    recipient_ ? fmt::format(" to {}", *recipient_) : std::string()));
  }

  // consent withdraw through the server: the consent given, or those in
  // force for the subject, purpose and recipient.
  absl::StatusOr<json> WithdrawOnServer() {
    std::vector<std::string> ids;
    if (!consent_id_.empty()) {
      ids.push_back(consent_id_);
    } else {
      ASSIGN_OR_RETURN(
          json list,
          OnServer(Get(fmt::format("/v1/subjects/{}/consents", RemoteServer::Segment(subject_)))));
      const json recipient = recipient_ ? json(*recipient_) : json();
      if (!list.is_object() || !list.contains("consents")) list["consents"] = json::array();
      for (const json& c : list["consents"]) {
        if (c.value("purpose", json()) == purpose_ && c.value("recipient", json()) == recipient &&
            c.value("withdrawn_at", json()).is_null()) {
          ids.push_back(StringField(c, "consent"));
        }
      }
      if (ids.empty()) return NoConsentInForce();
    }
    json out = json::array();
    for (const std::string& id : ids) {
      ASSIGN_OR_RETURN(
          json row,
          OnServer(Post(fmt::format("/v1/consents/{}/withdraw", RemoteServer::Segment(id)),
                        {{"channel", channel_}})));
      out.push_back(std::move(row));
    }
    return json{{"withdrawn", out}};
  }

  void AddStopOrder(CLI::App& app) {
    auto* stop = app.add_subcommand("stop-order", "Cessation orders (APPI Art. 35)");
    stop->require_subcommand(1);
    auto* add = stop->add_subcommand("add", "Order a stop of use or of provision");
    AddLocation(add);
    add->add_option("--subject", subject_, "Subject id")->required();
    add->add_option("--kind", stop_kind_, "use or provision")->default_val("use");
    add->add_option("--purpose", optional_purpose_, "Only this purpose (default: every purpose)");
    add->add_option("--recipient", recipient_, "Provision: only this recipient");
    add->add_option("--request", request_id_, "The customer request that ordered it");
    AddServerOptions(add);
    Action(add, [this]() -> absl::StatusOr<json> {
      if (UsesServer()) {
        json body = {{"subject", subject_}, {"kind", stop_kind_}};
        if (optional_purpose_) body["purpose"] = *optional_purpose_;
        if (recipient_) body["recipient"] = *recipient_;
        if (!request_id_.empty()) body["request"] = request_id_;
        return OnServer(Post("/v1/stop-orders", std::move(body)));
      }
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(store::StopOrderRow row,
                         eng.AddStopOrder(AdminActor(), {subject_, stop_kind_, optional_purpose_,
                                                         recipient_, request_id_}));
        return engine::StopOrderJson(row);
      });
    });
  }

  // --- Retention (docs/retention.md) ---

  void AddHold(CLI::App& app) {
    auto* hold = app.add_subcommand("hold", "Legal holds: keep data past its retention period");
    hold->require_subcommand(1);
    auto* add = hold->add_subcommand("add", "Place a legal hold on a subject's data");
    AddLocation(add);
    add->add_option("--subject", subject_, "Subject id")->required();
    add->add_option("--category", optional_category_, "Only this category (default: all)");
    add->add_option("--basis", basis_, "The law or proceeding that requires keeping the data")
        ->required();
    add->add_option("--until", until_,
                    "Kept through this date (YYYY-MM-DD, operator's time zone) or time")
        ->required();
    AddServerOptions(add);
    Action(add, [this]() -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(common::DayOrTime until, DayOrTimeArgument("--until", until_));
      if (UsesServer()) {
        json body = {{"subject", subject_}, {"basis", basis_}, {"until", until_}};
        if (optional_category_) body["category"] = *optional_category_;
        return OnServer(Post("/v1/holds", std::move(body)));
      }
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(store::LegalHoldRow row,
                         eng.AddHold(AdminActor(), {subject_, optional_category_, basis_,
                                                    until.time, until.day}));
        return engine::HoldJson(row);
      });
    });

    auto* list = hold->add_subcommand("list", "List legal holds, released ones included");
    AddLocation(list);
    list->add_option("--subject", subject_, "Only this subject's holds");
    AddServerOptions(list);
    Action(list, [this]() -> absl::StatusOr<json> {
      if (UsesServer()) {
        return OnServer(Get(subject_.empty() ? std::string("/v1/holds")
                                             : fmt::format("/v1/holds?subject={}",
                                                           RemoteServer::Segment(subject_))));
      }
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(std::vector<store::LegalHoldRow> rows, eng.ListHolds(subject_));
        json holds = json::array();
        for (const store::LegalHoldRow& row : rows) holds.push_back(engine::HoldJson(row));
        return json{{"holds", std::move(holds)}};
      });
    });

    auto* release = hold->add_subcommand("release", "Release a legal hold");
    AddLocation(release);
    release->add_option("--id", hold_id_, "Hold id (hld_...)")->required();
    AddServerOptions(release);
    Action(release, [this]() -> absl::StatusOr<json> {
      if (UsesServer()) {
        return OnServer(Post(fmt::format("/v1/holds/{}/release", RemoteServer::Segment(hold_id_)),
                             json::object()));
      }
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        ASSIGN_OR_RETURN(store::LegalHoldRow row, eng.ReleaseHold(AdminActor(), hold_id_));
        return engine::HoldJson(row);
      });
    });
  }

  void AddContract(CLI::App& app) {
    auto* contract = app.add_subcommand("contract", "Contract events that anchor retention");
    contract->require_subcommand(1);
    auto* end = contract->add_subcommand(
        "end", "Record that a subject's contract ended (retention counted from the end starts)");
    AddLocation(end);
    end->add_option("--subject", subject_, "Subject id")->required();
    end->add_option("--service", service_, "Only this service (default: every service)");
    end->add_option("--at", ended_at_,
                    "When it ended: YYYY-MM-DD (operator's time zone) or an RFC 3339 time")
        ->required();
    AddServerOptions(end);
    Action(end, [this]() -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(common::DayOrTime at, DayOrTimeArgument("--at", ended_at_));
      if (UsesServer()) {
        json body = {{"ended_at", ended_at_}};
        if (!service_.empty()) body["service"] = service_;
        return OnServer(Post(
            fmt::format("/v1/subjects/{}/contract-end", RemoteServer::Segment(subject_)), body));
      }
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        store::ContractEndRow row;
        if (at.day) {
          ASSIGN_OR_RETURN(row, eng.RecordContractEndOn(AdminActor(), subject_, service_, *at.day));
        } else {
          ASSIGN_OR_RETURN(row, eng.RecordContractEnd(AdminActor(), subject_, service_, at.time));
        }
        return engine::ContractEndJson(row);
      });
    });
  }

  void AddRetention(CLI::App& app) {
    auto* retention = app.add_subcommand("retention", "Retention periods and erasure");
    retention->require_subcommand(1);
    auto* sweep = retention->add_subcommand(
        "sweep", "Erase (crypto-shred) what no live purpose keeps; prints a JSON summary");
    AddLocation(sweep);
    sweep->add_flag("--dry-run", dry_run_, "Count what would be erased; change nothing");
    auto* as_of = sweep->add_option(
        "--as-of", as_of_, "With --dry-run: as on this date (YYYY-MM-DD, operator's zone) or time");
    as_of->needs("--dry-run");
    AddServerOptions(sweep);
    Action(sweep, [this]() -> absl::StatusOr<json> {
      if (UsesServer()) {
        json body = {{"dry_run", dry_run_}};
        if (!as_of_.empty()) body["as_of"] = as_of_;
        return OnServer(Post("/v1/retention/sweep", std::move(body)));
      }
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        engine::SweepOptions options;
        options.dry_run = dry_run_;
        if (!as_of_.empty()) {
          ASSIGN_OR_RETURN(common::DayOrTime at, DayOrTimeArgument("--as-of", as_of_));
          if (at.day) {
            options.as_of_day = at.day;
          } else {
            options.as_of = at.time;
          }
        }
        ProgressBar bar(err_, /*total=*/1, "sweeping", "records");
        options.progress = [&bar](int64_t scanned, int64_t total) {
          bar.SetTotal(total);
          bar.Update(scanned, scanned);
        };
        ASSIGN_OR_RETURN(engine::SweepSummary summary,
                         eng.SweepRetention(AdminActor(), std::move(options)));
        bar.Finish();
        return engine::SweepSummaryJson(summary);
      });
    });
  }

  // The outcome of ledger verify (ledger::VerifyReportToJson) on stderr;
  // a failure is exit 4.
  void ReportVerification(const json& report) {
    if (report.value("ok", false) != true) {
      exit_code_ = common::kExitIntegrity;
      err_ << "mamori: ledger verification FAILED: " << StringField(report, "problem") << "\n";
      return;
    }
    err_ << "Ledger verified: " << report.value("entries", 0) << " entries, "
         << report.value("tree_heads", 0) << " signed tree heads";
    if (const uint64_t unsigned_entries = report.value("unsigned_entries", uint64_t{0});
        unsigned_entries > 0) {
      err_ << "; " << unsigned_entries
           << " entries after the latest signed head are not yet signed";
    }
    err_ << ".\n";
  }

  void AddLedger(CLI::App& app) {
    auto* ledger = app.add_subcommand("ledger", "The tamper-evident ledger and its proofs");
    ledger->require_subcommand(1);

    auto* verify = ledger->add_subcommand(
        "verify", "Recompute every hash and check every signed tree head (exit 4 on tampering)");
    AddLocation(verify);
    AddServerOptions(verify);
    verify->add_option("--public-key", public_key_path_,
                       "Check against this public key (PEM) instead of the data directory's");
    Action(verify, [this]() -> absl::StatusOr<json> {
      if (UsesServer()) {
        if (!public_key_path_.empty()) {
          return absl::InvalidArgumentError(
              "--public-key: a server checks with its own key; to check against yours, run "
              "ledger verify --data on a copy");
        }
        const absl::Time start = absl::Now();
        return OnServer(Post("/v1/ledger/verify", json::object()), [&](json& report) {
          report["seconds"] = absl::ToDoubleSeconds(absl::Now() - start);
          ReportVerification(report);
          return report;
        });
      }
      std::string public_key;
      std::unique_ptr<store::Store> store;
      std::unique_ptr<DataDirectory> dir;
      if (!public_key_path_.empty()) {
        ASSIGN_OR_RETURN(std::string pem, ReadTextFile(public_key_path_));
        ASSIGN_OR_RETURN(public_key, crypto::PublicKeyFromPem(pem));
        ASSIGN_OR_RETURN(store, OpenStoreOnly(loc_));
      } else {
        ASSIGN_OR_RETURN(dir, OpenData(loc_, DataDirectory::Access::kReadOnly));
        ASSIGN_OR_RETURN(crypto::SigningKey key, dir->LedgerSigningKey());
        public_key = key.public_key();
      }
      store::LedgerStore& ledger_store = store ? store->ledger() : dir->store().ledger();
      absl::Time start = absl::Now();
      ASSIGN_OR_RETURN(ledger::VerifyReport report, ledger::VerifyLedger(ledger_store, public_key));
      json out = ledger::VerifyReportToJson(report);
      out["seconds"] = absl::ToDoubleSeconds(absl::Now() - start);
      ReportVerification(out);
      return out;
    });

    auto* head = ledger->add_subcommand("head", "Print the latest signed tree head");
    AddLocation(head, /*with_master_key=*/false);
    AddServerOptions(head);
    Action(head, [this]() -> absl::StatusOr<json> {
      if (UsesServer()) return OnServer(Get("/v1/ledger/head"));
      ASSIGN_OR_RETURN(auto store, OpenStoreOnly(loc_));
      ASSIGN_OR_RETURN(std::optional<store::TreeHeadRow> row, store->ledger().LatestTreeHead());
      if (!row) return absl::NotFoundError("no tree head has been signed yet");
      ASSIGN_OR_RETURN(ledger::TreeHead h, ledger::TreeHeadFromRow(*row));
      return ledger::TreeHeadToJson(h);
    });

    auto* key = ledger->add_subcommand(
        "public-key", "Print the public key (PEM) that checks the ledger's tree heads");
    AddLocation(key);
    Action(key, [this]() -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(auto dir, OpenData(loc_, DataDirectory::Access::kReadOnly));
      ASSIGN_OR_RETURN(crypto::SigningKey k, dir->LedgerSigningKey());
      out_ << crypto::PublicKeyToPem(k.public_key());
      return json();
    });

    auto* proof = ledger->add_subcommand(
        "proof", "Print an inclusion proof of one entry, tied to the latest signed tree head");
    AddLocation(proof, /*with_master_key=*/false);
    AddServerOptions(proof);
    proof->add_option("--entry", entry_index_, "Entry number (from 0)")->required();
    proof->add_option("--against-size", against_size_,
                      "Prove inclusion in the tree of this many entries, plus its consistency "
                      "with the latest head");
    Action(proof, [this]() -> absl::StatusOr<json> {
      if (UsesServer()) {
        std::string target = fmt::format("/v1/ledger/proof?entry={}", entry_index_);
        if (against_size_) target += fmt::format("&size={}", *against_size_);
        return OnServer(Get(std::move(target)));
      }
      ASSIGN_OR_RETURN(auto store, OpenStoreOnly(loc_));
      ASSIGN_OR_RETURN(auto tree, ledger::StoredTree::Open(store->ledger()));
      ASSIGN_OR_RETURN(ledger::EntryProof p,
                       ledger::ProveEntry(store->ledger(), *tree, entry_index_, against_size_));
      return ledger::EntryProofToJson(p);
    });

    auto* check = ledger->add_subcommand(
        "check-proof", "Check a proof offline with the public key alone (exit 4 if it fails)");
    check->add_option("--public-key", public_key_path_, "Public key file (PEM)")->required();
    check->add_option("proof", proof_path_, "Proof file (JSON); - for stdin")->required();
    Action(check, [this]() -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(std::string pem, ReadTextFile(public_key_path_));
      ASSIGN_OR_RETURN(std::string public_key, crypto::PublicKeyFromPem(pem));
      std::string text;
      if (proof_path_ == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), {});
      } else {
        ASSIGN_OR_RETURN(text, ReadTextFile(proof_path_));
      }
      json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_discarded()) {
        return absl::InvalidArgumentError(fmt::format("{}: not JSON", proof_path_));
      }
      ASSIGN_OR_RETURN(ledger::EntryProof p, ledger::EntryProofFromJson(parsed));
      RETURN_IF_ERROR(ledger::CheckEntryProof(p, public_key));
      err_ << "Proof valid: entry " << p.index << " is in the ledger signed at "
           << common::FormatTimestamp(p.head.timestamp) << " (" << p.head.tree_size
           << " entries).\n";
      return json{{"valid", true},
                  {"entry", p.index},
                  {"tree_size", p.tree_size},
                  {"tree_head", ledger::TreeHeadToJson(p.head)}};
    });
  }

  void AddToken(CLI::App& app) {
    auto* token = app.add_subcommand("token", "API bearer tokens of actors");
    token->require_subcommand(1);
    auto* create = token->add_subcommand(
        "create", "Create a token for an actor; printed once, only its hash is kept");
    AddLocation(create);
    AddServerOptions(create);
    create->add_option("--actor", target_actor_, "Actor id the token stands for")->required();
    create->add_option("--expires", expires_days_, "Days until it expires (default: never)")
        ->check(CLI::PositiveNumber);
    Action(create, [this]() -> absl::StatusOr<json> {
      if (UsesServer()) {
        json body = {{"actor", target_actor_}};
        if (expires_days_) body["expires_days"] = *expires_days_;
        return OnServer(Post("/v1/tokens", body), [this](json& answer) {
          err_ << "Store this token now: it is not shown again.\n";
          return answer;
        });
      }
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        std::optional<absl::Duration> expires;
        if (expires_days_) expires = absl::Hours(24) * *expires_days_;
        ASSIGN_OR_RETURN(engine::Engine::IssuedToken t,
                         eng.CreateToken(AdminActor(), target_actor_, expires));
        err_ << "Store this token now: it is not shown again.\n";
        return json{{"token", t.token},
                    {"id", t.row.id},
                    {"actor", t.row.actor_id},
                    {"expires_at",
                     t.row.expires_at ? json(common::FormatTimestamp(*t.row.expires_at)) : json()}};
      });
    });
    auto* revoke = token->add_subcommand(
        "revoke", "Revoke a token, by its id (--id) or the token itself (--secret)");
    AddLocation(revoke);
    AddServerOptions(revoke);
    revoke->add_option("--id", token_id_, "Token id (tok_...)");
    revoke->add_option("--secret", token_secret_,
                       "The token to revoke itself; - reads it from stdin");
    Action(revoke, [this]() -> absl::StatusOr<json> {
      if (token_id_.empty() == token_secret_.empty()) {
        return absl::InvalidArgumentError("give either --id or --secret");
      }
      if (UsesServer()) {
        if (token_id_.empty()) {
          return absl::InvalidArgumentError(
              "--secret: a server revokes tokens by id; give --id tok_... (token create printed "
              "it)");
        }
        return OnServer(Post(fmt::format("/v1/tokens/{}/revoke", RemoteServer::Segment(token_id_)),
                             json::object()));
      }
      return WithEngine([&](DataDirectory&, engine::Engine& eng) -> absl::StatusOr<json> {
        std::string id = token_id_;
        if (id.empty()) {
          ASSIGN_OR_RETURN(std::string secret, ValueArgument("--secret", token_secret_));
          std::optional<std::string> found = eng.TokenId(secret);
          if (!found) return absl::NotFoundError("--secret: no such token");
          id = *found;
        }
        ASSIGN_OR_RETURN(store::TokenRow row, eng.RevokeToken(AdminActor(), id));
        return json{{"id", row.id},
                    {"actor", row.actor_id},
                    {"revoked_at", common::FormatTimestamp(*row.revoked_at)}};
      });
    });
  }

  void AddServe(CLI::App& app) {
    auto* serve = app.add_subcommand(
        "serve", "Serve the JSON API (holds the data directory until SIGTERM or SIGINT)");
    AddLocation(serve);
    serve->add_option("--listen", listen_, "HOST:PORT to listen on (port 0: any free port)")
        ->default_val("127.0.0.1:8080");
    serve->add_option("--threads", threads_, "I/O threads (default: one per core)");
    serve->add_option("--tls-cert", tls_cert_, "TLS certificate chain (PEM)");
    serve->add_option("--tls-key", tls_key_, "TLS private key (PEM)");
    serve->add_option("--port-file", port_file_, "Write the bound port to this file");
    serve
        ->add_option("--sweep-every", sweep_every_,
                     "Run the retention sweep (and fold the ledger into the use index) this often, "
                     "e.g. 1h, 30m (0: never)")
        ->default_val("1h");
    Action(serve, [this]() -> absl::StatusOr<json> {
      const size_t colon = listen_.rfind(':');
      std::optional<uint64_t> port;
      if (colon != std::string::npos) {
        const std::string digits = listen_.substr(colon + 1);
        if (!digits.empty() && digits.size() <= 5 &&
            digits.find_first_not_of("0123456789") == std::string::npos &&
            std::stoul(digits) <= 65535) {
          port = std::stoul(digits);
        }
      }
      if (!port) return absl::InvalidArgumentError("--listen: expected HOST:PORT");
      absl::Duration sweep_every;
      if (!absl::ParseDuration(sweep_every_, &sweep_every) || sweep_every < absl::ZeroDuration()) {
        return absl::InvalidArgumentError("--sweep-every: expected a duration such as 1h or 30m");
      }
      server::HttpServerOptions options;
      options.host = listen_.substr(0, colon);
      options.port = static_cast<uint16_t>(*port);
      options.threads = threads_;
      options.tls_certificate = tls_cert_;
      options.tls_private_key = tls_key_;

      // Logs are for people and log collectors: JSON lines on stderr, so
      // stdout keeps only the command's JSON result.
      spdlog::set_default_logger(spdlog::stderr_logger_mt("mamori"));
      spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})",
                          spdlog::pattern_time_type::utc);
      ASSIGN_OR_RETURN(auto dir, OpenData(loc_, DataDirectory::Access::kWrite));
      ASSIGN_OR_RETURN(auto eng, engine::Engine::Start(*dir, common::SystemClock::Instance(),
                                                       common::SodiumRandom::Instance()));
      server::Metrics metrics;
      // Calls that block (writes of subjects, consents, administration) run
      // here; reads and decisions are asynchronous and never take a thread.
      boost::asio::thread_pool blocking(32);
      std::unique_ptr<server::HttpServer> http;
      server::Api api(*eng, *dir, metrics, blocking,
                      [&http] { return http ? http->in_flight() : 0; });
      http = std::make_unique<server::HttpServer>(
          options, [&api](server::Request r) { return api.Handle(std::move(r)); });
      RETURN_IF_ERROR(http->Start());
      server::SweepSchedule sweeps(*eng, sweep_every);
      const std::string url =
          fmt::format("{}://{}:{}", http->tls() ? "https" : "http", options.host, http->port());
      const std::filesystem::path server_file =
          std::filesystem::path(loc_.ResolvedDataDir()) / vault::kServerFileName;
      {
        std::ofstream f(server_file);
        f << url << "\n";
      }
      if (!port_file_.empty()) {
        std::ofstream f(port_file_);
        f << http->port() << "\n";
      }
      spdlog::info(R"("event":"listening","url":"{}","ledger_entries":{})", url,
                   eng->ledger_size());
      err_ << "mamori serving " << url << " (Ctrl-C or SIGTERM stops it)\n";
      http->WaitForSignal();
      spdlog::info(R"("event":"stopping","in_flight":{})", http->in_flight());
      // A sweep in progress stops after its current job; finish what was
      // accepted, then seal the ledger with a signed head.
      sweeps.Stop();
      http->Shutdown();
      blocking.join();
      absl::Status stopped = eng->Stop();
      std::error_code ec;
      std::filesystem::remove(server_file, ec);
      spdlog::info(R"("event":"stopped","ledger_entries":{})", eng->ledger_size());
      RETURN_IF_ERROR(stopped);
      return json{{"stopped", true}, {"ledger_entries", eng->ledger_size()}};
    });
  }

  void AddStatus(CLI::App& app) {
    auto* status = app.add_subcommand("status", "Summarize a data directory (counts, versions)");
    AddLocation(status);
    Action(status, [this]() -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(auto dir, OpenData(loc_, DataDirectory::Access::kReadOnly));
      store::RecordStore& records = dir->store().records();
      ASSIGN_OR_RETURN(int64_t subjects, records.CountSubjects());
      ASSIGN_OR_RETURN(int64_t record_count, records.CountRecords());
      ASSIGN_OR_RETURN(int schema, records.SchemaVersion());
      ASSIGN_OR_RETURN(int64_t entries, dir->store().ledger().CountEntries());
      return json{{"data", loc_.ResolvedDataDir()},
                  {"engine", std::string(dir->store().engine())},
                  {"schema_version", schema},
                  {"policy_version", dir->policy_version()},
                  {"operator", dir->policy().operator_info.name},
                  {"subjects", subjects},
                  {"records", record_count},
                  {"ledger_entries", entries}};
    });
  }

  // The command line as the commands of other files see it
  // (provision_commands.h).
  class Host final : public CommandHost {
   public:
    explicit Host(CommandLine& cli) : cli_(cli) {}
    void Action(CLI::App* command, std::function<absl::StatusOr<json>()> body) override {
      cli_.Action(command, std::move(body));
    }
    void AddDataOptions(CLI::App* command) override {
      cli_.AddLocation(command);
      cli_.AddServerOptions(command);
    }
    bool UsesServer() const override { return cli_.UsesServer(); }
    absl::StatusOr<const RemoteServer*> Server() override { return cli_.Server(); }
    absl::StatusOr<json> WithEngine(
        const std::function<absl::StatusOr<json>(engine::Engine&)>& fn) override {
      return cli_.WithEngine([&](DataDirectory&, engine::Engine& eng) { return fn(eng); });
    }
    void ReportDenial(const json& decision) override { cli_.ReportDenial(decision); }
    std::string AdminActor() const override { return cli::AdminActor(); }

   private:
    CommandLine& cli_;
  };

  std::ostream& out_;
  std::ostream& err_;
  Host host_{*this};
  Outcome outcome_;
  int exit_code_ = 0;
  Location loc_;
  std::string policy_path_, import_path_, subject_, category_, service_, value_, collected_at_;
  std::optional<int64_t> policy_version_;
  std::optional<std::string> phone_, email_, contract_, name_, birth_date_, language_;
  // Uses, actors, consents, stop orders.
  std::string actor_, purpose_, ground_, reason_, target_actor_, course_, completed_;
  std::vector<std::string> categories_, roles_;
  std::optional<std::string> recipient_, evidence_, optional_purpose_;
  std::string channel_, given_at_, consent_id_, stop_kind_, request_id_;
  std::optional<std::string> optional_category_;
  std::string basis_, until_, hold_id_, ended_at_, as_of_, sweep_every_;
  bool dry_run_ = false;
  bool explicit_location_ = false, cross_border_informed_ = false;
  // Ledger.
  std::string public_key_path_, proof_path_;
  // Tokens.
  std::optional<int> expires_days_;
  // Server.
  std::string listen_, tls_cert_, tls_key_, port_file_;
  int threads_ = 0;
  std::string token_id_, token_secret_;
  // --server, --token, --insecure; the server once resolved.
  struct {
    std::string url, token;
    bool insecure = false;
  } server_;
  std::optional<RemoteServer> remote_;
  std::string stdin_read_by_;  // the option that read standard input
  uint64_t entry_index_ = 0;
  std::optional<uint64_t> against_size_;
};

}  // namespace

int RunCli(int argc, char** argv, std::ostream& out, std::ostream& err) {
  CommandLine cli(out, err);
  return cli.Run(argc, argv);
}

}  // namespace mamori::cli
