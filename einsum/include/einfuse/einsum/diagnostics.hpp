// Diagnostics: every error in a cascade names file:line:col, shows the line with a
// caret under the offending text, and says what was expected.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace einfuse::einsum {

/// A position in a source text; line and col are 1-based, length is the number of
/// characters the caret underlines (at least 1).
struct SourceLoc {
  std::uint32_t line = 0;
  std::uint32_t col = 0;
  std::uint32_t length = 1;
  bool known() const { return line != 0; }
};

/// One source text with its name (a file path or "<string>").
struct SourceText {
  std::string name;
  std::string text;
  /// The text of 1-based line `line`, without its newline.
  std::string_view line_text(std::uint32_t line) const;
};

/// An error in a cascade, a shape or a user input. `what()` is the full formatted report:
///   file:line:col: error: message
///      3 | LM[m1,p] = max(m0) QKK[m1,m0,p]
///        |                    ^~~
///   expected: a tensor declared with 'input' or defined by an Einsum
class CascadeError : public std::runtime_error {
 public:
  CascadeError(const SourceText* source, SourceLoc loc, std::string message,
               std::string expected = {});
  const std::string& file() const { return file_; }
  SourceLoc loc() const { return loc_; }
  const std::string& message() const { return message_; }
  const std::string& expected() const { return expected_; }

 private:
  std::string file_;
  SourceLoc loc_;
  std::string message_;
  std::string expected_;
};

/// Formats a diagnostic in the style above (used by CascadeError and by warnings).
std::string format_diagnostic(const SourceText* source, SourceLoc loc, std::string_view severity,
                              std::string_view message, std::string_view expected);

}  // namespace einfuse::einsum
