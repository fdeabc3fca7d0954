#include "notice/html_writer.h"

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "notice/notice.h"

namespace mamori::notice {

bool HasJapanese(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0xE3 && byte <= 0xE9) return true;
    if (byte == 0xEF && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0xBC && next <= 0xBF) return true;
    }
  }
  return false;
}

void HtmlWriter::Text(std::string_view text) {
  if (!line_breaks_) {
    out_ += EscapeHtml(text);
    return;
  }
  size_t start = 0;
  while (true) {
    const size_t end = text.find('\n', start);
    out_ += EscapeHtml(text.substr(start, end - start));
    if (end == std::string_view::npos) return;
    Raw("<br>");
    start = end + 1;
  }
}

void HtmlWriter::Value(std::string_view text) {
  if (!mark_japanese_ || !HasJapanese(text)) return Text(text);
  Raw("<span lang=\"ja\">");
  Text(text);
  Raw("</span>");
}

void HtmlWriter::Element(std::string_view tag, std::string_view text) {
  absl::StrAppend(&out_, "<", common::ToAbsl(tag), ">");
  Text(text);
  absl::StrAppend(&out_, "</", common::ToAbsl(tag), ">\n");
}

void HtmlWriter::ElementValue(std::string_view tag, std::string_view text) {
  absl::StrAppend(&out_, "<", common::ToAbsl(tag), ">");
  Value(text);
  absl::StrAppend(&out_, "</", common::ToAbsl(tag), ">\n");
}

void HtmlWriter::Term(std::string_view term, std::string_view description) {
  Element("dt", term);
  Element("dd", description);
}

void HtmlWriter::TermValue(std::string_view term, std::string_view description) {
  Element("dt", term);
  ElementValue("dd", description);
}

void HtmlWriter::OpenSection(std::string_view id, std::string_view heading) {
  absl::StrAppend(&out_, "<section aria-labelledby=\"", common::ToAbsl(id), "\">\n<h2 id=\"",
                  common::ToAbsl(id), "\">");
  Text(heading);
  Raw("</h2>\n");
}

}  // namespace mamori::notice
