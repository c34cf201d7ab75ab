// Lowering step: the DMA commands of one tile op.
#include "einfuse/isa/lowering.hpp"

namespace einfuse::isa {
namespace {

Command transfer(CommandKind kind, const mapper::TileOp& op, const mapper::TileTransfer& t, std::uint64_t bytes,
                 const AddressMap& map, std::uint64_t id) {
  Command c;
  c.id = id;
  c.kind = kind;
  c.unit = Block::dma;
  c.op = op.id;
  c.stage = op.stage;
  c.tensor = t.tensor;
  c.bytes = bytes;
  c.dram_address = map.dram_address(t.tensor, op.loop_index);
  c.buffer_row = map.buffer_row(t.tensor, map.tile_ordinal(t.tensor, op.loop_index));
  return c;
}

}  // namespace

std::vector<Command> lower_loads(const mapper::TileOp& op, const AddressMap& map, std::uint64_t next_id) {
  std::vector<Command> out;
  for (const mapper::TileTransfer& t : op.transfers)
    if (t.dram_read_bytes > 0) out.push_back(transfer(CommandKind::load, op, t, t.dram_read_bytes, map, next_id++));
  return out;
}

std::vector<Command> lower_stores(const mapper::TileOp& op, const AddressMap& map, std::uint64_t compute,
                                  std::uint64_t next_id) {
  std::vector<Command> out;
  for (const mapper::TileTransfer& t : op.transfers)
    if (t.dram_write_bytes > 0) {
      out.push_back(transfer(CommandKind::store, op, t, t.dram_write_bytes, map, next_id++));
      out.back().waits.push_back({compute, false});
    }
  return out;
}

}  // namespace einfuse::isa
