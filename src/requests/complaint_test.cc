// Tests of complaints (complaint.h): transitions from every status, the
// first-response deadline and overdue detection.
#include "requests/complaint.h"

#include <gtest/gtest.h>

namespace mamori::requests {
namespace {

using nlohmann::json;

class ComplaintTest : public ::testing::Test {
 protected:
  Complaint Received() {
    absl::StatusOr<Complaint> c = NewComplaint({.id = "cmp_1",
                                                .service = "mobile",
                                                .category = "marketing",
                                                .text = "I keep getting offers after opting out.",
                                                .contact = "taro@example.jp",
                                                .received_at = t0_});
    EXPECT_TRUE(c.ok()) << c.status();
    return c.value_or(Complaint{});
  }
  Complaint InStatus(ComplaintStatus status) {
    Complaint c = Received();
    c.status = status;
    if (status != ComplaintStatus::kReceived) c.assignee = "staff:ito";
    if (status == ComplaintStatus::kResponded || status == ComplaintStatus::kClosed) {
      c.first_response_at = t0_ + absl::Hours(3);
      c.last_response = "We stopped the mailings.";
    }
    return c;
  }

  absl::Time t0_ = absl::FromUnixSeconds(1'800'000'000);
};

TEST_F(ComplaintTest, FirstResponseDueIn48HoursByDefault) {
  const Complaint c = Received();
  EXPECT_EQ(c.status, ComplaintStatus::kReceived);
  EXPECT_EQ(c.first_response_due, t0_ + absl::Hours(48));
  EXPECT_FALSE(IsOverdue(c, t0_ + absl::Hours(48) - absl::Seconds(1)));
  EXPECT_TRUE(IsOverdue(c, t0_ + absl::Hours(48)));
  absl::StatusOr<Complaint> custom = NewComplaint(
      {.id = "cmp_2", .category = "handling", .text = "t", .contact = "c", .received_at = t0_},
      absl::Hours(24));
  ASSERT_TRUE(custom.ok()) << custom.status();
  EXPECT_EQ(custom->first_response_due, t0_ + absl::Hours(24));
}

TEST_F(ComplaintTest, IntakeIsChecked) {
  ComplaintIntake intake{.id = "cmp_3", .category = "handling", .text = "t", .contact = "c"};
  EXPECT_TRUE(NewComplaint(intake).ok());
  for (std::string ComplaintIntake::*field : {&ComplaintIntake::id, &ComplaintIntake::category,
                                              &ComplaintIntake::text, &ComplaintIntake::contact}) {
    ComplaintIntake bad = intake;
    bad.*field = "";
    EXPECT_EQ(NewComplaint(bad).status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(NewComplaint(intake, absl::ZeroDuration()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ComplaintTest, TheUsualPath) {
  absl::StatusOr<Complaint> c = AssignComplaint(Received(), "staff:ito");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->status, ComplaintStatus::kAssigned);
  EXPECT_TRUE(IsOverdue(*c, t0_ + absl::Hours(50)));  // assigned is not answered
  c = Respond(*c, "We are looking into it.", t0_ + absl::Hours(5));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->status, ComplaintStatus::kResponded);
  EXPECT_EQ(c->first_response_at, t0_ + absl::Hours(5));
  EXPECT_FALSE(IsOverdue(*c, t0_ + absl::Hours(50)));
  EXPECT_FALSE(RespondedLate(*c));
  c = Respond(*c, "We stopped the mailings.", t0_ + absl::Hours(60));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->first_response_at, t0_ + absl::Hours(5));  // the first one stays
  EXPECT_EQ(c->last_response, "We stopped the mailings.");
  c = CloseComplaint(*c);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->status, ComplaintStatus::kClosed);
}

TEST_F(ComplaintTest, ALateFirstResponseIsRecorded) {
  Complaint c = AssignComplaint(Received(), "staff:ito").value();
  c = Respond(c, "Sorry for the delay.", t0_ + absl::Hours(72)).value();
  EXPECT_TRUE(RespondedLate(c));
  EXPECT_FALSE(IsOverdue(c, t0_ + absl::Hours(80)));
}

TEST_F(ComplaintTest, TransitionsFromEveryStatus) {
  struct Case {
    ComplaintStatus from;
    const char* action;
    std::optional<ComplaintStatus> to;  // nullopt: FailedPrecondition
  };
  const Case cases[] = {
      {ComplaintStatus::kReceived, "assign", ComplaintStatus::kAssigned},
      {ComplaintStatus::kAssigned, "assign", ComplaintStatus::kAssigned},
      {ComplaintStatus::kResponded, "assign", ComplaintStatus::kResponded},
      {ComplaintStatus::kClosed, "assign", std::nullopt},
      {ComplaintStatus::kReceived, "respond", std::nullopt},
      {ComplaintStatus::kAssigned, "respond", ComplaintStatus::kResponded},
      {ComplaintStatus::kResponded, "respond", ComplaintStatus::kResponded},
      {ComplaintStatus::kClosed, "respond", std::nullopt},
      {ComplaintStatus::kReceived, "close", std::nullopt},
      {ComplaintStatus::kAssigned, "close", std::nullopt},
      {ComplaintStatus::kResponded, "close", ComplaintStatus::kClosed},
      {ComplaintStatus::kClosed, "close", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(ComplaintStatusName(c.from)) + " " + c.action);
    const Complaint before = InStatus(c.from);
    const std::string action = c.action;
    absl::StatusOr<Complaint> after = action == "assign" ? AssignComplaint(before, "staff:sato")
                                      : action == "respond"
                                          ? Respond(before, "answer", t0_ + absl::Hours(1))
                                          : CloseComplaint(before);
    if (!c.to) {
      ASSERT_FALSE(after.ok());
      EXPECT_EQ(after.status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_NE(after.status().message().find("cmp_1"), absl::string_view::npos);
      continue;
    }
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_EQ(after->status, *c.to);
    EXPECT_EQ(after->first_response_due, before.first_response_due);
  }
  EXPECT_EQ(AssignComplaint(Received(), "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Respond(InStatus(ComplaintStatus::kAssigned), "", t0_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ComplaintTest, StatusNamesRoundTrip) {
  for (ComplaintStatus s : kComplaintStatuses) {
    EXPECT_EQ(ParseComplaintStatus(ComplaintStatusName(s)).value(), s);
  }
  EXPECT_EQ(ParseComplaintStatus("open").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ComplaintTest, Json) {
  EXPECT_EQ(ComplaintToJson(Received()), json::parse(R"({
    "id": "cmp_1", "service": "mobile", "category": "marketing",
    "text": "I keep getting offers after opting out.", "contact": "taro@example.jp",
    "received_at": "2027-01-15T08:00:00Z", "first_response_due": "2027-01-17T08:00:00Z",
    "status": "received", "assignee": null, "first_response_at": null,
    "last_response": null})"));
}

}  // namespace
}  // namespace mamori::requests
