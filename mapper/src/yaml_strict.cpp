// Strict YAML reading shared by the arch-spec and mapping loaders (yaml_strict.hpp).
#include "yaml_strict.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>
#include <system_error>

namespace einfuse::mapper::yaml_strict {

using einfuse::einsum::CascadeError;

SourceLoc loc_of(const YAML::Mark& mark, std::size_t length) {
  if (mark.line < 0 || mark.column < 0) return SourceLoc{};
  return SourceLoc{static_cast<std::uint32_t>(mark.line + 1), static_cast<std::uint32_t>(mark.column + 1),
                   static_cast<std::uint32_t>(std::max<std::size_t>(length, 1))};
}

SourceLoc loc_of(const YAML::Node& node) {
  return loc_of(node.Mark(), node.IsScalar() ? node.Scalar().size() : 1);
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string exact(double v) {
  std::array<char, 32> buf{};
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), result.ptr);
}

Reader::Reader(std::string file, std::string text)
    : source_(std::make_shared<SourceText>(SourceText{std::move(file), std::move(text)})) {}

YAML::Node Reader::load_root(const std::string& what, const std::string& doc) {
  YAML::Node root;
  try {
    root = YAML::Load(source_->text);
  } catch (const YAML::ParserException& e) {
    fail(loc_of(e.mark), "YAML syntax error: " + e.msg, "a mapping of 'key: value' lines (" + doc + ")");
  }
  if (!root.IsMap()) {
    fail(root.IsDefined() && !root.IsNull() ? loc_of(root.Mark()) : SourceLoc{1, 1, 1},
         what + " must be a mapping of keys to values", "'key: value' lines (" + doc + ")");
  }
  return root;
}

OrderedFields Reader::ordered_fields(const YAML::Node& node, const std::string& where,
                                     const std::vector<std::string>& allowed,
                                     const std::vector<std::string>& required) {
  if (!node.IsMap()) fail(loc_of(node), where + " must be a mapping", "indented 'key: value' lines, one of: " + join(allowed));
  OrderedFields out;
  const auto given = [&out](const std::string& k) {
    return std::any_of(out.begin(), out.end(), [&k](const auto& entry) { return entry.first == k; });
  };
  for (const auto& entry : node) {
    const YAML::Node key = entry.first;
    if (!key.IsScalar()) fail(loc_of(key), "a key in " + where + " must be a plain name", "one of: " + join(allowed));
    const std::string& k = key.Scalar();
    if (!contains(allowed, k)) fail(loc_of(key), "unknown key '" + k + "' in " + where, "one of: " + join(allowed));
    if (given(k)) fail(loc_of(key), "key '" + k + "' is given twice in " + where, "each key once");
    out.emplace_back(k, Field{key, entry.second});
  }
  for (const std::string& r : required) {
    if (!given(r)) fail(loc_of(node.Mark()), "missing key '" + r + "' in " + where, "every one of: " + join(required));
  }
  return out;
}

Fields Reader::fields(const YAML::Node& node, const std::string& where, const std::vector<std::string>& allowed,
                      const std::vector<std::string>& required) {
  OrderedFields ordered = ordered_fields(node, where, allowed, required);
  Fields out;
  for (auto& [k, field] : ordered) out.emplace(k, std::move(field));
  return out;
}

OrderedFields Reader::named_entries(const YAML::Node& node, const std::string& where, const std::string& key_kind) {
  if (!node.IsMap()) fail(loc_of(node), where + " must be a mapping", "'" + key_kind + ": value' entries");
  OrderedFields out;
  for (const auto& entry : node) {
    const YAML::Node key = entry.first;
    if (!key.IsScalar() || key.Scalar().empty()) {
      fail(loc_of(key), "a " + key_kind + " in " + where + " must be a plain name", "a " + key_kind + " name");
    }
    const std::string& k = key.Scalar();
    for (const auto& [seen, field] : out) {
      if (seen == k) fail(loc_of(key), key_kind + " '" + k + "' is given twice in " + where, "each " + key_kind + " once");
    }
    out.emplace_back(k, Field{key, entry.second});
  }
  return out;
}

std::string Reader::text(const YAML::Node& value, const std::string& key) {
  if (!value.IsScalar() || value.Scalar().empty()) fail(loc_of(value), "'" + key + "' must be a non-empty text", "a string");
  return value.Scalar();
}

std::string Reader::choice(const YAML::Node& value, const std::string& key, const std::vector<std::string>& allowed) {
  if (!value.IsScalar() || !contains(allowed, value.Scalar())) {
    fail(loc_of(value), "bad value " + shown(value) + " for '" + key + "'", "one of: " + join(allowed));
  }
  return value.Scalar();
}

std::string Reader::shown(const YAML::Node& value) {
  if (value.IsScalar()) return "'" + value.Scalar() + "'";
  return value.IsMap() ? "(a mapping)" : value.IsSequence() ? "(a list)" : "(nothing)";
}

std::int64_t Reader::positive(const YAML::Node& value, const std::string& key) {
  const std::string expected = "a positive integer, e.g. 256";
  if (!value.IsScalar()) fail(loc_of(value), "'" + key + "' must be an integer, not " + shown(value), expected);
  const std::string& s = value.Scalar();
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) fail(loc_of(value), "'" + key + "' = " + s + " is out of range", expected);
  if (ec != std::errc{} || end != s.data() + s.size()) {
    fail(loc_of(value), "'" + key + "' must be an integer, not '" + s + "'", expected);
  }
  if (v <= 0) fail(loc_of(value), "'" + key + "' must be positive, not " + s, expected);
  return v;
}

int Reader::positive_int(const YAML::Node& value, const std::string& key) {
  const std::int64_t v = positive(value, key);
  if (v > std::numeric_limits<int>::max()) {
    fail(loc_of(value), "'" + key + "' = " + std::to_string(v) + " is out of range",
         "at most " + std::to_string(std::numeric_limits<int>::max()));
  }
  return static_cast<int>(v);
}

double Reader::number(const YAML::Node& value, const std::string& key, const std::string& expected) {
  if (!value.IsScalar()) fail(loc_of(value), "'" + key + "' must be a number, not " + shown(value), expected);
  const std::string& s = value.Scalar();
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) {
    fail(loc_of(value), "'" + key + "' must be a number, not '" + s + "'", expected);
  }
  return v;
}

double Reader::positive_real(const YAML::Node& value, const std::string& key, const std::string& unit) {
  const std::string expected = "a positive number of " + unit + ", e.g. 17.1645";
  const double v = number(value, key, expected);
  if (v <= 0) fail(loc_of(value), "'" + key + "' must be positive, not " + value.Scalar(), expected);
  return v;
}

void Reader::fail(SourceLoc loc, const std::string& message, const std::string& expected) const {
  throw CascadeError(source_.get(), loc, message, expected);
}

}  // namespace einfuse::mapper::yaml_strict
