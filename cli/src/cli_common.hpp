// Pieces shared by the einfuse subcommands: loading a cascade with its shape, and the
// exit-code contract (0 success, 1 a check failed, 2 bad input, 3 no device).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/shape.hpp"

namespace einfuse::cli {

enum ExitCode : int { kOk = 0, kCheckFailed = 1, kBadInput = 2, kNoDevice = 3 };

/// Where the sizes come from: `--shape R=N,...`, or `--model NAME --seq N`, or both
/// (`--shape` wins over the model).
struct ShapeOptions {
  std::string shape;
  std::string model;
  std::string seq;
  void add_to(CLI::App& cmd);
};

/// A parsed cascade and its bound shape.
struct LoadedCascade {
  einsum::Cascade cascade;
  einsum::BoundShape shape;
};

/// Parses FILE and binds its shape. Throws einsum::CascadeError on any problem.
LoadedCascade load_cascade(const std::string& file, const ShapeOptions& options);

/// The built-in attention cascades: workloads/attention (see einsum/data_dir.hpp).
std::string attention_dir();

}  // namespace einfuse::cli
