// einfuse gpu: run an attention kernel of gpu_ref on the GPU with the inputs `einfuse run`
// would draw, compare it with the fp64 reference by the 2x-naive rule (--check), and time
// it (--time). Exit code 3 when CUDA support was not built or no device is present.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli_common.hpp"
#include "commands.hpp"
#include "einfuse/einsum/interpreter.hpp"
#include "einfuse/einsum/model.hpp"
#include "einfuse/einsum/reference_attention.hpp"
#include "einfuse/einsum/safe_write.hpp"
#include "einfuse/gpu_ref/device.hpp"

namespace einfuse::cli {
namespace {

namespace fs = std::filesystem;
namespace gpu = gpu_ref;

struct GpuCommandOptions {
  std::string algo = "flash";
  bool causal = false;
  std::int64_t window = 0;
  std::int64_t kv_heads = 0;
  std::int64_t batch = 0;
  bool decode = false;
  bool no_split = false;
  std::string model;
  std::string seq;
  std::string precision = "bf16";
  std::uint64_t seed = 1;
  bool check = false;
  bool time = false;
  std::size_t runs = gpu::kDefaultTimedRuns;
  std::string csv;
};

// The shipped cascade whose random_inputs the kernel gets (Q, K, V are drawn in that order
// from one stream, so any of them gives the same numbers for the same sizes).
std::string input_cascade(const GpuCommandOptions& o, bool grouped) {
  if (grouped) return "gqa_1pass.ein";
  if (o.decode) return "decode_splitkv.ein";
  if (o.window > 0) return "window_1pass.ein";
  if (o.causal) return "causal_1pass.ein";
  return "softmax_1pass.ein";
}

// The row is added by rewriting the whole file safely (einsum/safe_write.hpp), so a crash
// never leaves a torn row and a link at PATH is not written through. Runs that share one
// file must therefore take turns (device_check.sh runs them one after another).
void append_csv(const std::string& path, const std::string& row) {
  std::string text;
  if (fs::exists(path)) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read --csv file " + path);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) throw std::runtime_error("cannot read --csv file " + path);
  }
  if (text.empty()) {
    text = "algo,kernel,precision,model,batch,heads,kv_heads,head_dim,seq_q,seq_k,causal,window,"
           "flops,kv_bytes,median_s,min_s,max_s,runs,tflops,gbps,check,kernel_error,naive_error\n";
  }
  einsum::write_file_safely(path, text + row + "\n");
}

int run_gpu(const GpuCommandOptions& o) {
  if (o.model.empty() || o.seq.empty()) {
    std::cerr << "einfuse gpu: error: --model and --seq are required\n";
    return kBadInput;
  }
  const einsum::ModelSpec model = einsum::load_model(o.model, einsum::default_models_dir());
  const std::int64_t kv_heads = o.kv_heads > 0 ? o.kv_heads : model.kv_heads;
  const bool grouped = kv_heads != model.heads;
  std::string shape;
  auto add = [&shape](const std::string& s) { shape += (shape.empty() ? "" : ",") + s; };
  if (grouped) add("G=" + std::to_string(kv_heads));
  if (grouped && o.decode) add("P=1");
  if (o.window > 0 && !grouped && !o.decode) add("W=" + std::to_string(o.window));
  if (o.batch > 0) add("B=" + std::to_string(o.batch));
  const std::string file = attention_dir() + "/" + input_cascade(o, grouped);
  const LoadedCascade lc = load_cascade(file, ShapeOptions{shape, o.model, o.seq});

  gpu::AttentionProblem problem;
  problem.dims = einsum::reference::dims_of(lc.cascade, lc.shape);
  problem.causal = o.causal;
  if (o.window > 0) problem.window = o.window;
  problem.validate();
  gpu::KernelChoice kernel;
  kernel.algo = o.algo == "naive" ? gpu::Algo::naive : gpu::Algo::flash;
  kernel.precision = o.precision == "fp32" ? gpu::Precision::fp32 : gpu::Precision::bf16;
  kernel.split_kv = o.decode && kernel.algo == gpu::Algo::flash && !o.no_split;

  const gpu::DeviceStatus status = gpu::device_status();
  if (!status.usable()) {
    std::cerr << "einfuse gpu: " << (status.cuda_built ? "no CUDA device: " : "") << status.reason << "\n";
    return kNoDevice;
  }

  einsum::RunOptions ro;
  ro.numerics = einsum::Numerics::emulated;
  ro.precision = kernel.precision == gpu::Precision::bf16 ? einsum::DType::bf16 : einsum::DType::fp32;
  const einsum::TensorMap inputs = einsum::random_inputs(lc.cascade, lc.shape, o.seed, ro);
  const auto& q = inputs.at("Q").data;
  const auto& k = inputs.at("K").data;
  const auto& v = inputs.at("V").data;
  std::cout << fmt::format("device {} ({} SMs, sm_{}{}); {} on {}\n", status.name, status.sm_count, status.compute_major,
                           status.compute_minor, kernel.describe(), problem.describe());
  std::cout << fmt::format("inputs: those of `einfuse run {} --model {} --seq {}{}{} --precision {} --seed {}`\n", file,
                           o.model, o.seq, shape.empty() ? "" : " --shape ", shape, o.precision, o.seed);

  int code = kOk;
  std::string check_cols = ",,";
  if (o.check || !o.time) {
    const std::vector<double> out = gpu::run_attention(problem, kernel, q, k, v);
    if (o.check) {
      const gpu::NaiveRuleResult r = gpu::check_two_naive(problem, kernel.precision, q, k, v, out);
      std::cout << fmt::format(
          "check: max abs error {:.3e} vs fp64; naive {} run {:.3e}; bound 2x naive + floor = {:.3e}: {}\n",
          r.kernel_error, o.precision, r.naive_error, r.bound, r.pass ? "PASS" : "FAIL");
      check_cols = fmt::format("{},{:.6e},{:.6e}", r.pass ? "pass" : "fail", r.kernel_error, r.naive_error);
      if (!r.pass) code = kCheckFailed;
    } else {
      double sum = 0;
      for (double x : out) sum += x;
      std::cout << fmt::format("ran once: output sum {:.6g} (--check compares, --time times)\n", sum);
    }
  }
  if (o.time) {
    gpu::TimingOptions to;
    to.runs = o.runs;
    const gpu::TimingStats t = gpu::time_attention(problem, kernel, q, k, v, to);
    const std::uint64_t flops = gpu::attention_flops(problem);
    const std::uint64_t kv_bytes = gpu::decode_kv_bytes(problem.dims, kernel.precision);
    const double tf = gpu::tflops_per_second(flops, t.median);
    const double gb = gpu::gigabytes_per_second(kv_bytes, t.median);
    std::cout << fmt::format(
        "time: median {:.3f} ms of {} runs after {} warm-up (min {:.3f}, max {:.3f}); {:.1f} TFLOP/s "
        "(FlashAttention FLOP convention); K+V {:.1f} GB/s\n",
        t.median * 1e3, t.runs, t.warmup, t.min * 1e3, t.max * 1e3, tf, gb);
    if (!o.csv.empty()) {
      const auto& d = problem.dims;
      append_csv(o.csv, fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.6e},{:.6e},{:.6e},{},{:.2f},{:.1f},{}",
                                    o.algo, kernel.describe(), o.precision, model.name, d.batch, d.heads, d.kv_heads,
                                    d.e, d.p, d.m, problem.is_causal() ? 1 : 0, o.window, flops, kv_bytes, t.median,
                                    t.min, t.max, t.runs, tf, gb, check_cols));
      std::cout << "appended a row to " << o.csv << "\n";
    }
  }
  return code;
}

}  // namespace

void add_gpu_command(CLI::App& app, std::function<int()>& action) {
  auto o = std::make_shared<GpuCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "gpu",
      "Run an attention kernel on the GPU (gpu_ref: CUDA, sm_90).\n\n"
      "The inputs are those `einfuse run` draws for the matching cascade of workloads/attention\n"
      "(same seed, rounded to --precision). --check compares with the fp64 reference by the\n"
      "2x-naive rule (exit 1 on failure); --time prints the median of --runs timed runs (CUDA\n"
      "events, warm-up first, rotating input buffers), TFLOP/s by the FlashAttention convention\n"
      "and the K+V bandwidth. Exit code 3 when CUDA support was not built or there is no device.\n\n"
      "Examples:\n"
      "  einfuse gpu --algo flash --model llama3_8b --seq 4K --causal --check\n"
      "  einfuse gpu --algo flash --model llama3_8b --seq 64K --decode --time --csv times.csv");
  cmd->add_option("--algo", o->algo, "naive (cuBLAS + softmax kernel) or flash (fused, online softmax)")
      ->check(CLI::IsMember({"naive", "flash"}));
  cmd->add_flag("--causal", o->causal, "causal mask, bottom-right aligned");
  cmd->add_option("--window", o->window, "causal sliding window of W keys")->check(CLI::PositiveNumber);
  cmd->add_option("--kv-heads", o->kv_heads, "KV heads G (default: the model's)")->check(CLI::PositiveNumber);
  cmd->add_option("--batch", o->batch, "batch size (default: the model's)")->check(CLI::PositiveNumber);
  cmd->add_flag("--decode", o->decode, "one query (P = 1) against --seq keys; flash uses split-KV");
  cmd->add_flag("--no-split", o->no_split, "decode with the plain flash kernel, no split-KV");
  cmd->add_option("--model", o->model, "a model from workloads/models (heads, head dim, batch)")->required();
  cmd->add_option("--seq", o->seq, "sequence length: 1K, 4K, 128K (keys; queries too unless --decode)")->required();
  cmd->add_option("--precision", o->precision, "bf16 (default) or fp32")->check(CLI::IsMember({"bf16", "fp32"}));
  cmd->add_option("--seed", o->seed, "seed of the random inputs (default 1, as einfuse run)");
  cmd->add_flag("--check", o->check, "compare with the fp64 reference (2x-naive rule); CPU cost grows as P*M");
  cmd->add_flag("--time", o->time, "time the kernel");
  cmd->add_option("--runs", o->runs, "timed runs after warm-up (default 20)")->check(CLI::Range(1, 100000));
  cmd->add_option("--csv", o->csv, "append the timing as a CSV row (header written to a new file)");
  cmd->callback([o, &action] { action = [o] { return run_gpu(*o); }; });
}

}  // namespace einfuse::cli
