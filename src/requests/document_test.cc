// Tests of the printable answer to a request (requests/document.h): a
// disclosure's page holds every record's value escaped, the language the
// person chose, and nothing that runs.
#include "requests/document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace mamori::requests {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

json Disclosure() {
  return {{"request", "req_1"},
          {"kind", "disclosure"},
          {"language", "en"},
          {"operator", "Mirai Telecom"},
          {"generated_at", "2026-11-29T00:00:00Z"},
          {"records",
           {{{"category_name", "Name"},
             {"service_name", "Mirai Mobile"},
             {"purposes", {{{"name", "Customer care"}}}},
             {"collected_at", "2026-01-05T00:00:00Z"},
             {"value", "<b>Yamada</b>"}}}},
          {"consents", json::array()},
          {"provision_records", json::array()},
          {"stop_orders", json::array()}};
}

TEST(ResultHtmlTest, DisclosureShowsValuesEscapedAndRunsNothing) {
  const std::string page = ResultHtml(Disclosure(), json(), notice::Language::kEn);
  EXPECT_THAT(page, HasSubstr("Disclosure of retained personal data"));
  EXPECT_THAT(page, HasSubstr("&lt;b&gt;Yamada&lt;/b&gt;"));
  EXPECT_THAT(page, Not(HasSubstr("<b>Yamada")));
  EXPECT_THAT(page, Not(HasSubstr("<script")));
}

TEST(ResultHtmlTest, DisclosureNamesTheLanguageThePersonChoseOnlyWhenChosen) {
  EXPECT_THAT(ResultHtml(Disclosure(), json(), notice::Language::kEn),
              Not(HasSubstr("Language for what we send you")));
  json chosen = Disclosure();
  chosen["chosen_language"] = "ja";
  EXPECT_THAT(ResultHtml(chosen, json(), notice::Language::kEn),
              HasSubstr("Language for what we send you</dt>\n<dd>Japanese"));
  chosen["chosen_language"] = "en";
  EXPECT_THAT(ResultHtml(chosen, json(), notice::Language::kJa),
              HasSubstr("ご連絡の言語</dt>\n<dd>英語"));
}

}  // namespace
}  // namespace mamori::requests
