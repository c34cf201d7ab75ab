// Golden logs of the SystemC level (SystemC's own examples keep a golden.log per example):
// the full run result of a few small runs, kept in tests/levels/golden/ and compared byte for
// byte, so any change to what the simulator reports is seen in review. After an intended
// change, regenerate them and read the diff:
//
//   EINFUSE_REGEN_GOLDEN=1 build/default/tests/levels_tests "[golden]"
#include <catch2/catch.hpp>

#include "paper_program.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "einfuse/einsum/interpreter.hpp"
#include "einfuse/einsum/safe_write.hpp"
#include "einfuse/isa/program.hpp"
#include "einfuse/mapper/hardware_numerics.hpp"
#include "einfuse/sim/simulator.hpp"

using namespace einfuse;
using mapper::paper::Design;

namespace {

struct GoldenCase {
  const char* name;
  Design design;
  std::int64_t batch, heads, len;
  sim::OpTiming timing;
  sim::DramModel dram;
  sim::Channels channels;
  bool data;
};

// FNV-1a over the bits of a tensor: data mode's outputs, in a line a reviewer can read.
std::string digest(const einsum::DenseTensor& t) {
  std::uint64_t h = 1469598103934665603ULL;
  for (double v : t.data) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    for (int i = 0; i < 8; ++i) h = (h ^ ((bits >> (8 * i)) & 0xff)) * 1099511628211ULL;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("sim golden logs: small runs report exactly what they reported when the logs were made", "[levels][sim][golden]") {
  const GoldenCase cases[] = {
      {"fusemax_b1h1_512_cost_model_ideal", Design::fusemax, 1, 1, 512, sim::OpTiming::cost_model, sim::DramModel::ideal,
       sim::Channels::unbounded, false},
      {"fusemax_b1h2_512_structural_hbm2_arch", Design::fusemax, 1, 2, 512, sim::OpTiming::structural, sim::DramModel::hbm2,
       sim::Channels::arch, false},
      {"flat_b1h2_512_structural_ideal_arch", Design::flat, 1, 2, 512, sim::OpTiming::structural, sim::DramModel::ideal,
       sim::Channels::arch, false},
      {"unfused_b1h1_512_cost_model_hbm2", Design::unfused, 1, 1, 512, sim::OpTiming::cost_model, sim::DramModel::hbm2,
       sim::Channels::unbounded, false},
      {"fusemax_b1h1_512_data", Design::fusemax, 1, 1, 512, sim::OpTiming::structural, sim::DramModel::ideal,
       sim::Channels::arch, true},
  };
  const bool regen = std::getenv("EINFUSE_REGEN_GOLDEN") != nullptr;
  for (const GoldenCase& g : cases) {
    INFO(g.name);
    const test::PaperProgram b = test::paper_program(g.design, g.batch, g.heads, g.len);
    const auto& d = b.design;
    const einsum::Cascade& c = *b.cascade;
    const einsum::BoundShape& shape = b.shape;
    const isa::Program& p = *b.program;
    sim::SimOptions o;
    o.op_timing = g.timing;
    o.dram = g.dram;
    o.channels = g.channels;
    std::string log;
    if (g.data) {
      const einsum::TensorMap inputs = einsum::random_inputs(c, shape, 1, mapper::hardware_run_options(d.arch, d.mapping));
      const sim::DataRun run = sim::simulate_data(p, c, shape, inputs, o);
      log = isa::to_json(run.result) + "\n";
      for (const auto& [name, t] : run.outputs) log += "output " + name + " fnv1a64 " + digest(t) + "\n";
    } else {
      log = isa::to_json(sim::simulate(p, c, shape, o)) + "\n";
    }
    const std::string path = std::string(EINFUSE_SOURCE_DIR) + "/tests/levels/golden/" + g.name + ".log";
    if (regen) {
      einsum::write_file_safely(path, log);
      continue;
    }
    const std::string golden = read(path);
    REQUIRE_FALSE(golden.empty());
    if (golden != log) {
      std::size_t at = 0;
      while (at < golden.size() && at < log.size() && golden[at] == log[at]) ++at;
      FAIL_CHECK(path << " differs from this run at byte " << at << ":\n  golden: "
                      << golden.substr(at > 80 ? at - 80 : 0, 200) << "\n  now:    " << log.substr(at > 80 ? at - 80 : 0, 200)
                      << "\n(after an intended change: EINFUSE_REGEN_GOLDEN=1 build/default/tests/levels_tests \"[golden]\")");
    }
  }
}
