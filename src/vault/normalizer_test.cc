#include "vault/normalizer.h"

#include <gtest/gtest.h>

namespace mamori::vault {
namespace {

using policy::IdentifierKind;

struct Case {
  IdentifierKind kind;
  std::string input;
  std::string expected;
  friend void PrintTo(const Case& c, std::ostream* os) { *os << c.input; }
};

class NormalizerTest : public ::testing::TestWithParam<Case> {};

TEST_P(NormalizerTest, Normalizes) {
  const Case& c = GetParam();
  absl::StatusOr<std::string> got = NormalizeIdentifier(c.kind, c.input);
  ASSERT_TRUE(got.ok()) << c.input << ": " << got.status();
  EXPECT_EQ(*got, c.expected) << c.input;
}

INSTANTIATE_TEST_SUITE_P(
    Phones, NormalizerTest,
    ::testing::Values(
        // Japanese mobile numbers as people write them.
        Case{IdentifierKind::kPhone, "090-1234-5678", "+819012345678"},
        Case{IdentifierKind::kPhone, "09012345678", "+819012345678"},
        Case{IdentifierKind::kPhone, "+81 90 1234 5678", "+819012345678"},
        Case{IdentifierKind::kPhone, "+81-90-1234-5678", "+819012345678"},
        Case{IdentifierKind::kPhone, "(090) 1234-5678", "+819012345678"},
        Case{IdentifierKind::kPhone, "０９０－１２３４－５６７８", "+819012345678"},
        Case{IdentifierKind::kPhone, "０９０ー１２３４ー５６７８", "+819012345678"},
        Case{IdentifierKind::kPhone, "+８１ ９０ １２３４ ５６７８", "+819012345678"},
        Case{IdentifierKind::kPhone, "080 9876 5432", "+818098765432"},
        Case{IdentifierKind::kPhone, "070-1111-2222", "+817011112222"},
        // Fixed lines: Tokyo 03, Osaka 06, and free dial.
        Case{IdentifierKind::kPhone, "03-1234-5678", "+81312345678"},
        Case{IdentifierKind::kPhone, "06-6123-4567", "+81661234567"},
        Case{IdentifierKind::kPhone, "0120-123-456", "+81120123456"},
        // A foreign number keeps its own country code.
        Case{IdentifierKind::kPhone, "+1 650-253-0000", "+16502530000"}));

INSTANTIATE_TEST_SUITE_P(
    Names, NormalizerTest,
    ::testing::Values(
        Case{IdentifierKind::kName, "山田 太郎", "山田太郎"},
        Case{IdentifierKind::kName, "山田　太郎", "山田太郎"},  // ideographic space
        Case{IdentifierKind::kName, "ヤマダ タロウ", "ヤマダタロウ"},
        Case{IdentifierKind::kName, "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロウ"},             // half-width katakana
        Case{IdentifierKind::kName, "ＹＡＭＡＤＡ Ｔａｒｏ", "yamadataro"},  // full-width Latin
        Case{IdentifierKind::kName, "YAMADA Taro", "yamadataro"},
        Case{IdentifierKind::kName, "  yamada   taro ", "yamadataro"},
        Case{IdentifierKind::kName, "Müller", "müller"},
        Case{IdentifierKind::kName, "STRASSE", "strasse"},
        Case{IdentifierKind::kName, "Straße", "strasse"}));

INSTANTIATE_TEST_SUITE_P(
    Others, NormalizerTest,
    ::testing::Values(
        Case{IdentifierKind::kEmail, "Taro.Yamada@Example.JP", "taro.yamada@example.jp"},
        Case{IdentifierKind::kEmail, " taro@example.jp ", "taro@example.jp"},
        Case{IdentifierKind::kEmail, "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "taro@example.jp"},
        Case{IdentifierKind::kContract, "MT-0012-3456", "mt00123456"},
        Case{IdentifierKind::kContract, "ＭＴ－００１２－３４５６", "mt00123456"},
        Case{IdentifierKind::kContract, "mt 0012 3456", "mt00123456"},
        Case{IdentifierKind::kBirthDate, "1990-04-01", "1990-04-01"},
        Case{IdentifierKind::kBirthDate, "1990/4/1", "1990-04-01"},
        Case{IdentifierKind::kBirthDate, "１９９０－０４－０１", "1990-04-01"},
        Case{IdentifierKind::kBirthDate, "2000-02-29", "2000-02-29"}));

struct BadCase {
  IdentifierKind kind;
  std::string input;
  std::string message;
  friend void PrintTo(const BadCase& c, std::ostream* os) { *os << c.message; }
};

class NormalizerErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(NormalizerErrorTest, RejectsWithoutEchoingTheValue) {
  const BadCase& c = GetParam();
  absl::StatusOr<std::string> got = NormalizeIdentifier(c.kind, c.input);
  ASSERT_FALSE(got.ok()) << c.input;
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(got.status().message()), c.message);
  if (c.input.size() > 3) {
    EXPECT_EQ(std::string(got.status().message()).find(c.input), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Bad, NormalizerErrorTest,
    ::testing::Values(
        BadCase{IdentifierKind::kPhone, "hello", "phone: not a possible phone number"},
        BadCase{IdentifierKind::kPhone, "12", "phone: not a possible phone number"},
        BadCase{IdentifierKind::kPhone, "", "phone: not a possible phone number"},
        BadCase{IdentifierKind::kEmail, "taro.example.jp", "email: not an email address"},
        BadCase{IdentifierKind::kEmail, "a@b@c", "email: not an email address"},
        BadCase{IdentifierKind::kEmail, "@example.jp", "email: not an email address"},
        BadCase{IdentifierKind::kContract, " - ", "contract: empty contract number"},
        BadCase{IdentifierKind::kName, "　", "name: empty name"},
        BadCase{IdentifierKind::kBirthDate, "1990-02-30",
                "birth_date: expected a date such as 1990-04-01"},
        BadCase{IdentifierKind::kBirthDate, "2001-02-29",
                "birth_date: expected a date such as 1990-04-01"},
        BadCase{IdentifierKind::kBirthDate, "April 1st",
                "birth_date: expected a date such as 1990-04-01"},
        BadCase{IdentifierKind::kBirthDate, "1990-04-01x",
                "birth_date: expected a date such as 1990-04-01"},
        BadCase{IdentifierKind::kName, std::string("\xff\xfe", 2), "name: text is not valid UTF-8"},
        BadCase{IdentifierKind::kPhone, std::string("09\xc3", 3),
                "phone: text is not valid UTF-8"}));

TEST(NfkcCasefoldTest, FoldsWidthAndCase) {
  EXPECT_EQ(NfkcCasefold("ＡＢＣ").value(), "abc");
  EXPECT_EQ(NfkcCasefold("ｶﾞ").value(), "ガ");
  EXPECT_EQ(NfkcCasefold("㈱").value(), "(株)");
}

}  // namespace
}  // namespace mamori::vault
