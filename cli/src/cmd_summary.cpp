// einfuse summary: the main job for now — analyse and run every built-in attention cascade
// and print one table (later issues turn this into the FuseMax reproduction report).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>

#include "cli_common.hpp"
#include "commands.hpp"
#include "einfuse/einsum/footprint.hpp"
#include "einfuse/einsum/interpreter.hpp"
#include "einfuse/einsum/model.hpp"
#include "einfuse/einsum/op_counts.hpp"
#include "einfuse/einsum/parser.hpp"
#include "einfuse/einsum/passes.hpp"

namespace einfuse::cli {
namespace {

namespace fs = std::filesystem;

struct SummaryOptions {
  std::string dir;
  std::string model = "BERT";
  std::string seq = "1K";
  std::string run_shape = "P=256,M=256";
};

std::string compact(std::uint64_t v) {
  if (v < 10'000) return std::to_string(v);
  const char* suffix[] = {"K", "M", "G", "T", "P", "E"};
  double x = static_cast<double>(v);
  int i = -1;
  while (x >= 1000.0 && i < 5) {
    x /= 1000.0;
    ++i;
  }
  return fmt::format("{:.2f}{}", x, suffix[i]);
}

double max_relative_difference(const einsum::TensorMap& a, const einsum::TensorMap& b) {
  double max_ref = 0, max_diff = 0;
  for (const auto& [name, t] : a) {
    const auto& u = b.at(name);
    for (std::size_t i = 0; i < t.data.size(); ++i) {
      max_ref = std::max(max_ref, std::abs(t.data[i]));
      const double d = std::abs(t.data[i] - u.data[i]);
      max_diff = std::isnan(d) ? INFINITY : std::max(max_diff, d);
    }
  }
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

struct Row {
  std::string name;
  std::size_t einsums = 0;
  int passes_m = 0;
  einsum::OpCounts ops;
  std::uint64_t live_bytes = 0;
  double run_ms = 0;
  double bf16_error = 0;
};

Row summarise(const einsum::Cascade& c, const SummaryOptions& o, const einsum::ModelSpec& model,
              std::int64_t seq) {
  Row row;
  row.name = c.name;
  row.einsums = c.einsums.size();
  const einsum::BoundShape counted = einsum::bind_shape(c, einsum::model_shape(model, seq, c));
  const einsum::PassAnalysis passes = einsum::analyse_passes(c);
  row.passes_m = passes.passes("M");
  row.ops = einsum::count_ops(c, counted).total;
  const einsum::Footprint fp = einsum::analyse_footprint(c, counted, passes);
  if (auto m = c.find_rank("M")) {
    if (const auto* r = fp.find(*m)) row.live_bytes = r->bytes_live;
  }
  // Run at a small shape: fp64 is the reference, bf16 storage with fp32 accumulation the
  // emulated hardware precision.
  einsum::ShapeAssignment small = einsum::parse_shape_assignment(o.run_shape);
  for (auto it = small.begin(); it != small.end();) {
    it = c.find_rank(it->first) || c.find_param(it->first) ? std::next(it) : small.erase(it);
  }
  if (c.find_rank("P") && c.ranks[static_cast<std::size_t>(*c.find_rank("P"))].default_extent == 1) small.erase("P");
  const einsum::BoundShape shape = einsum::bind_shape(c, small);
  const einsum::TensorMap inputs = einsum::random_inputs(c, shape, 1);
  const auto start = std::chrono::steady_clock::now();
  const einsum::TensorMap exact = einsum::interpret(c, shape, inputs);
  row.run_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  einsum::RunOptions bf16;
  bf16.numerics = einsum::Numerics::emulated;
  bf16.precision = einsum::DType::bf16;
  row.bf16_error = max_relative_difference(exact, einsum::interpret(c, shape, inputs, bf16));
  return row;
}

int run_summary(const SummaryOptions& o) {
  const std::string dir = o.dir.empty() ? attention_dir() : o.dir;
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".ein") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw std::runtime_error("no .ein files in " + dir);
  // Each cascade takes the --run-shape names it declares (decode has no P to set), so a
  // name that no cascade declares is a typo: say so before anything runs.
  std::vector<einsum::Cascade> cascades;
  std::set<std::string, std::less<>> declared;
  for (const auto& file : files) {
    const einsum::Cascade& c = cascades.emplace_back(einsum::parse_cascade_file(file));
    for (const auto& r : c.ranks) declared.insert(r.name);
    for (const auto& p : c.params) declared.insert(p.name);
  }
  for (const auto& [name, value] : einsum::parse_shape_assignment(o.run_shape)) {
    if (!declared.count(name)) {
      einsum::SourceText src{"--run-shape", o.run_shape};
      const auto col = ("," + o.run_shape).find("," + name + "=");  // the entry, not a suffix of one
      throw einsum::CascadeError(&src, einsum::SourceLoc{1, static_cast<std::uint32_t>(col + 1), static_cast<std::uint32_t>(name.size())},
                                 "'" + name + "' is not a rank or parameter of any cascade in " + dir,
                                 "sizes such as P=256,M=256");
    }
  }
  const einsum::ModelSpec model = einsum::load_model(o.model, einsum::default_models_dir());
  const std::int64_t seq = einsum::parse_length(o.seq);

  std::cout << fmt::format("Built-in attention cascades ({}).\n", dir);
  std::cout << fmt::format("Op counts and footprints at {} (batch {}, {} heads, {} KV heads, head dim {}), seq {};\n",
                           model.name, model.batch, model.heads, model.kv_heads, model.head_dim, o.seq);
  std::cout << fmt::format("runs at {} (other sizes at the cascade defaults): fp64 time, and bf16 storage (fp32 accumulation) error vs fp64.\n\n",
                           o.run_shape);
  std::cout << fmt::format("{:<16} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>14} {:>10} {:>10}\n", "cascade",
                           "einsums", "passes(M)", "mac", "exp", "max", "add", "div", "live between", "fp64 run",
                           "bf16 err");
  std::cout << fmt::format("{:<16} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>14} {:>10} {:>10}\n", "", "", "",
                           "", "", "", "", "", "passes (B)", "(ms)", "(rel)");
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::cerr << fmt::format("[{}/{}] {}\n", i + 1, files.size(), files[i]);
    const Row r = summarise(cascades[i], o, model, seq);
    using K = einsum::OpKind;
    std::cout << fmt::format("{:<16} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>14} {:>10.1f} {:>10.2e}\n", r.name,
                             r.einsums, r.passes_m, compact(r.ops[K::mac]), compact(r.ops[K::exp]),
                             compact(r.ops[K::max]), compact(r.ops[K::add]), compact(r.ops[K::div]),
                             compact(r.live_bytes), r.run_ms, r.bf16_error);
  }
  return kOk;
}

}  // namespace

void add_summary_command(CLI::App& app, std::function<int()>& action) {
  auto o = std::make_shared<SummaryOptions>();
  CLI::App* cmd = app.add_subcommand(
      "summary",
      "Analyse and run every built-in attention cascade and print one table: passes over M,\n"
      "exact op counts and bytes live between passes at a model's shape, interpreter time and\n"
      "bf16 error at a small shape.\n\n"
      "Examples:\n"
      "  einfuse summary\n"
      "  einfuse summary --model XLM --seq 64K --run-shape P=512,M=512");
  cmd->add_option("--dir", o->dir, "folder of .ein files (default: workloads/attention)");
  cmd->add_option("--model", o->model, "model for the op counts (default BERT)");
  cmd->add_option("--seq", o->seq, "sequence length for the op counts (default 1K)");
  cmd->add_option("--run-shape", o->run_shape, "sizes for the interpreter runs (default P=256,M=256)");
  cmd->callback([o, &action] { action = [o] { return run_summary(*o); }; });
}

}  // namespace einfuse::cli
