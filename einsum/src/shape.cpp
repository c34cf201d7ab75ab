#include "einfuse/einsum/shape.hpp"

#include "einfuse/einsum/index_eval.hpp"

#include <cctype>
#include <limits>
#include <set>

namespace einfuse::einsum {
namespace {

using Limits = std::numeric_limits<std::int64_t>;

// Evaluates split factors and `let` parameters on demand, so their declaration order does
// not matter; a definition that refers to itself is reported.
class Binder {
 public:
  Binder(const Cascade& c, BoundShape& shape) : c_(c), shape_(shape) {}

  std::int64_t rank(RankId r) {
    auto& v = shape_.rank_extent[static_cast<std::size_t>(r)];
    if (v > 0) return v;
    const Rank& rank = c_.ranks[static_cast<std::size_t>(r)];
    if (v == kInProgress) fail(rank.loc, "the size of rank " + rank.name + " depends on itself", "split factors that do not refer back to the split rank");
    v = kInProgress;
    std::int64_t result;
    if (rank.kind == Rank::Kind::split_part) {
      if (rank.split_level > 0) {
        result = eval(*rank.split_factor);
        if (result <= 0) fail(rank.split_factor->loc, "split factor for " + rank.name + " is " + std::to_string(result), "a positive split factor");
      } else {
        const Rank& root = c_.ranks[static_cast<std::size_t>(rank.split_of)];
        const std::int64_t whole = this->rank(rank.split_of);
        std::int64_t inner = 1;
        for (std::size_t i = 1; i < root.parts.size(); ++i) {
          inner = checked_mul(inner, this->rank(root.parts[i]), rank.loc);
        }
        if (whole % inner != 0) {
          fail(root.loc, "rank " + root.name + " = " + std::to_string(whole) + " is not divisible by its split factor " +
                             std::to_string(inner), "a size of " + root.name + " that is a multiple of " + std::to_string(inner));
        }
        result = whole / inner;
      }
    } else if (rank.default_extent) {
      result = *rank.default_extent;
    } else {
      fail(rank.loc, "rank " + rank.name + " has no size", "--shape " + rank.name + "=N, a model (--model), or a default 'rank " + rank.name + " = N'");
    }
    v = result;
    return result;
  }

  std::int64_t param(ParamId p) {
    auto& v = shape_.param_value[static_cast<std::size_t>(p)];
    if (v != kUnset && v != kInProgress) return v;
    const Param& param = c_.params[static_cast<std::size_t>(p)];
    if (v == kInProgress) fail(param.loc, "parameter " + param.name + " depends on itself", "a definition without a cycle");
    v = kInProgress;
    std::int64_t result;
    if (param.definition) result = eval(*param.definition);
    else if (param.default_value) result = *param.default_value;
    else fail(param.loc, "parameter " + param.name + " has no value", "--shape " + param.name + "=N or a default 'param " + param.name + " = N'");
    v = result;
    return result;
  }

  std::int64_t eval(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::number:
        if (e.type == ValueType::integer) return e.integer;  // exact
        // Reals never reach here in a valid constant, but a cast of an out-of-range double
        // would be undefined.
        if (!(e.value >= -9.2e18 && e.value <= 9.2e18)) overflow(e.loc);
        return static_cast<std::int64_t>(e.value);
      case Expr::Kind::size: return rank(e.id);
      case Expr::Kind::param: return param(e.id);
      case Expr::Kind::var:
      case Expr::Kind::access: fail(e.loc, "not a constant", "sizes, parameters and numbers");
      case Expr::Kind::apply: break;
    }
    auto arg = [&](std::size_t i) { return eval(*e.args[i]); };
    switch (e.op) {
      case Op::add: { std::int64_t r; if (__builtin_add_overflow(arg(0), arg(1), &r)) overflow(e.loc); return r; }
      case Op::sub: { std::int64_t r; if (__builtin_sub_overflow(arg(0), arg(1), &r)) overflow(e.loc); return r; }
      case Op::mul: return checked_mul(arg(0), arg(1), e.loc);
      case Op::div: case Op::mod: {
        const std::int64_t a = arg(0), b = arg(1);
        if (b == 0) fail(e.loc, "division by zero in a constant expression", "a non-zero divisor");
        if (e.op == Op::mod) {  // floor modulo; a % -1 is 0, and INT64_MIN % -1 would trap
          return b == -1 ? 0 : floor_mod(a, b);
        }
        if (b == -1 && a == Limits::min()) overflow(e.loc);  // INT64_MIN / -1 traps
        return floor_div(a, b);
      }
      case Op::neg: { std::int64_t r; if (__builtin_sub_overflow(std::int64_t{0}, arg(0), &r)) overflow(e.loc); return r; }
      case Op::max: return std::max(arg(0), arg(1));
      case Op::min: return std::min(arg(0), arg(1));
      default: fail(e.loc, std::string("operator ") + op_name(e.op) + " in a constant expression", "+ - * / % max min");
    }
  }

  std::int64_t checked_mul(std::int64_t a, std::int64_t b, SourceLoc loc) {
    std::int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) overflow(loc);
    return r;
  }

  static constexpr std::int64_t kUnset = Limits::min();
  static constexpr std::int64_t kInProgress = Limits::min() + 1;

  [[noreturn]] void overflow(SourceLoc loc) { fail(loc, "size overflows 64 bits", "smaller sizes"); }
  [[noreturn]] void fail(SourceLoc loc, const std::string& msg, const std::string& expected) {
    throw CascadeError(c_.source.get(), loc, msg, expected);
  }

 private:
  const Cascade& c_;
  BoundShape& shape_;
};

}  // namespace

std::int64_t parse_length(std::string_view text) {
  std::size_t i = 0;
  std::int64_t v = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (v > (Limits::max() - 9) / 10) throw std::invalid_argument("length too large");
    v = v * 10 + (text[i] - '0');
    ++i;
  }
  if (i == 0) throw std::invalid_argument("expected a length like 512, 4K or 1M");
  int shift = 0;
  if (i < text.size()) {
    const char s = static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
    shift = s == 'K' ? 10 : s == 'M' ? 20 : s == 'G' ? 30 : -1;
    if (shift < 0 || i + 1 != text.size()) throw std::invalid_argument("expected a length like 512, 4K or 1M");
  }
  if (v > (Limits::max() >> shift)) throw std::invalid_argument("length too large");
  return v << shift;
}

ShapeAssignment parse_shape_assignment(std::string_view text) {
  SourceText src{"--shape", std::string(text)};
  ShapeAssignment out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find(',', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view item = text.substr(pos, end - pos);
    auto loc = [&](std::size_t off, std::size_t len) {
      return SourceLoc{1, static_cast<std::uint32_t>(pos + off + 1), static_cast<std::uint32_t>(std::max<std::size_t>(len, 1))};
    };
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      throw CascadeError(&src, loc(0, item.size()), "malformed shape entry '" + std::string(item) + "'", "NAME=SIZE, e.g. P=4096 or M=4K");
    }
    const std::string name(item.substr(0, eq));
    try {
      const std::int64_t v = parse_length(item.substr(eq + 1));
      if (v <= 0) throw std::invalid_argument("size must be positive");
      if (!out.emplace(name, v).second) {
        throw CascadeError(&src, loc(0, eq), "'" + name + "' is given twice", "each name once");
      }
    } catch (const std::invalid_argument& e) {
      throw CascadeError(&src, loc(eq + 1, item.size() - eq - 1), "bad size for '" + name + "': " + e.what(),
                         "a positive integer, optionally with K, M or G (powers of two)");
    }
    pos = end + 1;
  }
  return out;
}

std::int64_t BoundShape::slot_extent(const Cascade& c, TensorId t, std::size_t slot) const {
  const Tensor& tensor = c.tensors[static_cast<std::size_t>(t)];
  return extent(tensor.ranks[slot]) + (tensor.iterative[slot] ? 1 : 0);
}

std::uint64_t BoundShape::elements(const Cascade& c, TensorId t) const {
  std::uint64_t n = 1;
  const Tensor& tensor = c.tensors[static_cast<std::size_t>(t)];
  for (std::size_t s = 0; s < tensor.ranks.size(); ++s) {
    if (__builtin_mul_overflow(n, static_cast<std::uint64_t>(slot_extent(c, t, s)), &n)) {
      throw CascadeError(c.source.get(), tensor.loc, "tensor " + tensor.name + " has more than 2^64 elements", "smaller sizes");
    }
  }
  return n;
}

BoundShape bind_shape(const Cascade& c, const ShapeAssignment& given) {
  BoundShape shape;
  shape.rank_extent.assign(c.ranks.size(), Binder::kUnset);
  shape.param_value.assign(c.params.size(), Binder::kUnset);
  for (const auto& [name, value] : given) {
    SourceText src{"--shape", name + "=" + std::to_string(value)};
    if (auto r = c.find_rank(name)) {
      const Rank& rank = c.ranks[static_cast<std::size_t>(*r)];
      if (rank.kind == Rank::Kind::split_part) {
        throw CascadeError(&src, SourceLoc{1, 1, static_cast<std::uint32_t>(name.size())},
                           "rank " + name + " is a split part; its size comes from the split of " +
                               c.ranks[static_cast<std::size_t>(rank.split_of)].name,
                           "sizes of plain ranks and parameters only");
      }
      if (value <= 0) throw CascadeError(&src, SourceLoc{1, 1, 1}, "size of " + name + " must be positive", "a positive size");
      shape.rank_extent[static_cast<std::size_t>(*r)] = value;
    } else if (auto p = c.find_param(name)) {
      if (c.params[static_cast<std::size_t>(*p)].definition) {
        throw CascadeError(&src, SourceLoc{1, 1, static_cast<std::uint32_t>(name.size())},
                           "parameter " + name + " is derived ('let') and cannot be given", "sizes of plain ranks and parameters only");
      }
      shape.param_value[static_cast<std::size_t>(*p)] = value;
    } else {
      std::string known;
      for (const auto& rank : c.ranks) if (rank.kind != Rank::Kind::split_part) known += (known.empty() ? "" : ", ") + rank.name;
      for (const auto& p2 : c.params) if (!p2.definition) known += (known.empty() ? "" : ", ") + p2.name;
      throw CascadeError(&src, SourceLoc{1, 1, static_cast<std::uint32_t>(name.size())},
                         "'" + name + "' is not a rank or parameter of cascade " + c.name, "one of: " + known);
    }
  }
  Binder binder(c, shape);
  for (std::size_t r = 0; r < c.ranks.size(); ++r) binder.rank(static_cast<RankId>(r));
  for (std::size_t p = 0; p < c.params.size(); ++p) binder.param(static_cast<ParamId>(p));
  for (std::size_t t = 0; t < c.tensors.size(); ++t) (void)shape.elements(c, static_cast<TensorId>(t));
  return shape;
}

std::int64_t eval_constant(const Cascade& c, const BoundShape& shape, const Expr& e) {
  // Every value of a bound shape is set, so the binder only reads it.
  return Binder(c, const_cast<BoundShape&>(shape)).eval(e);
}

}  // namespace einfuse::einsum
