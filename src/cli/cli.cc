#include "cli/cli.h"

#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "common/clock.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "policy/policy_file.h"
#include "policy/policy_json.h"
#include "vault/data_directory.h"

namespace mamori::cli {
namespace {

using nlohmann::json;
using vault::DataDirectory;

constexpr char kDefaultDataDir[] = "./mamori-data";

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

// A value given as "-" is read from standard input, so that it need not
// appear in the shell history or the process list.
absl::StatusOr<std::string> ValueArgument(const std::string& value) {
  if (value != "-") return value;
  std::string text(std::istreambuf_iterator<char>(std::cin), {});
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// Shows import progress on a terminal: a bar with percentage and lines.
class ProgressBar {
 public:
  ProgressBar(std::ostream& err, int64_t total_bytes)
      : err_(err), total_(total_bytes), enabled_(::isatty(STDERR_FILENO) == 1 && total_bytes > 0) {}
  void Update(int64_t bytes, int64_t lines) {
    if (!enabled_) return;
    constexpr int kWidth = 30;
    double fraction = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_));
    // Redraw only when the percentage moves: a terminal is slow to write.
    int percent = static_cast<int>(fraction * 100);
    if (percent == last_percent_) return;
    last_percent_ = percent;
    int filled = static_cast<int>(fraction * kWidth);
    err_ << fmt::format("\rimporting [{}{}] {:3.0f}%  {} lines", std::string(filled, '#'),
                        std::string(kWidth - filled, ' '), fraction * 100, lines)
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
  bool shown_ = false;
  int last_percent_ = -1;
};

struct Outcome {
  absl::Status status;
  std::optional<json> output;
};

class CommandLine {
 public:
  CommandLine(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  int Run(int argc, char** argv) {
    CLI::App app{"mamori: personal-information protection engine for telecom operators", "mamori"};
    app.require_subcommand(1);
    app.set_help_all_flag("--help-all", "Show help for every command");
    AddInit(app);
    AddPolicy(app);
    AddSubject(app);
    AddRecord(app);
    AddImport(app);
    AddFind(app);
    AddStatus(app);
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
      err_ << "mamori: error: " << outcome_.status.message() << "\n";
      return common::ExitCodeFor(outcome_.status);
    }
    if (outcome_.output) out_ << outcome_.output->dump(2) << "\n";
    return exit_code_;
  }

 private:
  // Runs `fn` as the selected command's action and keeps its outcome.
  void Action(CLI::App* cmd, std::function<absl::StatusOr<json>()> fn) {
    cmd->callback([this, fn = std::move(fn)] {
      absl::StatusOr<json> r = fn();
      if (r.ok()) {
        if (!r->is_null()) outcome_.output = std::move(*r);
      } else {
        outcome_.status = r.status();
      }
    });
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

    auto* load = policy->add_subcommand("load", "Add a new policy version to a data directory");
    AddLocation(load);
    load->add_option("file", policy_path_, "Policy file (TOML)")->required();
    Action(load, [this]() -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(std::string text, ReadTextFile(policy_path_));
      ASSIGN_OR_RETURN(auto dir, OpenData(loc_, DataDirectory::Access::kWrite));
      ASSIGN_OR_RETURN(vault::PolicyLoadResult r,
                       dir->LoadPolicy(text, policy_path_, AdminActor()));
      err_ << (r.unchanged ? "Policy unchanged: " : "Loaded policy version ") << r.version
           << (r.unchanged ? "" : ": ") << (r.unchanged ? "" : r.summary) << "\n";
      return json{{"version", r.version},
                  {"unchanged", r.unchanged},
                  {"summary", r.summary},
                  {"changes", r.diff}};
    });
  }

  void AddIdentifierOptions(CLI::App* cmd) {
    cmd->add_option("--phone", phone_, "Phone number (any common format)");
    cmd->add_option("--email", email_, "Email address");
    cmd->add_option("--contract", contract_, "Contract number");
    cmd->add_option("--name", name_, "Name");
    cmd->add_option("--birth-date", birth_date_, "Birth date, YYYY-MM-DD");
  }

  vault::SubjectIdentifiers Identifiers() const {
    return {phone_, email_, contract_, name_, birth_date_};
  }

  void AddSubject(CLI::App& app) {
    auto* subject = app.add_subcommand("subject", "Customers (data subjects)");
    subject->require_subcommand(1);

    auto* add = subject->add_subcommand("add", "Add a subject, indexed by the identifiers given");
    AddLocation(add);
    AddIdentifierOptions(add);
    Action(add, [this]() -> absl::StatusOr<json> {
      vault::SubjectIdentifiers ids = Identifiers();
      if (ids.empty()) {
        return absl::InvalidArgumentError(
            "give at least one of --phone, --email, --contract, --name, --birth-date");
      }
      ASSIGN_OR_RETURN(auto dir, OpenData(loc_, DataDirectory::Access::kWrite));
      ASSIGN_OR_RETURN(std::string id, dir->vault().AddSubject(ids, {}));
      return json{{"subject", id}};
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
    add->add_option("--subject", subject_, "Subject id")->required();
    add->add_option("--category", category_, "Data category id from the policy")->required();
    add->add_option("--service", service_, "Service that collected it")->required();
    add->add_option("--value", value_, "The value; - reads it from standard input")->required();
    add->add_option("--collected-at", collected_at_, "When it was collected (RFC 3339 or date)");
    Action(add, [this]() -> absl::StatusOr<json> {
      vault::NewRecord r{category_, service_, "", std::nullopt};
      ASSIGN_OR_RETURN(r.value, ValueArgument(value_));
      if (!collected_at_.empty()) {
        absl::StatusOr<absl::Time> t = common::ParseTimestamp(collected_at_);
        if (!t.ok()) {
          return absl::InvalidArgumentError(
              fmt::format("--collected-at: {}", common::FromAbsl(t.status().message())));
        }
        r.collected_at = *t;
      }
      ASSIGN_OR_RETURN(auto dir, OpenData(loc_, DataDirectory::Access::kWrite));
      ASSIGN_OR_RETURN(std::string id, dir->vault().AddRecord(subject_, r));
      return json{{"record", id}, {"subject", subject_}, {"policy_version", dir->policy_version()}};
    });
  }

  void AddImport(CLI::App& app) {
    auto* import = app.add_subcommand("import", "Bulk-load subjects and records from JSONL");
    AddLocation(import);
    import->add_option("file", import_path_, "JSONL file (docs/import-format.md); - for stdin")
        ->required();
    Action(import, [this]() -> absl::StatusOr<json> {
      ASSIGN_OR_RETURN(auto dir, OpenData(loc_, DataDirectory::Access::kWrite));
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
      absl::StatusOr<vault::ImportSummary> r =
          dir->vault().Import(*in, [&](int64_t bytes, int64_t lines) { bar.Update(bytes, lines); });
      bar.Finish();
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
    auto* find = app.add_subcommand("find", "Find subjects by an identifier, without decrypting");
    AddLocation(find);
    AddIdentifierOptions(find);
    Action(find, [this]() -> absl::StatusOr<json> {
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
      ASSIGN_OR_RETURN(auto dir, OpenData(loc_, DataDirectory::Access::kReadOnly));
      ASSIGN_OR_RETURN(std::vector<std::string> subjects,
                       dir->vault().FindSubjects(given[0].first, **given[0].second));
      return json{{"subjects", subjects}};
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
      return json{{"data", loc_.ResolvedDataDir()},
                  {"engine", std::string(dir->store().engine())},
                  {"schema_version", schema},
                  {"policy_version", dir->policy_version()},
                  {"operator", dir->policy().operator_info.name},
                  {"subjects", subjects},
                  {"records", record_count}};
    });
  }

  std::ostream& out_;
  std::ostream& err_;
  Outcome outcome_;
  int exit_code_ = 0;
  Location loc_;
  std::string policy_path_, import_path_, subject_, category_, service_, value_, collected_at_;
  std::optional<int64_t> policy_version_;
  std::optional<std::string> phone_, email_, contract_, name_, birth_date_;
};

}  // namespace

int RunCli(int argc, char** argv, std::ostream& out, std::ostream& err) {
  CommandLine cli(out, err);
  return cli.Run(argc, argv);
}

}  // namespace mamori::cli
