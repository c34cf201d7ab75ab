// The interpreter's hardware mode follows the arch spec: an Einsum bound to a `mac_sequence`
// array computes exp with the MAC sequence, one on a `table` array with the exp unit.
#include <catch2/catch.hpp>

#include "einfuse/mapper/hardware_numerics.hpp"
#include "einfuse/mapper/paper.hpp"
#include "paper_fixture.hpp"

using namespace einfuse::mapper;

TEST_CASE("hardware run options follow each binding's exp algorithm", "[mapper]") {
  auto& ctx = einfuse::test::paper_context();
  const auto& bert = einfuse::test::paper_model("BERT");
  // FuseMax: SLN on the 2D array and PRM on the 1D array, both exp as 6 mac + 1 add.
  const auto fusemax = paper::attention_design(ctx, paper::Design::fusemax, bert, 1024, false);
  const auto f = hardware_run_options(fusemax.arch, fusemax.mapping);
  CHECK(f.numerics == einfuse::einsum::Numerics::hardware);
  CHECK(f.exp_algorithm_by_einsum.at("SLN") == einfuse::einsum::ExpAlgorithm::mac_sequence);
  CHECK(f.exp_algorithm_by_einsum.at("PRM") == einfuse::einsum::ExpAlgorithm::mac_sequence);
  // +Cascade on FLAT's hardware: the 1D array's exp unit.
  const auto cascade = paper::attention_design(ctx, paper::Design::cascade, bert, 1024, false);
  const auto c = hardware_run_options(cascade.arch, cascade.mapping);
  CHECK(c.exp_algorithm_by_einsum.at("SLN") == einfuse::einsum::ExpAlgorithm::table);
  Mapping bad = fusemax.mapping;
  bad.bindings[0].array = "pe3d";
  CHECK_THROWS_WITH(hardware_run_options(fusemax.arch, bad), Catch::Contains("'pe3d' is not an array of FuseMax"));
}
