// The SystemC level's data mode against the golden interpreter: every shipped cascade that
// maps onto fusemax.yaml and flat.yaml, mapped by the search at small shapes (several batch
// and head slices, P != M, the causal and window masks), run through the simulator on real
// data: the outputs are bit-identical to the interpreter's hardware mode with the same arch
// and mapping, and the action counts equal the cost model's.
#include <catch2/catch.hpp>

#include "paper_program.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "einfuse/einsum/interpreter.hpp"
#include "einfuse/isa/program.hpp"
#include "einfuse/mapper/hardware_numerics.hpp"
#include "einfuse/mapper/search.hpp"
#include "einfuse/sim/simulator.hpp"

using namespace einfuse;

namespace {

bool same_bits(const einsum::DenseTensor& a, const einsum::DenseTensor& b) {
  return a.data.size() == b.data.size() && std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(double)) == 0;
}

// Small shapes with P != M, two batch and two head slices where the cascade has them, and
// for the masked cascades a query block longer than the keys too (its first queries see none).
std::vector<einsum::ShapeAssignment> shapes_for(const einsum::Cascade& c, const std::string& stem) {
  einsum::ShapeAssignment base;
  for (const char* b : {"B", "H"})
    if (c.find_rank(b)) base[b] = 2;
  if (stem == "gqa_1pass") base["G"] = 1;
  auto with = [&](std::int64_t p, std::int64_t m) {
    einsum::ShapeAssignment s = base;
    if (auto q = c.find_rank("P"); q && !c.ranks[static_cast<std::size_t>(*q)].default_extent) s["P"] = p;
    if (auto q = c.find_rank("M"); q && !c.ranks[static_cast<std::size_t>(*q)].default_extent) s["M"] = m;
    return s;
  };
  if (stem == "causal_1pass") return {with(256, 1024), with(768, 512)};
  if (stem == "window_1pass") {
    einsum::ShapeAssignment s = with(512, 1024);
    s["W"] = 300;
    return {s};
  }
  return {with(256, 1024)};
}

}  // namespace

TEST_CASE("sim data mode equals the interpreter's hardware mode bit for bit on every shipped cascade",
          "[levels][sim][data]") {
  auto& ctx = test::paper_context();
  namespace fs = std::filesystem;
  std::vector<std::string> stems;
  for (const auto& entry : fs::directory_iterator(ctx.attention_dir))
    if (entry.path().extension() == ".ein") stems.push_back(entry.path().stem().string());
  std::sort(stems.begin(), stems.end());
  REQUIRE(stems.size() >= 9);
  int compared = 0;
  for (const std::string& stem : stems) {
    const einsum::Cascade& c = ctx.cascade(stem);
    for (const einsum::ShapeAssignment& assignment : shapes_for(c, stem))
      for (const char* arch_name : {"fusemax", "flat"}) {
        const einsum::BoundShape shape = einsum::bind_shape(c, assignment);
        const mapper::ArchSpec& arch = ctx.arch(arch_name);
        std::string label = stem + " on " + arch_name;
        for (const auto& [k, v] : assignment) label += " " + k + "=" + std::to_string(v);
        INFO(label);
        const mapper::SearchResult found = mapper::search(c, shape, arch, {});
        INFO(found.reason);
        REQUIRE(found.found);
        const mapper::Workload w = mapper::make_workload(c, shape);
        const mapper::Schedule s(w, arch, found.mapping);
        const isa::Program p(s, isa::buffer_footprints(found.report));
        const einsum::RunOptions hw = mapper::hardware_run_options(arch, found.mapping);
        const einsum::TensorMap inputs = einsum::random_inputs(c, shape, 2026, hw);
        const auto t0 = std::chrono::steady_clock::now();
        const einsum::TensorMap expect = einsum::interpret(c, shape, inputs, hw);
        const auto t1 = std::chrono::steady_clock::now();
        const sim::DataRun run = sim::simulate_data(p, c, shape, inputs);
        const auto t2 = std::chrono::steady_clock::now();
        for (const auto& [name, tensor] : expect) {
          INFO("output " << name);
          REQUIRE(run.outputs.count(name));
          CHECK(same_bits(run.outputs.at(name), tensor));
        }
        // The run's action counts are the cost model's (masked tiles counted from the mask,
        // spread in proportion: the totals are exact).
        for (std::size_t a = 0; a < arch.arrays.size(); ++a) {
          std::array<std::uint64_t, mapper::kArrayOpCount> expect_actions{};
          for (std::size_t e = 0; e < w.einsums.size(); ++e)
            if (found.report.einsums[e].array == arch.arrays[a].name)
              for (std::size_t k = 0; k < expect_actions.size(); ++k) expect_actions[k] += w.einsums[e].ops[k];
          CHECK(run.result.units[a].actions == expect_actions);
        }
        CHECK(run.result.mode == "data");
        std::printf("sim data %-58s %4zu commands, %9llu cycles, interpreter %.2f s, sim %.2f s\n", label.c_str(),
                    static_cast<std::size_t>(run.result.commands), static_cast<unsigned long long>(run.result.cycles),
                    std::chrono::duration<double>(t1 - t0).count(), std::chrono::duration<double>(t2 - t1).count());
        ++compared;
      }
  }
  CHECK(compared >= 20);
}

// The paper's five designs at a small shape: their hand mappings loop over batch, heads,
// query and key tiles (split reductions carried between key tiles on FLAT and Unfused,
// FuseMax's software pipeline with lagged Einsums), which the search's mappings above at
// these shapes mostly do not.
TEST_CASE("sim data mode equals the interpreter on the paper's five designs", "[levels][sim][data]") {
  using mapper::paper::Design;
  for (Design design : mapper::paper::all_designs()) {
    const test::PaperProgram b = test::paper_program(design, 2, 2, 512);
    const auto& d = b.design;
    const einsum::Cascade& c = *b.cascade;
    const einsum::BoundShape& shape = b.shape;
    const isa::Program& p = *b.program;
    const einsum::RunOptions hw = mapper::hardware_run_options(d.arch, d.mapping);
    const einsum::TensorMap inputs = einsum::random_inputs(c, shape, 7, hw);
    const einsum::TensorMap expect = einsum::interpret(c, shape, inputs, hw);
    const sim::DataRun run = sim::simulate_data(p, c, shape, inputs);
    INFO(mapper::paper::design_name(design));
    for (const auto& [name, tensor] : expect) CHECK(same_bits(run.outputs.at(name), tensor));
    // Unmasked: the data run's timing is the timing run's.
    CHECK(run.result.cycles == sim::simulate(p).cycles);
    std::printf("sim data paper design %-8s %6llu commands, %9llu cycles\n", mapper::paper::design_name(design),
                static_cast<unsigned long long>(run.result.commands), static_cast<unsigned long long>(run.result.cycles));
  }
}
