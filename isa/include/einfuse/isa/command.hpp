// The commands of an isa::Program (docs/isa.md): what each unit is told to do, with the
// tokens it waits for.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "einfuse/isa/blocks.hpp"
#include "einfuse/isa/opcode.hpp"
#include "einfuse/mapper/cost_model.hpp"

namespace einfuse::isa {

enum class CommandKind : std::uint8_t { load, store, compute, fence };
const char* command_kind_name(CommandKind k);  ///< "load", "store", "compute", "fence"

/// A dependency: the command's token. `result` waits for the result to be visible (a
/// compute command's end + drain); otherwise for the end (the unit is done with it).
struct Wait {
  std::uint64_t command = 0;
  bool result = true;
  bool operator==(const Wait&) const = default;
};

/// A buffer region an array command reads or writes: rows of the global buffer (docs/isa.md,
/// address map), and the bytes the tile moves there.
struct Operand {
  int tensor = -1;
  std::uint64_t row = 0;          ///< first buffer row of the tile
  std::uint64_t rows = 0;         ///< rows the tile spans (0: the tensor is not in the buffer)
  std::uint64_t read_bytes = 0;   ///< buffer reads of this tensor by the tile
  std::uint64_t write_bytes = 0;  ///< buffer writes (results, staging of DRAM reads)
  bool operator==(const Operand&) const = default;
};

struct Command {
  std::uint64_t id = 0;
  CommandKind kind = CommandKind::compute;
  Block unit = Block::controller;  ///< dma (load/store), pe2d_array/pe1d_array, controller (fence)
  std::uint64_t op = 0;            ///< the Schedule's TileOp this command belongs to
  int stage = 0;
  std::vector<Wait> waits;

  // load / store
  int tensor = -1;
  std::uint64_t dram_address = 0;  ///< byte address
  std::uint64_t buffer_row = 0;    ///< where the tile lands in (leaves from) the buffer
  std::uint64_t bytes = 0;

  // compute
  int array = -1;   ///< ArchSpec::arrays index
  Opcode opcode;
  int einsum = -1;  ///< the kernel: which Einsum's tile function (data mode)
  std::uint64_t tile = 0;
  std::vector<std::int64_t> loop_index;  ///< the tile's index in each loop of the Schedule
  std::uint64_t points = 0, array_tiles = 0;
  std::uint64_t cycles = 0;           ///< busy cycles, as the cost model states them
  std::uint64_t drain_cycles = 0;     ///< exposed reduction latency (non-interleaved)
  std::uint64_t reduction_depth = 0;  ///< PEs a spatial reduction runs through
  std::array<std::uint64_t, mapper::kArrayOpCount> actions{};
  std::vector<Operand> operands;  ///< the tensors read, then the result

  bool operator==(const Command&) const = default;
};

/// One line of text per command (the disassembly; golden logs use it).
std::string to_text(const Command& c, const mapper::Workload& w, const mapper::ArchSpec& arch);

}  // namespace einfuse::isa
