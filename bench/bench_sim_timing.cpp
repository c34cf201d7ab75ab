// The SystemC level's timing mode against issue #10 §7: at least 1e12 simulated MACs per
// second on one core, so the paper's BERT 16K layer (2.6e13 MACs) simulates in under a
// minute. Measured two ways:
//   - the simulator itself, every command simulated: FuseMax at BERT 16K, 3 (batch, head)
//     slices (147k commands), with the cost model's op timing and with the realistic ladder
//     (structural timing, arch channels, HBM2): commands/s and simulated MACs/s;
//   - a whole layer as `einfuse sim` runs it (sim::simulate_layer: 2 and 3 identical slices
//     simulated, the layer extrapolated): BERT 16K, all 768 slices' MACs per second of wall
//     time, and the time against the one-minute limit.
// The ratios are printed after the table. Anchor: SCALE-Sim v2 on a 256x256 array simulates
// ~87 M MAC/s (2.3 k cycles/s) and computes no data (issue #10).
#include <benchmark/benchmark.h>

#include "bench_reporter.hpp"

#include <cstdio>
#include <map>
#include <string>

#include "einfuse/einsum/model.hpp"
#include "einfuse/isa/program.hpp"
#include "einfuse/mapper/paper.hpp"
#include "einfuse/sim/layer.hpp"
#include "einfuse/sim/simulator.hpp"

namespace {

using namespace einfuse;
namespace paper = mapper::paper;

struct Layer {
  paper::DesignInstance design;
  const einsum::Cascade* cascade = nullptr;
  einsum::BoundShape shape;
};

paper::Context& context() {
  static paper::Context ctx = paper::Context::load_default();
  return ctx;
}

Layer bert_16k(std::int64_t heads) {
  paper::Context& ctx = context();
  einsum::ModelSpec m = einsum::load_model("BERT", ctx.models_dir);
  if (heads > 0) {
    m.batch = 1;
    m.heads = m.kv_heads = heads;
  }
  Layer l{paper::attention_design(ctx, paper::Design::fusemax, m, 16384, false), nullptr, {}};
  l.cascade = &ctx.cascade(l.design.cascade);
  l.shape = einsum::bind_shape(*l.cascade, l.design.shape);
  return l;
}

sim::SimOptions realistic() {
  sim::SimOptions o;
  o.op_timing = sim::OpTiming::structural;
  o.channels = sim::Channels::arch;
  o.dram = sim::DramModel::hbm2;
  return o;
}

std::map<std::string, double> g_macs;  // simulated MACs per iteration, by benchmark

void three_slices(benchmark::State& state, const sim::SimOptions& o, const char* name) {
  const Layer l = bert_16k(3);
  const mapper::Workload w = mapper::make_workload(*l.cascade, l.shape);
  const mapper::Schedule s(w, l.design.arch, l.design.mapping);
  const isa::Program p(s, isa::buffer_footprints(mapper::evaluate(w, l.design.arch, l.design.mapping, l.design.options)));
  std::uint64_t commands = 0, macs = 0;
  for (auto _ : state) {
    const isa::RunResult r = sim::simulate(p, *l.cascade, l.shape, o);
    commands = r.commands;
    macs = 0;
    for (const isa::UnitActivity& u : r.units) macs += u.actions[static_cast<std::size_t>(mapper::ArrayOp::mac)];
  }
  state.counters["commands/s"] = benchmark::Counter(static_cast<double>(commands), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MAC/s"] = benchmark::Counter(static_cast<double>(macs), benchmark::Counter::kIsIterationInvariantRate);
  g_macs[name] = static_cast<double>(macs);
}
void BM_ThreeSlicesCostModelTiming(benchmark::State& state) { three_slices(state, {}, "BM_ThreeSlicesCostModelTiming"); }
void BM_ThreeSlicesRealistic(benchmark::State& state) { three_slices(state, realistic(), "BM_ThreeSlicesRealistic"); }
BENCHMARK(BM_ThreeSlicesCostModelTiming)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_ThreeSlicesRealistic)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void whole_layer(benchmark::State& state, const sim::SimOptions& o, const char* name) {
  const Layer l = bert_16k(0);
  std::uint64_t macs = 0;
  for (auto _ : state) {
    const sim::LayerRun r = sim::simulate_layer(*l.cascade, l.shape, l.design.arch, l.design.mapping, l.design.options, o);
    macs = 0;
    for (const isa::UnitActivity& u : r.result.units) macs += u.actions[static_cast<std::size_t>(mapper::ArrayOp::mac)];
  }
  state.counters["MAC/s"] = benchmark::Counter(static_cast<double>(macs), benchmark::Counter::kIsIterationInvariantRate);
  g_macs[name] = static_cast<double>(macs);
}
void BM_Bert16kLayerCostModelTiming(benchmark::State& state) { whole_layer(state, {}, "BM_Bert16kLayerCostModelTiming"); }
void BM_Bert16kLayerRealistic(benchmark::State& state) { whole_layer(state, realistic(), "BM_Bert16kLayerRealistic"); }
BENCHMARK(BM_Bert16kLayerCostModelTiming)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Bert16kLayerRealistic)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

int main(int argc, char** argv) {
  einfuse::bench::Reporter reporter;
  if (!einfuse::bench::run_benchmarks(argc, argv, reporter)) return 1;
  std::printf("\n");
  for (const std::string& name : reporter.names()) {
    const double t = reporter.seconds(name), macs = g_macs[name];
    if (t <= 0 || macs <= 0) continue;
    const double rate = macs / t;
    std::printf("%-32s %.3f s, %.3g simulated MAC/s = %.2fx the 1e12 MAC/s target, %.0fx SCALE-Sim's 87 M MAC/s", name.c_str(), t,
                rate, rate / 1e12, rate / 87e6);
    if (name.find("Layer") != std::string::npos) std::printf("; %.4fx the 60 s limit for the BERT 16K layer", t / 60.0);
    std::printf("\n");
  }
  return 0;
}
