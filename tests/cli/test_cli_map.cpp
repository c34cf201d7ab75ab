// einfuse map run as a user runs it: the search finds the paper's FuseMax latency held to its
// dataflow, its mapping replays through `einfuse cost`, a multi-pass cascade reports its
// passes, and a cascade no array can run gets the reason (exit 1).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "run_command.hpp"
#include "temp_file.hpp"

namespace {

using einfuse::test::run_einfuse;

const std::string kWorkloads = std::string(EINFUSE_SOURCE_DIR) + "/workloads";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("einfuse map finds FuseMax's mapping and einfuse cost replays it", "[cli]") {
  const einfuse::test::TempFile tmp("", "unused");
  const std::string out = tmp.dir() + "/found.yaml";
  const std::string cascade = kWorkloads + "/attention/fusemax_paper.ein";
  const auto r = run_einfuse("map " + cascade +
                             " --arch fusemax --model BERT --seq 1K --keys-down-rows --published-model --json --out " + out);
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  // fusemax.md's worked example: 1,892,352 cycles, found without the paper's mapping.
  CHECK(j.at("latency_cycles").get<std::uint64_t>() == 1892352);
  CHECK(j.at("search").at("optimum_proven").get<bool>());
  const auto replay = run_einfuse("cost " + cascade + " --arch fusemax --mapping " + out +
                                  " --model BERT --seq 1K --published-model --json");
  INFO(replay.out);
  REQUIRE(replay.code == 0);
  CHECK(nlohmann::json::parse(replay.out).at("latency_cycles").get<std::uint64_t>() == 1892352);
}

TEST_CASE("einfuse map reports what a 3-pass cascade's passes cost", "[cli]") {
  const auto r = run_einfuse("map " + kWorkloads + "/attention/softmax_3pass.ein --arch flat --model BERT --seq 64K");
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "passes: M: 3 passes"));
  CHECK(contains(r.out, "QK [O(M)]"));
  CHECK(contains(r.out, "(optimum proven)"));
}

TEST_CASE("einfuse map says why a cascade cannot be mapped, and rejects bad options", "[cli]") {
  // FLAT without its exp unit: no array can compute SN = exp(QK - GM).
  std::string arch = einfuse::test::read_file(kWorkloads + "/arch/flat.yaml");
  arch = einfuse::test::replace(arch, "      exp: 1\n", "");
  arch = einfuse::test::replace(arch, "exp_algorithm: table", "exp_algorithm: none");
  const einfuse::test::TempFile no_exp(arch, "no_exp.yaml");
  const auto r = run_einfuse("map " + kWorkloads + "/attention/softmax_3pass.ein --arch " + no_exp.path() +
                             " --shape P=1K,M=1K");
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(contains(r.out, "cannot be mapped on FLAT"));
  CHECK(contains(r.out, "SN needs exp"));

  const auto bad = run_einfuse("map " + kWorkloads + "/attention/softmax_3pass.ein --arch flat --shape P=1K,M=1K "
                               "--objective speed");
  CHECK(bad.code == 2);
  CHECK(contains(bad.out, "--objective 'speed': expected latency, energy, edp or pareto"));
}

TEST_CASE("einfuse run --hardware follows the arch's exp algorithm through a mapping", "[cli]") {
  const einfuse::test::TempFile tmp("", "unused");
  const std::string mapping = tmp.dir() + "/fusemax.yaml";
  REQUIRE(run_einfuse("cost --paper-design fusemax --model BERT --seq 1K --write-mapping " + mapping).code == 0);
  const std::string run = "run " + kWorkloads + "/attention/fusemax_paper.ein --shape P=256,M=512 --hardware";
  const auto table = run_einfuse(run);
  const auto mac = run_einfuse(run + " --arch fusemax --mapping " + mapping);
  INFO(table.out << mac.out);
  REQUIRE(table.code == 0);
  REQUIRE(mac.code == 0);
  // The same cascade and inputs; SLN and PRM's exp on FuseMax's MAC sequence give other bits.
  const auto sum_line = [](const std::string& out) { return out.substr(out.find("AV [")); };
  CHECK(sum_line(table.out) != sum_line(mac.out));
  const auto half = run_einfuse(run + " --arch fusemax");
  CHECK(half.code == 2);
  CHECK(contains(half.out, "--arch and --mapping go together, with --hardware"));
}
