// einfuse compare --model M --seq N [--gpu-csv FILE]: the accelerator's modelled attention
// time and energy (a FuseMax-paper design through the corrected cost model) beside the GPU
// time measured by `einfuse gpu --time --csv` (gpu_ref/device_check.sh), for the same
// workload and the same FLOP count (FlashAttention convention, docs/gpu.md).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "cli_common.hpp"
#include "commands.hpp"
#include "einfuse/einsum/model.hpp"
#include "einfuse/gpu_ref/host.hpp"
#include "einfuse/mapper/paper.hpp"

namespace einfuse::cli {
namespace {

namespace paper = mapper::paper;

struct CompareOptions {
  std::string model;
  std::string seq;
  std::string gpu_csv;
  std::string design = "fusemax";
};

/// One timed run from the CSV `einfuse gpu --time --csv` appends to.
struct GpuRow {
  int line = 0;
  std::string algo, kernel, precision, model;
  std::int64_t batch = 0, heads = 0, head_dim = 0, seq_q = 0, seq_k = 0, causal = 0, window = 0;
  std::uint64_t flops = 0;
  double median_s = 0;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out(1);
  for (char ch : line) {
    if (ch == ',') {
      out.emplace_back();
    } else {
      out.back() += ch;
    }
  }
  return out;
}

// Columns are found by name in the header, so a later writer may add columns; the ones
// read here are required. Throws std::runtime_error "FILE:LINE: ..." on a malformed file.
std::vector<GpuRow> read_gpu_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open (a CSV written by `einfuse gpu --time --csv`)");
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(path + ":1: empty file, expected a header");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const std::vector<std::string> header = split(line);
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  for (const char* need : {"algo", "kernel", "precision", "model", "batch", "heads", "head_dim", "seq_q", "seq_k",
                           "causal", "window", "flops", "median_s"}) {
    if (!col.count(need)) throw std::runtime_error(path + ":1: no column '" + std::string(need) + "' in the header");
  }
  std::vector<GpuRow> rows;
  for (int n = 2; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::vector<std::string> f = split(line);
    const std::string where = path + ":" + std::to_string(n);
    if (f.size() != header.size()) {
      throw std::runtime_error(fmt::format("{}: {} fields, the header has {}", where, f.size(), header.size()));
    }
    const auto text = [&](const char* name) { return f[col.at(name)]; };
    const auto integer = [&](const char* name) {
      const std::string& v = f[col.at(name)];
      std::size_t used = 0;
      long long x = 0;
      try {
        x = std::stoll(v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (v.empty() || used != v.size() || x < 0)
        throw std::runtime_error(where + ": column '" + name + "': expected a count, got '" + v + "'");
      return static_cast<std::int64_t>(x);
    };
    GpuRow r;
    r.line = n;
    r.algo = text("algo");
    r.kernel = text("kernel");
    r.precision = text("precision");
    r.model = text("model");
    r.batch = integer("batch");
    r.heads = integer("heads");
    r.head_dim = integer("head_dim");
    r.seq_q = integer("seq_q");
    r.seq_k = integer("seq_k");
    r.causal = integer("causal");
    r.window = integer("window");
    r.flops = static_cast<std::uint64_t>(integer("flops"));
    const std::string& t = f[col.at("median_s")];
    std::size_t used = 0;
    try {
      r.median_s = std::stod(t, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (t.empty() || used != t.size() || !(r.median_s > 0))
      throw std::runtime_error(where + ": column 'median_s': expected a time in seconds > 0, got '" + t + "'");
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string seconds(double s) {
  if (s >= 1) return fmt::format("{:.4g} s", s);
  if (s >= 1e-3) return fmt::format("{:.4g} ms", s * 1e3);
  return fmt::format("{:.4g} us", s * 1e6);
}

std::string joules(double pj) {
  const double j = pj * 1e-12;
  if (j >= 1) return fmt::format("{:.4g} J", j);
  return fmt::format("{:.4g} mJ", j * 1e3);
}

int run_compare(const CompareOptions& o) {
  paper::Design design = paper::Design::fusemax;
  try {
    design = paper::parse_design(o.design);
  } catch (const std::invalid_argument& e) {
    std::cerr << "einfuse compare: error: --design " << e.what() << "\n";
    return kBadInput;
  }
  std::int64_t seq = 0;
  try {
    seq = einsum::parse_length(o.seq);
  } catch (const std::invalid_argument& e) {
    std::cerr << "einfuse compare: error: --seq '" << o.seq << "': " << e.what() << " (expected 512, 4K, 1M)\n";
    return kBadInput;
  }
  paper::Context ctx = paper::Context::load_default();
  const einsum::ModelSpec model = einsum::load_model(o.model, ctx.models_dir);

  // The accelerator, corrected model: what the design would take if built.
  const paper::DesignInstance d = paper::attention_design(ctx, design, model, seq, false);
  const mapper::CostReport accel = paper::cost_instance(ctx, d);

  // The same problem as the GPU kernels see it, counted by the same convention.
  gpu_ref::AttentionProblem problem;
  problem.dims.batch = model.batch;
  problem.dims.heads = model.heads;
  problem.dims.kv_heads = model.kv_heads;
  problem.dims.e = model.head_dim;
  problem.dims.f = model.value_dim;
  problem.dims.p = seq;
  problem.dims.m = seq;
  const std::uint64_t flops = gpu_ref::attention_flops(problem);

  const std::string label = paper::length_label(seq);
  std::cout << fmt::format("{} attention at {} tokens: {}, no mask\n", model.name, label, problem.describe());
  std::cout << fmt::format("FLOPs {:.4g} (2*(E+F)*B*H*P*M, the FlashAttention convention; softmax not counted)\n\n",
                           static_cast<double>(flops));
  std::cout << fmt::format("{:<50} {:>12} {:>10} {:>14}\n", "", "time", "TFLOP/s", "energy");
  std::cout << fmt::format("{:<50} {:>12} {:>10.1f} {:>14}\n",
                           fmt::format("accelerator {} on {} (cost model)", o.design, d.arch.name),
                           seconds(accel.latency_s), gpu_ref::tflops_per_second(flops, accel.latency_s),
                           joules(accel.energy.total_pj));

  std::vector<GpuRow> matches;
  if (!o.gpu_csv.empty()) {
    std::vector<GpuRow> rows;
    try {
      rows = read_gpu_csv(o.gpu_csv);
    } catch (const std::runtime_error& e) {
      std::cerr << "einfuse compare: error: " << e.what() << "\n";
      return kBadInput;
    }
    for (const GpuRow& r : rows) {
      if (lower(r.model) == lower(model.name) && r.seq_q == seq && r.seq_k == seq && r.causal == 0 &&
          r.window == 0 && r.heads == model.heads && r.head_dim == model.head_dim)
        matches.push_back(r);
    }
  }
  if (matches.empty()) {
    std::cout << fmt::format("no measured GPU time for {} at {} (run gpu_ref/device_check.sh on a GPU machine)\n",
                             model.name, label);
    return kOk;
  }
  // device_check.sh times batch*seq = 16K tokens, not the model's batch: the time is scaled
  // to the model's FLOPs at the measured throughput (the kernels' rate does not depend on
  // batch once the GPU is full, which 16K tokens x 12 heads is).
  double best = 0;
  std::string best_name;
  for (const GpuRow& r : matches) {
    const double at_model = r.median_s * static_cast<double>(flops) / static_cast<double>(r.flops);
    const std::string name = fmt::format("GPU {} (measured, batch {}{})", r.kernel, r.batch,
                                         r.batch == model.batch ? "" : ", scaled");
    std::cout << fmt::format("{:<50} {:>12} {:>10.1f} {:>14}\n", name, seconds(at_model),
                             gpu_ref::tflops_per_second(r.flops, r.median_s), "not measured");
    if (best_name.empty() || at_model < best) {
      best = at_model;
      best_name = r.kernel;
    }
  }
  const double ratio = best / accel.latency_s;
  std::cout << fmt::format("\n{} is {:.2f}x {} than the fastest GPU kernel ({}); GPU energy is not in the CSV\n",
                           o.design, ratio >= 1 ? ratio : 1 / ratio, ratio >= 1 ? "faster" : "slower", best_name);
  return kOk;
}

}  // namespace

void add_compare_command(CLI::App& app, std::function<int()>& action) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "Put the accelerator's modelled attention time and energy (a FuseMax-paper design, corrected\n"
      "cost model) beside the GPU time measured by `einfuse gpu --time --csv` for the same\n"
      "workload and FLOPs.\n\n"
      "Examples:\n"
      "  einfuse compare --model BERT --seq 1K\n"
      "  einfuse compare --model BERT --seq 4K --gpu-csv build/device-check/out/gpu_times.csv");
  cmd->add_option("--model", o->model, "model from workloads/models (BERT, TrXL, T5, XLM, ...)")->required();
  cmd->add_option("--seq", o->seq, "sequence length: 1K, 64K, 1M")->required();
  cmd->add_option("--gpu-csv", o->gpu_csv, "CSV written by `einfuse gpu --time --csv` (gpu_ref/device_check.sh)");
  cmd->add_option("--design", o->design, "the accelerator design: unfused, flat, cascade, arch, fusemax (default)");
  cmd->callback([o, &action] { action = [o] { return run_compare(*o); }; });
}

}  // namespace einfuse::cli
