// The YAML keys of the HBM2 model's parameters (arch_spec.hpp Hbm2Params, docs/dram.md),
// one table for the reader and the writer, so a key cannot be read under one name and
// written under another. Private to einfuse_mapper.
#pragma once

#include <array>

#include "einfuse/mapper/arch_spec.hpp"

namespace einfuse::mapper::hbm2_keys {

struct IntKey {
  const char* key;
  int Hbm2Params::*field;
};
struct TimeKey {  ///< a time in ns
  const char* key;
  double Hbm2Params::*field;
};

// `channels` is not here: when absent it is derived from the bandwidth, not defaulted.
inline constexpr std::array kInts = {
    IntKey{"bus_bits", &Hbm2Params::bus_bits},
    IntKey{"burst_length", &Hbm2Params::burst_length},
    IntKey{"bank_groups", &Hbm2Params::bank_groups},
    IntKey{"banks_per_group", &Hbm2Params::banks_per_group},
    IntKey{"row_bytes", &Hbm2Params::row_bytes},
    IntKey{"t_ccd_s_ck", &Hbm2Params::t_ccd_s_ck},
    IntKey{"t_ccd_l_ck", &Hbm2Params::t_ccd_l_ck},
    IntKey{"bus_turnaround_ck", &Hbm2Params::bus_turnaround_ck},
    IntKey{"request_queue", &Hbm2Params::request_queue},
    IntKey{"write_queue", &Hbm2Params::write_queue},
};

inline constexpr std::array kTimes = {
    TimeKey{"t_cl_ns", &Hbm2Params::t_cl_ns},       TimeKey{"t_cwl_ns", &Hbm2Params::t_cwl_ns},
    TimeKey{"t_rcd_ns", &Hbm2Params::t_rcd_ns},     TimeKey{"t_rp_ns", &Hbm2Params::t_rp_ns},
    TimeKey{"t_ras_ns", &Hbm2Params::t_ras_ns},     TimeKey{"t_wr_ns", &Hbm2Params::t_wr_ns},
    TimeKey{"t_rtp_ns", &Hbm2Params::t_rtp_ns},     TimeKey{"t_wtr_s_ns", &Hbm2Params::t_wtr_s_ns},
    TimeKey{"t_wtr_l_ns", &Hbm2Params::t_wtr_l_ns}, TimeKey{"t_rrd_s_ns", &Hbm2Params::t_rrd_s_ns},
    TimeKey{"t_rrd_l_ns", &Hbm2Params::t_rrd_l_ns}, TimeKey{"t_faw_ns", &Hbm2Params::t_faw_ns},
    TimeKey{"t_rfc_ns", &Hbm2Params::t_rfc_ns},     TimeKey{"t_refi_ns", &Hbm2Params::t_refi_ns},
};

/// JESD235A: a stack has 8 channels and runs at up to 2 Gb/s per pin; the parser derives
/// whole stacks from these when `channels` is not given.
inline constexpr int kChannelsPerStack = 8;
inline constexpr double kMaxBitsPerPinPerS = 2e9;
/// Times above 1 s are typos, and would overflow the backend's integer picoseconds.
inline constexpr double kMaxTimeNs = 1e9;

}  // namespace einfuse::mapper::hbm2_keys
