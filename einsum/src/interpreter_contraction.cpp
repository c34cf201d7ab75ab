// The contraction fast path (fp64): an Einsum `O[...] = A[...] * B[...]` reduced with `+`,
// without a mask, whose indices are affine with non-negative strides, is a loop of GEMMs.
//
// Every variable gets an element stride in A, B and O (0 where it does not occur). By
// which of the three it occurs in it is a batch variable (O, A, B, or O only: a loop),
// a row variable (O, A), a column variable (O, B) or a contraction variable (A, B).
// Within each of the last three groups, variables whose strides chain (stride of the
// outer = extent x stride of the inner, in both tensors of the group) collapse into one
// GEMM dimension, e.g. K[e, m1*M0+m0] and QK[m1,m0,p] make (m1, m0) one row dimension of
// extent M. The variables left over are looped like batch variables (left-over
// contraction variables accumulate into O).
#include <algorithm>
#include <optional>

#include <Eigen/Core>

#include "einfuse/einsum/index_eval.hpp"
#include "interpreter_internal.hpp"

namespace einfuse::einsum::detail {
namespace {

using Eigen::Index;
using ColMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
using ConstMap = Eigen::Map<const ColMat, 0, Eigen::OuterStride<>>;
using MutMap = Eigen::Map<ColMat, 0, Eigen::OuterStride<>>;

enum Role { kA = 0, kB = 1, kO = 2 };

// An affine offset into a tensor: base + sum of stride[var] * value(var).
struct Addressing {
  std::int64_t base = 0;
  std::vector<std::int64_t> stride;  // by RankId
};

// A GEMM dimension: a chain of collapsed variables (the first is the innermost).
struct Dim {
  std::int64_t extent = 1;
  std::int64_t stride[3] = {0, 0, 0};
};

struct Plan {
  TensorId tensor[2] = {-1, -1};
  Addressing addr[3];
  Dim rows, cols, inner;                // O(rows x cols) (+)= A(rows x inner) * B(inner x cols)
  std::vector<RankId> outer_loops;      // batch variables and left-over row/column ones
  std::vector<RankId> reduction_loops;  // left-over contraction variables
};

std::optional<Addressing> address_access(const Cascade& c, const BoundShape& shape, const Expr& access,
                                         const std::vector<VarRange>& ranges) {
  Addressing a;
  a.stride.assign(c.ranks.size(), 0);
  const TensorId t = access.id;
  const Tensor& tensor = c.tensors[uidx(t)];
  std::int64_t slot_stride = 1;
  for (std::size_t s = tensor.ranks.size(); s-- > 0;) {
    const auto form = to_affine(c, shape, *access.args[s]);
    if (!form) return std::nullopt;
    const std::int64_t extent = shape.slot_extent(c, t, s);
    // In range over the whole box, so no read needs the default value.
    std::int64_t lo = form->constant, hi = form->constant;
    for (const auto& [var, coeff] : form->terms) {
      const VarRange& r = ranges[uidx(var)];
      lo += coeff * (coeff > 0 ? r.lo : r.hi - 1);
      hi += coeff * (coeff > 0 ? r.hi - 1 : r.lo);
      if (r.size() > 1 && coeff < 0) return std::nullopt;  // Eigen maps need strides >= 0
      a.stride[uidx(var)] += coeff * slot_stride;
    }
    if (lo < 0 || hi >= extent) return std::nullopt;
    a.base += form->constant * slot_stride;
    slot_stride *= extent;
  }
  return a;
}

// Builds the longest chain through `vars` that starts at the smallest stride in `x`.
Dim collapse(std::vector<RankId>& vars, const std::vector<VarRange>& ranges, const Addressing* addr,
             Role x, Role y, Role unused, std::vector<RankId>& leftover) {
  Dim d;
  if (vars.empty()) return d;
  std::sort(vars.begin(), vars.end(), [&](RankId a, RankId b) {
    return addr[x].stride[uidx(a)] < addr[x].stride[uidx(b)];
  });
  d.extent = ranges[uidx(vars[0])].size();
  d.stride[x] = addr[x].stride[uidx(vars[0])];
  d.stride[y] = addr[y].stride[uidx(vars[0])];
  d.stride[unused] = 0;
  for (std::size_t i = 1; i < vars.size(); ++i) {
    const RankId v = vars[i];
    if (addr[x].stride[uidx(v)] == d.stride[x] * d.extent && addr[y].stride[uidx(v)] == d.stride[y] * d.extent) {
      d.extent *= ranges[uidx(v)].size();
    } else {
      leftover.push_back(v);
    }
  }
  return d;
}

std::optional<Plan> make_plan(const Cascade& c, const BoundShape& shape, const Einsum& e,
                              const std::vector<VarRange>& ranges) {
  if (e.populate != Einsum::Populate::none || e.where != nullptr) return std::nullopt;
  if (!e.outer_vars.empty() && e.outer_op != ReduceOp::add) return std::nullopt;
  const Expr& body = *e.body;
  if (body.kind != Expr::Kind::apply || body.op != Op::mul || body.type != ValueType::real) return std::nullopt;
  Plan plan;
  for (int i = 0; i < 2; ++i) {
    const Expr& arg = *body.args[uidx(i)];
    if (arg.kind != Expr::Kind::access) return std::nullopt;
    auto a = address_access(c, shape, arg, ranges);
    if (!a) return std::nullopt;
    plan.tensor[i] = arg.id;
    plan.addr[i] = std::move(*a);
  }
  Addressing& out = plan.addr[kO];
  out.stride.assign(c.ranks.size(), 0);
  const Tensor& ot = c.tensors[uidx(e.output)];
  std::int64_t slot_stride = 1;
  for (std::size_t s = ot.ranks.size(); s-- > 0;) {
    out.stride[uidx(e.lhs_vars[s])] = slot_stride;
    if (ot.iterative[s]) out.base += slot_stride;  // written at r+1
    slot_stride *= shape.slot_extent(c, e.output, s);
  }
  std::vector<RankId> rows, cols, inner;
  for (RankId v : e.iteration_vars) {
    if (ranges[uidx(v)].size() == 1) continue;  // a fixed value: only moves the base
    const bool in_a = plan.addr[kA].stride[uidx(v)] != 0, in_b = plan.addr[kB].stride[uidx(v)] != 0;
    const bool in_o = out.stride[uidx(v)] != 0;
    if (in_o && in_a == in_b) {
      plan.outer_loops.push_back(v);
    } else if (in_o) {
      (in_a ? rows : cols).push_back(v);
    } else if (in_a && in_b) {
      inner.push_back(v);
    } else {
      return std::nullopt;  // reduced over one operand only: not a GEMM
    }
  }
  plan.rows = collapse(rows, ranges, plan.addr, kO, kA, kB, plan.outer_loops);
  plan.cols = collapse(cols, ranges, plan.addr, kO, kB, kA, plan.outer_loops);
  plan.inner = collapse(inner, ranges, plan.addr, kA, kB, kO, plan.reduction_loops);
  // Worth a GEMM only with a contraction dimension and real work per call; element-wise
  // products run faster through the row evaluator.
  if (plan.inner.extent < 2 || plan.rows.extent * plan.cols.extent < 4) return std::nullopt;
  return plan;
}

// A strided matrix (element (i,j) at p[i*rs + j*cs]) as a column-major map, possibly of
// its transpose; nullopt when neither stride is 1.
struct MatRef {
  const double* p;
  Index rows, cols, outer;
  bool transposed;  // the logical matrix is the transpose of the (cols x rows) map
};
std::optional<MatRef> as_matrix(const double* p, Index rows, Index cols, Index rs, Index cs) {
  if (rs == 1 || rows == 1) return MatRef{p, rows, cols, cols == 1 ? std::max<Index>(rows, 1) : cs, false};
  if (cs == 1 || cols == 1) return MatRef{p, rows, cols, rs, true};
  return std::nullopt;
}

// Copies a strided matrix into a packed column-major one (Eigen would make the same copy).
ColMat pack(const double* p, Index rows, Index cols, Index rs, Index cs) {
  ColMat m(rows, cols);
  for (Index j = 0; j < cols; ++j) {
    for (Index i = 0; i < rows; ++i) m(i, j) = p[i * rs + j * cs];
  }
  return m;
}

template <class Dst>
void gemm_into(Dst&& dst, const MatRef& a, const MatRef& b, bool accumulate) {
  auto go = [&](const auto& x, const auto& y) {
    if (accumulate) {
      dst.noalias() += x * y;
    } else {
      dst.noalias() = x * y;
    }
  };
  const ConstMap am(a.p, a.transposed ? a.cols : a.rows, a.transposed ? a.rows : a.cols, Eigen::OuterStride<>(a.outer));
  const ConstMap bm(b.p, b.transposed ? b.cols : b.rows, b.transposed ? b.rows : b.cols, Eigen::OuterStride<>(b.outer));
  if (!a.transposed && !b.transposed) go(am, bm);
  if (!a.transposed && b.transposed) go(am, bm.transpose());
  if (a.transposed && !b.transposed) go(am.transpose(), bm);
  if (a.transposed && b.transposed) go(am.transpose(), bm.transpose());
}

MatRef flipped(MatRef m) {
  std::swap(m.rows, m.cols);
  m.transposed = !m.transposed;
  return m;
}

// O (rows x cols) (+)= A (rows x inner) * B (inner x cols) with arbitrary strides >= 0.
void gemm(double* o, const double* a, const double* b, const Plan& pl, bool accumulate) {
  const Index M = pl.rows.extent, N = pl.cols.extent, K = pl.inner.extent;
  ColMat packed_a, packed_b;
  auto operand = [&](const double* p, Index r, Index cl, Index rs, Index cs, ColMat& store) {
    if (auto m = as_matrix(p, r, cl, rs, cs)) return *m;
    store = pack(p, r, cl, rs, cs);
    return MatRef{store.data(), r, cl, r, false};
  };
  const MatRef am = operand(a, M, K, pl.rows.stride[kA], pl.inner.stride[kA], packed_a);
  const MatRef bm = operand(b, K, N, pl.inner.stride[kB], pl.cols.stride[kB], packed_b);
  const Index ors = pl.rows.stride[kO], ocs = pl.cols.stride[kO];
  if (auto om = as_matrix(o, M, N, ors, ocs)) {
    if (!om->transposed) {
      gemm_into(MutMap(o, M, N, Eigen::OuterStride<>(om->outer)), am, bm, accumulate);
    } else {  // O^T = B^T A^T keeps the destination column-major
      gemm_into(MutMap(o, N, M, Eigen::OuterStride<>(om->outer)), flipped(bm), flipped(am), accumulate);
    }
    return;
  }
  ColMat tmp(M, N);
  gemm_into(tmp, am, bm, false);
  for (Index j = 0; j < N; ++j) {
    for (Index i = 0; i < M; ++i) {
      double& d = o[i * ors + j * ocs];
      d = accumulate ? d + tmp(i, j) : tmp(i, j);
    }
  }
}

std::int64_t offset_of(const Addressing& a, const std::vector<std::int64_t>& values) {
  std::int64_t off = a.base;
  for (std::size_t v = 0; v < values.size(); ++v) off += a.stride[v] * values[v];
  return off;
}

// Odometer over `vars` within their ranges; returns false after the last point.
bool advance(const std::vector<RankId>& vars, const std::vector<VarRange>& ranges, std::vector<std::int64_t>& values) {
  for (std::size_t i = vars.size(); i-- > 0;) {
    std::int64_t& x = values[uidx(vars[i])];
    if (++x < ranges[uidx(vars[i])].hi) return true;
    x = ranges[uidx(vars[i])].lo;
  }
  return false;
}

}  // namespace

bool contraction_applies(const Cascade& c, const BoundShape& shape, const Einsum& e,
                         const std::vector<VarRange>& ranges) {
  return make_plan(c, shape, e, ranges).has_value();
}

bool run_contraction(const EinsumTask& task) {
  const auto plan = make_plan(task.c, task.shape, task.e, task.ranges);
  if (!plan) return false;
  // Every variable starts at its range's low end: collapsed GEMM dimensions are addressed
  // from there, loops move the base.
  std::vector<std::int64_t> values(task.c.ranks.size(), 0);
  for (std::size_t v = 0; v < values.size(); ++v) values[v] = task.ranges[v].lo;
  const double* a = task.store.tensors[uidx(plan->tensor[kA])].data.data();
  const double* b = task.store.tensors[uidx(plan->tensor[kB])].data.data();
  double* o = task.store.tensors[uidx(task.e.output)].data.data();
  do {
    bool first = true;
    do {
      gemm(o + offset_of(plan->addr[kO], values), a + offset_of(plan->addr[kA], values),
           b + offset_of(plan->addr[kB], values), *plan, !first);
      first = false;
    } while (advance(plan->reduction_loops, task.ranges, values));
  } while (advance(plan->outer_loops, task.ranges, values));
  return true;
}

}  // namespace einfuse::einsum::detail
