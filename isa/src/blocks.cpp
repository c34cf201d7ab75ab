#include "einfuse/isa/blocks.hpp"

#include <stdexcept>
#include <string>

namespace einfuse::isa {
namespace {

struct Names {
  const char* snake;
  const char* module;
};
constexpr Names kNames[kBlockCount] = {{"controller", "Controller"},       {"pe2d_array", "Pe2dArray"},
                                       {"pe1d_array", "Pe1dArray"},        {"global_buffer", "GlobalBuffer"},
                                       {"dma", "Dma"},                     {"dram_channel", "DramChannel"}};

}  // namespace

const std::array<Block, kBlockCount>& all_blocks() {
  static constexpr std::array<Block, kBlockCount> all = {Block::controller,    Block::pe2d_array, Block::pe1d_array,
                                                         Block::global_buffer, Block::dma,        Block::dram_channel};
  return all;
}

const char* block_name(Block b) { return kNames[static_cast<std::size_t>(b)].snake; }
const char* module_name(Block b) { return kNames[static_cast<std::size_t>(b)].module; }

Block parse_block(std::string_view name) {
  std::string known;
  for (Block b : all_blocks()) {
    if (name == block_name(b)) return b;
    known += known.empty() ? "" : ", ";
    known += block_name(b);
  }
  throw std::invalid_argument("unknown block '" + std::string(name) + "' (known: " + known + ")");
}

Block array_block(const mapper::PeArray& array) {
  if (array.role == "2d") return Block::pe2d_array;
  if (array.role == "1d") return Block::pe1d_array;
  throw std::invalid_argument("array " + array.name + " has role '" + array.role + "', not 2d or 1d");
}

}  // namespace einfuse::isa
