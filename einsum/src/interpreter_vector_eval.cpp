// The vectorised expression evaluator: an expression tree is compiled once per Einsum into a
// flat list of instructions, each of which processes a whole row of lanes (consecutive
// values of one variable) at a time. Interpretation overhead is then one switch per
// instruction per row instead of one virtual call per element.
//
// Integer and real values live in separate registers: index arithmetic, gathers and masks
// are exact in int64 (floor division and modulo as in index_eval.hpp), real arithmetic
// follows the Einsum's numerics (interpreter_numerics.cpp).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "einfuse/einsum/index_eval.hpp"
#include "interpreter_internal.hpp"

namespace einfuse::einsum::detail {
namespace {

[[noreturn]] void index_error(const Cascade& c, const Expr& e, const std::string& what) {
  throw CascadeError(c.source.get(), e.loc, what + " in '" + to_string(c, e) + "'",
                     "index arithmetic without division by zero or 64-bit overflow");
}

std::int64_t checked_mul(const Cascade& c, const Expr& e, std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) index_error(c, e, "integer overflow");
  return r;
}
std::int64_t checked_add(const Cascade& c, const Expr& e, std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) index_error(c, e, "integer overflow");
  return r;
}

// One slot of a tensor read: an affine form of the variables, or an integer register.
struct SlotIndex {
  std::optional<AffineForm> affine;
  int reg = -1;
  std::int64_t lane_coeff = 0;  ///< affine only: coefficient of the lane variable
};

struct Access {
  const Expr* expr = nullptr;
  TensorId tensor = -1;
  std::vector<SlotIndex> slots;
  bool all_affine = true;
  bool round_read = false;  ///< emulated/hardware: storage wider than the arithmetic
};

enum class Kind : std::uint8_t {
  lane_var,  ///< int: lane0 + l
  var,       ///< int: broadcast of a fixed variable
  read,      ///< real: tensor read (access)
  to_real,   ///< real <- int
  to_int,    ///< int <- real (i32 tensor reads)
  truth,     ///< int <- real != 0
  real_op,   ///< real arithmetic / select / clamp
  int_op,    ///< int arithmetic / select / clamp / logic / comparisons of ints
  real_cmp,  ///< int <- comparison of reals
};

struct Instr {
  Kind kind = Kind::read;
  Op op = Op::add;
  const Expr* expr = nullptr;
  int dst = -1;
  int a = -1, b = -1, c = -1;
  RankId var = -1;
  int access = -1;
};

}  // namespace

struct RowProgram::Impl {
  const Cascade& c;
  const BoundShape& shape;
  const TensorStore& store;
  EinsumNumerics num;
  RankId lane_var;
  std::size_t max_lanes;

  std::vector<std::vector<double>> real_buf;
  std::vector<const double*> real_ptr;
  std::vector<std::vector<std::int64_t>> int_buf;
  std::vector<Instr> code;
  std::vector<Access> accesses;
  std::vector<std::int64_t> offsets;  // scratch for gathers
  std::vector<std::uint8_t> valid;

  Impl(const Cascade& c_, const BoundShape& s, const TensorStore& st, const EinsumNumerics& n,
       RankId lane, std::size_t lanes)
      : c(c_), shape(s), store(st), num(n), lane_var(lane), max_lanes(lanes),
        offsets(lanes), valid(lanes) {}

  int new_real() {
    real_buf.emplace_back(max_lanes, 0.0);
    real_ptr.push_back(real_buf.back().data());
    return static_cast<int>(real_buf.size() - 1);
  }
  int new_int() {
    int_buf.emplace_back(max_lanes, 0);
    return static_cast<int>(int_buf.size() - 1);
  }
  int emit(Instr in) {
    code.push_back(in);
    return in.dst;
  }

  int real_constant(double v) {
    const int r = new_real();
    std::fill(real_buf[uidx(r)].begin(), real_buf[uidx(r)].end(), arith_constant(num, v));
    return r;
  }

  int compile_real(const Expr& e) {
    if (e.type == ValueType::integer) {
      if (e.kind == Expr::Kind::number) return real_constant(e.value);
      const int src = compile_int(e);
      return emit({Kind::to_real, Op::add, &e, new_real(), src});
    }
    switch (e.kind) {
      case Expr::Kind::number: return real_constant(e.value);
      case Expr::Kind::access: return emit({Kind::read, Op::add, &e, new_real(), -1, -1, -1, -1, compile_access(e)});
      case Expr::Kind::var:
      case Expr::Kind::size:
      case Expr::Kind::param: break;  // integer-typed: handled above
      case Expr::Kind::apply: return compile_real_apply(e);
    }
    return emit({Kind::to_real, Op::add, &e, new_real(), compile_int(e)});
  }

  int compile_real_apply(const Expr& e) {
    Instr in{Kind::real_op, e.op, &e, -1};
    switch (e.op) {
      case Op::select:
        in.a = compile_int(*e.args[0]);
        in.b = compile_real(*e.args[1]);
        in.c = compile_real(*e.args[2]);
        break;
      default:
        in.a = compile_real(*e.args[0]);
        if (e.args.size() > 1) in.b = compile_real(*e.args[1]);
        if (e.args.size() > 2) in.c = compile_real(*e.args[2]);
    }
    in.dst = new_real();
    return emit(in);
  }

  int compile_int(const Expr& e) {
    if (e.type == ValueType::real) {
      // A real value used as a truth value (a `where` of reals, a select predicate).
      return emit({Kind::truth, Op::ne, &e, new_int(), compile_real(e)});
    }
    switch (e.kind) {
      case Expr::Kind::number:
      case Expr::Kind::size:
      case Expr::Kind::param: {
        const int r = new_int();
        std::fill(int_buf[uidx(r)].begin(), int_buf[uidx(r)].end(), constant_of(e));
        return r;
      }
      case Expr::Kind::var: {
        Instr in{e.id == lane_var ? Kind::lane_var : Kind::var, Op::add, &e, new_int()};
        in.var = e.id;
        return emit(in);
      }
      case Expr::Kind::access: {
        const int value = emit({Kind::read, Op::add, &e, new_real(), -1, -1, -1, -1, compile_access(e)});
        return emit({Kind::to_int, Op::add, &e, new_int(), value});
      }
      case Expr::Kind::apply: break;
    }
    Instr in{Kind::int_op, e.op, &e, -1};
    const bool real_compare = (e.op == Op::lt || e.op == Op::le || e.op == Op::gt || e.op == Op::ge ||
                               e.op == Op::eq || e.op == Op::ne) &&
                              (e.args[0]->type == ValueType::real || e.args[1]->type == ValueType::real);
    if (real_compare) {
      in.kind = Kind::real_cmp;
      in.a = compile_real(*e.args[0]);
      in.b = compile_real(*e.args[1]);
    } else {
      in.a = compile_int(*e.args[0]);
      if (e.args.size() > 1) in.b = compile_int(*e.args[1]);
      if (e.args.size() > 2) in.c = compile_int(*e.args[2]);
    }
    in.dst = new_int();
    return emit(in);
  }

  std::int64_t constant_of(const Expr& e) const {
    if (e.kind == Expr::Kind::number) {
      if (e.type == ValueType::integer) return e.integer;
      if (!std::isfinite(e.value) || e.value != std::floor(e.value) || std::fabs(e.value) > 9.0e18) {
        index_error(c, e, "a non-integral literal");
      }
      return static_cast<std::int64_t>(e.value);
    }
    return eval_constant(c, shape, e);
  }

  int compile_access(const Expr& e) {
    Access a;
    a.expr = &e;
    a.tensor = e.id;
    const DType dt = store.storage[uidx(e.id)];
    a.round_read = num.must_round_read(dt);
    for (const Expr* arg : e.args) {
      SlotIndex s;
      s.affine = to_affine(c, shape, *arg);
      if (s.affine) {
        s.lane_coeff = s.affine->coeff(lane_var);
      } else {
        s.reg = compile_int(*arg);
        a.all_affine = false;
      }
      a.slots.push_back(std::move(s));
    }
    accesses.push_back(std::move(a));
    return static_cast<int>(accesses.size() - 1);
  }

  // Index of an affine slot at lane 0 (the lane variable at lane0, the others fixed).
  std::int64_t affine_start(const Expr& at, const AffineForm& f, std::span<const std::int64_t> vars,
                            std::int64_t lane0) const {
    std::int64_t v = f.constant;
    for (const auto& [var, coeff] : f.terms) {
      const std::int64_t x = var == lane_var ? lane0 : vars[uidx(var)];
      v = checked_add(c, at, v, checked_mul(c, at, coeff, x));
    }
    return v;
  }

  void run_read(const Instr& in, std::span<const std::int64_t> vars, std::int64_t lane0, std::size_t n) {
    const Access& a = accesses[uidx(in.access)];
    const DenseTensor& t = store.tensors[uidx(a.tensor)];
    const std::vector<std::int64_t>& stride = store.strides[uidx(a.tensor)];
    const double dflt = c.tensors[uidx(a.tensor)].default_value;
    std::vector<double>& out = real_buf[uidx(in.dst)];
    const double* data = t.data.data();
    const auto ln = static_cast<std::int64_t>(n);
    if (a.all_affine) {
      // offset(l) = base + step * l for lanes in [lo, hi); the rest read the default.
      std::int64_t base = 0, step = 0, lo = 0, hi = ln;
      for (std::size_t s = 0; s < a.slots.size(); ++s) {
        const SlotIndex& si = a.slots[s];
        const std::int64_t start = affine_start(*a.expr, *si.affine, vars, lane0);
        const std::int64_t k = si.lane_coeff;
        const std::int64_t ext = t.extents[s];
        if (k == 0) {
          if (start < 0 || start >= ext) hi = 0;
        } else if (k > 0) {
          lo = std::max(lo, -floor_div(start, k));
          hi = std::min(hi, floor_div(ext - 1 - start, k) + 1);
        } else {
          hi = std::min(hi, floor_div(start, -k) + 1);
          lo = std::max(lo, -floor_div(ext - 1 - start, -k));
        }
        base += start * stride[s];
        step += k * stride[s];
      }
      if (lo >= hi) {
        std::fill_n(out.begin(), n, dflt);
        real_ptr[uidx(in.dst)] = out.data();
        return;
      }
      if (lo == 0 && hi == ln && step == 1 && !a.round_read) {
        real_ptr[uidx(in.dst)] = data + base;  // zero-copy: a contiguous in-range row
        return;
      }
      std::fill(out.begin(), out.begin() + lo, dflt);
      for (std::int64_t l = lo; l < hi; ++l) out[uidx(l)] = data[uidx(base + step * l)];
      std::fill(out.begin() + hi, out.begin() + ln, dflt);
    } else {
      std::fill_n(offsets.begin(), n, 0);
      std::fill_n(valid.begin(), n, std::uint8_t{1});
      for (std::size_t s = 0; s < a.slots.size(); ++s) {
        const SlotIndex& si = a.slots[s];
        const std::int64_t ext = t.extents[s];
        const std::int64_t st = stride[s];
        if (si.affine) {
          const std::int64_t start = affine_start(*a.expr, *si.affine, vars, lane0);
          for (std::size_t l = 0; l < n; ++l) {
            const std::int64_t i = start + si.lane_coeff * static_cast<std::int64_t>(l);
            valid[l] &= static_cast<std::uint8_t>(i >= 0 && i < ext);
            offsets[l] += i * st;
          }
        } else {
          const std::int64_t* idx = int_buf[uidx(si.reg)].data();
          for (std::size_t l = 0; l < n; ++l) {
            valid[l] &= static_cast<std::uint8_t>(idx[l] >= 0 && idx[l] < ext);
            offsets[l] += (valid[l] ? idx[l] : 0) * st;
          }
        }
      }
      for (std::size_t l = 0; l < n; ++l) out[l] = valid[l] ? data[uidx(offsets[l])] : dflt;
    }
    if (a.round_read) {
      round_array(num.mode == Numerics::hardware ? DType::fp32 : num.acc, std::span<double>(out.data(), n));
    }
    real_ptr[uidx(in.dst)] = out.data();
  }

  void run_real_op(const Instr& in, std::size_t n) {
    double* out = real_buf[uidx(in.dst)].data();
    real_ptr[uidx(in.dst)] = out;
    switch (in.op) {
      case Op::select: {
        const std::int64_t* p = int_buf[uidx(in.a)].data();
        const double* x = real_ptr[uidx(in.b)];
        const double* y = real_ptr[uidx(in.c)];
        for (std::size_t l = 0; l < n; ++l) out[l] = p[l] != 0 ? x[l] : y[l];
        return;
      }
      case Op::clamp: {
        const double* x = real_ptr[uidx(in.a)];
        const double* lo = real_ptr[uidx(in.b)];
        const double* hi = real_ptr[uidx(in.c)];
        for (std::size_t l = 0; l < n; ++l) out[l] = min_step(num, max_step(num, x[l], lo[l]), hi[l]);
        return;
      }
      case Op::neg: case Op::exp: case Op::recip: case Op::sqrt: case Op::abs:
        real_unary(num, in.op, n, out, real_ptr[uidx(in.a)]);
        return;
      default:
        real_binary(num, in.op, n, out, real_ptr[uidx(in.a)], real_ptr[uidx(in.b)]);
    }
  }

  void run_real_cmp(const Instr& in, std::size_t n) {
    std::int64_t* out = int_buf[uidx(in.dst)].data();
    const double* x = real_ptr[uidx(in.a)];
    const double* y = real_ptr[uidx(in.b)];
    switch (in.op) {
      case Op::lt: for (std::size_t l = 0; l < n; ++l) out[l] = x[l] < y[l]; break;
      case Op::le: for (std::size_t l = 0; l < n; ++l) out[l] = x[l] <= y[l]; break;
      case Op::gt: for (std::size_t l = 0; l < n; ++l) out[l] = x[l] > y[l]; break;
      case Op::ge: for (std::size_t l = 0; l < n; ++l) out[l] = x[l] >= y[l]; break;
      case Op::eq: for (std::size_t l = 0; l < n; ++l) out[l] = x[l] == y[l]; break;
      default: for (std::size_t l = 0; l < n; ++l) out[l] = x[l] != y[l]; break;
    }
  }

  void run_int_op(const Instr& in, std::size_t n) {
    std::int64_t* out = int_buf[uidx(in.dst)].data();
    const std::int64_t* x = int_buf[uidx(in.a)].data();
    const std::int64_t* y = in.b >= 0 ? int_buf[uidx(in.b)].data() : nullptr;
    const std::int64_t* z = in.c >= 0 ? int_buf[uidx(in.c)].data() : nullptr;
    const Expr& e = *in.expr;
    for (std::size_t l = 0; l < n; ++l) {
      std::int64_t r = 0;
      switch (in.op) {
        case Op::add: r = checked_add(c, e, x[l], y[l]); break;
        case Op::sub:
          if (__builtin_sub_overflow(x[l], y[l], &r)) index_error(c, e, "integer overflow");
          break;
        case Op::mul: r = checked_mul(c, e, x[l], y[l]); break;
        case Op::neg:
          if (__builtin_sub_overflow(std::int64_t{0}, x[l], &r)) index_error(c, e, "integer overflow");
          break;
        case Op::abs:
          if (x[l] == std::numeric_limits<std::int64_t>::min()) index_error(c, e, "integer overflow");
          r = x[l] < 0 ? -x[l] : x[l];
          break;
        case Op::div:
        case Op::mod:
          if (y[l] == 0) index_error(c, e, "division by zero");
          if (y[l] == -1 && x[l] == std::numeric_limits<std::int64_t>::min()) index_error(c, e, "integer overflow");
          r = in.op == Op::div ? floor_div(x[l], y[l]) : floor_mod(x[l], y[l]);
          break;
        case Op::max: r = std::max(x[l], y[l]); break;
        case Op::min: r = std::min(x[l], y[l]); break;
        case Op::clamp: r = std::min(std::max(x[l], y[l]), z[l]); break;
        case Op::select: r = x[l] != 0 ? y[l] : z[l]; break;
        case Op::lt: r = x[l] < y[l]; break;
        case Op::le: r = x[l] <= y[l]; break;
        case Op::gt: r = x[l] > y[l]; break;
        case Op::ge: r = x[l] >= y[l]; break;
        case Op::eq: r = x[l] == y[l]; break;
        case Op::ne: r = x[l] != y[l]; break;
        case Op::logical_and: r = x[l] != 0 && y[l] != 0; break;
        case Op::logical_or: r = x[l] != 0 || y[l] != 0; break;
        case Op::logical_not: r = x[l] == 0; break;
        case Op::exp: case Op::recip: case Op::sqrt:
          index_error(c, e, std::string("real-valued '") + op_name(in.op) + "'");
      }
      out[l] = r;
    }
  }

  void run(std::span<const std::int64_t> vars, std::int64_t lane0, std::size_t n) {
    for (const Instr& in : code) {
      switch (in.kind) {
        case Kind::lane_var: {
          std::int64_t* out = int_buf[uidx(in.dst)].data();
          for (std::size_t l = 0; l < n; ++l) out[l] = lane0 + static_cast<std::int64_t>(l);
          break;
        }
        case Kind::var: std::fill_n(int_buf[uidx(in.dst)].begin(), n, vars[uidx(in.var)]); break;
        case Kind::read: run_read(in, vars, lane0, n); break;
        case Kind::to_real: {
          double* out = real_buf[uidx(in.dst)].data();
          const std::int64_t* x = int_buf[uidx(in.a)].data();
          for (std::size_t l = 0; l < n; ++l) out[l] = arith_constant(num, static_cast<double>(x[l]));
          real_ptr[uidx(in.dst)] = out;
          break;
        }
        case Kind::to_int: {
          std::int64_t* out = int_buf[uidx(in.dst)].data();
          const double* x = real_ptr[uidx(in.a)];
          for (std::size_t l = 0; l < n; ++l) out[l] = to_index(x[l]);
          break;
        }
        case Kind::truth: {
          std::int64_t* out = int_buf[uidx(in.dst)].data();
          const double* x = real_ptr[uidx(in.a)];
          for (std::size_t l = 0; l < n; ++l) out[l] = x[l] != 0.0;
          break;
        }
        case Kind::real_op: run_real_op(in, n); break;
        case Kind::int_op: run_int_op(in, n); break;
        case Kind::real_cmp: run_real_cmp(in, n); break;
      }
    }
  }

  // An i32 tensor holds integers; a default such as -inf cannot be an index and reads as
  // -1, which is out of range for every slot (as a populate's padding is).
  static std::int64_t to_index(double v) {
    return std::isfinite(v) && std::fabs(v) < 9.0e18 ? static_cast<std::int64_t>(v) : -1;
  }
};

RowProgram::RowProgram(const Cascade& c, const BoundShape& shape, const TensorStore& store,
                       const EinsumNumerics& num, RankId lane_var, std::size_t max_lanes)
    : impl_(std::make_unique<Impl>(c, shape, store, num, lane_var, max_lanes)) {}
RowProgram::~RowProgram() = default;
int RowProgram::compile_real(const Expr& e) { return impl_->compile_real(e); }
int RowProgram::compile_int(const Expr& e) { return impl_->compile_int(e); }
void RowProgram::run(std::span<const std::int64_t> vars, std::int64_t lane0, std::size_t n) {
  impl_->run(vars, lane0, n);
}
const double* RowProgram::real(int reg) const { return impl_->real_ptr[uidx(reg)]; }
const std::int64_t* RowProgram::integer(int reg) const { return impl_->int_buf[uidx(reg)].data(); }

}  // namespace einfuse::einsum::detail
