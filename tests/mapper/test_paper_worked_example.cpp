// The paper's designs through the general cost model: the worked example of fusemax.md
// exactly, and the relations between designs the paper states (utilisation of FLAT's 2D
// array, the 1D array of FuseMax always busy).
#include <catch2/catch.hpp>

#include "paper_fixture.hpp"

#include <string>

#include "einfuse/einsum/model.hpp"
#include "einfuse/mapper/paper.hpp"

using namespace einfuse::mapper;
using namespace einfuse::mapper::paper;

namespace {

Context& context() { return einfuse::test::paper_context(); }

const einfuse::einsum::ModelSpec& model(const std::string& name) { return einfuse::test::paper_model(name); }

std::uint64_t busy(const CostReport& r, const std::string& array) {
  for (const auto& a : r.arrays)
    if (a.array == array) return a.busy_cycles;
  FAIL("no array " << array);
  return 0;
}

}  // namespace

TEST_CASE("worked example: FuseMax on BERT at 1K (fusemax.md)", "[paper]") {
  // X = 64*12*1024*1024 / 65536 = 12,288 cycles: one element-wise op over [B,H,M,P].
  const std::uint64_t X = 12288;
  for (bool published : {true, false}) {
    INFO("published model: " << published);
    const DesignInstance d = attention_design(context(), Design::fusemax, model("BERT"), 1024, published);
    const CostReport r = cost_instance(context(), d);
    CHECK(r.latency_cycles == 154 * X);  // 1,892,352
    CHECK(r.latency_cycles == 1'892'352);
    CHECK(busy(r, "pe2d") == 137 * X);
    CHECK(busy(r, "pe1d") == 154 * X);  // "the 1D array is busy all the time"
    CHECK(r.dram_bytes == 402'653'184);
    CHECK(r.latency_s == Approx(2.0131e-3).epsilon(1e-4));
    CHECK(r.arrays[0].utilisation == Approx(137.0 / 154.0));
  }
}

TEST_CASE("FuseMax 2D utilisation rises from 0.89 at 1K to 0.99 at 1M (BERT)", "[paper]") {
  const CostReport r = cost_instance(context(), attention_design(context(), Design::fusemax, model("BERT"), 1 << 20, true));
  CHECK(r.arrays[0].utilisation == Approx(0.99).margin(0.005));
}

TEST_CASE("FLAT's 2D array is 12.5% busy for E = 64 and 25% for XLM's E = 128", "[paper]") {
  for (const auto& [name, util] : {std::pair{"BERT", 0.125}, std::pair{"XLM", 0.25}}) {
    INFO(name);
    const CostReport r = cost_instance(context(), attention_design(context(), Design::flat, model(name), 1024, true));
    CHECK(r.arrays[0].utilisation == Approx(util).margin(1e-9));
  }
}
