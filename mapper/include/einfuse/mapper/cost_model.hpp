// The closed-form cost model: from (cascade, shape, arch, mapping) the cycles of every
// Einsum on its array, the latency under the mapping's overlap policy, each array's
// utilisation, the traffic at every level following data reuse, energy = action counts x
// energy per action, and area = units x area. The formulas are in docs/cost-model.md; the
// model knows nothing about any particular design beyond what the arch spec and the mapping
// say.
//
// Speed: everything that depends only on the cascade and its shape (op counts, tensor
// sizes, which ranks index which tensor) is computed once in a Workload; evaluate() then only
// does arithmetic on small vectors, so a search can cost millions of mappings per second.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/shape.hpp"
#include "einfuse/mapper/arch_spec.hpp"
#include "einfuse/mapper/mapping.hpp"

namespace einfuse::mapper {

/// Array op kinds the cost model charges (names as in the arch spec's `ops`).
enum class ArrayOp : std::uint8_t { mac, add, max, min, cmp, divide, exp };
inline constexpr std::size_t kArrayOpCount = 7;
const char* array_op_name(ArrayOp op);

/// How one tensor is indexed by one Einsum: which ranks of the iteration space appear in
/// its index expressions (a tensor does not depend on the others: reuse).
struct OperandUse {
  int tensor = -1;                ///< TensorId
  std::vector<int> ranks;         ///< RankIds of the Einsum's iteration vars that index it
};

/// One Einsum, reduced to what the cost model needs.
struct WorkloadEinsum {
  std::string name;
  std::vector<int> iteration_ranks;             ///< RankIds, batch ranks included
  std::vector<int> reduced_ranks;               ///< ranks reduced (outer and inner)
  /// Ranks the Einsum steps through one index after another: the step rank of a running
  /// value (RM[m1+1] from RM[m1]) for every Einsum of its dependency cycle (RD and SPD alike).
  /// They cannot be laid across an array.
  std::vector<int> sequential_ranks;
  std::uint64_t points = 0;                     ///< unmasked points of the iteration space
  /// Ops charged on the array, by ArrayOp, over the whole iteration space (see
  /// docs/cost-model.md: mul -> mac, div/recip -> divide, a subtraction inside exp is
  /// part of the exp, neg is free, cmp/select -> cmp).
  std::array<std::uint64_t, kArrayOpCount> ops{};
  std::vector<OperandUse> reads;                ///< real-valued tensors read
  int output = -1;                              ///< TensorId
  /// Ops the arrays cannot run at all (sqrt, ...), named for the error message.
  std::vector<std::string> unsupported;
};

struct WorkloadTensor {
  std::string name;
  einsum::Tensor::Role role = einsum::Tensor::Role::intermediate;
  std::vector<int> ranks;        ///< RankIds of its slots (split parts as declared)
  std::uint64_t elements = 0;
  int producer = -1;             ///< Einsum index, -1 for inputs
  std::vector<int> consumers;    ///< Einsum indices
};

/// The cascade at one shape, precomputed for fast evaluation.
struct Workload {
  std::string cascade;                 ///< cascade name
  std::vector<std::string> rank_names; ///< by RankId
  std::vector<std::int64_t> extent;    ///< by RankId
  /// For each RankId: the rank it was split from (itself if unsplit) — a loop over P tiles
  /// the tensors indexed by P; a split rank M is indexed by tensors read at m1*M0+m0.
  std::vector<int> root;
  std::vector<WorkloadEinsum> einsums;
  std::vector<WorkloadTensor> tensors;

  int find_rank(const std::string& name) const;    ///< -1 when absent
  int find_einsum(const std::string& name) const;  ///< -1 when absent
  int find_tensor(const std::string& name) const;  ///< -1 when absent
};

/// Throws CascadeError like count_ops() does (overflow at an Einsum).
Workload make_workload(const einsum::Cascade& cascade, const einsum::BoundShape& shape);

/// Switches for the published model's known quirks (fusemax.md, last section). The default
/// is the corrected model; `published()` turns each quirk back on.
struct CostOptions {
  /// Register-file energy charged for one PE instance instead of all of them.
  bool register_energy_one_pe = false;
  /// Exp actions on a `table` exp unit are not charged (the published +Cascade energy drops
  /// them through a key mismatch). The paper preset sets it only for that design.
  bool drop_table_exp_energy = false;
  static CostOptions published() { return {true, false}; }
};

/// What one Einsum costs on its array.
struct EinsumCost {
  std::string einsum;
  std::string array;
  std::uint64_t pes_used = 0;          ///< PEs one array tile occupies
  std::uint64_t array_tiles = 0;       ///< array-tile steps (points / spatial tile, folds included)
  std::uint64_t cycles = 0;            ///< busy cycles of its array
  std::uint64_t exposed_stall = 0;     ///< reduction latency exposed without interleaving
};

struct ArrayUse {
  std::string array;
  std::uint64_t busy_cycles = 0;       ///< Σ cycles of the Einsums bound to it
  double utilisation = 0;              ///< busy_cycles / latency_cycles
};

/// Traffic of one tensor at each level, in bytes (buffer and registers in words x bytes).
struct TensorTraffic {
  std::string tensor;
  std::uint64_t dram_read_bytes = 0;
  std::uint64_t dram_write_bytes = 0;
  std::uint64_t buffer_read_bytes = 0;
  std::uint64_t buffer_write_bytes = 0;
  std::uint64_t register_reads = 0;    ///< words
  std::uint64_t register_writes = 0;   ///< words
  std::uint64_t buffer_footprint_bytes = 0;
};

struct StageCost {
  std::vector<std::string> einsums;
  std::uint64_t compute_cycles = 0;    ///< max over arrays of the stage's cycles, stalls included
  std::uint64_t dram_bytes = 0;        ///< traffic of the stage's Einsums
};

/// Energy by action, pJ.
struct EnergyBreakdown {
  std::map<std::string, double> by_action;  ///< "mac", "dram_access", "buffer_read_row", ...
  double total_pj = 0;
};

struct CostReport {
  std::vector<EinsumCost> einsums;
  std::vector<ArrayUse> arrays;
  std::vector<StageCost> stages;
  std::vector<TensorTraffic> tensors;
  std::uint64_t compute_cycles = 0;    ///< Σ stage compute cycles
  std::uint64_t dram_cycles = 0;       ///< ceil(DRAM bytes / bandwidth x clock)
  std::uint64_t latency_cycles = 0;
  double latency_s = 0;
  std::uint64_t dram_bytes = 0;        ///< reads + writes
  std::uint64_t buffer_footprint_bytes = 0;
  EnergyBreakdown energy;
  double area_um2 = 0;
};

/// Why a mapping does not fit (capacity, an op the array lacks, a rank the Einsum does not
/// iterate, ...). Each entry says where (the key path in the mapping) and what is wrong.
struct MappingProblem {
  std::string where;    ///< e.g. "bindings[SLN].array"
  std::string message;  ///< e.g. "array pe1d has no exp unit (ops: mac, add, max, divide)"
};

/// Every reason `mapping` cannot run `workload` on `arch`; empty when it fits.
std::vector<MappingProblem> validate_mapping(const Workload& workload, const ArchSpec& arch,
                                             const Mapping& mapping);

/// Costs a mapping. Throws MappingError (listing every problem) when validate_mapping finds
/// any.
CostReport evaluate(const Workload& workload, const ArchSpec& arch, const Mapping& mapping,
                    const CostOptions& options = {});

/// The same, without the report's per-Einsum/tensor detail and without validation: the
/// search's inner loop. Returns nullopt when the mapping does not fit.
struct CostSummary {
  std::uint64_t latency_cycles = 0;
  double energy_pj = 0;
  std::uint64_t dram_bytes = 0;
};
std::optional<CostSummary> evaluate_fast(const Workload& workload, const ArchSpec& arch,
                                         const Mapping& mapping, const CostOptions& options = {});

/// Cycles of one op kind on an array: the op itself, else the unit that can do it (a min on a
/// max unit, a compare or select on a max unit's comparator); 0 when it cannot run it.
std::uint64_t array_op_cycles(const PeArray& array, ArrayOp op);
/// pJ of one op on an array: exp on a `mac_sequence` array is its sequence's ops.
double array_op_energy(const ArchSpec& arch, const PeArray& array, ArrayOp op);
/// Micro-ops one op issues on a PE (register-file accesses are charged per micro-op).
std::uint64_t array_op_micro_ops(const PeArray& array, ArrayOp op);
/// An Einsum's compute energy on an array as evaluate() charges it: its ops, and two register
/// reads and one write per micro-op (÷ PEs with `register_energy_one_pe`).
double einsum_compute_energy(const ArchSpec& arch, const PeArray& array, const WorkloadEinsum& einsum,
                             const CostOptions& options);

/// Area of the arrays: per PE the arch's `pe2d`/`pe1d` entry when it has one, else the sum
/// of its units (each op it lists that has an area; exp only for a `table` exp unit) and its
/// registers; times the PEs.
double array_area(const ArchSpec& arch);

/// A mapping resolved against one workload and arch (names looked up once), whose loop
/// factors the search may change between costs: cost() recomputes tiles, cycles, traffic and
/// energy from the current factors. Holds pointers to `workload` and `arch`: keep them alive.
class CompiledMapping {
 public:
  /// Throws MappingError for structural problems (names, ops, registers across arrays).
  CompiledMapping(const Workload& workload, const ArchSpec& arch, const Mapping& mapping);
  std::size_t dram_loop_count() const;
  std::size_t buffer_loop_count() const;
  /// Throw std::out_of_range for a loop index past the count, std::invalid_argument for a
  /// factor below 1.
  void set_dram_factor(std::size_t loop, std::int64_t factor);
  void set_buffer_factor(std::size_t loop, std::int64_t factor);
  /// nullopt when the factors do not divide the ranks or the tiles do not fit.
  std::optional<CostSummary> cost(const CostOptions& options = {}) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

class MappingError : public std::runtime_error {
 public:
  MappingError(std::string mapping_name, std::vector<MappingProblem> problems);
  const std::vector<MappingProblem>& problems() const { return problems_; }

 private:
  std::vector<MappingProblem> problems_;
};

}  // namespace einfuse::mapper
