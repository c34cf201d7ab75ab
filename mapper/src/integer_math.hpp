// Integer helpers shared by the mapper's sources (private): exact counts are uint64, products
// that can pass 2^64 (cycles x PEs, bytes x clock) are formed in unsigned __int128.
#pragma once

#include <cstddef>
#include <cstdint>

namespace einfuse::mapper::detail {

using u64 = std::uint64_t;
__extension__ typedef unsigned __int128 u128;

inline std::size_t idx(int i) { return static_cast<std::size_t>(i); }
inline u64 ceil_div(u128 a, u128 b) { return static_cast<u64>((a + b - 1) / b); }

}  // namespace einfuse::mapper::detail
