// Running attention on the GPU: the kernels of gpu_ref/src/attention.cu behind a host API
// that speaks the cascades' layout and fp64 values. Every function exists in every build;
// without CUDA (no toolkit, or -DEINFUSE_WITH_CUDA=OFF) device_status() says so and the
// run functions throw NoDeviceError.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "einfuse/gpu_ref/host.hpp"

namespace einfuse::gpu_ref {

/// Thrown when CUDA support was not built or no device is present.
class NoDeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown for a failed CUDA or cuBLAS call; the message names the call and the shapes.
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DeviceStatus {
  bool cuda_built = false;  ///< compiled with the CUDA kernels
  int device_count = 0;
  bool usable() const { return cuda_built && device_count > 0; }
  std::string reason;  ///< why not usable ("CUDA support was not built", "cudaGetDeviceCount: ...")
  std::string name;    ///< device 0's name
  int sm_count = 0;
  int compute_major = 0;
  int compute_minor = 0;
};
DeviceStatus device_status();

/// Which kernel: naive (cuBLAS QK^T, row softmax, cuBLAS AV) or flash (fused, online
/// softmax). `scalar` picks the fp32 scalar flash variant instead of WMMA (only with
/// precision fp32; bf16 flash is always WMMA). `split_kv` uses split-KV + merge for
/// decode (P = 1; flash only).
struct KernelChoice {
  Algo algo = Algo::flash;
  Precision precision = Precision::bf16;
  bool split_kv = false;
  /// Multiplies QK before the softmax. 1 matches the cascades and einsum::reference.
  double scale = 1.0;
  std::string describe() const;
};

/// Runs once: q, k, v in the cascade layout (einsum::reference), rounded to the precision
/// on upload; returns the output in the cascade layout [B][H][F][P].
std::vector<double> run_attention(const AttentionProblem& problem, const KernelChoice& kernel,
                                  const std::vector<double>& q, const std::vector<double>& k,
                                  const std::vector<double>& v);

struct TimingOptions {
  std::size_t warmup = kDefaultWarmup;
  std::size_t runs = kDefaultTimedRuns;
  /// Input sets cycled through, so consecutive runs do not hit the same data in L2
  /// (the copies are the same values; at most what fits in a quarter of device memory).
  int rotating_buffers = 4;
};
/// Times the kernel with CUDA events around each run (one event pair per run).
TimingStats time_attention(const AttentionProblem& problem, const KernelChoice& kernel, const std::vector<double>& q,
                           const std::vector<double>& k, const std::vector<double>& v, const TimingOptions& options);

}  // namespace einfuse::gpu_ref
