#include "engine/json_views.h"

#include "common/time_format.h"

namespace mamori::engine {

using nlohmann::json;

json DecisionJson(const policy::Decision& d, uint64_t ledger_entry) {
  absl::StatusOr<std::string> explanation = policy::ExplainRule(d.rule_id);
  return {{"outcome", policy::OutcomeName(d.outcome)},
          {"reason_code", d.reason_code},
          {"rule_id", d.rule_id},
          {"legal_basis", d.legal_basis},
          {"flagged_for_audit", d.flagged_for_audit},
          {"explanation", explanation.ok() ? *explanation : ""},
          {"ledger_entry", ledger_entry}};
}

json ConsentJson(const store::ConsentRow& c) {
  return {
      {"consent", c.id},
      {"subject", c.subject_id},
      {"purpose", c.purpose},
      {"recipient", c.recipient ? json(*c.recipient) : json()},
      {"given_at", common::FormatTimestamp(c.given_at)},
      {"channel", c.channel},
      {"explicit_for_location", c.explicit_for_location},
      {"cross_border_informed", c.cross_border_informed},
      {"policy_version", c.policy_version},
      {"recorded_by", c.recorded_by},
      {"withdrawn_at", c.withdrawn_at ? json(common::FormatTimestamp(*c.withdrawn_at)) : json()},
      {"withdrawal_channel", c.withdrawal_channel}};
}

json StopOrderJson(const store::StopOrderRow& o) {
  return {{"stop_order", o.id},
          {"subject", o.subject_id},
          {"kind", o.kind},
          {"purpose", o.purpose ? json(*o.purpose) : json()},
          {"recipient", o.recipient ? json(*o.recipient) : json()},
          {"request", o.request_id.empty() ? json() : json(o.request_id)},
          {"created_at", common::FormatTimestamp(o.created_at)}};
}

json HoldJson(const store::LegalHoldRow& h) {
  return {{"hold", h.id},
          {"subject", h.subject_id},
          {"category", h.category ? json(*h.category) : json()},
          {"basis", h.basis},
          {"until", common::FormatTimestamp(h.until)},
          {"created_at", common::FormatTimestamp(h.created_at)},
          {"created_by", h.created_by},
          {"released_at", h.released_at ? json(common::FormatTimestamp(*h.released_at)) : json()}};
}

json ContractEndJson(const store::ContractEndRow& e) {
  return {{"subject", e.subject_id},
          {"service", e.service.empty() ? json() : json(e.service)},
          {"ended_at", common::FormatTimestamp(e.ended_at)},
          {"recorded_at", common::FormatTimestamp(e.recorded_at)}};
}

json SweepSummaryJson(const SweepSummary& s) {
  return {{"erased", s.erased},
          {"deidentified", s.deidentified},
          {"held", s.held},
          {"dry_run", s.dry_run},
          {"as_of", common::FormatTimestamp(s.as_of)},
          {"scanned", s.scanned},
          {"keys_destroyed", s.keys_destroyed},
          {"subjects_erased", s.subjects_erased}};
}

}  // namespace mamori::engine
