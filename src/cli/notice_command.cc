#include "cli/notice_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "notice/notice.h"
#include "notice/notice_diff.h"
#include "policy/policy_file.h"
#include "store/sqlite_store.h"

namespace mamori::cli {
namespace {

using nlohmann::json;

// The options of one `notice` subcommand, bound by CLI11 and read by its
// action after parsing.
struct NoticeOptions {
  std::string data_dir;
  std::string policy_path;
  std::string service;
  std::string lang = "ja";
  std::string format = "json";
  std::optional<int64_t> version, from, to;
};

// --data, else MAMORI_DATA, else ./mamori-data, as for every command.
std::string DataDir(const NoticeOptions& o) {
  if (!o.data_dir.empty()) return o.data_dir;
  if (const char* env = std::getenv("MAMORI_DATA"); env != nullptr && *env != '\0') return env;
  return "./mamori-data";
}

// A stored policy version, compiled.
struct StoredPolicy {
  policy::Policy policy;
  int64_t version = 0;
};

// Version `version` (the latest when nullopt) of the policy stored in the
// data directory `dir`; `flag` names the option in messages. The store
// alone, opened read only: notices are public and need no master key.
absl::StatusOr<StoredPolicy> LoadStored(store::Store& store, std::optional<int64_t> version,
                                        std::string_view flag) {
  std::optional<store::PolicyVersionRow> row;
  if (version) {
    ASSIGN_OR_RETURN(row, store.records().GetPolicyVersion(*version));
    if (!row) return absl::NotFoundError(fmt::format("{}: no policy version {}", flag, *version));
  } else {
    ASSIGN_OR_RETURN(row, store.records().LatestPolicyVersion());
    if (!row) return absl::NotFoundError("the data directory has no policy version");
  }
  ASSIGN_OR_RETURN(
      policy::Policy p,
      policy::ParsePolicyText(row->source, fmt::format("policy version {}", row->version)));
  return StoredPolicy{std::move(p), row->version};
}

absl::StatusOr<std::unique_ptr<store::Store>> OpenStore(const NoticeOptions& o) {
  return store::OpenSqliteStore(DataDir(o), {.create = false});
}

absl::StatusOr<json> Show(const NoticeOptions& o, std::ostream& out) {
  if (!o.policy_path.empty() && !o.data_dir.empty()) {
    return absl::InvalidArgumentError("give either --data DIR or --policy FILE, not both");
  }
  if (!o.policy_path.empty() && o.version) {
    return absl::InvalidArgumentError("--version goes with --data DIR, not with --policy FILE");
  }
  // CLI11 has checked --lang.
  const notice::Language language = *notice::ParseLanguage(o.lang);
  StoredPolicy stored;
  if (!o.policy_path.empty()) {
    // A file not loaded yet: a preview, with no version.
    ASSIGN_OR_RETURN(stored.policy, policy::LoadPolicyFile(o.policy_path));
  } else {
    ASSIGN_OR_RETURN(auto store, OpenStore(o));
    ASSIGN_OR_RETURN(stored, LoadStored(*store, o.version, "--version"));
  }
  if (o.format == "html") {
    ASSIGN_OR_RETURN(std::string page,
                     notice::NoticeHtml(stored.policy, stored.version, o.service, language));
    out << page;
    return json();
  }
  return notice::NoticeJson(stored.policy, stored.version, o.service, language);
}

absl::StatusOr<json> Diff(const NoticeOptions& o) {
  ASSIGN_OR_RETURN(auto store, OpenStore(o));
  ASSIGN_OR_RETURN(StoredPolicy from, LoadStored(*store, o.from, "--from"));
  ASSIGN_OR_RETURN(StoredPolicy to, LoadStored(*store, o.to, "--to"));
  return notice::NoticeDiff(from.policy, from.version, to.policy, to.version, o.service);
}

}  // namespace

void AddNoticeCommands(CLI::App& app, std::ostream& out, const CommandAction& action) {
  auto* notice = app.add_subcommand("notice", "Public notices of a service, and their changes");
  notice->require_subcommand(1);

  // Shared by the option bindings and the action, which CLI11 keeps as
  // std::function (copyable), so not a unique_ptr.
  auto show_options = std::make_shared<NoticeOptions>();
  auto* show = notice->add_subcommand(
      "show", "Print a service's public notice (JSON, or HTML with --format html)");
  show->add_option("--data", show_options->data_dir,
                   "Data directory (env MAMORI_DATA, default ./mamori-data): its latest policy "
                   "version, or --version");
  show->add_option("--version", show_options->version, "With --data: this stored version");
  show->add_option("--policy", show_options->policy_path,
                   "A policy file (TOML) not loaded yet: a preview that names no version");
  show->add_option("--service", show_options->service, "Service id, e.g. mobile")->required();
  show->add_option("--lang", show_options->lang, "Language: ja (default) or en")
      ->check(CLI::IsMember({"ja", "en"}));
  show->add_option("--format", show_options->format, "json (default) or html")
      ->check(CLI::IsMember({"json", "html"}));
  action(show, [show_options, &out] { return Show(*show_options, out); });

  auto diff_options = std::make_shared<NoticeOptions>();
  auto* diff = notice->add_subcommand(
      "diff", "How a service's notice changes between two stored policy versions");
  diff->add_option("--data", diff_options->data_dir,
                   "Data directory (env MAMORI_DATA, default ./mamori-data)");
  diff->add_option("--from", diff_options->from, "The earlier policy version")->required();
  diff->add_option("--to", diff_options->to, "The later policy version")->required();
  diff->add_option("--service", diff_options->service, "Service id, e.g. mobile")->required();
  action(diff, [diff_options] { return Diff(*diff_options); });
}

}  // namespace mamori::cli
