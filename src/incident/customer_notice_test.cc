// Tests of customer notices (customer_notice.h).
//
// Snapshot tests: the notice of the example incident (incident_test_util.h)
// to a person whose name, call records and (encrypted) card number leaked,
// in Japanese and English, as JSON, text and HTML, against
// src/incident/testdata/customer_notice.LANG.{json,txt,html}. Regenerate with
// MAMORI_UPDATE_GOLDENS=1 (see incident_test_util.h).
#include "incident/customer_notice.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "incident/incident_test_util.h"

namespace mamori::incident {
namespace {

using nlohmann::json;
using notice::Language;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> kPersonCategories = {"pd:Name", "pd:CallLog",
                                                    "pd:PaymentCardNumber"};

class CustomerNoticeSnapshotTest : public ::testing::TestWithParam<Language> {
 protected:
  std::string Golden(std::string_view extension) const {
    return "customer_notice." + std::string(notice::LanguageCode(GetParam())) + "." +
           std::string(extension);
  }
  policy::Policy policy_ = policy::testing::LoadExample();
  IncidentFacts facts_ = testing::ExampleFacts(GetParam());
  IncidentNarrative narrative_ = testing::ExampleNarrative(GetParam());
};

TEST_P(CustomerNoticeSnapshotTest, JsonMatchesGolden) {
  absl::StatusOr<json> n =
      CustomerNoticeJson(policy_, facts_, narrative_, kPersonCategories, GetParam());
  ASSERT_TRUE(n.ok()) << n.status();
  testing::ExpectGolden(Golden("json"), n->dump(2) + "\n");
}

TEST_P(CustomerNoticeSnapshotTest, TextMatchesGolden) {
  absl::StatusOr<std::string> n =
      CustomerNoticeText(policy_, facts_, narrative_, kPersonCategories, GetParam());
  ASSERT_TRUE(n.ok()) << n.status();
  testing::ExpectGolden(Golden("txt"), *n);
}

TEST_P(CustomerNoticeSnapshotTest, HtmlMatchesGolden) {
  absl::StatusOr<std::string> n =
      CustomerNoticeHtml(policy_, facts_, narrative_, kPersonCategories, GetParam());
  ASSERT_TRUE(n.ok()) << n.status();
  testing::ExpectGolden(Golden("html"), *n);
}

std::string SnapshotName(const ::testing::TestParamInfo<Language>& param_info) {
  return std::string(notice::LanguageCode(param_info.param));
}

INSTANTIATE_TEST_SUITE_P(Example, CustomerNoticeSnapshotTest,
                         ::testing::Values(Language::kJa, Language::kEn), SnapshotName);

class CustomerNoticeTest : public ::testing::Test {
 protected:
  json Notice(const std::vector<std::string>& categories, Language language = Language::kJa) {
    absl::StatusOr<json> n = CustomerNoticeJson(policy_, facts_, narrative_, categories, language);
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : json();
  }

  policy::Policy policy_ = policy::testing::LoadExample();
  IncidentFacts facts_ = testing::ExampleFacts(Language::kJa);
  IncidentNarrative narrative_ = testing::ExampleNarrative(Language::kJa);
};

TEST_F(CustomerNoticeTest, OnlyThePersonsOwnCategoriesInTheirLanguage) {
  const json ja = Notice({"pd:TelephoneNumber"});
  ASSERT_EQ(ja["data_items"].size(), 1u);
  EXPECT_EQ(ja["data_items"][0]["name"], "電話番号");
  EXPECT_THAT(ja.dump(), Not(HasSubstr("通話履歴")));
  const json en = Notice({"pd:CallLog", "pd:Name"}, Language::kEn);
  ASSERT_EQ(en["data_items"].size(), 2u);
  EXPECT_EQ(en["data_items"][0]["name"], "Call detail records (numbers, time, duration)");
  EXPECT_EQ(en["data_items"][1]["name"], "Name");
}

TEST_F(CustomerNoticeTest, StatutoryItems) {
  // Enforcement Rules Art. 10: overview, items, cause, secondary damage, other.
  const json n = Notice(kPersonCategories);
  EXPECT_THAT(n["overview"].get<std::string>(), HasSubstr("2026年1月29日"));
  EXPECT_EQ(n["cause"]["code"], "unauthorized_access");
  EXPECT_EQ(n["cause"]["text"], "不正アクセス");
  EXPECT_EQ(n["secondary_damage"], narrative_.secondary_damage);
  EXPECT_EQ(n["other"], narrative_.other);
  EXPECT_EQ(n["contact"]["inquiries"], policy_.operator_info.privacy_contact);
  EXPECT_EQ(n["contact"]["complaints"], policy_.operator_info.complaint_desk);
  EXPECT_EQ(n["missing"], json::array());
}

TEST_F(CustomerNoticeTest, EncryptedItemsSaySo) {
  const json n = Notice({"pd:PaymentCardNumber", "pd:Name"});
  EXPECT_TRUE(n["data_items"][0]["encrypted_without_keys"].get<bool>());
  EXPECT_THAT(n["data_items"][0]["note"].get<std::string>(), HasSubstr("鍵"));
  EXPECT_TRUE(n["data_items"][1]["note"].is_null());
}

TEST_F(CustomerNoticeTest, ADedicatedInquiryDesk) {
  narrative_.inquiry_desk = "漏えい専用窓口 0120-000-900";
  EXPECT_EQ(Notice({"pd:Name"})["contact"]["inquiries"], "漏えい専用窓口 0120-000-900");
}

TEST_F(CustomerNoticeTest, SecondaryDamageNotWrittenIsToBeCompleted) {
  narrative_ = {};
  const json n = Notice({"pd:Name"});
  EXPECT_EQ(n["missing"], json({"secondary_damage"}));
  EXPECT_TRUE(n["other"].is_null());
  absl::StatusOr<std::string> text =
      CustomerNoticeText(policy_, facts_, narrative_, {"pd:Name"}, Language::kJa);
  ASSERT_TRUE(text.ok());
  EXPECT_THAT(*text, HasSubstr("（未記入）"));
  EXPECT_THAT(*text, Not(HasSubstr("■ その他")));
  absl::StatusOr<std::string> page =
      CustomerNoticeHtml(policy_, facts_, narrative_, {"pd:Name"}, Language::kEn);
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(*page, HasSubstr("<span class=\"todo\">(to be completed)</span>"));
}

TEST_F(CustomerNoticeTest, CategoriesMustBeAffectedAndGiven) {
  for (const std::vector<std::string>& categories :
       {std::vector<std::string>{}, std::vector<std::string>{"pd:Disability"},
        std::vector<std::string>{"pd:Unknown"}, std::vector<std::string>{"pd:Name", "pd:Name"}}) {
    EXPECT_EQ(
        CustomerNoticeJson(policy_, facts_, narrative_, categories, Language::kJa).status().code(),
        absl::StatusCode::kInvalidArgument)
        << categories.size();
  }
  facts_.affected.subjects = -5;
  EXPECT_EQ(
      CustomerNoticeText(policy_, facts_, narrative_, {"pd:Name"}, Language::kJa).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(CustomerNoticeTest, HtmlEscapesEveryText) {
  facts_.description = "<script>x()</script>";
  narrative_.secondary_damage = "</p><img src=x>";
  policy_.operator_info.complaint_desk = "<b>desk</b>";
  policy_.categories[0].name_en = "Name & <em>";
  absl::StatusOr<std::string> page =
      CustomerNoticeHtml(policy_, facts_, narrative_, {"pd:Name"}, Language::kEn);
  ASSERT_TRUE(page.ok()) << page.status();
  for (const char* raw : {"<script", "<img", "<b>", "<em>"}) {
    EXPECT_THAT(*page, Not(HasSubstr(raw))) << raw;
  }
  EXPECT_THAT(*page, HasSubstr("Name &amp; &lt;em&gt;"));
}

TEST_F(CustomerNoticeTest, HtmlIsASelfContainedPage) {
  for (Language language : {Language::kJa, Language::kEn}) {
    absl::StatusOr<std::string> page =
        CustomerNoticeHtml(policy_, facts_, narrative_, kPersonCategories, language);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_THAT(*page, HasSubstr("<html lang=\"" + std::string(notice::LanguageCode(language))));
    EXPECT_THAT(*page, HasSubstr("@media print"));
    for (const char* banned : {"<script", "<link", "src=", "url(", "@import", "http:", "https:"}) {
      EXPECT_THAT(*page, Not(HasSubstr(banned))) << banned;
    }
  }
}

}  // namespace
}  // namespace mamori::incident
