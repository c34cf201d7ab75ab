// einfuse sim as a user runs it: the paper's FuseMax design at BERT 1K (the whole layer, 64 x
// 12 heads) in timing mode, its JSON fields, and the input errors (exit 2).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "run_command.hpp"

namespace {

using einfuse::test::CommandResult;
CommandResult cli(const std::string& args) { return einfuse::test::run_einfuse(args); }

}  // namespace

TEST_CASE("einfuse sim runs the paper's FuseMax layer and reports beside the closed form", "[cli]") {
  const CommandResult r = cli("sim --paper-design fusemax --model BERT --seq 1K --json");
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j.at("mode") == "timing");
  CHECK(j.at("model") == "BERT");
  CHECK(j.at("cost_model_cycles").get<std::uint64_t>() == 1892352);  // fusemax.md's worked example
  // The list-scheduled stream adds the pipeline's fill and drain; the sim reproduces it.
  const auto cycles = j.at("cycles").get<std::uint64_t>();
  CHECK(cycles >= 1892352);
  CHECK(cycles < 1892352 + 1892352 / 100);
  CHECK(j.at("dram_bytes").get<std::uint64_t>() == 402653184);
  CHECK(j.at("macs").get<std::uint64_t>() > 0);
  REQUIRE(j.at("arrays").size() == 2);
  for (const auto& a : j.at("arrays")) {
    std::uint64_t total = a.at("busy").get<std::uint64_t>();
    for (const auto& [cause, n] : a.at("stalls").items()) total += n.get<std::uint64_t>();
    CHECK(total == cycles);
  }
  CHECK(j.at("energy_pj").get<double>() > 0);

  const CommandResult text = cli("sim --paper-design fusemax --model BERT --seq 1K --timing structural");
  INFO(text.out);
  REQUIRE(text.code == 0);
  CHECK(text.out.find("closed form        1892352") != std::string::npos);
  CHECK(text.out.find("producer") != std::string::npos);
}

TEST_CASE("einfuse sim refuses bad options with exit 2", "[cli]") {
  for (const char* args : {"sim --paper-design fusemax --model BERT --seq 1K --dram hbm9",
                           "sim --paper-design fusemax --model BERT --seq 1K --timing exact",
                           "sim --paper-design fusemax --model BERT --seq 1K --mode data",
                           "sim --paper-design tpu --model BERT --seq 1K", "sim --paper-design fusemax",
                           "sim workloads/attention/softmax_1pass.ein"}) {
    const CommandResult r = cli(args);
    INFO(args << "\n" << r.out);
    CHECK(r.code == 2);
    CHECK(r.out.find("error") != std::string::npos);
  }
}
