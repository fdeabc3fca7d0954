// Helpers shared by the incident tests: the golden files and the example
// incident the snapshots show.
//
// Snapshot tests compare drafts and customer notices byte for byte with the
// golden files in src/incident/testdata/. After an intended change of the
// texts or of the example policy, regenerate the goldens, review their
// diff, and commit them:
//
//   MAMORI_UPDATE_GOLDENS=1 ctest --test-dir build -R 'Snapshot'
//
// (or run build/src/incident/incident_test with MAMORI_UPDATE_GOLDENS=1).
// With the variable set, the snapshot tests write the goldens instead of
// comparing, and pass.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "incident/incident.h"
#include "notice/notice.h"
#include "policy/policy_test_util.h"

namespace mamori::incident::testing {

inline bool UpdateGoldens() {
  const char* v = std::getenv("MAMORI_UPDATE_GOLDENS");
  return v != nullptr && *v != '\0' && std::string_view(v) != "0";
}

inline std::string TestdataPath(const std::string& name) {
  return policy::testing::SourceDir() + "/src/incident/testdata/" + name;
}

// Compares `actual` with the golden file `name`, or writes it when
// MAMORI_UPDATE_GOLDENS is set.
inline void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = TestdataPath(name);
  if (UpdateGoldens()) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << actual;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << path << " is missing; run with MAMORI_UPDATE_GOLDENS=1 to create it";
  const std::string expected(std::istreambuf_iterator<char>(in), {});
  EXPECT_EQ(actual, expected) << "the output differs from " << path
                              << "; if the change is intended, run with MAMORI_UPDATE_GOLDENS=1 "
                                 "and review the diff";
}

// A time in Tokyo.
inline absl::Time TokyoTime(int y, int m, int d, int hh = 0, int mm = 0) {
  absl::TimeZone tokyo;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Tokyo", &tokyo));
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), tokyo);
}

// The example incident: unauthorized access to the customer database,
// found late on 29 January 2026 (Tokyo), 1,204 persons, call records of
// 312 of them and card numbers of 87, encrypted with keys that stayed. It
// needs every report. The officer's description is in `language`.
inline IncidentFacts ExampleFacts(notice::Language language) {
  IncidentFacts facts;
  facts.id = "inc_AZQfRq3xK9mB7cD1eF2gHw";
  facts.discovered_at = TokyoTime(2026, 1, 29, 23, 30);
  facts.occurred_at = TokyoTime(2026, 1, 20, 3, 12);
  facts.cause = Cause::kUnauthorizedAccess;
  facts.description =
      language == notice::Language::kJa
          ? "外部の攻撃者が顧客管理システムの保守用アカウントを不正に利用し、顧客データベースの"
            "一部を外部へ送信しました。"
          : "An outside attacker used a maintenance account of the customer management system "
            "without authorization and sent part of the customer database outside.";
  facts.affected.subjects = 1204;
  facts.affected.categories = {
      {.id = "pd:Name", .subjects = 1204},
      {.id = "pd:TelephoneNumber", .subjects = 1204},
      {.id = "pd:CallLog", .subjects = 312},
      {.id = "pd:PaymentCardNumber", .subjects = 87, .encrypted_without_keys = true}};
  facts.affected.subjects_outside_exemption = 1204;
  return facts;
}

// What the officer has written so far: publication and recurrence
// prevention are still to be completed.
inline IncidentNarrative ExampleNarrative(notice::Language language) {
  IncidentNarrative n;
  if (language == notice::Language::kJa) {
    n.secondary_damage =
        "現時点で二次被害は確認されていません。なりすましの電話やSMSによる詐欺のおそれがあります。";
    n.response_to_persons = "対象となるご本人に、書面又は電子メールで順次通知しています。";
    n.other = "所轄の警察署に相談しています。";
  } else {
    n.secondary_damage =
        "No secondary damage has been found so far. There is a risk of fraud by calls or text "
        "messages from people pretending to be us.";
    n.response_to_persons = "We are notifying each affected person by letter or email.";
    n.other = "We have consulted the local police.";
  }
  return n;
}

}  // namespace mamori::incident::testing
