// Strict YAML reading shared by the mapper's loaders (arch specs, mappings): every mapping's
// keys are checked against a schema (unknown, repeated and missing keys are errors), every
// value's type and range, and each error is a CascadeError pointing at the node that caused
// it (file:line:col, the line with a caret, what was expected). Private to einfuse_mapper.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "einfuse/einsum/diagnostics.hpp"

namespace einfuse::mapper::yaml_strict {

using einfuse::einsum::SourceLoc;
using einfuse::einsum::SourceText;

/// yaml-cpp marks are 0-based; a mark of -1 means "unknown".
SourceLoc loc_of(const YAML::Mark& mark, std::size_t length = 1);
/// Where a node starts; a scalar's caret underlines the whole scalar.
SourceLoc loc_of(const YAML::Node& node);

std::string join(const std::vector<std::string>& names);
bool contains(const std::vector<std::string>& names, const std::string& name);

/// Shortest text that parses back to the same double, so a dump loses nothing.
std::string exact(double v);

/// One entry of a mapping: the key node (for "where is it") and its value.
struct Field {
  YAML::Node key;
  YAML::Node value;
};
using Fields = std::map<std::string, Field>;
/// The entries of a mapping in the order they are written.
using OrderedFields = std::vector<std::pair<std::string, Field>>;

/// A reader of one source text: the checks below throw CascadeError into that text.
class Reader {
 public:
  Reader(std::string file, std::string text);

  /// Parses the text; a syntax error, or a document that is not a mapping, is an error whose
  /// expected line ends with `doc` (e.g. "docs/arch-spec.md"). `what` names the document
  /// ("an arch spec").
  YAML::Node load_root(const std::string& what, const std::string& doc);

  /// Checks that `node` is a mapping whose keys are each in `allowed`, given once, with every
  /// one of `required` present; the missing-key error points at the mapping itself.
  Fields fields(const YAML::Node& node, const std::string& where, const std::vector<std::string>& allowed,
                const std::vector<std::string>& required);
  /// The same checks; the entries in the order written.
  OrderedFields ordered_fields(const YAML::Node& node, const std::string& where,
                               const std::vector<std::string>& allowed, const std::vector<std::string>& required);
  /// A mapping whose keys are free names (ranks, tensors): each a plain scalar, given once.
  /// `key_kind` names what a key is ("rank"), for the messages.
  OrderedFields named_entries(const YAML::Node& node, const std::string& where, const std::string& key_kind);

  /// A non-empty scalar.
  std::string text(const YAML::Node& value, const std::string& key);
  /// A scalar that is one of `allowed`.
  std::string choice(const YAML::Node& value, const std::string& key, const std::vector<std::string>& allowed);
  /// How a value is shown in a message: 'scalar', (a mapping), (a list) or (nothing).
  static std::string shown(const YAML::Node& value);

  /// A positive decimal integer that fits int64.
  std::int64_t positive(const YAML::Node& value, const std::string& key);
  /// A positive integer that fits int.
  int positive_int(const YAML::Node& value, const std::string& key);
  /// A finite decimal number; `expected` is the expected line of its errors.
  double number(const YAML::Node& value, const std::string& key, const std::string& expected);
  /// A finite number > 0.
  double positive_real(const YAML::Node& value, const std::string& key, const std::string& unit);

  [[noreturn]] void fail(SourceLoc loc, const std::string& message, const std::string& expected) const;

 private:
  std::shared_ptr<const SourceText> source_;
};

}  // namespace einfuse::mapper::yaml_strict
