// The resolver's state and steps (internal to the einsum library): resolve.cpp holds the
// declarations and Einsums, resolve_expr.cpp the expressions.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "syntax.hpp"

namespace einfuse::einsum::detail {

inline const std::set<std::string, std::less<>> kKeywords = {
    "cascade", "batch", "rank", "param", "let", "split", "by", "input", "output", "tensor",
    "default", "acc", "where", "init", "inf", "and", "or", "not",
    "sum", "max", "min", "topk", "filter", "exp", "recip", "sqrt", "abs", "neg", "select",
    "clamp"};

struct FunctionInfo {
  Op op;
  std::size_t arity;
};
inline const std::map<std::string, FunctionInfo, std::less<>> kFunctions = {
    {"max", {Op::max, 2}},     {"min", {Op::min, 2}},       {"exp", {Op::exp, 1}},
    {"recip", {Op::recip, 1}}, {"sqrt", {Op::sqrt, 1}},     {"abs", {Op::abs, 1}},
    {"neg", {Op::neg, 1}},     {"select", {Op::select, 3}}, {"clamp", {Op::clamp, 3}}};

class Resolver {
 public:
  Resolver(std::shared_ptr<const SourceText> source, SyntaxFile& file)
      : source_(std::move(source)), file_(file) {
    cascade_.source = source_;
  }

  Cascade run();

 private:
  [[noreturn]] void fail(SourceLoc loc, const std::string& message, const std::string& expected) {
    throw CascadeError(source_.get(), loc, message, expected);
  }
  // The caret for a whole operand: from its leftmost token to its rightmost one (a binary
  // node's own location is its operator). Brackets and parentheses are not in the tree, so
  // the range starts at the first name or number.
  template <class Node>
  static SourceLoc span_of(const Node& s) {
    SourceLoc first = s.loc;
    SourceLoc last = s.loc;
    std::vector<const Node*> todo{&s};
    while (!todo.empty()) {
      const Node* n = todo.back();
      todo.pop_back();
      const auto before = [](SourceLoc a, SourceLoc b) { return a.line != b.line ? a.line < b.line : a.col < b.col; };
      if (before(n->loc, first)) first = n->loc;
      if (before(last, n->loc)) last = n->loc;
      for (const auto& a : n->args) todo.push_back(&*a);
    }
    if (last.line == first.line) first.length = last.col + last.length - first.col;
    return first;
  }
  static SourceLoc loc_of(const NameRef& n) {
    SourceLoc l = n.loc;
    l.length = static_cast<std::uint32_t>(std::max<std::size_t>(n.name.size(), 1));
    return l;
  }

  // ---- names ---------------------------------------------------------------------------

  void check_fresh_name(const NameRef& n, const char* what);

  RankId add_rank(const NameRef& n, Rank::Kind kind, std::optional<long long> extent);

  DType dtype_of(const NameRef& n);

  std::pair<DType, DType> types_of(const TypeSpec& spec);

  // ---- declarations --------------------------------------------------------------------

  void declaration(Statement& st);

  void split(Statement& st);

  std::vector<RankId> slot_ranks(const std::vector<NameRef>& vars, const char* where);

  double checked_default(const Tensor& t, const std::pair<double, SourceLoc>& value);

  void tensor_decl(Statement& st);

  void apply_tensor_decl(Statement& st);

  std::string known_vars() const;

  // ---- Einsums ---------------------------------------------------------------------------

  void einsum_lhs(Statement& st);

  std::string slot_text(const std::vector<RankId>& ranks) const;

  void einsum_rhs(Statement& st, Einsum& e);

  static bool mentions(const Expr& e, RankId var) {
    if (e.kind == Expr::Kind::var && e.id == var) return true;
    return std::any_of(e.args.begin(), e.args.end(), [&](const Expr* a) { return mentions(*a, var); });
  }
  void collect_vars(const Expr& e);

  RankId var_of(const NameRef& v);

  // An iterative Einsum reads its own output only at the previous slice `r`, and nobody
  // reads a tensor at the step slot with `r+1` unless the tensor is iterative.
  void check_iterative_reads(const Einsum& e);

  // ---- expressions -----------------------------------------------------------------------

  Expr* new_expr(Expr::Kind kind, SourceLoc loc);

  // Constant expressions (split factors, `let`): numbers, sizes, parameters and + - * / %.
  const Expr* constant_expr(const SyntaxExpr& s, const char* what);

  const Expr* value_expr(const SyntaxExpr& s);

  const Expr* name_expr(const SyntaxExpr& s);

  const Expr* access_expr(const SyntaxExpr& s);

  const Expr* call_expr(const SyntaxExpr& s);

  static ValueType join(ValueType a, ValueType b);

  const Expr* binary_expr(const SyntaxExpr& s);

  void final_checks();

  std::shared_ptr<const SourceText> source_;
  SyntaxFile& file_;
  Cascade cascade_;
  DType default_dtype_ = DType::fp32;
  DType default_acc_ = DType::fp32;
  bool default_seen_ = false;
  std::vector<bool> declared_slots_;
  std::set<TensorId> tensor_decl_seen_;
  Einsum* current_ = nullptr;
  const char* constant_context_ = nullptr;
  std::set<RankId> used_vars_;
  std::vector<std::pair<const Expr*, SourceLoc>> own_reads_;
};

}  // namespace einfuse::einsum::detail
