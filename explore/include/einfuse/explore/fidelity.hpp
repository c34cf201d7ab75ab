// The fidelity study (issue #10 §5; docs/explore.md and docs/sim-fidelity.md): how far the
// published closed form is from the SystemC level when the simulator models one more effect
// at a time, and why.
//
//   ladder       FuseMax (+Binding), +Architecture and FLAT on the paper's 256x256 hardware,
//                each (model, length) under four settings, each adding one effect to the
//                last: the cost model's op timing with an ideal DRAM and unbounded channels
//                (the list-scheduled stream: only pipeline fill/drain differs from the closed
//                form), + structural op timing, + the arch's channels (buffer ports and banks,
//                prefetch depth and space, handoff buffers), + HBM2; and two siblings with the
//                spatial reductions pipelined instead of occupying the array.
//   masking      causal_1pass.ein on FuseMax's paper mapping: every tile's cost from the real
//                mask (all-masked tiles skipped) vs the Schedule's uniform spreading, beside
//                the unmasked softmax_1pass.ein on the same mapping, at every rung.
//   sensitivity  FuseMax (and FLAT) under other buffer banks/ports, prefetch depth, handoff
//                depth and buffer capacity (one knob at a time from the arch spec, at the top
//                rung); a run that deadlocks is a result (status "deadlock").
//
// The work is a list of items (one per row) in a fixed order, so `--shard i/n` runs items i,
// i+n, ... and `einfuse merge` puts shards back together; rows are kept sorted
// (fidelity_rows.hpp), so a merge equals an unsharded run byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "einfuse/explore/fidelity_rows.hpp"
#include "einfuse/mapper/paper.hpp"

namespace einfuse::explore::fidelity {

struct Config {
  std::vector<mapper::paper::Design> designs = {mapper::paper::Design::fusemax, mapper::paper::Design::arch,
                                                mapper::paper::Design::flat};
  std::vector<std::string> models = {"BERT", "XLM"};
  std::vector<std::int64_t> seq_lens = {1 << 10, 1 << 12, 1 << 14, 1 << 16};
  /// The masking part runs FuseMax, the sensitivity part these designs, on this model at
  /// these lengths.
  std::string focus_model = "BERT";
  std::vector<std::int64_t> masking_seq_lens = {1 << 10, 1 << 12};
  std::vector<mapper::paper::Design> sensitivity_designs = {mapper::paper::Design::fusemax,
                                                            mapper::paper::Design::flat};
  std::vector<std::int64_t> sensitivity_seq_lens = {1 << 10, 1 << 12};
  /// Batch and heads of every model (0: the model's own). The ladder and sensitivity run the
  /// whole layer (identical slices extrapolated from 2 and 3, sim/layer.hpp); masking runs
  /// `masking_batch` batch elements with every slice simulated, because the uniform
  /// spreading has only sim::simulate(program) for a whole program.
  std::int64_t batch = 0, heads = 0;
  std::int64_t masking_batch = 1;
};

/// Rows the study makes with `config`, in its fixed order: what --shard deals out.
std::size_t study_items(const Config& config);

/// Runs the items of shard `index` of `count`; `progress(done, total)` after each. Throws
/// what mapper::evaluate and sim::simulate_layer throw, except sim::DeadlockError, which is
/// recorded in its row.
Tables run_study(mapper::paper::Context& ctx, const Config& config, std::size_t shard_index = 0,
                 std::size_t shard_count = 1, const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace einfuse::explore::fidelity
