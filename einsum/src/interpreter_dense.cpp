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

#include "einfuse/einsum/numeric.hpp"
#include "interpreter_internal.hpp"

namespace einfuse::einsum::detail {
namespace {

constexpr std::size_t kBlock = 1024;  // lanes per row: big enough to amortise dispatch,
                                      // small enough that a row's registers stay in L1/L2
// The MAC fast path holds a factor's value at every reduction point of a block of lanes: at
// most this many values per panel (4 MiB of floats), in blocks of at least kMinMacLanes lanes.
constexpr std::size_t kMacPanelValues = std::size_t{1} << 20;
constexpr std::size_t kMinMacLanes = 16;

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

bool reads_tensor(const Expr& e, TensorId t) {
  if (e.kind == Expr::Kind::access && e.id == t) return true;
  return std::any_of(e.args.begin(), e.args.end(), [&](const Expr* a) { return reads_tensor(*a, t); });
}

std::vector<RankId> reduced_vars(const DenseJob& job) {
  std::vector<RankId> r = job.outer_vars;
  r.insert(r.end(), job.inner_vars.begin(), job.inner_vars.end());
  return r;
}

// The lane variable (-1: none) and whether its lanes are folded ("fold mode", see above).
struct LaneChoice {
  RankId lane = -1;
  bool fold = false;
};

LaneChoice choose_lane(const DenseJob& job, const std::vector<VarRange>& ranges) {
  LaneChoice choice;
  std::int64_t best = 0;
  for (RankId v : job.out_vars) {
    const std::int64_t size = ranges[uidx(v)].size();
    if (size > 1 && size >= best) {
      best = size;
      choice.lane = v;
    }
  }
  // Fold over the last reduced variable when it fills lanes much better: the left side
  // is then short (a decode step, a scalar result).
  const std::vector<RankId> reduced = reduced_vars(job);
  if (!reduced.empty() && ranges[uidx(reduced.back())].size() >= 4 * std::max<std::int64_t>(best, 1)) {
    choice.lane = reduced.back();
    choice.fold = true;
  }
  return choice;
}

// The hardware MAC: a product whose first reduction is `+` accumulates without a separate
// rounding of the product (mac_bf16_fp32).
bool is_hardware_mac(const EinsumNumerics& num, const DenseJob& job) {
  const bool first_is_add = !job.inner_vars.empty() || (!job.outer_vars.empty() && job.outer_op == ReduceOp::add);
  const Expr& body = *job.body;
  return num.mode == Numerics::hardware && first_is_add && body.kind == Expr::Kind::apply && body.op == Op::mul &&
         body.type == ValueType::real;
}

// The hardware MAC fast path's panels (interpreter_mac.cpp) and its block of lanes.
struct MacPath {
  std::unique_ptr<MacPanel> a, b, mask;
  std::size_t lanes = 0;
};

class DenseRunner {
 public:
  DenseRunner(const EinsumTask& task, const DenseJob& job) : t_(task), job_(job) {
    values_.assign(task.c.ranks.size(), 0);
    reduced_ = reduced_vars(job);
    const LaneChoice lanes = choose_lane(job, task.ranges);
    lane_ = lanes.lane;
    fold_mode_ = lanes.fold;
    if (job.where) lhs_only_mask_ = mentions_only(*job.where, job.out_vars);
    if (const std::size_t block = mac_path_lanes(task.c, task.e.output, task.num, job, task.ranges)) {
      set_up_mac_path(block);
      return;
    }
    const Expr& body = *job.body;
    program_ = std::make_unique<RowProgram>(task.c, task.shape, task.store, task.num, lane_, kBlock);
    if (is_hardware_mac(task.num, job)) {
      regs_.a = program_->compile_real(*body.args[0]);
      regs_.b = program_->compile_real(*body.args[1]);
    } else {
      regs_.x = program_->compile_real(body);
    }
    if (job.where) regs_.mask = program_->compile_int(*job.where);
  }

  void run() {
    if (mac_) {
      run_lanes_mac();
    } else if (fold_mode_) {
      run_fold();
    } else {
      run_lanes();
    }
  }

 private:
  const VarRange& range(RankId v) const { return t_.ranges[uidx(v)]; }

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
  bool must_write(bool seen) const { return !job_.where || !lhs_only_mask_ || seen; }
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

  void set_up_mac_path(std::size_t lanes) {
    const Expr& a = *job_.body->args[0];
    const Expr& b = *job_.body->args[1];
    mac_ = std::make_unique<MacPath>();
    mac_->lanes = lanes;
    mac_->a = std::make_unique<MacPanel>(t_, a, MacPanel::Kind::factor, lane_, reduced_, lanes);
    mac_->b = std::make_unique<MacPanel>(t_, b, MacPanel::Kind::factor, lane_, reduced_, lanes);
    if (job_.where) mac_->mask = std::make_unique<MacPanel>(t_, *job_.where, MacPanel::Kind::mask, lane_, reduced_, lanes);
  }

  void run_lanes_mac() {
    // Any order of the outputs gives the same bits: the output variables that rebuild the
    // biggest panels go outermost (SLN of SLNV depends on m1, not f: m1 outside f).
    std::vector<RankId> others = without_lane(job_.out_vars);
    std::vector<std::size_t> cost(t_.c.ranks.size(), 0);
    for (const MacPanel* p : {mac_->a.get(), mac_->b.get(), mac_->mask.get()})
      if (p)
        for (RankId v : p->keys()) cost[uidx(v)] += p->rebuild_size(mac_->lanes);
    std::stable_sort(others.begin(), others.end(), [&](RankId x, RankId y) { return cost[uidx(x)] > cost[uidx(y)]; });
    Odometer points(others, t_.ranges, values_);
    const VarRange lanes = range(lane_);
    const std::int64_t lstride = lane_stride();
    const auto block = static_cast<std::int64_t>(mac_->lanes);
    std::vector<float> acc(mac_->lanes);
    MacPanel* mask = mac_->mask.get();
    // Blocks of lanes outermost: a factor that does not mention the other output variables
    // (Q of QK, SLN of SLNV) is rounded once per block for all of their outputs.
    for (std::int64_t l0 = lanes.lo; l0 < lanes.hi; l0 += block) {
      const std::size_t n = static_cast<std::size_t>(std::min(block, lanes.hi - l0));
      values_[uidx(lane_)] = l0;
      points.start();
      do {
        const std::int64_t base = out_offset() + l0 * lstride;
        const auto at = [&](std::size_t l) { return base + static_cast<std::int64_t>(l) * lstride; };
        for (std::size_t l = 0; l < n; ++l)
          acc[l] = job_.resume ? numeric::flush_subnormal(numeric::to_fp32(job_.partial[at(l)])) : 0.0f;
        mac_->a->update(values_, l0, n);
        mac_->b->update(values_, l0, n);
        if (mask) mask->update(values_, l0, n);
        mac_panels(*mac_->a, *mac_->b, mask, n, acc.data());
        for (std::size_t l = 0; l < n; ++l) {
          const std::int64_t off = at(l);
          // Whether the lane met an unmasked point in this job; one that met none keeps its
          // value as the generic path does: the resumed one, or 0.
          const bool met = !mask || mask->any()[mask->per_lane() ? l : 0] != 0;
          const bool seen = met || (job_.resume && job_.partial_seen[off] != 0);
          finish(off, met ? static_cast<double>(acc[l]) : job_.resume ? job_.partial[off] : 0.0, seen);
        }
      } while (points.next());
    }
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
  std::unique_ptr<MacPath> mac_;
};

}  // namespace

// The MAC fast path takes a hardware MAC in lane mode whose reduction is one list of
// variables (the inner ones, or the outer ones of a `sum`), when the Einsum does not read its
// own output (the panels are read ahead of the writes) and a panel of a block of lanes fits.
std::size_t mac_path_lanes(const Cascade& c, TensorId output, const EinsumNumerics& num, const DenseJob& job,
                           const std::vector<VarRange>& ranges) {
  if (!num.mac_fast_path || !is_hardware_mac(num, job)) return 0;
  const bool inner_only = !job.inner_vars.empty() && job.outer_vars.empty();
  const bool sum_only = job.inner_vars.empty() && !job.outer_vars.empty() && job.outer_op == ReduceOp::add;
  const LaneChoice lane = choose_lane(job, ranges);
  if (lane.fold || lane.lane < 0 || !(inner_only || sum_only)) return 0;
  if (reads_tensor(*job.body, output) || (job.where && reads_tensor(*job.where, output))) return 0;
  std::size_t points = 1;
  for (RankId v : reduced_vars(job)) {
    if (ranges[uidx(v)].size() <= 0) return 0;
    points *= uidx(ranges[uidx(v)].size());
  }
  const std::size_t ranks = c.ranks.size();
  const bool per_lane = MacPanel::varies_along(*job.body->args[0], lane.lane, ranks) ||
                        MacPanel::varies_along(*job.body->args[1], lane.lane, ranks) ||
                        (job.where && MacPanel::varies_along(*job.where, lane.lane, ranks));
  const std::size_t width = uidx(ranges[uidx(lane.lane)].size());
  std::size_t lanes = std::min(kBlock, width);
  if (per_lane) lanes = std::min(lanes, kMacPanelValues / points);
  return lanes >= std::min(kMinMacLanes, width) ? lanes : 0;  // else a reduction too long to hold
}

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
