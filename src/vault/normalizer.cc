#include "vault/normalizer.h"

#include <fmt/format.h>
#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <cctype>

#include "absl/time/civil_time.h"
#include "common/strings.h"

namespace mamori::vault {
namespace {

using policy::IdentifierKind;

const i18n::phonenumbers::PhoneNumberUtil& PhoneUtil() {
  static const i18n::phonenumbers::PhoneNumberUtil* util = [] {
    auto* u = i18n::phonenumbers::PhoneNumberUtil::GetInstance();
    // The library's default logger can print its input; no personal value
    // may reach a log.
    u->SetLogger(new i18n::phonenumbers::NullLogger());
    return u;
  }();
  return *util;
}

bool IsUnicodeSpace(UChar32 c) { return u_isUWhiteSpace(c) != 0; }

std::string RemoveWhere(const std::string& utf8, bool (*drop)(UChar32)) {
  icu::UnicodeString s = icu::UnicodeString::fromUTF8(utf8);
  icu::UnicodeString out;
  for (int32_t i = 0; i < s.length();) {
    UChar32 c = s.char32At(i);
    if (!drop(c)) out.append(c);
    i += U16_LENGTH(c);
  }
  std::string result;
  out.toUTF8String(result);
  return result;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// NFKC_Casefold, with an error that names the identifier.
absl::StatusOr<std::string> FoldFor(IdentifierKind kind, std::string_view value) {
  absl::StatusOr<std::string> folded = NfkcCasefold(value);
  if (!folded.ok()) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", policy::IdentifierKindName(kind),
                                                  common::FromAbsl(folded.status().message())));
  }
  return folded;
}

absl::StatusOr<std::string> NormalizePhone(std::string_view value) {
  absl::StatusOr<std::string> folded = FoldFor(IdentifierKind::kPhone, value);
  if (!folded.ok()) return folded.status();
  i18n::phonenumbers::PhoneNumber number;
  auto err = PhoneUtil().Parse(*folded, kDefaultPhoneRegion, &number);
  if (err != i18n::phonenumbers::PhoneNumberUtil::NO_PARSING_ERROR ||
      !PhoneUtil().IsPossibleNumber(number)) {
    return absl::InvalidArgumentError("phone: not a possible phone number");
  }
  std::string e164;
  PhoneUtil().Format(number, i18n::phonenumbers::PhoneNumberUtil::E164, &e164);
  return e164;
}

absl::StatusOr<std::string> NormalizeEmail(std::string_view value) {
  absl::StatusOr<std::string> folded = FoldFor(IdentifierKind::kEmail, Trim(value));
  if (!folded.ok()) return folded.status();
  std::string email = Trim(*folded);
  size_t at = email.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == email.size() ||
      email.find('@', at + 1) != std::string::npos ||
      email.find_first_of(" \t\r\n") != std::string::npos) {
    return absl::InvalidArgumentError("email: not an email address");
  }
  return email;
}

absl::StatusOr<std::string> NormalizeContract(std::string_view value) {
  absl::StatusOr<std::string> folded = FoldFor(IdentifierKind::kContract, value);
  if (!folded.ok()) return folded.status();
  std::string contract =
      RemoveWhere(*folded, [](UChar32 c) { return IsUnicodeSpace(c) || c == '-'; });
  if (contract.empty()) return absl::InvalidArgumentError("contract: empty contract number");
  return contract;
}

absl::StatusOr<std::string> NormalizeName(std::string_view value) {
  absl::StatusOr<std::string> folded = FoldFor(IdentifierKind::kName, value);
  if (!folded.ok()) return folded.status();
  std::string name = RemoveWhere(*folded, [](UChar32 c) { return IsUnicodeSpace(c); });
  if (name.empty()) return absl::InvalidArgumentError("name: empty name");
  return name;
}

absl::StatusOr<std::string> NormalizeBirthDate(std::string_view value) {
  absl::StatusOr<std::string> folded = FoldFor(IdentifierKind::kBirthDate, Trim(value));
  if (!folded.ok()) return folded.status();
  int y = 0, m = 0, d = 0;
  char sep1 = 0, sep2 = 0;
  int consumed = 0;
  std::string text = Trim(*folded);
  bool parsed =
      std::sscanf(text.c_str(), "%4d%c%2d%c%2d%n", &y, &sep1, &m, &sep2, &d, &consumed) == 5 &&
      consumed == static_cast<int>(text.size()) && sep1 == sep2 &&
      (sep1 == '-' || sep1 == '/' || sep1 == '.');
  // CivilDay normalizes overflow (Feb 30 -> Mar 2), so a round trip that
  // changes the fields means the date does not exist.
  absl::CivilDay day(y, m, d);
  if (!parsed || y < 1850 || day.year() != y || day.month() != m || day.day() != d) {
    return absl::InvalidArgumentError("birth_date: expected a date such as 1990-04-01");
  }
  std::string iso = fmt::format("{:04d}-{:02d}-{:02d}", y, m, d);
  return iso;
}

}  // namespace

absl::StatusOr<std::string> NfkcCasefold(std::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status)) return absl::InternalError("ICU NFKC_Casefold is unavailable");
  icu::UnicodeString input = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  // fromUTF8 turns malformed sequences into U+FFFD; reject those inputs.
  if (input.indexOf(static_cast<UChar32>(0xFFFD)) >= 0 &&
      text.find("\xEF\xBF\xBD") == std::string_view::npos) {
    return absl::InvalidArgumentError("text is not valid UTF-8");
  }
  icu::UnicodeString normalized = nfkc_cf->normalize(input, status);
  if (U_FAILURE(status)) return absl::InvalidArgumentError("text cannot be normalized");
  std::string out;
  normalized.toUTF8String(out);
  return out;
}

absl::StatusOr<std::string> NormalizeIdentifier(IdentifierKind kind, std::string_view value) {
  switch (kind) {
    case IdentifierKind::kPhone:
      return NormalizePhone(value);
    case IdentifierKind::kEmail:
      return NormalizeEmail(value);
    case IdentifierKind::kContract:
      return NormalizeContract(value);
    case IdentifierKind::kName:
      return NormalizeName(value);
    case IdentifierKind::kBirthDate:
      return NormalizeBirthDate(value);
    case IdentifierKind::kNone:
      break;
  }
  return absl::InvalidArgumentError("this category is not an identifier");
}

}  // namespace mamori::vault
