// CUDA kernels of the GPU ground truth (docs/gpu.md). Correct and readable first; the
// performance ideas that were left out are listed at the end of this file.
//
// Layout (row-major): Q [B][H][P][D], K and V [B][G][M][D], out [B][H][P][D]. Query head h
// reads KV head h / (H / G). Masks are bottom-right aligned: query p sits at key position
// a = p + M - P; causal keeps keys m <= a; a window W also needs a - m < W. A query that
// sees no key outputs 0 (never NaN): the running max stays -inf, the rescale factor is
// taken as 1 instead of exp(-inf - -inf), and the final division is skipped when the
// row sum is 0.
//
// Kernels:
//   naive:        cuBLAS GEMM S = Q K^T (fp32 out), row_softmax_kernel (masked, scaled;
//                 P stored in the storage type), cuBLAS GEMM out = P V.
//   flash_wmma:   fused 1-pass, bf16 in, fp32 accumulation, nvcuda::wmma 16x16x16 bf16
//                 fragments; one block = 64 queries of one (b, h), 4 warps x 16 rows.
//   flash_scalar: fused 1-pass, one warp per query, plain fp32 arithmetic (T = float or
//                 bf16 storage); the fp32 validation variant, and the decode kernel.
//   decode_split: flash_scalar on key ranges (split-KV) + lse_merge_kernel.
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include <cmath>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "backend.hpp"
#include "einfuse/gpu_ref/device.hpp"

namespace einfuse::gpu_ref::backend {
namespace {

// --- error checking -----------------------------------------------------------------------

// Every CUDA/cuBLAS call goes through these; the message names the call and the shapes.
#define EINFUSE_CUDA_CHECK(call, shapes)                                                               \
  do {                                                                                                 \
    const cudaError_t einfuse_err_ = (call);                                                           \
    if (einfuse_err_ != cudaSuccess) {                                                                 \
      throw DeviceError(std::string(#call) + " failed: " + cudaGetErrorName(einfuse_err_) + " (" +     \
                        cudaGetErrorString(einfuse_err_) + ") [" + (shapes) + "]");                    \
    }                                                                                                  \
  } while (0)

#define EINFUSE_CUBLAS_CHECK(call, shapes)                                                             \
  do {                                                                                                 \
    const cublasStatus_t einfuse_st_ = (call);                                                         \
    if (einfuse_st_ != CUBLAS_STATUS_SUCCESS) {                                                        \
      throw DeviceError(std::string(#call) + " failed: " + cublasGetStatusString(einfuse_st_) + " [" + \
                        (shapes) + "]");                                                               \
    }                                                                                                  \
  } while (0)

// After a <<<...>>> launch: launch-configuration errors now, execution errors at the next sync.
#define EINFUSE_LAUNCH_CHECK(kernel_name, grid, block, smem, shapes)                                   \
  EINFUSE_CUDA_CHECK(cudaGetLastError(), std::string(kernel_name) + " grid " + dim_text(grid) + " block " + \
                                             dim_text(block) + " smem " + std::to_string(smem) + " B, " + (shapes))

std::string dim_text(dim3 d) {
  return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," + std::to_string(d.z) + ")";
}

// --- helpers --------------------------------------------------------------------------------

template <typename T>
__device__ __forceinline__ float to_f(T x);
template <>
__device__ __forceinline__ float to_f<float>(float x) { return x; }
template <>
__device__ __forceinline__ float to_f<__nv_bfloat16>(__nv_bfloat16 x) { return __bfloat162float(x); }

template <typename T>
__device__ __forceinline__ T from_f(float x);
template <>
__device__ __forceinline__ float from_f<float>(float x) { return x; }
template <>
__device__ __forceinline__ __nv_bfloat16 from_f<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

__device__ __forceinline__ float warp_max(float x) {
  for (int o = 16; o > 0; o /= 2) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, o));
  return x;
}
__device__ __forceinline__ float warp_sum(float x) {
  for (int o = 16; o > 0; o /= 2) x += __shfl_xor_sync(0xffffffffu, x, o);
  return x;
}

// The key range [lo, hi) query p sees.
struct KeyRange {
  long long lo, hi;
};
__device__ __forceinline__ KeyRange visible_keys(long long p, long long P, long long M, bool causal, long long window) {
  const long long a = p + M - P;
  long long hi = causal ? (a + 1 < M ? a + 1 : M) : M;
  long long lo = window > 0 ? (a - window + 1 > 0 ? a - window + 1 : 0) : 0;
  if (hi < 0) hi = 0;
  return {lo, hi};
}
__device__ __forceinline__ bool key_visible(long long p, long long m, long long P, long long M, bool causal,
                                            long long window) {
  const KeyRange r = visible_keys(p, P, M, causal, window);
  return m >= r.lo && m < r.hi;
}

constexpr float kNegInf = -INFINITY;

// --- naive: row softmax ------------------------------------------------------------------

// One block per row (b, h, p) of S [B*H*P][M] (fp32); writes A [B*H*P][M] in T. Scale and
// mask are applied here; masked entries and fully masked rows give 0.
template <typename T>
__global__ void row_softmax_kernel(const float* __restrict__ S, T* __restrict__ A, long long P, long long M,
                                   bool causal, long long window, float scale) {
  const long long row = blockIdx.x;
  const long long p = row % P;
  const float* s = S + row * M;
  T* a = A + row * M;
  __shared__ float red[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;

  float mx = kNegInf;
  for (long long m = threadIdx.x; m < M; m += blockDim.x) {
    if (key_visible(p, m, P, M, causal, window)) mx = fmaxf(mx, s[m] * scale);
  }
  mx = warp_max(mx);
  if (lane == 0) red[warp] = mx;
  __syncthreads();
  mx = kNegInf;
  for (int w = 0; w < nwarps; ++w) mx = fmaxf(mx, red[w]);
  __syncthreads();

  float sum = 0.0f;
  if (mx != kNegInf) {
    for (long long m = threadIdx.x; m < M; m += blockDim.x) {
      if (key_visible(p, m, P, M, causal, window)) sum += expf(s[m] * scale - mx);
    }
  }
  sum = warp_sum(sum);
  if (lane == 0) red[warp] = sum;
  __syncthreads();
  sum = 0.0f;
  for (int w = 0; w < nwarps; ++w) sum += red[w];

  for (long long m = threadIdx.x; m < M; m += blockDim.x) {
    const bool vis = mx != kNegInf && key_visible(p, m, P, M, causal, window);
    a[m] = from_f<T>(vis ? expf(s[m] * scale - mx) / sum : 0.0f);
  }
}

// --- flash, scalar: one warp per query ------------------------------------------------------

// Block: kScalarWarps warps, each one query row. Grid: (ceil(P / warps), B*H, splits).
// Keys are walked in chunks of 32: lane l scores key k0 + l (a full dot product), the warp
// agrees on the chunk max and sum by shuffles, then every lane accumulates its D/32 output
// features over the 32 keys, broadcasting each probability with __shfl_sync.
// With splits > 1 (decode), block z reads keys [z*keys_per_split, (z+1)*keys_per_split) and
// writes the normalised partial output and its (max, sum) for lse_merge_kernel.
constexpr int kScalarWarps = 4;

template <typename T, int D>
__global__ void flash_scalar_kernel(const T* __restrict__ Q, const T* __restrict__ K, const T* __restrict__ V,
                                    T* __restrict__ out, float* __restrict__ part_out, float* __restrict__ part_max,
                                    float* __restrict__ part_sum, int H, int G, long long P, long long M, bool causal,
                                    long long window, float scale, long long keys_per_split) {
  static_assert(D % 32 == 0, "head dim must be a multiple of 32");
  constexpr int kPerLane = D / 32;
  __shared__ float q_s[kScalarWarps][D];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const long long p = static_cast<long long>(blockIdx.x) * kScalarWarps + warp;
  const int bh = blockIdx.y;  // b * H + h
  const int b = bh / H, h = bh % H, g = h / (H / G);
  const int split = blockIdx.z;
  if (p >= P) return;  // whole warp leaves together: no block-wide sync below

  const T* q = Q + (static_cast<long long>(bh) * P + p) * D;
  const T* k = K + static_cast<long long>(b * G + g) * M * D;
  const T* v = V + static_cast<long long>(b * G + g) * M * D;
  for (int i = lane; i < D; i += 32) q_s[warp][i] = to_f(q[i]);
  __syncwarp();

  KeyRange r = visible_keys(p, P, M, causal, window);
  if (gridDim.z > 1) {
    const long long s0 = split * keys_per_split, s1 = s0 + keys_per_split;
    if (s0 > r.lo) r.lo = s0;
    if (s1 < r.hi) r.hi = s1;
  }

  float row_max = kNegInf, row_sum = 0.0f;
  float acc[kPerLane];
  for (int j = 0; j < kPerLane; ++j) acc[j] = 0.0f;

  for (long long k0 = r.lo; k0 < r.hi; k0 += 32) {
    const long long key = k0 + lane;
    const bool valid = key < r.hi;
    float s = kNegInf;
    if (valid) {
      float dot = 0.0f;
      for (int e = 0; e < D; ++e) dot += q_s[warp][e] * to_f(k[key * D + e]);
      s = dot * scale;
    }
    const float new_max = fmaxf(row_max, warp_max(s));  // finite: lane 0 is always valid
    const float alpha = expf(row_max - new_max);        // row_max = -inf gives 0
    // The probability as the PV product uses it: rounded to the storage type (bf16), as
    // flash kernels do; the row sum uses the same rounded value.
    const float prob = valid ? to_f(from_f<T>(expf(s - new_max))) : 0.0f;
    row_sum = row_sum * alpha + warp_sum(prob);
    for (int j = 0; j < kPerLane; ++j) acc[j] *= alpha;
    const int n = static_cast<int>(r.hi - k0 < 32 ? r.hi - k0 : 32);
    for (int l = 0; l < n; ++l) {
      const float pl = __shfl_sync(0xffffffffu, prob, l);
      const T* vrow = v + (k0 + l) * D;
      for (int j = 0; j < kPerLane; ++j) acc[j] += pl * to_f(vrow[lane + 32 * j]);
    }
    row_max = new_max;
  }

  if (part_out != nullptr) {  // split-KV partial: normalised output, max and sum
    const long long slot = static_cast<long long>(bh) * gridDim.z + split;  // P == 1 here
    for (int j = 0; j < kPerLane; ++j) part_out[slot * D + lane + 32 * j] = row_sum > 0.0f ? acc[j] / row_sum : 0.0f;
    if (lane == 0) {
      part_max[slot] = row_max;
      part_sum[slot] = row_sum;
    }
    return;
  }
  T* o = out + (static_cast<long long>(bh) * P + p) * D;
  for (int j = 0; j < kPerLane; ++j) o[lane + 32 * j] = from_f<T>(row_sum > 0.0f ? acc[j] / row_sum : 0.0f);
}

// Merges the split-KV partials of one (b, h) (decode: P = 1): with m* = max_s max_s,
// w_s = sum_s * exp(max_s - m*), out = sum_s w_s O_s / sum_s w_s; 0 when no split saw a key.
template <typename T>
__global__ void lse_merge_kernel(const float* __restrict__ part_out, const float* __restrict__ part_max,
                                 const float* __restrict__ part_sum, T* __restrict__ out, int splits, int D) {
  const long long bh = blockIdx.x;
  const float* pm = part_max + bh * splits;
  const float* ps = part_sum + bh * splits;
  float gmax = kNegInf;
  for (int s = 0; s < splits; ++s) gmax = fmaxf(gmax, pm[s]);
  for (int f = threadIdx.x; f < D; f += blockDim.x) {
    float num = 0.0f, den = 0.0f;
    if (gmax != kNegInf) {
      for (int s = 0; s < splits; ++s) {
        if (ps[s] <= 0.0f) continue;  // empty split: max -inf, weight 0
        const float w = ps[s] * expf(pm[s] - gmax);
        num += w * part_out[(bh * splits + s) * D + f];
        den += w;
      }
    }
    out[bh * D + f] = from_f<T>(den > 0.0f ? num / den : 0.0f);
  }
}

// --- flash, WMMA (bf16) ---------------------------------------------------------------------

// One block: kBlockQ = 64 queries of one (b, h); 4 warps, warp w owns rows 16w..16w+15.
// Shared memory (dynamic; FlashTiling::shared_bytes in host.cpp mirrors it):
//   q_s [64][D] bf16, k_s [BK][D] bf16, v_s [BK][D] bf16, s_s [64][BK] fp32,
//   p_s [64][BK] bf16, o_s [64][D] fp32, row_max/row_sum/row_alpha [64] fp32.
// Per key tile: S = Q K^T by WMMA into s_s; each warp updates its rows' online softmax
// (writes bf16 probabilities to p_s and the rescale factor); rescales its rows of o_s;
// then O += P V by WMMA with the accumulator fragments loaded from and stored to o_s
// (WMMA accumulator fragments have no portable row mapping, so the per-row rescale is done
// in shared memory).
constexpr int kBlockQ = 64;
constexpr int kWmmaWarps = 4;

template <int D, int BK>
__global__ void __launch_bounds__(kWmmaWarps * 32)
    flash_wmma_kernel(const __nv_bfloat16* __restrict__ Q, const __nv_bfloat16* __restrict__ K,
                      const __nv_bfloat16* __restrict__ V, __nv_bfloat16* __restrict__ out, int H, int G, long long P,
                      long long M, bool causal, long long window, float scale) {
  using namespace nvcuda;
  static_assert(D % 16 == 0 && BK % 32 == 0, "tile sizes");
  extern __shared__ __align__(128) unsigned char smem[];
  __nv_bfloat16* q_s = reinterpret_cast<__nv_bfloat16*>(smem);
  __nv_bfloat16* k_s = q_s + kBlockQ * D;
  __nv_bfloat16* v_s = k_s + BK * D;
  float* s_s = reinterpret_cast<float*>(v_s + BK * D);
  __nv_bfloat16* p_s = reinterpret_cast<__nv_bfloat16*>(s_s + kBlockQ * BK);
  float* o_s = reinterpret_cast<float*>(p_s + kBlockQ * BK);
  float* row_max = o_s + kBlockQ * D;
  float* row_sum = row_max + kBlockQ;
  float* row_alpha = row_sum + kBlockQ;

  const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
  const int bh = blockIdx.y;
  const int b = bh / H, h = bh % H, g = h / (H / G);
  const long long q0 = static_cast<long long>(blockIdx.x) * kBlockQ;
  const __nv_bfloat16* q = Q + static_cast<long long>(bh) * P * D;
  const __nv_bfloat16* k = K + static_cast<long long>(b * G + g) * M * D;
  const __nv_bfloat16* v = V + static_cast<long long>(b * G + g) * M * D;
  const __nv_bfloat16 zero = __float2bfloat16_rn(0.0f);

  for (int i = tid; i < kBlockQ * D; i += blockDim.x) {
    const long long p = q0 + i / D;
    q_s[i] = p < P ? q[p * D + i % D] : zero;
    o_s[i] = 0.0f;
  }
  for (int i = tid; i < kBlockQ; i += blockDim.x) {
    row_max[i] = kNegInf;
    row_sum[i] = 0.0f;
    row_alpha[i] = 1.0f;
  }
  __syncthreads();

  // Keys any query of this block sees: [lo of the first query, hi of the last).
  const long long q_last = (q0 + kBlockQ < P ? q0 + kBlockQ : P) - 1;
  const long long key_lo = visible_keys(q0, P, M, causal, window).lo;
  const long long key_hi = visible_keys(q_last, P, M, causal, window).hi;
  const long long tile_lo = key_lo / BK * BK;

  for (long long k0 = tile_lo; k0 < key_hi; k0 += BK) {
    for (int i = tid; i < BK * D; i += blockDim.x) {
      const long long m = k0 + i / D;
      k_s[i] = m < M ? k[m * D + i % D] : zero;
      v_s[i] = m < M ? v[m * D + i % D] : zero;
    }
    __syncthreads();

    // S = Q K^T for this warp's 16 rows: B is K^T, i.e. k_s read column-major.
    for (int n = 0; n < BK / 16; ++n) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> c;
      wmma::fill_fragment(c, 0.0f);
      for (int kk = 0; kk < D / 16; ++kk) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> bm;
        wmma::load_matrix_sync(a, q_s + warp * 16 * D + kk * 16, D);
        wmma::load_matrix_sync(bm, k_s + n * 16 * D + kk * 16, D);
        wmma::mma_sync(c, a, bm, c);
      }
      wmma::store_matrix_sync(s_s + warp * 16 * BK + n * 16, c, BK, wmma::mem_row_major);
    }
    __syncwarp();

    // Online softmax, one row at a time, the lanes across the BK columns.
    for (int rr = 0; rr < 16; ++rr) {
      const int r = warp * 16 + rr;
      const long long p = q0 + r;
      float sv[BK / 32];
      bool vis[BK / 32];
      float tile_max = kNegInf;
      for (int j = 0; j < BK / 32; ++j) {
        const int c = lane + 32 * j;
        const long long m = k0 + c;
        vis[j] = p < P && m < M && key_visible(p, m, P, M, causal, window);
        sv[j] = vis[j] ? s_s[r * BK + c] * scale : kNegInf;
        tile_max = fmaxf(tile_max, sv[j]);
      }
      tile_max = warp_max(tile_max);
      const float old_max = row_max[r];
      const float new_max = fmaxf(old_max, tile_max);
      const bool none_yet = new_max == kNegInf;  // no visible key so far: keep the state
      const float alpha = none_yet ? 1.0f : expf(old_max - new_max);
      float tile_sum = 0.0f;
      for (int j = 0; j < BK / 32; ++j) {
        const __nv_bfloat16 pb = __float2bfloat16_rn(vis[j] ? expf(sv[j] - new_max) : 0.0f);
        p_s[r * BK + lane + 32 * j] = pb;
        tile_sum += __bfloat162float(pb);
      }
      tile_sum = warp_sum(tile_sum);
      __syncwarp();
      if (lane == 0) {
        row_max[r] = new_max;
        row_sum[r] = row_sum[r] * alpha + tile_sum;
        row_alpha[r] = alpha;
      }
      __syncwarp();
    }

    // Rescale this warp's rows of the output accumulator.
    for (int i = lane; i < 16 * D; i += 32) {
      const int r = warp * 16 + i / D;
      o_s[r * D + i % D] *= row_alpha[r];
    }
    __syncwarp();

    // O += P V for this warp's rows.
    for (int n = 0; n < D / 16; ++n) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> c;
      wmma::load_matrix_sync(c, o_s + warp * 16 * D + n * 16, D, wmma::mem_row_major);
      for (int kk = 0; kk < BK / 16; ++kk) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> bm;
        wmma::load_matrix_sync(a, p_s + warp * 16 * BK + kk * 16, BK);
        wmma::load_matrix_sync(bm, v_s + kk * 16 * D + n * 16, D);
        wmma::mma_sync(c, a, bm, c);
      }
      wmma::store_matrix_sync(o_s + warp * 16 * D + n * 16, c, D, wmma::mem_row_major);
    }
    __syncthreads();  // k_s / v_s are overwritten by the next tile
  }

  __nv_bfloat16* o = out + static_cast<long long>(bh) * P * D;
  for (int i = tid; i < kBlockQ * D; i += blockDim.x) {
    const int r = i / D;
    const long long p = q0 + r;
    if (p >= P) continue;
    const float l = row_sum[r];
    o[p * D + i % D] = __float2bfloat16_rn(l > 0.0f ? o_s[i] / l : 0.0f);
  }
}

std::size_t wmma_shared_bytes(int D, int BK) {
  const std::size_t q = kBlockQ, k = static_cast<std::size_t>(BK), d = static_cast<std::size_t>(D);
  return q * d * 2 + 2 * k * d * 2 + q * k * 4 + q * k * 2 + q * d * 4 + 3 * q * 4;
}

// --- device memory ---------------------------------------------------------------------------

struct DeviceFree {
  void operator()(void* p) const { cudaFree(p); }
};
using DevicePtr = std::unique_ptr<void, DeviceFree>;

DevicePtr device_alloc(std::size_t bytes, const std::string& what, const std::string& shapes) {
  void* p = nullptr;
  EINFUSE_CUDA_CHECK(cudaMalloc(&p, bytes == 0 ? 1 : bytes), what + " " + std::to_string(bytes) + " B, " + shapes);
  return DevicePtr(p);
}

struct CublasHandle {
  cublasHandle_t h = nullptr;
  explicit CublasHandle(const std::string& shapes) { EINFUSE_CUBLAS_CHECK(cublasCreate(&h), shapes); }
  ~CublasHandle() {
    if (h) cublasDestroy(h);
  }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
};

// Everything one run needs on the device: `copies` sets of Q, K, V (rotated while timing),
// the output, and the workspaces of the naive and split-KV kernels.
class Problem {
 public:
  Problem(const Shape& s, const Launch& l, const HostData& data, int copies) : s_(s), l_(l) {
    const std::size_t es = l.bf16 ? 2 : 4;
    q_elems_ = static_cast<std::size_t>(s.batch * s.heads * s.seq_q * s.head_dim);
    kv_elems_ = static_cast<std::size_t>(s.batch * s.kv_heads * s.seq_k * s.head_dim);
    const void* hq = l.bf16 ? static_cast<const void*>(data.q16.data()) : data.q32.data();
    const void* hk = l.bf16 ? static_cast<const void*>(data.k16.data()) : data.k32.data();
    const void* hv = l.bf16 ? static_cast<const void*>(data.v16.data()) : data.v32.data();
    for (int c = 0; c < copies; ++c) {
      q_.push_back(device_alloc(q_elems_ * es, "cudaMalloc Q", s.text));
      k_.push_back(device_alloc(kv_elems_ * es, "cudaMalloc K", s.text));
      v_.push_back(device_alloc(kv_elems_ * es, "cudaMalloc V", s.text));
      EINFUSE_CUDA_CHECK(cudaMemcpy(q_.back().get(), hq, q_elems_ * es, cudaMemcpyHostToDevice), "Q " + s.text);
      EINFUSE_CUDA_CHECK(cudaMemcpy(k_.back().get(), hk, kv_elems_ * es, cudaMemcpyHostToDevice), "K " + s.text);
      EINFUSE_CUDA_CHECK(cudaMemcpy(v_.back().get(), hv, kv_elems_ * es, cudaMemcpyHostToDevice), "V " + s.text);
    }
    out_ = device_alloc(q_elems_ * es, "cudaMalloc out", s.text);
    if (l.kernel == Kernel::naive) {
      const auto rows = static_cast<std::size_t>(s.batch * s.heads * s.seq_q);
      const auto cols = static_cast<std::size_t>(s.seq_k);
      scores_ = device_alloc(rows * cols * 4, "cudaMalloc S (naive, fp32)", s.text);
      probs_ = device_alloc(rows * cols * es, "cudaMalloc A (naive)", s.text);
      cublas_ = std::make_unique<CublasHandle>(s.text);
    }
    if (l.kernel == Kernel::decode_split) {
      const auto slots = static_cast<std::size_t>(s.batch * s.heads * l.splits);
      part_out_ = device_alloc(slots * static_cast<std::size_t>(s.head_dim) * 4, "cudaMalloc split partials", s.text);
      part_max_ = device_alloc(slots * 4, "cudaMalloc split max", s.text);
      part_sum_ = device_alloc(slots * 4, "cudaMalloc split sum", s.text);
    }
  }

  void launch(int copy) {
    const std::size_t c = static_cast<std::size_t>(copy) % q_.size();
    if (l_.bf16) {
      launch_typed<__nv_bfloat16>(q_[c].get(), k_[c].get(), v_[c].get());
    } else {
      launch_typed<float>(q_[c].get(), k_[c].get(), v_[c].get());
    }
  }

  std::vector<float> read_output() {
    std::vector<float> out(q_elems_);
    if (l_.bf16) {
      std::vector<__nv_bfloat16> raw(q_elems_);
      EINFUSE_CUDA_CHECK(cudaMemcpy(raw.data(), out_.get(), q_elems_ * 2, cudaMemcpyDeviceToHost), "out " + s_.text);
      for (std::size_t i = 0; i < q_elems_; ++i) out[i] = __bfloat162float(raw[i]);
    } else {
      EINFUSE_CUDA_CHECK(cudaMemcpy(out.data(), out_.get(), q_elems_ * 4, cudaMemcpyDeviceToHost), "out " + s_.text);
    }
    return out;
  }

 private:
  template <typename T>
  void launch_typed(const void* qv, const void* kv, const void* vv) {
    const T* q = static_cast<const T*>(qv);
    const T* k = static_cast<const T*>(kv);
    const T* v = static_cast<const T*>(vv);
    T* out = static_cast<T*>(out_.get());
    switch (l_.kernel) {
      case Kernel::naive: return naive<T>(q, k, v, out);
      case Kernel::flash_scalar: return scalar<T>(q, k, v, out, 1, 0);
      case Kernel::decode_split: return scalar<T>(q, k, v, out, l_.splits, l_.keys_per_split);
      case Kernel::flash_wmma:
        if constexpr (std::is_same_v<T, __nv_bfloat16>) return wmma(q, k, v, out);
        throw DeviceError("flash_wmma needs bf16 storage [" + s_.text + "]");
    }
  }

  template <typename T>
  void naive(const T* q, const T* k, const T* v, T* out) {
    const cudaDataType_t io = std::is_same_v<T, float> ? CUDA_R_32F : CUDA_R_16BF;
    const long long R = s_.heads / s_.kv_heads, P = s_.seq_q, M = s_.seq_k, D = s_.head_dim;
    const float one = 1.0f, zero = 0.0f;
    float* S = static_cast<float*>(scores_.get());
    T* A = static_cast<T*>(probs_.get());
    // Row-major S[(b,g)][R*P][M] = Q_group K^T. In cuBLAS's column-major view:
    // S^T (M x R*P) = K^T-view... i.e. C = op(A) op(B) with A = K (D x M col-major, transposed),
    // B = Q_group (D x R*P col-major). The R query heads sharing KV head g are contiguous in Q.
    EINFUSE_CUBLAS_CHECK(
        cublasGemmStridedBatchedEx(cublas_->h, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(M), static_cast<int>(R * P),
                                   static_cast<int>(D), &one, k, io, static_cast<int>(D), M * D, q, io,
                                   static_cast<int>(D), R * P * D, &zero, S, CUDA_R_32F, static_cast<int>(M), R * P * M,
                                   static_cast<int>(s_.batch * s_.kv_heads), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
        "S = Q K^T: m=M=" + std::to_string(M) + " n=R*P=" + std::to_string(R * P) + " k=D=" + std::to_string(D) +
            " batch=B*G, " + s_.text);
    const dim3 grid(static_cast<unsigned>(s_.batch * s_.heads * P)), block(256);
    row_softmax_kernel<T><<<grid, block>>>(S, A, P, M, s_.causal, s_.window, s_.scale);
    EINFUSE_LAUNCH_CHECK("row_softmax_kernel", grid, block, 0, s_.text);
    // Row-major out[(b,g)][R*P][D] = A V; column-major: out^T (D x R*P) = V^T-view (D x M) A^T-view (M x R*P).
    EINFUSE_CUBLAS_CHECK(
        cublasGemmStridedBatchedEx(cublas_->h, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(D), static_cast<int>(R * P),
                                   static_cast<int>(M), &one, v, io, static_cast<int>(D), M * D, A, io,
                                   static_cast<int>(M), R * P * M, &zero, out, io, static_cast<int>(D), R * P * D,
                                   static_cast<int>(s_.batch * s_.kv_heads), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
        "out = A V: m=D=" + std::to_string(D) + " n=R*P=" + std::to_string(R * P) + " k=M=" + std::to_string(M) +
            " batch=B*G, " + s_.text);
  }

  template <typename T>
  void scalar(const T* q, const T* k, const T* v, T* out, long long splits, long long keys_per_split) {
    const dim3 grid(static_cast<unsigned>((s_.seq_q + kScalarWarps - 1) / kScalarWarps),
                    static_cast<unsigned>(s_.batch * s_.heads), static_cast<unsigned>(splits));
    const dim3 block(kScalarWarps * 32);
    float* po = splits > 1 ? static_cast<float*>(part_out_.get()) : nullptr;
    float* pm = splits > 1 ? static_cast<float*>(part_max_.get()) : nullptr;
    float* ps = splits > 1 ? static_cast<float*>(part_sum_.get()) : nullptr;
    const int H = static_cast<int>(s_.heads), G = static_cast<int>(s_.kv_heads);
    if (s_.head_dim == 64) {
      flash_scalar_kernel<T, 64><<<grid, block>>>(q, k, v, out, po, pm, ps, H, G, s_.seq_q, s_.seq_k, s_.causal,
                                                  s_.window, s_.scale, keys_per_split);
    } else {
      flash_scalar_kernel<T, 128><<<grid, block>>>(q, k, v, out, po, pm, ps, H, G, s_.seq_q, s_.seq_k, s_.causal,
                                                   s_.window, s_.scale, keys_per_split);
    }
    EINFUSE_LAUNCH_CHECK("flash_scalar_kernel", grid, block, 0, s_.text);
    if (splits > 1) {
      const dim3 mgrid(static_cast<unsigned>(s_.batch * s_.heads)), mblock(128);
      lse_merge_kernel<T><<<mgrid, mblock>>>(po, pm, ps, out, static_cast<int>(splits), static_cast<int>(s_.head_dim));
      EINFUSE_LAUNCH_CHECK("lse_merge_kernel", mgrid, mblock, 0, s_.text + ", splits " + std::to_string(splits));
    }
  }

  void wmma(const __nv_bfloat16* q, const __nv_bfloat16* k, const __nv_bfloat16* v, __nv_bfloat16* out) {
    const dim3 grid(static_cast<unsigned>((s_.seq_q + kBlockQ - 1) / kBlockQ), static_cast<unsigned>(s_.batch * s_.heads));
    const dim3 block(kWmmaWarps * 32);
    const int H = static_cast<int>(s_.heads), G = static_cast<int>(s_.kv_heads);
    if (s_.head_dim == 64) {
      const std::size_t smem = wmma_shared_bytes(64, 64);
      EINFUSE_CUDA_CHECK(cudaFuncSetAttribute(flash_wmma_kernel<64, 64>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                              static_cast<int>(smem)),
                         "flash_wmma_kernel<64,64> smem " + std::to_string(smem) + " B, " + s_.text);
      flash_wmma_kernel<64, 64><<<grid, block, smem>>>(q, k, v, out, H, G, s_.seq_q, s_.seq_k, s_.causal, s_.window,
                                                       s_.scale);
      EINFUSE_LAUNCH_CHECK("flash_wmma_kernel<64,64>", grid, block, smem, s_.text);
    } else {
      const std::size_t smem = wmma_shared_bytes(128, 32);
      EINFUSE_CUDA_CHECK(cudaFuncSetAttribute(flash_wmma_kernel<128, 32>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                              static_cast<int>(smem)),
                         "flash_wmma_kernel<128,32> smem " + std::to_string(smem) + " B, " + s_.text);
      flash_wmma_kernel<128, 32><<<grid, block, smem>>>(q, k, v, out, H, G, s_.seq_q, s_.seq_k, s_.causal, s_.window,
                                                        s_.scale);
      EINFUSE_LAUNCH_CHECK("flash_wmma_kernel<128,32>", grid, block, smem, s_.text);
    }
  }

  Shape s_;
  Launch l_;
  std::size_t q_elems_ = 0, kv_elems_ = 0;
  std::vector<DevicePtr> q_, k_, v_;
  DevicePtr out_, scores_, probs_, part_out_, part_max_, part_sum_;
  std::unique_ptr<CublasHandle> cublas_;
};

struct Event {
  cudaEvent_t e = nullptr;
  explicit Event(const std::string& shapes) { EINFUSE_CUDA_CHECK(cudaEventCreate(&e), shapes); }
  ~Event() {
    if (e) cudaEventDestroy(e);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

void check_launch(const Shape& s, const Launch& l) {
  if (l.kernel == Kernel::flash_wmma && !l.bf16) throw DeviceError("flash_wmma needs bf16 [" + s.text + "]");
  if (s.head_dim != 64 && s.head_dim != 128) throw DeviceError("head dim must be 64 or 128 [" + s.text + "]");
  if (l.kernel == Kernel::decode_split && (s.seq_q != 1 || l.splits < 1 || l.keys_per_split < 1)) {
    throw DeviceError("decode_split needs P = 1 and a split plan [" + s.text + "]");
  }
  // (batch, head) pairs go in grid.y, limited to 65535.
  if (s.batch * s.heads > 65535) throw DeviceError("more than 65535 (batch, head) pairs [" + s.text + "]");
}

}  // namespace

Info info() {
  Info i;
  i.cuda_built = true;
  const cudaError_t err = cudaGetDeviceCount(&i.device_count);
  if (err != cudaSuccess) {
    i.device_count = 0;
    i.reason = std::string("cudaGetDeviceCount failed: ") + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")";
    cudaGetLastError();  // reset the last-error state so later calls do not report it
    return i;
  }
  if (i.device_count == 0) {
    i.reason = "cudaGetDeviceCount returned 0 devices";
    return i;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) {
    i.name = prop.name;
    i.sm_count = prop.multiProcessorCount;
    i.major = prop.major;
    i.minor = prop.minor;
  }
  return i;
}

std::vector<float> run(const Shape& shape, const Launch& launch, const HostData& data) {
  check_launch(shape, launch);
  Problem problem(shape, launch, data, 1);
  problem.launch(0);
  EINFUSE_CUDA_CHECK(cudaDeviceSynchronize(), "after the kernels of " + shape.text);
  return problem.read_output();
}

std::vector<double> time(const Shape& shape, const Launch& launch, const HostData& data, std::size_t warmup,
                         std::size_t runs, int buffers) {
  check_launch(shape, launch);
  // Rotate input copies only while they fit comfortably: at most a quarter of free memory.
  std::size_t free_b = 0, total_b = 0;
  EINFUSE_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b), shape.text);
  const std::size_t es = launch.bf16 ? 2 : 4;
  const std::size_t set_bytes = es * static_cast<std::size_t>(shape.batch * shape.heads * shape.seq_q * shape.head_dim +
                                                              2 * shape.batch * shape.kv_heads * shape.seq_k * shape.head_dim);
  int copies = buffers;
  while (copies > 1 && static_cast<std::size_t>(copies) * set_bytes > free_b / 4) --copies;
  Problem problem(shape, launch, data, copies);
  Event start(shape.text), stop(shape.text);
  std::vector<double> seconds;
  for (std::size_t r = 0; r < warmup + runs; ++r) {
    EINFUSE_CUDA_CHECK(cudaEventRecord(start.e), shape.text);
    problem.launch(static_cast<int>(r % static_cast<std::size_t>(copies)));
    EINFUSE_CUDA_CHECK(cudaEventRecord(stop.e), shape.text);
    EINFUSE_CUDA_CHECK(cudaEventSynchronize(stop.e), "timed run " + std::to_string(r) + " of " + shape.text);
    float ms = 0.0f;
    EINFUSE_CUDA_CHECK(cudaEventElapsedTime(&ms, start.e, stop.e), shape.text);
    seconds.push_back(static_cast<double>(ms) * 1e-3);
  }
  return seconds;
}

}  // namespace einfuse::gpu_ref::backend

// Performance ideas left out on purpose (correctness first):
//  - flash_wmma: keep the O accumulator in registers (mma.sync / wgmma with a known
//    fragment layout) instead of a shared-memory round trip per tile; double-buffer K/V
//    with cp.async or TMA; skip the mask test on tiles fully inside the visible region;
//    pad shared rows to avoid bank conflicts; use exp2 with a folded log2(e) scale.
//  - flash_scalar / decode: lanes read K rows with stride D (uncoalesced); a block per
//    (b, g) could load each K/V tile once for all H/G query heads of the group (GQA).
//  - naive: S in bf16 would halve its traffic; the softmax reads S three times.
