// Texts shared by the report drafts and the customer notices: causes,
// counts, dates and the "to be completed" placeholder, in Japanese or
// English. Used by this folder only.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "incident/incident.h"
#include "notice/notice.h"
#include "policy/policy.h"

namespace mamori::incident::internal {

using notice::Language;

// The text in `language`.
inline std::string_view Pick(Language language, std::string_view ja, std::string_view en) {
  return language == Language::kJa ? ja : en;
}

// What stands for a text the officer has not written yet.
inline std::string_view Placeholder(Language language) {
  return Pick(language, "（未記入）", "(to be completed)");
}

// "不正アクセス", "Unauthorized access".
std::string_view CauseText(Cause cause, Language language);

// The category's name in `language` (the Japanese one when the English one
// is empty).
std::string_view CategoryName(const policy::Category& category, Language language);

// The operator's name in `language` (the Japanese one when `name_en` is
// empty).
std::string_view OperatorName(const policy::Operator& op, Language language);

// "1,204".
std::string GroupDigits(int64_t n);

// "1,204人", "1,204 persons", "1 person".
std::string PersonsText(int64_t n, Language language);

// "2026年1月29日", "29 January 2026".
std::string DateText(absl::CivilDay day, Language language);

// "2026年1月29日 23時30分（Asia/Tokyo）", "29 January 2026, 23:30 (Asia/Tokyo)".
std::string DateTimeText(absl::Time t, absl::TimeZone zone, Language language);

// The last day before `due` in `zone`, as DateText: the day a report is
// due by the end of.
std::string DueDateText(absl::Time due, absl::TimeZone zone, Language language);

}  // namespace mamori::incident::internal
