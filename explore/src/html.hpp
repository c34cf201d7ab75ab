// Pieces the report's sections share (explore_report.cpp, fidelity_report.cpp): number
// formats that do not depend on the locale, and the page's "no data" note and figure box.
// Private to einfuse_explore.
#pragma once

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "svg_plot.hpp"

namespace einfuse::explore::html {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline const char* const kDash = "\xE2\x80\x94";  // an em dash: "no value"

inline std::string printf_g(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

inline std::string printf_f(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

/// 402653184 -> "402,653,184": traffic and cycle counts are read digit by digit.
inline std::string grouped(std::uint64_t v) {
  std::string digits = std::to_string(v), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

/// A section's note that its data is missing.
inline std::string missing(const std::string& text) {
  return "<p class=\"missing\">" + svg::escape_xml(text) + "</p>\n";
}

inline std::string figure(const std::string& svg_text) { return "<div class=\"fig\">\n" + svg_text + "</div>\n"; }

}  // namespace einfuse::explore::html
