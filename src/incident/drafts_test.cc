// Tests of report drafts (drafts.h).
//
// Snapshot tests: the drafts of every report the example incident needs
// (incident_test_util.h), in Japanese and English, as JSON and HTML, are
// compared byte for byte with src/incident/testdata/draft.KIND.LANG.{json,html}.
// Regenerate with MAMORI_UPDATE_GOLDENS=1 (see incident_test_util.h).
#include "incident/drafts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <tuple>

#include "incident/incident_test_util.h"

namespace mamori::incident {
namespace {

using nlohmann::json;
using notice::Language;
using ::testing::HasSubstr;
using ::testing::Not;

class DraftSnapshotTest : public ::testing::TestWithParam<std::tuple<ReportKind, Language>> {
 protected:
  std::string Golden(std::string_view extension) const {
    const auto& [kind, language] = GetParam();
    return "draft." + std::string(ReportKindName(kind)) + "." +
           std::string(notice::LanguageCode(language)) + "." + std::string(extension);
  }
  policy::Policy policy_ = policy::testing::LoadExample();
};

TEST_P(DraftSnapshotTest, JsonMatchesGolden) {
  const auto& [kind, language] = GetParam();
  absl::StatusOr<json> draft = DraftJson(policy_, testing::ExampleFacts(language),
                                         testing::ExampleNarrative(language), kind, language);
  ASSERT_TRUE(draft.ok()) << draft.status();
  testing::ExpectGolden(Golden("json"), draft->dump(2) + "\n");
}

TEST_P(DraftSnapshotTest, HtmlMatchesGolden) {
  const auto& [kind, language] = GetParam();
  absl::StatusOr<std::string> page = DraftHtml(policy_, testing::ExampleFacts(language),
                                               testing::ExampleNarrative(language), kind, language);
  ASSERT_TRUE(page.ok()) << page.status();
  testing::ExpectGolden(Golden("html"), *page);
}

std::string SnapshotName(const ::testing::TestParamInfo<DraftSnapshotTest::ParamType>& info) {
  return std::string(ReportKindName(std::get<0>(info.param))) + "_" +
         std::string(notice::LanguageCode(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(
    Example, DraftSnapshotTest,
    ::testing::Combine(::testing::Values(ReportKind::kAppiPreliminary, ReportKind::kAppiFinal,
                                         ReportKind::kTbaPrompt, ReportKind::kTbaDetailed),
                       ::testing::Values(Language::kJa, Language::kEn)),
    SnapshotName);

class DraftTest : public ::testing::Test {
 protected:
  json Draft(ReportKind kind, Language language = Language::kJa) {
    absl::StatusOr<json> d = DraftJson(policy_, facts_, narrative_, kind, language);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : json();
  }
  std::string Html(ReportKind kind, Language language = Language::kEn) {
    absl::StatusOr<std::string> page = DraftHtml(policy_, facts_, narrative_, kind, language);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? *page : "";
  }
  static std::set<std::string> Keys(const json& draft) {
    std::set<std::string> keys;
    for (const json& f : draft["fields"]) keys.insert(f["key"].get<std::string>());
    return keys;
  }

  policy::Policy policy_ = policy::testing::LoadExample();
  IncidentFacts facts_ = testing::ExampleFacts(Language::kJa);
  IncidentNarrative narrative_ = testing::ExampleNarrative(Language::kJa);
};

TEST_F(DraftTest, EveryStatutoryFieldOfTheAppiReports) {
  // Enforcement Rules Art. 8(1)(i)-(ix).
  for (ReportKind kind : {ReportKind::kAppiPreliminary, ReportKind::kAppiFinal}) {
    const std::set<std::string> keys = Keys(Draft(kind));
    for (const char* key :
         {"overview", "data_items", "persons", "cause", "secondary_damage", "response_to_persons",
          "publication", "recurrence_prevention", "other"}) {
      EXPECT_TRUE(keys.contains(key)) << ReportKindName(kind) << " lacks " << key;
    }
  }
}

TEST_F(DraftTest, EveryStatutoryFieldOfTheTbaReports) {
  for (ReportKind kind : {ReportKind::kTbaPrompt, ReportKind::kTbaDetailed}) {
    const std::set<std::string> keys = Keys(Draft(kind));
    for (const char* key : {"operator_name", "registration_number", "occurred_at", "discovered_at",
                            "data_items", "persons", "cause", "secondary_damage", "publication",
                            "response_to_persons", "recurrence_prevention"}) {
      EXPECT_TRUE(keys.contains(key)) << ReportKindName(kind) << " lacks " << key;
    }
  }
  EXPECT_FALSE(Keys(Draft(ReportKind::kAppiPreliminary)).contains("registration_number"));
}

TEST_F(DraftTest, WhatTheOfficerHasNotWrittenIsToBeCompleted) {
  const json d = Draft(ReportKind::kAppiFinal);
  EXPECT_EQ(d["missing"], json({"publication", "recurrence_prevention"}));
  narrative_ = {};
  EXPECT_EQ(Draft(ReportKind::kAppiFinal)["missing"],
            json({"secondary_damage", "response_to_persons", "publication", "recurrence_prevention",
                  "other"}));
  const std::string ja = Html(ReportKind::kAppiFinal, Language::kJa);
  EXPECT_THAT(ja, HasSubstr("<span class=\"todo\">（未記入）</span>"));
  const std::string en = Html(ReportKind::kAppiFinal, Language::kEn);
  EXPECT_THAT(en, HasSubstr("<span class=\"todo\">(to be completed)</span>"));
}

TEST_F(DraftTest, AMissingRegistrationNumberIsToBeCompleted) {
  EXPECT_EQ(Draft(ReportKind::kTbaPrompt)["operator"]["registration_number"], "第999号");
  policy_.operator_info.registration_number.reset();
  const json d = Draft(ReportKind::kTbaPrompt);
  EXPECT_EQ(d["missing"][0], "registration_number");
  EXPECT_TRUE(d["operator"]["registration_number"].is_null());
}

TEST_F(DraftTest, DueAndAuthority) {
  const json prelim = Draft(ReportKind::kAppiPreliminary);
  EXPECT_EQ(prelim["due"], "2026-02-03T15:00:00Z");
  EXPECT_EQ(prelim["authority"]["code"], "ppc");
  EXPECT_EQ(prelim["filed_with"]["code"], "mic_regional_bureau");
  EXPECT_THAT(prelim["due_text"].get<std::string>(), HasSubstr("2026年2月3日"));
  const json final_report = Draft(ReportKind::kAppiFinal, Language::kEn);
  EXPECT_EQ(final_report["days"], 60);
  EXPECT_THAT(final_report["due_text"].get<std::string>(), HasSubstr("30 March 2026"));
  EXPECT_EQ(Draft(ReportKind::kTbaDetailed)["authority"]["code"], "mic_regional_bureau");
}

TEST_F(DraftTest, EachReportCitesItsOwnGrounds) {
  const json appi_draft = Draft(ReportKind::kAppiPreliminary);
  const json tba_draft = Draft(ReportKind::kTbaPrompt);
  std::set<std::string> appi, tba;
  for (const json& r : appi_draft["reasons"]) appi.insert(r["code"]);
  for (const json& r : tba_draft["reasons"]) tba.insert(r["code"]);
  EXPECT_EQ(appi,
            (std::set<std::string>{"wrongful_purpose", "over_1000_persons", "encrypted_exempt"}));
  EXPECT_EQ(tba, (std::set<std::string>{"communication_secrecy"}));
  // The exemption matters to the TBA reports when it removed secret data.
  facts_.affected.categories.push_back(
      {.id = "mamori:ConnectionLog", .subjects = 40, .encrypted_without_keys = true});
  const json with_logs = Draft(ReportKind::kTbaDetailed, Language::kEn);
  ASSERT_EQ(with_logs["reasons"].size(), 2u);
  EXPECT_EQ(with_logs["reasons"][1]["code"], "encrypted_exempt");
}

TEST_F(DraftTest, AReportTheIncidentDoesNotNeedIsRefused) {
  facts_.affected.categories.erase(facts_.affected.categories.begin() + 2);  // the call records
  absl::StatusOr<json> d =
      DraftJson(policy_, facts_, narrative_, ReportKind::kTbaPrompt, Language::kJa);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("no tba_prompt report"));
  EXPECT_TRUE(DraftJson(policy_, facts_, narrative_, ReportKind::kAppiFinal, Language::kJa).ok());
}

TEST_F(DraftTest, InvalidFactsAreRefused) {
  facts_.affected.categories[0].id = "pd:Unknown";
  EXPECT_EQ(
      DraftJson(policy_, facts_, narrative_, ReportKind::kAppiFinal, Language::kJa).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      DraftHtml(policy_, facts_, narrative_, ReportKind::kAppiFinal, Language::kJa).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(DraftTest, UnknownOccurrenceAndSuspectedLeak) {
  facts_.occurred_at.reset();
  facts_.suspected = true;
  const json d = Draft(ReportKind::kTbaPrompt);
  for (const json& f : d["fields"]) {
    if (f["key"] == "occurred_at") {
      EXPECT_EQ(f["text"], "不明（調査中）");
    } else if (f["key"] == "overview") {
      EXPECT_THAT(f["text"].get<std::string>(), HasSubstr("発生したおそれがある"));
    }
  }
}

TEST_F(DraftTest, HtmlIsASelfContainedPage) {
  for (Language language : {Language::kJa, Language::kEn}) {
    const std::string page = Html(ReportKind::kTbaPrompt, language);
    EXPECT_THAT(page, ::testing::StartsWith("<!DOCTYPE html>\n<html lang=\""));
    EXPECT_THAT(page, HasSubstr("<meta charset=\"utf-8\">"));
    EXPECT_THAT(page, HasSubstr("@media print"));
    EXPECT_THAT(page, ::testing::EndsWith("</html>\n"));
    for (const char* banned : {"<script", "<link", "src=", "url(", "@import", "http:", "https:"}) {
      EXPECT_THAT(page, Not(HasSubstr(banned))) << banned;
    }
  }
}

TEST_F(DraftTest, HtmlEscapesEveryText) {
  facts_.description = "<script>alert('x')</script>";
  narrative_.publication = "</td><img src=x onerror=alert(1)>";
  facts_.id = "inc_\"><b>";
  policy_.operator_info.address = "Tokyo & <i>Osaka</i>";
  policy_.operator_info.registration_number = "<u>999</u>";
  policy_.categories[0].name_en = "Name <em>";
  const std::string page = Html(ReportKind::kTbaPrompt);
  for (const char* raw : {"<script", "<img", "<b>", "<i>", "<u>", "<em>"}) {
    EXPECT_THAT(page, Not(HasSubstr(raw))) << raw;
  }
  EXPECT_THAT(page, HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
  EXPECT_THAT(page, HasSubstr("Tokyo &amp; &lt;i&gt;Osaka&lt;/i&gt;"));
  EXPECT_THAT(page, HasSubstr("inc_&quot;&gt;&lt;b&gt;"));
  // The JSON keeps the text as written: escaping is the page's job.
  EXPECT_EQ(Draft(ReportKind::kTbaPrompt, Language::kEn)["incident"], "inc_\"><b>");
}

TEST_F(DraftTest, JapaneseValuesAreMarkedOnEnglishPages) {
  const std::string page = Html(ReportKind::kAppiPreliminary, Language::kEn);
  EXPECT_THAT(page, HasSubstr("<span lang=\"ja\">東京都千代田区丸の内九丁目9番9号</span>"));
  // The officer's Japanese text too.
  EXPECT_THAT(page, HasSubstr("<span lang=\"ja\">所轄の警察署に相談しています。</span>"));
}

}  // namespace
}  // namespace mamori::incident
