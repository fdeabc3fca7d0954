#include "vault/import_line.h"

#include <fmt/format.h>

#include <array>
#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "notice/notice.h"

namespace mamori::vault {
namespace {

// Builds an ImportLine straight from nlohmann's SAX events: no document
// tree, which halves the parsing cost of bulk imports. Each event is checked
// against the one shape a line may have; the first problem stops the parse
// with a message that names the field, never the value.
class ImportLineHandler final : public nlohmann::json_sax<nlohmann::json> {
 public:
  ImportLine line;
  std::string error;  // empty while all is well

  bool null() override { return Value(Kind::kNull); }
  bool boolean(bool) override { return Value(Kind::kOther); }
  bool number_integer(number_integer_t) override { return Value(Kind::kOther); }
  bool number_unsigned(number_unsigned_t) override { return Value(Kind::kOther); }
  bool number_float(number_float_t, const string_t&) override { return Value(Kind::kOther); }
  bool binary(binary_t&) override { return Value(Kind::kOther); }
  bool string(string_t& s) override { return Value(Kind::kString, &s); }

  bool start_object(std::size_t) override {
    switch (state_) {
      case State::kStart:
        state_ = State::kLine;
        return true;
      case State::kRecords:
        line.records.emplace_back();
        seen_record_ = {};
        state_ = State::kRecord;
        return true;
      default:
        return Value(Kind::kOther);
    }
  }

  bool end_object() override {
    if (state_ == State::kLine) {
      state_ = State::kDone;
      if (!line.existing_subject && line.identifiers.empty() && line.records.empty()) {
        return Fail("a line needs an identifier or records");
      }
      return true;
    }
    // The end of a record: every required field given?
    state_ = State::kRecords;
    static constexpr std::array<const char*, 3> kRequired = {"category", "service", "value"};
    for (size_t i = 0; i < kRequired.size(); ++i) {
      if (!seen_record_[i]) return Fail(fmt::format("{}{}: missing", RecordPath(), kRequired[i]));
    }
    return true;
  }

  bool start_array(std::size_t) override {
    if (state_ == State::kLine && field_ == "records") {
      state_ = State::kRecords;
      return true;
    }
    if (state_ == State::kStart) return Fail("expected a JSON object");
    if (state_ == State::kRecords) {
      return Fail(fmt::format("records[{}]: expected an object", line.records.size()));
    }
    return Value(Kind::kOther);
  }

  bool end_array() override {
    state_ = State::kLine;
    return true;
  }

  bool key(string_t& key) override {
    field_ = key;
    if (state_ == State::kLine) {
      static constexpr std::array<std::string_view, 8> kFields = {
          "subject", "phone", "email", "contract", "name", "birth_date", "records", "language"};
      for (size_t i = 0; i < kFields.size(); ++i) {
        if (key != kFields[i]) continue;
        if (seen_line_[i]) return Fail(fmt::format("{}: given twice", key));
        seen_line_[i] = true;
        return true;
      }
      return Fail(fmt::format("{}: unknown field", key));
    }
    static constexpr std::array<std::string_view, 4> kRecordFields = {"category", "service",
                                                                      "value", "collected_at"};
    for (size_t i = 0; i < kRecordFields.size(); ++i) {
      if (key != kRecordFields[i]) continue;
      if (seen_record_[i]) return Fail(fmt::format("{}{}: given twice", RecordPath(), key));
      seen_record_[i] = true;
      return true;
    }
    return Fail(fmt::format("{}{}: unknown field", RecordPath(), key));
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    if (error.empty()) error = "not valid JSON";
    return false;
  }

 private:
  enum class State { kStart, kLine, kRecords, kRecord, kDone };
  // What a value is: null (the field is absent), a string, or anything else
  // (number, bool, object, array).
  enum class Kind { kNull, kString, kOther };

  bool Fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }

  std::string RecordPath() const { return fmt::format("records[{}].", line.records.size() - 1); }

  // A value of the current field; `s` is set for kString.
  bool Value(Kind kind, string_t* s = nullptr) {
    switch (state_) {
      case State::kStart:
        return Fail("expected a JSON object");
      case State::kRecords:
        return Fail(fmt::format("records[{}]: expected an object", line.records.size()));
      case State::kLine:
        return LineValue(kind, s);
      case State::kRecord:
        return RecordValue(kind, s);
      case State::kDone:
        return Fail("not valid JSON");
    }
    return false;
  }

  bool LineValue(Kind kind, string_t* s) {
    if (kind == Kind::kNull) return true;
    if (field_ == "records") return Fail("records: expected an array");
    if (kind == Kind::kOther) return Fail(fmt::format("{}: expected a string", field_));
    if (field_ == "language") {
      if (!notice::ParseLanguage(*s)) return Fail("language: expected ja or en");
      line.language = std::move(*s);
      return true;
    }
    std::optional<std::string>* target = field_ == "subject"    ? &line.existing_subject
                                         : field_ == "phone"    ? &line.identifiers.phone
                                         : field_ == "email"    ? &line.identifiers.email
                                         : field_ == "contract" ? &line.identifiers.contract
                                         : field_ == "name"     ? &line.identifiers.name
                                                                : &line.identifiers.birth_date;
    *target = std::move(*s);
    return true;
  }

  bool RecordValue(Kind kind, string_t* s) {
    NewRecord& record = line.records.back();
    if (kind == Kind::kOther) {
      return Fail(fmt::format("{}{}: expected a string", RecordPath(), field_));
    }
    if (field_ == "collected_at") {
      if (kind == Kind::kNull) return true;
      absl::StatusOr<absl::Time> t = common::ParseTimestamp(*s);
      if (!t.ok()) {
        return Fail(
            fmt::format("{}collected_at: expected an RFC 3339 time or a date", RecordPath()));
      }
      record.collected_at = *t;
      return true;
    }
    if (kind == Kind::kNull) {
      // null for a required field counts as not given.
      seen_record_[field_ == "category" ? 0 : field_ == "service" ? 1 : 2] = false;
      return true;
    }
    std::string& target = field_ == "category"  ? record.category
                          : field_ == "service" ? record.service
                                                : record.value;
    target = std::move(*s);
    return true;
  }

  State state_ = State::kStart;
  std::string field_;
  std::array<bool, 8> seen_line_{};
  std::array<bool, 4> seen_record_{};
};

}  // namespace

absl::StatusOr<ImportLine> ParseImportLine(std::string_view line) {
  ImportLineHandler handler;
  bool ok = nlohmann::json::sax_parse(line, &handler);
  if (!ok || !handler.error.empty()) {
    return absl::InvalidArgumentError(handler.error.empty() ? "not valid JSON" : handler.error);
  }
  return std::move(handler.line);
}

}  // namespace mamori::vault
