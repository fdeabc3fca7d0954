// A small HTML writer for the printable pages of this folder (report drafts
// and customer notices): every text goes through notice::EscapeHtml, values
// in Japanese on a page in English are marked lang="ja", and the pages are
// self-contained (inline CSS with print rules, no script, no external
// resource). Used by this folder only.
//
// Thread-safety: a Page is used by one thread.
#pragma once

#include <string>
#include <string_view>

namespace mamori::incident::internal {

class Page {
 public:
  // Starts the page: doctype, <html lang>, <head> with `title` and the
  // style sheet, and <body>. `lang` is "ja" or "en".
  Page(std::string_view lang, std::string_view title);

  void Raw(std::string_view html) { out_.append(html); }
  // Escaped text; line breaks become <br>.
  void Text(std::string_view text);
  // Text, in <span lang="ja"> when the page is not in Japanese and the text
  // is: a value the officer or the policy file gives in one language only.
  void Value(std::string_view text);
  // <tag>Text(text)</tag> and a line break; `Value` for ElementValue.
  void Element(std::string_view tag, std::string_view text);
  void ElementValue(std::string_view tag, std::string_view text);
  // The "to be completed" mark for a text not written yet.
  void Placeholder(std::string_view text);
  // <section> with an <h2 id> that labels it.
  void OpenSection(std::string_view id, std::string_view heading);
  void CloseSection() { Raw("</section>\n"); }

  // Closes <body> and <html> and returns the page.
  std::string Finish() &&;

 private:
  bool mark_japanese_;
  std::string out_;
};

}  // namespace mamori::incident::internal
