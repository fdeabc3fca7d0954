#include "engine/json_views.h"

#include <map>

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
          {"subjects_erased", s.subjects_erased},
          {"provision_records_erased", s.provision_records_erased}};
}

// --- Provision ---

namespace {

json OptionalTime(const std::optional<absl::Time>& t) {
  return t ? json(common::FormatTimestamp(*t)) : json();
}

json OptionalDay(const std::optional<absl::CivilDay>& day) {
  return day ? json(absl::FormatCivilTime(*day)) : json();
}

}  // namespace

json SubjectProvisionJson(const SubjectProvision& p) {
  return {{"subject", p.subject},
          {"decision", DecisionJson(p.decision.decision, p.entry)},
          {"recipient_kind", policy::RecipientKindName(p.decision.recipient_kind)},
          {"cross_border", p.decision.cross_border},
          {"record", p.record ? json(p.record->id) : json()},
          {"record_keep_until",
           p.record ? json(common::FormatTimestamp(p.record->keep_until)) : json()}};
}

json ProvideResultJson(const ProvideRequest& request, const ProvideResult& result) {
  json decisions = json::array();
  for (const SubjectProvision& p : result.subjects) decisions.push_back(SubjectProvisionJson(p));
  const bool provided = !result.payload.is_null();
  return {{"recipient", request.recipient},
          {"purpose", request.purpose},
          {"provided_at", common::FormatTimestamp(result.provided_at)},
          {"decisions", std::move(decisions)},
          {"payload", result.payload},
          {"payload_entry", provided ? json(result.payload_entry) : json()}};
}

json ProvisionRecordJson(const store::ProvisionRecordRow& r) {
  return {{"record", r.id},
          {"recipient", r.recipient},
          {"subject", r.subject_id},
          {"categories", r.categories},
          {"purpose", r.purpose},
          {"legal_basis", r.legal_basis},
          {"consent", r.consent_id ? json(*r.consent_id) : json()},
          {"provided_at", common::FormatTimestamp(r.provided_at)},
          {"provided_by", r.provided_by},
          {"keep_until", common::FormatTimestamp(r.keep_until)},
          {"kept_from_last_provision", r.kept_from_last_provision},
          {"ledger_entry", r.ledger_entry}};
}

json ReceiptJson(const store::ReceiptRow& r) {
  return {{"receipt", r.id},
          {"provider",
           {{"name", r.provider_name},
            {"address", r.provider_address},
            {"representative", r.provider_representative}}},
          {"how_obtained", r.how_obtained},
          {"by_opt_out", r.by_opt_out},
          {"subject", r.subject_id ? json(*r.subject_id) : json()},
          {"categories", r.categories},
          {"received_at", common::FormatTimestamp(r.received_at)},
          {"recorded_at", common::FormatTimestamp(r.recorded_at)},
          {"recorded_by", r.recorded_by},
          {"keep_until", common::FormatTimestamp(r.keep_until)}};
}

json ProvisionRecordsJson(const ProvisionRecords& records, bool by_subject) {
  json out = {{"records", json::array()}};
  for (const store::ProvisionRecordRow& r : records.records) {
    out["records"].push_back(ProvisionRecordJson(r));
  }
  if (by_subject) {
    out["receipts"] = json::array();
    for (const store::ReceiptRow& r : records.receipts) out["receipts"].push_back(ReceiptJson(r));
  }
  return out;
}

json TrusteeAuditJson(const store::TrusteeAuditRow& a) {
  return {{"audit", a.id},
          {"trustee", a.trustee_id},
          {"audited_at", common::FormatTimestamp(a.audited_at)},
          {"result", a.result},
          {"next_due", common::FormatTimestamp(a.next_due)},
          {"recorded_at", common::FormatTimestamp(a.recorded_at)},
          {"recorded_by", a.recorded_by}};
}

json ReentrustmentJson(const store::ReentrustmentRow& r) {
  return {{"approval", r.id},
          {"trustee", r.trustee_id},
          {"subcontractor", r.subcontractor},
          {"scope", r.scope},
          {"approved_at", common::FormatTimestamp(r.approved_at)},
          {"approved_by", r.approved_by}};
}

json TrusteeStatusJson(const TrusteeStatus& s) {
  const policy::Trustee& t = s.trustee;
  json subcontractors = json::array();
  for (const store::ReentrustmentRow& r : s.subcontractors) {
    subcontractors.push_back(ReentrustmentJson(r));
  }
  return {{"trustee", t.id},
          {"name", t.name},
          {"country", t.country},
          {"contract", t.contract},
          {"contract_start", OptionalDay(t.contract_start)},
          {"contract_end", OptionalDay(t.contract_end)},
          {"contract_in_force", s.contract_in_force},
          {"purposes", t.purposes},
          {"categories", t.categories},
          {"audit_interval_days", t.audit_interval_days},
          {"equivalent_measures", t.equivalent_measures},
          {"last_audit", s.last_audit ? TrusteeAuditJson(*s.last_audit) : json()},
          {"next_due", OptionalTime(s.next_due)},
          {"overdue", s.overdue},
          {"subcontractors", std::move(subcontractors)}};
}

json IncidentJson(const IncidentView& view, absl::Time now) {
  const store::IncidentRow& row = view.row;
  auto time_or_null = [](const std::optional<absl::Time>& t) {
    return t ? json(common::FormatTimestamp(*t)) : json(nullptr);
  };
  json categories = json::array();
  for (const incident::AffectedCategory& c : view.facts.affected.categories) {
    categories.push_back({{"id", c.id},
                          {"subjects", c.subjects},
                          {"encrypted_without_keys", c.encrypted_without_keys}});
  }
  json reports = json::array();
  for (const incident::Report& r : view.reports) {
    json report = incident::ReportToJson(r);
    report["overdue"] = incident::IsOverdue(r, now);
    for (const store::IncidentReportRow& s : view.submitted) {
      if (s.kind == report["kind"]) report["reference"] = s.reference;
    }
    reports.push_back(std::move(report));
  }
  json reportability = incident::ReportabilityToJson(view.reportability);
  return {{"incident", row.id},
          {"status", row.status},
          {"opened_at", common::FormatTimestamp(row.opened_at)},
          {"opened_by", row.opened_by},
          {"discovered_at", common::FormatTimestamp(row.discovered_at)},
          {"occurred_at", time_or_null(row.occurred_at)},
          {"cause", row.cause},
          {"suspected", row.suspected},
          {"description", row.description},
          {"scope", IncidentScopeToJson(view.scope)},
          {"affected", view.facts.affected.subjects},
          {"categories", std::move(categories)},
          {"reportable", view.reportability.reportable},
          {"reasons", reportability["reasons"]},
          {"persons", view.reportability.persons},
          {"exempt_categories", view.reportability.exempt_categories},
          {"reports", std::move(reports)},
          {"narrative", NarrativeToJson(view.narrative)},
          {"updated_at", common::FormatTimestamp(row.updated_at)},
          {"closed_at", time_or_null(row.closed_at)}};
}

json IncidentSubjectsJson(const std::string& incident,
                          const std::vector<store::IncidentSubjectRow>& rows) {
  json subjects = json::array();
  for (const store::IncidentSubjectRow& r : rows) {
    subjects.push_back({{"subject", r.subject_id},
                        {"categories", r.categories},
                        {"encrypted_without_keys", r.encrypted_without_keys}});
  }
  return {{"incident", incident}, {"subjects", std::move(subjects)}};
}

json ActorActivityJson(const ActorActivity& a) {
  // Allowed and denied counts side by side, by key.
  auto by_outcome = [](const std::vector<store::UseCount>& counts, const char* name) {
    std::map<std::string, std::pair<int64_t, int64_t>> merged;
    for (const store::UseCount& c : counts) {
      (c.key2 == "allow" ? merged[c.key].first : merged[c.key].second) += c.count;
    }
    json out = json::array();
    for (const auto& [key, n] : merged) {
      out.push_back({{name, key}, {"allowed", n.first}, {"denied", n.second}});
    }
    return out;
  };
  json categories = json::array();
  for (const store::UseCount& c : a.by_category) {
    categories.push_back({{"category", c.key}, {"uses", c.count}});
  }
  json denials = json::array();
  for (const store::UseCount& c : a.denials) {
    denials.push_back({{"reason_code", c.key}, {"count", c.count}});
  }
  return {{"actor", a.actor},
          {"from", common::FormatTimestamp(a.from)},
          {"to", common::FormatTimestamp(a.to)},
          {"decisions", a.decisions},
          {"allowed", a.allowed},
          {"denied", a.denied},
          {"subjects_touched", a.subjects_touched},
          {"by_purpose", by_outcome(a.by_purpose, "purpose")},
          {"by_action", by_outcome(a.by_action, "action")},
          {"by_category", std::move(categories)},
          {"denials", std::move(denials)}};
}

json NoticeBatchJson(const NoticeBatch& batch) {
  json notices = json::array();
  for (const CustomerNotice& n : batch.notices) {
    notices.push_back({{"subject", n.subject},
                       {"channel", n.channel},
                       {"to", n.to},
                       {"names", n.names},
                       {"categories", n.categories},
                       {"language", notice::LanguageCode(n.language)},
                       {"text", n.text},
                       {"entry", n.entry}});
  }
  return {{"incident", batch.incident},
          {"language", notice::LanguageCode(batch.language)},
          {"notices", std::move(notices)},
          {"without_contact", batch.without_contact},
          {"denied", batch.denied},
          {"by_language", {{"ja", batch.in_japanese}, {"en", batch.in_english}}}};
}

}  // namespace mamori::engine
