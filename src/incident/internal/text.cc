#include "incident/internal/text.h"

#include <fmt/format.h>

namespace mamori::incident::internal {

std::string_view CauseText(Cause cause, Language language) {
  switch (cause) {
    case Cause::kUnauthorizedAccess:
      return Pick(language, "不正アクセス", "Unauthorized access");
    case Cause::kInsider:
      return Pick(language, "従業者等による不正な持出し", "Wrongful taking by an insider");
    case Cause::kMisdelivery:
      return Pick(language, "誤送付・誤送信", "Misdelivery (sent to the wrong recipient)");
    case Cause::kLoss:
      return Pick(language, "紛失・盗難", "Loss or theft of a device or documents");
    case Cause::kVulnerability:
      return Pick(language, "システムの脆弱性又は設定の不備",
                  "A vulnerability or misconfiguration of a system");
    case Cause::kOther:
      return Pick(language, "その他", "Other");
  }
  return Pick(language, "その他", "Other");
}

std::string_view CategoryName(const policy::Category& category, Language language) {
  if (language == Language::kEn && !category.name_en.empty()) return category.name_en;
  return category.name_ja;
}

std::string_view OperatorName(const policy::Operator& op, Language language) {
  if (language == Language::kEn && !op.name_en.empty()) return op.name_en;
  return op.name;
}

std::string GroupDigits(int64_t n) {
  const std::string digits = fmt::format("{}", n);
  if (n < 0) return digits;  // counts are never negative
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string PersonsText(int64_t n, Language language) {
  if (language == Language::kJa) return GroupDigits(n) + "人";
  return GroupDigits(n) + (n == 1 ? " person" : " persons");
}

std::string DateText(absl::CivilDay day, Language language) {
  if (language == Language::kJa) {
    return fmt::format("{}年{}月{}日", day.year(), day.month(), day.day());
  }
  static constexpr std::string_view kMonths[] = {"January",   "February", "March",    "April",
                                                 "May",       "June",     "July",     "August",
                                                 "September", "October",  "November", "December"};
  return fmt::format("{} {} {}", day.day(), kMonths[day.month() - 1], day.year());
}

std::string DateTimeText(absl::Time t, absl::TimeZone zone, Language language) {
  const absl::CivilMinute m = absl::ToCivilMinute(t, zone);
  const std::string date = DateText(absl::CivilDay(m), language);
  if (language == Language::kJa) {
    return fmt::format("{} {}時{:02}分（{}）", date, m.hour(), m.minute(), zone.name());
  }
  return fmt::format("{}, {:02}:{:02} ({})", date, m.hour(), m.minute(), zone.name());
}

std::string DueDateText(absl::Time due, absl::TimeZone zone, Language language) {
  return DateText(absl::ToCivilDay(due - absl::Nanoseconds(1), zone), language);
}

}  // namespace mamori::incident::internal
