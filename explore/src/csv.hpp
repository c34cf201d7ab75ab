// The CSV dialect of every explore table (docs/explore.md, "CSV schemas"): writers that quote
// only where needed and print doubles with 17 significant digits (a merge reproduces them bit
// for bit), and a strict reader. Readers are strict because `einfuse merge` trusts what it
// reads: a truncated or hand-edited shard must fail with the file, line and column, not
// yield a quietly wrong report. Private to einfuse_explore.
#pragma once

#include <charconv>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace einfuse::explore::csv {

using Columns = std::vector<std::string>;

std::string join(const Columns& cols);     ///< "a,b,c"
std::string number(double v);              ///< %.17g
std::string field(const std::string& text);  ///< RFC 4180 quoting, only where needed
void write_line(std::ostream& out, const std::vector<std::string>& fields);

/// Splits CSV text into records (quoted fields may hold commas, quotes and newlines) and
/// turns each into typed values, reporting file:line and the column on any fault. A CR
/// before a line end and a leading UTF-8 byte-order mark are accepted.
class Reader {
 public:
  /// Reads the header and checks it against `cols` exactly.
  Reader(std::istream& in, std::string file, const Columns& cols);

  /// The next data row, checked for its field count; false at the end of the file.
  bool row();

  std::string text(std::size_t i) const;  ///< non-empty text
  std::string raw(std::size_t i) const { return fields_[i]; }  ///< any text, empty included
  std::string length(std::size_t i) const;  ///< a length label: 1K, 64K, 1M or a plain number
  double real(std::size_t i) const;

  /// Throws "FILE:LINE: what" for the current row.
  [[noreturn]] void fail(const std::string& what) const;

  template <typename Int>
  Int integer(std::size_t i, const char* what) const {
    const std::string& f = fields_[i];
    Int v = 0;
    const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (f.empty() || ec != std::errc{} || end != f.data() + f.size()) bad(i, what);
    return v;
  }

 private:
  [[noreturn]] void bad(std::size_t i, const std::string& expected) const;
  bool next(std::vector<std::string>& out);

  std::string text_;
  std::string file_;
  const Columns& cols_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int record_line_ = 1;
  std::vector<std::string> fields_;
};

/// `reader(stream, path)` on the file at `path`; a file that cannot be opened is an error
/// naming it.
template <typename Read>
auto read_file(const std::filesystem::path& path, Read reader) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open (missing file?)");
  return reader(in, path.string());
}

}  // namespace einfuse::explore::csv
