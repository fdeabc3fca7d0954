#include "requests/request.h"

#include <fmt/format.h>

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "retention/retention.h"

namespace mamori::requests {
namespace {

// Empty or only whitespace: not a text anyone could be shown.
bool Blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

}  // namespace

namespace {

template <typename Enum, size_t N, typename NameFn>
absl::StatusOr<Enum> ParseName(std::string_view name, const Enum (&all)[N], NameFn name_of,
                               std::string_view what) {
  std::string names;
  for (Enum e : all) {
    if (name_of(e) == name) return e;
    if (!names.empty()) names += ", ";
    names += name_of(e);
  }
  return absl::InvalidArgumentError(
      fmt::format("unknown {} \"{}\"; expected one of {}", what, name, names));
}

absl::Status Illegal(std::string_view action, const RequestState& r, std::string_view why = "") {
  std::string message =
      fmt::format("cannot {} request {}: it is {}", action, r.id, RequestStatusName(r.status));
  if (!why.empty()) message += fmt::format(" ({})", why);
  return absl::FailedPreconditionError(message);
}

Transition Changed(RequestState s) { return {std::move(s), true}; }
Transition Unchanged(const RequestState& s) { return {s, false}; }

bool IsOpen(RequestStatus s) { return !IsFinal(s); }

}  // namespace

std::string_view RequestKindName(RequestKind kind) {
  switch (kind) {
    case RequestKind::kPurposeNotice:
      return "purpose_notice";
    case RequestKind::kDisclosure:
      return "disclosure";
    case RequestKind::kCorrection:
      return "correction";
    case RequestKind::kAddition:
      return "addition";
    case RequestKind::kDeletion:
      return "deletion";
    case RequestKind::kStopUse:
      return "stop_use";
    case RequestKind::kStopProvision:
      return "stop_provision";
  }
  return "disclosure";
}

absl::StatusOr<RequestKind> ParseRequestKind(std::string_view name) {
  return ParseName(name, kRequestKinds, RequestKindName, "request kind");
}

std::string_view RequestKindArticle(RequestKind kind) {
  switch (kind) {
    case RequestKind::kPurposeNotice:
      return "Art. 32(2)";
    case RequestKind::kDisclosure:
      return "Art. 33";
    case RequestKind::kCorrection:
    case RequestKind::kAddition:
    case RequestKind::kDeletion:
      return "Art. 34";
    case RequestKind::kStopUse:
      return "Art. 35(1), 35(5)";
    case RequestKind::kStopProvision:
      return "Art. 35(3), 35(5)";
  }
  return "Art. 33";
}

std::string_view RequestStatusName(RequestStatus status) {
  switch (status) {
    case RequestStatus::kReceived:
      return "received";
    case RequestStatus::kVerifying:
      return "verifying";
    case RequestStatus::kInProgress:
      return "in_progress";
    case RequestStatus::kCompleted:
      return "completed";
    case RequestStatus::kRefused:
      return "refused";
    case RequestStatus::kWithdrawn:
      return "withdrawn";
  }
  return "received";
}

absl::StatusOr<RequestStatus> ParseRequestStatus(std::string_view name) {
  return ParseName(name, kRequestStatuses, RequestStatusName, "request status");
}

bool IsFinal(RequestStatus status) {
  return status == RequestStatus::kCompleted || status == RequestStatus::kRefused ||
         status == RequestStatus::kWithdrawn;
}

std::string_view RefusalGroundName(RefusalGround ground) {
  switch (ground) {
    case RefusalGround::kHarmToPersonOrOthers:
      return "harm_to_person_or_others";
    case RefusalGround::kBusinessHindrance:
      return "business_hindrance";
    case RefusalGround::kOtherLaw:
      return "other_law";
    case RefusalGround::kDataCorrect:
      return "data_correct";
    case RefusalGround::kNoCessationGround:
      return "no_cessation_ground";
    case RefusalGround::kNotVerified:
      return "not_verified";
    case RefusalGround::kOther:
      return "other";
  }
  return "other";
}

absl::StatusOr<RefusalGround> ParseRefusalGround(std::string_view name) {
  return ParseName(name, kRefusalGrounds, RefusalGroundName, "refusal ground");
}

std::string_view RefusalGroundArticle(RefusalGround ground) {
  switch (ground) {
    case RefusalGround::kHarmToPersonOrOthers:
      return "Art. 33(2)(i)";
    case RefusalGround::kBusinessHindrance:
      return "Art. 33(2)(ii)";
    case RefusalGround::kOtherLaw:
      return "Art. 33(2)(iii)";
    case RefusalGround::kDataCorrect:
      return "Art. 34(2)";
    case RefusalGround::kNoCessationGround:
      return "Art. 35(1), 35(3), 35(5)";
    case RefusalGround::kNotVerified:
      return "Art. 37(1)";
    case RefusalGround::kOther:
      return "Art. 32(2)";
  }
  return "Art. 36";
}

std::string_view RefusalGroundText(RefusalGround ground, notice::Language language) {
  const bool ja = language == notice::Language::kJa;
  switch (ground) {
    case RefusalGround::kHarmToPersonOrOthers:
      return ja ? "本人又は第三者の生命、身体、財産その他の権利利益を害するおそれがあるため"
                : "Disclosure could harm the life, body, property or other rights and "
                  "interests of the person or a third party.";
    case RefusalGround::kBusinessHindrance:
      return ja ? "当社の業務の適正な実施に著しい支障を及ぼすおそれがあるため"
                : "Disclosure could seriously hinder the proper conduct of our business.";
    case RefusalGround::kOtherLaw:
      return ja ? "他の法令に違反することとなるため" : "Disclosure would violate another law.";
    case RefusalGround::kDataCorrect:
      return ja ? "調査の結果、保有個人データの内容が事実であることを確認したため"
                : "Our investigation found the data to be correct.";
    case RefusalGround::kNoCessationGround:
      return ja ? "利用停止等又は第三者提供の停止を行うべき法令上の事由が認められないため"
                : "None of the legal grounds for stopping the use or the provision of the "
                  "data is present.";
    case RefusalGround::kNotVerified:
      return ja ? "ご本人又は代理人であることを確認できなかったため"
                : "We could not confirm that the request was made by the person or their "
                  "agent.";
    case RefusalGround::kOther:
      return ja ? "その他の理由による（詳細は下記のとおり）" : "For the reasons given below.";
  }
  return "";
}

std::vector<RefusalGround> AllowedRefusalGrounds(RequestKind kind) {
  std::vector<RefusalGround> grounds;
  for (RefusalGround g : kRefusalGrounds) {
    if (IsRefusalAllowed(kind, g)) grounds.push_back(g);
  }
  return grounds;
}

bool IsRefusalAllowed(RequestKind kind, RefusalGround ground) {
  switch (ground) {
    case RefusalGround::kHarmToPersonOrOthers:
    case RefusalGround::kBusinessHindrance:
    case RefusalGround::kOtherLaw:
      return kind == RequestKind::kDisclosure;
    case RefusalGround::kDataCorrect:
      return kind == RequestKind::kCorrection || kind == RequestKind::kAddition ||
             kind == RequestKind::kDeletion;
    case RefusalGround::kNoCessationGround:
      return kind == RequestKind::kStopUse || kind == RequestKind::kStopProvision;
    case RefusalGround::kNotVerified:
      return true;
    case RefusalGround::kOther:
      return kind == RequestKind::kPurposeNotice;
  }
  return false;
}

int& ServiceLevels::DaysFor(RequestKind kind) {
  switch (kind) {
    case RequestKind::kPurposeNotice:
      return purpose_notice;
    case RequestKind::kDisclosure:
      return disclosure;
    case RequestKind::kCorrection:
      return correction;
    case RequestKind::kAddition:
      return addition;
    case RequestKind::kDeletion:
      return deletion;
    case RequestKind::kStopUse:
      return stop_use;
    case RequestKind::kStopProvision:
      return stop_provision;
  }
  // Every enumerator is handled above; a value outside them is a bug.
  std::abort();
}

int ServiceLevels::DaysFor(RequestKind kind) const {
  return const_cast<ServiceLevels*>(this)->DaysFor(kind);
}

absl::Status ValidateServiceLevels(const ServiceLevels& levels) {
  for (RequestKind kind : kRequestKinds) {
    if (levels.DaysFor(kind) < 1) {
      return absl::InvalidArgumentError(
          fmt::format("the service level for {} requests is {} days; it must be at least 1",
                      RequestKindName(kind), levels.DaysFor(kind)));
    }
  }
  return absl::OkStatus();
}

absl::Time DueAt(absl::Time received, RequestKind kind, const ServiceLevels& levels,
                 absl::TimeZone zone) {
  return retention::EndOfPeriod(received, {.days = levels.DaysFor(kind)}, zone);
}

absl::StatusOr<policy::IdentifierKind> ParseGivenIdentifierKind(std::string_view name) {
  constexpr policy::IdentifierKind kKinds[] = {
      policy::IdentifierKind::kPhone, policy::IdentifierKind::kEmail,
      policy::IdentifierKind::kContract, policy::IdentifierKind::kName,
      policy::IdentifierKind::kBirthDate};
  return ParseName(name, kKinds, policy::IdentifierKindName, "identifier kind");
}

std::string_view AgentKindName(AgentKind kind) {
  return kind == AgentKind::kLegalRepresentative ? "legal_representative" : "authorized_proxy";
}

absl::StatusOr<AgentKind> ParseAgentKind(std::string_view name) {
  constexpr AgentKind kKinds[] = {AgentKind::kLegalRepresentative, AgentKind::kAuthorizedProxy};
  return ParseName(name, kKinds, AgentKindName, "agent kind");
}

std::string_view VerificationStateName(VerificationState state) {
  switch (state) {
    case VerificationState::kUnverified:
      return "unverified";
    case VerificationState::kCannotVerify:
      return "cannot_verify";
    case VerificationState::kVerified:
      return "verified";
  }
  return "unverified";
}

absl::StatusOr<RequestState> NewRequest(RequestIntake intake, const ServiceLevels& levels,
                                        absl::TimeZone zone) {
  if (intake.id.empty()) return absl::InvalidArgumentError("a request needs an id");
  if (intake.identifiers.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("request {} gives no identifier; at least one is needed", intake.id));
  }
  for (const GivenIdentifier& given : intake.identifiers) {
    if (given.kind == policy::IdentifierKind::kNone) {
      return absl::InvalidArgumentError(
          fmt::format("request {} gives an identifier without a kind", intake.id));
    }
    if (Blank(given.value)) {
      return absl::InvalidArgumentError(fmt::format("request {} gives an empty {}", intake.id,
                                                    policy::IdentifierKindName(given.kind)));
    }
  }
  if (intake.agent && Blank(intake.agent->name)) {
    return absl::InvalidArgumentError(
        fmt::format("request {} is made by an agent without a name", intake.id));
  }
  if (absl::Status s = ValidateServiceLevels(levels); !s.ok()) return s;
  RequestState r;
  r.id = std::move(intake.id);
  r.kind = intake.kind;
  r.identifiers = std::move(intake.identifiers);
  r.agent = std::move(intake.agent);
  r.details = std::move(intake.details);
  r.received_at = intake.received_at;
  r.due = DueAt(intake.received_at, intake.kind, levels, zone);
  return r;
}

absl::StatusOr<Transition> Assign(const RequestState& r, std::string_view assignee) {
  if (!IsOpen(r.status)) return Illegal("assign", r);
  if (Blank(assignee)) return absl::InvalidArgumentError("the assignee is empty");
  if (r.assignee == assignee) return Unchanged(r);
  RequestState s = r;
  s.assignee = std::string(assignee);
  return Changed(std::move(s));
}

absl::StatusOr<Transition> StartVerifying(const RequestState& r) {
  switch (r.status) {
    case RequestStatus::kReceived: {
      RequestState s = r;
      s.status = RequestStatus::kVerifying;
      return Changed(std::move(s));
    }
    case RequestStatus::kVerifying:
    case RequestStatus::kInProgress:
      return Unchanged(r);
    default:
      return Illegal("start verifying", r);
  }
}

absl::StatusOr<Transition> MarkCannotVerify(const RequestState& r) {
  if (r.status != RequestStatus::kReceived && r.status != RequestStatus::kVerifying) {
    return Illegal("record a failed verification of", r);
  }
  if (r.verification == VerificationState::kVerified) {
    return Illegal("record a failed verification of", r, "already verified");
  }
  if (r.status == RequestStatus::kVerifying && r.verification == VerificationState::kCannotVerify) {
    return Unchanged(r);
  }
  RequestState s = r;
  s.status = RequestStatus::kVerifying;
  s.verification = VerificationState::kCannotVerify;
  return Changed(std::move(s));
}

absl::StatusOr<Transition> MarkVerified(const RequestState& r, std::string_view subject_id) {
  if (subject_id.empty()) return absl::InvalidArgumentError("the verified subject id is empty");
  if (r.status == RequestStatus::kRefused || r.status == RequestStatus::kWithdrawn) {
    return Illegal("verify", r);
  }
  if (r.verification == VerificationState::kVerified) {
    if (r.subject_id != subject_id) {
      return Illegal("verify", r, "already verified as another subject");
    }
    return Unchanged(r);
  }
  if (r.status != RequestStatus::kReceived && r.status != RequestStatus::kVerifying) {
    return Illegal("verify", r, "not verified before");
  }
  RequestState s = r;
  s.status = RequestStatus::kVerifying;
  s.verification = VerificationState::kVerified;
  s.subject_id = std::string(subject_id);
  return Changed(std::move(s));
}

absl::StatusOr<Transition> Approve(const RequestState& r) {
  switch (r.status) {
    case RequestStatus::kInProgress:
    case RequestStatus::kCompleted:
      return Unchanged(r);
    case RequestStatus::kReceived:
    case RequestStatus::kVerifying: {
      if (r.verification != VerificationState::kVerified) {
        return Illegal("approve", r, "the requester's identity is not verified");
      }
      RequestState s = r;
      s.status = RequestStatus::kInProgress;
      return Changed(std::move(s));
    }
    case RequestStatus::kRefused:
    case RequestStatus::kWithdrawn:
      break;
  }
  return Illegal("approve", r);
}

absl::StatusOr<Transition> Refuse(const RequestState& r, RefusalGround ground,
                                  std::string_view text) {
  if (!IsOpen(r.status)) return Illegal("refuse", r);
  if (!IsRefusalAllowed(r.kind, ground)) {
    std::string allowed;
    for (RefusalGround g : AllowedRefusalGrounds(r.kind)) {
      if (!allowed.empty()) allowed += ", ";
      allowed += RefusalGroundName(g);
    }
    return absl::InvalidArgumentError(
        fmt::format("a {} request cannot be refused as {}; allowed grounds: {}",
                    RequestKindName(r.kind), RefusalGroundName(ground), allowed));
  }
  if (Blank(text)) {
    return absl::InvalidArgumentError(
        "a refusal needs the reasons notified to the requester (Art. 36)");
  }
  if (ground == RefusalGround::kNotVerified && r.verification == VerificationState::kVerified) {
    return Illegal("refuse", r, "not_verified on a verified request");
  }
  RequestState s = r;
  s.status = RequestStatus::kRefused;
  s.refusal = Refusal{ground, std::string(text)};
  return Changed(std::move(s));
}

absl::StatusOr<Transition> Extend(const RequestState& r, int days, std::string_view reason,
                                  std::string_view notice, absl::Time noticed_at,
                                  absl::TimeZone zone) {
  if (!IsOpen(r.status)) return Illegal("extend", r);
  if (days < 1) {
    return absl::InvalidArgumentError(
        fmt::format("an extension adds at least 1 day, not {}", days));
  }
  if (Blank(reason)) return absl::InvalidArgumentError("an extension needs a reason");
  if (Blank(notice)) {
    return absl::InvalidArgumentError("an extension needs the notice sent to the requester");
  }
  if (noticed_at >= r.due) {
    return Illegal(
        "extend", r,
        fmt::format("the extension was noticed at {}, not before the due time {}",
                    common::FormatTimestamp(noticed_at), common::FormatTimestamp(r.due)));
  }
  RequestState s = r;
  // `due` is the start of a day in `zone` (DueAt): move it by whole days.
  const absl::Time new_due = absl::FromCivil(absl::ToCivilDay(r.due, zone) + days, zone);
  s.extensions.push_back(Extension{.days = days,
                                   .reason = std::string(reason),
                                   .notice = std::string(notice),
                                   .noticed_at = noticed_at,
                                   .previous_due = r.due,
                                   .new_due = new_due});
  s.due = new_due;
  return Changed(std::move(s));
}

absl::StatusOr<Transition> Complete(const RequestState& r, Outcome outcome) {
  if (r.status != RequestStatus::kInProgress) return Illegal("complete", r);
  if (r.error) return Illegal("complete", r, "a failed execution awaits retry");
  if (Blank(outcome.summary)) {
    return absl::InvalidArgumentError("a completed request needs an outcome summary");
  }
  RequestState s = r;
  s.status = RequestStatus::kCompleted;
  s.outcome = std::move(outcome);
  return Changed(std::move(s));
}

absl::StatusOr<Transition> Fail(const RequestState& r, std::string_view error) {
  if (r.status != RequestStatus::kInProgress) return Illegal("record a failed execution of", r);
  if (Blank(error)) return absl::InvalidArgumentError("a failed execution needs its error");
  RequestState s = r;
  s.error = std::string(error);
  ++s.failures;
  return Changed(std::move(s));
}

absl::StatusOr<Transition> Retry(const RequestState& r) {
  if (r.status != RequestStatus::kInProgress) return Illegal("retry", r);
  if (!r.error) return Illegal("retry", r, "no failed execution to retry");
  RequestState s = r;
  s.error.reset();
  return Changed(std::move(s));
}

absl::StatusOr<Transition> Withdraw(const RequestState& r) {
  if (!IsOpen(r.status)) return Illegal("withdraw", r);
  RequestState s = r;
  s.status = RequestStatus::kWithdrawn;
  return Changed(std::move(s));
}

bool IsOverdue(const RequestState& r, absl::Time now) { return IsOpen(r.status) && now >= r.due; }

nlohmann::json RequestToJson(const RequestState& r) {
  using nlohmann::json;
  json identifiers = json::array();
  for (const GivenIdentifier& given : r.identifiers) {
    identifiers.push_back(
        {{"kind", policy::IdentifierKindName(given.kind)}, {"value", given.value}});
  }
  json extensions = json::array();
  for (const Extension& e : r.extensions) {
    extensions.push_back({{"days", e.days},
                          {"reason", e.reason},
                          {"notice", e.notice},
                          {"noticed_at", common::FormatTimestamp(e.noticed_at)},
                          {"previous_due", common::FormatTimestamp(e.previous_due)},
                          {"new_due", common::FormatTimestamp(e.new_due)}});
  }
  json outcome = nullptr;
  if (r.outcome) {
    json kept = json::array();
    for (const KeptItem& k : r.outcome->kept) {
      kept.push_back({{"item", k.item}, {"reason", k.reason}});
    }
    outcome = {
        {"summary", r.outcome->summary}, {"no_data_held", r.outcome->no_data_held}, {"kept", kept}};
  }
  json refusal = nullptr;
  if (r.refusal) {
    refusal = {{"ground", RefusalGroundName(r.refusal->ground)},
               {"article", RefusalGroundArticle(r.refusal->ground)},
               {"text", r.refusal->text}};
  }
  json agent = nullptr;
  if (r.agent) {
    agent = {{"kind", AgentKindName(r.agent->kind)},
             {"name", r.agent->name},
             {"contact", r.agent->contact}};
  }
  return {{"id", r.id},
          {"kind", RequestKindName(r.kind)},
          {"article", RequestKindArticle(r.kind)},
          {"identifiers", identifiers},
          {"agent", agent},
          {"details", r.details},
          {"received_at", common::FormatTimestamp(r.received_at)},
          {"due", common::FormatTimestamp(r.due)},
          {"extensions", extensions},
          {"status", RequestStatusName(r.status)},
          {"verification", VerificationStateName(r.verification)},
          {"subject_id", r.subject_id.empty() ? json(nullptr) : json(r.subject_id)},
          {"assignee", r.assignee.empty() ? json(nullptr) : json(r.assignee)},
          {"outcome", outcome},
          {"refusal", refusal},
          {"error", r.error ? json(*r.error) : json(nullptr)},
          {"failures", r.failures}};
}

std::string_view RequestKindText(RequestKind kind, notice::Language language) {
  const bool ja = language == notice::Language::kJa;
  switch (kind) {
    case RequestKind::kPurposeNotice:
      return ja ? "利用目的の通知" : "Notice of the purposes of use";
    case RequestKind::kDisclosure:
      return ja ? "開示" : "Disclosure";
    case RequestKind::kCorrection:
      return ja ? "訂正" : "Correction";
    case RequestKind::kAddition:
      return ja ? "追加" : "Addition";
    case RequestKind::kDeletion:
      return ja ? "削除" : "Deletion";
    case RequestKind::kStopUse:
      return ja ? "利用停止・消去" : "Stop of use or erasure";
    case RequestKind::kStopProvision:
      return ja ? "第三者提供の停止" : "Stop of provision to third parties";
  }
  return "";
}

namespace {

// Reads RequestToJson's fields back; the first problem is kept.
class JsonFields {
 public:
  explicit JsonFields(const nlohmann::json& j) : j_(j) {}
  absl::Status status() const { return status_; }

  std::string String(const nlohmann::json& j, std::string_view field) {
    auto it = j.find(field);
    if (it == j.end() || it->is_null()) return "";
    if (!it->is_string()) return Fail(field), "";
    return it->get<std::string>();
  }
  std::string String(std::string_view field) { return String(j_, field); }
  absl::Time Time(const nlohmann::json& j, std::string_view field) {
    const std::string text = String(j, field);
    absl::StatusOr<absl::Time> t = common::ParseTimestamp(text);
    if (!t.ok()) return Fail(field), absl::Time();
    return *t;
  }
  absl::Time Time(std::string_view field) { return Time(j_, field); }
  int Int(const nlohmann::json& j, std::string_view field) {
    auto it = j.find(field);
    if (it == j.end() || !it->is_number_integer()) return Fail(field), 0;
    return it->get<int>();
  }
  const nlohmann::json& Array(std::string_view field) {
    static const nlohmann::json kEmpty = nlohmann::json::array();
    auto it = j_.find(field);
    if (it == j_.end() || !it->is_array()) return Fail(field), kEmpty;
    return *it;
  }
  const nlohmann::json* Object(std::string_view field) {
    auto it = j_.find(field);
    if (it == j_.end() || it->is_null()) return nullptr;
    if (!it->is_object()) return Fail(field), nullptr;
    return &*it;
  }
  template <typename T>
  T Parsed(absl::StatusOr<T> value, std::string_view field) {
    if (!value.ok()) return Fail(field), T{};
    return *value;
  }
  void Fail(std::string_view field) {
    if (status_.ok()) {
      status_ = absl::InvalidArgumentError(fmt::format("request state: bad {}", field));
    }
  }

 private:
  const nlohmann::json& j_;
  absl::Status status_;
};

}  // namespace

absl::StatusOr<RequestState> RequestFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("request state: not an object");
  JsonFields f(j);
  RequestState r;
  r.id = f.String("id");
  r.kind = f.Parsed(ParseRequestKind(f.String("kind")), "kind");
  for (const nlohmann::json& given : f.Array("identifiers")) {
    if (!given.is_object()) {
      f.Fail("identifiers");
      continue;
    }
    r.identifiers.push_back(
        {f.Parsed(ParseGivenIdentifierKind(f.String(given, "kind")), "identifiers"),
         f.String(given, "value")});
  }
  if (const nlohmann::json* agent = f.Object("agent")) {
    r.agent = Agent{f.Parsed(ParseAgentKind(f.String(*agent, "kind")), "agent"),
                    f.String(*agent, "name"), f.String(*agent, "contact")};
  }
  r.details = f.String("details");
  r.received_at = f.Time("received_at");
  r.due = f.Time("due");
  for (const nlohmann::json& e : f.Array("extensions")) {
    if (!e.is_object()) {
      f.Fail("extensions");
      continue;
    }
    r.extensions.push_back({f.Int(e, "days"), f.String(e, "reason"), f.String(e, "notice"),
                            f.Time(e, "noticed_at"), f.Time(e, "previous_due"),
                            f.Time(e, "new_due")});
  }
  r.status = f.Parsed(ParseRequestStatus(f.String("status")), "status");
  const std::string verification = f.String("verification");
  bool known_verification = false;
  for (VerificationState v : {VerificationState::kUnverified, VerificationState::kCannotVerify,
                              VerificationState::kVerified}) {
    if (VerificationStateName(v) == verification) {
      r.verification = v;
      known_verification = true;
    }
  }
  if (!known_verification) f.Fail("verification");
  r.subject_id = f.String("subject_id");
  r.assignee = f.String("assignee");
  if (const nlohmann::json* outcome = f.Object("outcome")) {
    Outcome o;
    o.summary = f.String(*outcome, "summary");
    o.no_data_held = outcome->value("no_data_held", false);
    if (auto kept = outcome->find("kept"); kept != outcome->end() && kept->is_array()) {
      for (const nlohmann::json& k : *kept) {
        if (k.is_object()) o.kept.push_back({f.String(k, "item"), f.String(k, "reason")});
      }
    }
    r.outcome = std::move(o);
  }
  if (const nlohmann::json* refusal = f.Object("refusal")) {
    r.refusal = Refusal{f.Parsed(ParseRefusalGround(f.String(*refusal, "ground")), "refusal"),
                        f.String(*refusal, "text")};
  }
  if (auto error = j.find("error"); error != j.end() && error->is_string()) {
    r.error = error->get<std::string>();
  }
  r.failures = f.Int(j, "failures");
  RETURN_IF_ERROR(f.status());
  return r;
}

}  // namespace mamori::requests
