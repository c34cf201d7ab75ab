// The mapspace search (search.hpp): it finds the paper's FuseMax latency without being
// given the paper's mapping, exhaustive search agrees with brute force, multi-pass cascades
// report what their live tensors cost, every shipped cascade maps (or says why not), an
// impossible buffer gives a capacity reason, and the Pareto front is a front.
#include <catch2/catch.hpp>

#include "paper_fixture.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "einfuse/einsum/model.hpp"
#include "einfuse/einsum/parser.hpp"
#include "einfuse/mapper/paper.hpp"
#include "einfuse/mapper/search.hpp"

using namespace einfuse::mapper;
using einfuse::einsum::BoundShape;
using einfuse::einsum::Cascade;
using einfuse::einsum::ShapeAssignment;

namespace {

paper::Context& context() { return einfuse::test::paper_context(); }

const einfuse::einsum::ModelSpec& model(const std::string& name) { return einfuse::test::paper_model(name); }

BoundShape bound_shape(const Cascade& c, const ShapeAssignment& s) { return einfuse::einsum::bind_shape(c, s); }

// The paper's comparison: FuseMax (+Binding) in the published model, against a search that
// is given only the cascade, the shape and the hardware.
struct PaperPoint {
  std::uint64_t paper = 0, dataflow = 0, free = 0;
  double seconds = 0;
};
PaperPoint paper_point(const std::string& name, std::int64_t len) {
  paper::Context& ctx = context();
  const paper::DesignInstance d = paper::attention_design(ctx, paper::Design::fusemax, model(name), len, true);
  const CostReport hand = paper::cost_instance(ctx, d);
  const Cascade& c = ctx.cascade("fusemax_paper");
  SearchOptions o;
  o.cost = CostOptions::published();
  // Enough time for the search to finish even under a sanitizer: the claim is about the
  // optimum, so the test also checks that the search covered its space.
  o.time_limit_s = 300;
  // Held to FuseMax's dataflow (a key per 2D row; Einsums without keys on the 1D array), as
  // the paper's mapping is. Free, the search also balances the arrays (below).
  o.space.keys_down_rows = true;
  const SearchResult held = search(c, bound_shape(c, d.shape), ctx.arch("fusemax"), o);
  REQUIRE(held.found);
  o.space.keys_down_rows = false;
  const SearchResult free = search(c, bound_shape(c, d.shape), ctx.arch("fusemax"), o);
  REQUIRE(free.found);
  CHECK(held.stats.complete);
  CHECK(free.stats.complete);
  return {hand.latency_cycles, held.report.latency_cycles, free.report.latency_cycles,
          held.stats.seconds + free.stats.seconds};
}

void check_paper_points(const std::vector<std::string>& models, const std::vector<std::int64_t>& lens) {
  for (const auto& m : models)
    for (std::int64_t len : lens) {
      const PaperPoint p = paper_point(m, len);
      const double held = static_cast<double>(p.dataflow) / static_cast<double>(p.paper);
      const double free = static_cast<double>(p.free) / static_cast<double>(p.paper);
      INFO(m << " " << paper::length_label(len) << ": paper " << p.paper << " cycles, search " << p.dataflow
              << " (FuseMax's dataflow), " << p.free << " (free)");
      std::printf("  %-5s %-5s paper %14llu  search %.4f (FuseMax dataflow)  %.4f (free)  %.3f s\n", m.c_str(),
                  paper::length_label(len).c_str(), static_cast<unsigned long long>(p.paper), held, free, p.seconds);
      // Within 1% of the paper's latency when held to its dataflow; never worse without it.
      CHECK(held >= 0.99);
      CHECK(held <= 1.01);
      CHECK(free <= 1.01);
    }
}

}  // namespace

// All 24 points of the paper's grid take a few seconds in all, so they run by default.
TEST_CASE("search finds FuseMax's latency at all 24 (model, length) points without its mapping", "[search]") {
  check_paper_points({"BERT", "TrXL", "T5", "XLM"}, {1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20});
}

namespace {

// A one-head, one-sequence model: small enough for brute force, and attention_design still
// builds the paper's hand mapping for it.
einfuse::einsum::ModelSpec tiny_model() {
  einfuse::einsum::ModelSpec m;
  m.name = "tiny";
  m.batch = 1;
  m.heads = 1;
  m.kv_heads = 1;
  m.head_dim = 64;
  m.value_dim = 64;
  return m;
}

// Attention sizes for any shipped cascade: P and M where the cascade leaves them open.
ShapeAssignment small_shape(const Cascade& c, std::int64_t len) {
  ShapeAssignment s;
  for (const char* r : {"P", "M"}) {
    const auto q = c.find_rank(r);
    if (q && !c.ranks[static_cast<std::size_t>(*q)].default_extent) s[r] = len;
  }
  return s;
}

}  // namespace

TEST_CASE("exhaustive search agrees with brute force and finds the hand mapping's latency", "[search]") {
  paper::Context& ctx = context();
  SECTION("1-pass cascade on FuseMax, B = H = 1, P = M = 512") {
    const paper::DesignInstance d = paper::attention_design(ctx, paper::Design::fusemax, tiny_model(), 512, true);
    const CostReport hand = paper::cost_instance(ctx, d);
    const Cascade& c = ctx.cascade("fusemax_paper");
    SearchOptions o;
    o.cost = d.options;
    o.space.layouts_per_array = 1;  // 2^11 bindings: brute force stays quick
    o.space.overlaps = {OverlapPolicy::pipelined, OverlapPolicy::layered_waiting};
    const Mapspace space(c, bound_shape(c, d.shape), d.arch, o.space, o.cost);
    for (Objective obj : {Objective::latency, Objective::energy, Objective::edp}) {
      INFO(objective_name(obj));
      o.objective = obj;
      o.strategy = Strategy::exhaustive;
      const SearchResult ex = search(space, o);
      o.strategy = Strategy::brute_force;
      const SearchResult bf = search(space, o);
      REQUIRE(ex.found);
      REQUIRE(bf.found);
      CHECK(ex.stats.complete);
      CHECK(bf.stats.complete);
      CHECK(bf.stats.pruned == 0);
      CHECK(ex.stats.evaluated < bf.stats.evaluated);  // the bounds cut something
      // Equal objective value; the tie-break may pick another point of equal value.
      CHECK(ex.stats.complete);
      if (obj == Objective::latency) CHECK(ex.report.latency_cycles == bf.report.latency_cycles);
      if (obj == Objective::energy) CHECK(ex.report.energy.total_pj == Approx(bf.report.energy.total_pj).epsilon(1e-12));
      if (obj == Objective::edp)
        CHECK(static_cast<double>(ex.report.latency_cycles) * ex.report.energy.total_pj ==
              Approx(static_cast<double>(bf.report.latency_cycles) * bf.report.energy.total_pj).epsilon(1e-12));
      if (obj == Objective::latency) CHECK(ex.report.latency_cycles <= hand.latency_cycles);
    }
  }
  SECTION("3-pass cascade on FLAT with every residency a dimension, P = M = 512") {
    const Cascade& c = ctx.cascade("softmax_3pass");
    SearchOptions o;
    o.enumerate_residency = true;
    const Mapspace space(c, bound_shape(c, {{"P", 512}, {"M", 512}}), ctx.arch("flat"), o.space, o.cost);
    for (Objective obj : {Objective::latency, Objective::energy}) {
      INFO(objective_name(obj));
      o.objective = obj;
      o.strategy = Strategy::exhaustive;
      const SearchResult ex = search(space, o);
      o.strategy = Strategy::brute_force;
      const SearchResult bf = search(space, o);
      REQUIRE(ex.found);
      REQUIRE(bf.found);
      CHECK(bf.stats.complete);
      CHECK(bf.stats.pruned == 0);
      CHECK(ex.stats.evaluated < bf.stats.evaluated);
      if (obj == Objective::latency) CHECK(ex.report.latency_cycles == bf.report.latency_cycles);
      else CHECK(ex.report.energy.total_pj == Approx(bf.report.energy.total_pj).epsilon(1e-12));
    }
  }
}

TEST_CASE("the other strategies find a legal mapping no better than the optimum", "[search]") {
  paper::Context& ctx = context();
  const Cascade& c = ctx.cascade("fusemax_paper");
  const paper::DesignInstance d = paper::attention_design(ctx, paper::Design::fusemax, model("BERT"), 1 << 14, true);
  SearchOptions o;
  o.cost = d.options;
  const Mapspace space(c, bound_shape(c, d.shape), d.arch, o.space, o.cost);
  const SearchResult best = search(space, o);
  for (Strategy s : {Strategy::random, Strategy::local}) {
    INFO(strategy_name(s));
    o.strategy = s;
    o.max_evaluations = 5000;
    const SearchResult r = search(space, o);
    REQUIRE(r.found);
    CHECK(validate_mapping(space.workload(), space.arch(), r.mapping).empty());
    CHECK(r.report.latency_cycles >= best.report.latency_cycles);
    if (s == Strategy::local) CHECK(r.report.latency_cycles <= best.report.latency_cycles * 101 / 100);
  }
}

TEST_CASE("the 3-pass cascade on FLAT names what lives across its passes", "[search]") {
  paper::Context& ctx = context();
  const Cascade& c = ctx.cascade("softmax_3pass");
  for (std::int64_t len : {std::int64_t{1} << 10, std::int64_t{1} << 16}) {
    INFO("BERT at " << paper::length_label(len));
    const paper::DesignInstance flat = paper::attention_design(ctx, paper::Design::flat, model("BERT"), len, true);
    const SearchResult r = search(c, bound_shape(c, flat.shape), ctx.arch("flat"), {});
    REQUIRE(r.found);
    REQUIRE(r.passes.size() == 1);
    const PassNote& n = r.passes.front();
    INFO(n.summary);
    CHECK(n.rank == "M");
    CHECK(n.passes == 3);
    std::map<std::string, const LiveTensor*> live;
    for (const LiveTensor& t : n.live) live[t.tensor] = &t;
    REQUIRE(live.count("QK"));
    REQUIRE(live.count("SN"));
    for (const char* name : {"QK", "SN"}) {
      CHECK(live[name]->grows_with_rank);
      CHECK(!live[name]->consequence.empty());
      CHECK(n.summary.find(std::string(name) + " [O(M)]") != std::string::npos);
    }
    // What the chosen residency means: a tile held whole (O(M) per query tile) or DRAM traffic.
    for (const auto& [name, t] : live) {
      const TensorTraffic* tt = nullptr;
      for (const TensorTraffic& x : r.report.tensors)
        if (x.tensor == name) tt = &x;
      REQUIRE(tt);
      if (t->residency == Residency::dram) CHECK(tt->dram_read_bytes >= tt->dram_write_bytes);
      else CHECK(tt->dram_read_bytes + tt->dram_write_bytes == 0);
    }
    // At 64K the logits of even one query tile cannot stay whole: they are re-read from DRAM.
    if (len == (std::int64_t{1} << 16)) CHECK(live["QK"]->residency == Residency::dram);
    std::printf("  %s\n", n.summary.c_str());
  }
}

TEST_CASE("every shipped cascade maps on FuseMax or FLAT at a small shape", "[search]") {
  paper::Context& ctx = context();
  namespace fs = std::filesystem;
  std::vector<std::string> stems;
  for (const auto& entry : fs::directory_iterator(ctx.attention_dir))
    if (entry.path().extension() == ".ein") stems.push_back(entry.path().stem().string());
  std::sort(stems.begin(), stems.end());
  REQUIRE(stems.size() >= 9);
  for (const std::string& stem : stems) {
    const Cascade& c = ctx.cascade(stem);
    for (const char* arch : {"fusemax", "flat"}) {
      INFO(stem << " on " << arch);
      const SearchResult r = search(c, bound_shape(c, small_shape(c, 1024)), ctx.arch(arch), {});
      INFO(r.reason);
      REQUIRE(r.found);
      CHECK(validate_mapping(einfuse::mapper::make_workload(c, bound_shape(c, small_shape(c, 1024))), ctx.arch(arch), r.mapping).empty());
      CHECK(r.stats.seconds < 1.0 * 10);  // generous: timing is measured by the paper test, not asserted
    }
  }
}

TEST_CASE("a cascade that cannot be mapped gets a precise reason", "[search]") {
  paper::Context& ctx = context();
  SECTION("a buffer too small for the smallest tiles") {
    // With bypass allowed, a mapping can route every input through DRAM and every
    // intermediate through registers, so the buffer must also be needed: no bypass, and
    // K's smallest tile (E x M0 = 64 x 256 words) no longer fits.
    ArchSpec tiny = ctx.arch("fusemax");
    tiny.global_buffer.capacity_bytes = 1024;
    SearchOptions o;
    o.space.allow_dram_bypass = false;
    const Cascade& c = ctx.cascade("fusemax_paper");
    const SearchResult r = search(c, bound_shape(c, {{"P", 1024}, {"M", 1024}}), tiny, o);
    INFO(r.reason);
    CHECK(!r.found);
    CHECK(r.reason.rfind("capacity: the smallest tiles of any mapping need ", 0) == 0);
    CHECK(r.reason.find("K (stream) 32768") != std::string::npos);
    CHECK(r.reason.find("global buffer holds 1024") != std::string::npos);
  }
  SECTION("an op no array executes") {
    ArchSpec no_exp = ctx.arch("flat");
    no_exp.name = "FLAT-no-exp";
    no_exp.arrays[1].ops.erase("exp");
    no_exp.arrays[1].exp_algorithm = "none";
    const Cascade& c = ctx.cascade("softmax_3pass");
    const SearchResult r = search(c, bound_shape(c, {{"P", 1024}, {"M", 1024}}), no_exp, {});
    CHECK(!r.found);
    CHECK(r.reason ==
          "SN needs exp, which no array of FLAT-no-exp executes: pe2d lacks exp (its ops: add, mac); "
          "pe1d lacks exp (its ops: add, divide, mac, max)");
  }
}

TEST_CASE("the Pareto front is non-dominated and sorted", "[search]") {
  paper::Context& ctx = context();
  const Cascade& c = ctx.cascade("softmax_3pass");
  SearchOptions o;
  o.objective = Objective::pareto;
  o.enumerate_residency = true;
  const SearchResult r = search(c, bound_shape(c, {{"P", 1024}, {"M", 1024}}), ctx.arch("flat"), o);
  REQUIRE(r.found);
  REQUIRE(r.pareto.size() >= 2);
  for (std::size_t i = 1; i < r.pareto.size(); ++i) {
    CHECK(r.pareto[i].latency_cycles > r.pareto[i - 1].latency_cycles);
    CHECK(r.pareto[i].energy_pj < r.pareto[i - 1].energy_pj);
  }
  // The fastest point of the front is the latency optimum.
  o.objective = Objective::latency;
  const SearchResult fastest = search(c, bound_shape(c, {{"P", 1024}, {"M", 1024}}), ctx.arch("flat"), o);
  CHECK(r.pareto.front().latency_cycles == fastest.report.latency_cycles);
  o.objective = Objective::energy;
  const SearchResult frugal = search(c, bound_shape(c, {{"P", 1024}, {"M", 1024}}), ctx.arch("flat"), o);
  CHECK(r.pareto.back().energy_pj == Approx(frugal.report.energy.total_pj).epsilon(1e-12));
}
