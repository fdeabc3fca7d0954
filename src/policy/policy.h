// Policy: the operator's privacy policy compiled from its TOML file.
//
// A Policy is an immutable value: the operator, its group companies,
// services, data categories, purposes, retention rules, roles, training
// courses, trustees, recipients and joint-use declarations. Everything else
// in mamori (the vault, the decision engine) reads it; nothing writes it
// after compilation. The file format is specified in docs/policy-file.md.
//
//   absl::StatusOr<Policy> p = LoadPolicyFile("examples/telecom-operator.toml");
//   const Category* c = p->FindCategory("pd:TelephoneNumber");
//
// A compiled policy carries an index (BuildIndex) so that look-ups by id and
// Decide() cost the same with 10 purposes or 1,000. A policy built by hand
// (tests) works without one: its look-ups scan the vectors.
//
// Thread-safety: a const Policy may be shared freely between threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"

namespace mamori::policy {

// The legal class of a data category (LEGAL.md). Decides which rules apply.
enum class LegalClass {
  kOrdinary,
  kSpecialCare,           // APPI Art. 2(3): consent at acquisition, never opt-out
  kCommunicationSecrecy,  // TBA Art. 4: consent, warrant, imminent danger, business act
  kLocation,              // explicit consent, warrant, imminent danger
  kMyNumber,              // statutory purposes only
  kFinancial,             // misuse risks financial loss: any leak is reportable
};

// How values of a category are normalized before they get a blind index, so
// staff can find a customer by them without decrypting anything.
enum class IdentifierKind { kNone, kPhone, kEmail, kContract, kName, kBirthDate };

// What "erase" means for a category when its retention ends.
enum class ErasureMode {
  kDelete,      // destroy the keys, then the rows (crypto-shredding)
  kDeidentify,  // keep a de-identified remainder (communication history)
};

// The event a retention period counts from.
enum class RetentionAnchor { kCollection, kContractEnd, kLastUse };

// A calendar period as in ISO 8601 ("P6M", "P7Y", "P30D", "P1Y6M").
struct Period {
  int years = 0;
  int months = 0;
  int days = 0;
  // Rough length in days (year = 365, month = 30) for comparisons only.
  int64_t ApproximateDays() const { return years * 365LL + months * 30LL + days; }
  friend bool operator==(const Period&, const Period&) = default;
};

struct Operator {
  std::string name;
  std::string name_en;
  std::string address;
  std::string representative;
  std::string privacy_contact;
  std::string complaint_desk;
  std::string time_zone;  // IANA zone, e.g. "Asia/Tokyo"; deadlines end at day end there
  // The operator's number in the telecommunications business register (or
  // its notification number), which reports under TBA Art. 28 carry;
  // nullopt when the policy file does not give it. (The initializer lets
  // designated initializers leave it out.)
  std::optional<std::string> registration_number = std::nullopt;
};

struct GroupCompany {
  std::string id;
  std::string name;
  std::string address;
  std::string representative;
};

struct Service {
  std::string id;
  std::string name_ja;
  std::string name_en;
  std::vector<std::string> purposes;  // purpose ids announced for this service
};

struct Category {
  std::string id;  // DPV personal-data term where one exists, e.g. "pd:EmailAddress"
  std::string name_ja;
  std::string name_en;
  LegalClass legal_class = LegalClass::kOrdinary;
  IdentifierKind identifier = IdentifierKind::kNone;
  ErasureMode erasure = ErasureMode::kDelete;
};

struct Purpose {
  std::string id;  // DPV purpose where one exists, e.g. "dpv:ServiceProvision"
  std::string name_ja;
  std::string name_en;
  std::string announcement_ja;  // the announced text shown to customers
  std::string announcement_en;
  std::vector<std::string> categories;
  bool requires_consent = false;
  bool legitimate_business_act = false;  // may use communication-secrecy data
  bool statutory_my_number = false;      // a use the My Number Act allows
  std::string retention;                 // retention rule id
  // The operator declares that this version's purpose (its text, its
  // categories, or the purpose itself where a service newly announces it)
  // stays reasonably related to the former one (Art. 17(2)); once announced
  // (Art. 21(3)), records collected before may be used for it. Without the
  // declaration they keep their former purposes and the new use needs
  // consent. It speaks of the change this version makes: review it in the
  // next one.
  bool change_reasonably_related = false;
};

struct RetentionRule {
  std::string id;
  Period duration;
  RetentionAnchor anchor = RetentionAnchor::kCollection;
  std::optional<Period> minimum;
  std::optional<Period> maximum;
  // The law that obliges the operator to keep records for this period (e.g.
  // "Corporation Tax Act Art. 126"); empty when the period is the
  // operator's choice. A customer's erasure request does not erase what a
  // statutory period still keeps (LEGAL.md; docs/requests.md).
  std::string statutory = {};
};

struct Course {
  std::string id;
  std::string name;
  int valid_days = 365;
};

struct Role {
  std::string id;
  std::string name;
  std::vector<std::string> purposes;
  std::vector<std::string> categories;
  std::vector<std::string> permissions;  // requests, complaints, incidents, audit, actors, policy
  std::vector<std::string> courses;      // required course ids
  std::optional<int> bulk_access_threshold;  // subjects per day before an alert
};

struct Trustee {
  std::string id;
  std::string name;
  std::string contract;  // contract reference
  std::string country;   // ISO 3166-1 alpha-2
  std::vector<std::string> purposes;
  std::vector<std::string> categories;
  int audit_interval_days = 365;
  bool equivalent_measures = false;  // Art. 28: foreign recipient keeps equivalent measures
  // The entrustment contract's first and last day, in the operator's time
  // zone. Data goes to the trustee only while the contract is in force; the
  // first audit is due one audit interval after the start.
  std::optional<absl::CivilDay> contract_start;
  std::optional<absl::CivilDay> contract_end;  // nullopt: open-ended
};

struct Recipient {
  std::string id;
  std::string name;
  std::string country;
  std::vector<std::string> purposes;
  std::vector<std::string> categories;
  bool equivalent_measures = false;
  // Reference of the opt-out filing with the regulator (Art. 27(2)); only a
  // recipient with one may receive data by opt-out.
  std::optional<std::string> opt_out_filing;
  // A contract with the recipient stands in for the Art. 29 record, which
  // is then kept 1 year from the last provision instead of 3 years.
  bool contract_stands_in_for_record = false;
};

struct ResponsibleParty {
  std::string name;
  std::string address;
  std::string representative;
};

struct JointUse {
  std::string id;
  std::vector<std::string> items;  // category ids
  std::vector<std::string> users;  // group company ids
  std::vector<std::string> purposes;
  ResponsibleParty responsible;
  // When the latest prior notice of a change of the responsible party or the
  // purposes was given (Art. 27(6)); see CheckJointUseChange.
  std::optional<absl::CivilDay> notice_date;
};

// What public notices state that the elements above do not (Art. 32(1)):
// the fee for a request and the security measures taken. Each text comes in
// Japanese and English; empty when the policy file does not give it.
// How customer requests and complaints are handled (docs/requests.md,
// "The policy file"): the identifiers a requester must give, the days to
// answer each kind and the hours to a complaint's first response.
struct RequestSettings {
  std::vector<IdentifierKind> verification;  // required factors; none: any match
  // Days to answer, by request kind name ("disclosure", ...); a kind not
  // named takes the default of 14 (requests::ServiceLevels).
  std::map<std::string, int, std::less<>> service_level_days;
  int complaint_first_response_hours = 48;
};

struct NoticeTexts {
  std::string request_fee_ja;
  std::string request_fee_en;
  std::vector<std::string> security_measures_ja;
  std::vector<std::string> security_measures_en;
};

namespace internal {

struct PolicyIndex;  // policy/internal/policy_index.h

// Holds a Policy's index. A copy starts empty, because a copied policy is
// usually a draft to edit; a move takes the index along, because a moved
// vector keeps its elements where they were.
class PolicyIndexSlot {
 public:
  PolicyIndexSlot() noexcept;
  ~PolicyIndexSlot();
  PolicyIndexSlot(const PolicyIndexSlot&) noexcept;
  PolicyIndexSlot& operator=(const PolicyIndexSlot&) noexcept;
  PolicyIndexSlot(PolicyIndexSlot&&) noexcept;
  PolicyIndexSlot& operator=(PolicyIndexSlot&&) noexcept;

  const PolicyIndex* get() const { return index_.get(); }
  void reset(std::unique_ptr<const PolicyIndex> index) noexcept;

 private:
  std::unique_ptr<const PolicyIndex> index_;
};

}  // namespace internal

struct Policy {
  std::string name;  // a label for this policy document
  Operator operator_info;
  std::vector<GroupCompany> group_companies;
  std::vector<Service> services;
  std::vector<Category> categories;
  std::vector<Purpose> purposes;
  std::vector<RetentionRule> retention;
  std::vector<Role> roles;
  std::vector<Course> courses;
  std::vector<Trustee> trustees;
  std::vector<Recipient> recipients;
  std::vector<JointUse> joint_uses;
  NoticeTexts notice;
  RequestSettings requests;

  // Look-ups by id; nullptr when absent. With several elements of one id
  // (only a hand-built policy can have them), the first. Hash look-ups when
  // the policy has a current index, linear scans otherwise.
  const Service* FindService(std::string_view id) const;
  const Category* FindCategory(std::string_view id) const;
  const Purpose* FindPurpose(std::string_view id) const;
  const RetentionRule* FindRetention(std::string_view id) const;
  const Role* FindRole(std::string_view id) const;
  const Course* FindCourse(std::string_view id) const;
  const Trustee* FindTrustee(std::string_view id) const;
  const Recipient* FindRecipient(std::string_view id) const;
  const GroupCompany* FindGroupCompany(std::string_view id) const;

  // The purposes `service` announces that cover `category`, in the order the
  // service lists them: the collection purposes a new record of that category
  // gets. Empty when the service is unknown or does not collect the category
  // under any announced purpose.
  std::vector<std::string> CollectionPurposes(std::string_view service,
                                              std::string_view category) const;

  // Indexes the elements by id and precomputes what Decide() derives from
  // them (which purposes a service announces, the categories of each purpose,
  // the purposes and categories of each role), so that the Find* functions
  // and Decide() no longer scan. Building costs O(size of the policy) and
  // does not change any result. The policy compiler (LoadPolicyFile,
  // ParsePolicyText, CheckPolicyText) returns policies already indexed; a
  // copy starts without an index, a move keeps it.
  //
  // REQUIRES: the policy is not edited while indexed. Adding or removing
  // elements of the vectors above is detected (the look-ups then scan
  // again); changing an element in place (its id, a service's purposes, a
  // purpose's or role's lists) or assigning a vector may not be: call
  // BuildIndex() again after such an edit. Not safe against concurrent
  // readers of this Policy.
  void BuildIndex();
  // True when the policy has an index and its vectors are still those the
  // index was built over, i.e. when look-ups use it.
  bool HasCurrentIndex() const;

  // The index; use BuildIndex() and HasCurrentIndex(). A member only so
  // that Policy stays an aggregate; an empty one means "no index".
  internal::PolicyIndexSlot index_slot;
};

std::string_view LegalClassName(LegalClass c);          // "ordinary", "special_care", ...
std::string_view IdentifierKindName(IdentifierKind k);  // "none", "phone", ...
std::string_view ErasureModeName(ErasureMode m);        // "delete", "deidentify"
std::string_view RetentionAnchorName(
    RetentionAnchor a);                     // "collection", "contract_end", "last_use"
std::string FormatPeriod(const Period& p);  // "P1Y6M"

}  // namespace mamori::policy
