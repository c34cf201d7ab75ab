// Lowering step: the tokens an array command waits for.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "einfuse/isa/lowering.hpp"

namespace einfuse::isa {

TokenTable::TokenTable(std::size_t einsums, std::size_t arrays)
    : last_einsum_(einsums, -1), last_array_(arrays, -1), inst_last_(arrays, -1), prev_inst_(arrays, -1) {}

void TokenTable::record(const mapper::TileOp& op, std::uint64_t command) {
  if (op.stage != inst_stage_) {
    prev_inst_ = inst_last_;
    std::fill(inst_last_.begin(), inst_last_.end(), -1);
    inst_stage_ = op.stage;
  }
  const auto id = static_cast<std::int64_t>(op.id);
  last_einsum_[static_cast<std::size_t>(op.einsum)] = id;
  last_array_[static_cast<std::size_t>(op.array)] = inst_last_[static_cast<std::size_t>(op.array)] = id;
  live_.push_back({op.id, command});
  auto named = [&](std::uint64_t o) {
    const auto v = static_cast<std::int64_t>(o);
    for (const auto* list : {&last_einsum_, &last_array_, &inst_last_, &prev_inst_})
      if (std::find(list->begin(), list->end(), v) != list->end()) return true;
    return false;
  };
  live_.erase(std::remove_if(live_.begin(), live_.end(), [&](const Entry& e) { return !named(e.op); }), live_.end());
}

std::uint64_t TokenTable::command_of(std::uint64_t op) const {
  for (const Entry& e : live_)
    if (e.op == op) return e.command;
  throw std::logic_error("isa lowering: a dependency on op " + std::to_string(op) +
                         ", which is neither the latest op of an Einsum or an array nor in the previous stage instance");
}

std::vector<Wait> compute_waits(const mapper::TileOp& op, const TokenTable& tokens, const std::vector<Command>& loads) {
  std::vector<Wait> w;
  auto add = [&](std::uint64_t command) {
    const Wait x{command, true};
    if (std::find(w.begin(), w.end(), x) == w.end()) w.push_back(x);
  };
  for (const Command& l : loads) add(l.id);
  for (std::uint64_t d : op.data_deps) add(tokens.command_of(d));
  for (std::uint64_t d : op.barrier_deps) add(tokens.command_of(d));
  return w;
}

}  // namespace einfuse::isa
