#include "describe.hpp"

namespace einfuse::sim::detail {

std::string describe_command(const RunState& s, const isa::Command& c) {
  const mapper::Workload& w = s.program->schedule().workload();
  std::string what;
  if (c.kind == isa::CommandKind::compute)
    what = s.result->units[static_cast<std::size_t>(c.array)].name + " " + isa::opcode_name(c.opcode) + " " +
           w.einsums[static_cast<std::size_t>(c.einsum)].name;
  else
    what = std::string(isa::command_kind_name(c.kind)) + " " + w.tensors[static_cast<std::size_t>(c.tensor)].name + " (" +
           std::to_string(c.bytes) + " bytes)";
  return "command " + std::to_string(c.id) + " (" + what + " of tile op " + std::to_string(c.op) + ")";
}

std::string describe_waiting(const RunState& s, std::size_t u, const std::unordered_map<u64, const isa::Command*>& known) {
  const RunState::Waiting& w = s.waiting[u];
  const std::string who = w.command ? describe_command(s, *w.command) + " waits for " : "waits for ";
  if (w.wait) {
    auto it = known.find(w.wait->command);
    return who + "the " + (w.wait->result ? "result" : "end") + " of " +
           (it != known.end() ? describe_command(s, *it->second) : "command " + std::to_string(w.wait->command));
  }
  return w.text.empty() ? std::string() : who + w.text;
}

}  // namespace einfuse::sim::detail
