#include "vault/import_line.h"

#include <gtest/gtest.h>

namespace mamori::vault {
namespace {

TEST(ImportLineTest, ParsesIdentifiersAndRecords) {
  auto line = ParseImportLine(
      R"({"phone":"090-1234-5678","name":"山田 太郎","records":[)"
      R"({"category":"pd:Name","service":"mobile","value":"山田 太郎"},)"
      R"({"category":"pd:TelephoneNumber","service":"mobile","value":"09012345678",)"
      R"("collected_at":"2026-04-01T09:00:00+09:00"}]})");
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->identifiers.phone.value(), "090-1234-5678");
  EXPECT_EQ(line->identifiers.name.value(), "山田 太郎");
  EXPECT_FALSE(line->identifiers.email.has_value());
  ASSERT_EQ(line->records.size(), 2u);
  EXPECT_EQ(line->records[0].category, "pd:Name");
  EXPECT_FALSE(line->records[0].collected_at.has_value());
  EXPECT_EQ(line->records[1].collected_at.value(), absl::FromUnixSeconds(1775001600));
}

TEST(ImportLineTest, ExistingSubject) {
  auto line = ParseImportLine(
      R"({"subject":"sub_x","records":[{"category":"c","service":"s","value":"v"}]})");
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->existing_subject.value(), "sub_x");
  EXPECT_FALSE(line->language.has_value());
}

TEST(ImportLineTest, Language) {
  auto line = ParseImportLine(R"({"phone":"090","language":"en"})");
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->language.value(), "en");
  // Only a language, for an existing subject: a change of it alone.
  line = ParseImportLine(R"({"subject":"sub_x","language":"ja"})");
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->language.value(), "ja");
  EXPECT_FALSE(ParseImportLine(R"({"language":"en"})").ok());
}

struct BadLine {
  std::string line;
  std::string message;
  friend void PrintTo(const BadLine& c, std::ostream* os) { *os << c.message; }
};

class ImportLineErrorTest : public ::testing::TestWithParam<BadLine> {};

TEST_P(ImportLineErrorTest, NamesTheFieldNotTheValue) {
  auto line = ParseImportLine(GetParam().line);
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(line.status().message()), GetParam().message);
  EXPECT_EQ(std::string(line.status().message()).find("SECRET"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ImportLineErrorTest,
    ::testing::Values(
        BadLine{R"({"phone":"SECRET")", "not valid JSON"},
        BadLine{R"(["SECRET"])", "expected a JSON object"},
        BadLine{R"({})", "a line needs an identifier or records"},
        BadLine{R"({"phnoe":"SECRET"})", "phnoe: unknown field"},
        BadLine{R"({"phone":12345})", "phone: expected a string"},
        BadLine{R"({"records":{"category":"SECRET"}})", "records: expected an array"},
        BadLine{R"({"records":["SECRET"]})", "records[0]: expected an object"},
        BadLine{R"({"records":[{"service":"s","value":"SECRET"}]})",
                "records[0].category: missing"},
        BadLine{R"({"records":[{"category":"c","service":"s"}]})", "records[0].value: missing"},
        BadLine{R"({"records":[{"category":"c","service":"s","value":1}]})",
                "records[0].value: expected a string"},
        BadLine{R"({"records":[{"category":"c","service":"s","value":"SECRET","extra":1}]})",
                "records[0].extra: unknown field"},
        BadLine{
            R"({"records":[{"category":"c","service":"s","value":"v","collected_at":"SECRET"}]})",
            "records[0].collected_at: expected an RFC 3339 time or a date"},
        BadLine{R"({"phone":"SECRET","phone":"SECRET2"})", "phone: given twice"},
        BadLine{R"({"phone":"SECRET","language":"fr"})", "language: expected ja or en"},
        BadLine{R"({"phone":"SECRET","language":1})", "language: expected a string"},
        BadLine{R"({"phone":"SECRET","language":"en","language":"ja"})", "language: given twice"},
        BadLine{R"({"records":[{"category":"c","category":"d","service":"s","value":"v"}]})",
                "records[0].category: given twice"},
        BadLine{R"({"phone":{"x":"SECRET"}})", "phone: expected a string"},
        BadLine{R"({"phone":["SECRET"]})", "phone: expected a string"},
        BadLine{R"({"records":[[]]})", "records[0]: expected an object"},
        BadLine{R"({"records":[{"category":"c","service":"s","value":"v"},"SECRET"]})",
                "records[1]: expected an object"},
        BadLine{R"({"records":[{"category":null,"service":"s","value":"SECRET"}]})",
                "records[0].category: missing"},
        BadLine{R"({"records":[{"category":"c","service":"s","value":{"v":1}}]})",
                "records[0].value: expected a string"},
        BadLine{R"("SECRET")", "expected a JSON object"},
        BadLine{R"({"phone":"SECRET"} trailing)", "not valid JSON"},
        BadLine{"", "not valid JSON"}));

TEST(ImportLineTest, NullsCountAsAbsent) {
  auto line = ParseImportLine(R"({"phone":null,"email":"e@example.jp","records":null})");
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_FALSE(line->identifiers.phone.has_value());
  EXPECT_EQ(line->identifiers.email.value(), "e@example.jp");
  EXPECT_TRUE(line->records.empty());
}

TEST(ImportLineTest, ManyRecordsInOrder) {
  std::string text = R"({"contract":"C","records":[)";
  for (int i = 0; i < 100; ++i) {
    if (i > 0) text += ",";
    text += R"({"category":"c","service":"s","value":"v)" + std::to_string(i) + R"("})";
  }
  text += "]}";
  auto line = ParseImportLine(text);
  ASSERT_TRUE(line.ok()) << line.status();
  ASSERT_EQ(line->records.size(), 100u);
  EXPECT_EQ(line->records[0].value, "v0");
  EXPECT_EQ(line->records[99].value, "v99");
}

}  // namespace
}  // namespace mamori::vault
