// Loops, masks and reductions around a row program (interpreter_vector_eval.cpp).
//
// One variable is the lane variable: the row program evaluates the body for a block of its
// values at once. Preferably it is a left-side variable ("lane mode"): each lane is its
// own output coordinate and accumulates its reduction independently, in the reduction
// order. When the left side is too short to fill lanes (a decode step, a scalar), the last
// reduced variable is the lane variable instead ("fold mode") and its lanes are folded one
// after the other, so the order of the reduction is the same in both modes.
#include <algorithm>
#include <cmath>

#include "interpreter_internal.hpp"

namespace einfuse::einsum::detail {
namespace {

constexpr std::size_t kBlock = 1024;  // lanes per row: big enough to amortise dispatch,
                                      // small enough that a row's registers stay in L1/L2

// Iterates the points of a list of variables in lexicographic order (last fastest).
class Odometer {
 public:
  Odometer(std::vector<RankId> vars, const std::vector<VarRange>& ranges, std::vector<std::int64_t>& values)
      : vars_(std::move(vars)), ranges_(ranges), values_(values) {}
  void start() {
    for (RankId v : vars_) values_[uidx(v)] = ranges_[uidx(v)].lo;
  }
  bool next() {
    for (std::size_t i = vars_.size(); i-- > 0;) {
      std::int64_t& x = values_[uidx(vars_[i])];
      if (++x < ranges_[uidx(vars_[i])].hi) return true;
      x = ranges_[uidx(vars_[i])].lo;
    }
    return false;
  }

 private:
  std::vector<RankId> vars_;
  const std::vector<VarRange>& ranges_;
  std::vector<std::int64_t>& values_;
};

double combine(ReduceOp op, const EinsumNumerics& num, double acc, double x) {
  switch (op) {
    case ReduceOp::add: return sum_step(num, acc, x);
    case ReduceOp::max: return max_step(num, acc, x);
    case ReduceOp::min: return min_step(num, acc, x);
  }
  return acc;
}

// The registers of one evaluation of the body: its value (or, for a hardware MAC, the two
// factors) and the mask (nullptr: no mask).
struct BodyRegs {
  const double* x = nullptr;
  const double* a = nullptr;
  const double* b = nullptr;
  const std::int64_t* mask = nullptr;
};

struct Compiled {
  int x = -1, a = -1, b = -1, mask = -1;
  BodyRegs regs(const RowProgram& p) const {
    BodyRegs r;
    if (x >= 0) r.x = p.real(x);
    if (a >= 0) r.a = p.real(a);
    if (b >= 0) r.b = p.real(b);
    if (mask >= 0) r.mask = p.integer(mask);
    return r;
  }
};

// acc[l] = acc[l] op body[l] for every unmasked lane (lane mode).
void fold_lanes(ReduceOp op, const EinsumNumerics& num, const BodyRegs& r, std::size_t n, double* acc,
                std::uint8_t* seen) {
  if (r.a) {  // hardware MAC
    for (std::size_t l = 0; l < n; ++l) {
      if (r.mask && !r.mask[l]) continue;
      acc[l] = mac_step(acc[l], r.a[l], r.b[l]);
      seen[l] = 1;
    }
    return;
  }
  if (!r.mask && num.mode == Numerics::fp64) {  // the hot path: plain vectorisable loops
    switch (op) {
      case ReduceOp::add: for (std::size_t l = 0; l < n; ++l) acc[l] += r.x[l]; break;
      case ReduceOp::max: for (std::size_t l = 0; l < n; ++l) acc[l] = nan_max(acc[l], r.x[l]); break;
      case ReduceOp::min: for (std::size_t l = 0; l < n; ++l) acc[l] = nan_min(acc[l], r.x[l]); break;
    }
    std::fill_n(seen, n, std::uint8_t{1});
    return;
  }
  for (std::size_t l = 0; l < n; ++l) {
    if (r.mask && !r.mask[l]) continue;
    acc[l] = combine(op, num, acc[l], r.x[l]);
    seen[l] = 1;
  }
}

// acc = acc op body[0] op body[1] ... in lane order (fold mode).
void fold_sequential(ReduceOp op, const EinsumNumerics& num, const BodyRegs& r, std::size_t n, double& acc,
                     bool& seen) {
  for (std::size_t l = 0; l < n; ++l) {
    if (r.mask && !r.mask[l]) continue;
    acc = r.a ? mac_step(acc, r.a[l], r.b[l]) : combine(op, num, acc, r.x[l]);
    seen = true;
  }
}

bool mentions_only(const Expr& e, const std::vector<RankId>& vars) {
  if (e.kind == Expr::Kind::var) return std::find(vars.begin(), vars.end(), e.id) != vars.end();
  return std::all_of(e.args.begin(), e.args.end(), [&](const Expr* a) { return mentions_only(*a, vars); });
}

class DenseRunner {
 public:
  DenseRunner(const EinsumTask& task, const DenseJob& job) : t_(task), job_(job) {
    values_.assign(task.c.ranks.size(), 0);
    reduced_ = job.outer_vars;
    reduced_.insert(reduced_.end(), job.inner_vars.begin(), job.inner_vars.end());
    choose_lane();
    program_ = std::make_unique<RowProgram>(task.c, task.shape, task.store, task.num, lane_, kBlock);
    const Expr& body = *job.body;
    // The hardware MAC: a product whose first reduction is `+` accumulates without a
    // separate rounding of the product (mac_bf16_fp32).
    const bool first_is_add = !job.inner_vars.empty() || (!job.outer_vars.empty() && job.outer_op == ReduceOp::add);
    if (task.num.mode == Numerics::hardware && first_is_add && body.kind == Expr::Kind::apply &&
        body.op == Op::mul && body.type == ValueType::real) {
      regs_.a = program_->compile_real(*body.args[0]);
      regs_.b = program_->compile_real(*body.args[1]);
    } else {
      regs_.x = program_->compile_real(body);
    }
    if (job.where) {
      regs_.mask = program_->compile_int(*job.where);
      lhs_only_mask_ = mentions_only(*job.where, job.out_vars);
    }
  }

  void run() {
    if (fold_mode_) {
      run_fold();
    } else {
      run_lanes();
    }
  }

 private:
  const VarRange& range(RankId v) const { return t_.ranges[uidx(v)]; }

  void choose_lane() {
    std::int64_t best = 0;
    for (RankId v : job_.out_vars) {
      if (range(v).size() > 1 && range(v).size() >= best) {
        best = range(v).size();
        lane_ = v;
      }
    }
    // Fold over the last reduced variable when it fills lanes much better: the left side
    // is then short (a decode step, a scalar result).
    if (!reduced_.empty() && range(reduced_.back()).size() >= 4 * std::max<std::int64_t>(best, 1)) {
      lane_ = reduced_.back();
      fold_mode_ = true;
    }
  }

  std::int64_t out_offset() const {
    std::int64_t off = job_.out_base;
    for (std::size_t i = 0; i < job_.out_vars.size(); ++i) {
      if (job_.out_vars[i] != lane_) off += values_[uidx(job_.out_vars[i])] * job_.out_strides[i];
    }
    return off;
  }
  std::int64_t lane_stride() const {
    for (std::size_t i = 0; i < job_.out_vars.size(); ++i) {
      if (job_.out_vars[i] == lane_) return job_.out_strides[i];
    }
    return 0;
  }
  void store(std::int64_t off, double v) {
    job_.out[off] = job_.round_output ? round_to_dtype(t_.num.storage, v) : v;
    if (job_.written) job_.written[off] = 1;
  }
  bool must_write(bool seen) const { return regs_.mask < 0 || !lhs_only_mask_ || seen; }
  /// The end of this job for one output: stored, or kept as the running value of a split
  /// reduction (DenseJob::suspend).
  void finish(std::int64_t off, double value, bool seen) {
    if (job_.suspend) {
      job_.partial[off] = value;
      job_.partial_seen[off] = seen ? 1 : 0;
    } else if (must_write(seen)) {
      store(off, value);
    }
  }

  std::vector<RankId> without_lane(const std::vector<RankId>& vars) const {
    std::vector<RankId> out;
    for (RankId v : vars) {
      if (v != lane_) out.push_back(v);
    }
    return out;
  }

  void run_lanes() {
    const std::vector<RankId> others = without_lane(job_.out_vars);
    Odometer points(others, t_.ranges, values_), outer(job_.outer_vars, t_.ranges, values_),
        inner(job_.inner_vars, t_.ranges, values_);
    const bool has_outer = !job_.outer_vars.empty(), has_inner = !job_.inner_vars.empty();
    const VarRange lanes = lane_ >= 0 ? range(lane_) : VarRange{0, 1};
    const std::int64_t lstride = lane_stride();
    std::vector<double> res(kBlock), acc(kBlock);
    std::vector<std::uint8_t> seen_out(kBlock), seen_in(kBlock);
    const double outer_identity = reduce_identity(job_.outer_op);
    points.start();
    do {
      const std::int64_t base = out_offset();
      for (std::int64_t l0 = lanes.lo; l0 < lanes.hi; l0 += static_cast<std::int64_t>(kBlock)) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::int64_t>(kBlock, lanes.hi - l0));
        if (lane_ >= 0) values_[uidx(lane_)] = l0;
        std::fill_n(res.begin(), n, outer_identity);
        std::fill_n(seen_out.begin(), n, std::uint8_t{0});
        if (job_.resume) {
          for (std::size_t l = 0; l < n; ++l) {
            const std::int64_t off = base + (l0 + static_cast<std::int64_t>(l)) * lstride;
            res[l] = job_.partial[off];
            seen_out[l] = job_.partial_seen[off];
          }
        }
        outer.start();
        do {
          if (has_inner) {
            // Without an outer reduction the inner sum is the running value (resumed).
            if (job_.resume && !has_outer) {
              std::copy_n(res.begin(), n, acc.begin());
              std::copy_n(seen_out.begin(), n, seen_in.begin());
            } else {
              std::fill_n(acc.begin(), n, 0.0);
              std::fill_n(seen_in.begin(), n, std::uint8_t{0});
            }
            inner.start();
            do {
              program_->run(values_, l0, n);
              fold_lanes(ReduceOp::add, t_.num, regs_.regs(*program_), n, acc.data(), seen_in.data());
            } while (inner.next());
            if (has_outer) {
              for (std::size_t l = 0; l < n; ++l) {
                if (!seen_in[l]) continue;  // an outer point with every inner point masked
                res[l] = combine(job_.outer_op, t_.num, res[l], acc[l]);
                seen_out[l] = 1;
              }
            } else {
              std::copy_n(acc.begin(), n, res.begin());
              std::copy_n(seen_in.begin(), n, seen_out.begin());
            }
          } else if (has_outer) {
            program_->run(values_, l0, n);
            fold_lanes(job_.outer_op, t_.num, regs_.regs(*program_), n, res.data(), seen_out.data());
          } else {  // no reduction: the body is the value
            program_->run(values_, l0, n);
            const BodyRegs r = regs_.regs(*program_);
            for (std::size_t l = 0; l < n; ++l) {
              const bool on = !r.mask || r.mask[l];
              seen_out[l] = on;
              if (on) res[l] = r.x[l];
            }
          }
        } while (outer.next());
        for (std::size_t l = 0; l < n; ++l) finish(base + (l0 + static_cast<std::int64_t>(l)) * lstride, res[l], seen_out[l]);
      }
    } while (points.next());
  }

  void run_fold() {
    const bool lane_is_inner = !job_.inner_vars.empty();
    const std::vector<RankId> outer_vars = lane_is_inner ? job_.outer_vars : without_lane(job_.outer_vars);
    const std::vector<RankId> inner_vars = without_lane(job_.inner_vars);
    Odometer points(job_.out_vars, t_.ranges, values_), outer(outer_vars, t_.ranges, values_),
        inner(inner_vars, t_.ranges, values_);
    const bool has_outer = !job_.outer_vars.empty();
    const VarRange lanes = range(lane_);
    points.start();
    do {
      double res = reduce_identity(job_.outer_op);
      bool seen_out = false;
      if (job_.resume) {
        res = job_.partial[out_offset()];
        seen_out = job_.partial_seen[out_offset()] != 0;
      }
      outer.start();
      do {
        if (lane_is_inner) {
          double acc = 0.0;
          bool seen_in = false;
          if (job_.resume && !has_outer) {  // the inner sum is the running value
            acc = res;
            seen_in = seen_out;
          }
          inner.start();
          do {
            for (std::int64_t l0 = lanes.lo; l0 < lanes.hi; l0 += static_cast<std::int64_t>(kBlock)) {
              const std::size_t n = static_cast<std::size_t>(std::min<std::int64_t>(kBlock, lanes.hi - l0));
              program_->run(values_, l0, n);
              fold_sequential(ReduceOp::add, t_.num, regs_.regs(*program_), n, acc, seen_in);
            }
          } while (inner.next());
          if (!has_outer) {
            res = acc;
            seen_out = seen_in;
          } else if (seen_in) {
            res = combine(job_.outer_op, t_.num, res, acc);
            seen_out = true;
          }
        } else {
          for (std::int64_t l0 = lanes.lo; l0 < lanes.hi; l0 += static_cast<std::int64_t>(kBlock)) {
            const std::size_t n = static_cast<std::size_t>(std::min<std::int64_t>(kBlock, lanes.hi - l0));
            program_->run(values_, l0, n);
            fold_sequential(job_.outer_op, t_.num, regs_.regs(*program_), n, res, seen_out);
          }
        }
      } while (outer.next());
      finish(out_offset(), res, seen_out);
    } while (points.next());
  }

  const EinsumTask& t_;
  const DenseJob& job_;
  std::vector<std::int64_t> values_;
  std::vector<RankId> reduced_;
  RankId lane_ = -1;
  bool fold_mode_ = false;
  bool lhs_only_mask_ = false;
  std::unique_ptr<RowProgram> program_;
  Compiled regs_;
};

}  // namespace

DenseJob einsum_job(const EinsumTask& task) {
  const Einsum& e = task.e;
  const Tensor& out = task.c.tensors[uidx(e.output)];
  const std::vector<std::int64_t>& strides = task.store.strides[uidx(e.output)];
  DenseJob job;
  job.out_vars = e.lhs_vars;
  job.out_strides = strides;
  // The iterative slot is written at r+1.
  for (std::size_t s = 0; s < out.iterative.size(); ++s) {
    if (out.iterative[s]) job.out_base += strides[s];
  }
  job.out = task.store.tensors[uidx(e.output)].data.data();
  job.outer_vars = e.outer_vars;
  job.inner_vars = e.inner_vars;
  job.outer_op = e.outer_op;
  job.body = e.body;
  job.where = e.where;
  job.round_output = task.num.mode != Numerics::fp64;
  return job;
}

void run_dense_job(const EinsumTask& task, const DenseJob& job) { DenseRunner(task, job).run(); }

}  // namespace einfuse::einsum::detail
