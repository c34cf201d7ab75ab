// Integer index evaluation and affine forms (index_eval.hpp).
#include "einfuse/einsum/index_eval.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace einfuse::einsum {
namespace {

std::size_t idx(int id) { return static_cast<std::size_t>(id); }

[[noreturn]] void fail(const Cascade& c, const Expr& e, const std::string& message,
                       const std::string& expected) {
  throw CascadeError(c.source.get(), e.loc, message, expected);
}

[[noreturn]] void overflowed(const Cascade& c, const Expr& e) {
  fail(c, e, "integer overflow evaluating '" + to_string(c, e) + "'", "index values within 64 bits");
}

// Integer literals carry their exact value; a real literal is an index only when it is exactly
// integral and in range.
std::optional<std::int64_t> integral_literal(const Expr& e) {
  if (e.type == ValueType::integer) return e.integer;
  const double v = e.value;
  if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9.0e18) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

class Evaluator {
 public:
  Evaluator(const Cascade& c, const BoundShape& shape, std::span<const std::int64_t> vars)
      : c_(c), shape_(shape), vars_(vars) {}

  std::int64_t eval(const Expr& e) const {
    switch (e.kind) {
      case Expr::Kind::number: {
        const auto v = integral_literal(e);
        if (!v) fail(c_, e, "real-valued literal '" + to_string(c_, e) + "' in an index expression", "an integer");
        return *v;
      }
      case Expr::Kind::var:
        if (idx(e.id) >= vars_.size()) {
          fail(c_, e, "no value for index variable '" + c_.ranks[idx(e.id)].index + "'",
               "a value for every variable of the iteration space");
        }
        return vars_[idx(e.id)];
      case Expr::Kind::size: return shape_.extent(e.id);
      case Expr::Kind::param: return shape_.param_value[idx(e.id)];
      case Expr::Kind::access:
        fail(c_, e, "tensor read '" + to_string(c_, e) + "' cannot be evaluated without data",
             "an index expression of variables, sizes and parameters");
      case Expr::Kind::apply: break;
    }
    return apply(e);
  }

 private:
  std::int64_t apply(const Expr& e) const {
    auto arg = [&](std::size_t i) { return eval(*e.args[i]); };
    std::int64_t r = 0;
    switch (e.op) {
      case Op::add:
        if (__builtin_add_overflow(arg(0), arg(1), &r)) overflowed(c_, e);
        return r;
      case Op::sub:
        if (__builtin_sub_overflow(arg(0), arg(1), &r)) overflowed(c_, e);
        return r;
      case Op::mul:
        if (__builtin_mul_overflow(arg(0), arg(1), &r)) overflowed(c_, e);
        return r;
      case Op::neg:
      case Op::abs: {
        const std::int64_t a = arg(0);
        if (e.op == Op::abs && a >= 0) return a;
        if (__builtin_sub_overflow(std::int64_t{0}, a, &r)) overflowed(c_, e);
        return r;
      }
      case Op::div:
      case Op::mod: {
        const std::int64_t a = arg(0);
        const std::int64_t b = arg(1);
        if (b == 0) fail(c_, e, "division by zero in '" + to_string(c_, e) + "'", "a non-zero divisor");
        if (b == -1 && a == std::numeric_limits<std::int64_t>::min()) overflowed(c_, e);
        return e.op == Op::div ? floor_div(a, b) : floor_mod(a, b);
      }
      case Op::max: return std::max(arg(0), arg(1));
      case Op::min: return std::min(arg(0), arg(1));
      case Op::clamp: return std::min(std::max(arg(0), arg(1)), arg(2));
      case Op::lt: return arg(0) < arg(1);
      case Op::le: return arg(0) <= arg(1);
      case Op::gt: return arg(0) > arg(1);
      case Op::ge: return arg(0) >= arg(1);
      case Op::eq: return arg(0) == arg(1);
      case Op::ne: return arg(0) != arg(1);
      // Short-circuit like the language's && and ||: the right side of a false && may
      // divide by zero without the predicate being an error.
      case Op::logical_and: return arg(0) != 0 && arg(1) != 0;
      case Op::logical_or: return arg(0) != 0 || arg(1) != 0;
      case Op::logical_not: return arg(0) == 0;
      case Op::select: return arg(0) != 0 ? arg(1) : arg(2);
      case Op::exp:
      case Op::recip:
      case Op::sqrt: break;
    }
    fail(c_, e, std::string("real-valued operation '") + op_name(e.op) + "' in an index expression",
         "integer operations: + - * / % max min abs clamp select and comparisons");
  }

  const Cascade& c_;
  const BoundShape& shape_;
  std::span<const std::int64_t> vars_;
};

// Affine arithmetic with overflow reported as "not affine" rather than as an error: the
// caller then falls back to evaluating points, which reports real overflows precisely.
using Form = AffineForm;

bool scale(Form& f, std::int64_t k) {
  if (__builtin_mul_overflow(f.constant, k, &f.constant)) return false;
  for (auto& t : f.terms) {
    if (__builtin_mul_overflow(t.second, k, &t.second)) return false;
  }
  std::erase_if(f.terms, [](const auto& t) { return t.second == 0; });
  return true;
}

bool add_into(Form& a, const Form& b, std::int64_t sign) {
  Form scaled = b;
  if (!scale(scaled, sign)) return false;
  if (__builtin_add_overflow(a.constant, scaled.constant, &a.constant)) return false;
  for (const auto& [var, coeff] : scaled.terms) {
    auto it = std::lower_bound(a.terms.begin(), a.terms.end(), var,
                               [](const auto& t, RankId v) { return t.first < v; });
    if (it != a.terms.end() && it->first == var) {
      if (__builtin_add_overflow(it->second, coeff, &it->second)) return false;
      if (it->second == 0) a.terms.erase(it);
    } else {
      a.terms.insert(it, {var, coeff});
    }
  }
  return true;
}

std::optional<Form> affine(const Cascade& c, const BoundShape& shape, const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::number: {
      const auto v = integral_literal(e);
      if (!v) return std::nullopt;
      return Form{*v, {}};
    }
    case Expr::Kind::var: return Form{0, {{e.id, 1}}};
    case Expr::Kind::size: return Form{shape.extent(e.id), {}};
    case Expr::Kind::param: return Form{shape.param_value[idx(e.id)], {}};
    case Expr::Kind::access: return std::nullopt;
    case Expr::Kind::apply: break;
  }
  std::vector<Form> args;
  for (const Expr* a : e.args) {
    auto f = affine(c, shape, *a);
    if (!f) return std::nullopt;
    args.push_back(std::move(*f));
  }
  switch (e.op) {
    case Op::add:
    case Op::sub: {
      Form out = args[0];
      if (!add_into(out, args[1], e.op == Op::add ? 1 : -1)) return std::nullopt;
      return out;
    }
    case Op::neg: {
      Form out = args[0];
      if (!scale(out, -1)) return std::nullopt;
      return out;
    }
    case Op::mul: {
      if (!args[0].is_constant() && !args[1].is_constant()) return std::nullopt;
      const bool first_constant = args[0].is_constant();
      Form out = first_constant ? args[1] : args[0];
      if (!scale(out, first_constant ? args[0].constant : args[1].constant)) return std::nullopt;
      return out;
    }
    case Op::div:
    case Op::mod: {
      // floor((d*a.x + k) / d) = a.x + floor(k / d) because a.x is an integer; likewise
      // (d*a.x + k) mod d = k mod d. Any other quotient is piecewise, not affine.
      if (!args[1].is_constant() || args[1].constant == 0) return std::nullopt;
      const std::int64_t d = args[1].constant;
      if (d == -1) return std::nullopt;  // keeps the overflow corner out of the fast path
      Form out = args[0];
      for (const auto& t : out.terms) {
        if (t.second % d != 0) return std::nullopt;
      }
      if (e.op == Op::mod) return Form{floor_mod(out.constant, d), {}};
      for (auto& t : out.terms) t.second /= d;
      out.constant = floor_div(out.constant, d);
      return out;
    }
    default: break;
  }
  // Anything else (max, min, clamp, abs, comparisons, select) is affine only when constant.
  if (!std::all_of(args.begin(), args.end(), [](const Form& f) { return f.is_constant(); })) {
    return std::nullopt;
  }
  auto k = [&](std::size_t i) { return args[i].constant; };
  switch (e.op) {
    case Op::max: return Form{std::max(k(0), k(1)), {}};
    case Op::min: return Form{std::min(k(0), k(1)), {}};
    case Op::clamp: return Form{std::min(std::max(k(0), k(1)), k(2)), {}};
    case Op::abs:
      if (k(0) == std::numeric_limits<std::int64_t>::min()) return std::nullopt;
      return Form{k(0) < 0 ? -k(0) : k(0), {}};
    case Op::lt: return Form{k(0) < k(1), {}};
    case Op::le: return Form{k(0) <= k(1), {}};
    case Op::gt: return Form{k(0) > k(1), {}};
    case Op::ge: return Form{k(0) >= k(1), {}};
    case Op::eq: return Form{k(0) == k(1), {}};
    case Op::ne: return Form{k(0) != k(1), {}};
    case Op::logical_and: return Form{k(0) != 0 && k(1) != 0, {}};
    case Op::logical_or: return Form{k(0) != 0 || k(1) != 0, {}};
    case Op::logical_not: return Form{k(0) == 0, {}};
    case Op::select: return Form{k(0) != 0 ? k(1) : k(2), {}};
    default: return std::nullopt;
  }
}

}  // namespace

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
  const std::int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

std::int64_t eval_index(const Cascade& c, const BoundShape& shape, const Expr& e,
                        std::span<const std::int64_t> var_values) {
  return Evaluator(c, shape, var_values).eval(e);
}

std::int64_t AffineForm::coeff(RankId var) const {
  for (const auto& t : terms) {
    if (t.first == var) return t.second;
  }
  return 0;
}

std::optional<AffineForm> to_affine(const Cascade& c, const BoundShape& shape, const Expr& e) {
  if (e.type != ValueType::integer) return std::nullopt;
  return affine(c, shape, e);
}

}  // namespace einfuse::einsum
