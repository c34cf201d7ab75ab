// einfuse rtl test as a user runs it: a build tree whose Verilator test program was never
// built must not report success (ctest would run only the lint tests, which carry the label).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "run_command.hpp"
#include "temp_file.hpp"

TEST_CASE("einfuse rtl test refuses a build tree without the Verilator test program", "[cli]") {
  const einfuse::test::TempFile tree("", "CMakeCache.txt");  // a configured tree, nothing built
  const auto r = einfuse::test::run_einfuse("rtl test --build-dir " + tree.dir());
  INFO(r.out);
  CHECK(r.code == 3);
  CHECK(r.out.find("not built") != std::string::npos);
  CHECK(r.out.find("--target rtl_tests") != std::string::npos);
}
