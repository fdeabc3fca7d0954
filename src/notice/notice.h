// Public notices: what customers of one service are told about the handling
// of their personal information, generated from a policy version in
// Japanese or English, as JSON and as a printable HTML page.
//
// A notice carries what APPI requires to be announced or available at all
// times (LEGAL.md): the operator's name, address and representative; the
// purposes of utilization as announced (Art. 21(1), 32(1)), each with the
// categories it uses and its retention period; the categories the service
// collects; every announced item of each joint use touching them (Art.
// 27(5)(iii)); that trustees are used and, for those abroad, the country and
// what Art. 28 requires; third parties data may go to; how to make requests
// and the fee (Art. 32(1)(iii)); the security measures (Art. 32(1)(iv)); and
// the complaint desk. The JSON schema is in docs/notices.md.
//
//   ASSIGN_OR_RETURN(nlohmann::json j, NoticeJson(policy, 3, "mobile", Language::kEn));
//   ASSIGN_OR_RETURN(std::string page, NoticeHtml(policy, 3, "mobile", Language::kJa));
//
// The output depends only on the arguments (no clock, no locale), so that a
// notice can be compared byte for byte with the one published before.
//
// Thread-safety: pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "policy/policy.h"

namespace mamori::notice {

enum class Language { kJa, kEn };

// "ja" or "en"; nullopt for anything else.
std::optional<Language> ParseLanguage(std::string_view code);
std::string_view LanguageCode(Language language);

// The notice of `service` under `policy`, which is policy version `version`;
// a `version` of 0 or less stands for a policy file not loaded into a data
// directory (a preview), and the notice then names no version. NotFound
// when the policy has no such service.
absl::StatusOr<nlohmann::json> NoticeJson(const policy::Policy& policy, int64_t version,
                                          std::string_view service, Language language);

// The same notice as a complete HTML5 page: `lang` set, every text escaped,
// no scripts and no external resources (the CSS is inline), readable on
// screen and in print. NotFound as NoticeJson.
absl::StatusOr<std::string> NoticeHtml(const policy::Policy& policy, int64_t version,
                                       std::string_view service, Language language);

// The categories `service` collects: those of the purposes it announces, in
// the order it lists them and each purpose lists its categories, each once.
std::vector<std::string> CollectedCategories(const policy::Policy& policy,
                                             const policy::Service& service);

// Whether the data of `service` may go into `joint_use`, so that its notice
// announces it: the joint use is for a purpose the service announces and
// shares a category the service collects (`collected`, as
// CollectedCategories gives it). Data goes to joint users only within a
// purpose the record was collected for.
bool JointUseConcerns(const policy::JointUse& joint_use, const policy::Service& service,
                      const std::vector<std::string>& collected);

// A retention period in words, as notices show it: "6 months from
// collection", "1年（契約終了から）".
std::string RetentionInWords(const policy::RetentionRule& rule, Language language);

// `text` with & < > " ' replaced by character references, safe in HTML text
// and in quoted attribute values.
std::string EscapeHtml(std::string_view text);

}  // namespace mamori::notice
