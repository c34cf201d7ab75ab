#include "einfuse/einsum/cascade.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

namespace einfuse::einsum {

const char* op_name(Op op) {
  switch (op) {
    case Op::add: return "+";
    case Op::sub: return "-";
    case Op::mul: return "*";
    case Op::div: return "/";
    case Op::mod: return "%";
    case Op::neg: return "neg";
    case Op::max: return "max";
    case Op::min: return "min";
    case Op::exp: return "exp";
    case Op::recip: return "recip";
    case Op::sqrt: return "sqrt";
    case Op::abs: return "abs";
    case Op::lt: return "<";
    case Op::le: return "<=";
    case Op::gt: return ">";
    case Op::ge: return ">=";
    case Op::eq: return "==";
    case Op::ne: return "!=";
    case Op::logical_and: return "&&";
    case Op::logical_or: return "||";
    case Op::logical_not: return "!";
    case Op::select: return "select";
    case Op::clamp: return "clamp";
  }
  return "?";
}

const char* reduce_op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::add: return "sum";
    case ReduceOp::max: return "max";
    case ReduceOp::min: return "min";
  }
  return "?";
}

double reduce_identity(ReduceOp op) {
  switch (op) {
    case ReduceOp::add: return 0.0;
    case ReduceOp::max: return -std::numeric_limits<double>::infinity();
    case ReduceOp::min: return std::numeric_limits<double>::infinity();
  }
  return 0.0;
}

std::optional<RankId> Cascade::find_rank(std::string_view n) const {
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    if (ranks[i].name == n) return static_cast<RankId>(i);
  }
  return std::nullopt;
}
std::optional<RankId> Cascade::find_var(std::string_view n) const {
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    if (ranks[i].index == n) return static_cast<RankId>(i);
  }
  return std::nullopt;
}
std::optional<ParamId> Cascade::find_param(std::string_view n) const {
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (params[i].name == n) return static_cast<ParamId>(i);
  }
  return std::nullopt;
}
std::optional<TensorId> Cascade::find_tensor(std::string_view n) const {
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].name == n) return static_cast<TensorId>(i);
  }
  return std::nullopt;
}
std::vector<TensorId> Cascade::inputs() const {
  std::vector<TensorId> out;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].role == Tensor::Role::input) out.push_back(static_cast<TensorId>(i));
  }
  return out;
}
std::vector<TensorId> Cascade::outputs() const {
  std::vector<TensorId> out;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].role == Tensor::Role::output) out.push_back(static_cast<TensorId>(i));
  }
  return out;
}
RankId Cascade::root_rank(RankId r) const {
  const Rank& rank = ranks[static_cast<std::size_t>(r)];
  return rank.kind == Rank::Kind::split_part ? rank.split_of : r;
}

namespace {

int precedence(const Expr& e) {
  if (e.kind != Expr::Kind::apply) return 10;
  switch (e.op) {
    case Op::logical_or: return 1;
    case Op::logical_and: return 2;
    case Op::logical_not: return 3;
    case Op::lt: case Op::le: case Op::gt: case Op::ge: case Op::eq: case Op::ne: return 4;
    case Op::add: case Op::sub: return 5;
    case Op::mul: case Op::div: case Op::mod: return 6;
    default: return 10;
  }
}

// Integer literals print exactly; a real one as the shortest text that reads back as the same
// double, keeping a '.' so it does not turn into an integer (which would change `/` into floor
// division).
std::string number_text(const Expr& e) {
  if (e.type == ValueType::integer) return std::to_string(e.integer);
  const double v = e.value;
  const ValueType type = e.type;
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  std::array<char, 64> buf{};
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  std::string s(buf.data(), result.ptr);
  if (type == ValueType::real && s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

std::string to_string(const Cascade& c, const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::number: return number_text(e);
    case Expr::Kind::var: return c.ranks[static_cast<std::size_t>(e.id)].index;
    case Expr::Kind::size: return c.ranks[static_cast<std::size_t>(e.id)].name;
    case Expr::Kind::param: return c.params[static_cast<std::size_t>(e.id)].name;
    case Expr::Kind::access: {
      const Tensor& t = c.tensors[static_cast<std::size_t>(e.id)];
      std::string out = t.name + "[";
      // Batch slots are implicit in the text.
      const std::size_t skip = c.batch_ranks.size();
      for (std::size_t i = skip; i < e.args.size(); ++i) {
        if (i > skip) out += ",";
        out += to_string(c, *e.args[i]);
      }
      return out + "]";
    }
    case Expr::Kind::apply: break;
  }
  const int prec = precedence(e);
  auto operand = [&](const Expr& a, bool right) {
    std::string s = to_string(c, a);
    const int p = precedence(a);
    // Comparisons do not chain, so a comparison operand of a comparison is parenthesised
    // on either side.
    if (p < prec || (p == prec && p < 10 && (right || prec == 4))) return "(" + s + ")";
    return s;
  };
  switch (e.op) {
    case Op::add: case Op::sub: case Op::mul: case Op::div: case Op::mod:
    case Op::lt: case Op::le: case Op::gt: case Op::ge: case Op::eq: case Op::ne:
    case Op::logical_and: case Op::logical_or:
      return operand(*e.args[0], false) + " " + op_name(e.op) + " " + operand(*e.args[1], true);
    case Op::logical_not: {
      // Built with append: GCC 12 warns (-Wrestrict, a false positive) on "!" + string.
      std::string out = "!";
      out += operand(*e.args[0], false);
      return out;
    }
    default: {
      std::string out = std::string(op_name(e.op)) + "(";
      for (std::size_t i = 0; i < e.args.size(); ++i) {
        if (i) out += ", ";
        out += to_string(c, *e.args[i]);
      }
      return out + ")";
    }
  }
}

}  // namespace einfuse::einsum
