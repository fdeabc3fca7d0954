#include "engine/consent_receipt.h"

#include "common/time_format.h"
#include "ledger/ledger.h"

namespace mamori::engine {

nlohmann::json ConsentReceipt(const policy::Policy& policy, const store::ConsentRow& row,
                              std::optional<std::string_view> evidence) {
  using nlohmann::json;
  const policy::Purpose* purpose = policy.FindPurpose(row.purpose);
  const policy::Recipient* recipient =
      row.recipient ? policy.FindRecipient(*row.recipient) : nullptr;

  json categories = json::array();
  bool sensitive = false;
  json special_categories = json::array();
  if (purpose != nullptr) {
    for (const std::string& id : purpose->categories) {
      categories.push_back(id);
      const policy::Category* c = policy.FindCategory(id);
      if (c != nullptr && c->legal_class != policy::LegalClass::kOrdinary) {
        sensitive = true;
        special_categories.push_back(
            {{"category", id}, {"legal_class", policy::LegalClassName(c->legal_class)}});
      }
    }
  }
  json purpose_json = {
      {"purpose", purpose != nullptr ? purpose->announcement_en : row.purpose},
      {"purposeId", row.purpose},
      {"purposeCategory", json::array({row.purpose})},
      {"consentType", row.explicit_for_location ? "EXPRESSED" : "EXPLICIT"},
      {"piiCategory", categories},
      {"primaryPurpose", purpose != nullptr && !purpose->requires_consent},
      {"termination", "until withdrawn; withdraw at the privacy contact"},
      {"thirdPartyDisclosure", row.recipient.has_value()},
  };
  if (recipient != nullptr) {
    purpose_json["thirdPartyName"] = recipient->name;
    purpose_json["thirdPartyCountry"] = recipient->country;
  }

  const std::string state = row.withdrawn_at ? "withdrawn" : "given";
  json events = json::array({{{"event", "given"},
                              {"time", common::FormatTimestamp(row.given_at)},
                              {"channel", row.channel}}});
  if (row.withdrawn_at) {
    events.push_back({{"event", "withdrawn"},
                      {"time", common::FormatTimestamp(*row.withdrawn_at)},
                      {"channel", row.withdrawal_channel}});
  }

  json receipt = {
      // Kantara Consent Receipt v1.1 fields.
      {"version", "KI-CR-v1.1.0"},
      {"jurisdiction", "JP"},
      {"consentTimestamp", absl::ToUnixSeconds(row.given_at)},
      {"collectionMethod", row.channel},
      {"consentReceiptID", row.id},
      {"language", "ja"},
      {"piiPrincipalId", row.subject_id},
      {"piiControllers", json::array({{{"piiController", policy.operator_info.name},
                                       {"piiControllerEn", policy.operator_info.name_en},
                                       {"contact", policy.operator_info.privacy_contact},
                                       {"address", policy.operator_info.address},
                                       {"onBehalf", false}}})},
      {"policyUrl", policy.operator_info.privacy_contact},
      {"services", json::array({{{"service", policy.operator_info.name_en},
                                 {"purposes", json::array({purpose_json})}}})},
      {"sensitive", sensitive},
      {"spiCat", special_categories},
      // ISO/IEC TS 27560 consent-record fields that CR 1.1 lacks.
      {"schema", "ISO/IEC TS 27560:2023 consent record (Kantara CR 1.1 fields)"},
      {"state", state},
      {"events", events},
      {"noticeVersion", row.policy_version},
      {"explicitForLocation", row.explicit_for_location},
      {"crossBorderInformed", row.cross_border_informed},
      {"recordedBy", row.recorded_by},
  };
  const std::string_view text = evidence.value_or(row.evidence);
  if (!text.empty()) receipt["evidenceSha256"] = ledger::Sha256Hex(text);
  return receipt;
}

}  // namespace mamori::engine
