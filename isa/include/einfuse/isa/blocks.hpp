// The hardware blocks, named once: the SystemC modules (sim/), the Verilog modules (rtl/), the
// trace tracks and the reports all use these names (docs/isa.md).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "einfuse/mapper/arch_spec.hpp"

namespace einfuse::isa {

enum class Block : std::uint8_t { controller, pe2d_array, pe1d_array, global_buffer, dma, dram_channel };
inline constexpr std::size_t kBlockCount = 6;

/// Every block, in the order above.
const std::array<Block, kBlockCount>& all_blocks();
/// snake_case name: "controller", "pe2d_array", ... (the Verilog module and report key).
const char* block_name(Block b);
/// CamelCase name of the SystemC module: "Controller", "Pe2dArray", ...
const char* module_name(Block b);
/// The block of a name given by block_name(); throws std::invalid_argument naming the known ones.
Block parse_block(std::string_view name);
/// The block an arch's array is: pe2d_array for role "2d", pe1d_array for "1d".
Block array_block(const mapper::PeArray& array);

}  // namespace einfuse::isa
