// Tensors in and out of the commands that execute a cascade (run, sim --mode data): inputs
// from a seed or a folder of NAME.npy, outputs to a folder of NAME.npy written whole.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "cli_common.hpp"
#include "einfuse/einsum/interpreter.hpp"

namespace einfuse::cli {

/// The inputs: NAME.npy for every input in `dir`, or (dir empty) the seeded N(0,1) inputs of
/// einsum::random_inputs. Throws einsum::CascadeError naming a missing file.
einsum::TensorMap load_inputs(const einsum::Cascade& c, const einsum::BoundShape& shape, const std::string& dir,
                              std::uint64_t seed, const einsum::RunOptions& options);

/// Writes every output of the cascade as NAME.npy into `dir`, one folder complete or absent.
/// An existing folder is replaced only when it holds nothing but .npy files (an earlier
/// run's outputs); any other non-empty folder is refused.
void write_outputs(const einsum::Cascade& c, const einsum::TensorMap& outputs, const std::string& dir);

/// `--seed N`: plain digits only (CLI11 would wrap "-1" and saturate beyond 2^64 silently).
void add_seed_option(CLI::App& cmd, std::uint64_t& seed);

}  // namespace einfuse::cli
