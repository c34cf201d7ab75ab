// The seam between the host harness (device.cpp, C++20) and the CUDA code (attention.cu,
// compiled by nvcc) or its stand-in without CUDA (backend_none.cpp). Plain C++17 types
// only, so nvcc never has to parse Eigen or the einsum headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace einfuse::gpu_ref::backend {

/// Sizes in the kernels' layout: Q [B][H][P][D], K and V [B][G][M][D], out [B][H][P][D].
struct Shape {
  std::int64_t batch = 1, heads = 1, kv_heads = 1, head_dim = 64, seq_q = 1, seq_k = 1;
  bool causal = false;
  std::int64_t window = 0;  ///< > 0: causal sliding window of this many keys
  float scale = 1.0f;
  std::string text;         ///< the shapes in words, for error messages
};

enum class Kernel { naive, flash_wmma, flash_scalar, decode_split };

struct Launch {
  Kernel kernel = Kernel::flash_wmma;
  bool bf16 = true;                 ///< storage bf16 (else fp32)
  std::int64_t splits = 1;          ///< decode_split only
  std::int64_t keys_per_split = 0;  ///< decode_split only
  int block_q = 64, block_k = 64;   ///< flash_wmma only (from flash_tiling)
};

struct Info {
  bool cuda_built = false;
  int device_count = 0;
  std::string reason, name;
  int sm_count = 0, major = 0, minor = 0;
};
Info info();

/// Element buffers in the kernels' layout: bf16 as raw bits (uint16), fp32 as float.
struct HostData {
  std::vector<std::uint16_t> q16, k16, v16;
  std::vector<float> q32, k32, v32;
};

/// Runs once and returns the output in the kernels' layout, as float (bf16 widened).
std::vector<float> run(const Shape& shape, const Launch& launch, const HostData& data);
/// Runs warmup + runs times over `buffers` rotating input copies; seconds per run
/// (warm-up runs included, first).
std::vector<double> time(const Shape& shape, const Launch& launch, const HostData& data, std::size_t warmup,
                         std::size_t runs, int buffers);

}  // namespace einfuse::gpu_ref::backend
