// The FuseMax paper's grid (`einfuse explore --preset fusemax-paper`): every (model, length,
// design) point of mapper/paper.hpp through the cost model, attention and end to end, and the
// Fig. 12 array-size sweep, as the rows of attention.csv, end2end.csv, einsums.csv and
// pareto.csv (explore_result.hpp). The work is a list of items in a fixed order, so a shard
// runs items i, i+n, ... and `einfuse merge` puts the shards back together.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "einfuse/explore/explore_result.hpp"
#include "einfuse/mapper/paper.hpp"

namespace einfuse::explore::paper {

using mapper::paper::Design;

/// The paper's grid: models BERT, TrXL, T5, XLM; lengths 1K..1M; the five designs;
/// Fig. 12 sides 16..512 at 256K.
struct Grid {
  std::vector<std::string> models = {"BERT", "TrXL", "T5", "XLM"};
  std::vector<std::int64_t> seq_lens = {1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20};
  std::vector<Design> designs = mapper::paper::all_designs();
  std::vector<int> pe_dims = {16, 32, 64, 128, 256, 512};
  std::int64_t pareto_seq_len = 1 << 18;
};

/// Work items of the grid in a fixed order (attention+end2end per (model, length, design),
/// then one per Fig. 12 point), so `--shard i/n` takes items i, i+n, ...
std::size_t grid_items(const Grid& grid);

/// Runs the items of shard `index` of `count` in one mode. `progress(done, total)` is called
/// after each item.
ExploreRun run_grid(mapper::paper::Context& ctx, const Grid& grid, bool published, std::size_t shard_index = 0,
                    std::size_t shard_count = 1, const std::function<void(std::size_t, std::size_t)>& progress = {});

/// The published numbers the report puts beside ours (fusemax.md).
std::vector<PublishedNumber> published_numbers();

}  // namespace einfuse::explore::paper
