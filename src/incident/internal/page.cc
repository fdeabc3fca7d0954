#include "incident/internal/page.h"

#include <utility>

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

}  // namespace

Page::Page(std::string_view lang, std::string_view title)
    : notice::HtmlWriter(/*mark_japanese=*/lang != "ja", /*line_breaks=*/true) {
  Raw("<!DOCTYPE html>\n<html lang=\"");
  Text(lang);
  Raw("\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
  Element("title", title);
  Raw("<style>");
  Raw(kStyle);
  Raw("</style>\n</head>\n<body>\n");
}

void Page::Placeholder(std::string_view text) {
  Raw("<span class=\"todo\">");
  Text(text);
  Raw("</span>");
}

std::string Page::Finish() && {
  Raw("</body>\n</html>\n");
  return std::move(*this).Take();
}

}  // namespace mamori::incident::internal
