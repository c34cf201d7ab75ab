// einfuse rtl: the RTL side of the project (docs/rtl.md, docs/rtl-arrays.md).
//   rtl test   runs the rtl ctest tests (label rtl) of the build tree einfuse was built in
//   rtl bench  runs the RTL array benchmark (bench_rtl_array) of that build tree
//   rtl synth  runs the synthesis flow rtl/synth/synth.sh (yosys + OpenSTA, OSU 0.18 um)
// Each runs an external program and passes its exit status on: 0 success, 1 a test or a
// synthesis failed, 2 bad input, 3 a needed tool or executable is missing (with what to do).
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "einfuse/einsum/data_dir.hpp"

extern char** environ;

namespace einfuse::cli {

void add_rtl_command(CLI::App& app, std::function<int()>& action);

namespace {

namespace fs = std::filesystem;

struct RtlOptions {
  std::string build_dir;  // test, bench: empty = the build tree of this executable
  // test
  std::string label = "rtl";
  std::string regex;
  int jobs = 0;
  // bench
  std::vector<std::string> bench_args;
  // synth
  std::string units = "all";
  std::string out;
  std::string arch = "fusemax";
  bool json = false;
  bool no_sta = false;
  bool list = false;
  bool quiet = false;
};

/// Runs argv[0] (looked up in PATH) with argv; returns its exit status, 127 when it could not
/// be started, 128 + n when killed by signal n.
int run_program(const std::vector<std::string>& args) {
  std::cout.flush();
  std::cerr.flush();
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return 127;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string p = path;
  std::size_t start = 0;
  while (start <= p.size()) {
    const std::size_t end = p.find(':', start);
    const std::string dir = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::error_code ec;
    if (!dir.empty() && fs::exists(fs::path(dir) / program, ec)) return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

/// The CMake build tree: --build-dir, else the first folder holding CMakeCache.txt at or up to
/// three levels above this executable (build/cli/einfuse -> build). Empty when none.
fs::path find_build_dir(const std::string& given) {
  if (!given.empty()) return fs::path(given);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  fs::path dir = exe.parent_path();
  for (int up = 0; up < 4 && !dir.empty(); ++up, dir = dir.parent_path()) {
    if (fs::exists(dir / "CMakeCache.txt", ec)) return dir;
    if (dir == dir.root_path()) break;
  }
  return {};
}

/// The source tree's root: the folder above workloads/ (found as `einfuse` finds its data).
fs::path source_root() { return fs::path(einsum::find_workloads_dir("arch")).parent_path().parent_path(); }

int exit_of_tool(int code) {
  if (code == 0) return kOk;
  if (code == 2) return kBadInput;
  if (code == 3) return kNoDevice;
  return kCheckFailed;
}

int run_test(const RtlOptions& o) {
  const fs::path build = find_build_dir(o.build_dir);
  if (build.empty() || !fs::exists(build / "CMakeCache.txt")) {
    std::cerr << "einfuse rtl test: no CMake build tree found"
              << (o.build_dir.empty() ? " around this executable" : " at " + o.build_dir) << ".\n"
              << "  Configure and build one with Verilator installed (scripts/setup.sh), then:\n"
              << "    cmake -S . -B build/rtl -G Ninja && cmake --build build/rtl\n"
              << "    einfuse rtl test --build-dir build/rtl   (or: ctest --test-dir build/rtl -L rtl)\n";
    return kNoDevice;
  }
  if (!on_path("ctest")) {
    std::cerr << "einfuse rtl test: ctest not found on PATH (Debian package cmake)\n";
    return kNoDevice;
  }
  // ctest runs what the tree registered, built or not: without the Verilator test program only
  // the lint tests carry the label, and they would pass. Never report success for tests that
  // were not built.
  std::error_code ec;
  if (o.label == "rtl" && !fs::exists(build / "tests" / "rtl_tests", ec)) {
    std::cerr << "einfuse rtl test: the Verilator test program is not built in " << build.string() << "\n"
              << "  (tests/rtl_tests is missing: the tree was built for some targets only, or configured without\n"
              << "  Verilator). Build it, then run again:\n"
              << "    cmake --build " << build.string() << " --target rtl_tests\n";
    return kNoDevice;
  }
  std::vector<std::string> args = {"ctest", "--test-dir", build.string(), "-L", o.label,
                                   "--output-on-failure", "--no-tests=error"};
  if (!o.regex.empty()) args.insert(args.end(), {"-R", o.regex});
  if (o.jobs > 0) args.insert(args.end(), {"-j", std::to_string(o.jobs)});
  std::cout << fmt::format("einfuse rtl test: ctest --test-dir {} -L {}{}{}\n", build.string(), o.label,
                           o.regex.empty() ? "" : " -R " + o.regex,
                           o.jobs > 0 ? " -j " + std::to_string(o.jobs) : "");
  const int code = run_program(args);
  if (code != 0) {
    std::cerr << fmt::format(
        "einfuse rtl test: ctest exited with {}. With no rtl tests at all, the tree was configured without\n"
        "  Verilator (`einfuse: Verilator not found` at configure time): install it (scripts/setup.sh),\n"
        "  re-run cmake and build. The synthesis check (label synth) needs yosys, opensta, qflow-tech-osu018.\n",
        code);
  }
  return code == 127 ? kNoDevice : (code == 0 ? kOk : kCheckFailed);
}

int run_bench(const RtlOptions& o) {
  const fs::path build = find_build_dir(o.build_dir);
  const fs::path exe = build.empty() ? fs::path() : build / "bench" / "bench_rtl_array";
  std::error_code ec;
  if (exe.empty() || !fs::exists(exe, ec)) {
    std::cerr << "einfuse rtl bench: bench_rtl_array is not built"
              << (exe.empty() ? " (no build tree found)" : " (" + exe.string() + " missing)") << ".\n"
              << "  It needs Verilator (scripts/setup.sh) and -DEINFUSE_BUILD_BENCH=ON (the default):\n"
              << "    cmake -S . -B build/rtl -G Ninja -DCMAKE_BUILD_TYPE=Release\n"
              << "    cmake --build build/rtl --target bench_rtl_array\n"
              << "    einfuse rtl bench --build-dir build/rtl\n";
    return kNoDevice;
  }
  std::vector<std::string> args = {exe.string()};
  args.insert(args.end(), o.bench_args.begin(), o.bench_args.end());
  const int code = run_program(args);
  return code == 127 ? kNoDevice : (code == 0 ? kOk : kCheckFailed);
}

int run_synth(const RtlOptions& o) {
  const fs::path script = source_root() / "rtl" / "synth" / "synth.sh";
  std::error_code ec;
  if (!fs::exists(script, ec)) {
    std::cerr << "einfuse rtl synth: " << script.string()
              << " not found; run einfuse from a source or build tree (or set EINFUSE_DATA_DIR to the source tree)\n";
    return kNoDevice;
  }
  std::vector<std::string> args = {"bash", script.string(), "--units", o.units};
  if (!o.out.empty()) args.insert(args.end(), {"--out", o.out});
  if (o.json) args.emplace_back("--json");
  if (o.no_sta) args.emplace_back("--no-sta");
  if (o.list) args.emplace_back("--list");
  if (o.quiet) args.emplace_back("-q");
  const std::string spec =
      einsum::resolve_named_yaml(o.arch, einsum::find_workloads_dir("arch"), "--arch", "arch spec");
  args.insert(args.end(), {"--spec", spec});
  const int code = run_program(args);
  if (code == 127) {
    std::cerr << "einfuse rtl synth: could not start bash\n";
    return kNoDevice;
  }
  return exit_of_tool(code);
}

}  // namespace

void add_rtl_command(CLI::App& app, std::function<int()>& action) {
  auto options = std::make_shared<RtlOptions>();
  CLI::App* rtl = app.add_subcommand(
      "rtl",
      "The RTL units and arrays (docs/rtl.md): run their tests, their benchmark, or synthesize them.\n\n"
      "Examples:\n"
      "  einfuse rtl test                       # ctest -L rtl in the build tree of this einfuse\n"
      "  einfuse rtl bench -- --n 16            # bench_rtl_array with its own arguments\n"
      "  einfuse rtl synth                      # every unit and array: area, NAND2-eq, critical path\n"
      "  einfuse rtl synth --units fp32_max,bf16_mac --json --out /tmp/synth");
  rtl->require_subcommand(1);

  CLI::App* test = rtl->add_subcommand(
      "test", "Run the rtl ctest tests (Verilator models vs the C++ models, lint, synthesis check).");
  test->add_option("--build-dir", options->build_dir,
                   "CMake build tree (default: the one this einfuse was built in)");
  test->add_option("-L,--label", options->label, "ctest label: rtl (default), synth")->capture_default_str();
  test->add_option("-R,--regex", options->regex, "only the tests whose names match this regex");
  test->add_option("-j,--jobs", options->jobs, "parallel ctest jobs");
  test->callback([options, &action] { action = [options] { return run_test(*options); }; });

  CLI::App* bench = rtl->add_subcommand(
      "bench", "Run the RTL array benchmark bench_rtl_array; arguments after -- go to it.");
  bench->add_option("--build-dir", options->build_dir,
                    "CMake build tree (default: the one this einfuse was built in)");
  bench->add_option("ARGS", options->bench_args, "arguments for bench_rtl_array (after --)");
  bench->callback([options, &action] { action = [options] { return run_bench(*options); }; });

  CLI::App* synth = rtl->add_subcommand(
      "synth",
      "Synthesize the units and arrays with yosys (synth -noshare, hierarchy kept) for the OSU\n"
      "0.18 um cells (qflow-tech-osu018); OpenSTA gives the critical path. Prints per design the\n"
      "area (um^2), NAND2 equivalents and critical path (ns), and the area ratios to the bf16 MAC\n"
      "next to the arch spec's area table. Runs rtl/synth/synth.sh; exit 3 when yosys is missing.");
  synth->add_option("--units", options->units,
                    "designs, comma-separated (see --list), or all, units, arrays")
      ->capture_default_str();
  synth->add_option("--out", options->out,
                    "folder for each design's scripts, logs, netlist and reports, synth.txt, synth.json "
                    "(default $TMPDIR/einfuse-synth)");
  synth->add_option("--arch", options->arch, "arch spec whose area_um2 table the ratios compare with")
      ->capture_default_str();
  synth->add_flag("--json", options->json, "print the JSON report instead of the table");
  synth->add_flag("--no-sta", options->no_sta, "skip OpenSTA (no critical path)");
  synth->add_flag("--list", options->list, "list the designs and exit");
  synth->add_flag("-q,--quiet", options->quiet, "no progress lines on stderr");
  synth->callback([options, &action] { action = [options] { return run_synth(*options); }; });
}

}  // namespace einfuse::cli
