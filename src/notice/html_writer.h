// HtmlWriter: appends the HTML of a printable page to a string, every text
// through EscapeHtml. Shared by the public notices (notice_html.cc) and the
// incident pages (src/incident: report drafts, customer notices), so that
// escaping and the marking of Japanese values live in one place.
//
//   HtmlWriter page(/*mark_japanese=*/true);
//   page.OpenSection("purposes", "Purposes");
//   page.TermValue("Address", policy.operator_info.address);
//   page.CloseSection();
//   std::string html = std::move(page).Take();
//
// Thread-safety: a writer is used by one thread.
#pragma once

#include <string>
#include <string_view>

namespace mamori::notice {

// Whether UTF-8 `text` has a kana, kanji, CJK punctuation or full-width
// character (U+3000-U+9FFF, U+FF00-U+FFEF): a value written in Japanese.
bool HasJapanese(std::string_view text);

class HtmlWriter {
 public:
  // `mark_japanese`: on a page in another language, mark Japanese values as
  // such, so that screen readers read them in Japanese. `line_breaks`: a
  // line break in a text becomes <br> (texts an officer wrote).
  explicit HtmlWriter(bool mark_japanese, bool line_breaks = false)
      : mark_japanese_(mark_japanese), line_breaks_(line_breaks) {}

  void Raw(std::string_view html) { out_.append(html); }
  // Escaped text.
  void Text(std::string_view text);
  // A value given in one language only (an address, a contact, an
  // officer's text): Text, in <span lang="ja"> where it is Japanese on
  // another language's page.
  void Value(std::string_view text);
  // <tag>text</tag> and a line break; with Value for ElementValue.
  void Element(std::string_view tag, std::string_view text);
  void ElementValue(std::string_view tag, std::string_view text);
  // A term and its description in a <dl>; with Value for TermValue.
  void Term(std::string_view term, std::string_view description);
  void TermValue(std::string_view term, std::string_view description);
  // <section> with an <h2 id> that labels it.
  void OpenSection(std::string_view id, std::string_view heading);
  void CloseSection() { Raw("</section>\n"); }

  std::string Take() && { return std::move(out_); }

 private:
  bool mark_japanese_;
  bool line_breaks_;
  std::string out_;
};

}  // namespace mamori::notice
