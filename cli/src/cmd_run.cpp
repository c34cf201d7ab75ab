// einfuse run FILE: execute a cascade on seeded random or .npy inputs, write the outputs,
// and optionally compare them with a direct attention reference.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <iostream>

#include "cli_common.hpp"
#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/mapper/hardware_numerics.hpp"
#include "einfuse/mapper/mapping.hpp"
#include "commands.hpp"
#include "einfuse/einsum/interpreter.hpp"
#include "reference_compare.hpp"
#include "tensor_files.hpp"

namespace einfuse::cli {
namespace {

struct RunCommandOptions {
  std::string file;
  ShapeOptions shape;
  std::string precision = "fp64";
  bool hardware = false;
  std::uint64_t seed = 1;
  std::string inputs;
  std::string out;
  std::string compare;
  std::string arch;
  std::string mapping;
};

einsum::RunOptions run_options(const RunCommandOptions& o) {
  einsum::RunOptions r;
  if (!o.mapping.empty() || !o.arch.empty()) {
    if (!o.hardware || o.mapping.empty() || o.arch.empty())
      throw std::invalid_argument("--arch and --mapping go together, with --hardware");
    // Each Einsum computes exp as the array it is bound to does.
    r = mapper::hardware_run_options(mapper::load_arch(o.arch, mapper::default_arch_dir()), mapper::load_mapping(o.mapping));
  } else if (o.hardware) {
    r.numerics = einsum::Numerics::hardware;
  } else if (o.precision != "fp64") {
    r.numerics = einsum::Numerics::emulated;
  }
  if (o.precision != "declared" && o.precision != "fp64") r.precision = einsum::parse_dtype(o.precision);
  return r;
}

int run_run(const RunCommandOptions& o) {
  const LoadedCascade lc = load_cascade(o.file, o.shape);
  const einsum::RunOptions options = run_options(o);
  const einsum::TensorMap inputs = load_inputs(lc.cascade, lc.shape, o.inputs, o.seed, options);
  const auto start = std::chrono::steady_clock::now();
  const einsum::TensorMap outputs = einsum::interpret(lc.cascade, lc.shape, inputs, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << fmt::format("ran {} ({} numerics{}) in {:.3f} s\n", lc.cascade.name,
                           o.hardware ? "hardware" : options.numerics == einsum::Numerics::fp64 ? "fp64" : "emulated",
                           options.precision ? ", storage " + std::string(einsum::dtype_name(*options.precision)) : "",
                           seconds);
  for (const auto& [name, tensor] : outputs) {
    double sum = 0, max_abs = 0;
    for (double v : tensor.data) {
      sum += v;
      max_abs = std::isnan(v) || std::isnan(max_abs) ? NAN : std::max(max_abs, std::abs(v));
    }
    std::cout << fmt::format("  {} [{}]: sum {:.6g}, max |x| {:.6g}\n", name, fmt::join(tensor.extents, "x"), sum, max_abs);
  }
  if (!o.out.empty()) {
    write_outputs(lc.cascade, outputs, o.out);
    std::cout << "wrote " << outputs.size() << " output(s) to " << o.out << "\n";
  }
  if (!o.compare.empty()) {
    const CompareResult r = compare_with_reference(lc, inputs, outputs, o.compare);
    std::cout << fmt::format("compare with {}: max abs error {:.3e}, max relative error {:.3e} (relative to max |reference| {:.3e})\n",
                             o.compare, r.max_abs_error, r.max_rel_error, r.reference_max_abs);
  }
  return kOk;
}

}  // namespace

void add_run_command(CLI::App& app, std::function<int()>& action) {
  auto o = std::make_shared<RunCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Execute a cascade with the golden interpreter.\n\n"
      "Inputs are N(0,1) from a seeded generator (the same on every machine), or NAME.npy files\n"
      "from --inputs DIR. Outputs are written as NAME.npy (float64) to --out DIR.\n\n"
      "Numerics: --precision fp64 (default) runs everything in double; fp32/bf16/fp16 emulate\n"
      "that storage type with fp32 accumulation, rounding after every operation; 'declared'\n"
      "uses the types written in the cascade; --hardware uses the accelerator's bit-exact units\n"
      "(bf16 MAC into fp32, table-based exp, reciprocal by Newton steps).\n\n"
      "Examples:\n"
      "  einfuse run workloads/attention/softmax_1pass.ein --shape P=512,M=512 --compare softmax-attention\n"
      "  einfuse run workloads/attention/causal_1pass.ein --shape P=256,M=1K --precision bf16 \\\n"
      "      --compare causal-attention --out /tmp/causal\n"
      "  einfuse run my.ein --model BERT --seq 1K --shape B=1 --inputs data/ --out results/");
  cmd->add_option("FILE", o->file, "cascade file (.ein)")->required();
  o->shape.add_to(*cmd);
  cmd->add_option("--precision", o->precision, "fp64, fp32, bf16, fp16, or declared")
      ->check(CLI::IsMember({"fp64", "fp32", "bf16", "fp16", "declared"}));
  cmd->add_flag("--hardware", o->hardware, "use the accelerator's bit-exact arithmetic units");
  cmd->add_option("--arch", o->arch, "with --hardware and --mapping: the arch spec (fusemax, flat, or a .yaml path)");
  cmd->add_option("--mapping", o->mapping,
                  "with --hardware and --arch: each Einsum computes exp as its array does (the table unit, "
                  "or FuseMax's 6 mac + 1 add sequence on the 2D array)");
  add_seed_option(*cmd, o->seed);
  cmd->add_option("--inputs", o->inputs, "folder with NAME.npy for every input tensor");
  cmd->add_option("--out", o->out,
                  "folder to write NAME.npy for every output tensor (written whole; an earlier run's folder of "
                  ".npy files is replaced, any other non-empty folder refused)");
  cmd->add_option("--compare", o->compare,
                  "compare with a direct reference: softmax-attention, causal-attention, window-attention")
      ->check(CLI::IsMember({"softmax-attention", "causal-attention", "window-attention"}));
  cmd->callback([o, &action] { action = [o] { return run_run(*o); }; });
}

}  // namespace einfuse::cli
