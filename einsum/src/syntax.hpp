// The syntax tree of a cascade file, before names are resolved (internal).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "einfuse/einsum/diagnostics.hpp"

namespace einfuse::einsum::detail {

struct SyntaxExpr {
  enum class Kind { number, name, index, call, unary, binary };
  Kind kind = Kind::number;
  std::string name;  ///< name, index/call target, or operator spelling
  double value = 0.0;        ///< number value (integers: the double conversion of `integer`)
  std::int64_t integer = 0;  ///< exact value of an integer literal (is_integer)
  bool is_integer = false;
  std::vector<std::unique_ptr<SyntaxExpr>> args;
  SourceLoc loc;
};
using SyntaxExprPtr = std::unique_ptr<SyntaxExpr>;

struct NameRef {
  std::string name;
  SourceLoc loc;
};

struct RankItem {
  NameRef name;
  std::optional<long long> extent;
};

struct TypeSpec {
  NameRef dtype;
  std::optional<NameRef> acc;
};

struct LhsIndex {
  NameRef var;
  bool plus_one = false;
};

struct Statement {
  enum class Kind { cascade, batch, rank, param, let, split, input, output, tensor, default_type,
                    einsum };
  Kind kind = Kind::einsum;
  SourceLoc loc;  ///< the statement's first token
  NameRef name;   ///< cascade/let/split rank/tensor/einsum output name
  std::vector<RankItem> items;  ///< batch/rank/param
  std::vector<NameRef> parts;   ///< split parts
  std::vector<SyntaxExprPtr> factors;  ///< split `by` factors
  SyntaxExprPtr value;          ///< let definition
  bool has_slots = false;       ///< input/output declared with brackets
  std::vector<NameRef> slots;   ///< input/output slot variables
  std::optional<TypeSpec> type;
  std::optional<std::pair<double, SourceLoc>> default_value;
  // Einsum
  std::vector<LhsIndex> lhs;
  bool lhs_brackets = false;
  std::optional<NameRef> reduction;  ///< sum/max/min/topk/filter
  std::vector<NameRef> reduction_vars;  ///< reduced vars, or {source, target} for populate
  SyntaxExprPtr rhs;
  SyntaxExprPtr where;
  std::optional<std::pair<double, SourceLoc>> init;
};

struct SyntaxFile {
  std::vector<Statement> statements;
};

/// Parses tokens into statements. Throws CascadeError on a syntax error.
SyntaxFile parse_syntax(const SourceText& source);

}  // namespace einfuse::einsum::detail
