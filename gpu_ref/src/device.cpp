// Host harness: turns the cascades' layout and fp64 values into the kernels' layout and
// storage format, picks the kernel and its plan, and reads the output back.
#include <algorithm>

#include "backend.hpp"
#include "einfuse/einsum/numeric.hpp"
#include "einfuse/gpu_ref/device.hpp"

namespace einfuse::gpu_ref {
namespace {

backend::Shape shape_of(const AttentionProblem& problem, const KernelChoice& kernel) {
  const auto& d = problem.dims;
  backend::Shape s;
  s.batch = d.batch;
  s.heads = d.heads;
  s.kv_heads = d.kv_heads;
  s.head_dim = d.e;
  s.seq_q = d.p;
  s.seq_k = d.m;
  s.causal = problem.is_causal();
  s.window = problem.window.value_or(0);
  s.scale = static_cast<float>(kernel.scale);
  s.text = problem.describe() + ", " + kernel.describe();
  return s;
}

backend::Launch launch_of(const AttentionProblem& problem, const KernelChoice& kernel, int sm_count) {
  backend::Launch l;
  l.bf16 = kernel.precision == Precision::bf16;
  if (kernel.algo == Algo::naive) {
    if (kernel.split_kv) throw std::invalid_argument("gpu attention: split-KV is a flash option, not a naive one");
    l.kernel = backend::Kernel::naive;
    return l;
  }
  if (kernel.split_kv) {
    if (problem.dims.p != 1) throw std::invalid_argument("gpu attention: split-KV needs decode (P = 1)");
    const FlashTiling t = flash_tiling(problem.dims.e);
    const SplitPlan plan =
        decode_split_plan(problem.dims.m, problem.dims.batch * problem.dims.heads, sm_count > 0 ? sm_count : kH200SmCount,
                          t.block_k);
    l.kernel = backend::Kernel::decode_split;
    l.splits = plan.splits;
    l.keys_per_split = plan.keys_per_split;
    return l;
  }
  if (!l.bf16) {
    l.kernel = backend::Kernel::flash_scalar;
    return l;
  }
  const FlashTiling t = flash_tiling(problem.dims.e);
  l.kernel = backend::Kernel::flash_wmma;
  l.block_q = t.block_q;
  l.block_k = t.block_k;
  return l;
}

backend::HostData upload_data(const AttentionProblem& problem, Precision precision, const std::vector<double>& q,
                              const std::vector<double>& k, const std::vector<double>& v) {
  const auto& d = problem.dims;
  if (q.size() != d.q_size() || k.size() != d.k_size() || v.size() != d.v_size()) {
    throw std::invalid_argument("gpu attention: Q, K or V has the wrong number of elements for " + problem.describe());
  }
  // Cascade layout [outer][E][P] -> kernel layout [outer][P][E] (and likewise for K, V).
  const auto qt = transpose_inner(q, d.batch * d.heads, d.e, d.p);
  const auto kt = transpose_inner(k, d.batch * d.kv_heads, d.e, d.m);
  const auto vt = transpose_inner(v, d.batch * d.kv_heads, d.f, d.m);
  backend::HostData h;
  if (precision == Precision::bf16) {
    auto conv = [](const std::vector<double>& x) {
      std::vector<std::uint16_t> y(x.size());
      std::transform(x.begin(), x.end(), y.begin(), [](double a) { return einsum::numeric::to_bf16(a).bits; });
      return y;
    };
    h.q16 = conv(qt);
    h.k16 = conv(kt);
    h.v16 = conv(vt);
  } else {
    auto conv = [](const std::vector<double>& x) {
      std::vector<float> y(x.size());
      std::transform(x.begin(), x.end(), y.begin(), [](double a) { return einsum::numeric::to_fp32(a); });
      return y;
    };
    h.q32 = conv(qt);
    h.k32 = conv(kt);
    h.v32 = conv(vt);
  }
  return h;
}

}  // namespace

DeviceStatus device_status() {
  const backend::Info i = backend::info();
  DeviceStatus s;
  s.cuda_built = i.cuda_built;
  s.device_count = i.device_count;
  s.reason = i.reason;
  s.name = i.name;
  s.sm_count = i.sm_count;
  s.compute_major = i.major;
  s.compute_minor = i.minor;
  return s;
}

std::string KernelChoice::describe() const {
  std::string s = std::string(algo_name(algo)) + " " + precision_name(precision);
  if (algo == Algo::flash) s += precision == Precision::bf16 && !split_kv ? " wmma" : " scalar";
  if (split_kv) s += " split-kv";
  return s;
}

std::vector<double> run_attention(const AttentionProblem& problem, const KernelChoice& kernel,
                                  const std::vector<double>& q, const std::vector<double>& k,
                                  const std::vector<double>& v) {
  problem.validate();
  const DeviceStatus status = device_status();
  if (!status.usable()) throw NoDeviceError(status.reason);
  const backend::HostData data = upload_data(problem, kernel.precision, q, k, v);
  const std::vector<float> out = backend::run(shape_of(problem, kernel), launch_of(problem, kernel, status.sm_count), data);
  const auto& d = problem.dims;
  // Kernel layout [B][H][P][F] -> cascade layout [B][H][F][P].
  return transpose_inner(std::vector<double>(out.begin(), out.end()), d.batch * d.heads, d.p, d.f);
}

TimingStats time_attention(const AttentionProblem& problem, const KernelChoice& kernel, const std::vector<double>& q,
                           const std::vector<double>& k, const std::vector<double>& v, const TimingOptions& options) {
  problem.validate();
  if (options.runs == 0) throw std::invalid_argument("time_attention: runs must be >= 1");
  const DeviceStatus status = device_status();
  if (!status.usable()) throw NoDeviceError(status.reason);
  const backend::HostData data = upload_data(problem, kernel.precision, q, k, v);
  const std::vector<double> samples =
      backend::time(shape_of(problem, kernel), launch_of(problem, kernel, status.sm_count), data, options.warmup,
                    options.runs, std::max(1, options.rotating_buffers));
  return timing_stats(samples, options.warmup);
}

}  // namespace einfuse::gpu_ref
