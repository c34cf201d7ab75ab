// einfuse run FILE: execute a cascade on seeded random or .npy inputs, write the outputs,
// and optionally compare them with a direct attention reference.
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "cli_common.hpp"
#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/mapper/hardware_numerics.hpp"
#include "einfuse/mapper/mapping.hpp"
#include "commands.hpp"
#include "einfuse/einsum/interpreter.hpp"
#include "einfuse/einsum/npy.hpp"
#include "einfuse/einsum/safe_write.hpp"
#include "reference_compare.hpp"

namespace einfuse::cli {
namespace {

namespace fs = std::filesystem;

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

einsum::TensorMap load_inputs(const LoadedCascade& lc, const RunCommandOptions& o, const einsum::RunOptions& r) {
  if (o.inputs.empty()) return einsum::random_inputs(lc.cascade, lc.shape, o.seed, r);
  einsum::TensorMap inputs;
  for (einsum::TensorId t : lc.cascade.inputs()) {
    const std::string& name = lc.cascade.tensors[static_cast<std::size_t>(t)].name;
    const fs::path path = fs::path(o.inputs) / (name + ".npy");
    if (!fs::exists(path)) {
      einsum::SourceText src{"--inputs", o.inputs};
      throw einsum::CascadeError(&src, {}, "input '" + name + "' has no file " + path.string(),
                                 "one NAME.npy per input tensor in " + o.inputs);
    }
    inputs.emplace(name, einsum::read_npy(path.string()));
  }
  return inputs;
}

// The outputs are one folder, complete or absent (einsum/safe_write.hpp). An existing folder
// is replaced only when it holds nothing but .npy files (an earlier run's outputs): --out
// pointed at a folder of other things is refused rather than emptied.
bool holds_only_npy(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) return false;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.is_symlink() || entry.path().extension() != ".npy") return false;
  }
  return !ec;
}

void write_outputs(const LoadedCascade& lc, const einsum::TensorMap& outputs, const std::string& dir) {
  einsum::OutputFolder folder(dir);
  for (einsum::TensorId t : lc.cascade.outputs()) {
    const std::string& name = lc.cascade.tensors[static_cast<std::size_t>(t)].name;
    einsum::write_npy(folder.file(name + ".npy"), outputs.at(name));
  }
  folder.commit(holds_only_npy(dir) ? einsum::OutputFolder::Existing::replace : einsum::OutputFolder::Existing::refuse);
}

int run_run(const RunCommandOptions& o) {
  const LoadedCascade lc = load_cascade(o.file, o.shape);
  const einsum::RunOptions options = run_options(o);
  const einsum::TensorMap inputs = load_inputs(lc, o, options);
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
    write_outputs(lc, outputs, o.out);
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
  // CLI11 wraps "-1" and saturates values beyond 2^64 silently: accept plain digits only.
  cmd->add_option("--seed", o->seed, "seed of the random inputs (default 1)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            std::uint64_t v = 0;
            const char* end = text.data() + text.size();
            const auto [p, ec] = std::from_chars(text.data(), end, v);
            if (text.empty() || ec != std::errc{} || p != end) return "expected an integer in [0, 2^64), got '" + text + "'";
            return {};
          },
          "UINT64"));
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
