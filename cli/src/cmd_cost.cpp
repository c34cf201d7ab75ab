// einfuse cost FILE --arch A --mapping M.yaml: prices one mapping of a cascade on an arch
// with the closed-form cost model (docs/cost-model.md) and prints everything the report
// holds. `--paper-design D` takes the mapping (and cascade, arch, shape) of one of the
// FuseMax paper's designs instead, and `--write-mapping` saves it as a starting point to edit.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "cost_report_output.hpp"
#include "commands.hpp"
#include "einfuse/einsum/model.hpp"
#include "einfuse/einsum/safe_write.hpp"
#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/mapper/cost_model.hpp"
#include "einfuse/mapper/mapping.hpp"
#include "einfuse/mapper/paper.hpp"

namespace einfuse::cli {
namespace {

namespace paper = mapper::paper;

struct CostCommandOptions {
  std::string file;
  std::string arch;
  std::string mapping;
  ShapeOptions shape;
  bool published_model = false;
  bool json = false;
  std::string paper_design;
  std::string write_mapping;
};

int mapping_failed(const std::string& message) {
  std::cerr << message;
  if (!message.empty() && message.back() != '\n') std::cerr << "\n";
  return kCheckFailed;
}

// --paper-design: the cascade, arch, shape and mapping of one of the paper's designs.
Costed paper_design(const CostCommandOptions& o, std::string& shape_text) {
  paper::Design design = paper::Design::fusemax;
  try {
    design = paper::parse_design(o.paper_design);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--paper-design ") + e.what());
  }
  if (o.shape.model.empty() || o.shape.seq.empty()) throw std::invalid_argument("--paper-design needs --model and --seq");
  paper::Context ctx = paper::Context::load_default();
  const einsum::ModelSpec model = einsum::load_model(o.shape.model, ctx.models_dir);
  const std::int64_t seq = einsum::parse_length(o.shape.seq);
  const paper::DesignInstance d = paper::attention_design(ctx, design, model, seq, o.published_model);
  for (const auto& [name, value] : d.shape) shape_text += (shape_text.empty() ? "" : ",") + name + "=" + std::to_string(value);
  Costed c;
  c.cascade_file = ctx.attention_dir + "/" + d.cascade + ".ein";
  c.cascade_name = ctx.cascade(d.cascade).name;
  c.arch = d.arch;
  c.mapping = d.mapping;
  c.mode = o.published_model ? "published" : "corrected";
  c.report = paper::cost_instance(ctx, d);
  return c;
}

int run_cost(const CostCommandOptions& o) {
  Costed c;
  if (!o.paper_design.empty()) {
    if (!o.file.empty() || !o.mapping.empty() || !o.arch.empty() || !o.shape.shape.empty()) {
      std::cerr << "einfuse cost: error: --paper-design takes the cascade, arch, mapping and shape from the design; "
                   "give only --model and --seq\n";
      return kBadInput;
    }
    std::string shape_text;
    try {
      c = paper_design(o, shape_text);
    } catch (const std::invalid_argument& e) {
      std::cerr << "einfuse cost: error: " << e.what() << "\n";
      return kBadInput;
    }
    if (!o.write_mapping.empty()) {
      einsum::write_file_safely(o.write_mapping, mapper::to_yaml(c.mapping));
      // Where the mapping came from and how to replay it, for the user who edits it.
      std::cerr << fmt::format("wrote {}; replay it with\n  einfuse cost {} --arch {} --mapping {} --shape {}{}\n",
                               o.write_mapping, c.cascade_file, c.arch.name, o.write_mapping, shape_text,
                               o.published_model ? " --published-model" : "");
    }
  } else {
    if (o.file.empty() || o.arch.empty() || o.mapping.empty()) {
      std::cerr << "einfuse cost: error: give FILE --arch A --mapping M.yaml, or --paper-design D --model M --seq N\n";
      return kBadInput;
    }
    if (!o.write_mapping.empty()) {
      std::cerr << "einfuse cost: error: --write-mapping goes with --paper-design (the mapping file already exists)\n";
      return kBadInput;
    }
    // The cascade, shape and arch are inputs like any other command's (errors: exit 2);
    // the mapping is what this command checks (errors: exit 1).
    const LoadedCascade lc = load_cascade(o.file, o.shape);
    c.arch = mapper::load_arch(o.arch, mapper::default_arch_dir());
    c.cascade_file = o.file;
    c.cascade_name = lc.cascade.name;
    c.mode = o.published_model ? "published" : "corrected";
    try {
      c.mapping = mapper::load_mapping(o.mapping);
    } catch (const einsum::CascadeError& e) {
      return mapping_failed(e.what());
    } catch (const std::runtime_error& e) {
      return mapping_failed(std::string("einfuse cost: error: ") + e.what());
    }
    const mapper::Workload w = mapper::make_workload(lc.cascade, lc.shape);
    const mapper::CostOptions options = o.published_model ? mapper::CostOptions::published() : mapper::CostOptions{};
    try {
      c.report = mapper::evaluate(w, c.arch, c.mapping, options);
    } catch (const mapper::MappingError& e) {
      return mapping_failed(fmt::format("einfuse cost: error: {}", e.what()));
    }
  }
  if (o.json) {
    std::cout << cost_report_json(c).dump(2) << "\n";
  } else {
    print_cost_report(c);
  }
  return kOk;
}

}  // namespace

void add_cost_command(CLI::App& app, std::function<int()>& action) {
  auto o = std::make_shared<CostCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "cost",
      "Price one mapping of a cascade on an arch with the closed-form cost model: cycles per\n"
      "Einsum, array utilisation, stages, traffic and footprint per tensor, energy by action,\n"
      "latency, DRAM bytes and area. Exit 1 when the mapping file is malformed or the mapping\n"
      "does not fit (every problem listed).\n\n"
      "Examples:\n"
      "  einfuse cost --paper-design fusemax --model BERT --seq 1K --write-mapping fusemax.yaml\n"
      "  einfuse cost workloads/attention/fusemax_paper.ein --arch fusemax --mapping fusemax.yaml \\\n"
      "      --model BERT --seq 1K --shape TILE=256 --published-model --json");
  cmd->add_option("FILE", o->file, "cascade file (.ein)");
  cmd->add_option("--arch", o->arch, "arch spec: a name in workloads/arch (fusemax, flat) or a .yaml path");
  cmd->add_option("--mapping", o->mapping, "mapping file (YAML, docs/mapping.md)");
  o->shape.add_to(*cmd);
  cmd->add_flag("--published-model", o->published_model, "the paper's cost model with its known quirks");
  cmd->add_flag("--json", o->json, "print the report as one JSON object");
  cmd->add_option("--paper-design", o->paper_design,
                  "cost the FuseMax paper's design (unfused, flat, cascade, arch, fusemax) at --model/--seq "
                  "instead of FILE/--arch/--mapping");
  cmd->add_option("--write-mapping", o->write_mapping, "with --paper-design: save its mapping as YAML to edit");
  cmd->callback([o, &action] { action = [o] { return run_cost(*o); }; });
}

}  // namespace einfuse::cli
