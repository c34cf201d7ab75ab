#include "tensor_files.hpp"

#include <charconv>
#include <filesystem>

#include "einfuse/einsum/npy.hpp"
#include "einfuse/einsum/safe_write.hpp"

namespace einfuse::cli {
namespace {

namespace fs = std::filesystem;

bool holds_only_npy(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) return false;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.is_symlink() || entry.path().extension() != ".npy") return false;
  }
  return !ec;
}

}  // namespace

einsum::TensorMap load_inputs(const einsum::Cascade& c, const einsum::BoundShape& shape, const std::string& dir,
                              std::uint64_t seed, const einsum::RunOptions& options) {
  if (dir.empty()) return einsum::random_inputs(c, shape, seed, options);
  einsum::TensorMap inputs;
  for (einsum::TensorId t : c.inputs()) {
    const std::string& name = c.tensors[static_cast<std::size_t>(t)].name;
    const fs::path path = fs::path(dir) / (name + ".npy");
    if (!fs::exists(path)) {
      einsum::SourceText src{"--inputs", dir};
      throw einsum::CascadeError(&src, {}, "input '" + name + "' has no file " + path.string(),
                                 "one NAME.npy per input tensor in " + dir);
    }
    inputs.emplace(name, einsum::read_npy(path.string()));
  }
  return inputs;
}

void write_outputs(const einsum::Cascade& c, const einsum::TensorMap& outputs, const std::string& dir) {
  einsum::OutputFolder folder(dir);
  for (einsum::TensorId t : c.outputs()) {
    const std::string& name = c.tensors[static_cast<std::size_t>(t)].name;
    einsum::write_npy(folder.file(name + ".npy"), outputs.at(name));
  }
  folder.commit(holds_only_npy(dir) ? einsum::OutputFolder::Existing::replace : einsum::OutputFolder::Existing::refuse);
}

void add_seed_option(CLI::App& cmd, std::uint64_t& seed) {
  cmd.add_option("--seed", seed, "seed of the random inputs (default 1)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            std::uint64_t v = 0;
            const char* end = text.data() + text.size();
            const auto [p, ec] = std::from_chars(text.data(), end, v);
            if (text.empty() || ec != std::errc{} || p != end) return "expected an integer in [0, 2^64), got '" + text + "'";
            return {};
          },
          "UINT64"));
}

}  // namespace einfuse::cli
