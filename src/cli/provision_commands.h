// `mamori provide`, `mamori provision` and `mamori trustee`: third-party
// provision decided by the engine, the statutory records of provision
// (APPI Art. 29) and receipt (Art. 30), and the supervision of trustees
// (Art. 25). docs/provision.md has the details.
//
//   mamori provide --data DIR --actor A --recipient R --purpose P
//                  --subject S [--subject S ...] --category C [--category C ...]
//                  [--ground G --reason TEXT]
//   mamori provision records --data DIR (--subject S | --recipient R)
//   mamori provision receive --data DIR --provider-name N --provider-address A
//                  --provider-representative R --how-obtained TEXT
//                  --category C [...] [--subject S] [--opt-out] [--received DATE]
//   mamori trustee audit record --data DIR --trustee T --date YYYY-MM-DD --result TEXT
//   mamori trustee list --data DIR [--overdue]
//   mamori trustee approve-subcontractor --data DIR --trustee T
//                  --subcontractor NAME --scope TEXT
//
// Every command also runs through a server (`--server URL --token T`),
// where the token's actor acts. `provide` prints each subject's decision
// and the payload made of what was allowed; when every subject is denied
// it exits 3 (as `mamori read` does).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "cli/remote.h"
#include "engine/engine.h"

namespace CLI {
class App;
}  // namespace CLI

namespace mamori::cli {

// What commands defined outside cli.cc use of the command line they belong
// to: how an action runs, the shared options, and the ways to the data (a
// data directory opened for writing, or a running server). Implemented by
// RunCli's command line; used on its thread only.
class CommandHost {
 public:
  virtual ~CommandHost() = default;
  // Registers `body` as the action of `command` (see CommandAction in
  // notice_command.h).
  virtual void Action(CLI::App* command, std::function<absl::StatusOr<nlohmann::json>()> body) = 0;
  // --data and --master-key, and --server, --token and --insecure.
  virtual void AddDataOptions(CLI::App* command) = 0;
  // True when the command runs through a server (--server or MAMORI_SERVER).
  virtual bool UsesServer() const = 0;
  // The server, its token read once. REQUIRES: UsesServer().
  virtual absl::StatusOr<const RemoteServer*> Server() = 0;
  // Opens the data directory for writing, runs `fn` on its engine and stops
  // the engine (which signs a tree head over what the command did).
  virtual absl::StatusOr<nlohmann::json> WithEngine(
      const std::function<absl::StatusOr<nlohmann::json>(engine::Engine&)>& fn) = 0;
  // A denial: exit 3 and one line on stderr naming the decision's reason.
  virtual void ReportDenial(const nlohmann::json& decision) = 0;
  // The actor of administrative writes from the command line: admin:<os user>.
  virtual std::string AdminActor() const = 0;
};

// Adds `provide`, `provision` and `trustee` to `app`.
void AddProvisionCommands(CLI::App& app, CommandHost& host);

}  // namespace mamori::cli
