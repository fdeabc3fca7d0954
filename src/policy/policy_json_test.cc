#include "policy/policy_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/policy_test_util.h"

namespace mamori::policy {
namespace {

using nlohmann::json;

// Expects `object[key]` to be an array of strings.
void ExpectIdList(const json& object, const std::string& key) {
  ASSERT_TRUE(object.contains(key)) << key << " missing in " << object.dump();
  ASSERT_TRUE(object[key].is_array()) << key;
  for (const json& id : object[key]) EXPECT_TRUE(id.is_string()) << key;
}

class PolicyJsonTest : public ::testing::Test {
 protected:
  void SetUp() override { j_ = PolicyToJson(testing::LoadExample()); }
  json j_;
};

TEST_F(PolicyJsonTest, TopLevelKeys) {
  ASSERT_TRUE(j_.is_object());
  ASSERT_TRUE(j_.contains("operator"));
  EXPECT_TRUE(j_["operator"].is_object());
  EXPECT_TRUE(j_["name"].is_string());
  for (const char* kind : {"services", "categories", "purposes", "retention", "roles", "courses",
                           "trustees", "recipients", "joint_uses", "group_companies"}) {
    ASSERT_TRUE(j_.contains(kind)) << kind;
    ASSERT_TRUE(j_[kind].is_array()) << kind;
    EXPECT_FALSE(j_[kind].empty()) << kind;
    for (const json& item : j_[kind]) {
      ASSERT_TRUE(item.is_object()) << kind;
      ASSERT_TRUE(item.contains("id")) << kind;
      EXPECT_TRUE(item["id"].is_string()) << kind;
    }
  }
}

TEST_F(PolicyJsonTest, Operator) {
  const json& op = j_["operator"];
  EXPECT_EQ(op["name"], "株式会社みらいテレコム");
  for (const char* key :
       {"name_en", "address", "representative", "privacy_contact", "complaint_desk", "time_zone"}) {
    EXPECT_TRUE(op[key].is_string()) << key;
  }
  EXPECT_EQ(op["time_zone"], "Asia/Tokyo");
  EXPECT_EQ(op["registration_number"], "第999号");
}

TEST_F(PolicyJsonTest, Services) {
  for (const json& s : j_["services"]) {
    ExpectIdList(s, "purposes");
    EXPECT_TRUE(s["name_ja"].is_string());
    EXPECT_TRUE(s["name_en"].is_string());
  }
  EXPECT_EQ(j_["services"][0]["id"], "mobile");
}

TEST_F(PolicyJsonTest, Categories) {
  for (const json& c : j_["categories"]) {
    ASSERT_TRUE(c["legal_class"].is_string());
    EXPECT_TRUE(c["identifier"].is_string());
    EXPECT_TRUE(c["erasure"].is_string());
  }
  json calls;
  for (const json& c : j_["categories"]) {
    if (c["id"] == "pd:CallLog") calls = c;
  }
  EXPECT_EQ(calls["legal_class"], "communication_secrecy");
  EXPECT_EQ(calls["erasure"], "deidentify");
  EXPECT_EQ(calls["identifier"], "none");
}

TEST_F(PolicyJsonTest, Purposes) {
  for (const json& p : j_["purposes"]) {
    EXPECT_TRUE(p["requires_consent"].is_boolean());
    EXPECT_TRUE(p["legitimate_business_act"].is_boolean());
    EXPECT_TRUE(p["statutory_my_number"].is_boolean());
    EXPECT_TRUE(p["retention"].is_string());
    EXPECT_TRUE(p["announcement_ja"].is_string());
    EXPECT_TRUE(p["announcement_en"].is_string());
    ExpectIdList(p, "categories");
  }
}

TEST_F(PolicyJsonTest, RetentionPeriodsAreIsoStrings) {
  json history;
  for (const json& r : j_["retention"]) {
    EXPECT_TRUE(r["duration"].is_string());
    EXPECT_TRUE(r["anchor"].is_string());
    EXPECT_TRUE(r["minimum"].is_string() || r["minimum"].is_null());
    EXPECT_TRUE(r["maximum"].is_string() || r["maximum"].is_null());
    if (r["id"] == "communication-history") history = r;
  }
  EXPECT_EQ(history["duration"], "P6M");
  EXPECT_EQ(history["minimum"], "P3M");
  EXPECT_EQ(history["maximum"], "P1Y");
  EXPECT_EQ(history["anchor"], "collection");
}

TEST_F(PolicyJsonTest, RolesAndCourses) {
  for (const json& r : j_["roles"]) {
    ExpectIdList(r, "purposes");
    ExpectIdList(r, "categories");
    ExpectIdList(r, "permissions");
    ExpectIdList(r, "courses");
    EXPECT_TRUE(r["bulk_access_threshold"].is_number_integer() ||
                r["bulk_access_threshold"].is_null());
  }
  for (const json& c : j_["courses"]) {
    EXPECT_TRUE(c["valid_days"].is_number_integer());
    EXPECT_TRUE(c["name"].is_string());
  }
}

TEST_F(PolicyJsonTest, TrusteesAndRecipients) {
  for (const char* kind : {"trustees", "recipients"}) {
    for (const json& t : j_[kind]) {
      ExpectIdList(t, "purposes");
      ExpectIdList(t, "categories");
      EXPECT_TRUE(t["country"].is_string()) << kind;
      EXPECT_TRUE(t["equivalent_measures"].is_boolean()) << kind;
    }
  }
  for (const json& t : j_["trustees"]) {
    EXPECT_TRUE(t["audit_interval_days"].is_number_integer());
    EXPECT_TRUE(t["contract"].is_string());
    EXPECT_TRUE(t["contract_start"].is_string() || t["contract_start"].is_null());
    EXPECT_TRUE(t["contract_end"].is_string() || t["contract_end"].is_null());
  }
  EXPECT_EQ(j_["trustees"][0]["contract_start"], "2024-04-01");
  EXPECT_EQ(j_["trustees"][0]["contract_end"], nullptr);
  for (const json& r : j_["recipients"]) {
    EXPECT_TRUE(r["opt_out_filing"].is_string() || r["opt_out_filing"].is_null());
    EXPECT_TRUE(r["contract_stands_in_for_record"].is_boolean());
  }
}

TEST_F(PolicyJsonTest, JointUses) {
  for (const json& j : j_["joint_uses"]) {
    ExpectIdList(j, "items");
    ExpectIdList(j, "users");
    ExpectIdList(j, "purposes");
    ASSERT_TRUE(j["responsible"].is_object());
    for (const char* key : {"name", "address", "representative"}) {
      EXPECT_TRUE(j["responsible"][key].is_string()) << key;
    }
    EXPECT_TRUE(j["notice_date"].is_string() || j["notice_date"].is_null());
  }
}

TEST(PolicyJsonEmptyTest, EmptyPolicyHasEveryKey) {
  json j = PolicyToJson(Policy{});
  EXPECT_TRUE(j["operator"]["name"].is_string());
  for (const char* kind : {"services", "categories", "purposes", "retention", "roles", "courses",
                           "trustees", "recipients", "joint_uses", "group_companies"}) {
    ASSERT_TRUE(j.contains(kind)) << kind;
    EXPECT_TRUE(j[kind].is_array()) << kind;
  }
}

}  // namespace
}  // namespace mamori::policy
