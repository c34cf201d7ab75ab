#include "einfuse/einsum/data_dir.hpp"

#include <algorithm>
#include <cctype>

#include "einfuse/einsum/diagnostics.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#ifndef EINFUSE_SOURCE_DIR
#define EINFUSE_SOURCE_DIR "."
#endif

namespace einfuse::einsum {

namespace fs = std::filesystem;

namespace {

std::string normalise_name(std::string_view name) {
  std::string out;
  for (char ch : name) out += ch == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

bool is_yaml_file(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

}  // namespace

std::string resolve_named_yaml(const std::string& name_or_path, const std::string& dir,
                               const std::string& option, const std::string& what) {
  const fs::path given(name_or_path);
  if (name_or_path.find('/') != std::string::npos || is_yaml_file(given)) return name_or_path;
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && is_yaml_file(it->path())) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  const std::string wanted = normalise_name(name_or_path);
  std::string known;
  for (const fs::path& f : files) {
    if (normalise_name(f.stem().string()) == wanted) return f.string();
    known += (known.empty() ? "" : ", ") + f.stem().string();
  }
  SourceText src{option, name_or_path};
  throw CascadeError(&src, SourceLoc{1, 1, static_cast<std::uint32_t>(std::max<std::size_t>(name_or_path.size(), 1))},
                     "no " + what + " '" + name_or_path + "' in " + dir,
                     known.empty() ? "a path to a " + what + " .yaml file (the folder has none)"
                                   : "one of: " + known + "; or a path to a .yaml file");
}

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
