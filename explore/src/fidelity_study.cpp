// Running the fidelity study (fidelity.hpp): each item makes one row, the closed form beside
// the simulator's run under one setting.
#include "einfuse/explore/fidelity.hpp"

#include <map>
#include <string>
#include <utility>

#include "einfuse/einsum/model.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/isa/program.hpp"
#include "einfuse/mapper/schedule.hpp"
#include "einfuse/sim/layer.hpp"
#include "einfuse/sim/simulator.hpp"
#include "fidelity_settings.hpp"

namespace einfuse::explore::fidelity {
namespace {

using mapper::paper::Design;
namespace paper = mapper::paper;

// The arrays' activity by role, from a run (units come in the arch's array order first).
void fill_sim(Row& row, const mapper::ArchSpec& arch, const isa::RunResult& r) {
  row.status = "ok";
  row.cycles = r.cycles;
  row.dram_bytes = r.dram_bytes;
  for (std::size_t a = 0; a < arch.arrays.size(); ++a) {
    ArrayTime t{r.units[a].busy_cycles, {}};
    for (std::size_t c = 0; c < kCauses; ++c) t.stalls[c] = r.units[a].stalls[c];
    if (arch.arrays[a].role == "2d") row.sim_2d = t;
    if (arch.arrays[a].role == "1d") row.sim_1d = t;
  }
}

void fill_cost(Row& row, const mapper::ArchSpec& arch, const mapper::CostReport& corrected,
               const mapper::CostReport& published) {
  row.cost_cycles = corrected.latency_cycles;
  row.cost_published_cycles = published.latency_cycles;
  row.cost_dram_cycles = corrected.dram_cycles;
  for (std::size_t a = 0; a < arch.arrays.size(); ++a) {
    if (arch.arrays[a].role == "2d") row.cost_busy_2d = corrected.arrays[a].busy_cycles;
    if (arch.arrays[a].role == "1d") row.cost_busy_1d = corrected.arrays[a].busy_cycles;
  }
}

// A deadlock is a result: its row says where the run stuck (the summary line and what each
// unit waited for), with no cycles.
void fill_deadlock(Row& row, const sim::DeadlockError& e) {
  row.status = "deadlock";
  std::string what = e.what();
  row.note = what.substr(0, what.find('\n'));
  for (const std::string& line : e.blocked) {
    const auto start = line.find_first_not_of(' ');
    row.note += "; " + (start == std::string::npos ? line : line.substr(start));
  }
}

// Runs `f`, recording a deadlock in `row` instead of throwing it.
template <class F>
void run_or_deadlock(Row& row, F f) {
  try {
    f();
  } catch (const sim::DeadlockError& e) {
    fill_deadlock(row, e);
  }
}

class Study {
 public:
  Study(paper::Context& ctx, const Config& config) : ctx_(ctx), config_(config) {}

  Row ladder_row(Design design, const std::string& model_name, std::int64_t len, const detail::Rung& rung) {
    const einsum::ModelSpec m = model(model_name, config_.batch);
    Row row = start_row(design, m, len, rung.name);
    const paper::DesignInstance d = paper::attention_design(ctx_, design, m, len, false);
    simulate_layer(row, d, d.arch, rung.options);
    return row;
  }

  Row sensitivity_row(Design design, std::int64_t len, const detail::Knob& knob) {
    const einsum::ModelSpec m = model(config_.focus_model, config_.batch);
    Row row = start_row(design, m, len, knob.name);
    const paper::DesignInstance d = paper::attention_design(ctx_, design, m, len, false);
    mapper::ArchSpec arch = d.arch;
    sim::SimOptions o = detail::top_rung().options;
    knob.apply(arch, o);
    simulate_layer(row, d, arch, o);
    if (row.status == "ok" && knob.as_shipped(d.arch)) row.note += detail::kAsShipped;
    return row;
  }

  // FuseMax's paper mapping on the causal cascade (the same twelve Einsums; its guards add a
  // compare and a select on the 1D array) or on the unmasked softmax_1pass.ein. Every slice
  // is simulated: the uniform spreading is sim::simulate(program) of a whole Program.
  Row masking_row(std::int64_t len, const detail::Rung& rung, const std::string& variant) {
    const einsum::ModelSpec m = model(config_.focus_model, config_.masking_batch);
    Row row = start_row(Design::fusemax, m, len, detail::masking_setting(rung.name, variant));
    paper::DesignInstance d = paper::attention_design(ctx_, Design::fusemax, m, len, false);
    d.cascade = variant == "dense" ? "softmax_1pass" : "causal_1pass";
    const einsum::Cascade& c = ctx_.cascade(d.cascade);
    d.mapping.cascade = c.name;
    d.shape.erase("TILE");  // fusemax_paper's parameter; these cascades split M by 256
    const einsum::BoundShape shape = einsum::bind_shape(c, d.shape);
    const mapper::Workload w = mapper::make_workload(c, shape);
    const mapper::CostReport cost = mapper::evaluate(w, d.arch, d.mapping, d.options);
    fill_cost(row, d.arch, cost, mapper::evaluate(w, d.arch, d.mapping, mapper::CostOptions::published()));
    const mapper::Schedule schedule(w, d.arch, d.mapping);
    const isa::Program program(schedule, isa::buffer_footprints(cost));
    run_or_deadlock(row, [&] {
      fill_sim(row, d.arch, variant == "uniform" ? sim::simulate(program, rung.options)
                                                 : sim::simulate(program, c, shape, rung.options));
    });
    const std::string slices = "B=" + std::to_string(m.batch) + " H=" + std::to_string(m.heads);
    if (row.status == "ok") row.note = slices + ": every (batch, head) slice simulated";
    return row;
  }

 private:
  einsum::ModelSpec model(const std::string& name, std::int64_t batch) {
    auto it = models_.find(name);
    if (it == models_.end()) it = models_.emplace(name, einsum::load_model(name, ctx_.models_dir)).first;
    einsum::ModelSpec m = it->second;
    if (batch > 0) m.batch = batch;
    if (config_.heads > 0) m.heads = m.kv_heads = config_.heads;
    return m;
  }

  Row start_row(Design design, const einsum::ModelSpec& m, std::int64_t len, const std::string& setting) const {
    Row row;
    row.design = paper::design_name(design);
    row.model = m.name;
    row.seq_len = paper::length_label(len);
    row.setting = setting;
    return row;
  }

  // A whole layer, identical slices extrapolated (sim/layer.hpp).
  void simulate_layer(Row& row, const paper::DesignInstance& d, const mapper::ArchSpec& arch, const sim::SimOptions& o) {
    const einsum::Cascade& c = ctx_.cascade(d.cascade);
    const einsum::BoundShape shape = einsum::bind_shape(c, d.shape);
    const mapper::Workload w = mapper::make_workload(c, shape);
    fill_cost(row, arch, mapper::evaluate(w, arch, d.mapping, d.options),
              mapper::evaluate(w, arch, d.mapping, mapper::CostOptions::published()));
    run_or_deadlock(row, [&] {
      const sim::LayerRun run = sim::simulate_layer(c, shape, arch, d.mapping, d.options, o);
      fill_sim(row, arch, run.result);
      row.note = run.note;
    });
  }

  paper::Context& ctx_;
  const Config& config_;
  std::map<std::string, einsum::ModelSpec> models_;
};

// One row's work and the table it goes to.
struct Item {
  std::vector<Row> Tables::*table;
  std::function<Row(Study&)> make;
};

// The items in their fixed order (what --shard deals out).
std::vector<Item> items(const Config& config) {
  std::vector<Item> out;
  for (Design design : config.designs)
    for (const std::string& model : config.models)
      for (std::int64_t len : config.seq_lens)
        for (const detail::Rung& rung : detail::ladder())
          out.push_back({&Tables::ladder, [=](Study& s) { return s.ladder_row(design, model, len, rung); }});
  for (std::int64_t len : config.masking_seq_lens)
    for (const detail::Rung& rung : detail::ladder())
      for (const std::string& variant : detail::masking_variants())
        out.push_back({&Tables::masking, [=](Study& s) { return s.masking_row(len, rung, variant); }});
  for (Design design : config.sensitivity_designs)
    for (std::int64_t len : config.sensitivity_seq_lens)
      for (const detail::Knob& knob : detail::knobs())
        out.push_back({&Tables::sensitivity, [=](Study& s) { return s.sensitivity_row(design, len, knob); }});
  return out;
}

}  // namespace

std::size_t study_items(const Config& config) { return items(config).size(); }

Tables run_study(paper::Context& ctx, const Config& config, std::size_t shard_index, std::size_t shard_count,
                 const std::function<void(std::size_t, std::size_t)>& progress) {
  Study study(ctx, config);
  const std::vector<Item> work = items(config);
  std::size_t mine = 0, done = 0;
  for (std::size_t i = shard_index; i < work.size(); i += shard_count) ++mine;
  Tables t;
  for (std::size_t i = shard_index; i < work.size(); i += shard_count) {
    (t.*work[i].table).push_back(work[i].make(study));
    if (progress) progress(++done, mine);
  }
  sort_tables(t);
  return t;
}

}  // namespace einfuse::explore::fidelity
