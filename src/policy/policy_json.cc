#include "policy/policy_json.h"

#include <string>

namespace mamori::policy {
namespace {

using nlohmann::json;

json PeriodOrNull(const std::optional<Period>& p) {
  return p ? json(FormatPeriod(*p)) : json(nullptr);
}

// "2025-04-01", or null.
json DateOrNull(const std::optional<absl::CivilDay>& d) {
  return d ? json(absl::FormatCivilTime(*d)) : json(nullptr);
}

json ToJson(const Operator& o) {
  return {{"name", o.name},
          {"name_en", o.name_en},
          {"address", o.address},
          {"representative", o.representative},
          {"privacy_contact", o.privacy_contact},
          {"complaint_desk", o.complaint_desk},
          {"time_zone", o.time_zone},
          {"registration_number",
           o.registration_number ? json(*o.registration_number) : json(nullptr)}};
}

json ToJson(const GroupCompany& g) {
  return {
      {"id", g.id}, {"name", g.name}, {"address", g.address}, {"representative", g.representative}};
}

json ToJson(const Service& s) {
  return {{"id", s.id}, {"name_ja", s.name_ja}, {"name_en", s.name_en}, {"purposes", s.purposes}};
}

json ToJson(const Category& c) {
  return {{"id", c.id},
          {"name_ja", c.name_ja},
          {"name_en", c.name_en},
          {"legal_class", LegalClassName(c.legal_class)},
          {"identifier", IdentifierKindName(c.identifier)},
          {"erasure", ErasureModeName(c.erasure)}};
}

json ToJson(const Purpose& p) {
  return {{"id", p.id},
          {"name_ja", p.name_ja},
          {"name_en", p.name_en},
          {"announcement_ja", p.announcement_ja},
          {"announcement_en", p.announcement_en},
          {"categories", p.categories},
          {"requires_consent", p.requires_consent},
          {"legitimate_business_act", p.legitimate_business_act},
          {"statutory_my_number", p.statutory_my_number},
          {"retention", p.retention},
          {"change_reasonably_related", p.change_reasonably_related}};
}

json ToJson(const RetentionRule& r) {
  return {{"id", r.id},
          {"duration", FormatPeriod(r.duration)},
          {"anchor", RetentionAnchorName(r.anchor)},
          {"minimum", PeriodOrNull(r.minimum)},
          {"maximum", PeriodOrNull(r.maximum)},
          {"statutory", r.statutory.empty() ? json() : json(r.statutory)}};
}

json ToJson(const Role& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"purposes", r.purposes},
          {"categories", r.categories},
          {"permissions", r.permissions},
          {"courses", r.courses},
          {"bulk_access_threshold",
           r.bulk_access_threshold ? json(*r.bulk_access_threshold) : json(nullptr)}};
}

json ToJson(const Course& c) {
  return {{"id", c.id}, {"name", c.name}, {"valid_days", c.valid_days}};
}

json ToJson(const Trustee& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"contract", t.contract},
          {"country", t.country},
          {"purposes", t.purposes},
          {"categories", t.categories},
          {"audit_interval_days", t.audit_interval_days},
          {"equivalent_measures", t.equivalent_measures},
          {"contract_start", DateOrNull(t.contract_start)},
          {"contract_end", DateOrNull(t.contract_end)}};
}

json ToJson(const Recipient& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"country", r.country},
          {"purposes", r.purposes},
          {"categories", r.categories},
          {"equivalent_measures", r.equivalent_measures},
          {"opt_out_filing", r.opt_out_filing ? json(*r.opt_out_filing) : json(nullptr)},
          {"contract_stands_in_for_record", r.contract_stands_in_for_record}};
}

json ToJson(const JointUse& j) {
  return {{"id", j.id},
          {"items", j.items},
          {"users", j.users},
          {"purposes", j.purposes},
          {"responsible",
           {{"name", j.responsible.name},
            {"address", j.responsible.address},
            {"representative", j.responsible.representative}}},
          {"notice_date", DateOrNull(j.notice_date)}};
}

json ToJson(const NoticeTexts& n) {
  return {{"request_fee_ja", n.request_fee_ja},
          {"request_fee_en", n.request_fee_en},
          {"security_measures_ja", n.security_measures_ja},
          {"security_measures_en", n.security_measures_en}};
}

json ToJson(const RequestSettings& r) {
  json factors = json::array();
  for (IdentifierKind kind : r.verification) factors.push_back(IdentifierKindName(kind));
  json days = json::object();
  for (const auto& [kind, n] : r.service_level_days) days[kind] = n;
  return {{"verification", factors},
          {"service_level_days", days},
          {"complaint_first_response_hours", r.complaint_first_response_hours}};
}

template <typename T>
json ListToJson(const std::vector<T>& items) {
  json list = json::array();
  for (const T& item : items) list.push_back(ToJson(item));
  return list;
}

}  // namespace

nlohmann::json PolicyToJson(const Policy& policy) {
  return {{"name", policy.name},
          {"operator", ToJson(policy.operator_info)},
          {"group_companies", ListToJson(policy.group_companies)},
          {"services", ListToJson(policy.services)},
          {"categories", ListToJson(policy.categories)},
          {"purposes", ListToJson(policy.purposes)},
          {"retention", ListToJson(policy.retention)},
          {"roles", ListToJson(policy.roles)},
          {"courses", ListToJson(policy.courses)},
          {"trustees", ListToJson(policy.trustees)},
          {"recipients", ListToJson(policy.recipients)},
          {"joint_uses", ListToJson(policy.joint_uses)},
          {"notice", ToJson(policy.notice)},
          {"requests", ToJson(policy.requests)}};
}

}  // namespace mamori::policy
