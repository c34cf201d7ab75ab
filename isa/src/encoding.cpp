#include "einfuse/isa/encoding.hpp"

#include <stdexcept>

namespace einfuse::isa {
namespace {

using u64 = std::uint64_t;

void put(std::vector<std::uint8_t>& out, u64 v) {
  do {
    std::uint8_t b = v & 0x7f;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(b);
  } while (v);
}
// Signed values (-1 = none) are stored +1.
void put_index(std::vector<std::uint8_t>& out, std::int64_t v) { put(out, static_cast<u64>(v + 1)); }

struct Reader {
  const std::vector<std::uint8_t>& b;
  std::size_t& pos;
  std::size_t start;
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("isa decode: " + what + " in the command at byte " + std::to_string(start));
  }
  std::uint8_t byte() {
    if (pos >= b.size()) fail("truncated record");
    return b[pos++];
  }
  u64 get() {
    u64 v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::uint8_t x = byte();
      v |= static_cast<u64>(x & 0x7f) << shift;
      if (!(x & 0x80)) return v;
    }
    fail("varint longer than 64 bits");
  }
  int index() { return static_cast<int>(static_cast<std::int64_t>(get()) - 1); }
  std::size_t count() {
    const u64 n = get();
    if (n > b.size() - pos) fail("count past the end");
    return static_cast<std::size_t>(n);
  }
};

}  // namespace

void encode(const Command& c, std::vector<std::uint8_t>& out) {
  out.push_back(static_cast<std::uint8_t>(c.kind));
  out.push_back(static_cast<std::uint8_t>(c.unit));
  put(out, c.id);
  put(out, c.op);
  put(out, static_cast<u64>(c.stage));
  put(out, c.waits.size());
  for (const Wait& w : c.waits) put(out, (c.id - w.command) << 1 | (w.result ? 1 : 0));  // waits name earlier ids
  if (c.kind == CommandKind::load || c.kind == CommandKind::store) {
    put_index(out, c.tensor);
    put(out, c.dram_address);
    put(out, c.buffer_row);
    put(out, c.bytes);
  } else if (c.kind == CommandKind::compute) {
    put_index(out, c.array);
    out.push_back(opcode_code(c.opcode));
    put_index(out, c.einsum);
    put(out, c.tile);
    put(out, c.loop_index.size());
    for (std::int64_t i : c.loop_index) put(out, static_cast<u64>(i));
    for (u64 v : {c.points, c.array_tiles, c.cycles, c.drain_cycles, c.reduction_depth}) put(out, v);
    for (u64 v : c.actions) put(out, v);
    put(out, c.operands.size());
    for (const Operand& o : c.operands) {
      put_index(out, o.tensor);
      for (u64 v : {o.row, o.rows, o.read_bytes, o.write_bytes}) put(out, v);
    }
  }
}

Command decode(const std::vector<std::uint8_t>& bytes, std::size_t& pos) {
  Reader r{bytes, pos, pos};
  Command c;
  const std::uint8_t kind = r.byte(), unit = r.byte();
  if (kind > static_cast<std::uint8_t>(CommandKind::fence)) r.fail("unknown kind " + std::to_string(kind));
  if (unit >= kBlockCount) r.fail("unknown block " + std::to_string(unit));
  c.kind = static_cast<CommandKind>(kind);
  c.unit = static_cast<Block>(unit);
  c.id = r.get();
  c.op = r.get();
  c.stage = static_cast<int>(r.get());
  c.waits.resize(r.count());
  for (Wait& w : c.waits) {
    const u64 v = r.get();
    if ((v >> 1) > c.id) r.fail("a wait on a later command");
    w = {c.id - (v >> 1), (v & 1) != 0};
  }
  if (c.kind == CommandKind::load || c.kind == CommandKind::store) {
    c.tensor = r.index();
    c.dram_address = r.get();
    c.buffer_row = r.get();
    c.bytes = r.get();
  } else if (c.kind == CommandKind::compute) {
    c.array = r.index();
    try {
      c.opcode = opcode_from_code(r.byte());
    } catch (const std::invalid_argument& e) {
      r.fail(e.what());
    }
    c.einsum = r.index();
    c.tile = r.get();
    c.loop_index.resize(r.count());
    for (std::int64_t& i : c.loop_index) i = static_cast<std::int64_t>(r.get());
    for (u64* v : {&c.points, &c.array_tiles, &c.cycles, &c.drain_cycles, &c.reduction_depth}) *v = r.get();
    for (u64& v : c.actions) v = r.get();
    c.operands.resize(r.count());
    for (Operand& o : c.operands) {
      o.tensor = r.index();
      for (u64* v : {&o.row, &o.rows, &o.read_bytes, &o.write_bytes}) *v = r.get();
    }
  }
  return c;
}

}  // namespace einfuse::isa
