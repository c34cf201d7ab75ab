// A Mapping resolved against one Workload and one ArchSpec (private to einfuse_mapper):
// every name turned into an index and every arch constant the cost needs looked up once.
// Its loop and spatial factors stay numbers the search may change; cost_resolved()
// recomputes everything that depends on them (cost_model.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "einfuse/mapper/cost_model.hpp"
#include "integer_math.hpp"

namespace einfuse::mapper::detail {

inline u64 bit(int rank) { return u64{1} << static_cast<unsigned>(rank); }

struct ResolvedLoop {
  int rank = -1;
  std::int64_t factor = 1;
};

struct ResolvedOperand {
  int tensor = -1;
  u64 mask = 0;  ///< ranks of the Einsum that index it
};

struct ResolvedEinsum {
  int array = -1;                      ///< index into arch.arrays
  std::vector<int> row_ranks, col_ranks;
  u64 reduced_mask = 0;                ///< ranks the Einsum reduces
  std::array<u64, kArrayOpCount> cycles_per_op{};
  double op_energy_pj = 0;             ///< Σ ops x energy per op (the arch's table)
  double exp_energy_pj = 0;            ///< the part of op_energy_pj spent in exp (for the report)
  double table_exp_pj = 0;             ///< the part of it a `table` exp unit spends
  u64 micro_ops = 0;                   ///< Σ ops x micro-ops per op (register-file traffic)
  int stage = 0;
  std::vector<ResolvedOperand> reads;
  u64 output_mask = 0;                 ///< ranks of its output slots
};

struct ResolvedTensor {
  Residency residency = Residency::buffer;
  double spill = 0;
  bool in_place = false;
  int host = -1;                       ///< the tensor whose storage it takes (in_place)
  bool stationary = false;             ///< held in the PEs by some binding
  bool homed_in_dram = false;          ///< an input or an output
  u64 rank_mask = 0;                   ///< every rank that indexes it anywhere
  u64 consumer_stages = 0;             ///< bit s: some Einsum of stage s reads it (not its producer)
};

struct ResolvedMapping {
  std::vector<ResolvedEinsum> einsums;     ///< by workload Einsum index
  std::vector<ResolvedTensor> tensors;     ///< by workload tensor index
  std::vector<std::int64_t> spatial;       ///< by rank: spatial factor, 0 when not given
  std::vector<ResolvedLoop> dram_loops, buffer_loops;
  std::vector<std::vector<int>> stages;    ///< Einsum indices per stage
  std::vector<u64> family;                 ///< by rank: itself, its root and its parts
  bool per_stage_memory = false;
  bool interleave = true;
  // Arch constants, looked up once.
  double register_pj_per_uop = 0;          ///< 2 reads + 1 write
  double buffer_read_pj_per_byte = 0, buffer_write_pj_per_byte = 0, dram_pj_per_byte = 0;
};

/// pJ of one action of the arch's energy table (0 when absent: the spec loader has already
/// refused a missing entry for anything an array executes).
double energy_of(const ArchSpec& arch, const std::string& action);

/// Resolves names; appends every structural problem (unknown names, ops an array lacks, a
/// tensor in registers across arrays, stages...) to `problems`.
ResolvedMapping resolve(const Workload& w, const ArchSpec& arch, const Mapping& m,
                        std::vector<MappingProblem>& problems);

/// Extents of every rank inside one tile of the resolved mapping's current factors.
struct Tiles {
  std::vector<std::int64_t> dram_factor, buffer_factor;  ///< by rank: Π of its loops
  std::vector<u64> buffer_tile;  ///< by rank: extent below the DRAM loops
  std::vector<u64> array_tile;   ///< by rank: extent below the buffer loops too
  std::vector<u64> spatial;      ///< by rank: spatial extent when laid across an array
};

/// Computes the tiles; false (and a problem for each) when a rank's factors do not divide it,
/// overflow, or tile a split rank both itself and through its parts.
bool compute_tiles(const Workload& w, const ResolvedMapping& r, Tiles& t, std::vector<MappingProblem>* problems);

/// Elements of tensor `t` in one buffer tile (level 1) or one array tile (level 2).
u64 footprint_elements(const Workload& w, const Tiles& tiles, int t, int level);

/// Buffer bytes and register words per PE; appends capacity problems.
u64 check_capacity(const Workload& w, const ArchSpec& arch, const ResolvedMapping& r, const Tiles& tiles,
                   std::vector<MappingProblem>* problems);

}  // namespace einfuse::mapper::detail
