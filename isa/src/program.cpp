// Assembles the lowering steps (lowering.hpp) over a Schedule's stream.
#include "einfuse/isa/program.hpp"

#include <sstream>

namespace einfuse::isa {

const char* command_kind_name(CommandKind k) {
  switch (k) {
    case CommandKind::load: return "load";
    case CommandKind::store: return "store";
    case CommandKind::compute: return "compute";
    case CommandKind::fence: return "fence";
  }
  return "?";
}

std::string to_text(const Command& c, const mapper::Workload& w, const mapper::ArchSpec& arch) {
  std::ostringstream o;
  o << c.id << ' ' << command_kind_name(c.kind) << ' ' << block_name(c.unit);
  auto tensor = [&](int t) { return t >= 0 ? w.tensors[static_cast<std::size_t>(t)].name : std::string("-"); };
  switch (c.kind) {
    case CommandKind::load:
    case CommandKind::store:
      o << ' ' << tensor(c.tensor) << " dram=0x" << std::hex << c.dram_address << std::dec << " row=" << c.buffer_row
        << " bytes=" << c.bytes;
      break;
    case CommandKind::compute:
      o << '[' << arch.arrays[static_cast<std::size_t>(c.array)].name << "] " << opcode_name(c.opcode)
        << " kernel=" << w.einsums[static_cast<std::size_t>(c.einsum)].name << " tile=" << c.tile
        << " cycles=" << c.cycles;
      if (c.drain_cycles) o << " drain=" << c.drain_cycles;
      if (c.reduction_depth) o << " depth=" << c.reduction_depth;
      o << " points=" << c.points;
      for (const Operand& x : c.operands) {
        o << ' ' << tensor(x.tensor) << "@" << x.row << '+' << x.rows;
        if (x.read_bytes) o << " r" << x.read_bytes;
        if (x.write_bytes) o << " w" << x.write_bytes;
      }
      break;
    case CommandKind::fence: o << " stage=" << c.stage; break;
  }
  if (!c.waits.empty()) {
    o << " wait=";
    for (std::size_t i = 0; i < c.waits.size(); ++i)
      o << (i ? "," : "") << c.waits[i].command << (c.waits[i].result ? "" : ".end");
  }
  return o.str();
}

Program::Program(const mapper::Schedule& schedule, const std::vector<std::uint64_t>& footprints)
    : schedule_(&schedule), addresses_(schedule, footprints) {}

Program::Stream::Stream(const Program& p)
    : p_(&p), ops_(p.schedule().stream()),
      tokens_(p.schedule().workload().einsums.size(), p.schedule().arch().arrays.size()) {}

void Program::Stream::lower_next_op() {
  pending_.clear();
  pending_pos_ = 0;
  if (ops_done_ || !ops_.next(op_)) {
    ops_done_ = true;
    return;
  }
  const mapper::Schedule& s = p_->schedule();
  // per_stage memory: each stage is a region that starts when everything before it is done.
  if (s.per_stage_memory() && op_.stage != region_stage_) {
    region_stage_ = op_.stage;
    Command f;
    f.id = next_id_++;
    f.kind = CommandKind::fence;
    f.unit = Block::controller;
    f.op = op_.id;
    f.stage = op_.stage;
    pending_.push_back(std::move(f));
  }
  std::vector<Command> loads = lower_loads(op_, p_->addresses(), next_id_);
  next_id_ += loads.size();
  Command compute = lower_compute(op_, s.workload(), s.arch(), p_->addresses(), next_id_++);
  compute.waits = compute_waits(op_, tokens_, loads);
  tokens_.record(op_, compute.id);
  std::vector<Command> stores = lower_stores(op_, p_->addresses(), compute.id, next_id_);
  next_id_ += stores.size();
  for (Command& c : loads) pending_.push_back(std::move(c));
  pending_.push_back(std::move(compute));
  for (Command& c : stores) pending_.push_back(std::move(c));
}

bool Program::Stream::next(Command& c) {
  if (pending_pos_ >= pending_.size()) lower_next_op();
  if (pending_pos_ >= pending_.size()) return false;
  c = std::move(pending_[pending_pos_++]);
  return true;
}

}  // namespace einfuse::isa
