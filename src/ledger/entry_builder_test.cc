// EntryBuilder writes the same bytes as CanonicalEntry() of the equivalent
// JSON object: every kind of member, keys in any order, strings that need
// nlohmann's escaping. Ledger::Stage/Append of a builder are in ledger_test.
#include "ledger/entry_builder.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "ledger/ledger.h"

namespace mamori::ledger {
namespace {

// Each row: a member of each kind with this text.
const std::vector<std::string>& Texts() {
  static const std::vector<std::string> texts = {
      "",
      "dpv:CustomerCare",
      "emp:tanaka",
      "quote \" and backslash \\",
      "日本語の理由",
      "tab\there, newline\nthere, bell\x07",
      "control \x01 and DEL \x7f",
      std::string("a NUL \0 inside", 14),
      "invalid UTF-8 \xff\xfe here",
      "emoji 😀 and 半角ｶﾅ",
  };
  return texts;
}

TEST(EntryBuilderTest, StringsAreWrittenAsTheReferenceDumpWritesThem) {
  for (const std::string& text : Texts()) {
    EntryBuilder entry;
    entry.Add("value", text);
    EXPECT_EQ(entry.Canonical(), CanonicalEntry(nlohmann::json{{"value", text}})) << text;
  }
}

TEST(EntryBuilderTest, ArraysOfStringsMatch) {
  const std::vector<std::string> none;
  const std::vector<std::string> one = {"pd:Name"};
  const std::vector<std::string>& all = Texts();
  for (const std::vector<std::string>* list : {&none, &one, &all}) {
    EntryBuilder entry;
    entry.Add("list", *list);
    EXPECT_EQ(entry.Canonical(), CanonicalEntry(nlohmann::json{{"list", *list}}));
  }
}

TEST(EntryBuilderTest, BooleansAndIntegersMatch) {
  for (const int64_t n : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{42}, INT64_MAX, INT64_MIN}) {
    EntryBuilder entry;
    entry.Add("n", n).Add("yes", true).Add("no", false);
    EXPECT_EQ(entry.Canonical(),
              CanonicalEntry(nlohmann::json{{"n", n}, {"yes", true}, {"no", false}}))
        << n;
  }
}

TEST(EntryBuilderTest, MembersComeOutInByteOrderOfTheirKeys) {
  // A decision entry's members, added in the engine's order.
  const std::vector<std::string> categories = {"pd:Name", "pd:TelephoneNumber"};
  const std::vector<std::string> records = {"rec_1", "rec_2"};
  EntryBuilder entry;
  entry.Add("outcome", "allow")
      .Add("reason_code", "allowed")
      .Add("rule_id", "appi.18.1")
      .Add("legal_basis", "announced_purpose")
      .Add("flagged_for_audit", false)
      .Add("kind", "decision")
      .Add("action", "read")
      .Add("actor", "emp:tanaka")
      .Add("purpose", "dpv:CustomerCare")
      .Add("categories", categories)
      .Add("ground", "none")
      .Add("subject", "sub_1")
      .Add("records", records)
      .Add("withheld_by_stop_order", int64_t{3})
      .Add("Z upper case sorts first", true)
      .Add("at", "2026-04-01T09:00:00.000000Z");
  const nlohmann::json reference = {{"outcome", "allow"},
                                    {"reason_code", "allowed"},
                                    {"rule_id", "appi.18.1"},
                                    {"legal_basis", "announced_purpose"},
                                    {"flagged_for_audit", false},
                                    {"kind", "decision"},
                                    {"action", "read"},
                                    {"actor", "emp:tanaka"},
                                    {"purpose", "dpv:CustomerCare"},
                                    {"categories", categories},
                                    {"ground", "none"},
                                    {"subject", "sub_1"},
                                    {"records", records},
                                    {"withheld_by_stop_order", 3},
                                    {"Z upper case sorts first", true},
                                    {"at", "2026-04-01T09:00:00.000000Z"}};
  EXPECT_EQ(entry.Canonical(), CanonicalEntry(reference));
  EXPECT_EQ(entry.Canonical().substr(0, 36), R"({"Z upper case sorts first":true,"ac)");
}

TEST(EntryBuilderTest, AnEmptyEntryIsAnEmptyObject) {
  EXPECT_EQ(EntryBuilder().Canonical(), "{}");
  EXPECT_EQ(EntryBuilder().Canonical(), CanonicalEntry(nlohmann::json::object()));
}

TEST(EntryBuilderTest, HasTellsWhichKeysWereAdded) {
  EntryBuilder entry;
  entry.Add("kind", "decision");
  EXPECT_TRUE(entry.Has("kind"));
  EXPECT_FALSE(entry.Has("at"));
}

TEST(EntryBuilderTest, AKeyAddedTwiceIsABug) {
  EntryBuilder entry;
  entry.Add("kind", "decision").Add("actor", "a").Add("kind", "change");
  EXPECT_THROW(entry.Canonical(), std::logic_error);
}

}  // namespace
}  // namespace mamori::ledger
