// `einfuse gpu` as a user runs it: bad input is exit 2; without CUDA support or a device it
// prints one line saying so and exits 3. (With a device, tests/gpu checks the kernels.)

#include <catch2/catch.hpp>
#include <string>

#include "run_command.hpp"

namespace {

using GpuCliResult = einfuse::test::CommandResult;

GpuCliResult run_gpu_cli(const std::string& args) {
  return einfuse::test::run_command(std::string(EINFUSE_CLI) + " gpu " + args);
}

}  // namespace

TEST_CASE("einfuse gpu: no device or no CUDA build is exit 3 with one line", "[cli]") {
  const GpuCliResult r = run_gpu_cli("--algo flash --model bert --seq 512 --batch 1 --causal");
  if (r.code == 3) {
    CHECK(r.out.find("einfuse gpu: ") == 0);
    CHECK((r.out.find("CUDA support was not built") != std::string::npos ||
           r.out.find("no CUDA device") != std::string::npos));
    CHECK(r.out.find('\n') == r.out.size() - 1);  // one line
  } else {
    INFO(r.out);
    CHECK(r.code == 0);  // a device ran it
  }
}

TEST_CASE("einfuse gpu: bad input is exit 2 before any device is touched", "[cli]") {
  CHECK(run_gpu_cli("--model nope --seq 1K").code == 2);
  CHECK(run_gpu_cli("--algo bogus --model bert --seq 1K").code == 2);
  CHECK(run_gpu_cli("--model bert").code == 2);                      // --seq missing
  CHECK(run_gpu_cli("--model bert --seq 1K --precision fp16").code == 2);
  const GpuCliResult odd = run_gpu_cli("--model bert --seq 1K --kv-heads 5");  // 12 % 5 != 0
  CHECK(odd.code == 2);
}
