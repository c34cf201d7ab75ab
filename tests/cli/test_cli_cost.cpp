// einfuse cost and einfuse compare run as a user runs them: a mapping written from the
// paper's design and replayed from its file, the mapping errors (exit 1), and the
// accelerator-vs-GPU comparison against a small synthetic CSV.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "run_command.hpp"
#include "temp_file.hpp"

namespace {

namespace fs = std::filesystem;
using einfuse::test::CommandResult;

CommandResult cli(const std::string& args) { return einfuse::test::run_einfuse(args); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::string kCascade = std::string(EINFUSE_SOURCE_DIR) + "/workloads/attention/fusemax_paper.ein";

// The paper's FuseMax mapping of BERT at 1K, written by `cost --paper-design`.
std::string write_fusemax_mapping(const std::string& dir) {
  const std::string file = dir + "/fusemax.yaml";
  const CommandResult r = cli("cost --paper-design fusemax --model BERT --seq 1K --write-mapping " + file);
  INFO(r.out);
  REQUIRE(r.code == 0);
  REQUIRE(fs::exists(file));
  return file;
}

std::string cost_args(const std::string& arch, const std::string& mapping) {
  return "cost " + kCascade + " --arch " + arch + " --mapping " + mapping + " --model BERT --seq 1K --shape TILE=256";
}

}  // namespace

TEST_CASE("einfuse cost replays the paper's FuseMax mapping from a file: the worked example", "[cli]") {
  const einfuse::test::TempFile tmp("", "unused");
  const std::string mapping = write_fusemax_mapping(tmp.dir());
  const CommandResult r = cli(cost_args("fusemax", mapping) + " --published-model --json");
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  // fusemax.md's worked example (FuseMax, MICRO 2024): 1,892,352 cycles, 402,653,184 bytes.
  CHECK(j.at("latency_cycles").get<std::uint64_t>() == 1892352);
  CHECK(j.at("dram_bytes").get<std::uint64_t>() == 402653184);
  CHECK(j.at("mode") == "published");
  CHECK(j.at("einsums").size() == 12);
  CHECK(j.at("arrays").size() == 2);
  CHECK(j.at("stages").size() == 4);
  double sum = 0;
  for (const auto& [action, pj] : j.at("energy_pj").at("by_action").items()) sum += pj.get<double>();
  CHECK(sum == Approx(j.at("energy_pj").at("total").get<double>()));

  // The table carries the same numbers for a person.
  const CommandResult text = cli(cost_args("fusemax", mapping) + " --published-model");
  REQUIRE(text.code == 0);
  CHECK(contains(text.out, "latency     1,892,352 cycles"));
  CHECK(contains(text.out, "DRAM bytes  402,653,184"));
  CHECK(contains(text.out, "utilisation"));
  // --paper-design costs the same mapping without the file.
  const CommandResult direct = cli("cost --paper-design fusemax --model BERT --seq 1K --published-model --json");
  REQUIRE(direct.code == 0);
  CHECK(nlohmann::json::parse(direct.out).at("latency_cycles") == j.at("latency_cycles"));
}

TEST_CASE("einfuse cost reports a malformed mapping with file:line:col and exit 1", "[cli]") {
  const einfuse::test::TempFile tmp("", "unused");
  const std::string good = einfuse::test::read_file(write_fusemax_mapping(tmp.dir()));
  const einfuse::test::TempFile bad(einfuse::test::replace(good, "{B: 64}", "{B: 6x4}"), "bad.yaml");
  const CommandResult r = cli(cost_args("fusemax", bad.path()));
  CHECK(r.code == 1);
  CHECK(contains(r.out, "bad.yaml:19:9: error: 'B' must be an integer, not '6x4'"));
  CHECK(contains(r.out, "^~~"));
}

TEST_CASE("einfuse cost lists every reason a mapping does not fit, exit 1", "[cli]") {
  const einfuse::test::TempFile tmp("", "unused");
  const std::string good = einfuse::test::read_file(write_fusemax_mapping(tmp.dir()));
  // An arch like FuseMax with a 64 KiB buffer: the tiles (432,128 bytes) no longer fit; and
  // an H loop of 5, which does not divide 12 heads.
  const std::string arch = einfuse::test::read_file(std::string(EINFUSE_SOURCE_DIR) + "/workloads/arch/fusemax.yaml");
  const einfuse::test::TempFile tiny(einfuse::test::replace(arch, "capacity_bytes: 16777216", "capacity_bytes: 65536"),
                                     "tiny.yaml");
  const einfuse::test::TempFile bad(einfuse::test::replace(good, "{H: 12}", "{H: 5}"), "bad.yaml");
  const CommandResult r = cli(cost_args(tiny.path(), bad.path()));
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK(contains(r.out, "does not fit"));
  CHECK(contains(r.out, "tensors: the buffer-resident tiles need 432128 bytes; the global buffer holds 65536"));
  CHECK(contains(r.out, "rank H: loop and spatial factors multiply to 5"));
  // The same mapping fits the real arch once H is right again.
  CHECK(cli(cost_args("fusemax", write_fusemax_mapping(tmp.dir()))).code == 0);
}

TEST_CASE("einfuse cost needs a complete set of inputs", "[cli]") {
  CHECK(cli("cost " + kCascade + " --arch fusemax --model BERT --seq 1K").code == 2);
  CHECK(cli("cost --paper-design fused --model BERT --seq 1K").code == 2);
  CHECK(cli("cost --paper-design fusemax --model BERT").code == 2);
  // A malformed cascade or arch is bad input like in every other command (exit 2).
  CHECK(cli("cost " + kCascade + " --arch nosuch --mapping x.yaml --model BERT --seq 1K").code == 2);
}

TEST_CASE("einfuse compare puts the modelled accelerator beside a measured GPU row", "[cli]") {
  const CommandResult none = cli("compare --model BERT --seq 1K");
  INFO(none.out);
  REQUIRE(none.code == 0);
  CHECK(contains(none.out, "accelerator fusemax on FuseMax (cost model)"));
  CHECK(contains(none.out, "2.013 ms"));  // 1,892,352 cycles at 940 MHz
  CHECK(contains(none.out,
                 "no measured GPU time for BERT at 1K (run gpu_ref/device_check.sh on a GPU machine)"));
  // 4*B*H*P*M*d FLOPs with B = 64, H = 12, P = M = 1024, d = 64.
  CHECK(contains(none.out, "FLOPs 2.062e+11"));

  // A CSV as `einfuse gpu --time --csv` writes it: BERT 1K at batch 16 (device_check.sh
  // times batch*seq = 16K), flash 1 ms and naive 4 ms; a causal row and a 4K row that
  // must not match.
  const std::string header =
      "algo,kernel,precision,model,batch,heads,kv_heads,head_dim,seq_q,seq_k,causal,window,flops,kv_bytes,median_s,"
      "min_s,max_s,runs,tflops,gbps,check,kernel_error,naive_error\n";
  const einfuse::test::TempFile csv(
      header +
          "flash,flash bf16 wmma,bf16,BERT,16,12,12,64,1024,1024,0,0,51539607552,50331648,1.000000e-03,9e-04,1.1e-03,20,51.54,50.3,,,\n"
          "naive,naive bf16,bf16,BERT,16,12,12,64,1024,1024,0,0,51539607552,50331648,4.000000e-03,3.9e-03,4.1e-03,20,12.88,12.6,,,\n"
          "flash,flash bf16 wmma,bf16,BERT,16,12,12,64,1024,1024,1,0,25769803776,50331648,1.000000e-06,5e-07,7e-07,20,1,1,,,\n"
          "flash,flash bf16 wmma,bf16,BERT,4,12,12,64,4096,4096,0,0,206158430208,50331648,1.000000e-06,5e-07,7e-07,20,1,1,,,\n",
      "gpu_times.csv");
  const CommandResult r = cli("compare --model BERT --seq 1K --gpu-csv " + csv.path());
  INFO(r.out);
  REQUIRE(r.code == 0);
  // Batch 64 is 4x the measured FLOPs: 1 ms -> 4 ms, 4 ms -> 16 ms.
  CHECK(contains(r.out, "GPU flash bf16 wmma (measured, batch 16, scaled)"));
  CHECK(contains(r.out, "4 ms"));
  CHECK(contains(r.out, "16 ms"));
  CHECK(contains(r.out, "fusemax is 1.99x faster than the fastest GPU kernel (flash bf16 wmma)"));
  CHECK_FALSE(contains(r.out, "no measured GPU time"));

  const CommandResult other = cli("compare --model BERT --seq 16K --gpu-csv " + csv.path());
  REQUIRE(other.code == 0);
  CHECK(contains(other.out, "no measured GPU time for BERT at 16K"));

  const einfuse::test::TempFile broken(header + "flash,flash bf16 wmma,bf16,BERT,16\n", "broken.csv");
  const CommandResult b = cli("compare --model BERT --seq 1K --gpu-csv " + broken.path());
  CHECK(b.code == 2);
  CHECK(contains(b.out, "broken.csv:2: 5 fields, the header has 23"));
}
