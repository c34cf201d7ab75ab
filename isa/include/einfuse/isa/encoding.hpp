// The binary form of a command (docs/isa.md, encoding): what a controller's command memory
// holds and what the RTL harness feeds. Little-endian LEB128 varints after a kind byte;
// decode() reads back exactly what encode() wrote.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "einfuse/isa/command.hpp"

namespace einfuse::isa {

/// Appends the encoding of `c` to `out`.
void encode(const Command& c, std::vector<std::uint8_t>& out);

/// Decodes the command at `pos`, advancing it. Throws std::runtime_error naming the byte
/// offset on a truncated or malformed record (an unknown kind, block or opcode).
Command decode(const std::vector<std::uint8_t>& bytes, std::size_t& pos);

}  // namespace einfuse::isa
