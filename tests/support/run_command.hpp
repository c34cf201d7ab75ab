// Test helper: runs a shell command, returning its exit code and stdout+stderr together.
#pragma once

#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <string>

namespace einfuse::test {

struct CommandResult {
  int code = -1;
  std::string out;  ///< stdout and stderr together
};

inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe)) r.out += buf.data();
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

#ifdef EINFUSE_CLI
/// Runs the einfuse binary under test with `args`.
inline CommandResult run_einfuse(const std::string& args) { return run_command(std::string(EINFUSE_CLI) + " " + args); }
#endif

}  // namespace einfuse::test
