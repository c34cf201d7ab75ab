#include "einfuse/einsum/data_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#ifndef EINFUSE_SOURCE_DIR
#define EINFUSE_SOURCE_DIR "."
#endif

namespace einfuse::einsum {

namespace fs = std::filesystem;

std::string find_workloads_dir(std::string_view subfolder) {
  const fs::path tail = fs::path("workloads") / std::string(subfolder);
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("EINFUSE_DATA_DIR"); env && *env) candidates.push_back(fs::path(env) / tail);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && !exe.empty()) {
    // A build tree puts the binary a few folders below the source root
    // (build/default/cli/einfuse); an install puts it in PREFIX/bin.
    // Four levels up covers both without wandering off into unrelated folders.
    fs::path dir = exe.parent_path();
    for (int level = 0; level < 4 && !dir.empty(); ++level) {
      candidates.push_back(dir / tail);
      candidates.push_back(dir / "share" / "einfuse" / tail);
      if (dir == dir.root_path()) break;
      dir = dir.parent_path();
    }
  }
  candidates.push_back(fs::path(EINFUSE_SOURCE_DIR) / tail);
  for (const fs::path& c : candidates) {
    if (fs::is_directory(c, ec)) return c.string();
  }
  return candidates.back().string();
}

}  // namespace einfuse::einsum
