// einfuse sim as a user runs it: the paper's FuseMax design at BERT 1K (the whole layer, 64 x
// 12 heads) in timing mode, its JSON fields, and the input errors (exit 2).
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "run_command.hpp"
#include "temp_file.hpp"

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
                           "sim --paper-design fusemax --model BERT --seq 1K --mode data",  // the whole layer: too big for data mode
                           "sim --paper-design tpu --model BERT --seq 1K", "sim --paper-design fusemax",
                           "sim workloads/attention/softmax_1pass.ein"}) {
    const CommandResult r = cli(args);
    INFO(args << "\n" << r.out);
    CHECK(r.code == 2);
    CHECK(r.out.find("error") != std::string::npos);
  }
}

TEST_CASE("einfuse sim --mode data checks its outputs against the interpreter and writes them", "[cli]") {
  const einfuse::test::TempFile dir("");
  const std::string out = dir.dir() + "/out";
  const CommandResult r = cli("sim " + std::string(EINFUSE_SOURCE_DIR) +
                              "/workloads/attention/causal_1pass.ein --arch fusemax --search --shape P=320,M=512 "
                              "--mode data --check --out " + out + " --json");
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j.at("mode") == "data");
  CHECK(j.at("bit_identical_to_interpreter") == true);
  CHECK(std::filesystem::exists(std::filesystem::path(out) / "AV.npy"));
  // Timing-only flags and data-only flags do not mix.
  CHECK(cli("sim --paper-design fusemax --model BERT --seq 1K --check").code == 2);
}

TEST_CASE("einfuse sim writes a trace, models HBM2 and the arch's channels, and reports a deadlock with exit 1", "[cli]") {
  const einfuse::test::TempFile dir("");
  const std::string trace = dir.dir() + "/t.json";
  const CommandResult r = cli("sim --paper-design flat --model BERT --seq 1K --dram hbm2 --channels arch --timing structural "
                              "--trace " + trace + " --json");
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j.at("dram") == "hbm2");
  CHECK(j.at("run").at("dram_counters").at("read_bursts").get<std::uint64_t>() > 0);
  const auto t = nlohmann::json::parse(einfuse::test::read_file(trace));
  CHECK(t.at("traceEvents").size() > j.at("commands").get<std::size_t>());

  const CommandResult dead = cli("sim --paper-design fusemax --model BERT --seq 1K --channels arch --buffer-bytes 100000");
  INFO(dead.out);
  CHECK(dead.code == 1);
  CHECK(dead.out.find("deadlock") != std::string::npos);
  CHECK(dead.out.find("free bytes of the global buffer") != std::string::npos);
}
