// exp as 6 bf16 MACs + 1 fp32 add (the FuseMax 2D array's PE; numeric.hpp, docs/numerics.md
// "exp on the MAC"): the op chain recomputed from its intermediates, the constants pinned bit
// for bit, the special cases, and every bf16 input against the correctly rounded exp. The
// bounds asserted are the measured ones published in docs/numerics.md.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "einfuse/einsum/numeric.hpp"

using namespace einfuse::einsum::numeric;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::uint32_t bits(float x) { return std::bit_cast<std::uint32_t>(x); }
Bf16 bf(double x) { return to_bf16(x); }
Bf16 neg(Bf16 b) { return Bf16{static_cast<std::uint16_t>(b.bits ^ 0x8000u)}; }
Bf16 daz(Bf16 x) { return (x.bits & 0x7F80u) == 0 ? Bf16{static_cast<std::uint16_t>(x.bits & 0x8000u)} : x; }

// Correctly rounded bf16 of a long double (round to odd at 53 bits, then to nearest even at 8:
// no double rounding), flushed below 2^-126 like the PE's results.
double to_double_odd(long double v) {
  double d = static_cast<double>(v);
  if (static_cast<long double>(d) == v || !std::isfinite(d)) return d;
  if (std::fabs(static_cast<long double>(d)) > std::fabs(v)) d = std::nextafter(d, 0.0);
  return std::bit_cast<double>(std::bit_cast<std::uint64_t>(d) | 1u);
}
Bf16 cr_bf16(long double v) { return daz(to_bf16(to_double_odd(v))); }
// v within 2^-56 (relative) of a bf16 rounding boundary: expl's own error could decide it.
bool hard_bf16(long double v) { return cr_bf16(v * (1 - 0x1p-56L)) != cr_bf16(v * (1 + 0x1p-56L)); }

struct Stats {
  int count = 0, hard = 0, not_cr = 0;
  std::uint64_t max_ulp = 0;
  float worst_x = 0.0f;
};

// exp_mac_sequence_hw_bf16 for every bf16 x (not NaN) with lo <= x <= hi.
Stats measure(float lo, float hi) {
  Stats s;
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const Bf16 x{static_cast<std::uint16_t>(b)};
    const float xf = to_float(x);
    if (!(xf >= lo && xf <= hi)) continue;
    const long double e = std::exp(static_cast<long double>(xf));
    ++s.count;
    if (hard_bf16(e)) ++s.hard;
    const std::uint64_t u = ulp_distance(exp_mac_sequence_hw_bf16(x), cr_bf16(e));
    if (u != 0) ++s.not_cr;
    if (u > s.max_ulp) {
      s.max_ulp = u;
      s.worst_x = xf;
    }
  }
  return s;
}

}  // namespace

TEST_CASE("exp on the MAC: the op chain is 6 MACs and 1 add, as documented", "[numeric][units][exp-mac]") {
  STATIC_REQUIRE(kExpMacSequenceMacs == 6);
  STATIC_REQUIRE(kExpMacSequenceAdds == 1);
  const ExpMacConstants& k = exp_mac_sequence_constants();
  int checked = 0;
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const Bf16 x = daz(Bf16{static_cast<std::uint16_t>(b)});
    const ExpMacSteps s = exp_mac_sequence_hw_steps(x);
    if (s.special) continue;
    ++checked;
    const float xf = to_float(x);
    INFO("x bits " << b);
    // Recompute each step from the previous ones with the PE's own MAC and adder.
    REQUIRE(bits(s.t) == bits(mac_bf16_fp32(0.0f, x, k.log2e)));                       // MAC 1
    REQUIRE(s.t == static_cast<float>(static_cast<double>(xf) * to_double(k.log2e)));  // exact
    REQUIRE(std::fabs(s.t - static_cast<float>(s.n)) <= 0.5f);
    const Bf16 nb = bf(s.n);
    REQUIRE(to_float(nb) == static_cast<float>(s.n));                                   // n exact in bf16
    REQUIRE(bits(s.a) == bits(mac_bf16_fp32(xf, nb, neg(k.ln2_hi))));                   // MAC 2
    REQUIRE(static_cast<double>(s.a) == static_cast<double>(xf) - s.n * to_double(k.ln2_hi));  // exact
    REQUIRE(bits(s.r) == bits(mac_bf16_fp32(s.a, nb, neg(k.ln2_lo))));                  // MAC 3
    REQUIRE(bits(s.u) == bits(add_fp32_hw(s.r, 1.0f)));                                 // ADD
    REQUIRE(s.rb == bf(s.r));
    REQUIRE(bits(s.p) == bits(mac_bf16_fp32(to_float(k.h[0]), s.rb, k.h[1])));          // MAC 4
    REQUIRE(s.pb == bf(s.p));
    REQUIRE(bits(s.g) == bits(mac_bf16_fp32(0.0f, s.rb, s.pb)));                        // MAC 5
    REQUIRE(s.gb == bf(s.g));
    REQUIRE(bits(s.e) == bits(mac_bf16_fp32(s.u, s.rb, s.gb)));                         // MAC 6
    // ranges: r within the reduction's measured interval, e = e^r in [e^-0.54, e^0.51]
    REQUIRE(s.r >= -0.539f);
    REQUIRE(s.r <= 0.507f);
    REQUIRE(s.e >= 0.58f);
    REQUIRE(s.e <= 1.66f);
    const double scaled = std::ldexp(static_cast<double>(s.e), s.n);
    const float expect = scaled < 0x1p-126 ? 0.0f : (scaled > std::numeric_limits<float>::max() ? kInf : static_cast<float>(scaled));
    REQUIRE(bits(s.result) == bits(expect));
    REQUIRE(bits(s.result) == bits(exp_mac_sequence_hw(x)));
  }
  CHECK(checked == 34'261);  // every bf16 input that reaches the pipeline
}

TEST_CASE("exp on the MAC: constants fitted in code, pinned bit for bit", "[numeric][units][exp-mac]") {
  const ExpMacConstants& k = exp_mac_sequence_constants();
  CHECK(k.log2e.bits == 0x3FB9u);   // 1.4453125
  CHECK(k.ln2_hi.bits == 0x3F31u);  // 0.69140625
  CHECK(k.ln2_lo.bits == 0x3AE4u);  // 0.001739501953125
  CHECK(k.h[0].bits == 0x3F01u);    // 0.50390625
  CHECK(k.h[1].bits == 0x3E2Bu);    // 0.1669921875
  CHECK(k.fit_lo == -std::log(2.0) / 2);
  CHECK(k.fit_hi == std::log(2.0) / 2);
  // the pair is ln2 to 2^-19 (relative)
  CHECK(std::fabs(to_double(k.ln2_hi) + to_double(k.ln2_lo) - std::log(2.0)) < 0x1p-19);
  // the fitted polynomial, in exact arithmetic, is e^r to 2^-12.5 (relative) on the fit interval
  long double worst = 0;
  for (int j = 0; j <= 4096; ++j) {
    const long double r = k.fit_lo + (k.fit_hi - k.fit_lo) * j / 4096.0L;
    const long double q = 1 + r + r * r * (to_double(k.h[0]) + r * to_double(k.h[1]));
    worst = std::fmax(worst, std::fabs(q / std::exp(r) - 1));
  }
  CHECK(worst < 0x1p-12L);
  // FNV-1a 64 over the fp32 results for every bf16 input, in bit-pattern order: any change to a
  // constant or to the op order shows up here (and must be carried over to the RTL).
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const std::uint32_t v = bits(exp_mac_sequence_hw(Bf16{static_cast<std::uint16_t>(b)}));
    for (int byte = 0; byte < 4; ++byte) h = (h ^ ((v >> (8 * byte)) & 0xFFu)) * 0x100000001B3ull;
  }
  CHECK(h == 0x77C1CE1E35B9F119ull);
}

TEST_CASE("exp on the MAC: special cases", "[numeric][units][exp-mac]") {
  CHECK(bits(exp_mac_sequence_hw(Bf16{0xFF80})) == 0x00000000u);  // -inf -> +0
  CHECK(exp_mac_sequence_hw(Bf16{0x7F80}) == kInf);               // +inf -> +inf
  for (const std::uint16_t nan : {std::uint16_t{0x7FC0}, std::uint16_t{0x7F81}, std::uint16_t{0xFFC0}, std::uint16_t{0xFFFF}, std::uint16_t{0x7FA5}}) {
    CHECK(bits(exp_mac_sequence_hw(Bf16{nan})) == kCanonicalNanBits);
    CHECK(exp_mac_sequence_hw_bf16(Bf16{nan}).bits == kBf16CanonicalNanBits);
  }
  CHECK(exp_mac_sequence_hw(Bf16{0x0000}) == 1.0f);  // +0
  CHECK(exp_mac_sequence_hw(Bf16{0x8000}) == 1.0f);  // -0
  CHECK(exp_mac_sequence_hw(Bf16{0x8001}) == 1.0f);  // subnormals read as zero
  CHECK(exp_mac_sequence_hw(Bf16{0x807F}) == 1.0f);
  CHECK(exp_mac_sequence_hw(Bf16{0x007F}) == 1.0f);
  CHECK(exp_mac_sequence_hw_bf16(bf(0.0)) == bf(1.0));
  CHECK(exp_mac_sequence_hw_bf16(bf(-1.0)) == cr_bf16(std::exp(-1.0L)));
  // large negative: flushed to +0 (exp < 2^-126), whether the pipeline or the t limit decides
  for (double x : {-88.0, -90.0, -100.0, -103.5, -104.0, -1e4, -1e30, -3.38e38}) {
    INFO("x = " << x);
    CHECK(bits(exp_mac_sequence_hw(bf(x))) == 0x00000000u);
  }
  CHECK(exp_mac_sequence_hw(bf(-87.0)) >= 0x1p-126f);
  // large positive: +inf
  for (double x : {89.0, 100.0, 1e30, 3.38e38}) {
    INFO("x = " << x);
    CHECK(exp_mac_sequence_hw(bf(x)) == kInf);
  }
  CHECK(std::isfinite(exp_mac_sequence_hw(bf(88.5))));
}

TEST_CASE("exp on the MAC: every bf16 input against the correctly rounded exp", "[numeric][units][exp-mac]") {
  REQUIRE(std::numeric_limits<long double>::digits >= 64);
  // softmax domain: every bf16 x <= 0 (zeros, subnormals, -inf included)
  const Stats negative = measure(-kInf, 0.0f);
  CHECK(negative.count == 32'642);  // both zeros, the subnormals and -inf
  CHECK(negative.hard == 0);
  CHECK(negative.max_ulp == 1);
  CHECK(negative.not_cr == 21);
  const Stats softmax = measure(-87.0f, 0.0f);
  CHECK(softmax.count == 17'072);
  CHECK(softmax.max_ulp == 1);
  CHECK(softmax.not_cr == 21);  // every miss lies in [-87, 0]
  // x > 0 (+inf included): the same sequence, also within 1 ulp
  const Stats positive = measure(std::numeric_limits<float>::denorm_min(), kInf);
  CHECK(positive.count == 32'640);
  CHECK(positive.hard == 0);
  CHECK(positive.max_ulp == 1);
  CHECK(positive.not_cr == 23);
  // overflow exactly where the correctly rounded bf16 exp overflows, flush exactly where it is
  // below 2^-126
  int differs = 0;
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const Bf16 x{static_cast<std::uint16_t>(b)};
    const float xf = to_float(x);
    if (std::isnan(xf)) continue;
    const Bf16 ref = cr_bf16(std::exp(static_cast<long double>(xf)));
    const Bf16 got = exp_mac_sequence_hw_bf16(x);
    differs += std::isinf(to_float(ref)) != std::isinf(to_float(got));
    differs += (to_float(ref) == 0.0f) != (to_float(got) == 0.0f);
  }
  CHECK(differs == 0);
}
