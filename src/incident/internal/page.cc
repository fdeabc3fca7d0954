#include "incident/internal/page.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "notice/notice.h"

namespace mamori::incident::internal {
namespace {

// Legible on screen and on paper without any external resource; colors keep
// a contrast ratio above 7:1. Placeholders stay visible in print.
constexpr std::string_view kStyle =
    "body{font-family:system-ui,sans-serif;line-height:1.7;max-width:48rem;margin:0 auto;"
    "padding:1rem;color:#111;background:#fff}"
    "h1{font-size:1.5rem;line-height:1.3}"
    "h2{font-size:1.2rem;border-bottom:1px solid #555;margin-top:1.75rem}"
    "dt{font-weight:bold}dd{margin:0 0 .5rem 1.5rem}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #555;padding:.4rem .6rem;text-align:left;vertical-align:top}"
    "th{width:30%;background:#eee}"
    ".draft{border:2px solid #111;padding:.25rem .5rem;font-weight:bold}"
    ".todo{border:1px dashed #111;padding:0 .25rem;font-weight:bold}"
    "footer{margin-top:2rem;border-top:1px solid #555;font-size:.9rem}"
    "@media print{body{max-width:none;padding:0}h2{break-after:avoid}"
    "tr,li,dl{break-inside:avoid}th{background:none}}";

// Whether UTF-8 `text` has a kana, kanji, CJK punctuation or full-width
// character (U+3000-U+9FFF, U+FF00-U+FFEF): a value written in Japanese.
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

}  // namespace

Page::Page(std::string_view lang, std::string_view title) : mark_japanese_(lang != "ja") {
  Raw("<!DOCTYPE html>\n<html lang=\"");
  Text(lang);
  Raw("\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
  Element("title", title);
  Raw("<style>");
  Raw(kStyle);
  Raw("</style>\n</head>\n<body>\n");
}

void Page::Text(std::string_view text) {
  size_t start = 0;
  while (true) {
    const size_t end = text.find('\n', start);
    out_ += notice::EscapeHtml(text.substr(start, end - start));
    if (end == std::string_view::npos) return;
    Raw("<br>");
    start = end + 1;
  }
}

void Page::Value(std::string_view text) {
  if (!mark_japanese_ || !HasJapanese(text)) return Text(text);
  Raw("<span lang=\"ja\">");
  Text(text);
  Raw("</span>");
}

void Page::Element(std::string_view tag, std::string_view text) {
  absl::StrAppend(&out_, "<", common::ToAbsl(tag), ">");
  Text(text);
  absl::StrAppend(&out_, "</", common::ToAbsl(tag), ">\n");
}

void Page::ElementValue(std::string_view tag, std::string_view text) {
  absl::StrAppend(&out_, "<", common::ToAbsl(tag), ">");
  Value(text);
  absl::StrAppend(&out_, "</", common::ToAbsl(tag), ">\n");
}

void Page::Placeholder(std::string_view text) {
  Raw("<span class=\"todo\">");
  Text(text);
  Raw("</span>");
}

void Page::OpenSection(std::string_view id, std::string_view heading) {
  absl::StrAppend(&out_, "<section aria-labelledby=\"", common::ToAbsl(id), "\">\n<h2 id=\"",
                  common::ToAbsl(id), "\">");
  Text(heading);
  Raw("</h2>\n");
}

std::string Page::Finish() && {
  Raw("</body>\n</html>\n");
  return std::move(out_);
}

}  // namespace mamori::incident::internal
