#include "einfuse/einsum/diagnostics.hpp"

#include <algorithm>

namespace einfuse::einsum {

std::string_view SourceText::line_text(std::uint32_t line) const {
  std::string_view all = text;
  std::uint32_t current = 1;
  std::size_t start = 0;
  while (current < line) {
    const std::size_t nl = all.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
    ++current;
  }
  std::size_t end = all.find('\n', start);
  if (end == std::string_view::npos) end = all.size();
  std::string_view out = all.substr(start, end - start);
  if (!out.empty() && out.back() == '\r') out.remove_suffix(1);
  return out;
}

std::string format_diagnostic(const SourceText* source, SourceLoc loc, std::string_view severity,
                              std::string_view message, std::string_view expected) {
  std::string out;
  out += source ? source->name : std::string("<input>");
  if (loc.known()) {
    out += ':' + std::to_string(loc.line) + ':' + std::to_string(loc.col);
  }
  out += ": ";
  out += severity;
  out += ": ";
  out += message;
  out += '\n';
  if (source && loc.known()) {
    const std::string_view line = source->line_text(loc.line);
    const std::string number = std::to_string(loc.line);
    out += ' ' + number + " | ";
    out += line;
    out += '\n';
    out += ' ' + std::string(number.size(), ' ') + " | ";
    // Keep tabs so the caret lines up under the text in a terminal.
    for (std::uint32_t i = 1; i < loc.col && i - 1 < line.size(); ++i) {
      out += line[i - 1] == '\t' ? '\t' : ' ';
    }
    out += '^';
    const std::uint32_t tail = std::max<std::uint32_t>(loc.length, 1) - 1;
    out += std::string(tail, '~');
    out += '\n';
  }
  if (!expected.empty()) {
    out += "expected: ";
    out += expected;
    out += '\n';
  }
  return out;
}

CascadeError::CascadeError(const SourceText* source, SourceLoc loc, std::string message,
                           std::string expected)
    : std::runtime_error(format_diagnostic(source, loc, "error", message, expected)),
      file_(source ? source->name : std::string("<input>")),
      loc_(loc),
      message_(std::move(message)),
      expected_(std::move(expected)) {}

}  // namespace einfuse::einsum
