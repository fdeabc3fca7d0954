// Tests of the incident facts (incident.h): causes, validation and the
// JSON form.
#include "incident/incident.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "incident/incident_test_util.h"

namespace mamori::incident {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(CauseTest, NamesRoundTrip) {
  for (Cause cause : {Cause::kUnauthorizedAccess, Cause::kInsider, Cause::kMisdelivery,
                      Cause::kLoss, Cause::kVulnerability, Cause::kOther}) {
    absl::StatusOr<Cause> parsed = ParseCause(CauseName(cause));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, cause);
  }
  EXPECT_EQ(CauseName(Cause::kUnauthorizedAccess), "unauthorized_access");
  EXPECT_EQ(CauseName(Cause::kInsider), "insider");
}

TEST(CauseTest, UnknownNameListsTheValidOnes) {
  absl::StatusOr<Cause> parsed = ParseCause("hacker");
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(),
            "unknown incident cause \"hacker\"; expected one of unauthorized_access, insider, "
            "misdelivery, loss, vulnerability, other");
  EXPECT_FALSE(ParseCause("").ok());
  EXPECT_FALSE(ParseCause("Insider").ok());
}

TEST(CauseTest, OnlyAttacksAndInsidersArePossiblyWrongful) {
  EXPECT_TRUE(PossiblyWrongfulPurpose(Cause::kUnauthorizedAccess));
  EXPECT_TRUE(PossiblyWrongfulPurpose(Cause::kInsider));
  EXPECT_FALSE(PossiblyWrongfulPurpose(Cause::kMisdelivery));
  EXPECT_FALSE(PossiblyWrongfulPurpose(Cause::kLoss));
  EXPECT_FALSE(PossiblyWrongfulPurpose(Cause::kVulnerability));
  EXPECT_FALSE(PossiblyWrongfulPurpose(Cause::kOther));
}

class FactsTest : public ::testing::Test {
 protected:
  policy::Policy policy_ = policy::testing::LoadExample();
  IncidentFacts facts_ = testing::ExampleFacts(notice::Language::kEn);
};

TEST_F(FactsTest, TheExampleIsValid) { EXPECT_TRUE(ValidateFacts(policy_, facts_).ok()); }

// Each edit of the example and the message it must produce.
struct InvalidCase {
  std::string name;
  void (*edit)(IncidentFacts&);
  std::string message;
};

TEST_F(FactsTest, InconsistentFactsAreRefused) {
  const InvalidCase cases[] = {
      {"unknown category", [](IncidentFacts& f) { f.affected.categories[0].id = "pd:Foo"; },
       "unknown category \"pd:Foo\""},
      {"empty category id", [](IncidentFacts& f) { f.affected.categories[0].id.clear(); },
       "a category has an empty id"},
      {"category twice",
       [](IncidentFacts& f) { f.affected.categories.push_back(f.affected.categories[0]); },
       "category \"pd:Name\" is listed twice"},
      {"category without subjects", [](IncidentFacts& f) { f.affected.categories[2].subjects = 0; },
       "category \"pd:CallLog\" has 0 subjects; list only categories that leaked"},
      {"category above the total",
       [](IncidentFacts& f) { f.affected.categories[2].subjects = 1205; },
       "category \"pd:CallLog\" has 1205 subjects, more than the 1204 of the incident"},
      {"negative total", [](IncidentFacts& f) { f.affected.subjects = -1; },
       "subjects must not be negative"},
      {"outside exemption above the total",
       [](IncidentFacts& f) { f.affected.subjects_outside_exemption = 1205; },
       "subjects_outside_exemption (1205) must be between 0 and subjects (1204)"},
      {"unknown financial-risk category",
       [](IncidentFacts& f) { f.financial_risk = std::vector<std::string>{"pd:Bar"}; },
       "financial_risk names unknown category \"pd:Bar\""},
      {"occurred after discovery",
       [](IncidentFacts& f) { f.occurred_at = f.discovered_at + absl::Seconds(1); },
       "occurred_at (2026-01-29T14:30:01Z) is after discovered_at (2026-01-29T14:30:00Z)"},
      {"discovery unset", [](IncidentFacts& f) { f.discovered_at = absl::InfinitePast(); },
       "discovered_at must be a finite time"},
  };
  for (const InvalidCase& c : cases) {
    IncidentFacts facts = facts_;
    c.edit(facts);
    absl::Status s = ValidateFacts(policy_, facts);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.message)) << c.name;
  }
}

TEST_F(FactsTest, JsonRoundTrips) {
  facts_.financial_risk = std::vector<std::string>{"pd:PaymentCardNumber"};
  facts_.suspected = true;
  const json j = FactsToJson(facts_);
  EXPECT_EQ(j["discovered_at"], "2026-01-29T14:30:00Z");
  EXPECT_EQ(j["cause"], "unauthorized_access");
  absl::StatusOr<IncidentFacts> back = FactsFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(FactsToJson(*back), j);
  EXPECT_EQ(back->discovered_at, facts_.discovered_at);
  EXPECT_EQ(back->occurred_at, facts_.occurred_at);
  EXPECT_EQ(back->affected.categories.size(), 4u);
  EXPECT_TRUE(back->affected.categories[3].encrypted_without_keys);
}

TEST_F(FactsTest, JsonDefaults) {
  absl::StatusOr<IncidentFacts> f = FactsFromJson(json::parse(
      R"({"discovered_at": "2026-01-29T23:30:00+09:00", "cause": "loss", "subjects": 0,
          "categories": []})"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->id, "");
  EXPECT_EQ(f->occurred_at, std::nullopt);
  EXPECT_FALSE(f->suspected);
  EXPECT_EQ(f->financial_risk, std::nullopt);
  EXPECT_EQ(f->affected.subjects_outside_exemption, std::nullopt);
}

TEST_F(FactsTest, BadJsonNamesTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {R"([])", "must be a JSON object"},
      {R"({"cause": "loss", "subjects": 1, "categories": []})", "\"discovered_at\" is required"},
      {R"({"discovered_at": "yesterday", "cause": "loss", "subjects": 1, "categories": []})",
       "\"discovered_at\": expected an RFC 3339 time"},
      {R"({"discovered_at": "2026-01-29", "cause": "theft", "subjects": 1, "categories": []})",
       "unknown incident cause \"theft\""},
      {R"({"discovered_at": "2026-01-29", "cause": "loss", "subjects": "1", "categories": []})",
       "\"subjects\" must be an integer"},
      {R"({"discovered_at": "2026-01-29", "cause": "loss", "subjects": 1})",
       "\"categories\" must be an array"},
      {R"({"discovered_at": "2026-01-29", "cause": "loss", "subjects": 1,
           "categories": [{"id": "pd:Name"}]})",
       "category \"pd:Name\": \"subjects\" must be an integer"},
      {R"({"discovered_at": "2026-01-29", "cause": "loss", "subjects": 1,
           "categories": [{"id": "pd:Name", "subjects": 1, "encrypted_without_keys": 1}]})",
       "\"encrypted_without_keys\" must be a bool"},
      {R"({"discovered_at": "2026-01-29", "cause": "loss", "subjects": 1, "categories": [],
           "financial_risk": "pd:Name"})",
       "\"financial_risk\" must be an array of ids"},
  };
  for (const auto& [text, message] : cases) {
    absl::StatusOr<IncidentFacts> f = FactsFromJson(json::parse(text));
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(f.status().message()), HasSubstr(message)) << text;
  }
}

}  // namespace
}  // namespace mamori::incident
