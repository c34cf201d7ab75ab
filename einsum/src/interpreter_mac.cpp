// The hardware MAC fast path (interpreter_internal.hpp, docs/interpreter.md "Engines"): a
// contraction in hardware mode spends its time in mac_bf16_fp32, and the generic path pays per
// MAC for a row program run, two roundings to bf16 and a call. Here the factors are rounded
// once per block of outputs into panels of floats, and the MACs run as a loop across the
// lanes (outputs) that the compiler vectorises; each lane still accumulates its reduction
// points one after the other in the interpreter's order, so every bit is the generic path's.
#include <algorithm>

#include "einfuse/einsum/numeric.hpp"
#include "interpreter_internal.hpp"

namespace einfuse::einsum::detail {
namespace {

constexpr std::size_t kMaxRow = 1024;  // values per row program run of a lane-independent panel

enum class MaskShape : std::uint8_t { none, per_lane, per_point };

// One call of the kernel: n lanes over `points` reduction points. A panel's entry for point r
// starts at r * stride (0: the same entry for every point).
struct MacRows {
  std::size_t points = 0, n = 0;
  const float* a = nullptr;
  std::size_t a_stride = 0;
  const float* b = nullptr;
  std::size_t b_stride = 0;
  const std::int32_t* mask = nullptr;
  std::size_t mask_stride = 0;
  MaskShape mask_shape = MaskShape::none;
};

// The kernel. ARow / BRow: the factor has a value per lane (else one for every lane). The
// pointers are __restrict parameters (acc never aliases a panel), which lets the compiler
// vectorise without run-time overlap checks.
template <bool ARow, bool BRow, MaskShape M>
[[gnu::always_inline]] inline void mac_rows(std::size_t points, std::size_t n, const float* __restrict a,
                                            std::size_t as, const float* __restrict b, std::size_t bs,
                                            const std::int32_t* __restrict m, std::size_t ms, float* __restrict acc) {
  for (std::size_t r = 0; r < points; ++r) {
    const float* ar = a + r * as;
    const float* br = b + r * bs;
    const std::int32_t* mr = m + r * ms;
    if constexpr (M == MaskShape::per_point) {
      if (mr[0] == 0) continue;
    }
    for (std::size_t l = 0; l < n; ++l) {
      const float v = numeric::mac_bf16_fp32_datapath(acc[l], ARow ? ar[l] : ar[0], BRow ? br[l] : br[0]);
      if constexpr (M == MaskShape::per_lane) {
        acc[l] = mr[l] != 0 ? v : acc[l];
      } else {
        acc[l] = v;
      }
    }
  }
}

template <bool ARow, bool BRow, MaskShape M>
[[gnu::always_inline]] inline void mac_rows(const MacRows& k, float* acc) {
  mac_rows<ARow, BRow, M>(k.points, k.n, k.a, k.a_stride, k.b, k.b_stride, k.mask, k.mask_stride, acc);
}

template <bool ARow, bool BRow>
[[gnu::always_inline]] inline void mac_rows_masked(const MacRows& k, float* acc) {
  switch (k.mask_shape) {
    case MaskShape::none: mac_rows<ARow, BRow, MaskShape::none>(k, acc); return;
    case MaskShape::per_lane: mac_rows<ARow, BRow, MaskShape::per_lane>(k, acc); return;
    case MaskShape::per_point: mac_rows<ARow, BRow, MaskShape::per_point>(k, acc); return;
  }
}

// One function per factor shape, compiled for AVX-512 and AVX2 too where the toolchain can
// pick the variant at load time (GCC's target_clones on x86-64 ELF; the default build stays
// portable): the same IEEE single-precision ops at another vector width, so the same bits
// (tests/einsum/test_interpreter_mac.cpp runs whichever variant the host picks against the
// generic path). docs/interpreter.md gives the speed of each.
#if defined(__x86_64__) && defined(__ELF__) && defined(__GNUC__) && !defined(__clang__)
#define EINFUSE_MAC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EINFUSE_MAC_CLONES
#endif

EINFUSE_MAC_CLONES void mac_row_row(const MacRows& k, float* acc) { mac_rows_masked<true, true>(k, acc); }
EINFUSE_MAC_CLONES void mac_row_point(const MacRows& k, float* acc) { mac_rows_masked<true, false>(k, acc); }
EINFUSE_MAC_CLONES void mac_point_point(const MacRows& k, float* acc) { mac_rows_masked<false, false>(k, acc); }

// Marks in `out` (by RankId) every variable `e` mentions.
void mentioned_vars(const Expr& e, std::vector<bool>& out) {
  if (e.kind == Expr::Kind::var) out[uidx(e.id)] = true;
  for (const Expr* a : e.args) mentioned_vars(*a, out);
}

}  // namespace

bool MacPanel::varies_along(const Expr& e, RankId lane, std::size_t rank_count) {
  std::vector<bool> mentions(rank_count, false);
  mentioned_vars(e, mentions);
  return mentions[uidx(lane)];
}

MacPanel::MacPanel(const EinsumTask& task, const Expr& e, Kind kind, RankId lane, std::vector<RankId> reduced,
                   std::size_t lanes)
    : task_(task), kind_(kind), reduced_(std::move(reduced)) {
  std::vector<bool> mentions(task.c.ranks.size(), false);
  mentioned_vars(e, mentions);
  per_lane_ = mentions[uidx(lane)];
  for (std::size_t v = 0; v < mentions.size(); ++v) {
    const auto id = static_cast<RankId>(v);
    const bool is_reduced = std::find(reduced_.begin(), reduced_.end(), id) != reduced_.end();
    per_point_ = per_point_ || (mentions[v] && is_reduced);
    if (mentions[v] && id != lane && !is_reduced) keys_.push_back(id);
  }
  key_.assign(keys_.size(), 0);
  for (RankId v : reduced_) points_ *= uidx(task.ranges[uidx(v)].size());
  // A panel with a value per lane runs a row program over the lane variable, once per
  // reduction point (or once, when it is the same at every point); one without runs it over
  // the last reduced variable, the fastest in the order, so a run fills consecutive entries.
  const RankId row_var = per_lane_ ? lane : reduced_.back();
  const std::size_t row_lanes = per_lane_    ? lanes
                                : per_point_ ? std::min(kMaxRow, uidx(task.ranges[uidx(row_var)].size()))
                                             : 1;
  program_ = std::make_unique<RowProgram>(task.c, task.shape, task.store, task.num, row_var, row_lanes);
  reg_ = kind == Kind::factor ? program_->compile_real(e) : program_->compile_int(e);
  const std::size_t size = rebuild_size(lanes);
  if (kind == Kind::factor) {
    factors_.resize(size);
  } else {
    mask_.resize(size);
    any_.resize(per_lane_ ? lanes : 1);
  }
}

MacPanel::~MacPanel() = default;

std::size_t MacPanel::point_stride(std::size_t n) const { return per_point_ ? (per_lane_ ? n : 1) : 0; }

void MacPanel::store_row(std::size_t at, std::size_t n) {
  if (kind_ == Kind::factor) {
    const double* x = program_->real(reg_);
    for (std::size_t i = 0; i < n; ++i) factors_[at + i] = numeric::bf16_operand(numeric::to_bf16(x[i]));
  } else {
    const std::int64_t* x = program_->integer(reg_);
    for (std::size_t i = 0; i < n; ++i) mask_[at + i] = x[i] != 0 ? 1 : 0;
  }
}

void MacPanel::update(std::vector<std::int64_t>& values, std::int64_t lane0, std::size_t n) {
  bool fresh = built_ && (!per_lane_ || (built_lane0_ == lane0 && built_n_ == n));
  for (std::size_t i = 0; i < keys_.size() && fresh; ++i) fresh = key_[i] == values[uidx(keys_[i])];
  if (fresh) return;
  for (std::size_t i = 0; i < keys_.size(); ++i) key_[i] = values[uidx(keys_[i])];
  built_ = true;
  built_lane0_ = lane0;
  built_n_ = n;
  const std::size_t width = per_lane_ ? n : 1;
  if (!per_point_) {  // the same at every reduction point: one run
    Odometer(reduced_, task_.ranges, values).start();
    program_->run(values, per_lane_ ? lane0 : task_.ranges[uidx(reduced_.back())].lo, width);
    store_row(0, width);
  } else if (per_lane_) {
    Odometer points(reduced_, task_.ranges, values);
    std::size_t r = 0;
    points.start();
    do {
      program_->run(values, lane0, n);
      store_row(r++ * n, n);
    } while (points.next());
  } else {
    const RankId last = reduced_.back();
    const VarRange span = task_.ranges[uidx(last)];
    Odometer points(std::vector<RankId>(reduced_.begin(), reduced_.end() - 1), task_.ranges, values);
    std::size_t r = 0;
    points.start();
    do {
      for (std::int64_t x0 = span.lo; x0 < span.hi; x0 += static_cast<std::int64_t>(kMaxRow)) {
        const std::size_t m = std::min(kMaxRow, uidx(span.hi - x0));
        program_->run(values, x0, m);
        store_row(r, m);
        r += m;
      }
    } while (points.next());
  }
  if (kind_ == Kind::mask) {
    std::fill_n(any_.begin(), width, std::uint8_t{0});
    for (std::size_t r = 0; r < (per_point_ ? points_ : 1); ++r)
      for (std::size_t l = 0; l < width; ++l) any_[l] |= static_cast<std::uint8_t>(mask_[r * width + l]);
  }
}

void mac_panels(const MacPanel& a, const MacPanel& b, const MacPanel* mask, std::size_t n, float* acc) {
  // a * b and b * a are the same IEEE product (and a NaN leaves as the canonical NaN), so the
  // factor with a value per lane goes first.
  const bool swap = !a.per_lane() && b.per_lane();
  const MacPanel& x = swap ? b : a;
  const MacPanel& y = swap ? a : b;
  MacRows k;
  k.points = a.points();
  k.n = n;
  k.a = x.factors();
  k.a_stride = x.point_stride(n);
  k.b = y.factors();
  k.b_stride = y.point_stride(n);
  if (mask) {
    k.mask = mask->mask();
    k.mask_stride = mask->point_stride(n);
    k.mask_shape = mask->per_lane() ? MaskShape::per_lane : MaskShape::per_point;
  }
  if (x.per_lane() && y.per_lane()) {
    mac_row_row(k, acc);
  } else if (x.per_lane()) {
    mac_row_point(k, acc);
  } else {
    mac_point_point(k, acc);
  }
}

}  // namespace einfuse::einsum::detail
