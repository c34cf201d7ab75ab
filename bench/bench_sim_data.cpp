// Speed of the SystemC level's data mode (docs/sim.md, issue #10): bit-exact bf16 MACs per
// second on one core, against two named limits.
//   - the target: 1e9 bit-exact MAC/s on one core;
//   - the anchor: a tile-level SystemC loop (one thread per tile computing the tile, then
//     wait(latency)) at ~354 M MAC/s (shared/reference/toolchain.md, "Speed of one 16x16
//     bf16 array").
// (1) The hardware-mode contractions through einsum::TileExecution on a FuseMax-sized tile of
//     256 x 256 x 64 MACs: QK and SLNV of softmax_1pass (P = M0 = 256, E = F = 64) and AV of
//     softmax_3pass (P = M = 256, F = 64), each run over its whole box.
// (2) sim::simulate_data end to end on the FuseMax paper design (BERT shapes, B = H = 2,
//     512 queries and keys): the MACs of the contraction Einsums (QK, SLNV) over the wall
//     time of the whole data run (every Einsum's tiles, the SystemC model, the DMA).
// The ratios are printed after the table.
#include <benchmark/benchmark.h>

#include "bench_reporter.hpp"

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "einfuse/einsum/graph.hpp"
#include "einfuse/einsum/interpreter.hpp"
#include "einfuse/einsum/model.hpp"
#include "einfuse/einsum/parser.hpp"
#include "einfuse/einsum/tile_execution.hpp"
#include "einfuse/isa/program.hpp"
#include "einfuse/mapper/cost_model.hpp"
#include "einfuse/mapper/hardware_numerics.hpp"
#include "einfuse/mapper/paper.hpp"
#include "einfuse/mapper/schedule.hpp"
#include "einfuse/sim/simulator.hpp"

namespace {

using namespace einfuse;

constexpr double kTarget = 1e9;           // bit-exact MAC/s on one core (issue #10)
constexpr double kSystemCAnchor = 354e6;  // tile-level SystemC loop (toolchain.md)

bool is_mac(const einsum::Einsum& e) {
  return e.body->kind == einsum::Expr::Kind::apply && e.body->op == einsum::Op::mul && !e.inner_vars.empty();
}

// MACs of the contraction Einsums (a product reduced by +) over their whole iteration spaces.
double contraction_macs(const einsum::Cascade& c, const einsum::BoundShape& shape) {
  double macs = 0;
  for (const einsum::Einsum& e : c.einsums) {
    if (!is_mac(e)) continue;
    double points = 1;
    for (einsum::RankId v : e.iteration_vars) points *= static_cast<double>(shape.extent(v));
    macs += points;
  }
  return macs;
}

// A cascade at one shape with every tensor computed once (so the timed Einsum reads real
// softmax values), ready to rerun one Einsum over its whole box.
struct TileProblem {
  einsum::Cascade cascade;
  einsum::BoundShape shape;
  std::unique_ptr<einsum::TileExecution> exec;
  std::vector<einsum::IndexRange> box;

  TileProblem(const char* file, const einsum::ShapeAssignment& sizes)
      : cascade(einsum::parse_cascade_file(std::string(EINFUSE_SOURCE_DIR "/workloads/attention/") + file)),
        shape(einsum::bind_shape(cascade, sizes)) {
    einsum::RunOptions hw;
    hw.numerics = einsum::Numerics::hardware;
    exec = std::make_unique<einsum::TileExecution>(cascade, shape, einsum::random_inputs(cascade, shape, 42, hw), hw);
    for (std::int64_t x : shape.rank_extent) box.push_back({0, x});
    for (const auto& group : einsum::evaluation_order(cascade)) {
      if (group.size() > 1) {
        exec->run_cycle(group, std::vector<std::vector<einsum::IndexRange>>(group.size(), box));
      } else {
        exec->run(group.front(), box, true, true);
      }
    }
  }
  einsum::EinsumId einsum(const std::string& output) const {
    return cascade.tensors[static_cast<std::size_t>(*cascade.find_tensor(output))].producer;
  }
};

TileProblem& one_pass() {
  static TileProblem p("softmax_1pass.ein", {{"P", 256}, {"M", 256}});
  return p;
}
TileProblem& three_pass() {
  static TileProblem p("softmax_3pass.ein", {{"P", 256}, {"M", 256}});
  return p;
}

void run_tile(benchmark::State& state, TileProblem& p, const std::string& output) {
  const einsum::EinsumId id = p.einsum(output);
  const einsum::Einsum& e = p.cascade.einsums[static_cast<std::size_t>(id)];
  double macs = 1;
  for (einsum::RankId v : e.iteration_vars) macs *= static_cast<double>(p.shape.extent(v));
  for (auto _ : state) p.exec->run(id, p.box, true, true);
  state.counters["MAC/s"] =
      benchmark::Counter(macs * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_TileQK(benchmark::State& state) { run_tile(state, one_pass(), "QK"); }
void BM_TileSLNV(benchmark::State& state) { run_tile(state, one_pass(), "SLNV"); }
void BM_TileAV(benchmark::State& state) { run_tile(state, three_pass(), "AV"); }

// The FuseMax paper design at a small shape, lowered once.
struct SimProblem {
  mapper::paper::Context ctx = mapper::paper::Context::load_default();
  mapper::paper::DesignInstance design;
  const einsum::Cascade* cascade = nullptr;
  einsum::BoundShape shape;
  std::unique_ptr<mapper::Workload> workload;
  std::unique_ptr<mapper::Schedule> schedule;
  std::unique_ptr<isa::Program> program;
  einsum::TensorMap inputs;
  double macs = 0;

  SimProblem() {
    einsum::ModelSpec m = einsum::load_model("BERT", ctx.models_dir);
    m.batch = 2;
    m.heads = m.kv_heads = 2;
    design = mapper::paper::attention_design(ctx, mapper::paper::Design::fusemax, m, 512, false);
    cascade = &ctx.cascade(design.cascade);
    shape = einsum::bind_shape(*cascade, design.shape);
    workload = std::make_unique<mapper::Workload>(mapper::make_workload(*cascade, shape));
    const mapper::CostReport cost = mapper::evaluate(*workload, design.arch, design.mapping, design.options);
    schedule = std::make_unique<mapper::Schedule>(*workload, design.arch, design.mapping);
    program = std::make_unique<isa::Program>(*schedule, isa::buffer_footprints(cost));
    inputs = einsum::random_inputs(*cascade, shape, 7, mapper::hardware_run_options(design.arch, design.mapping));
    macs = contraction_macs(*cascade, shape);
  }
};

SimProblem& sim_problem() {
  static SimProblem p;
  return p;
}

void BM_SimDataFuseMax(benchmark::State& state) {
  SimProblem& p = sim_problem();
  for (auto _ : state) {
    sim::DataRun run = sim::simulate_data(*p.program, *p.cascade, p.shape, p.inputs);
    benchmark::DoNotOptimize(run.outputs.begin()->second.data.data());
  }
  state.counters["MAC/s"] =
      benchmark::Counter(p.macs * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["MACs"] = p.macs;
}

BENCHMARK(BM_TileQK)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_TileSLNV)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_TileAV)->Unit(benchmark::kMillisecond)->MinTime(1.0);
BENCHMARK(BM_SimDataFuseMax)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

int main(int argc, char** argv) {
  einfuse::bench::Reporter reporter;
  if (!einfuse::bench::run_benchmarks(argc, argv, reporter)) return 1;
  if (!reporter.names().empty()) std::printf("\nbit-exact bf16 MACs per second, one core:\n");
  for (const std::string& name : reporter.names()) {
    const double rate = reporter.counter(name, "MAC/s");
    if (rate <= 0) continue;
    std::printf("  %-20s %8.1f M MAC/s = %5.2fx the 1e9 target, %5.2fx the SystemC tile loop (354 M MAC/s)\n",
                name.c_str(), rate / 1e6, rate / kTarget, rate / kSystemCAnchor);
  }
  return 0;
}
