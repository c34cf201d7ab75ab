// The explore tables' CSV dialect (csv.hpp).
#include "csv.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <utility>

#include "einfuse/einsum/shape.hpp"

namespace einfuse::explore::csv {

std::string join(const Columns& cols) {
  std::string s;
  for (const std::string& c : cols) s += (s.empty() ? "" : ",") + c;
  return s;
}

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Model and design names are free text.
std::string field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string q = "\"";
  for (char c : text) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void write_line(std::ostream& out, const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + fields[i];
  out << line << '\n';
}

Reader::Reader(std::istream& in, std::string file, const Columns& cols)
    : text_(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()),
      file_(std::move(file)),
      cols_(cols) {
  if (text_.rfind("\xEF\xBB\xBF", 0) == 0) pos_ = 3;  // a spreadsheet's UTF-8 mark
  std::vector<std::string> header;
  if (!next(header)) fail("empty file, expected the header '" + join(cols_) + "'");
  for (std::size_t i = 0; i < std::max(header.size(), cols_.size()); ++i) {
    if (i >= header.size()) {
      fail("column '" + cols_[i] + "': missing from the header (expected '" + join(cols_) + "')");
    }
    if (i >= cols_.size()) {
      fail("column " + std::to_string(i + 1) + ": unexpected header '" + header[i] +
           "' (expected '" + join(cols_) + "')");
    }
    if (header[i] != cols_[i]) {
      fail("column " + std::to_string(i + 1) + ": expected header '" + cols_[i] + "', got '" +
           header[i] + "' (expected '" + join(cols_) + "')");
    }
  }
}

bool Reader::row() {
  if (!next(fields_)) return false;
  if (fields_.size() < cols_.size()) {
    fail("column '" + cols_[fields_.size()] + "': missing (expected " +
         std::to_string(cols_.size()) + " fields, got " + std::to_string(fields_.size()) + ")");
  }
  if (fields_.size() > cols_.size()) {
    fail("column " + std::to_string(cols_.size() + 1) + ": unexpected extra field '" +
         fields_[cols_.size()] + "' (expected " + std::to_string(cols_.size()) + " fields)");
  }
  return true;
}

std::string Reader::text(std::size_t i) const {
  if (fields_[i].empty()) bad(i, "a non-empty text");
  return fields_[i];
}

std::string Reader::length(std::size_t i) const {
  try {
    (void)einsum::parse_length(fields_[i]);
  } catch (const std::invalid_argument&) {
    bad(i, "a length such as 1K, 64K, 1M or 4096");
  }
  return fields_[i];
}

double Reader::real(std::size_t i) const {
  const std::string& f = fields_[i];
  double v = 0;
  const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
  if (f.empty() || ec != std::errc{} || end != f.data() + f.size()) bad(i, "a number");
  return v;
}

void Reader::fail(const std::string& what) const {
  throw std::runtime_error(file_ + ":" + std::to_string(record_line_) + ": " + what);
}
void Reader::bad(std::size_t i, const std::string& expected) const {
  fail("column '" + cols_[i] + "': expected " + expected + ", got '" + fields_[i] + "'");
}

// One record; a CR before a line end is dropped (files saved on Windows).
bool Reader::next(std::vector<std::string>& out) {
  out.clear();
  if (pos_ >= text_.size()) return false;
  record_line_ = line_;
  std::string cur;
  bool quoted = false;      // inside "..."
  bool was_quoted = false;  // the current field was a quoted one (text after it is an error)
  while (pos_ < text_.size()) {
    const char c = text_[pos_++];
    if (quoted) {
      if (c == '"' && pos_ < text_.size() && text_[pos_] == '"') {
        cur += '"';
        ++pos_;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line_;
        cur += c;
      }
      continue;
    }
    if (c == '\n') {
      ++line_;
      break;
    }
    if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') continue;
    if (c == ',') {
      out.push_back(std::move(cur));
      cur.clear();
      was_quoted = false;
      continue;
    }
    if (was_quoted) {
      fail("column " + std::to_string(out.size() + 1) + ": text after a closing quote");
    }
    if (c == '"') {
      if (!cur.empty()) fail("column " + std::to_string(out.size() + 1) + ": stray '\"' in a field");
      quoted = was_quoted = true;
      continue;
    }
    cur += c;
  }
  if (quoted) fail("column " + std::to_string(out.size() + 1) + ": unterminated quoted field");
  out.push_back(std::move(cur));
  return true;
}

}  // namespace einfuse::explore::csv
