// Small cascades shared by the analysis tests (graph, passes, op counts, footprints).
// They are written inline so the tests do not depend on workloads/ and each one shows
// exactly the structure an assertion is about.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "einfuse/einsum/cascade.hpp"

namespace einfuse::test_cascades {

/// The Einsum that writes tensor `name` (tests name Einsums by their output).
inline einsum::EinsumId einsum_of(const einsum::Cascade& c, std::string_view name) {
  const auto t = c.find_tensor(name);
  if (!t || c.tensors[static_cast<std::size_t>(*t)].producer < 0) {
    throw std::logic_error("no Einsum writes " + std::string(name));
  }
  return c.tensors[static_cast<std::size_t>(*t)].producer;
}

// Numerically stable softmax in three traversals of M (FLAT, unfused baseline).
inline constexpr const char* kSoftmax3Pass = R"(
cascade softmax_3pass
batch B = 1, H = 1
rank E = 64, F = 64, P, M
input  Q[e,p] : bf16
input  K[e,m] : bf16
input  V[f,m] : bf16
output AV[f,p] : bf16 acc fp32
QK[m,p]  = Q[e,p] * K[e,m]
GM[p]    = max(m) QK[m,p]
SN[m,p]  = exp(QK[m,p] - GM[p])
SD[p]    = SN[m,p]
A[m,p]   = SN[m,p] / SD[p]
AV[f,p]  = A[m,p] * V[f,m]
)";

// Tile-local max and sum in pass 1, global correction between passes, normalise in pass 2.
inline constexpr const char* kSoftmax2Pass = R"(
cascade softmax_2pass
batch B = 1, H = 1
rank E = 64, F = 64, P, M
split M -> M1, M0 by 256
input  Q[e,p] : bf16
input  K[e,m] : bf16
input  V[f,m] : bf16
output AV[f,p] : bf16 acc fp32
QK[m1,m0,p]  = Q[e,p] * K[e, m1*M0+m0]
LM[m1,p]     = max(m0) QK[m1,m0,p]
SLN[m1,m0,p] = exp(QK[m1,m0,p] - LM[m1,p])
SLD[m1,p]    = SLN[m1,m0,p]
GM[p]        = max(m1) LM[m1,p]
SD[p]        = SLD[m1,p] * exp(LM[m1,p] - GM[p])
A[m1,m0,p]   = SLN[m1,m0,p] * exp(LM[m1,p] - GM[p]) / SD[p]
AV[f,p]      = A[m1,m0,p] * V[f, m1*M0+m0]
)";

// The FuseMax 1-pass cascade exactly as in docs/language.md.
inline constexpr const char* kSoftmax1Pass = R"(
cascade softmax_1pass
batch B = 1, H = 1
rank E = 64, F = 64, P, M
split M -> M1, M0 by 256
input  Q[e,p] : bf16
input  K[e,m] : bf16
input  V[f,m] : bf16
output AV[f,p] : bf16 acc fp32
QK[m1,m0,p]   = Q[e,p] * K[e, m1*M0+m0]
LM[m1,p]      = max(m0) QK[m1,m0,p]
RM[m1+1,p]    = max(RM[m1,p], LM[m1,p])          init -inf
SLN[m1,m0,p]  = exp(QK[m1,m0,p] - RM[m1+1,p])
PRM[m1,p]     = exp(RM[m1,p] - RM[m1+1,p])
SLD[m1,p]     = SLN[m1,m0,p]
RD[m1+1,p]    = PRM[m1,p] * RD[m1,p] + SLD[m1,p]       init 0
SLNV[f,m1,p]  = SLN[m1,m0,p] * V[f, m1*M0+m0]
RNV[f,m1+1,p] = PRM[m1,p] * RNV[f,m1,p] + SLNV[f,m1,p] init 0
AV[f,p]       = RNV[f,M1,p] / RD[M1,p]
)";

// The twelve-Einsum form of the FuseMax paper: the rescale products SPD and SPNV are
// separate, non-iterative Einsums, so RD/SPD and RNV/SPNV form two-Einsum cycles.
inline constexpr const char* kFuseMax12 = R"(
cascade fusemax_12
batch B = 1, H = 1
rank E = 64, F = 64, P, M
split M -> M1, M0 by 256
input  Q[e,p] : bf16
input  K[e,m] : bf16
input  V[f,m] : bf16
output AV[f,p] : bf16 acc fp32
QK[m1,m0,p]   = Q[e,p] * K[e, m1*M0+m0]
LM[m1,p]      = max(m0) QK[m1,m0,p]
RM[m1+1,p]    = max(RM[m1,p], LM[m1,p])          init -inf
SLN[m1,m0,p]  = exp(QK[m1,m0,p] - RM[m1+1,p])
PRM[m1,p]     = exp(RM[m1,p] - RM[m1+1,p])
SPD[m1,p]     = PRM[m1,p] * RD[m1,p]
SLD[m1,p]     = SLN[m1,m0,p]
RD[m1+1,p]    = SPD[m1,p] + SLD[m1,p]                  init 0
SPNV[f,m1,p]  = PRM[m1,p] * RNV[f,m1,p]
SLNV[f,m1,p]  = SLN[m1,m0,p] * V[f, m1*M0+m0]
RNV[f,m1+1,p] = SPNV[f,m1,p] + SLNV[f,m1,p]            init 0
AV[f,p]       = RNV[f,M1,p] / RD[M1,p]
)";

// 1-pass with a causal mask; `p + (M-P)` aligns the last query with the last key
// (bottom-right causal), so P < M is a prefill continuing a cached prefix.
inline constexpr const char* kCausal1Pass = R"(
cascade causal_1pass
batch B = 1, H = 32
rank E = 64, F = 64, P, M
split M -> M1, M0 by 256
input  Q[e,p] : bf16
input  K[e,m] : bf16
input  V[f,m] : bf16
output AV[f,p] : bf16 acc fp32
tensor QK : fp32 default -inf
tensor SLN : fp32 default 0
QK[m1,m0,p]   = Q[e,p] * K[e, m1*M0+m0]             where m1*M0+m0 <= p + (M-P)
LM[m1,p]      = max(m0) QK[m1,m0,p]                 where m1*M0+m0 <= p + (M-P)
RM[m1+1,p]    = max(RM[m1,p], LM[m1,p])              init -inf
SLN[m1,m0,p]  = exp(QK[m1,m0,p] - RM[m1+1,p])       where m1*M0+m0 <= p + (M-P)
PRM[m1,p]     = exp(RM[m1,p] - RM[m1+1,p])
SLD[m1,p]     = SLN[m1,m0,p]                        where m1*M0+m0 <= p + (M-P)
RD[m1+1,p]    = PRM[m1,p] * RD[m1,p] + SLD[m1,p]     init 0
SLNV[f,m1,p]  = SLN[m1,m0,p] * V[f, m1*M0+m0]       where m1*M0+m0 <= p + (M-P)
RNV[f,m1+1,p] = PRM[m1,p] * RNV[f,m1,p] + SLNV[f,m1,p] init 0
AV[f,p]       = RNV[f,M1,p] / RD[M1,p]
)";

// Causal sliding window of W keys.
inline constexpr const char* kWindow1Pass = R"(
cascade window_1pass
batch B = 1, H = 1
rank E = 64, F = 64, P, M
split M -> M1, M0 by 256
param W = 512
input  Q[e,p] : bf16
input  K[e,m] : bf16
input  V[f,m] : bf16
output AV[f,p] : bf16 acc fp32
tensor QK : fp32 default -inf
QK[m1,m0,p]   = Q[e,p] * K[e, m1*M0+m0]   where m1*M0+m0 <= p && p - (m1*M0+m0) < W
LM[m1,p]      = max(m0) QK[m1,m0,p]
RM[m1+1,p]    = max(RM[m1,p], LM[m1,p])              init -inf
SLN[m1,m0,p]  = exp(QK[m1,m0,p] - RM[m1+1,p])
PRM[m1,p]     = select(RM[m1+1,p] == -inf, 1, exp(RM[m1,p] - RM[m1+1,p]))
SLD[m1,p]     = SLN[m1,m0,p]
RD[m1+1,p]    = PRM[m1,p] * RD[m1,p] + SLD[m1,p]     init 0
SLNV[f,m1,p]  = SLN[m1,m0,p] * V[f, m1*M0+m0]
RNV[f,m1+1,p] = PRM[m1,p] * RNV[f,m1,p] + SLNV[f,m1,p] init 0
AV[f,p]       = select(RD[M1,p] == 0, 0, RNV[f,M1,p] / RD[M1,p])
)";

// Grouped-query attention: H query heads share G key/value heads (R = H / G per group).
inline constexpr const char* kGqa1Pass = R"(
cascade gqa_1pass
batch B = 1
rank H = 8, G = 2, E = 64, F = 64, P, M
split M -> M1, M0 by 256
let R = H / G
input  Q[h,e,p] : bf16
input  K[g,e,m] : bf16
input  V[g,f,m] : bf16
output AV[h,f,p] : bf16 acc fp32
QK[h,m1,m0,p]   = Q[h,e,p] * K[h/R, e, m1*M0+m0]
LM[h,m1,p]      = max(m0) QK[h,m1,m0,p]
RM[h,m1+1,p]    = max(RM[h,m1,p], LM[h,m1,p])          init -inf
SLN[h,m1,m0,p]  = exp(QK[h,m1,m0,p] - RM[h,m1+1,p])
PRM[h,m1,p]     = exp(RM[h,m1,p] - RM[h,m1+1,p])
SLD[h,m1,p]     = SLN[h,m1,m0,p]
RD[h,m1+1,p]    = PRM[h,m1,p] * RD[h,m1,p] + SLD[h,m1,p]     init 0
SLNV[h,f,m1,p]  = SLN[h,m1,m0,p] * V[h/R, f, m1*M0+m0]
RNV[h,f,m1+1,p] = PRM[h,m1,p] * RNV[h,f,m1,p] + SLNV[h,f,m1,p] init 0
AV[h,f,p]       = RNV[h,f,M1,p] / RD[h,M1,p]
)";

// Landmark-style retrieval: chunk summaries of K (M = C x T), top-J chunks per query,
// then a 1-pass softmax over the gathered tokens of the selected chunks.
inline constexpr const char* kLandmarkTopk = R"(
cascade landmark_topk
batch B = 1, H = 1
rank E = 64, F = 64, P, M, J = 4
split M -> C, T by 64
input  Q[e,p] : bf16
input  K[e,m] : bf16
input  V[f,m] : bf16
output AV[f,p] : bf16 acc fp32
Kc[e,c]       = K[e, c*T+t]
S[c,p]        = Q[e,p] * Kc[e,c]
Sel[j,p]      = topk(c -> j) S[c,p]
QKs[j,t,p]    = Q[e,p] * K[e, Sel[j,p]*T + t]
LM[j,p]       = max(t) QKs[j,t,p]
RM[j+1,p]     = max(RM[j,p], LM[j,p])              init -inf
SLN[j,t,p]    = exp(QKs[j,t,p] - RM[j+1,p])
PRM[j,p]      = exp(RM[j,p] - RM[j+1,p])
SLD[j,p]      = SLN[j,t,p]
RD[j+1,p]     = PRM[j,p] * RD[j,p] + SLD[j,p]       init 0
SLNV[f,j,p]   = SLN[j,t,p] * V[f, Sel[j,p]*T + t]
RNV[f,j+1,p]  = PRM[j,p] * RNV[f,j,p] + SLNV[f,j,p] init 0
AV[f,p]       = RNV[f,J,p] / RD[J,p]
)";

}  // namespace einfuse::test_cascades
