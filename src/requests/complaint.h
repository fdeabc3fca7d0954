// Complaints about the handling of personal information (APPI Art. 40: the
// operator handles them appropriately and promptly; LEGAL.md lists the
// complaint desk among what is public at all times; docs/requests.md,
// "Complaints").
//
// A complaint is received, assigned to a staff member, responded to (a
// first response is due within a service level counted from receipt) and
// closed:
//
//   ASSIGN_OR_RETURN(Complaint c, NewComplaint(intake));   // due in 48 hours
//   ASSIGN_OR_RETURN(c, AssignComplaint(c, "staff:sato"));
//   ASSIGN_OR_RETURN(c, Respond(c, "We have stopped the mailings.", now));
//   ASSIGN_OR_RETURN(c, CloseComplaint(c));
//   if (IsOverdue(c, now)) Alert(c);
//
// An illegal transition is FailedPrecondition naming the status; a bad
// argument InvalidArgument. Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mamori::requests {

enum class ComplaintStatus {
  kReceived,   // recorded, nobody handles it yet
  kAssigned,   // a staff member handles it
  kResponded,  // the complainant was answered (at least once)
  kClosed,     // final
};
inline constexpr ComplaintStatus kComplaintStatuses[] = {
    ComplaintStatus::kReceived, ComplaintStatus::kAssigned, ComplaintStatus::kResponded,
    ComplaintStatus::kClosed};
// "received", "assigned", "responded", "closed".
std::string_view ComplaintStatusName(ComplaintStatus status);
absl::StatusOr<ComplaintStatus> ParseComplaintStatus(std::string_view name);

// The time allowed for the first response when the policy names none: a
// plain 48 hours from receipt, not business days (no holiday calendar).
inline constexpr absl::Duration kDefaultFirstResponse = absl::Hours(48);

struct ComplaintIntake {
  std::string id{};        // "cmp_…"
  std::string service{};   // the service it is about, or "" when none
  std::string category{};  // e.g. "handling", "request", "marketing", "security"
  std::string text{};      // what the complainant said
  std::string contact{};   // how to answer them
  absl::Time received_at{};
};

struct Complaint {
  std::string id;
  std::string service;
  std::string category;
  std::string text;
  std::string contact;
  absl::Time received_at;
  absl::Time first_response_due;
  ComplaintStatus status = ComplaintStatus::kReceived;
  std::string assignee;
  std::optional<absl::Time> first_response_at;
  std::string last_response;  // the latest response sent

  friend bool operator==(const Complaint&, const Complaint&) = default;
};

// A received complaint whose first response is due `first_response` after
// receipt. InvalidArgument without an id, a category, a text or a contact,
// or with a non-positive `first_response`.
absl::StatusOr<Complaint> NewComplaint(ComplaintIntake intake,
                                       absl::Duration first_response = kDefaultFirstResponse);

// received/assigned/responded → assigned (responded stays responded):
// hands it to `assignee` (non-empty).
absl::StatusOr<Complaint> AssignComplaint(const Complaint& c, std::string_view assignee);
// assigned/responded → responded, with the non-empty `response` sent at
// `at`; the first response's time is kept. FailedPrecondition while nobody
// is assigned.
absl::StatusOr<Complaint> Respond(const Complaint& c, std::string_view response, absl::Time at);
// responded → closed. FailedPrecondition before any response.
absl::StatusOr<Complaint> CloseComplaint(const Complaint& c);

// Whether the first response is still missing at or after its due time.
bool IsOverdue(const Complaint& c, absl::Time now);
// Whether the first response came after its due time.
bool RespondedLate(const Complaint& c);

// Every field; times in RFC 3339 UTC, absent ones null.
nlohmann::json ComplaintToJson(const Complaint& c);
// The inverse of ComplaintToJson (times to the second). InvalidArgument
// naming the field for anything else.
absl::StatusOr<Complaint> ComplaintFromJson(const nlohmann::json& j);

}  // namespace mamori::requests
