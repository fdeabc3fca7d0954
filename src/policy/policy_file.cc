#include "policy/policy_file.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/strings.h"
#include "common/time_format.h"

namespace mamori::policy {
namespace {

using common::ToAbsl;

// A 1-based position in the policy file.
struct Pos {
  int line = 1;
  int column = 1;
};

Pos PosOf(const toml::source_region& region) {
  Pos pos;
  if (region.begin.line > 0) {
    pos.line = static_cast<int>(region.begin.line);
    pos.column = static_cast<int>(region.begin.column);
  }
  return pos;
}

Pos PosOf(const toml::node& node) { return PosOf(node.source()); }

// Collects the problems of one file.
class Problems {
 public:
  explicit Problems(std::string_view file) : file_(file) {}

  void Add(Pos pos, std::string message) {
    list_.push_back(PolicyProblem{file_, pos.line, pos.column, std::move(message)});
  }
  bool empty() const { return list_.empty(); }

  // The problems in file order; problems at one position keep their order.
  std::vector<PolicyProblem> Sorted() && {
    std::stable_sort(list_.begin(), list_.end(), [](const auto& a, const auto& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    return std::move(list_);
  }

 private:
  std::string file_;
  std::vector<PolicyProblem> list_;
};

// Where the nodes of one policy element sit in the file, so that checks
// made after reading (references, ranges) can point at the right node.
struct ElementSource {
  Pos table;
  std::map<std::string, Pos, std::less<>> fields;              // key -> value node
  std::map<std::string, std::vector<Pos>, std::less<>> lists;  // key -> string elements

  // The value of `key`, or the table when the key is absent.
  Pos Field(std::string_view key) const {
    auto it = fields.find(key);
    return it == fields.end() ? table : it->second;
  }
  // Element `i` of the string list `key`.
  Pos Item(std::string_view key, size_t i) const {
    auto it = lists.find(key);
    if (it == lists.end() || i >= it->second.size()) return Field(key);
    return it->second[i];
  }
};

const char* TypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
  }
  return "unknown";
}

// Edit distance counting an adjacent transposition as one edit, for
// "did you mean" suggestions.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// Reads the keys of one TOML table for one policy element, reporting missing
// keys, wrong types and (on CheckUnknownKeys) keys it does not know. Records
// the positions of what it reads in an ElementSource.
class TableReader {
 public:
  TableReader(Problems& problems, const toml::table& table, std::string label,
              std::initializer_list<std::string_view> keys, ElementSource& source)
      : problems_(problems), table_(table), label_(std::move(label)), keys_(keys), source_(source) {
    source_.table = PosOf(table);
  }

  const std::string& label() const { return label_; }
  void set_label(std::string label) { label_ = std::move(label); }
  const ElementSource& source() const { return source_; }

  // A string; a required one must be present and non-empty.
  std::optional<std::string> String(std::string_view key, bool required) {
    const toml::node* node = Get(key, required);
    if (node == nullptr) return std::nullopt;
    const auto* value = node->as_string();
    if (value == nullptr) {
      WrongType(key, *node, "a string");
      return std::nullopt;
    }
    if (required && value->get().empty()) {
      problems_.Add(PosOf(*node),
                    absl::StrCat("key \"", ToAbsl(key), "\" in ", label_, " must not be empty"));
      return std::nullopt;
    }
    return value->get();
  }

  std::optional<bool> Bool(std::string_view key) {
    const toml::node* node = Get(key, false);
    if (node == nullptr) return std::nullopt;
    const auto* value = node->as_boolean();
    if (value == nullptr) {
      WrongType(key, *node, "a boolean");
      return std::nullopt;
    }
    return value->get();
  }

  // A positive integer that fits an int.
  std::optional<int> PositiveInt(std::string_view key, bool required) {
    const toml::node* node = Get(key, required);
    if (node == nullptr) return std::nullopt;
    const auto* value = node->as_integer();
    if (value == nullptr) {
      WrongType(key, *node, "an integer");
      return std::nullopt;
    }
    int64_t v = value->get();
    if (v <= 0) {
      problems_.Add(PosOf(*node), absl::StrCat("key \"", ToAbsl(key), "\" in ", label_,
                                               " must be positive, not ", v));
      return std::nullopt;
    }
    if (v > INT_MAX) {
      problems_.Add(PosOf(*node), absl::StrCat("key \"", ToAbsl(key), "\" in ", label_,
                                               " must be at most ", INT_MAX, ", not ", v));
      return std::nullopt;
    }
    return static_cast<int>(v);
  }

  // An optional calendar date: a TOML local date (2025-04-01) or a string
  // "2025-04-01".
  std::optional<absl::CivilDay> Date(std::string_view key) {
    const toml::node* node = Get(key, false);
    if (node == nullptr) return std::nullopt;
    if (const auto* date = node->as_date()) {
      const toml::date& d = date->get();
      return absl::CivilDay(d.year, d.month, d.day);
    }
    const auto* text = node->as_string();
    if (text == nullptr) {
      WrongType(key, *node, "a date such as 2025-04-01");
      return std::nullopt;
    }
    absl::StatusOr<absl::CivilDay> day = common::ParseDate(text->get());
    if (!day.ok()) {
      problems_.Add(PosOf(*node),
                    absl::StrCat("key \"", ToAbsl(key), "\" in ", label_,
                                 " must be a date such as 2025-04-01, not \"", text->get(), "\""));
      return std::nullopt;
    }
    return *day;
  }

  // An array of strings. Elements of another type are reported and skipped.
  std::optional<std::vector<std::string>> StringList(std::string_view key, bool required) {
    const toml::node* node = Get(key, required);
    if (node == nullptr) return std::nullopt;
    const auto* array = node->as_array();
    if (array == nullptr) {
      WrongType(key, *node, "an array of strings");
      return std::nullopt;
    }
    std::vector<std::string> values;
    std::vector<Pos>& positions = source_.lists[std::string(key)];
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const auto* value = element.as_string();
      if (value == nullptr) {
        problems_.Add(PosOf(element),
                      absl::StrCat("element ", i + 1, " of \"", ToAbsl(key), "\" in ", label_,
                                   " must be a string, not ", TypeName(element.type())));
        continue;
      }
      values.push_back(value->get());
      positions.push_back(PosOf(element));
    }
    return values;
  }

  const toml::table* Table(std::string_view key, bool required) {
    const toml::node* node = Get(key, required);
    if (node == nullptr) return nullptr;
    const auto* table = node->as_table();
    if (table == nullptr) WrongType(key, *node, "a table");
    return table;
  }

  // The tables of an array of tables ([[key]]).
  std::vector<const toml::table*> Tables(std::string_view key) {
    std::vector<const toml::table*> tables;
    const toml::node* node = Get(key, false);
    if (node == nullptr) return tables;
    const auto* array = node->as_array();
    if (array == nullptr) {
      WrongType(key, *node, absl::StrCat("an array of tables ([[", ToAbsl(key), "]])"));
      return tables;
    }
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      if (const auto* table = element.as_table()) {
        tables.push_back(table);
      } else {
        problems_.Add(PosOf(element),
                      absl::StrCat("element ", i + 1, " of \"", ToAbsl(key), "\" in ", label_,
                                   " must be a table, not ", TypeName(element.type())));
      }
    }
    return tables;
  }

  // Reports every key that is not one of `keys`, with a suggestion when one
  // of them is close.
  void CheckUnknownKeys() {
    for (auto&& [key, value] : table_) {
      std::string_view name = key.str();
      if (std::find(keys_.begin(), keys_.end(), name) != keys_.end()) continue;
      std::string message = absl::StrCat("unknown key \"", ToAbsl(name), "\" in ", label_);
      std::string_view best;
      size_t best_distance = 3;
      for (std::string_view known : keys_) {
        size_t distance = EditDistance(name, known);
        if (distance < best_distance) {
          best_distance = distance;
          best = known;
        }
      }
      if (!best.empty()) absl::StrAppend(&message, "; did you mean \"", ToAbsl(best), "\"?");
      problems_.Add(PosOf(key.source()), std::move(message));
    }
  }

 private:
  const toml::node* Get(std::string_view key, bool required) {
    const toml::node* node = table_.get(key);
    if (node == nullptr) {
      if (required) {
        problems_.Add(source_.table,
                      absl::StrCat(label_, " is missing required key \"", ToAbsl(key), "\""));
      }
      return nullptr;
    }
    source_.fields[std::string(key)] = PosOf(*node);
    return node;
  }

  void WrongType(std::string_view key, const toml::node& node, std::string_view expected) {
    problems_.Add(PosOf(node), absl::StrCat("key \"", ToAbsl(key), "\" in ", label_, " must be ",
                                            ToAbsl(expected), ", not ", TypeName(node.type())));
  }

  Problems& problems_;
  const toml::table& table_;
  std::string label_;
  std::vector<std::string_view> keys_;
  ElementSource& source_;
};

// The policy-file names of each enum, in the order messages list them.
template <typename E>
using EnumName = std::pair<std::string_view, E>;

constexpr EnumName<LegalClass> kLegalClasses[] = {
    {"ordinary", LegalClass::kOrdinary},
    {"special_care", LegalClass::kSpecialCare},
    {"communication_secrecy", LegalClass::kCommunicationSecrecy},
    {"location", LegalClass::kLocation},
    {"my_number", LegalClass::kMyNumber},
    {"financial", LegalClass::kFinancial},
};

constexpr EnumName<IdentifierKind> kIdentifierKinds[] = {
    {"none", IdentifierKind::kNone},   {"phone", IdentifierKind::kPhone},
    {"email", IdentifierKind::kEmail}, {"contract", IdentifierKind::kContract},
    {"name", IdentifierKind::kName},   {"birth_date", IdentifierKind::kBirthDate},
};

constexpr EnumName<ErasureMode> kErasureModes[] = {
    {"delete", ErasureMode::kDelete},
    {"deidentify", ErasureMode::kDeidentify},
};

constexpr EnumName<RetentionAnchor> kRetentionAnchors[] = {
    {"collection", RetentionAnchor::kCollection},
    {"contract_end", RetentionAnchor::kContractEnd},
    {"last_use", RetentionAnchor::kLastUse},
};

constexpr std::string_view kPermissions[] = {"requests", "complaints", "incidents", "audit",
                                             "actors",   "policy",     "retention"};

// "a, b, c" from the names of an enum or a list of words.
template <typename Range>
std::string ListNames(const Range& names) {
  std::vector<std::string> words;
  for (const auto& name : names) {
    if constexpr (std::is_convertible_v<decltype(name), std::string_view>) {
      words.emplace_back(name);
    } else {
      words.emplace_back(name.first);
    }
  }
  return absl::StrJoin(words, ", ");
}

// Reads the enum-valued `key` into `out`, which keeps its default when the
// key is absent; reports an unknown value.
template <typename E, size_t N>
void ReadEnum(TableReader& reader, Problems& problems, const ElementSource& source,
              std::string_view key, bool required, const EnumName<E> (&names)[N], E& out) {
  std::optional<std::string> text = reader.String(key, required);
  if (!text) return;
  for (const auto& [name, value] : names) {
    if (name == *text) {
      out = value;
      return;
    }
  }
  problems.Add(source.Field(key), absl::StrCat(reader.label(), " has unknown ", ToAbsl(key), " \"",
                                               *text, "\"; expected one of ", ListNames(names)));
}

bool IsIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' ||
         c == '-';
}

// "prefix:Local" with a letter-led prefix, as DPV terms ("pd:Name") are.
bool IsPrefixedTerm(std::string_view id) {
  size_t colon = id.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == id.size()) return false;
  std::string_view prefix = id.substr(0, colon);
  std::string_view local = id.substr(colon + 1);
  if (!absl::ascii_isalpha(static_cast<unsigned char>(prefix[0]))) return false;
  for (char c : prefix) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  for (char c : local) {
    if (!IsIdChar(c) || c == ':') return false;
  }
  return true;
}

// The letters and digits after the last ':' of an id, for a suggested
// prefixed id: "Name" for "Name", "MyTerm" for "x:My Term".
std::string SuggestedLocal(std::string_view id) {
  size_t colon = id.rfind(':');
  std::string local;
  for (char c : id.substr(colon == std::string_view::npos ? 0 : colon + 1)) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) local.push_back(c);
  }
  return local.empty() ? "Term" : local;
}

// Compiles a parsed TOML document into a Policy, collecting problems.
class PolicyCompiler {
 public:
  explicit PolicyCompiler(std::string_view source_name) : problems_(source_name) {}

  PolicyCheckResult Run(const toml::table& root) {
    ReadRoot(root);
    CheckIds();
    CheckServices();
    CheckCategories();
    CheckPurposes();
    CheckRetention();
    CheckRoles();
    CheckTrustees();
    CheckRecipients();
    CheckJointUses();
    PolicyCheckResult result;
    if (problems_.empty()) {
      policy_.BuildIndex();
      result.policy = std::move(policy_);
    }
    result.problems = std::move(problems_).Sorted();
    return result;
  }

 private:
  // Raw period texts of one retention rule, as written.
  struct RetentionTexts {
    std::optional<std::string> duration, minimum, maximum;
  };

  void ReadRoot(const toml::table& root) {
    ElementSource root_source;
    TableReader reader(
        problems_, root, "the policy file",
        {"policy", "operator", "group_companies", "services", "categories", "purposes", "retention",
         "roles", "courses", "trustees", "recipients", "joint_uses", "notice", "requests"},
        root_source);
    reader.CheckUnknownKeys();
    if (const toml::table* t = reader.Table("policy", true)) ReadPolicyHeader(*t);
    if (const toml::table* t = reader.Table("operator", true)) ReadOperator(*t);
    for (const toml::table* t : reader.Tables("group_companies")) ReadGroupCompany(*t);
    for (const toml::table* t : reader.Tables("services")) ReadService(*t);
    for (const toml::table* t : reader.Tables("categories")) ReadCategory(*t);
    for (const toml::table* t : reader.Tables("purposes")) ReadPurpose(*t);
    for (const toml::table* t : reader.Tables("retention")) ReadRetention(*t);
    for (const toml::table* t : reader.Tables("roles")) ReadRole(*t);
    for (const toml::table* t : reader.Tables("courses")) ReadCourse(*t);
    for (const toml::table* t : reader.Tables("trustees")) ReadTrustee(*t);
    for (const toml::table* t : reader.Tables("recipients")) ReadRecipient(*t);
    for (const toml::table* t : reader.Tables("joint_uses")) ReadJointUse(*t);
    if (const toml::table* t = reader.Table("notice", false)) ReadNotice(*t);
    if (const toml::table* t = reader.Table("requests", false)) ReadRequests(*t);
  }

  void ReadPolicyHeader(const toml::table& table) {
    ElementSource source;
    TableReader reader(problems_, table, "[policy]", {"name"}, source);
    reader.CheckUnknownKeys();
    if (auto v = reader.String("name", true)) policy_.name = *v;
  }

  void ReadOperator(const toml::table& table) {
    TableReader reader(problems_, table, "[operator]",
                       {"name", "name_en", "address", "representative", "privacy_contact",
                        "complaint_desk", "time_zone", "registration_number"},
                       operator_source_);
    reader.CheckUnknownKeys();
    Operator& op = policy_.operator_info;
    if (auto v = reader.String("name", true)) op.name = *v;
    if (auto v = reader.String("name_en", false)) op.name_en = *v;
    if (auto v = reader.String("address", true)) op.address = *v;
    if (auto v = reader.String("representative", true)) op.representative = *v;
    if (auto v = reader.String("privacy_contact", true)) op.privacy_contact = *v;
    if (auto v = reader.String("complaint_desk", true)) op.complaint_desk = *v;
    if (auto v = reader.String("time_zone", true)) {
      absl::TimeZone zone;
      if (absl::LoadTimeZone(*v, &zone)) {
        op.time_zone = *v;
      } else {
        problems_.Add(operator_source_.Field("time_zone"),
                      absl::StrCat("key \"time_zone\" in [operator] must be an IANA time zone "
                                   "such as \"Asia/Tokyo\", not \"",
                                   *v, "\""));
      }
    }
    // Present means "registered": an empty number could not be reported.
    if (auto v = reader.String("registration_number", false)) {
      if (v->empty()) {
        problems_.Add(operator_source_.Field("registration_number"),
                      "key \"registration_number\" in [operator] must not be empty; leave it out "
                      "when there is none");
      } else {
        op.registration_number = *v;
      }
    }
  }

  // Reads "id" and relabels the reader with it. `number` is the 1-based
  // position of the element in its array, used while the id is unknown.
  // `dpv_prefix` ("pd", "dpv") is set for kinds whose ids are prefixed terms
  // and names the vocabulary suggested for them.
  std::string ReadId(TableReader& reader, std::string_view kind, size_t number,
                     std::string_view dpv_prefix = {}) {
    bool prefixed = !dpv_prefix.empty();
    reader.set_label(absl::StrCat(ToAbsl(kind), " #", number));
    std::optional<std::string> id = reader.String("id", true);
    if (!id) return "";
    reader.set_label(absl::StrCat(ToAbsl(kind), " \"", *id, "\""));
    bool valid = prefixed ? IsPrefixedTerm(*id) : std::all_of(id->begin(), id->end(), IsIdChar);
    if (!valid) {
      Pos pos = reader.source().Field("id");
      if (prefixed) {
        std::string local = SuggestedLocal(*id);
        problems_.Add(
            pos, absl::StrCat(ToAbsl(kind), " id \"", *id, "\" must be a prefixed term such as \"",
                              ToAbsl(dpv_prefix), ":", local, "\" or \"mamori:", local, "\""));
      } else {
        problems_.Add(pos, absl::StrCat(ToAbsl(kind), " id \"", *id,
                                        "\" may contain only letters, digits, \".\", \"_\", "
                                        "\":\" and \"-\""));
      }
    }
    return *id;
  }

  // Appends a default element and its source, to be filled by a reader.
  template <typename T>
  static std::pair<T&, ElementSource&> NewElement(std::vector<T>& items,
                                                  std::vector<ElementSource>& sources) {
    items.emplace_back();
    sources.emplace_back();
    return {items.back(), sources.back()};
  }

  void ReadGroupCompany(const toml::table& table) {
    auto [company, source] = NewElement(policy_.group_companies, group_sources_);
    TableReader reader(problems_, table, "", {"id", "name", "address", "representative"}, source);
    company.id = ReadId(reader, "group company", policy_.group_companies.size());
    reader.CheckUnknownKeys();
    if (auto v = reader.String("name", true)) company.name = *v;
    if (auto v = reader.String("address", true)) company.address = *v;
    if (auto v = reader.String("representative", true)) company.representative = *v;
  }

  void ReadService(const toml::table& table) {
    auto [service, source] = NewElement(policy_.services, service_sources_);
    TableReader reader(problems_, table, "", {"id", "name_ja", "name_en", "purposes"}, source);
    service.id = ReadId(reader, "service", policy_.services.size());
    reader.CheckUnknownKeys();
    if (auto v = reader.String("name_ja", true)) service.name_ja = *v;
    if (auto v = reader.String("name_en", true)) service.name_en = *v;
    if (auto v = reader.StringList("purposes", true)) {
      service.purposes = *v;
      if (v->empty()) {
        problems_.Add(source.Field("purposes"),
                      absl::StrCat(reader.label(), " announces no purposes"));
      }
    }
  }

  void ReadCategory(const toml::table& table) {
    auto [category, source] = NewElement(policy_.categories, category_sources_);
    TableReader reader(problems_, table, "",
                       {"id", "name_ja", "name_en", "legal_class", "identifier", "erasure"},
                       source);
    category.id = ReadId(reader, "category", policy_.categories.size(), "pd");
    reader.CheckUnknownKeys();
    if (auto v = reader.String("name_ja", true)) category.name_ja = *v;
    if (auto v = reader.String("name_en", true)) category.name_en = *v;
    ReadEnum(reader, problems_, source, "legal_class", true, kLegalClasses, category.legal_class);
    ReadEnum(reader, problems_, source, "identifier", false, kIdentifierKinds, category.identifier);
    ReadEnum(reader, problems_, source, "erasure", false, kErasureModes, category.erasure);
  }

  void ReadPurpose(const toml::table& table) {
    auto [purpose, source] = NewElement(policy_.purposes, purpose_sources_);
    TableReader reader(problems_, table, "",
                       {"id", "name_ja", "name_en", "announcement_ja", "announcement_en",
                        "categories", "requires_consent", "legitimate_business_act",
                        "statutory_my_number", "retention", "change_reasonably_related"},
                       source);
    purpose.id = ReadId(reader, "purpose", policy_.purposes.size(), "dpv");
    reader.CheckUnknownKeys();
    if (auto v = reader.String("name_ja", true)) purpose.name_ja = *v;
    if (auto v = reader.String("name_en", true)) purpose.name_en = *v;
    if (auto v = reader.String("announcement_ja", true)) purpose.announcement_ja = *v;
    if (auto v = reader.String("announcement_en", true)) purpose.announcement_en = *v;
    if (auto v = reader.StringList("categories", true)) {
      purpose.categories = *v;
      if (v->empty()) {
        problems_.Add(source.Field("categories"),
                      absl::StrCat(reader.label(), " names no categories"));
      }
    }
    if (auto v = reader.Bool("requires_consent")) purpose.requires_consent = *v;
    if (auto v = reader.Bool("legitimate_business_act")) purpose.legitimate_business_act = *v;
    if (auto v = reader.Bool("statutory_my_number")) purpose.statutory_my_number = *v;
    if (auto v = reader.Bool("change_reasonably_related")) {
      purpose.change_reasonably_related = *v;
    }
    if (auto v = reader.String("retention", true)) purpose.retention = *v;
  }

  // Parses one period key of a retention rule; reports a bad one.
  std::optional<Period> ReadPeriod(TableReader& reader, const ElementSource& source,
                                   std::string_view key, bool required,
                                   std::optional<std::string>& text) {
    text = reader.String(key, required);
    if (!text) return std::nullopt;
    absl::StatusOr<Period> period = ParsePeriod(*text);
    if (!period.ok()) {
      problems_.Add(source.Field(key), absl::StrCat("invalid ", ToAbsl(key), " in ", reader.label(),
                                                    ": ", period.status().message()));
      text.reset();
      return std::nullopt;
    }
    return *period;
  }

  void ReadRetention(const toml::table& table) {
    auto [rule, source] = NewElement(policy_.retention, retention_sources_);
    retention_texts_.emplace_back();
    RetentionTexts& texts = retention_texts_.back();
    TableReader reader(problems_, table, "",
                       {"id", "duration", "anchor", "minimum", "maximum", "statutory"}, source);
    rule.id = ReadId(reader, "retention rule", policy_.retention.size());
    reader.CheckUnknownKeys();
    if (auto p = ReadPeriod(reader, source, "duration", true, texts.duration)) {
      rule.duration = *p;
      if (p->ApproximateDays() == 0) {
        problems_.Add(source.Field("duration"),
                      absl::StrCat("duration of ", reader.label(), " must be longer than zero"));
        texts.duration.reset();
      }
    }
    ReadEnum(reader, problems_, source, "anchor", true, kRetentionAnchors, rule.anchor);
    if (auto v = reader.String("statutory", false)) {
      if (v->empty()) {
        problems_.Add(source.Field("statutory"),
                      absl::StrCat("statutory of ", reader.label(),
                                   " must name the law; leave it out when there is none"));
      }
      rule.statutory = *v;
    }
    rule.minimum = ReadPeriod(reader, source, "minimum", false, texts.minimum);
    rule.maximum = ReadPeriod(reader, source, "maximum", false, texts.maximum);
  }

  void ReadRole(const toml::table& table) {
    auto [role, source] = NewElement(policy_.roles, role_sources_);
    TableReader reader(
        problems_, table, "",
        {"id", "name", "purposes", "categories", "permissions", "courses", "bulk_access_threshold"},
        source);
    role.id = ReadId(reader, "role", policy_.roles.size());
    reader.CheckUnknownKeys();
    if (auto v = reader.String("name", true)) role.name = *v;
    if (auto v = reader.StringList("purposes", false)) role.purposes = *v;
    if (auto v = reader.StringList("categories", false)) role.categories = *v;
    if (auto v = reader.StringList("permissions", false)) role.permissions = *v;
    if (auto v = reader.StringList("courses", false)) role.courses = *v;
    role.bulk_access_threshold = reader.PositiveInt("bulk_access_threshold", false);
  }

  void ReadCourse(const toml::table& table) {
    auto [course, source] = NewElement(policy_.courses, course_sources_);
    TableReader reader(problems_, table, "", {"id", "name", "valid_days"}, source);
    course.id = ReadId(reader, "course", policy_.courses.size());
    reader.CheckUnknownKeys();
    if (auto v = reader.String("name", true)) course.name = *v;
    if (auto v = reader.PositiveInt("valid_days", true)) course.valid_days = *v;
  }

  // Reads "country" and checks it is an ISO 3166-1 alpha-2 code.
  std::string ReadCountry(TableReader& reader, const ElementSource& source) {
    std::optional<std::string> country = reader.String("country", true);
    if (!country) return "";
    if (country->size() != 2 || !absl::ascii_isupper(static_cast<unsigned char>((*country)[0])) ||
        !absl::ascii_isupper(static_cast<unsigned char>((*country)[1]))) {
      problems_.Add(source.Field("country"),
                    absl::StrCat("key \"country\" in ", reader.label(),
                                 " must be an ISO 3166-1 alpha-2 code of two upper-case "
                                 "letters such as \"JP\", not \"",
                                 *country, "\""));
    }
    return *country;
  }

  // Reads a required list that must not be empty ("names no ...").
  std::vector<std::string> ReadNonEmptyList(TableReader& reader, const ElementSource& source,
                                            std::string_view key, std::string_view noun) {
    std::optional<std::vector<std::string>> values = reader.StringList(key, true);
    if (!values) return {};
    if (values->empty()) {
      problems_.Add(source.Field(key), absl::StrCat(reader.label(), " names no ", ToAbsl(noun)));
    }
    return *values;
  }

  void ReadTrustee(const toml::table& table) {
    auto [trustee, source] = NewElement(policy_.trustees, trustee_sources_);
    TableReader reader(
        problems_, table, "",
        {"id", "name", "contract", "country", "purposes", "categories", "audit_interval_days",
         "equivalent_measures", "contract_start", "contract_end"},
        source);
    trustee.id = ReadId(reader, "trustee", policy_.trustees.size());
    reader.CheckUnknownKeys();
    if (auto v = reader.String("name", true)) trustee.name = *v;
    if (auto v = reader.String("contract", true)) trustee.contract = *v;
    trustee.country = ReadCountry(reader, source);
    trustee.purposes = ReadNonEmptyList(reader, source, "purposes", "purposes");
    trustee.categories = ReadNonEmptyList(reader, source, "categories", "categories");
    if (auto v = reader.PositiveInt("audit_interval_days", false)) {
      trustee.audit_interval_days = *v;
    }
    if (auto v = reader.Bool("equivalent_measures")) trustee.equivalent_measures = *v;
    trustee.contract_start = reader.Date("contract_start");
    trustee.contract_end = reader.Date("contract_end");
  }

  void ReadRecipient(const toml::table& table) {
    auto [recipient, source] = NewElement(policy_.recipients, recipient_sources_);
    TableReader reader(problems_, table, "",
                       {"id", "name", "country", "purposes", "categories", "equivalent_measures",
                        "opt_out_filing", "contract_stands_in_for_record"},
                       source);
    recipient.id = ReadId(reader, "recipient", policy_.recipients.size());
    reader.CheckUnknownKeys();
    if (auto v = reader.String("name", true)) recipient.name = *v;
    recipient.country = ReadCountry(reader, source);
    recipient.purposes = ReadNonEmptyList(reader, source, "purposes", "purposes");
    recipient.categories = ReadNonEmptyList(reader, source, "categories", "categories");
    if (auto v = reader.Bool("equivalent_measures")) recipient.equivalent_measures = *v;
    // Present means "filed": an empty reference would claim a filing that
    // cannot be checked.
    if (auto v = reader.String("opt_out_filing", false)) {
      if (v->empty()) {
        problems_.Add(source.Field("opt_out_filing"),
                      absl::StrCat("key \"opt_out_filing\" in ", reader.label(),
                                   " must not be empty; leave it out when there is no filing"));
      } else {
        recipient.opt_out_filing = *v;
      }
    }
    if (auto v = reader.Bool("contract_stands_in_for_record")) {
      recipient.contract_stands_in_for_record = *v;
    }
  }

  void ReadJointUse(const toml::table& table) {
    auto [joint_use, source] = NewElement(policy_.joint_uses, joint_sources_);
    TableReader reader(problems_, table, "",
                       {"id", "items", "users", "purposes", "responsible", "notice_date"}, source);
    joint_use.id = ReadId(reader, "joint use", policy_.joint_uses.size());
    reader.CheckUnknownKeys();
    joint_use.items = ReadNonEmptyList(reader, source, "items", "items");
    joint_use.users = ReadNonEmptyList(reader, source, "users", "users");
    joint_use.purposes = ReadNonEmptyList(reader, source, "purposes", "purposes");
    joint_use.notice_date = reader.Date("notice_date");
    if (const toml::table* responsible = reader.Table("responsible", true)) {
      ElementSource responsible_source;
      TableReader sub(problems_, *responsible,
                      absl::StrCat("the responsible party of ", reader.label()),
                      {"name", "address", "representative"}, responsible_source);
      sub.CheckUnknownKeys();
      if (auto v = sub.String("name", true)) joint_use.responsible.name = *v;
      if (auto v = sub.String("address", true)) joint_use.responsible.address = *v;
      if (auto v = sub.String("representative", true)) {
        joint_use.responsible.representative = *v;
      }
    }
  }

  // [notice]: what public notices state beyond the elements (Art. 32(1)).
  // Notices are shown in Japanese and English, so a text given in one
  // language only is a problem: one of the two notices would lack it.
  void ReadNotice(const toml::table& table) {
    ElementSource source;
    TableReader reader(
        problems_, table, "[notice]",
        {"request_fee_ja", "request_fee_en", "security_measures_ja", "security_measures_en"},
        source);
    reader.CheckUnknownKeys();
    NoticeTexts& notice = policy_.notice;
    for (auto [key, text] : {std::pair{"request_fee_ja", &notice.request_fee_ja},
                             std::pair{"request_fee_en", &notice.request_fee_en}}) {
      std::optional<std::string> v = reader.String(key, false);
      if (v && v->empty()) {
        problems_.Add(source.Field(key), absl::StrCat("key \"", key,
                                                      "\" in [notice] must not be empty; leave "
                                                      "it out when there is no text"));
      } else if (v) {
        *text = *v;
      }
    }
    for (auto [key, list] : {std::pair{"security_measures_ja", &notice.security_measures_ja},
                             std::pair{"security_measures_en", &notice.security_measures_en}}) {
      std::optional<std::vector<std::string>> v = reader.StringList(key, false);
      if (!v) continue;
      for (size_t i = 0; i < v->size(); ++i) {
        if ((*v)[i].empty()) {
          problems_.Add(source.Item(key, i), absl::StrCat("element ", i + 1, " of \"", key,
                                                          "\" in [notice] must not be empty"));
        } else {
          list->push_back((*v)[i]);
        }
      }
    }
    for (std::string_view stem : {"request_fee", "security_measures"}) {
      const std::string ja = absl::StrCat(ToAbsl(stem), "_ja");
      const std::string en = absl::StrCat(ToAbsl(stem), "_en");
      if (table.contains(ja) == table.contains(en)) continue;
      const std::string& given = table.contains(ja) ? ja : en;
      const std::string& missing = table.contains(ja) ? en : ja;
      problems_.Add(source.Field(given),
                    absl::StrCat("[notice] gives \"", given, "\" but not \"", missing,
                                 "\"; notices are shown in Japanese and English"));
    }
  }

  // [requests]: the procedure for customer requests (Art. 37) and the
  // complaint desk's first-response time.
  void ReadRequests(const toml::table& table) {
    ElementSource source;
    TableReader reader(problems_, table, "[requests]",
                       {"verification", "service_level_days", "complaint_first_response_hours"},
                       source);
    reader.CheckUnknownKeys();
    RequestSettings& settings = policy_.requests;
    if (std::optional<std::vector<std::string>> factors =
            reader.StringList("verification", false)) {
      for (size_t i = 0; i < factors->size(); ++i) {
        const std::string& name = (*factors)[i];
        std::optional<IdentifierKind> kind;
        for (const auto& [known, value] : kIdentifierKinds) {
          if (known == name && value != IdentifierKind::kNone) kind = value;
        }
        if (!kind) {
          problems_.Add(
              source.Item("verification", i),
              absl::StrCat("element ", i + 1,
                           " of \"verification\" in [requests] is unknown identifier \"", name,
                           "\"; expected one of phone, email, contract, name, "
                           "birth_date"));
        } else if (std::find(settings.verification.begin(), settings.verification.end(), *kind) !=
                   settings.verification.end()) {
          problems_.Add(source.Item("verification", i),
                        absl::StrCat("\"verification\" in [requests] names \"", name, "\" twice"));
        } else {
          settings.verification.push_back(*kind);
        }
      }
    }
    if (const toml::table* days = reader.Table("service_level_days", false)) {
      static constexpr std::string_view kKinds[] = {"purpose_notice", "disclosure", "correction",
                                                    "addition",       "deletion",   "stop_use",
                                                    "stop_provision"};
      ElementSource days_source;
      TableReader days_reader(problems_, *days, "[requests.service_level_days]", {}, days_source);
      for (const auto& [key, node] : *days) {
        const std::string_view kind = key.str();
        if (std::find(std::begin(kKinds), std::end(kKinds), kind) == std::end(kKinds)) {
          problems_.Add(PosOf(node),
                        absl::StrCat("[requests.service_level_days] has unknown "
                                     "request kind \"",
                                     ToAbsl(kind), "\"; expected one of ", ListNames(kKinds)));
          continue;
        }
        if (std::optional<int> n = days_reader.PositiveInt(kind, true)) {
          settings.service_level_days.emplace(std::string(kind), *n);
        }
      }
    }
    if (std::optional<int> hours = reader.PositiveInt("complaint_first_response_hours", false)) {
      settings.complaint_first_response_hours = *hours;
    }
  }

  // --- Checks across elements ---------------------------------------------

  template <typename T>
  void CheckDuplicateIds(std::string_view kind, const std::vector<T>& items,
                         const std::vector<ElementSource>& sources) {
    std::map<std::string_view, Pos> first;
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].id.empty()) continue;
      Pos pos = sources[i].Field("id");
      auto [it, inserted] = first.emplace(items[i].id, pos);
      if (!inserted) {
        problems_.Add(pos, absl::StrCat("duplicate ", ToAbsl(kind), " id \"", items[i].id,
                                        "\" (first defined at ", it->second.line, ":",
                                        it->second.column, ")"));
      }
    }
  }

  void CheckIds() {
    CheckDuplicateIds("group company", policy_.group_companies, group_sources_);
    CheckDuplicateIds("service", policy_.services, service_sources_);
    CheckDuplicateIds("category", policy_.categories, category_sources_);
    CheckDuplicateIds("purpose", policy_.purposes, purpose_sources_);
    CheckDuplicateIds("retention rule", policy_.retention, retention_sources_);
    CheckDuplicateIds("role", policy_.roles, role_sources_);
    CheckDuplicateIds("course", policy_.courses, course_sources_);
    CheckDuplicateIds("trustee", policy_.trustees, trustee_sources_);
    CheckDuplicateIds("recipient", policy_.recipients, recipient_sources_);
    CheckDuplicateIds("joint use", policy_.joint_uses, joint_sources_);
    // A record names its category and purposes by id, and so do exports:
    // one id must not mean both.
    for (size_t i = 0; i < policy_.purposes.size(); ++i) {
      const std::string& id = policy_.purposes[i].id;
      if (!id.empty() && policy_.FindCategory(id) != nullptr) {
        problems_.Add(purpose_sources_[i].Field("id"),
                      absl::StrCat("id \"", id, "\" names both a category and a purpose"));
      }
    }
  }

  // Checks each id in `ids` (the list `key` of an element labelled `label`)
  // against `exists`, and reports repeats. Returns whether all were known.
  bool CheckReferences(std::string_view label, const ElementSource& source, std::string_view key,
                       const std::vector<std::string>& ids, std::string_view noun,
                       const std::function<bool(std::string_view)>& exists) {
    bool all_known = true;
    std::set<std::string_view> seen;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!seen.insert(ids[i]).second) {
        problems_.Add(source.Item(key, i), absl::StrCat(ToAbsl(label), " lists ", ToAbsl(noun),
                                                        " \"", ids[i], "\" twice"));
        continue;
      }
      if (!exists(ids[i])) {
        all_known = false;
        problems_.Add(source.Item(key, i), absl::StrCat(ToAbsl(label), " names unknown ",
                                                        ToAbsl(noun), " \"", ids[i], "\""));
      }
    }
    return all_known;
  }

  bool CheckCategoryRefs(std::string_view label, const ElementSource& source, std::string_view key,
                         const std::vector<std::string>& ids) {
    return CheckReferences(label, source, key, ids, "category", [this](std::string_view id) {
      return policy_.FindCategory(id) != nullptr;
    });
  }

  bool CheckPurposeRefs(std::string_view label, const ElementSource& source,
                        const std::vector<std::string>& ids) {
    return CheckReferences(label, source, "purposes", ids, "purpose", [this](std::string_view id) {
      return policy_.FindPurpose(id) != nullptr;
    });
  }

  // Reports each category in `key` that none of `purposes` uses: data goes
  // to a trustee, recipient or joint user only within a purpose.
  void CheckCoveredByPurposes(std::string_view label, const ElementSource& source,
                              std::string_view key, const std::vector<std::string>& categories,
                              const std::vector<std::string>& purposes, std::string_view verb) {
    for (size_t i = 0; i < categories.size(); ++i) {
      if (policy_.FindCategory(categories[i]) == nullptr) continue;
      bool covered = false;
      for (const std::string& purpose_id : purposes) {
        const Purpose* p = policy_.FindPurpose(purpose_id);
        if (p != nullptr && std::find(p->categories.begin(), p->categories.end(), categories[i]) !=
                                p->categories.end()) {
          covered = true;
          break;
        }
      }
      if (!covered) {
        problems_.Add(source.Item(key, i),
                      absl::StrCat(ToAbsl(label), " ", ToAbsl(verb), " category \"", categories[i],
                                   "\" that none of its purposes cover"));
      }
    }
  }

  static std::string Label(std::string_view kind, std::string_view id) {
    return absl::StrCat(ToAbsl(kind), " \"", ToAbsl(id), "\"");
  }

  void CheckServices() {
    for (size_t i = 0; i < policy_.services.size(); ++i) {
      const Service& s = policy_.services[i];
      CheckPurposeRefs(Label("service", s.id), service_sources_[i], s.purposes);
    }
  }

  void CheckCategories() {
    for (size_t i = 0; i < policy_.categories.size(); ++i) {
      const Category& c = policy_.categories[i];
      if (c.legal_class == LegalClass::kMyNumber && c.identifier != IdentifierKind::kNone) {
        problems_.Add(
            category_sources_[i].Field("identifier"),
            absl::StrCat("My Number category \"", c.id, "\" must have identifier \"none\", not \"",
                         ToAbsl(IdentifierKindName(c.identifier)), "\""));
      }
    }
  }

  void CheckPurposes() {
    for (size_t i = 0; i < policy_.purposes.size(); ++i) {
      const Purpose& p = policy_.purposes[i];
      const ElementSource& source = purpose_sources_[i];
      std::string label = Label("purpose", p.id);
      CheckCategoryRefs(label, source, "categories", p.categories);
      for (size_t j = 0; j < p.categories.size(); ++j) {
        const Category* c = policy_.FindCategory(p.categories[j]);
        if (c == nullptr) continue;
        if (c->legal_class == LegalClass::kMyNumber && !p.statutory_my_number) {
          problems_.Add(source.Item("categories", j),
                        absl::StrCat(label, " includes My Number category \"", c->id,
                                     "\" but is not statutory_my_number"));
        }
        if (c->legal_class == LegalClass::kSpecialCare && !p.requires_consent) {
          problems_.Add(source.Item("categories", j),
                        absl::StrCat(label, " includes special-care category \"", c->id,
                                     "\" but does not set requires_consent (APPI Art. 20(2))"));
        }
        if (c->legal_class == LegalClass::kCommunicationSecrecy && !p.requires_consent &&
            !p.legitimate_business_act) {
          problems_.Add(source.Item("categories", j),
                        absl::StrCat(label, " includes communication-secrecy category \"", c->id,
                                     "\" but sets neither requires_consent nor "
                                     "legitimate_business_act (TBA Art. 4)"));
        }
      }
      if (!p.retention.empty() && policy_.FindRetention(p.retention) == nullptr) {
        problems_.Add(source.Field("retention"),
                      absl::StrCat(label, " names unknown retention rule \"", p.retention, "\""));
      }
    }
  }

  void CheckRetention() {
    for (size_t i = 0; i < policy_.retention.size(); ++i) {
      const RetentionRule& r = policy_.retention[i];
      const RetentionTexts& texts = retention_texts_[i];
      const ElementSource& source = retention_sources_[i];
      std::string label = Label("retention rule", r.id);
      if (texts.minimum && texts.maximum && ComparePeriods(*r.minimum, *r.maximum) > 0) {
        problems_.Add(source.Field("minimum"),
                      absl::StrCat("minimum ", *texts.minimum, " of ", label,
                                   " is longer than its maximum ", *texts.maximum));
        continue;
      }
      if (!texts.duration) continue;
      if (texts.minimum && ComparePeriods(r.duration, *r.minimum) < 0) {
        problems_.Add(source.Field("duration"),
                      absl::StrCat("duration ", *texts.duration, " of ", label,
                                   " is shorter than its minimum ", *texts.minimum));
      }
      if (texts.maximum && ComparePeriods(r.duration, *r.maximum) > 0) {
        problems_.Add(source.Field("duration"),
                      absl::StrCat("duration ", *texts.duration, " of ", label,
                                   " is longer than its maximum ", *texts.maximum));
      }
    }
  }

  void CheckRoles() {
    for (size_t i = 0; i < policy_.roles.size(); ++i) {
      const Role& r = policy_.roles[i];
      const ElementSource& source = role_sources_[i];
      std::string label = Label("role", r.id);
      CheckPurposeRefs(label, source, r.purposes);
      CheckCategoryRefs(label, source, "categories", r.categories);
      CheckReferences(label, source, "courses", r.courses, "course",
                      [this](std::string_view id) { return policy_.FindCourse(id) != nullptr; });
      std::set<std::string_view> seen;
      for (size_t j = 0; j < r.permissions.size(); ++j) {
        const std::string& permission = r.permissions[j];
        if (!seen.insert(permission).second) {
          problems_.Add(source.Item("permissions", j),
                        absl::StrCat(label, " lists permission \"", permission, "\" twice"));
        } else if (std::find(std::begin(kPermissions), std::end(kPermissions), permission) ==
                   std::end(kPermissions)) {
          problems_.Add(source.Item("permissions", j),
                        absl::StrCat(label, " has unknown permission \"", permission,
                                     "\"; expected one of ", ListNames(kPermissions)));
        }
      }
    }
  }

  void CheckTrustees() {
    for (size_t i = 0; i < policy_.trustees.size(); ++i) {
      const Trustee& t = policy_.trustees[i];
      const ElementSource& source = trustee_sources_[i];
      std::string label = Label("trustee", t.id);
      bool purposes_known = CheckPurposeRefs(label, source, t.purposes);
      CheckCategoryRefs(label, source, "categories", t.categories);
      if (purposes_known && !t.purposes.empty()) {
        CheckCoveredByPurposes(label, source, "categories", t.categories, t.purposes,
                               "is entrusted");
      }
      if (t.contract_start && t.contract_end && *t.contract_end < *t.contract_start) {
        problems_.Add(source.Field("contract_end"),
                      absl::StrCat("contract_end ", absl::FormatCivilTime(*t.contract_end), " of ",
                                   label, " is before its contract_start ",
                                   absl::FormatCivilTime(*t.contract_start)));
      }
    }
  }

  void CheckRecipients() {
    for (size_t i = 0; i < policy_.recipients.size(); ++i) {
      const Recipient& r = policy_.recipients[i];
      const ElementSource& source = recipient_sources_[i];
      std::string label = Label("recipient", r.id);
      bool purposes_known = CheckPurposeRefs(label, source, r.purposes);
      CheckCategoryRefs(label, source, "categories", r.categories);
      if (purposes_known && !r.purposes.empty()) {
        CheckCoveredByPurposes(label, source, "categories", r.categories, r.purposes, "receives");
      }
    }
  }

  void CheckJointUses() {
    for (size_t i = 0; i < policy_.joint_uses.size(); ++i) {
      const JointUse& j = policy_.joint_uses[i];
      const ElementSource& source = joint_sources_[i];
      std::string label = Label("joint use", j.id);
      CheckCategoryRefs(label, source, "items", j.items);
      bool purposes_known = CheckPurposeRefs(label, source, j.purposes);
      std::set<std::string_view> seen;
      for (size_t k = 0; k < j.users.size(); ++k) {
        if (!seen.insert(j.users[k]).second) {
          problems_.Add(source.Item("users", k),
                        absl::StrCat(label, " lists user \"", j.users[k], "\" twice"));
        } else if (policy_.FindGroupCompany(j.users[k]) == nullptr) {
          problems_.Add(source.Item("users", k),
                        absl::StrCat(label, " names user \"", j.users[k],
                                     "\" that is not a declared group company; joint users "
                                     "are restricted to group companies"));
        }
      }
      for (size_t k = 0; k < j.items.size(); ++k) {
        const Category* c = policy_.FindCategory(j.items[k]);
        if (c != nullptr && c->legal_class == LegalClass::kMyNumber) {
          problems_.Add(source.Item("items", k),
                        absl::StrCat(label, " shares My Number category \"", c->id,
                                     "\"; the My Number Act does not allow joint use"));
        }
      }
      if (purposes_known && !j.purposes.empty()) {
        CheckCoveredByPurposes(label, source, "items", j.items, j.purposes, "shares");
      }
    }
  }

  Problems problems_;
  Policy policy_;
  ElementSource operator_source_;
  std::vector<ElementSource> group_sources_, service_sources_, category_sources_, purpose_sources_,
      retention_sources_, role_sources_, course_sources_, trustee_sources_, recipient_sources_,
      joint_sources_;
  std::vector<RetentionTexts> retention_texts_;
};

// Reads a whole file; nullopt with `error` set to an errno value when it
// cannot.
std::optional<std::string> ReadFile(const std::string& path, int& error) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    error = EISDIR;
    return std::nullopt;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = errno != 0 ? errno : ENOENT;
    return std::nullopt;
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    error = errno != 0 ? errno : EIO;
    return std::nullopt;
  }
  return contents.str();
}

// The text of an errno value; unlike strerror, thread-safe.
std::string ErrorText(int error) {
  return std::error_code(error, std::generic_category()).message();
}

absl::Status ProblemsToStatus(const std::vector<PolicyProblem>& problems) {
  std::vector<std::string> lines;
  lines.reserve(problems.size());
  for (const PolicyProblem& p : problems) lines.push_back(p.ToString());
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

}  // namespace

std::string PolicyProblem::ToString() const {
  return absl::StrCat(file, ":", line, ":", column, ": ", message);
}

PolicyCheckResult CheckPolicyText(std::string_view toml_text, std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    Problems problems(source_name);
    problems.Add(PosOf(error.source()), std::string(error.description()));
    return PolicyCheckResult{std::nullopt, std::move(problems).Sorted()};
  }
  return PolicyCompiler(source_name).Run(root);
}

PolicyCheckResult CheckPolicyFile(const std::string& path) {
  int error = 0;
  std::optional<std::string> text = ReadFile(path, error);
  if (!text) {
    PolicyCheckResult result;
    result.problems.push_back(
        PolicyProblem{path, 1, 1, absl::StrCat("cannot read policy file: ", ErrorText(error))});
    return result;
  }
  return CheckPolicyText(*text, path);
}

absl::StatusOr<Policy> ParsePolicyText(std::string_view toml_text, std::string_view source_name) {
  PolicyCheckResult result = CheckPolicyText(toml_text, source_name);
  if (!result.policy) return ProblemsToStatus(result.problems);
  return *std::move(result.policy);
}

absl::StatusOr<Policy> LoadPolicyFile(const std::string& path) {
  int error = 0;
  std::optional<std::string> text = ReadFile(path, error);
  if (!text) {
    std::string message = absl::StrCat(path, ": cannot read policy file: ", ErrorText(error));
    if (error == ENOENT) return absl::NotFoundError(message);
    return absl::FailedPreconditionError(message);
  }
  return ParsePolicyText(*text, path);
}

absl::StatusOr<Period> ParsePeriod(std::string_view iso) {
  if (iso.empty()) return absl::InvalidArgumentError("empty period; write e.g. \"P6M\"");
  auto invalid = [iso] {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", ToAbsl(iso),
                     "\" is not an ISO 8601 period such as \"P6M\", \"P1Y6M\", \"P2W\" or "
                     "\"P30D\""));
  };
  if (iso.find('T') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("period \"", ToAbsl(iso),
                     "\" has a time part; only years, months, weeks and days are allowed"));
  }
  if (iso.find('-') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("period \"", ToAbsl(iso), "\" is negative"));
  }
  if (iso[0] != 'P' || iso.size() == 1) return invalid();
  constexpr std::string_view kDesignators = "YMWD";
  size_t next_designator = 0;  // designators must come in Y, M, W, D order
  int64_t years = 0, months = 0, weeks = 0, days = 0;
  size_t i = 1;
  while (i < iso.size()) {
    size_t start = i;
    while (i < iso.size() && absl::ascii_isdigit(static_cast<unsigned char>(iso[i]))) ++i;
    if (i == start || i == iso.size()) return invalid();
    int value = 0;
    if (!absl::SimpleAtoi(ToAbsl(iso.substr(start, i - start)), &value)) return invalid();
    size_t designator = kDesignators.find(iso[i]);
    if (designator == std::string_view::npos || designator < next_designator) return invalid();
    next_designator = designator + 1;
    switch (iso[i]) {
      case 'Y':
        years = value;
        break;
      case 'M':
        months = value;
        break;
      case 'W':
        weeks = value;
        break;
      case 'D':
        days = value;
        break;
    }
    ++i;
  }
  int64_t total_days = days + weeks * 7;
  if (total_days > INT_MAX) return invalid();
  Period period;
  period.years = static_cast<int>(years);
  period.months = static_cast<int>(months);
  period.days = static_cast<int>(total_days);
  return period;
}

int ComparePeriods(const Period& a, const Period& b) {
  // A Gregorian month averages 146097 / 4800 days; compare in 1/4800 days.
  auto length = [](const Period& p) {
    return (p.years * 12LL + p.months) * 146097LL + p.days * 4800LL;
  };
  int64_t la = length(a), lb = length(b);
  return la < lb ? -1 : (la > lb ? 1 : 0);
}

}  // namespace mamori::policy
