// Tests of the notice diff (notice_diff.h): each edit of the example policy
// and what the diff of the "mobile" notice says about it.
#include "notice/notice_diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "policy/policy_file.h"

namespace mamori::notice {
namespace {

using nlohmann::json;

std::string SourceDir() {
  const char* dir = std::getenv("MAMORI_SOURCE_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  return MAMORI_DEFAULT_SOURCE_DIR;
}

class NoticeDiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<policy::Policy> p =
        policy::LoadPolicyFile(SourceDir() + "/examples/telecom-operator.toml");
    ASSERT_TRUE(p.ok()) << p.status();
    before_ = *p;
    after_ = *std::move(p);
  }

  // The diff of `service` from version 1 (before_) to version 2 (after_).
  json Diff(std::string_view service = "mobile") {
    after_.BuildIndex();  // edits in place are not seen by an existing index
    absl::StatusOr<json> d = NoticeDiff(before_, 1, after_, 2, service);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : json();
  }

  policy::Purpose& AfterPurpose(std::string_view id) {
    for (policy::Purpose& p : after_.purposes) {
      if (p.id == id) return p;
    }
    ADD_FAILURE() << "no purpose " << id;
    return after_.purposes[0];
  }

  // The one changed purpose of `d`.
  static const json& OnlyChangedPurpose(const json& d) {
    EXPECT_EQ(d["purposes"]["changed"].size(), 1u) << d.dump(2);
    return d["purposes"]["changed"][0];
  }

  policy::Policy before_, after_;
};

TEST_F(NoticeDiffTest, SamePolicyChangesNothing) {
  const json d = Diff();
  EXPECT_FALSE(d["changed"].get<bool>());
  EXPECT_EQ(d["from_version"], 1);
  EXPECT_EQ(d["to_version"], 2);
  EXPECT_EQ(d["service"], "mobile");
  for (const char* kind : {"purposes", "categories", "joint_uses", "trustees", "recipients"}) {
    for (const char* list : {"added", "removed", "changed"}) {
      EXPECT_EQ(d[kind][list], json::array()) << kind << "." << list;
    }
  }
  EXPECT_EQ(d["retention"], json::array());
  EXPECT_FALSE(d["operator_changed"].get<bool>());
  EXPECT_FALSE(d["request_fee_changed"].get<bool>());
  EXPECT_FALSE(d["security_measures_changed"].get<bool>());
}

TEST_F(NoticeDiffTest, PolicyNameAloneDoesNotChangeTheNotice) {
  after_.name = "みらいテレコム 個人情報保護方針 2026年1月版";
  EXPECT_FALSE(Diff()["changed"].get<bool>());
}

TEST_F(NoticeDiffTest, ChangedAnnouncementWithoutDeclarationNeedsConsent) {
  AfterPurpose("dpv:CustomerCare").announcement_en =
      "To answer your inquiries and to improve our services.";
  const json d = Diff();
  EXPECT_TRUE(d["changed"].get<bool>());
  const json& p = OnlyChangedPurpose(d);
  EXPECT_EQ(p["id"], "dpv:CustomerCare");
  EXPECT_EQ(p["fields"], json({"announcement_en"}));
  EXPECT_TRUE(p["changed_purpose"].get<bool>());
  EXPECT_FALSE(p["reasonably_related"].get<bool>());
  EXPECT_EQ(p["consequence"]["code"], kExistingRecordsNeedConsent);
  EXPECT_THAT(p["consequence"]["text_en"].get<std::string>(), ::testing::HasSubstr("consent"));
  EXPECT_THAT(p["consequence"]["text_ja"].get<std::string>(), ::testing::HasSubstr("同意"));
}

TEST_F(NoticeDiffTest, ChangedAnnouncementDeclaredReasonablyRelated) {
  policy::Purpose& care = AfterPurpose("dpv:CustomerCare");
  care.announcement_ja += "（チャットでのお問い合わせを含みます）";
  care.change_reasonably_related = true;
  const json d = Diff();
  const json& p = OnlyChangedPurpose(d);
  EXPECT_EQ(p["fields"], json({"announcement_ja"}));
  EXPECT_TRUE(p["changed_purpose"].get<bool>());
  EXPECT_TRUE(p["reasonably_related"].get<bool>());
  EXPECT_EQ(p["consequence"]["code"], kChangedPurposeAppliesToExistingRecords);
}

// The declaration as the policy file writes it.
TEST_F(NoticeDiffTest, DeclarationFromThePolicyFile) {
  std::ifstream in(SourceDir() + "/examples/telecom-operator.toml", std::ios::binary);
  std::string text(std::istreambuf_iterator<char>(in), {});
  const std::string old_text =
      "announcement_en = \"To answer your inquiries, requests and fault reports, and to keep "
      "records of them.\"\n";
  const size_t at = text.find(old_text);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, old_text.size(),
               "announcement_en = \"To answer your inquiries, requests and fault reports, by "
               "phone or chat, and to keep records of them.\"\nchange_reasonably_related = "
               "true\n");
  absl::StatusOr<policy::Policy> v2 = policy::ParsePolicyText(text, "v2.toml");
  ASSERT_TRUE(v2.ok()) << v2.status();
  absl::StatusOr<json> d = NoticeDiff(before_, 1, *v2, 2, "support");
  ASSERT_TRUE(d.ok()) << d.status();
  const json& p = OnlyChangedPurpose(*d);
  EXPECT_EQ(p["id"], "dpv:CustomerCare");
  EXPECT_TRUE(p["reasonably_related"].get<bool>());
  EXPECT_EQ(p["consequence"]["code"], kChangedPurposeAppliesToExistingRecords);
}

TEST_F(NoticeDiffTest, ChangedCategoriesAreAChangedPurpose) {
  AfterPurpose("dpv:Marketing").categories.push_back("pd:PhysicalAddress");
  const json d = Diff();
  const json& p = OnlyChangedPurpose(d);
  EXPECT_EQ(p["fields"], json({"categories"}));
  EXPECT_EQ(p["categories_added"], json({"pd:PhysicalAddress"}));
  EXPECT_EQ(p["categories_removed"], json::array());
  EXPECT_TRUE(p["changed_purpose"].get<bool>());
  EXPECT_EQ(p["consequence"]["code"], kExistingRecordsNeedConsent);
  // The service collected the address already: no new category.
  EXPECT_EQ(d["categories"]["added"], json::array());
}

TEST_F(NoticeDiffTest, ReorderedCategoriesAreNoChange) {
  std::vector<std::string>& c = AfterPurpose("dpv:Marketing").categories;
  std::reverse(c.begin(), c.end());
  EXPECT_EQ(Diff()["purposes"]["changed"], json::array());
}

TEST_F(NoticeDiffTest, RenamedPurposeIsNotAChangedPurpose) {
  AfterPurpose("dpv:CustomerCare").name_en = "Customer care";
  const json d = Diff();
  const json& p = OnlyChangedPurpose(d);
  EXPECT_EQ(p["fields"], json({"name_en"}));
  EXPECT_FALSE(p["changed_purpose"].get<bool>());
  EXPECT_TRUE(p["consequence"].is_null());
}

TEST_F(NoticeDiffTest, AddedAndRemovedCategories) {
  // Fiber's customer care starts keeping identity verification records, and
  // fiber no longer announces network operation, the only purpose of fiber
  // that uses location.
  AfterPurpose("dpv:CustomerCare").categories.push_back("mamori:IdentityVerificationRecord");
  policy::Service& fiber = after_.services[1];
  ASSERT_EQ(fiber.id, "fiber");
  fiber.purposes.erase(
      std::find(fiber.purposes.begin(), fiber.purposes.end(), "dpv:TechnicalServiceProvision"));
  const json d = Diff("fiber");
  EXPECT_EQ(
      d["categories"]["added"],
      json({{{"id", "mamori:IdentityVerificationRecord"},
             {"name_ja", "本人確認記録（本人確認書類の種類・番号）"},
             {"name_en", "Identity verification record (type and number of the ID document)"}}}));
  ASSERT_EQ(d["categories"]["removed"].size(), 1u);
  EXPECT_EQ(d["categories"]["removed"][0]["id"], "pd:Location");
  ASSERT_EQ(d["purposes"]["removed"].size(), 1u);
  EXPECT_EQ(d["purposes"]["removed"][0]["id"], "dpv:TechnicalServiceProvision");
  const json& care = OnlyChangedPurpose(d);
  EXPECT_EQ(care["categories_added"], json({"mamori:IdentityVerificationRecord"}));
  EXPECT_TRUE(care["changed_purpose"].get<bool>());
}

TEST_F(NoticeDiffTest, NewlyAnnouncedPurposeIsAChange) {
  after_.services[0].purposes.push_back("mamori:StatutoryPaymentRecord");
  const json d = Diff();
  ASSERT_EQ(d["purposes"]["added"].size(), 1u);
  const json& p = d["purposes"]["added"][0];
  EXPECT_EQ(p["id"], "mamori:StatutoryPaymentRecord");
  EXPECT_TRUE(p["changed_purpose"].get<bool>());
  EXPECT_EQ(p["consequence"]["code"], kExistingRecordsNeedConsent);
  AfterPurpose("mamori:StatutoryPaymentRecord").change_reasonably_related = true;
  EXPECT_EQ(Diff()["purposes"]["added"][0]["consequence"]["code"],
            kChangedPurposeAppliesToExistingRecords);
}

TEST_F(NoticeDiffTest, RetentionChange) {
  for (policy::RetentionRule& r : after_.retention) {
    if (r.id == "inquiry-3y") r.duration = {.years = 5};
  }
  const json d = Diff();
  ASSERT_EQ(d["retention"].size(), 1u);
  const json& r = d["retention"][0];
  EXPECT_EQ(r["purpose"], "dpv:CustomerCare");
  EXPECT_EQ(r["from"]["duration"], "P3Y");
  EXPECT_EQ(r["to"]["duration"], "P5Y");
  EXPECT_EQ(r["from"]["text_en"], "3 years from collection");
  EXPECT_EQ(r["to"]["text_ja"], "5年（取得から）");
  const json& p = OnlyChangedPurpose(d);
  EXPECT_EQ(p["fields"], json({"retention"}));
  EXPECT_FALSE(p["changed_purpose"].get<bool>());
  EXPECT_TRUE(d["changed"].get<bool>());
}

TEST_F(NoticeDiffTest, SameRetentionUnderAnotherRuleIdIsNoChange) {
  after_.retention.push_back(*after_.FindRetention("inquiry-3y"));
  after_.retention.back().id = "inquiry-three-years";
  AfterPurpose("dpv:CustomerCare").retention = "inquiry-three-years";
  const json d = Diff();
  EXPECT_EQ(d["retention"], json::array());
  EXPECT_FALSE(d["changed"].get<bool>());
}

TEST_F(NoticeDiffTest, JointUseChanges) {
  after_.joint_uses[0].responsible.representative = "代表取締役社長 田中 次郎";
  after_.joint_uses[0].items.pop_back();
  const json d = Diff();
  ASSERT_EQ(d["joint_uses"]["changed"].size(), 1u);
  const json& j = d["joint_uses"]["changed"][0];
  EXPECT_EQ(j["id"], "group-fraud-prevention");
  EXPECT_EQ(j["fields"], json({"items", "responsible"}));
  ASSERT_EQ(j["consequences"].size(), 2u);
  EXPECT_EQ(j["consequences"][0]["code"], kJointUsePriorNoticeRequired);
  EXPECT_EQ(j["consequences"][1]["code"], kJointUseHeldDataKeepsScope);
}

TEST_F(NoticeDiffTest, TrusteesAndRecipients) {
  policy::Trustee added = after_.trustees[0];
  added.id = "manila-bpo";
  added.country = "PH";
  after_.trustees.push_back(added);
  after_.trustees[1].equivalent_measures = false;
  after_.recipients.clear();
  const json d = Diff();
  EXPECT_EQ(d["trustees"]["added"], json({"manila-bpo"}));
  EXPECT_EQ(d["trustees"]["changed"],
            json({{{"id", "nimbus-cloud"}, {"fields", {"equivalent_measures"}}}}));
  EXPECT_EQ(d["recipients"]["removed"], json({"hikari-servicer"}));
  // Neither concerns site leasing.
  const json s = Diff("site-leasing");
  EXPECT_EQ(s["trustees"]["added"], json::array());
  EXPECT_EQ(s["recipients"]["removed"], json::array());
  EXPECT_FALSE(s["changed"].get<bool>());
}

TEST_F(NoticeDiffTest, OperatorFeesAndSecurityMeasures) {
  after_.operator_info.complaint_desk = "お客さま相談室 0120-999-999";
  after_.notice.request_fee_en = "1,000 yen per disclosure.";
  after_.notice.security_measures_ja.push_back("通信を暗号化しています。");
  const json d = Diff();
  EXPECT_TRUE(d["operator_changed"].get<bool>());
  EXPECT_TRUE(d["request_fee_changed"].get<bool>());
  EXPECT_TRUE(d["security_measures_changed"].get<bool>());
  EXPECT_TRUE(d["changed"].get<bool>());
}

TEST_F(NoticeDiffTest, ServiceInOneVersionOnly) {
  policy::Service satellite = after_.services[0];
  satellite.id = "satellite";
  after_.services.push_back(satellite);
  const json d = Diff("satellite");
  EXPECT_FALSE(d["announced"]["before"].get<bool>());
  EXPECT_TRUE(d["announced"]["after"].get<bool>());
  EXPECT_TRUE(d["changed"].get<bool>());
  EXPECT_EQ(d["purposes"]["added"].size(), satellite.purposes.size());
  EXPECT_FALSE(d["categories"]["added"].empty());

  absl::StatusOr<json> none = NoticeDiff(before_, 1, after_, 2, "no-such-service");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace mamori::notice
