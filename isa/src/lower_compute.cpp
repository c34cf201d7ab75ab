// Lowering step: the array command of one tile op.
#include <algorithm>

#include "einfuse/isa/lowering.hpp"

namespace einfuse::isa {

Command lower_compute(const mapper::TileOp& op, const mapper::Workload& w, const mapper::ArchSpec& arch,
                      const AddressMap& map, std::uint64_t id) {
  const mapper::WorkloadEinsum& we = w.einsums[static_cast<std::size_t>(op.einsum)];
  Command c;
  c.id = id;
  c.kind = CommandKind::compute;
  c.unit = array_block(arch.arrays[static_cast<std::size_t>(op.array)]);
  c.op = op.id;
  c.stage = op.stage;
  c.array = op.array;
  c.opcode = classify(we);
  c.einsum = op.einsum;
  c.tile = op.tile;
  c.loop_index = op.loop_index;
  c.points = op.points;
  c.array_tiles = op.array_tiles;
  c.cycles = op.cycles;
  c.drain_cycles = op.drain_cycles;
  c.reduction_depth = op.reduction_depth;
  c.actions = op.actions;
  // Operands: the tensors read in the Einsum's order, then the result; bytes from the op's
  // transfers (a tensor touched twice, read and written, appears once per role).
  auto operand = [&](int tensor, bool result) {
    Operand o;
    o.tensor = tensor;
    for (const mapper::TileTransfer& t : op.transfers)
      if (t.tensor == tensor) {
        o.read_bytes = result ? 0 : t.buffer_read_bytes;
        o.write_bytes = t.buffer_write_bytes;
        if (!result && tensor == we.output) o.write_bytes = 0;  // counted with the result
      }
    o.rows = map.tensor(tensor).tile_rows;
    o.row = map.buffer_row(tensor, map.tile_ordinal(tensor, op.loop_index));
    return o;
  };
  for (const mapper::OperandUse& u : we.reads)
    if (u.tensor != we.output) c.operands.push_back(operand(u.tensor, false));
  Operand out = operand(we.output, true);
  for (const mapper::TileTransfer& t : op.transfers)
    if (t.tensor == we.output) out.read_bytes = t.buffer_read_bytes;  // an iterative Einsum reads its previous value
  c.operands.push_back(out);
  return c;
}

}  // namespace einfuse::isa
