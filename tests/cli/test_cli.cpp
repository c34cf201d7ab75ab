// The einfuse binary tested as a user runs it: exit codes, output formats, files written.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "einfuse/einsum/npy.hpp"
#include "run_command.hpp"

namespace {

namespace fs = std::filesystem;

using Result = einfuse::test::CommandResult;

Result run(const std::string& args) { return einfuse::test::run_command(std::string(EINFUSE_CLI) + " " + args); }

std::string workload(const std::string& name) {
  return std::string(EINFUSE_SOURCE_DIR) + "/workloads/attention/" + name;
}

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("einfuse_cli_test_" + name);
  fs::remove_all(p);
  return p;
}

}  // namespace

TEST_CASE("einfuse --help teaches every subcommand", "[cli]") {
  const Result r = run("--help");
  CHECK(r.code == 0);
  for (const char* word : {"check", "run", "summary", "Examples"}) CHECK(r.out.find(word) != std::string::npos);
  const Result sub = run("run --help");
  CHECK(sub.code == 0);
  CHECK(sub.out.find("--precision") != std::string::npos);
  CHECK(sub.out.find("--compare") != std::string::npos);
}

TEST_CASE("einfuse without a subcommand or with a bad flag exits with 2", "[cli]") {
  CHECK(run("").code == 2);
  CHECK(run("check --no-such-flag x.ein").code == 2);
  // --seed must be a 64-bit unsigned integer: no silent wrap of -1 or saturation past 2^64.
  for (const char* seed : {"-1", "18446744073709551616", "12abc"}) {
    INFO(seed);
    const Result r = run("run " + std::string(EINFUSE_SOURCE_DIR) + "/workloads/attention/softmax_3pass.ein --shape P=2,M=2 --seed " + seed);
    CHECK(r.code == 2);
    CHECK(r.out.find("--seed") != std::string::npos);
  }
  CHECK(run("run " + std::string(EINFUSE_SOURCE_DIR) + "/workloads/attention/softmax_3pass.ein --shape P=2,M=2 --seed 18446744073709551615").code == 0);
}

TEST_CASE("einfuse check --json reports passes, ops and einsums", "[cli]") {
  const Result r = run("check " + workload("softmax_3pass.ein") + " --shape P=1K,M=1K --json");
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j.at("passes").at("M") == 3);
  // QK is P*M*E macs, AV P*M*F macs (E = F = 64 by default in the cascade).
  CHECK(j.at("ops").at("mac").get<std::uint64_t>() == 2ull * 1024 * 1024 * 64);
  CHECK(j.at("einsums").size() == 6);
  const Result one = run("check " + workload("softmax_1pass.ein") + " --shape P=1K,M=1K --json");
  REQUIRE(one.code == 0);
  CHECK(nlohmann::json::parse(one.out).at("passes").at("M") == 1);
}

TEST_CASE("einfuse check takes shapes from a model file", "[cli]") {
  const Result r = run("check " + workload("causal_1pass.ein") + " --model BERT --seq 1M --json");
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  // Causal QK at N = 2^20: N(N+1)/2 visible pairs, E = 64 macs each, batch 64 x 12 heads.
  const std::uint64_t n = 1ull << 20;
  const auto& qk = j.at("einsums").at(0);
  CHECK(qk.at("output") == "QK");
  CHECK(qk.at("ops").at("mac").get<std::uint64_t>() == n * (n + 1) / 2 * 64 * 64 * 12);
}

TEST_CASE("einfuse check reports a malformed cascade with its location and exit code 2", "[cli]") {
  const fs::path dir = temp_dir("bad");
  fs::create_directories(dir);
  const fs::path file = dir / "bad.ein";
  std::ofstream(file) << "rank E, P, M\ninput Q[e,p] : fp32\ninput K[e,m] : fp32\noutput S[m,p] : fp32\n"
                         "S[m,p] = Q[e,p] * KK[e,m]\n";
  const Result r = run("check " + file.string() + " --shape E=4,P=4,M=4");
  CHECK(r.code == 2);
  CHECK(r.out.find("bad.ein:5:19: error: undefined tensor 'KK'") != std::string::npos);
  CHECK(r.out.find("^~") != std::string::npos);
  const Result missing = run("check " + file.string() + "-nope");
  CHECK(missing.code == 2);
  CHECK(missing.out.find("cannot open") != std::string::npos);
  const Result shape = run("check " + workload("softmax_1pass.ein") + " --shape P=1K,M=1000");
  CHECK(shape.code == 2);
  CHECK(shape.out.find("not divisible") != std::string::npos);
}

TEST_CASE("einfuse run compares with the direct reference and writes .npy outputs", "[cli]") {
  const fs::path out = temp_dir("run");
  const Result r = run("run " + workload("softmax_1pass.ein") +
                       " --shape P=256,M=512 --compare softmax-attention --out " + out.string());
  REQUIRE(r.code == 0);
  CHECK(fs::exists(out / "AV.npy"));
  // fp64 against fp64: the message carries the error, which must be tiny.
  const auto pos = r.out.find("max relative error ");
  REQUIRE(pos != std::string::npos);
  CHECK(std::stod(r.out.substr(pos + 19)) < 1e-12);
  // The run is deterministic: the same seed gives the same file.
  const fs::path again = temp_dir("run_again");
  REQUIRE(run("run " + workload("softmax_1pass.ein") + " --shape P=256,M=512 --out " + again.string()).code == 0);
  std::ifstream a(out / "AV.npy", std::ios::binary), b(again / "AV.npy", std::ios::binary);
  const std::string sa((std::istreambuf_iterator<char>(a)), {}), sb((std::istreambuf_iterator<char>(b)), {});
  CHECK(sa == sb);
}

TEST_CASE("einfuse run reads inputs back from .npy files", "[cli]") {
  const fs::path dir = temp_dir("inputs");
  fs::create_directories(dir);
  // A tiny cascade whose output is its input doubled: the written output must be 2x.
  std::ofstream(dir / "twice.ein") << "rank N\ninput X[n] : fp64\noutput Y[n] : fp64\nY[n] = 2 * X[n]\n";
  const fs::path first = dir / "first";
  REQUIRE(run("run " + (dir / "twice.ein").string() + " --shape N=5 --out " + first.string()).code == 0);
  // Feed Y back in as X.
  fs::create_directories(dir / "in");
  fs::copy_file(first / "Y.npy", dir / "in" / "X.npy");
  const fs::path second = dir / "second";
  const Result r = run("run " + (dir / "twice.ein").string() + " --shape N=5 --inputs " + (dir / "in").string() +
                       " --out " + second.string());
  REQUIRE(r.code == 0);
  const auto x = einfuse::einsum::read_npy((dir / "in" / "X.npy").string());
  const auto y = einfuse::einsum::read_npy((second / "Y.npy").string());
  REQUIRE(y.data.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) CHECK(y.data[i] == 2 * x.data[i]);
  const Result bad = run("run " + (dir / "twice.ein").string() + " --shape N=6 --inputs " + (dir / "in").string());
  CHECK(bad.code == 2);
  const Result none = run("run " + (dir / "twice.ein").string() + " --shape N=5 --inputs " + dir.string());
  CHECK(none.code == 2);
  CHECK(none.out.find("X.npy") != std::string::npos);
}

TEST_CASE("einfuse summary rejects a --run-shape name no cascade declares", "[cli]") {
  const Result r = run("summary --run-shape Q=256,M=256");
  CHECK(r.code == 2);
  CHECK(r.out.find("--run-shape:1:1: error: 'Q' is not a rank or parameter") != std::string::npos);
}
