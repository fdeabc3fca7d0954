#include "requests/complaint.h"

#include <fmt/format.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/time_format.h"

namespace mamori::requests {
namespace {

bool Blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

}  // namespace

namespace {

absl::Status Illegal(std::string_view action, const Complaint& c, std::string_view why = "") {
  std::string message =
      fmt::format("cannot {} complaint {}: it is {}", action, c.id, ComplaintStatusName(c.status));
  if (!why.empty()) message += fmt::format(" ({})", why);
  return absl::FailedPreconditionError(message);
}

}  // namespace

std::string_view ComplaintStatusName(ComplaintStatus status) {
  switch (status) {
    case ComplaintStatus::kReceived:
      return "received";
    case ComplaintStatus::kAssigned:
      return "assigned";
    case ComplaintStatus::kResponded:
      return "responded";
    case ComplaintStatus::kClosed:
      return "closed";
  }
  return "received";
}

absl::StatusOr<ComplaintStatus> ParseComplaintStatus(std::string_view name) {
  std::string names;
  for (ComplaintStatus s : kComplaintStatuses) {
    if (ComplaintStatusName(s) == name) return s;
    if (!names.empty()) names += ", ";
    names += ComplaintStatusName(s);
  }
  return absl::InvalidArgumentError(
      fmt::format("unknown complaint status \"{}\"; expected one of {}", name, names));
}

absl::StatusOr<Complaint> NewComplaint(ComplaintIntake intake, absl::Duration first_response) {
  if (intake.id.empty()) return absl::InvalidArgumentError("a complaint needs an id");
  const auto missing = [&](std::string_view field) {
    return absl::InvalidArgumentError(
        fmt::format("complaint {} has an empty {}", intake.id, field));
  };
  if (Blank(intake.category)) return missing("category");
  if (Blank(intake.text)) return missing("text");
  if (Blank(intake.contact)) return missing("contact");
  if (first_response <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(fmt::format("the first-response time {} is not positive",
                                                  absl::FormatDuration(first_response)));
  }
  Complaint c;
  c.id = std::move(intake.id);
  c.service = std::move(intake.service);
  c.category = std::move(intake.category);
  c.text = std::move(intake.text);
  c.contact = std::move(intake.contact);
  c.received_at = intake.received_at;
  c.first_response_due = intake.received_at + first_response;
  return c;
}

absl::StatusOr<Complaint> AssignComplaint(const Complaint& c, std::string_view assignee) {
  if (c.status == ComplaintStatus::kClosed) return Illegal("assign", c);
  if (Blank(assignee)) return absl::InvalidArgumentError("the assignee is empty");
  Complaint next = c;
  next.assignee = std::string(assignee);
  if (next.status == ComplaintStatus::kReceived) next.status = ComplaintStatus::kAssigned;
  return next;
}

absl::StatusOr<Complaint> Respond(const Complaint& c, std::string_view response, absl::Time at) {
  if (c.status != ComplaintStatus::kAssigned && c.status != ComplaintStatus::kResponded) {
    return Illegal("respond to", c,
                   c.status == ComplaintStatus::kReceived ? "nobody is assigned" : "");
  }
  if (Blank(response)) return absl::InvalidArgumentError("the response is empty");
  Complaint next = c;
  next.status = ComplaintStatus::kResponded;
  next.last_response = std::string(response);
  if (!next.first_response_at) next.first_response_at = at;
  return next;
}

absl::StatusOr<Complaint> CloseComplaint(const Complaint& c) {
  if (c.status != ComplaintStatus::kResponded) {
    return Illegal("close", c, c.status == ComplaintStatus::kClosed ? "" : "not responded to");
  }
  Complaint next = c;
  next.status = ComplaintStatus::kClosed;
  return next;
}

bool IsOverdue(const Complaint& c, absl::Time now) {
  return !c.first_response_at && now >= c.first_response_due;
}

bool RespondedLate(const Complaint& c) {
  return c.first_response_at && *c.first_response_at >= c.first_response_due;
}

nlohmann::json ComplaintToJson(const Complaint& c) {
  using nlohmann::json;
  return {
      {"id", c.id},
      {"service", c.service.empty() ? json(nullptr) : json(c.service)},
      {"category", c.category},
      {"text", c.text},
      {"contact", c.contact},
      {"received_at", common::FormatTimestamp(c.received_at)},
      {"first_response_due", common::FormatTimestamp(c.first_response_due)},
      {"status", ComplaintStatusName(c.status)},
      {"assignee", c.assignee.empty() ? json(nullptr) : json(c.assignee)},
      {"first_response_at",
       c.first_response_at ? json(common::FormatTimestamp(*c.first_response_at)) : json(nullptr)},
      {"last_response", c.last_response.empty() ? json(nullptr) : json(c.last_response)}};
}

absl::StatusOr<Complaint> ComplaintFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("complaint: not an object");
  absl::Status problem;
  auto text = [&](std::string_view field) -> std::string {
    auto it = j.find(field);
    if (it == j.end() || it->is_null()) return "";
    if (!it->is_string()) {
      if (problem.ok())
        problem = absl::InvalidArgumentError(fmt::format("complaint: bad {}", field));
      return "";
    }
    return it->get<std::string>();
  };
  auto time = [&](std::string_view field) -> absl::Time {
    absl::StatusOr<absl::Time> t = common::ParseTimestamp(text(field));
    if (!t.ok()) {
      if (problem.ok())
        problem = absl::InvalidArgumentError(fmt::format("complaint: bad {}", field));
      return absl::Time();
    }
    return *t;
  };
  Complaint c;
  c.id = text("id");
  c.service = text("service");
  c.category = text("category");
  c.text = text("text");
  c.contact = text("contact");
  c.received_at = time("received_at");
  c.first_response_due = time("first_response_due");
  absl::StatusOr<ComplaintStatus> status = ParseComplaintStatus(text("status"));
  if (!status.ok() && problem.ok()) problem = absl::InvalidArgumentError("complaint: bad status");
  if (status.ok()) c.status = *status;
  c.assignee = text("assignee");
  if (!text("first_response_at").empty()) c.first_response_at = time("first_response_at");
  c.last_response = text("last_response");
  RETURN_IF_ERROR(problem);
  return c;
}

}  // namespace mamori::requests
