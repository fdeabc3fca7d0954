// Table tests of the request state machine (request.h).
//
// src/requests/testdata/transitions.jsonl: one transition per line, from a
// starting state to the expected state or error code:
//
//   {"name": "...", "kind": "disclosure",
//    "from": {"status", "verification"?, "subject"?, "assignee"?, "error"?, "failures"?},
//    "action": "approve", "args": {...}?,
//    "expect": {"status", "changed", "verification"?, "subject"?, "assignee"?,
//               "error"? (string or null), "failures"?, "refusal"?, "due"?: "extended"}
//              | {"error": "FAILED_PRECONDITION" | "INVALID_ARGUMENT"}}
//
// Every action has a row from every status, and legal and illegal rows.
// src/requests/testdata/refusals.jsonl: every refusal ground for every kind,
// allowed or InvalidArgument. Lines that are empty or start with "//" are
// skipped.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/strings.h"
#include "policy/policy_test_util.h"
#include "requests/request.h"

namespace mamori::requests {
namespace {

using nlohmann::json;

constexpr const char* kActions[] = {"assign",        "start_verifying", "mark_cannot_verify",
                                    "mark_verified", "approve",         "refuse",
                                    "extend",        "complete",        "fail",
                                    "retry",         "withdraw"};

struct Row {
  std::string where;
  json j;
};

std::vector<Row> LoadRows(const std::string& name) {
  const std::string path = policy::testing::SourceDir() + "/src/requests/testdata/" + name;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<Row> rows;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line.rfind("//", 0) == 0) continue;
    const std::string where = name + ":" + std::to_string(n);
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      ADD_FAILURE() << where << ": not a JSON object";
      continue;
    }
    const std::string label = j.contains("name")
                                  ? j.value("name", "")
                                  : j.value("kind", "") + " " + j.value("ground", "");
    rows.push_back({where + " " + label, std::move(j)});
  }
  return rows;
}

absl::TimeZone Tokyo() {
  absl::TimeZone tokyo;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Tokyo", &tokyo));
  return tokyo;
}

// A request received at 10:00 on 29 January 2026 in Tokyo, due at the end
// of 12 February, in the row's starting state.
RequestState StartingState(const json& row) {
  const absl::TimeZone tokyo = Tokyo();
  absl::StatusOr<RequestKind> kind = ParseRequestKind(row.value("kind", "disclosure"));
  EXPECT_TRUE(kind.ok()) << kind.status();
  absl::StatusOr<RequestState> r =
      NewRequest({.id = "req_T",
                  .kind = kind.value_or(RequestKind::kDisclosure),
                  .identifiers = {{policy::IdentifierKind::kPhone, "+819012345678"}},
                  .received_at = absl::FromCivil(absl::CivilMinute(2026, 1, 29, 10, 0), tokyo)},
                 ServiceLevels{}, tokyo);
  EXPECT_TRUE(r.ok()) << r.status();
  RequestState s = r.value_or(RequestState{});
  const json& from = row.at("from");
  absl::StatusOr<RequestStatus> status = ParseRequestStatus(from.at("status").get<std::string>());
  EXPECT_TRUE(status.ok()) << status.status();
  s.status = status.value_or(RequestStatus::kReceived);
  const std::string verification = from.value("verification", "unverified");
  s.verification = verification == "verified"        ? VerificationState::kVerified
                   : verification == "cannot_verify" ? VerificationState::kCannotVerify
                                                     : VerificationState::kUnverified;
  s.subject_id = from.value("subject", "");
  s.assignee = from.value("assignee", "");
  if (from.contains("error")) s.error = from["error"].get<std::string>();
  s.failures = from.value("failures", 0);
  // The final statuses carry what got them there.
  if (s.status == RequestStatus::kCompleted) s.outcome = Outcome{.summary = "done"};
  if (s.status == RequestStatus::kRefused) {
    s.refusal = Refusal{RefusalGround::kNotVerified, "could not confirm"};
  }
  return s;
}

absl::StatusOr<Transition> RunAction(const RequestState& r, const std::string& action,
                                     const json& args) {
  const absl::TimeZone tokyo = Tokyo();
  if (action == "assign") return Assign(r, args.at("assignee").get<std::string>());
  if (action == "start_verifying") return StartVerifying(r);
  if (action == "mark_cannot_verify") return MarkCannotVerify(r);
  if (action == "mark_verified") return MarkVerified(r, args.at("subject").get<std::string>());
  if (action == "approve") return Approve(r);
  if (action == "refuse") {
    absl::StatusOr<RefusalGround> ground = ParseRefusalGround(args.at("ground").get<std::string>());
    if (!ground.ok()) return ground.status();
    return Refuse(r, *ground, args.at("text").get<std::string>());
  }
  if (action == "extend") {
    const absl::Time noticed_at =
        args.value("noticed", "") == "at_due" ? r.due : r.received_at + absl::Hours(1);
    return Extend(r, args.at("days").get<int>(), args.at("reason").get<std::string>(),
                  args.at("notice").get<std::string>(), noticed_at, tokyo);
  }
  if (action == "complete") return Complete(r, {.summary = args.at("summary").get<std::string>()});
  if (action == "fail") return Fail(r, args.at("error").get<std::string>());
  if (action == "retry") return Retry(r);
  if (action == "withdraw") return Withdraw(r);
  ADD_FAILURE() << "unknown action " << action;
  return absl::InternalError("unknown action");
}

TEST(TransitionTableTest, EveryRowMovesAsExpected) {
  const std::vector<Row> rows = LoadRows("transitions.jsonl");
  ASSERT_FALSE(rows.empty());
  for (const Row& row : rows) {
    SCOPED_TRACE(row.where);
    const RequestState before = StartingState(row.j);
    const std::string action = row.j.at("action").get<std::string>();
    const json args = row.j.value("args", json::object());
    const json& expect = row.j.at("expect");
    absl::StatusOr<Transition> t = RunAction(before, action, args);
    if (!expect.contains("status")) {
      ASSERT_FALSE(t.ok()) << "expected " << expect.at("error") << ", got status "
                           << RequestStatusName(t->state.status);
      EXPECT_EQ(absl::StatusCodeToString(t.status().code()), expect.at("error").get<std::string>())
          << t.status();
      EXPECT_FALSE(t.status().message().empty());
      if (t.status().code() == absl::StatusCode::kFailedPrecondition) {
        // The message names the request and its status.
        EXPECT_NE(t.status().message().find("req_T"), absl::string_view::npos) << t.status();
        EXPECT_NE(t.status().message().find(common::ToAbsl(RequestStatusName(before.status))),
                  absl::string_view::npos)
            << t.status();
      }
      continue;
    }
    ASSERT_TRUE(t.ok()) << t.status();
    const RequestState& after = t->state;
    EXPECT_EQ(RequestStatusName(after.status), expect.at("status").get<std::string>());
    EXPECT_EQ(t->changed, expect.at("changed").get<bool>());
    if (!t->changed) {
      EXPECT_EQ(after, before) << "an unchanged step must return the same state";
    }
    if (expect.contains("verification")) {
      EXPECT_EQ(VerificationStateName(after.verification),
                expect["verification"].get<std::string>());
    }
    if (expect.contains("subject")) {
      EXPECT_EQ(after.subject_id, expect["subject"]);
    }
    if (expect.contains("assignee")) {
      EXPECT_EQ(after.assignee, expect["assignee"]);
    }
    if (expect.contains("error")) {
      if (expect["error"].is_null()) {
        EXPECT_EQ(after.error, std::nullopt);
      } else {
        EXPECT_EQ(after.error, expect["error"].get<std::string>());
      }
    }
    if (expect.contains("failures")) {
      EXPECT_EQ(after.failures, expect["failures"].get<int>());
    }
    if (expect.contains("refusal")) {
      ASSERT_TRUE(after.refusal.has_value());
      EXPECT_EQ(RefusalGroundName(after.refusal->ground), expect["refusal"].get<std::string>());
      EXPECT_FALSE(after.refusal->text.empty());
    }
    // No step loses the request or its deadline; only an extension moves it.
    EXPECT_EQ(after.id, before.id);
    EXPECT_EQ(after.received_at, before.received_at);
    EXPECT_EQ(after.identifiers, before.identifiers);
    if (expect.value("due", "") == "extended") {
      EXPECT_GT(after.due, before.due);
      EXPECT_EQ(after.extensions.size(), before.extensions.size() + 1);
    } else {
      EXPECT_EQ(after.due, before.due);
      EXPECT_EQ(after.extensions, before.extensions);
    }
    // Final statuses carry their answer.
    if (after.status == RequestStatus::kCompleted) {
      EXPECT_TRUE(after.outcome.has_value());
    }
    if (after.status == RequestStatus::kRefused) {
      EXPECT_TRUE(after.refusal.has_value());
    }
  }
  std::printf("transition table rows: %zu\n", rows.size());
}

TEST(TransitionTableTest, EveryActionHasARowFromEveryStatusAndLegalAndIllegalRows) {
  std::map<std::string, std::set<std::string>> from;  // action -> statuses
  std::map<std::string, std::set<bool>> legal;        // action -> {legal?}
  for (const Row& row : LoadRows("transitions.jsonl")) {
    const std::string action = row.j.at("action").get<std::string>();
    from[action].insert(row.j.at("from").at("status").get<std::string>());
    legal[action].insert(row.j.at("expect").contains("status"));
  }
  for (const char* action : kActions) {
    for (RequestStatus status : kRequestStatuses) {
      EXPECT_TRUE(from[action].contains(std::string(RequestStatusName(status))))
          << action << " has no row from " << RequestStatusName(status);
    }
    EXPECT_TRUE(legal[action].contains(true)) << action << " has no legal row";
    EXPECT_TRUE(legal[action].contains(false)) << action << " has no illegal row";
  }
  EXPECT_EQ(from.size(), std::size(kActions)) << "a row names an unknown action";
}

TEST(RefusalTableTest, EveryGroundForEveryKind) {
  const std::vector<Row> rows = LoadRows("refusals.jsonl");
  std::set<std::pair<std::string, std::string>> seen;
  for (const Row& row : rows) {
    SCOPED_TRACE(row.where);
    json state = {{"kind", row.j.at("kind")}, {"from", {{"status", "verifying"}}}};
    const RequestState before = StartingState(state);
    absl::StatusOr<RefusalGround> ground =
        ParseRefusalGround(row.j.at("ground").get<std::string>());
    ASSERT_TRUE(ground.ok()) << ground.status();
    seen.insert({row.j["kind"].get<std::string>(), row.j["ground"].get<std::string>()});
    absl::StatusOr<Transition> t = Refuse(before, *ground, "the reasons as notified");
    const std::string expect = row.j.at("expect").get<std::string>();
    EXPECT_EQ(IsRefusalAllowed(before.kind, *ground), expect == "refused");
    if (expect == "refused") {
      ASSERT_TRUE(t.ok()) << t.status();
      EXPECT_EQ(t->state.status, RequestStatus::kRefused);
      EXPECT_EQ(t->state.refusal, (Refusal{*ground, "the reasons as notified"}));
      continue;
    }
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(absl::StatusCodeToString(t.status().code()), expect);
    // The message lists the grounds allowed for the kind.
    for (RefusalGround allowed : AllowedRefusalGrounds(before.kind)) {
      EXPECT_NE(t.status().message().find(common::ToAbsl(RefusalGroundName(allowed))),
                absl::string_view::npos)
          << t.status();
    }
  }
  EXPECT_EQ(seen.size(), std::size(kRequestKinds) * std::size(kRefusalGrounds));
  std::printf("refusal table rows: %zu\n", rows.size());
}

}  // namespace
}  // namespace mamori::requests
