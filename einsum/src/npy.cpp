// .npy reading and writing (npy.hpp). The format: the magic "\x93NUMPY", a major and minor
// version byte, a little-endian header length (2 bytes in 1.0, 4 in 2.0/3.0), then a
// Python dict literal {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), } padded
// with spaces and a newline so the data starts at a multiple of 64 bytes.
#include "einfuse/einsum/npy.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "einfuse/einsum/diagnostics.hpp"
#include "einfuse/einsum/safe_write.hpp"

namespace einfuse::einsum {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the .npy reader copies little-endian data directly");

constexpr std::string_view kMagic = "\x93NUMPY";

[[noreturn]] void fail(const std::string& name, const std::string& message, const std::string& expected = {}) {
  const SourceText source{name, {}};
  throw CascadeError(&source, SourceLoc{}, message, expected);
}

std::string_view descr_of(NpyType t) {
  switch (t) {
    case NpyType::float64: return "<f8";
    case NpyType::float32: return "<f4";
    case NpyType::int32: return "<i4";
  }
  return "<f8";
}
std::size_t bytes_of(NpyType t) { return t == NpyType::float64 ? 8 : 4; }

// The value of `key` in the header dict, as raw text up to the next top-level ',' or '}'.
std::string_view dict_value(std::string_view header, std::string_view key, const std::string& name) {
  for (const char quote : {'\'', '"'}) {
    // Built piecewise: GCC 12 warns falsely (-Wrestrict) on a chain of operator+ here.
    std::string quoted(1, quote);
    quoted.append(key);
    quoted.push_back(quote);
    const std::size_t at = header.find(quoted);
    if (at == std::string_view::npos) continue;
    std::size_t pos = header.find(':', at + quoted.size());
    if (pos == std::string_view::npos) break;
    ++pos;
    while (pos < header.size() && header[pos] == ' ') ++pos;
    std::size_t end = pos;
    int depth = 0;
    while (end < header.size()) {
      const char ch = header[end];
      if (ch == '(') ++depth;
      if (ch == ')') --depth;
      if (depth == 0 && (ch == ',' || ch == '}')) break;
      ++end;
    }
    return header.substr(pos, end - pos);
  }
  fail(name, "the .npy header has no '" + std::string(key) + "' entry",
       "a header dict with 'descr', 'fortran_order' and 'shape'");
}

std::vector<std::int64_t> parse_shape(std::string_view text, const std::string& name) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    fail(name, "malformed shape '" + std::string(text) + "' in the .npy header", "a tuple such as (2, 3)");
  }
  std::vector<std::int64_t> shape;
  std::size_t i = 1;
  while (i + 1 < text.size()) {
    while (i + 1 < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
    if (i + 1 >= text.size()) break;
    std::int64_t v = 0;
    bool digits = false;
    while (i + 1 < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, text[i] - '0', &v)) {
        fail(name, "shape entry too large in the .npy header");
      }
      digits = true;
      ++i;
    }
    if (i + 1 < text.size() && text[i] == 'L') ++i;  // Python 2 long suffix
    if (!digits) fail(name, "malformed shape '" + std::string(text) + "' in the .npy header", "non-negative integers");
    shape.push_back(v);
  }
  return shape;
}

template <class T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

DenseTensor parse_npy(std::string_view bytes, const std::string& name, NpyType* stored) {
  if (bytes.size() < 10 || bytes.substr(0, kMagic.size()) != kMagic) {
    fail(name, "not a .npy file (no \\x93NUMPY magic)", "a file written by numpy.save");
  }
  const auto major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0, data_start = 0;
  if (major == 1) {
    header_len = load<std::uint16_t>(bytes.data() + 8);
    data_start = 10 + header_len;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail(name, "truncated .npy header");
    header_len = load<std::uint32_t>(bytes.data() + 8);
    data_start = 12 + header_len;
  } else {
    fail(name, ".npy format version " + std::to_string(major) + " is not supported", "version 1.0, 2.0 or 3.0");
  }
  if (data_start > bytes.size()) fail(name, "truncated .npy header", "a complete file");
  const std::string_view header = bytes.substr(data_start - header_len, header_len);

  std::string_view descr = dict_value(header, "descr", name);
  if (descr.size() >= 2 && (descr.front() == '\'' || descr.front() == '"')) descr = descr.substr(1, descr.size() - 2);
  NpyType type;
  if (descr == "<f8") {
    type = NpyType::float64;
  } else if (descr == "<f4") {
    type = NpyType::float32;
  } else if (descr == "<i4") {
    type = NpyType::int32;
  } else if (!descr.empty() && descr.front() == '>') {
    fail(name, "big-endian dtype '" + std::string(descr) + "' is not supported",
         "little-endian data (numpy: arr.astype(arr.dtype.newbyteorder('<')))");
  } else {
    fail(name, "dtype '" + std::string(descr) + "' is not supported", "float64 '<f8', float32 '<f4' or int32 '<i4'");
  }
  const std::string_view fortran = dict_value(header, "fortran_order", name);
  if (fortran.substr(0, 4) == "True") {
    fail(name, "Fortran-ordered arrays are not supported", "C order (numpy: np.ascontiguousarray(arr))");
  }
  if (fortran.substr(0, 5) != "False") fail(name, "malformed 'fortran_order' in the .npy header", "True or False");

  std::vector<std::int64_t> shape = parse_shape(dict_value(header, "shape", name), name);
  std::size_t count = 0;
  try {
    count = DenseTensor::element_count(shape);
  } catch (const std::length_error&) {
    fail(name, "the .npy shape has too many elements");
  }
  const std::size_t width = bytes_of(type);
  if (count > (bytes.size() - data_start) / width) {
    fail(name, "truncated .npy data: " + std::to_string(bytes.size() - data_start) + " bytes for " +
                   std::to_string(count) + " elements of " + std::to_string(width) + " bytes",
         "a complete file");
  }
  DenseTensor t;
  t.extents = std::move(shape);
  t.data.resize(count);
  const char* p = bytes.data() + data_start;
  for (std::size_t i = 0; i < count; ++i, p += width) {
    switch (type) {
      case NpyType::float64: t.data[i] = load<double>(p); break;
      case NpyType::float32: t.data[i] = load<float>(p); break;
      case NpyType::int32: t.data[i] = load<std::int32_t>(p); break;
    }
  }
  if (stored) *stored = type;
  return t;
}

std::string format_npy(const DenseTensor& tensor, NpyType type, const std::string& name) {
  if (tensor.data.size() != DenseTensor::element_count(tensor.extents)) {
    fail(name, "tensor has " + std::to_string(tensor.data.size()) + " values for its extents", "consistent extents and data");
  }
  std::string dict = "{'descr': '" + std::string(descr_of(type)) + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < tensor.extents.size(); ++i) {
    dict += std::to_string(tensor.extents[i]);
    if (i + 1 < tensor.extents.size() || tensor.extents.size() == 1) dict += ",";
    if (i + 1 < tensor.extents.size()) dict += " ";
  }
  dict += "), }";
  // Pad with spaces and end with '\n' so the data starts at a multiple of 64 bytes.
  const bool v2 = dict.size() + 1 + 10 > 65535;
  const std::size_t prefix = v2 ? 12 : 10;
  const std::size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';

  std::string out(kMagic);
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  const auto len = static_cast<std::uint32_t>(dict.size());
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>((len >> 8) & 0xff);
  if (v2) {
    out += static_cast<char>((len >> 16) & 0xff);
    out += static_cast<char>((len >> 24) & 0xff);
  }
  out += dict;
  const std::size_t width = bytes_of(type);
  const std::size_t start = out.size();
  out.resize(start + width * tensor.data.size());
  char* p = out.data() + start;
  for (std::size_t i = 0; i < tensor.data.size(); ++i, p += width) {
    const double v = tensor.data[i];
    switch (type) {
      case NpyType::float64: std::memcpy(p, &v, 8); break;
      case NpyType::float32: {
        const auto f = static_cast<float>(v);
        std::memcpy(p, &f, 4);
        break;
      }
      case NpyType::int32: {
        if (!(v == std::floor(v) && v >= -2147483648.0 && v <= 2147483647.0)) {
          fail(name, "value " + std::to_string(v) + " at element " + std::to_string(i) + " is not an int32",
               "integer values in [-2^31, 2^31) for an int32 .npy file");
        }
        const auto n = static_cast<std::int32_t>(v);
        std::memcpy(p, &n, 4);
        break;
      }
    }
  }
  return out;
}

DenseTensor read_npy(const std::string& path, NpyType* stored) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  // A directory opens but throws std::ios_base::failure on the first read.
  if (!in || std::filesystem::is_directory(path, ec)) {
    fail(path, "cannot open file for reading", "an existing, readable .npy file");
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail(path, "read error");
  return parse_npy(bytes, path, stored);
}

void write_npy(const std::string& path, const DenseTensor& tensor, NpyType type) {
  const std::string bytes = format_npy(tensor, type, path);  // fails before touching the file
  try {
    write_file_safely(path, bytes);
  } catch (const std::runtime_error& e) {
    fail(path, e.what(), "a writable path");
  }
}

}  // namespace einfuse::einsum
