#include "requests/execution.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

namespace mamori::requests {
namespace {

policy::Decision Deny(std::string_view reason, std::string_view rule) {
  policy::Decision d;
  d.outcome = policy::Outcome::kDeny;
  d.reason_code = std::string(reason);
  d.rule_id = std::string(rule);
  return d;
}

// The latest completion of `course` not after `now`.
std::optional<absl::Time> Completed(const policy::ActorFacts& actor, std::string_view course,
                                    absl::Time now) {
  std::optional<absl::Time> latest;
  for (const auto& [id, at] : actor.completed_courses) {
    if (id == course && at <= now && (!latest || at > *latest)) latest = at;
  }
  return latest;
}

}  // namespace

std::string ExecutionPurpose(RequestKind kind) {
  return fmt::format("request:{}", RequestKindName(kind));
}

std::string_view ExecutionRule(RequestKind kind) {
  switch (kind) {
    case RequestKind::kPurposeNotice:
      return "appi.32.2";
    case RequestKind::kDisclosure:
      return "appi.33";
    case RequestKind::kCorrection:
    case RequestKind::kAddition:
    case RequestKind::kDeletion:
      return "appi.34";
    case RequestKind::kStopUse:
    case RequestKind::kStopProvision:
      return "appi.35";
  }
  return "appi.33";
}

policy::Decision DecideExecution(const policy::Policy& policy, const policy::ActorFacts& actor,
                                 const RequestState& request, absl::Time now) {
  if (request.verification != VerificationState::kVerified || request.subject_id.empty()) {
    return Deny("request_not_verified", "appi.37");
  }
  if (request.status != RequestStatus::kInProgress) {
    return Deny("request_not_approved", "appi.37");
  }
  // Of the actor's roles with the permission, one whose training is current
  // is enough; otherwise the first training problem found is the reason.
  bool permitted = false;
  std::string_view training_problem;
  for (const std::string& role_id : actor.roles) {
    const policy::Role* role = policy.FindRole(role_id);
    if (role == nullptr || std::find(role->permissions.begin(), role->permissions.end(),
                                     "requests") == role->permissions.end()) {
      continue;
    }
    permitted = true;
    std::string_view problem;
    for (const std::string& course_id : role->courses) {
      const policy::Course* course = policy.FindCourse(course_id);
      std::optional<absl::Time> done = Completed(actor, course_id, now);
      if (!done) {
        problem = "training_missing";
        break;
      }
      if (course != nullptr && *done + absl::Hours(24) * course->valid_days <= now) {
        problem = "training_expired";
        break;
      }
    }
    if (problem.empty()) {
      policy::Decision d;
      d.outcome = policy::Outcome::kAllow;
      d.reason_code = "allowed";
      d.rule_id = std::string(ExecutionRule(request.kind));
      d.legal_basis = fmt::format("request:{}", RequestKindName(request.kind));
      return d;
    }
    if (training_problem.empty()) training_problem = problem;
  }
  if (!permitted) return Deny("no_requests_permission", "appi.23");
  return Deny(training_problem, "appi.24");
}

}  // namespace mamori::requests
