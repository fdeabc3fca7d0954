// Whether an approved customer request may be executed, decided like every
// other use of personal data (docs/requests.md, "Execution"): a pure
// function of the policy, the staff member executing it and the request.
//
// Answering a request is not a use for one of the operator's purposes: the
// law (APPI Art. 32–35) obliges the operator to answer the person, so the
// purpose rules of Decide() (policy/decision.h) do not apply, and neither
// do communication secrecy, location or My Number rules, which protect the
// person from others, not from themselves. What does apply:
//   1. the requester's identity was verified (Art. 37)      request_not_verified
//   2. the request was approved by staff (in progress)      request_not_approved
//   3. the actor's role has the "requests" permission       no_requests_permission
//      (Art. 23: least privilege)
//   4. that role's training is current (Art. 24)            training_missing / training_expired
// and then allow, with the kind's article as the rule ("appi.33" for a
// disclosure) and the legal basis "request:<kind>".
//
//   policy::Decision d = DecideExecution(policy, actor, request, now);
//
// Thread-safety: pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "policy/decision.h"
#include "policy/policy.h"
#include "requests/request.h"

namespace mamori::requests {

// The purpose a request's execution is recorded under in the ledger:
// "request:disclosure", ...
std::string ExecutionPurpose(RequestKind kind);
// The rule id of the kind's article: "appi.32.2", "appi.33", "appi.34",
// "appi.35".
std::string_view ExecutionRule(RequestKind kind);

policy::Decision DecideExecution(const policy::Policy& policy, const policy::ActorFacts& actor,
                                 const RequestState& request, absl::Time now);

}  // namespace mamori::requests
