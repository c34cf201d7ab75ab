// Shared pieces of the subcommands (cli_common.hpp).
#include "cli_common.hpp"

#include <stdexcept>

#include "einfuse/einsum/data_dir.hpp"
#include "einfuse/einsum/model.hpp"
#include "einfuse/einsum/parser.hpp"

namespace einfuse::cli {

void ShapeOptions::add_to(CLI::App& cmd) {
  cmd.add_option("--shape", shape,
                 "sizes of ranks and parameters, e.g. P=4096,M=4K,E=64 (K, M, G are powers of two)");
  cmd.add_option("--model", model,
                 "a model from workloads/models (BERT, TrXL, T5, XLM, llama3_8b, ...) giving batch, "
                 "heads and head dims");
  cmd.add_option("--seq", seq, "sequence length with --model: 512, 4K, 1M (powers of two)");
}

std::string attention_dir() { return einsum::find_workloads_dir("attention"); }

LoadedCascade load_cascade(const std::string& file, const ShapeOptions& options) {
  LoadedCascade out{einsum::parse_cascade_file(file), {}};
  einsum::ShapeAssignment given;
  if (!options.model.empty()) {
    if (options.seq.empty()) {
      einsum::SourceText src{"--model", options.model};
      throw einsum::CascadeError(&src, {}, "--model needs --seq", "--seq N, e.g. --seq 4K");
    }
    std::int64_t seq = 0;
    try {
      seq = einsum::parse_length(options.seq);
    } catch (const std::invalid_argument& e) {
      einsum::SourceText src{"--seq", options.seq};
      throw einsum::CascadeError(&src, einsum::SourceLoc{1, 1, static_cast<std::uint32_t>(options.seq.size())},
                                 std::string("bad sequence length: ") + e.what(), "512, 4K, 1M");
    }
    const einsum::ModelSpec model = einsum::load_model(options.model, einsum::default_models_dir());
    given = einsum::model_shape(model, seq, out.cascade);
  } else if (!options.seq.empty()) {
    einsum::SourceText src{"--seq", options.seq};
    throw einsum::CascadeError(&src, {}, "--seq needs --model", "--model NAME, or --shape P=N,M=N");
  }
  if (!options.shape.empty()) {
    for (const auto& [name, value] : einsum::parse_shape_assignment(options.shape)) given[name] = value;
  }
  out.shape = einsum::bind_shape(out.cascade, given);
  return out;
}

}  // namespace einfuse::cli
