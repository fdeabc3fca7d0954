// Customer requests about retained personal data (LEGAL.md, "Requests about
// retained personal data"; APPI Art. 32–39; docs/requests.md): their kinds,
// due times, refusal grounds and the state machine a request moves through.
//
// A request is received, its requester's identity is verified
// (verification.h), staff approve it, the engine executes it and the request
// is completed with an outcome; or it is refused on a ground the law allows
// for its kind, or withdrawn by the requester. Every transition is a pure
// function from one `RequestState` to the next:
//
//   ASSIGN_OR_RETURN(RequestState r, NewRequest(intake, levels, zone));
//   ASSIGN_OR_RETURN(Transition t, MarkVerified(r, "sub_…"));
//   ASSIGN_OR_RETURN(t, Approve(t.state));
//   absl::StatusOr<Transition> done = Complete(t.state, {.summary = "disclosed"});
//   if (!done.ok()) ...;                     // an illegal step: FailedPrecondition
//
// An illegal transition (approving a refused request) is FailedPrecondition
// with a message naming the action and the status; bad arguments are
// InvalidArgument. `MarkVerified` and `Approve` are idempotent: on a request
// already past that step they return the state unchanged with
// `changed == false`. A failed execution (`Fail`) keeps the request, its
// status and its due time, with the error, until `Retry`.
//
// Nothing here reads a clock or a store: the engine keeps the states, stamps
// times and records each step in the ledger. Thread-safety: pure functions
// of their arguments; call from any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "notice/notice.h"
#include "policy/policy.h"

namespace mamori::requests {

// What the requester asks for.
enum class RequestKind {
  kPurposeNotice,  // notice of the purposes of use (Art. 32(2))
  kDisclosure,     // disclosure, with third-party provision records (Art. 33)
  kCorrection,     // correction of data that is not true (Art. 34)
  kAddition,       // addition to data that is not true (Art. 34)
  kDeletion,       // deletion of data that is not true (Art. 34)
  kStopUse,        // cessation of use or erasure (Art. 35(1), (5))
  kStopProvision,  // cessation of third-party provision (Art. 35(3), (5))
};
inline constexpr RequestKind kRequestKinds[] = {
    RequestKind::kPurposeNotice, RequestKind::kDisclosure, RequestKind::kCorrection,
    RequestKind::kAddition,      RequestKind::kDeletion,   RequestKind::kStopUse,
    RequestKind::kStopProvision};
// "purpose_notice", "disclosure", "correction", "addition", "deletion",
// "stop_use", "stop_provision".
std::string_view RequestKindName(RequestKind kind);
// InvalidArgument listing the valid names for anything else.
absl::StatusOr<RequestKind> ParseRequestKind(std::string_view name);
// The APPI article the kind rests on: "Art. 32(2)", "Art. 33", ...
std::string_view RequestKindArticle(RequestKind kind);
// The kind as the privacy center names it: "開示", "Disclosure", ...
std::string_view RequestKindText(RequestKind kind, notice::Language language);

enum class RequestStatus {
  kReceived,    // recorded, nothing done yet
  kVerifying,   // the requester's identity is being checked (or was, and awaits approval)
  kInProgress,  // approved; the engine executes it (possibly after a failure, see `error`)
  kCompleted,   // final: answered with an outcome
  kRefused,     // final: refused on a ground, notified with reasons (Art. 36)
  kWithdrawn,   // final: the requester withdrew it
};
inline constexpr RequestStatus kRequestStatuses[] = {
    RequestStatus::kReceived,  RequestStatus::kVerifying, RequestStatus::kInProgress,
    RequestStatus::kCompleted, RequestStatus::kRefused,   RequestStatus::kWithdrawn};
// "received", "verifying", "in_progress", "completed", "refused", "withdrawn".
std::string_view RequestStatusName(RequestStatus status);
absl::StatusOr<RequestStatus> ParseRequestStatus(std::string_view name);
// Completed, refused or withdrawn: no transition leaves these.
bool IsFinal(RequestStatus status);

// Why a request is refused. The codes are stable (stored, shown in the API).
enum class RefusalGround {
  // Disclosure (Art. 33(2)(i)): would harm the life, body, property or other
  // rights and interests of the person or a third party.
  kHarmToPersonOrOthers,
  // Disclosure (Art. 33(2)(ii)): would seriously hinder the proper conduct
  // of the operator's business.
  kBusinessHindrance,
  // Disclosure (Art. 33(2)(iii)): would violate another law.
  kOtherLaw,
  // Correction, addition, deletion (Art. 34(1)–(2)): the investigation found
  // the data true; nothing to correct.
  kDataCorrect,
  // Cessation (Art. 35(1), (3), (5)): none of the statutory grounds for
  // cessation is present.
  kNoCessationGround,
  // Any kind (Art. 37): the requester's identity, or an agent's authority,
  // could not be verified. Only while the request is not verified.
  kNotVerified,
  // Notice of purpose only (Art. 32(2) proviso, not spelled out in
  // LEGAL.md): the free text must say which ground applies.
  kOther,
};
inline constexpr RefusalGround kRefusalGrounds[] = {RefusalGround::kHarmToPersonOrOthers,
                                                    RefusalGround::kBusinessHindrance,
                                                    RefusalGround::kOtherLaw,
                                                    RefusalGround::kDataCorrect,
                                                    RefusalGround::kNoCessationGround,
                                                    RefusalGround::kNotVerified,
                                                    RefusalGround::kOther};
// "harm_to_person_or_others", "business_hindrance", "other_law",
// "data_correct", "no_cessation_ground", "not_verified", "other".
std::string_view RefusalGroundName(RefusalGround ground);
absl::StatusOr<RefusalGround> ParseRefusalGround(std::string_view name);
// The article the ground rests on, e.g. "Art. 33(2)(i)".
std::string_view RefusalGroundArticle(RefusalGround ground);
// The ground as the refusal notice states it to the requester (Art. 36).
std::string_view RefusalGroundText(RefusalGround ground, notice::Language language);
// The grounds allowed for `kind`, in kRefusalGrounds order.
std::vector<RefusalGround> AllowedRefusalGrounds(RequestKind kind);
bool IsRefusalAllowed(RequestKind kind, RefusalGround ground);

// Days to answer each kind: the deployment's service level (APPI says
// "without delay" and fixes no number). The policy file will name them;
// each defaults to 14.
inline constexpr int kDefaultServiceLevelDays = 14;
struct ServiceLevels {
  int purpose_notice = kDefaultServiceLevelDays;
  int disclosure = kDefaultServiceLevelDays;
  int correction = kDefaultServiceLevelDays;
  int addition = kDefaultServiceLevelDays;
  int deletion = kDefaultServiceLevelDays;
  int stop_use = kDefaultServiceLevelDays;
  int stop_provision = kDefaultServiceLevelDays;

  int DaysFor(RequestKind kind) const;
  int& DaysFor(RequestKind kind);  // to set one kind's level
};
// InvalidArgument naming the kind when a level is below 1 day.
absl::Status ValidateServiceLevels(const ServiceLevels& levels);

// When a request of `kind` received at `received` is due: the end of the
// N-th calendar day after the day of receipt in the operator's `zone`
// (N = levels.DaysFor(kind)). The day of receipt is day 0, whatever the
// hour, so a request received at 23:59 on 1 April with N = 14 is due by
// the end of 15 April (retention::EndOfPeriod).
absl::Time DueAt(absl::Time received, RequestKind kind, const ServiceLevels& levels,
                 absl::TimeZone zone);

// One identifier the requester gave, as given (the engine normalizes and
// blind-indexes it to find subjects).
struct GivenIdentifier {
  policy::IdentifierKind kind = policy::IdentifierKind::kNone;
  std::string value{};

  friend bool operator==(const GivenIdentifier&, const GivenIdentifier&) = default;
};
// "phone", "email", "contract", "name", "birth_date"; InvalidArgument for
// anything else (including "none").
absl::StatusOr<policy::IdentifierKind> ParseGivenIdentifierKind(std::string_view name);

// Someone acting for the person (Art. 37(3); allowed).
enum class AgentKind {
  kLegalRepresentative,  // of a minor or an adult ward (法定代理人)
  kAuthorizedProxy,      // authorized by the person (委任による代理人)
};
std::string_view AgentKindName(AgentKind kind);  // "legal_representative", "authorized_proxy"
absl::StatusOr<AgentKind> ParseAgentKind(std::string_view name);
struct Agent {
  AgentKind kind = AgentKind::kAuthorizedProxy;
  std::string name{};
  std::string contact{};

  friend bool operator==(const Agent&, const Agent&) = default;
};

enum class VerificationState {
  kUnverified,    // not checked yet
  kCannotVerify,  // checked and failed; more identifiers may still verify it
  kVerified,      // `subject_id` is the person
};
// "unverified", "cannot_verify", "verified".
std::string_view VerificationStateName(VerificationState state);

// A longer time to answer, noticed to the requester before the due time.
struct Extension {
  int days = 0;             // added to the due day
  std::string reason;       // why, as noticed
  std::string notice;       // the notice sent to the requester
  absl::Time noticed_at;    // when it was sent
  absl::Time previous_due;  // the due time it replaced
  absl::Time new_due;

  friend bool operator==(const Extension&, const Extension&) = default;
};

// Something a deletion or cessation could not erase, and why (a live
// purpose, a statutory record, a legal hold): the answer lists these.
struct KeptItem {
  std::string item{};    // e.g. a category id
  std::string reason{};  // e.g. "active contract", "Art. 29 record", a hold id

  friend bool operator==(const KeptItem&, const KeptItem&) = default;
};

// How a request was answered.
struct Outcome {
  std::string summary{};      // what was done, as told to the requester
  bool no_data_held = false;  // "no data held" is an answer (Art. 33(3))
  std::vector<KeptItem> kept{};

  friend bool operator==(const Outcome&, const Outcome&) = default;
};

struct Refusal {
  RefusalGround ground = RefusalGround::kOther;
  std::string text{};  // the reasons as notified (Art. 36); never empty

  friend bool operator==(const Refusal&, const Refusal&) = default;
};

// What a new request starts from.
struct RequestIntake {
  std::string id{};  // "req_…"
  RequestKind kind = RequestKind::kDisclosure;
  std::vector<GivenIdentifier> identifiers{};
  std::optional<Agent> agent{};  // set when an agent makes the request
  absl::Time received_at{};
  std::string details{};  // what the requester wrote (what to correct, the form wanted)
};

struct RequestState {
  std::string id;
  RequestKind kind = RequestKind::kDisclosure;
  std::vector<GivenIdentifier> identifiers;
  std::optional<Agent> agent;
  std::string details;
  absl::Time received_at;
  absl::Time due;  // DueAt, moved by each extension
  std::vector<Extension> extensions;
  RequestStatus status = RequestStatus::kReceived;
  VerificationState verification = VerificationState::kUnverified;
  std::string subject_id;          // kVerified only
  std::string assignee;            // the staff member handling it; "" while unassigned
  std::optional<Outcome> outcome;  // kCompleted only
  std::optional<Refusal> refusal;  // kRefused only
  // The last failed execution's error while in progress, until Retry.
  std::optional<std::string> error;
  int failures = 0;  // failed executions so far

  friend bool operator==(const RequestState&, const RequestState&) = default;
};

// The state after a step, and whether the step changed anything: false when
// an idempotent step (MarkVerified, Approve, a repeated StartVerifying or
// MarkCannotVerify, the same Assign) found the request already past it.
struct Transition {
  RequestState state;
  bool changed = true;
};

// A received request, due per `levels` in `zone`. InvalidArgument without
// an id, without identifiers, with an identifier of kind kNone or an empty
// value, with an agent without a name, or with invalid `levels`.
absl::StatusOr<RequestState> NewRequest(RequestIntake intake, const ServiceLevels& levels,
                                        absl::TimeZone zone);

// The transitions. Each returns FailedPrecondition for a request whose
// status does not allow it (always for a final one), naming the action and
// the status; InvalidArgument for a bad argument.

// Hands an open request to `assignee` (non-empty); reassigning is allowed.
absl::StatusOr<Transition> Assign(const RequestState& r, std::string_view assignee);
// received → verifying; unchanged when already verifying or in progress.
absl::StatusOr<Transition> StartVerifying(const RequestState& r);
// Records a failed identity check (verification.h): received/verifying →
// verifying with kCannotVerify. FailedPrecondition once verified.
absl::StatusOr<Transition> MarkCannotVerify(const RequestState& r);
// Records that `subject_id` is the person: received/verifying → verifying,
// kVerified. Idempotent: unchanged when already verified as the same
// subject (in any status but refused or withdrawn); FailedPrecondition when
// verified as another subject.
absl::StatusOr<Transition> MarkVerified(const RequestState& r, std::string_view subject_id);
// verifying (verified) → in_progress. Idempotent: unchanged when in
// progress or completed. FailedPrecondition before verification, or when
// refused or withdrawn.
absl::StatusOr<Transition> Approve(const RequestState& r);
// received/verifying/in_progress → refused. InvalidArgument when `ground`
// is not allowed for the kind (the message lists those that are) or `text`
// is empty; FailedPrecondition for kNotVerified on a verified request.
absl::StatusOr<Transition> Refuse(const RequestState& r, RefusalGround ground,
                                  std::string_view text);
// Moves the due time of an open request `days` (≥ 1) calendar days later in
// `zone`, recording the reason and the notice sent at `noticed_at`, both
// non-empty. FailedPrecondition when noticed at or after the current due
// time: an extension is noticed before the deadline, not after it.
absl::StatusOr<Transition> Extend(const RequestState& r, int days, std::string_view reason,
                                  std::string_view notice, absl::Time noticed_at,
                                  absl::TimeZone zone);
// in_progress → completed with `outcome` (a non-empty summary).
// FailedPrecondition while a failed execution awaits Retry.
absl::StatusOr<Transition> Complete(const RequestState& r, Outcome outcome);
// Records a failed execution (non-empty `error`) of an in-progress request:
// the status, the due time and everything else stay; Retry clears it.
absl::StatusOr<Transition> Fail(const RequestState& r, std::string_view error);
// Clears the error of a failed execution so that the engine runs it again.
// FailedPrecondition when there is no failed execution to retry.
absl::StatusOr<Transition> Retry(const RequestState& r);
// received/verifying/in_progress → withdrawn.
absl::StatusOr<Transition> Withdraw(const RequestState& r);

// Whether `r` is still open at or after its due time.
bool IsOverdue(const RequestState& r, absl::Time now);

// The staff view of a request: every field, times in RFC 3339 UTC, enums by
// name, absent optionals as null.
nlohmann::json RequestToJson(const RequestState& r);
// The inverse of RequestToJson (times to the second, as it writes them):
// how the engine keeps a request's state. InvalidArgument naming the field
// for anything RequestToJson would not have written.
absl::StatusOr<RequestState> RequestFromJson(const nlohmann::json& j);

}  // namespace mamori::requests
