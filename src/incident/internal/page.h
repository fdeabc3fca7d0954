// The printable pages of this folder (report drafts and customer
// notices): a notice::HtmlWriter (every text escaped, Japanese values on an
// English page marked lang="ja", line breaks kept) with a self-contained
// head (inline CSS with print rules, no script, no external resource) and
// the "to be completed" mark. Used by this folder only.
//
// Thread-safety: a Page is used by one thread.
#pragma once

#include <string>
#include <string_view>

#include "notice/html_writer.h"

namespace mamori::incident::internal {

class Page : public notice::HtmlWriter {
 public:
  // Starts the page: doctype, <html lang>, <head> with `title` and the
  // style sheet, and <body>. `lang` is "ja" or "en".
  Page(std::string_view lang, std::string_view title);

  // The "to be completed" mark for a text not written yet.
  void Placeholder(std::string_view text);

  // Closes <body> and <html> and returns the page.
  std::string Finish() &&;
};

}  // namespace mamori::incident::internal
