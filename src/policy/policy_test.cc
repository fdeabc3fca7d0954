#include "policy/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/policy_test_util.h"

namespace mamori::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A small policy built by hand: two services sharing purposes in different
// orders.
Policy SmallPolicy() {
  Policy p;
  for (const char* id : {"pd:Name", "pd:EmailAddress", "pd:CallLog"}) {
    p.categories.emplace_back().id = id;
  }
  auto add_purpose = [&p](const char* id, std::vector<std::string> categories) {
    Purpose& purpose = p.purposes.emplace_back();
    purpose.id = id;
    purpose.categories = std::move(categories);
  };
  add_purpose("dpv:ServiceProvision", {"pd:Name", "pd:EmailAddress"});
  add_purpose("dpv:Marketing", {"pd:EmailAddress"});
  add_purpose("x:Charging", {"pd:CallLog"});
  auto add_service = [&p](const char* id, std::vector<std::string> purposes) {
    Service& service = p.services.emplace_back();
    service.id = id;
    service.purposes = std::move(purposes);
  };
  add_service("mobile", {"dpv:Marketing", "x:Charging", "dpv:ServiceProvision"});
  add_service("support", {"dpv:ServiceProvision"});
  p.retention.emplace_back().id = "r";
  p.roles.emplace_back().id = "agent";
  p.courses.emplace_back().id = "c";
  p.trustees.emplace_back().id = "t";
  p.recipients.emplace_back().id = "rc";
  p.group_companies.emplace_back().id = "g";
  return p;
}

TEST(PolicyTest, FindsElementsById) {
  Policy p = SmallPolicy();
  ASSERT_NE(p.FindService("support"), nullptr);
  EXPECT_EQ(p.FindService("support")->id, "support");
  EXPECT_EQ(p.FindCategory("pd:CallLog"), &p.categories[2]);
  EXPECT_EQ(p.FindPurpose("dpv:Marketing"), &p.purposes[1]);
  EXPECT_EQ(p.FindRetention("r"), &p.retention[0]);
  EXPECT_EQ(p.FindRole("agent"), &p.roles[0]);
  EXPECT_EQ(p.FindCourse("c"), &p.courses[0]);
  EXPECT_EQ(p.FindTrustee("t"), &p.trustees[0]);
  EXPECT_EQ(p.FindRecipient("rc"), &p.recipients[0]);
  EXPECT_EQ(p.FindGroupCompany("g"), &p.group_companies[0]);
}

TEST(PolicyTest, FindReturnsNullForUnknownIds) {
  Policy p = SmallPolicy();
  EXPECT_EQ(p.FindService("fiber"), nullptr);
  EXPECT_EQ(p.FindCategory("pd:Name "), nullptr);
  EXPECT_EQ(p.FindPurpose(""), nullptr);
  EXPECT_EQ(p.FindRetention("R"), nullptr);
  EXPECT_EQ(p.FindRole("mobile"), nullptr);
  EXPECT_EQ(p.FindCourse("r"), nullptr);
  EXPECT_EQ(p.FindTrustee("rc"), nullptr);
  EXPECT_EQ(p.FindRecipient("t"), nullptr);
  EXPECT_EQ(p.FindGroupCompany("mobile"), nullptr);
}

TEST(PolicyTest, CollectionPurposesFollowTheServiceOrder) {
  Policy p = SmallPolicy();
  EXPECT_THAT(p.CollectionPurposes("mobile", "pd:EmailAddress"),
              ElementsAre("dpv:Marketing", "dpv:ServiceProvision"));
  EXPECT_THAT(p.CollectionPurposes("mobile", "pd:CallLog"), ElementsAre("x:Charging"));
  EXPECT_THAT(p.CollectionPurposes("support", "pd:EmailAddress"),
              ElementsAre("dpv:ServiceProvision"));
}

TEST(PolicyTest, CollectionPurposesEmptyWhenNotCollected) {
  Policy p = SmallPolicy();
  EXPECT_THAT(p.CollectionPurposes("support", "pd:CallLog"), IsEmpty());
  EXPECT_THAT(p.CollectionPurposes("fiber", "pd:Name"), IsEmpty());
  EXPECT_THAT(p.CollectionPurposes("mobile", "pd:Unknown"), IsEmpty());
}

TEST(PolicyTest, CollectionPurposesInTheExample) {
  Policy p = testing::LoadExample();
  EXPECT_THAT(p.CollectionPurposes("mobile", "pd:CallLog"),
              ElementsAre("mamori:UsageCharging", "dpv:FraudPreventionAndDetection",
                          "dpv:TechnicalServiceProvision"));
  EXPECT_THAT(p.CollectionPurposes("fiber", "pd:CallLog"),
              ElementsAre("mamori:UsageCharging", "dpv:TechnicalServiceProvision"));
  EXPECT_THAT(p.CollectionPurposes("support", "mamori:InquiryHistory"),
              ElementsAre("dpv:CustomerCare"));
  EXPECT_THAT(p.CollectionPurposes("mobile", "pd:Disability"),
              ElementsAre("mamori:DisabilityDiscount"));
  EXPECT_THAT(p.CollectionPurposes("site-leasing", "mamori:MyNumber"),
              ElementsAre("mamori:StatutoryPaymentRecord"));
  EXPECT_THAT(p.CollectionPurposes("mobile", "mamori:MyNumber"), IsEmpty());
  EXPECT_THAT(p.CollectionPurposes("fiber", "mamori:IdentityVerificationRecord"), IsEmpty());
}

// Every Find* of `p` for `id`, as positions in its vectors (-1 = absent), so
// that an indexed policy and its unindexed copy can be compared.
std::vector<long> FindAll(const Policy& p, std::string_view id) {
  auto at = [](const auto* found, const auto& items) -> long {
    return found == nullptr ? -1 : found - items.data();
  };
  return {at(p.FindService(id), p.services),
          at(p.FindCategory(id), p.categories),
          at(p.FindPurpose(id), p.purposes),
          at(p.FindRetention(id), p.retention),
          at(p.FindRole(id), p.roles),
          at(p.FindCourse(id), p.courses),
          at(p.FindTrustee(id), p.trustees),
          at(p.FindRecipient(id), p.recipients),
          at(p.FindGroupCompany(id), p.group_companies)};
}

TEST(PolicyIndexTest, CompiledPoliciesAreIndexed) {
  absl::StatusOr<Policy> p = LoadPolicyFile(testing::ExamplePath());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->HasCurrentIndex());
  EXPECT_FALSE(SmallPolicy().HasCurrentIndex());
}

TEST(PolicyIndexTest, IndexedLookUpsFindWhatScansFind) {
  for (Policy scanned : {SmallPolicy(), testing::LoadExample()}) {
    ASSERT_FALSE(scanned.HasCurrentIndex());
    Policy indexed = scanned;
    indexed.BuildIndex();
    ASSERT_TRUE(indexed.HasCurrentIndex());
    std::vector<std::string> ids = {"", "unknown", "pd:Name ", "PD:NAME"};
    for (const Service& e : scanned.services) ids.push_back(e.id);
    for (const Category& e : scanned.categories) ids.push_back(e.id);
    for (const Purpose& e : scanned.purposes) ids.push_back(e.id);
    for (const RetentionRule& e : scanned.retention) ids.push_back(e.id);
    for (const Role& e : scanned.roles) ids.push_back(e.id);
    for (const Course& e : scanned.courses) ids.push_back(e.id);
    for (const Trustee& e : scanned.trustees) ids.push_back(e.id);
    for (const Recipient& e : scanned.recipients) ids.push_back(e.id);
    for (const GroupCompany& e : scanned.group_companies) ids.push_back(e.id);
    for (const std::string& id : ids) {
      EXPECT_EQ(FindAll(indexed, id), FindAll(scanned, id)) << "\"" << id << "\"";
    }
    for (const Service& service : scanned.services) {
      for (const Category& category : scanned.categories) {
        EXPECT_EQ(indexed.CollectionPurposes(service.id, category.id),
                  scanned.CollectionPurposes(service.id, category.id));
      }
    }
  }
}

TEST(PolicyIndexTest, FirstOfSeveralElementsWithOneIdWins) {
  Policy p = SmallPolicy();
  p.categories.emplace_back().id = "pd:Name";  // a second pd:Name, at [3]
  p.BuildIndex();
  EXPECT_EQ(p.FindCategory("pd:Name"), &p.categories[0]);
}

TEST(PolicyIndexTest, CopyStartsWithoutIndexMoveKeepsIt) {
  Policy p = SmallPolicy();
  p.BuildIndex();
  Policy copy = p;
  EXPECT_FALSE(copy.HasCurrentIndex());
  EXPECT_EQ(copy.FindPurpose("x:Charging"), &copy.purposes[2]);
  copy = p;
  EXPECT_FALSE(copy.HasCurrentIndex());

  Policy moved = std::move(p);
  EXPECT_TRUE(moved.HasCurrentIndex());
  EXPECT_EQ(moved.FindPurpose("x:Charging"), &moved.purposes[2]);
  EXPECT_FALSE(p.HasCurrentIndex());  // NOLINT(bugprone-use-after-move): a valid empty policy
  EXPECT_EQ(p.FindPurpose("x:Charging"), nullptr);
  copy = std::move(moved);
  EXPECT_TRUE(copy.HasCurrentIndex());
  EXPECT_EQ(copy.FindPurpose("x:Charging"), &copy.purposes[2]);
}

TEST(PolicyIndexTest, AddingOrRemovingElementsStopsUsingTheIndex) {
  Policy p = SmallPolicy();
  p.BuildIndex();
  p.purposes.emplace_back().id = "x:New";
  EXPECT_FALSE(p.HasCurrentIndex());
  EXPECT_EQ(p.FindPurpose("x:New"), &p.purposes.back());
  EXPECT_EQ(p.FindCategory("pd:CallLog"), &p.categories[2]);
  p.BuildIndex();
  EXPECT_TRUE(p.HasCurrentIndex());
  p.categories.erase(p.categories.begin());
  EXPECT_FALSE(p.HasCurrentIndex());
  EXPECT_EQ(p.FindCategory("pd:Name"), nullptr);
  EXPECT_EQ(p.FindCategory("pd:CallLog"), &p.categories[1]);
}

TEST(PolicyIndexTest, BuildIndexAgainAfterAnEditInPlace) {
  Policy p = SmallPolicy();
  p.BuildIndex();
  p.purposes[1].id = "dpv:DirectMarketing";
  p.BuildIndex();
  EXPECT_EQ(p.FindPurpose("dpv:DirectMarketing"), &p.purposes[1]);
  EXPECT_EQ(p.FindPurpose("dpv:Marketing"), nullptr);
}

TEST(PolicyTest, EnumNames) {
  EXPECT_EQ(LegalClassName(LegalClass::kOrdinary), "ordinary");
  EXPECT_EQ(LegalClassName(LegalClass::kSpecialCare), "special_care");
  EXPECT_EQ(LegalClassName(LegalClass::kCommunicationSecrecy), "communication_secrecy");
  EXPECT_EQ(LegalClassName(LegalClass::kLocation), "location");
  EXPECT_EQ(LegalClassName(LegalClass::kMyNumber), "my_number");
  EXPECT_EQ(LegalClassName(LegalClass::kFinancial), "financial");
  EXPECT_EQ(IdentifierKindName(IdentifierKind::kNone), "none");
  EXPECT_EQ(IdentifierKindName(IdentifierKind::kPhone), "phone");
  EXPECT_EQ(IdentifierKindName(IdentifierKind::kEmail), "email");
  EXPECT_EQ(IdentifierKindName(IdentifierKind::kContract), "contract");
  EXPECT_EQ(IdentifierKindName(IdentifierKind::kName), "name");
  EXPECT_EQ(IdentifierKindName(IdentifierKind::kBirthDate), "birth_date");
  EXPECT_EQ(ErasureModeName(ErasureMode::kDelete), "delete");
  EXPECT_EQ(ErasureModeName(ErasureMode::kDeidentify), "deidentify");
  EXPECT_EQ(RetentionAnchorName(RetentionAnchor::kCollection), "collection");
  EXPECT_EQ(RetentionAnchorName(RetentionAnchor::kContractEnd), "contract_end");
  EXPECT_EQ(RetentionAnchorName(RetentionAnchor::kLastUse), "last_use");
}

TEST(PolicyTest, FormatPeriod) {
  EXPECT_EQ(FormatPeriod({.years = 1, .months = 6}), "P1Y6M");
  EXPECT_EQ(FormatPeriod({.years = 7}), "P7Y");
  EXPECT_EQ(FormatPeriod({.months = 6}), "P6M");
  EXPECT_EQ(FormatPeriod({.days = 30}), "P30D");
  EXPECT_EQ(FormatPeriod({.years = 2, .months = 3, .days = 4}), "P2Y3M4D");
  EXPECT_EQ(FormatPeriod({}), "P0D");
}

TEST(PolicyTest, FormatPeriodRoundTripsThroughParsePeriod) {
  for (const char* text : {"P1Y6M", "P7Y", "P6M", "P30D", "P2Y3M4D", "P0D"}) {
    absl::StatusOr<Period> period = ParsePeriod(text);
    ASSERT_TRUE(period.ok()) << text << ": " << period.status();
    EXPECT_EQ(FormatPeriod(*period), text);
  }
}

}  // namespace
}  // namespace mamori::policy
