// The engine's customer requests and complaints (docs/requests.md): the
// rules of src/requests/ applied to stored requests, each step one writer
// job with its ledger entry, and the execution of approved requests.
//
// What the customer gave (identifiers, details, an agent, a corrected
// value) and every result document are sealed under a key of the request's
// own (the request id in the subject position of the key id), so the
// ledger and the plain columns hold ids, kinds, states and times only.
//
// An execution runs inside a savepoint of its own: when it fails, its
// changes and ledger entries are rolled back, and the request stays in
// progress with the error (requests::Fail) for a retry. Nothing of it is
// lost: the approval and the failure are committed.
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "engine/engine_submit.h"
#include "ledger/ledger.h"
#include "requests/execution.h"
#include "retention/retention.h"
#include "vault/normalizer.h"

namespace mamori::engine {

using internal::Blank;
using internal::ChangeEntry;
using internal::Invalid;
using nlohmann::json;

namespace {

constexpr char kRequestKeyKind[] = "request";
constexpr char kComplaintKeyKind[] = "complaint";
// Submissions per identifier in a burst, and how fast they come back.
constexpr requests::AttemptLimiter::Options kSubmissionLimit{.capacity = 5,
                                                             .refill_every = absl::Minutes(12)};

store::DataKeyId RequestKey(std::string_view id) {
  return {std::string(id), kRequestKeyKind, "open"};
}

json OptionsToJson(const RequestOptions& o) {
  auto optional = [](const std::optional<std::string>& v) { return v ? json(*v) : json(); };
  return {{"language", o.language},
          {"category", optional(o.category)},
          {"value", optional(o.value)},
          {"purpose", optional(o.purpose)},
          {"recipient", optional(o.recipient)},
          {"erase", o.erase},
          {"verification_reason", o.verification_reason},
          {"verification_about", o.verification_about}};
}

RequestOptions OptionsFromJson(const json& j) {
  RequestOptions o;
  auto optional = [&](std::string_view field) -> std::optional<std::string> {
    auto it = j.find(field);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  o.language = optional("language").value_or("ja");
  o.category = optional("category");
  o.value = optional("value");
  o.purpose = optional("purpose");
  o.recipient = optional("recipient");
  o.erase = j.value("erase", false);
  o.verification_reason = optional("verification_reason").value_or("");
  o.verification_about = optional("verification_about").value_or("");
  return o;
}

// The limiter's key for an identifier: the digest of its normalized form
// (as the blind index normalizes it, so "+81 90-1234-5678" and
// "090 1234 5678" share a bucket), so that the limiter's memory holds no
// identifier. A value that does not normalize is folded (spaces, hyphens,
// brackets, case) instead.
std::string LimitKey(const requests::GivenIdentifier& given) {
  std::string key;
  absl::StatusOr<std::string> normalized = vault::NormalizeIdentifier(given.kind, given.value);
  if (normalized.ok()) {
    key = *std::move(normalized);
  } else {
    for (char c : given.value) {
      if (c == ' ' || c == '-' || c == '(' || c == ')') continue;
      key.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    }
  }
  return ledger::Sha256Bytes(fmt::format("{}\x1f{}", policy::IdentifierKindName(given.kind), key));
}

requests::ServiceLevels LevelsOf(const policy::Policy& policy) {
  requests::ServiceLevels levels;
  for (requests::RequestKind kind : requests::kRequestKinds) {
    auto it = policy.requests.service_level_days.find(requests::RequestKindName(kind));
    if (it != policy.requests.service_level_days.end()) levels.DaysFor(kind) = it->second;
  }
  return levels;
}

// The text in the request's language: every answer to the customer is in
// the language they asked in.
std::string Say(std::string_view language, std::string ja, std::string en) {
  return language == "en" ? std::move(en) : std::move(ja);
}

std::string_view Named(const std::string& ja, const std::string& en, std::string_view language) {
  return language == "en" && !en.empty() ? std::string_view(en) : std::string_view(ja);
}

// A decision's fields as every decision entry of the ledger has them.
json DecisionFields(const policy::Decision& d) {
  return {{"outcome", policy::OutcomeName(d.outcome)},
          {"reason_code", d.reason_code},
          {"rule_id", d.rule_id},
          {"legal_basis", d.legal_basis},
          {"flagged_for_audit", d.flagged_for_audit}};
}

bool HoldCovers(const store::LegalHoldRow& hold, std::string_view category, absl::Time at) {
  return !hold.released_at && at < hold.until && (!hold.category || *hold.category == category);
}

}  // namespace

struct Engine::StoredRequest {
  store::RequestRow row;
  requests::RequestState state;
  RequestOptions options;
  std::optional<json> result;
};

// --- Loading and saving ---

absl::StatusOr<Engine::StoredRequest> Engine::LoadRequest(const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<store::RequestRow> row, dir_.store().requests().GetRequest(id));
  if (!row) return absl::NotFoundError(fmt::format("request {} not found", id));
  StoredRequest stored;
  stored.row = *std::move(row);
  ASSIGN_OR_RETURN(std::string text,
                   dir_.vault().OpenValue(RequestKey(id), "state", stored.row.sealed_state));
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || !parsed.contains("state")) {
    return absl::DataLossError(fmt::format("request {}: its stored state is unreadable", id));
  }
  ASSIGN_OR_RETURN(stored.state, requests::RequestFromJson(parsed["state"]));
  stored.options = OptionsFromJson(parsed.value("options", json::object()));
  if (!stored.row.sealed_result.empty()) {
    ASSIGN_OR_RETURN(std::string result,
                     dir_.vault().OpenValue(RequestKey(id), "result", stored.row.sealed_result));
    json doc = json::parse(result, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      return absl::DataLossError(fmt::format("request {}: its result is unreadable", id));
    }
    stored.result = std::move(doc);
  }
  return stored;
}

absl::StatusOr<RequestView> Engine::ViewOfRequest(const StoredRequest& stored) {
  return RequestView{stored.state, stored.options, stored.result, stored.row.trail};
}

// Seals the state (and the result, when there is one), stores the row,
// and appends `entry` (null for none) to the ledger and the trail.
absl::StatusOr<RequestView> Engine::SaveRequest(StoredRequest& stored, json entry) {
  const requests::RequestState& s = stored.state;
  store::RequestRow& row = stored.row;
  const bool insert = row.id.empty();
  row.id = s.id;
  row.kind = std::string(requests::RequestKindName(s.kind));
  row.status = std::string(requests::RequestStatusName(s.status));
  row.verification = std::string(requests::VerificationStateName(s.verification));
  row.received_at = s.received_at;
  row.due = s.due;
  row.assignee = s.assignee;
  row.subject_id = s.subject_id;
  row.summary_json = json{{"error", s.error ? json(*s.error) : json()},
                          {"failures", s.failures},
                          {"agent", s.agent.has_value()},
                          {"language", stored.options.language}}
                         .dump();
  const json whole = {{"state", requests::RequestToJson(s)},
                      {"options", OptionsToJson(stored.options)}};
  ASSIGN_OR_RETURN(row.sealed_state,
                   dir_.vault().SealValue(RequestKey(s.id), "state", whole.dump()));
  if (stored.result) {
    ASSIGN_OR_RETURN(row.sealed_result,
                     dir_.vault().SealValue(RequestKey(s.id), "result", stored.result->dump()));
  }
  row.updated_at = clock_.Now();
  if (!entry.is_null()) {
    entry["request"] = s.id;
    entry["request_kind"] = row.kind;
    entry["status"] = row.status;
    ASSIGN_OR_RETURN(uint64_t seq, ledger_->Append(std::move(entry)));
    row.trail.push_back(static_cast<int64_t>(seq));
  }
  if (insert) {
    RETURN_IF_ERROR(dir_.store().requests().InsertRequest(row));
  } else {
    RETURN_IF_ERROR(dir_.store().requests().UpdateRequest(row));
  }
  return ViewOfRequest(stored);
}

// --- Receiving ---

absl::StatusOr<RequestReceipt> Engine::SubmitRequest(RequestSpec spec) {
  return Submit<RequestReceipt>(JobKind::kWrites, [&]() -> absl::StatusOr<RequestReceipt> {
    const policy::Policy& policy = dir_.policy();
    ASSIGN_OR_RETURN(requests::RequestKind kind, requests::ParseRequestKind(spec.kind));
    if (spec.language != "ja" && spec.language != "en") {
      return Invalid("language: expected \"ja\" or \"en\"");
    }
    using K = requests::RequestKind;
    const bool changes_value = kind == K::kCorrection || kind == K::kAddition;
    const bool takes_category = changes_value || kind == K::kDeletion || kind == K::kStopUse;
    if (spec.category && !takes_category) {
      return Invalid(fmt::format("category: not taken by a {} request", spec.kind));
    }
    if (spec.category && policy.FindCategory(*spec.category) == nullptr) {
      return Invalid(
          fmt::format("category: \"{}\" is not a category of the policy", *spec.category));
    }
    if (changes_value && !spec.category) {
      return Invalid(fmt::format("category: required for a {} request", spec.kind));
    }
    if (changes_value && (!spec.value || Blank(*spec.value))) {
      return Invalid(fmt::format("value: required for a {} request", spec.kind));
    }
    if (spec.value && !changes_value) {
      return Invalid(fmt::format("value: not taken by a {} request", spec.kind));
    }
    if (spec.purpose && kind != K::kStopUse) {
      return Invalid(fmt::format("purpose: not taken by a {} request", spec.kind));
    }
    if (spec.purpose && policy.FindPurpose(*spec.purpose) == nullptr) {
      return Invalid(fmt::format("purpose: \"{}\" is not a purpose of the policy", *spec.purpose));
    }
    if (spec.recipient && kind != K::kStopProvision) {
      return Invalid(fmt::format("recipient: not taken by a {} request", spec.kind));
    }
    if (spec.recipient && policy.FindRecipient(*spec.recipient) == nullptr) {
      return Invalid(
          fmt::format("recipient: \"{}\" is not a recipient of the policy", *spec.recipient));
    }
    if (spec.erase && kind != K::kStopUse) {
      return Invalid(fmt::format("erase: not taken by a {} request", spec.kind));
    }
    const absl::Time now = clock_.Now();
    requests::RequestIntake intake;
    intake.id = common::NewId(common::IdKind::kRequest, random_, now);
    intake.kind = kind;
    intake.identifiers = spec.identifiers;
    intake.agent = spec.agent;
    intake.received_at = now;
    intake.details = spec.details;
    ASSIGN_OR_RETURN(requests::RequestState state,
                     requests::NewRequest(std::move(intake), LevelsOf(policy), OperatorZone()));
    // Only well-formed requests count against the identifiers' limit; each
    // identifier has its own bucket, and any empty one refuses the request.
    if (!request_limiter_) {
      request_limiter_ = std::make_unique<requests::AttemptLimiter>(kSubmissionLimit);
    }
    request_limiter_->Prune(now);
    absl::Duration wait = absl::ZeroDuration();
    for (const requests::GivenIdentifier& given : state.identifiers) {
      wait = std::max(wait, request_limiter_->RetryAfter(LimitKey(given), now));
    }
    if (wait > absl::ZeroDuration()) {
      absl::Status limited =
          absl::ResourceExhaustedError("too many requests with these identifiers; try again later");
      limited.SetPayload(
          "retry_after_seconds",
          absl::Cord(std::to_string(absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1))))));
      return limited;
    }
    for (const requests::GivenIdentifier& given : state.identifiers) {
      request_limiter_->TryAcquire(LimitKey(given), now);
    }

    std::string secret(24, '\0');
    random_.Fill(std::span<uint8_t>(reinterpret_cast<uint8_t*>(secret.data()), secret.size()));
    RequestReceipt receipt{state.id, absl::WebSafeBase64Escape(secret), state.due};
    StoredRequest stored;
    stored.state = std::move(state);
    stored.options.language = spec.language;
    stored.options.category = spec.category;
    stored.options.value = spec.value;
    stored.options.purpose = spec.purpose;
    stored.options.recipient = spec.recipient;
    stored.options.erase = spec.erase;
    stored.row.secret_sha256 = ledger::Sha256Bytes(receipt.secret);
    json entry = ChangeEntry("request.receive", "public");
    json kinds = json::array();
    for (const requests::GivenIdentifier& given : stored.state.identifiers) {
      kinds.push_back(policy::IdentifierKindName(given.kind));
    }
    entry["identifier_kinds"] = kinds;
    entry["agent"] =
        stored.state.agent ? json(requests::AgentKindName(stored.state.agent->kind)) : json();
    entry["due"] = common::FormatTimestamp(stored.state.due);
    RETURN_IF_ERROR(SaveRequest(stored, std::move(entry)).status());
    return receipt;
  });
}

// --- Reading ---

absl::StatusOr<RequestView> Engine::PublicRequest(std::string id, std::string secret) {
  return Submit<RequestView>(JobKind::kWrites, [&]() -> absl::StatusOr<RequestView> {
    absl::Status unknown = absl::NotFoundError("no request with this id and secret");
    ASSIGN_OR_RETURN(std::optional<store::RequestRow> row, dir_.store().requests().GetRequest(id));
    const std::string digest = ledger::Sha256Bytes(secret);
    if (!row || row->secret_sha256.size() != digest.size() ||
        sodium_memcmp(row->secret_sha256.data(), digest.data(), digest.size()) != 0) {
      return unknown;
    }
    ASSIGN_OR_RETURN(StoredRequest stored, LoadRequest(id));
    return ViewOfRequest(stored);
  });
}

absl::StatusOr<std::vector<store::RequestRow>> Engine::ListRequests() {
  return Submit<std::vector<store::RequestRow>>(
      JobKind::kRecords, [&] { return dir_.store().requests().ListRequests(); });
}

absl::StatusOr<RequestView> Engine::GetRequest(std::string id) {
  return Submit<RequestView>(JobKind::kWrites, [&]() -> absl::StatusOr<RequestView> {
    ASSIGN_OR_RETURN(StoredRequest stored, LoadRequest(id));
    return ViewOfRequest(stored);
  });
}

absl::StatusOr<std::vector<json>> Engine::LedgerEntries(std::vector<int64_t> seqs) {
  return Submit<std::vector<json>>(JobKind::kRecords, [&]() -> absl::StatusOr<std::vector<json>> {
    RETURN_IF_ERROR(ledger_->Flush());
    std::vector<json> entries;
    for (int64_t seq : seqs) {
      ASSIGN_OR_RETURN(std::optional<store::LedgerEntryRow> row,
                       dir_.store().ledger().GetEntry(seq));
      if (!row) continue;
      json entry = json::parse(row->entry, nullptr, /*allow_exceptions=*/false);
      if (!entry.is_object()) continue;
      entry["seq"] = seq;
      entries.push_back(std::move(entry));
    }
    return entries;
  });
}

// --- Steps ---

absl::StatusOr<RequestView> Engine::StepRequest(
    const std::string& by, const std::string& id, std::string_view change,
    const std::function<absl::StatusOr<requests::Transition>(StoredRequest&)>& step) {
  return Submit<RequestView>(JobKind::kWrites, [&]() -> absl::StatusOr<RequestView> {
    ASSIGN_OR_RETURN(StoredRequest stored, LoadRequest(id));
    ASSIGN_OR_RETURN(requests::Transition t, step(stored));
    if (!t.changed) return ViewOfRequest(stored);
    stored.state = std::move(t.state);
    json entry = ChangeEntry(change, by);
    return SaveRequest(stored, std::move(entry));
  });
}

absl::StatusOr<RequestView> Engine::AssignRequest(std::string by, std::string id,
                                                  std::string assignee) {
  return StepRequest(by, id, "request.assign", [&](StoredRequest& stored) {
    return requests::Assign(stored.state, assignee);
  });
}

absl::StatusOr<RequestView> Engine::VerifyRequest(std::string by, std::string id) {
  return Submit<RequestView>(JobKind::kWrites, [&]() -> absl::StatusOr<RequestView> {
    ASSIGN_OR_RETURN(StoredRequest stored, LoadRequest(id));
    requests::RequestState& state = stored.state;
    // Verified already (approved or completed since, too): repeating is
    // harmless and changes nothing.
    if (state.verification == requests::VerificationState::kVerified &&
        state.status != requests::RequestStatus::kRefused &&
        state.status != requests::RequestStatus::kWithdrawn) {
      return ViewOfRequest(stored);
    }
    if (requests::IsFinal(state.status)) {
      return absl::FailedPreconditionError(fmt::format("cannot verify request {}: it is {}", id,
                                                       requests::RequestStatusName(state.status)));
    }
    std::vector<requests::IdentifierMatch> matches;
    for (const requests::GivenIdentifier& given : state.identifiers) {
      // A value that does not even normalize (a malformed phone number)
      // matches nobody; the requester learns nothing more than that.
      absl::StatusOr<std::vector<std::string>> found =
          dir_.vault().FindSubjects(given.kind, given.value);
      matches.push_back({given.kind, found.ok() ? *std::move(found) : std::vector<std::string>{}});
    }
    const requests::VerificationResult result =
        requests::Verify(matches, dir_.policy().requests.verification);
    ASSIGN_OR_RETURN(requests::Transition t, requests::StartVerifying(state));
    if (result.verified) {
      ASSIGN_OR_RETURN(t, requests::MarkVerified(t.state, result.subject_id));
    } else {
      ASSIGN_OR_RETURN(t, requests::MarkCannotVerify(t.state));
    }
    state = std::move(t.state);
    stored.options.verification_reason =
        std::string(requests::VerificationReasonName(result.reason));
    stored.options.verification_about = result.about == policy::IdentifierKind::kNone
                                            ? ""
                                            : std::string(policy::IdentifierKindName(result.about));
    json entry = ChangeEntry("request.verify", by);
    entry["verification"] = requests::VerificationStateName(state.verification);
    entry["reason"] = stored.options.verification_reason;
    if (result.verified) entry["subject"] = result.subject_id;
    return SaveRequest(stored, std::move(entry));
  });
}

absl::StatusOr<RequestView> Engine::RefuseRequest(std::string by, std::string id,
                                                  requests::RefusalGround ground,
                                                  std::string text) {
  return StepRequest(by, id, "request.refuse", [&](StoredRequest& stored) {
    return requests::Refuse(stored.state, ground, text);
  });
}

absl::StatusOr<RequestView> Engine::ExtendRequest(std::string by, std::string id, int days,
                                                  std::string reason, std::string notice) {
  return StepRequest(by, id, "request.extend", [&](StoredRequest& stored) {
    return requests::Extend(stored.state, days, reason, notice, clock_.Now(), OperatorZone());
  });
}

absl::StatusOr<RequestView> Engine::WithdrawRequest(std::string by, std::string id) {
  return StepRequest(by, id, "request.withdraw",
                     [&](StoredRequest& stored) { return requests::Withdraw(stored.state); });
}

absl::StatusOr<RequestView> Engine::WithdrawPublicRequest(std::string id, std::string secret) {
  RETURN_IF_ERROR(PublicRequest(id, secret).status());
  return WithdrawRequest("public", id);
}

// Approval and execution: one job, so that a request is never approved
// without its execution being tried, nor executed twice.
absl::StatusOr<RequestView> Engine::ApproveRequest(std::string by, std::string id) {
  struct Approved {
    RequestView view;
    std::optional<policy::Decision> denied;
  };
  ASSIGN_OR_RETURN(
      Approved approved, Submit<Approved>(JobKind::kWrites, [&]() -> absl::StatusOr<Approved> {
        ASSIGN_OR_RETURN(StoredRequest stored, LoadRequest(id));
        ASSIGN_OR_RETURN(requests::Transition t, requests::Approve(stored.state));
        if (!t.changed) return Approved{*ViewOfRequest(stored), std::nullopt};
        // Decided before anything changes: a denied execution leaves the
        // request where it was, with the decision in the ledger.
        static const policy::ActorFacts kNoActor;
        const policy::ActorFacts* actor = facts_->actor(by);
        const policy::Decision decision = requests::DecideExecution(
            dir_.policy(), actor != nullptr ? *actor : kNoActor, t.state, clock_.Now());
        if (decision.outcome == policy::Outcome::kDeny) {
          RETURN_IF_ERROR(RecordDeniedExecution(by, stored, decision));
          return Approved{*ViewOfRequest(stored), decision};
        }
        stored.state = std::move(t.state);
        RETURN_IF_ERROR(SaveRequest(stored, ChangeEntry("request.approve", by)).status());
        ASSIGN_OR_RETURN(RequestView view, ExecuteAndSave(by, stored));
        return Approved{std::move(view), std::nullopt};
      }));
  if (approved.denied) {
    return absl::PermissionDeniedError(fmt::format("the execution was denied: {} ({})",
                                                   approved.denied->reason_code,
                                                   approved.denied->rule_id));
  }
  return std::move(approved.view);
}

absl::StatusOr<RequestView> Engine::RetryRequest(std::string by, std::string id) {
  struct Retried {
    RequestView view;
    std::optional<policy::Decision> denied;
  };
  ASSIGN_OR_RETURN(
      Retried retried, Submit<Retried>(JobKind::kWrites, [&]() -> absl::StatusOr<Retried> {
        ASSIGN_OR_RETURN(StoredRequest stored, LoadRequest(id));
        ASSIGN_OR_RETURN(requests::Transition t, requests::Retry(stored.state));
        // Decided before anything changes, as an approval is: a denied
        // retry leaves the request as it was, with the decision recorded.
        static const policy::ActorFacts kNoActor;
        const policy::ActorFacts* actor = facts_->actor(by);
        const policy::Decision decision = requests::DecideExecution(
            dir_.policy(), actor != nullptr ? *actor : kNoActor, t.state, clock_.Now());
        if (decision.outcome == policy::Outcome::kDeny) {
          RETURN_IF_ERROR(RecordDeniedExecution(by, stored, decision));
          return Retried{*ViewOfRequest(stored), decision};
        }
        stored.state = std::move(t.state);
        RETURN_IF_ERROR(SaveRequest(stored, ChangeEntry("request.retry", by)).status());
        ASSIGN_OR_RETURN(RequestView view, ExecuteAndSave(by, stored));
        return Retried{std::move(view), std::nullopt};
      }));
  if (retried.denied) {
    return absl::PermissionDeniedError(fmt::format(
        "the execution was denied: {} ({})", retried.denied->reason_code, retried.denied->rule_id));
  }
  return std::move(retried.view);
}

// Records a denied execution in the ledger and the request's trail; the
// request itself does not change.
absl::Status Engine::RecordDeniedExecution(const std::string& by, StoredRequest& stored,
                                           const policy::Decision& decision) {
  json entry = DecisionFields(decision);
  entry["kind"] = "decision";
  entry["action"] = fmt::format("request.{}", requests::RequestKindName(stored.state.kind));
  entry["actor"] = by;
  entry["purpose"] = requests::ExecutionPurpose(stored.state.kind);
  entry["categories"] = json::array();
  entry["ground"] = "none";
  entry["subject"] = stored.state.subject_id;
  entry["request"] = stored.state.id;
  ASSIGN_OR_RETURN(uint64_t seq, ledger_->Append(std::move(entry)));
  stored.row.trail.push_back(static_cast<int64_t>(seq));
  return SaveRequest(stored, json()).status();
}

// Executes an in-progress request and saves it: completed with its result,
// or still in progress with the failure's error.
absl::StatusOr<RequestView> Engine::ExecuteAndSave(const std::string& by, StoredRequest& stored) {
  requests::Outcome outcome;
  absl::StatusOr<json> result = ExecuteRequest(by, stored, outcome);
  if (!result.ok()) {
    ASSIGN_OR_RETURN(requests::Transition failed,
                     requests::Fail(stored.state, common::FromAbsl(result.status().message())));
    stored.state = std::move(failed.state);
    json entry = ChangeEntry("request.fail", by);
    entry["error_code"] = absl::StatusCodeToString(result.status().code());
    return SaveRequest(stored, std::move(entry));
  }
  ASSIGN_OR_RETURN(requests::Transition done, requests::Complete(stored.state, std::move(outcome)));
  stored.state = std::move(done.state);
  stored.result = *std::move(result);
  return SaveRequest(stored, ChangeEntry("request.complete", by));
}

// --- Execution ---

absl::Status Engine::PutStopOrder(const std::string& by, const StopOrderSpec& spec,
                                  store::StopOrderRow* out) {
  const absl::Time now = clock_.Now();
  store::StopOrderRow row{common::NewId(common::IdKind::kStopOrder, random_, now),
                          spec.subject,
                          spec.kind,
                          spec.purpose,
                          spec.recipient,
                          now,
                          spec.request_id,
                          std::nullopt};
  RETURN_IF_ERROR(dir_.store().facts().InsertStopOrder(row));
  json entry = ChangeEntry("stop_order.add", by);
  entry["subject"] = row.subject_id;
  entry["stop_order"] = row.id;
  entry["order_kind"] = row.kind;
  entry["purpose"] = row.purpose ? json(*row.purpose) : json();
  entry["recipient"] = row.recipient ? json(*row.recipient) : json();
  if (!row.request_id.empty()) entry["request"] = row.request_id;
  RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
  *out = std::move(row);
  return absl::OkStatus();
}

// Deletes the records, destroys each data key left without rows and, when
// nothing of the subject is left, its blind indexes and every key of its.
absl::StatusOr<int64_t> Engine::EraseRecordsForRequest(
    const std::string& by, const std::string& request_id,
    const std::vector<store::RecordRow>& records) {
  if (records.empty()) return 0;
  store::Store& store = dir_.store();
  std::vector<std::string> ids;
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> by_key;
  for (const store::RecordRow& r : records) {
    ids.push_back(r.id);
    ++by_key[{r.subject_id, r.category, r.key_bucket}];
  }
  ASSIGN_OR_RETURN(int64_t deleted, store.retention().DeleteRecords(ids));
  std::vector<store::DataKeyId> destroyed;
  for (const auto& [key, count] : by_key) {
    const store::DataKeyId id{std::get<0>(key), std::get<1>(key), std::get<2>(key)};
    ASSIGN_OR_RETURN(int64_t remaining, store.retention().CountRecordsOfKey(id));
    bool key_destroyed = false;
    if (remaining == 0) {
      ASSIGN_OR_RETURN(int64_t n, store.keys().DestroyDataKey(id));
      key_destroyed = n > 0;
      if (key_destroyed) destroyed.push_back(id);
    }
    json entry = ChangeEntry("request.erase", by);
    entry["request"] = request_id;
    entry["subject"] = id.subject_id;
    entry["category"] = id.category;
    entry["bucket"] = id.bucket;
    entry["records"] = count;
    entry["key_destroyed"] = key_destroyed;
    entry["records_left"] = remaining;
    RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
  }
  const std::string& subject = records.front().subject_id;
  changed_subjects_.insert(subject);
  std::vector<std::string> erased_subjects;
  ASSIGN_OR_RETURN(bool left, store.retention().SubjectHasRecords(subject));
  if (!left) {
    ASSIGN_OR_RETURN(int64_t indexes, store.retention().DeleteBlindIndexes(subject));
    ASSIGN_OR_RETURN(int64_t keys, store.keys().DestroySubjectKeys(subject));
    RETURN_IF_ERROR(store.records().SetSubjectLanguage(subject, ""));
    erased_subjects.push_back(subject);
    json entry = ChangeEntry("request.subject_erased", by);
    entry["request"] = request_id;
    entry["subject"] = subject;
    entry["blind_indexes"] = indexes;
    entry["keys_destroyed"] = keys;
    RETURN_IF_ERROR(ledger_->Append(std::move(entry)).status());
  }
  dir_.vault().ForgetKeys(destroyed, erased_subjects);
  forget_keys_.insert(forget_keys_.end(), destroyed.begin(), destroyed.end());
  forget_subjects_.insert(forget_subjects_.end(), erased_subjects.begin(), erased_subjects.end());
  return deleted;
}

// Runs the request's execution in a savepoint of its own and returns the
// result document; on failure, everything it did is undone (store, ledger,
// caches) and the error returned.
absl::StatusOr<json> Engine::ExecuteRequest(const std::string& by, StoredRequest& stored,
                                            requests::Outcome& outcome) {
  const ledger::Ledger::Mark mark = ledger_->mark();
  store::Store& store = dir_.store();
  ASSIGN_OR_RETURN(std::unique_ptr<store::Transaction> keys_tx, store.keys().BeginTransaction());
  ASSIGN_OR_RETURN(std::unique_ptr<store::Transaction> records_tx,
                   store.records().BeginTransaction());
  std::vector<store::StopOrderRow> new_orders;
  const size_t forget_keys_before = forget_keys_.size();
  const size_t forget_subjects_before = forget_subjects_.size();

  auto run = [&]() -> absl::StatusOr<json> {
    const policy::Policy& policy = dir_.policy();
    const requests::RequestState& state = stored.state;
    const RequestOptions& options = stored.options;
    const std::string& subject = state.subject_id;
    const std::string& language = options.language;
    const absl::Time now = clock_.Now();
    const absl::TimeZone zone = OperatorZone();
    ASSIGN_OR_RETURN(std::vector<store::RecordRow> records, store.records().ListRecords(subject));
    std::set<std::string> categories;
    for (const store::RecordRow& r : records) categories.insert(r.category);

    // The execution's decision entry (allowed: DecideExecution ran before).
    policy::Decision decision;
    decision.outcome = policy::Outcome::kAllow;
    decision.reason_code = "allowed";
    decision.rule_id = std::string(requests::ExecutionRule(state.kind));
    decision.legal_basis = fmt::format("request:{}", requests::RequestKindName(state.kind));
    json use = DecisionFields(decision);
    use["kind"] = "decision";
    use["action"] = fmt::format("request.{}", requests::RequestKindName(state.kind));
    use["actor"] = by;
    use["purpose"] = requests::ExecutionPurpose(state.kind);
    use["categories"] = json(std::vector<std::string>(categories.begin(), categories.end()));
    use["ground"] = "none";
    use["subject"] = subject;
    use["request"] = state.id;

    json result = {
        {"request", state.id},
        {"kind", requests::RequestKindName(state.kind)},
        {"language", language},
        {"generated_at", common::FormatTimestamp(now)},
        {"operator", Named(policy.operator_info.name, policy.operator_info.name_en, language)}};
    using K = requests::RequestKind;
    switch (state.kind) {
      case K::kPurposeNotice: {
        std::map<std::string, std::set<std::string>> by_service;
        for (const store::RecordRow& r : records) {
          by_service[r.service].insert(r.purposes.begin(), r.purposes.end());
        }
        json services = json::array();
        for (const auto& [service_id, purposes] : by_service) {
          const policy::Service* service = policy.FindService(service_id);
          json list = json::array();
          for (const std::string& p : purposes) {
            const policy::Purpose* purpose = policy.FindPurpose(p);
            list.push_back(
                {{"id", p},
                 {"name",
                  purpose ? json(Named(purpose->name_ja, purpose->name_en, language)) : json(p)},
                 {"announcement", purpose ? json(Named(purpose->announcement_ja,
                                                       purpose->announcement_en, language))
                                          : json()}});
          }
          services.push_back(
              {{"service", service_id},
               {"name", service ? json(Named(service->name_ja, service->name_en, language))
                                : json(service_id)},
               {"purposes", list}});
        }
        result["services"] = services;
        result["no_data_held"] = records.empty();
        outcome.no_data_held = records.empty();
        outcome.summary = records.empty()
                              ? Say(language, "お客さまの個人データは保有しておりません。",
                                    "No personal data of yours is held.")
                              : Say(language, "お客さまの個人データの利用目的をお知らせします。",
                                    "The purposes of use of your data are notified.");
        RETURN_IF_ERROR(ledger_->Append(std::move(use)).status());
        return result;
      }
      case K::kDisclosure: {
        json items = json::array();
        json ids = json::array();
        std::string value;
        for (const store::RecordRow& r : records) {
          // A key destroyed by retention leaves nothing to disclose.
          if (!dir_.vault()
                   .OpenValueInto({r.subject_id, r.category, r.key_bucket}, r.id, r.sealed_value,
                                  value)
                   .ok()) {
            continue;
          }
          const policy::Category* category = policy.FindCategory(r.category);
          const policy::Service* service = policy.FindService(r.service);
          json purposes = json::array();
          for (const std::string& p : r.purposes) {
            const policy::Purpose* purpose = policy.FindPurpose(p);
            purposes.push_back(
                {{"id", p},
                 {"name",
                  purpose ? json(Named(purpose->name_ja, purpose->name_en, language)) : json(p)}});
          }
          items.push_back(
              {{"record", r.id},
               {"category", r.category},
               {"category_name", category
                                     ? json(Named(category->name_ja, category->name_en, language))
                                     : json(r.category)},
               {"service", r.service},
               {"service_name", service ? json(Named(service->name_ja, service->name_en, language))
                                        : json(r.service)},
               {"purposes", purposes},
               {"collected_at", common::FormatTimestamp(r.collected_at)},
               {"policy_version", r.policy_version},
               {"value", value}});
          ids.push_back(r.id);
        }
        ASSIGN_OR_RETURN(std::vector<store::ConsentRow> consents,
                         store.facts().ListConsents(subject));
        json consent_list = json::array();
        for (const store::ConsentRow& c : consents) {
          consent_list.push_back(
              {{"consent", c.id},
               {"purpose", c.purpose},
               {"recipient", c.recipient ? json(*c.recipient) : json()},
               {"given_at", common::FormatTimestamp(c.given_at)},
               {"channel", c.channel},
               {"policy_version", c.policy_version},
               {"withdrawn_at",
                c.withdrawn_at ? json(common::FormatTimestamp(*c.withdrawn_at)) : json()}});
        }
        ASSIGN_OR_RETURN(std::vector<store::ProvisionRecordRow> provisions,
                         store.provisions().ListRecordsOfSubject(subject));
        json provision_list = json::array();
        for (const store::ProvisionRecordRow& p : provisions) {
          const policy::Recipient* recipient = policy.FindRecipient(p.recipient);
          provision_list.push_back({{"record", p.id},
                                    {"recipient", p.recipient},
                                    {"recipient_name", recipient ? json(recipient->name) : json()},
                                    {"categories", p.categories},
                                    {"purpose", p.purpose},
                                    {"legal_basis", p.legal_basis},
                                    {"provided_at", common::FormatTimestamp(p.provided_at)}});
        }
        ASSIGN_OR_RETURN(std::vector<store::StopOrderRow> orders,
                         store.facts().ListStopOrders(subject));
        json order_list = json::array();
        for (const store::StopOrderRow& o : orders) {
          order_list.push_back(
              {{"order", o.id},
               {"kind", o.kind},
               {"purpose", o.purpose ? json(*o.purpose) : json()},
               {"recipient", o.recipient ? json(*o.recipient) : json()},
               {"created_at", common::FormatTimestamp(o.created_at)},
               {"lifted_at", o.lifted_at ? json(common::FormatTimestamp(*o.lifted_at)) : json()}});
        }
        ASSIGN_OR_RETURN(std::optional<store::SubjectRow> row, store.records().GetSubject(subject));
        const bool none = items.empty() && consent_list.empty() && provision_list.empty();
        result["policy_version"] = dir_.policy_version();
        // The language they chose is held about them too.
        result["chosen_language"] = row && !row->language.empty() ? json(row->language) : json();
        result["records"] = items;
        result["consents"] = consent_list;
        result["provision_records"] = provision_list;
        result["stop_orders"] = order_list;
        result["no_data_held"] = none;
        outcome.no_data_held = none;
        outcome.summary =
            none ? Say(language, "お客さまの個人データは保有しておりません。",
                       "No personal data of yours is held.")
                 : Say(language, fmt::format("{} 件の記録を開示します。", items.size()),
                       fmt::format("{} records disclosed.", items.size()));
        use["records"] = ids;
        RETURN_IF_ERROR(ledger_->Append(std::move(use)).status());
        return result;
      }
      case K::kCorrection:
      case K::kAddition: {
        const std::string& category_id = *options.category;
        const policy::Category* category = policy.FindCategory(category_id);
        if (category == nullptr) {
          return absl::FailedPreconditionError(
              fmt::format("category {} is no longer in the policy", category_id));
        }
        std::vector<store::RecordRow> old;
        for (const store::RecordRow& r : records) {
          if (r.category == category_id) old.push_back(r);
        }
        // The new value goes where the old one was collected; otherwise to
        // the first service that collects the category.
        std::string service = old.empty() ? "" : old.back().service;
        for (size_t i = 0; service.empty() && i < policy.services.size(); ++i) {
          if (!policy.CollectionPurposes(policy.services[i].id, category_id).empty()) {
            service = policy.services[i].id;
          }
        }
        if (service.empty()) {
          return absl::FailedPreconditionError(
              fmt::format("no service collects category {}", category_id));
        }
        use["categories"] = json::array({category_id});
        RETURN_IF_ERROR(ledger_->Append(std::move(use)).status());
        const bool correcting = state.kind == K::kCorrection && !old.empty();
        // A corrected identifier no longer finds the person: its index
        // entries go before the new value is indexed (which may normalize
        // like an old one).
        if (correcting && category->identifier != policy::IdentifierKind::kNone) {
          std::string value;
          for (const store::RecordRow& r : old) {
            if (dir_.vault()
                    .OpenValueInto({r.subject_id, r.category, r.key_bucket}, r.id, r.sealed_value,
                                   value)
                    .ok()) {
              RETURN_IF_ERROR(
                  dir_.vault().UnindexValue(subject, category->identifier, value).status());
            }
          }
        }
        current_actor_ = by;
        vault::NewRecord record;
        record.category = category_id;
        record.service = service;
        record.value = *options.value;
        ASSIGN_OR_RETURN(std::string added, dir_.vault().AddRecord(subject, record));
        result["category"] = category_id;
        result["added_record"] = added;
        if (correcting) {
          // The wrong values go now: the ledger keeps their record ids only.
          ASSIGN_OR_RETURN(int64_t erased, EraseRecordsForRequest(by, state.id, old));
          result["erased_records"] = erased;
          outcome.summary = Say(language, fmt::format("{}を訂正しました。", category->name_ja),
                                fmt::format("The {} was corrected.", category->name_en));
        } else {
          outcome.summary = Say(language, fmt::format("{}を追加しました。", category->name_ja),
                                fmt::format("The {} was added.", category->name_en));
        }
        return result;
      }
      case K::kDeletion:
      case K::kStopUse: {
        if (state.kind == K::kStopUse) {
          StopOrderSpec spec;
          spec.subject = subject;
          spec.kind = "use";
          spec.purpose = options.purpose;
          spec.request_id = state.id;
          store::StopOrderRow order;
          RETURN_IF_ERROR(PutStopOrder(by, spec, &order));
          result["stop_order"] = order.id;
          new_orders.push_back(std::move(order));
        }
        const bool erase = state.kind == K::kDeletion || options.erase;
        if (!erase) {
          const policy::Purpose* stopped =
              options.purpose ? policy.FindPurpose(*options.purpose) : nullptr;
          outcome.summary =
              stopped != nullptr
                  ? Say(language,
                        fmt::format("「{}」のための利用を停止しました。", stopped->name_ja),
                        fmt::format("The use of your data for {} was stopped.", stopped->name_en))
                  : Say(language, "お客さまの個人データの利用を停止しました。",
                        "The use of your data was stopped.");
          result["erased_records"] = 0;
          return result;
        }
        // What a live purpose, a statutory period or a legal hold keeps
        // stays, and the answer says so (docs/requests.md, "Erasure").
        ASSIGN_OR_RETURN(std::vector<store::LegalHoldRow> holds,
                         store.retention().ListHolds(subject));
        ASSIGN_OR_RETURN(std::vector<store::ContractEndRow> ends,
                         store.retention().ListContractEnds(subject));
        retention::SubjectRetentionFacts facts;
        for (const store::ContractEndRow& e : ends) facts.contract_ends[e.service] = e.ended_at;
        auto contract_ended = [&](const std::string& service) {
          return facts.contract_ends.contains(service) || facts.contract_ends.contains("");
        };
        std::vector<store::RecordRow> to_erase;
        std::map<std::pair<std::string, std::string>, int> kept_count;  // (category, reason)
        for (const store::RecordRow& r : records) {
          if (options.category && r.category != *options.category) continue;
          std::string reason;
          for (const store::LegalHoldRow& h : holds) {
            if (HoldCovers(h, r.category, now)) {
              const std::string until = absl::FormatTime("%Y-%m-%d", h.until, zone);
              reason = Say(language,
                           fmt::format("法令等による保存（{}、{}）{}まで", h.basis, h.id, until),
                           fmt::format("legal hold {} ({}) until {}", h.id, h.basis, until));
              break;
            }
          }
          for (size_t i = 0; reason.empty() && i < r.purposes.size(); ++i) {
            const policy::Purpose* purpose = policy.FindPurpose(r.purposes[i]);
            if (purpose == nullptr) continue;
            const policy::RetentionRule* rule = policy.FindRetention(purpose->retention);
            if (rule == nullptr) continue;
            if (rule->anchor == policy::RetentionAnchor::kContractEnd &&
                !contract_ended(r.service)) {
              const policy::Service* service = policy.FindService(r.service);
              const std::string service_name =
                  service ? std::string(Named(service->name_ja, service->name_en, language))
                          : r.service;
              reason = Say(language,
                           fmt::format("ご契約中のサービス（{}）の「{}」に必要なため", service_name,
                                       purpose->name_ja),
                           fmt::format("active contract ({}): needed for {}", service_name,
                                       purpose->name_en));
            } else if (!rule->statutory.empty()) {
              std::optional<absl::Time> until = retention::PurposeDeadline(
                  policy, zone, facts, purpose->id, r.service, r.collected_at);
              if (!until || *until > now) {
                const std::string date =
                    until ? absl::FormatTime("%Y-%m-%d", *until, zone) : std::string();
                reason =
                    until
                        ? Say(language,
                              fmt::format("法令による保存義務（{}）{}まで", rule->statutory, date),
                              fmt::format("statutory retention ({}) until {}", rule->statutory,
                                          date))
                        : Say(language, fmt::format("法令による保存義務（{}）", rule->statutory),
                              fmt::format("statutory retention ({})", rule->statutory));
              }
            }
          }
          if (reason.empty()) {
            to_erase.push_back(r);
          } else {
            ++kept_count[{r.category, reason}];
          }
        }
        for (const auto& [key, count] : kept_count) {
          const policy::Category* category = policy.FindCategory(key.first);
          outcome.kept.push_back(
              {category ? std::string(Named(category->name_ja, category->name_en, language))
                        : key.first,
               key.second});
        }
        ASSIGN_OR_RETURN(std::vector<store::ProvisionRecordRow> provisions,
                         store.provisions().ListRecordsOfSubject(subject));
        if (!provisions.empty()) {
          absl::Time until = provisions.front().keep_until;
          for (const store::ProvisionRecordRow& p : provisions)
            until = std::max(until, p.keep_until);
          const std::string date = absl::FormatTime("%Y-%m-%d", until, zone);
          outcome.kept.push_back(
              {Say(language, "第三者提供の記録", "third-party provision records"),
               Say(language, fmt::format("個人情報保護法第29条の記録として{}まで保存", date),
                   fmt::format("APPI Art. 29 records, kept until {}", date))});
        }
        std::set<std::string> erased_categories;
        for (const store::RecordRow& r : to_erase) erased_categories.insert(r.category);
        use["categories"] =
            json(std::vector<std::string>(erased_categories.begin(), erased_categories.end()));
        RETURN_IF_ERROR(ledger_->Append(std::move(use)).status());
        ASSIGN_OR_RETURN(int64_t erased, EraseRecordsForRequest(by, state.id, to_erase));
        json kept = json::array();
        for (const requests::KeptItem& k : outcome.kept) {
          kept.push_back({{"item", k.item}, {"reason", k.reason}});
        }
        result["erased_records"] = erased;
        result["kept"] = kept;
        outcome.summary =
            outcome.kept.empty()
                ? Say(language, fmt::format("{} 件の記録を消去しました。", erased),
                      fmt::format("{} records were erased.", erased))
                : Say(language,
                      fmt::format("{} 件の記録を消去しました。次の {} 項目は、記載の理由により"
                                  "保有を続けます。",
                                  erased, outcome.kept.size()),
                      fmt::format("{} records were erased; {} kinds of data are kept as listed.",
                                  erased, outcome.kept.size()));
        return result;
      }
      case K::kStopProvision: {
        StopOrderSpec spec;
        spec.subject = subject;
        spec.kind = "provision";
        spec.recipient = options.recipient;
        spec.request_id = state.id;
        store::StopOrderRow order;
        RETURN_IF_ERROR(PutStopOrder(by, spec, &order));
        result["stop_order"] = order.id;
        new_orders.push_back(std::move(order));
        RETURN_IF_ERROR(ledger_->Append(std::move(use)).status());
        const policy::Recipient* recipient =
            options.recipient ? policy.FindRecipient(*options.recipient) : nullptr;
        outcome.summary =
            recipient != nullptr
                ? Say(language, fmt::format("{}への提供を停止しました。", recipient->name),
                      fmt::format("Provision of your data to {} was stopped.", recipient->name))
                : Say(language, "お客さまの個人データの第三者提供を停止しました。",
                      "Provision of your data to third parties was stopped.");
        return result;
      }
    }
    return absl::InternalError("unknown request kind");
  };

  const uint64_t first_entry = ledger_->size();
  absl::StatusOr<json> result = run();
  absl::Status committed = result.status();
  if (committed.ok()) committed = records_tx->Commit();
  if (committed.ok()) committed = keys_tx->Commit();
  if (!committed.ok()) {
    records_tx.reset();  // rolls back
    keys_tx.reset();
    ledger_->RollbackTo(mark);
    dir_.vault().ForgetCachedKeys();
    forget_keys_.resize(forget_keys_before);
    forget_subjects_.resize(forget_subjects_before);
    outcome = {};
    return committed;
  }
  for (const store::StopOrderRow& order : new_orders) facts_->AddStopOrder(order);
  // Every entry the execution wrote (its decision, erasures, orders) is
  // part of the request's trail: the writer is single, so they are the
  // entries appended since it began.
  for (uint64_t seq = first_entry; seq < ledger_->size(); ++seq) {
    stored.row.trail.push_back(static_cast<int64_t>(seq));
  }
  return result;
}

// --- Complaints ---

namespace {

store::DataKeyId ComplaintKey(std::string_view id) {
  return {std::string(id), kComplaintKeyKind, "open"};
}

constexpr std::string_view kComplaintCategories[] = {"handling", "request", "marketing", "security",
                                                     "other"};

}  // namespace

absl::StatusOr<requests::Complaint> Engine::SubmitComplaint(ComplaintSpec spec) {
  return Submit<requests::Complaint>(
      JobKind::kWrites, [&]() -> absl::StatusOr<requests::Complaint> {
        const policy::Policy& policy = dir_.policy();
        if (!spec.service.empty() && policy.FindService(spec.service) == nullptr) {
          return Invalid(
              fmt::format("service: \"{}\" is not a service of the policy", spec.service));
        }
        if (std::find(std::begin(kComplaintCategories), std::end(kComplaintCategories),
                      spec.category) == std::end(kComplaintCategories)) {
          return Invalid("category: expected one of handling, request, marketing, security, other");
        }
        if (spec.language != "ja" && spec.language != "en") {
          return Invalid("language: expected \"ja\" or \"en\"");
        }
        if (Blank(spec.text)) return Invalid("text: required");
        if (Blank(spec.contact)) return Invalid("contact: required");
        const absl::Time now = clock_.Now();
        requests::ComplaintIntake intake{common::NewId(common::IdKind::kComplaint, random_, now),
                                         spec.service,
                                         spec.category,
                                         spec.text,
                                         spec.contact,
                                         now};
        ASSIGN_OR_RETURN(
            requests::Complaint complaint,
            requests::NewComplaint(std::move(intake),
                                   absl::Hours(policy.requests.complaint_first_response_hours)));
        store::ComplaintRow row;
        row.id = complaint.id;
        json entry = ChangeEntry("complaint.receive", "public");
        entry["complaint"] = complaint.id;
        entry["category"] = complaint.category;
        entry["service"] = complaint.service;
        entry["first_response_due"] = common::FormatTimestamp(complaint.first_response_due);
        ASSIGN_OR_RETURN(uint64_t seq, ledger_->Append(std::move(entry)));
        row.trail.push_back(static_cast<int64_t>(seq));
        row.status = std::string(requests::ComplaintStatusName(complaint.status));
        row.service = complaint.service;
        row.category = complaint.category;
        row.received_at = complaint.received_at;
        row.first_response_due = complaint.first_response_due;
        json sealed = requests::ComplaintToJson(complaint);
        sealed["language"] = spec.language;
        ASSIGN_OR_RETURN(row.sealed,
                         dir_.vault().SealValue(ComplaintKey(row.id), "complaint", sealed.dump()));
        row.updated_at = now;
        RETURN_IF_ERROR(dir_.store().requests().InsertComplaint(row));
        return complaint;
      });
}

namespace {

absl::StatusOr<requests::Complaint> OpenComplaint(vault::Vault& vault,
                                                  const store::ComplaintRow& row) {
  ASSIGN_OR_RETURN(std::string text,
                   vault.OpenValue(ComplaintKey(row.id), "complaint", row.sealed));
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::DataLossError(fmt::format("complaint {}: unreadable", row.id));
  }
  return requests::ComplaintFromJson(parsed);
}

}  // namespace

absl::StatusOr<std::vector<requests::Complaint>> Engine::ListComplaints() {
  return Submit<std::vector<requests::Complaint>>(
      JobKind::kWrites, [&]() -> absl::StatusOr<std::vector<requests::Complaint>> {
        ASSIGN_OR_RETURN(std::vector<store::ComplaintRow> rows,
                         dir_.store().requests().ListComplaints());
        std::vector<requests::Complaint> out;
        for (const store::ComplaintRow& row : rows) {
          ASSIGN_OR_RETURN(requests::Complaint c, OpenComplaint(dir_.vault(), row));
          out.push_back(std::move(c));
        }
        return out;
      });
}

absl::StatusOr<requests::Complaint> Engine::GetComplaint(std::string id) {
  return Submit<requests::Complaint>(
      JobKind::kWrites, [&]() -> absl::StatusOr<requests::Complaint> {
        ASSIGN_OR_RETURN(std::optional<store::ComplaintRow> row,
                         dir_.store().requests().GetComplaint(id));
        if (!row) return absl::NotFoundError(fmt::format("complaint {} not found", id));
        return OpenComplaint(dir_.vault(), *row);
      });
}

absl::StatusOr<requests::Complaint> Engine::StepComplaint(
    const std::string& by, const std::string& id, std::string_view change,
    const std::function<absl::StatusOr<requests::Complaint>(const requests::Complaint&)>& step) {
  return Submit<requests::Complaint>(
      JobKind::kWrites, [&]() -> absl::StatusOr<requests::Complaint> {
        ASSIGN_OR_RETURN(std::optional<store::ComplaintRow> row,
                         dir_.store().requests().GetComplaint(id));
        if (!row) return absl::NotFoundError(fmt::format("complaint {} not found", id));
        ASSIGN_OR_RETURN(std::string text,
                         dir_.vault().OpenValue(ComplaintKey(id), "complaint", row->sealed));
        json sealed = json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (sealed.is_discarded()) {
          return absl::DataLossError(fmt::format("complaint {}: unreadable", id));
        }
        ASSIGN_OR_RETURN(requests::Complaint before, requests::ComplaintFromJson(sealed));
        ASSIGN_OR_RETURN(requests::Complaint after, step(before));
        const std::string language = sealed.value("language", "ja");
        sealed = requests::ComplaintToJson(after);
        sealed["language"] = language;
        ASSIGN_OR_RETURN(row->sealed,
                         dir_.vault().SealValue(ComplaintKey(id), "complaint", sealed.dump()));
        row->status = std::string(requests::ComplaintStatusName(after.status));
        row->assignee = after.assignee;
        row->first_response_at = after.first_response_at;
        row->updated_at = clock_.Now();
        json entry = ChangeEntry(change, by);
        entry["complaint"] = id;
        entry["status"] = row->status;
        ASSIGN_OR_RETURN(uint64_t seq, ledger_->Append(std::move(entry)));
        row->trail.push_back(static_cast<int64_t>(seq));
        RETURN_IF_ERROR(dir_.store().requests().UpdateComplaint(*row));
        return after;
      });
}

absl::StatusOr<requests::Complaint> Engine::AssignComplaint(std::string by, std::string id,
                                                            std::string assignee) {
  return StepComplaint(by, id, "complaint.assign", [&](const requests::Complaint& c) {
    return requests::AssignComplaint(c, assignee);
  });
}

absl::StatusOr<requests::Complaint> Engine::RespondComplaint(std::string by, std::string id,
                                                             std::string response) {
  return StepComplaint(by, id, "complaint.respond", [&](const requests::Complaint& c) {
    return requests::Respond(c, response, clock_.Now());
  });
}

absl::StatusOr<requests::Complaint> Engine::CloseComplaint(std::string by, std::string id) {
  return StepComplaint(by, id, "complaint.close",
                       [&](const requests::Complaint& c) { return requests::CloseComplaint(c); });
}

}  // namespace mamori::engine
