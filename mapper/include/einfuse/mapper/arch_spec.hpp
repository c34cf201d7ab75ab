// The hardware an attention cascade is mapped onto: PE arrays with the ops they execute and
// how many cycles each takes, the global buffer, DRAM, the element size, and the energy and
// area tables the cost model charges. One YAML file per design in workloads/arch (schema in
// docs/arch-spec.md). The loader is strict, as the model loader is: a typo in a key or a
// value is an error with its position, never a silently different machine.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "einfuse/einsum/diagnostics.hpp"

namespace einfuse::mapper {

/// Errors carry file:line:col like every other input error in Einfuse.
using einfuse::einsum::CascadeError;

/// One array of processing elements. A 1D array has rows = 1.
struct PeArray {
  std::string name;                ///< e.g. "pe2d"; unique within a spec
  std::string role;                ///< "2d" or "1d": which part of a binding it can take
  int rows = 0;                    ///< PEs per column (1 for a 1D array)
  int cols = 0;                    ///< PEs per row
  std::map<std::string, int> ops;  ///< op name -> cycles per op (pipelined issue)
  /// How exp is computed: "table" (a dedicated unit, ops["exp"] cycles), "mac_sequence"
  /// (composed of the array's own ops, listed in exp_sequence) or "none" (no exp).
  std::string exp_algorithm = "none";
  /// For "mac_sequence": op -> how many of it one exp takes (FuseMax: mac 6, add 1). The
  /// cost model charges exp energy as these ops, so it must know the breakdown, not only
  /// the cycle total. Empty otherwise.
  std::map<std::string, int> exp_sequence;
  int registers_per_pe = 0;  ///< words (of data_bytes each) in each PE's register file

  std::int64_t pes() const { return static_cast<std::int64_t>(rows) * cols; }
  bool supports(std::string_view op) const { return ops.count(std::string(op)) != 0; }
  bool operator==(const PeArray&) const = default;
};

/// The one on-chip buffer shared by the arrays.
struct GlobalBuffer {
  std::int64_t capacity_bytes = 0;
  int row_bits = 0;  ///< width of one access
  int banks = 0;
  int ports = 0;  ///< accesses per cycle per bank
  bool operator==(const GlobalBuffer&) const = default;
};

/// The HBM2 model's device and controller parameters (docs/dram.md), all optional in the
/// YAML. Defaults: the organisation of JEDEC JESD235A (HBM2), the timings as DRAMsim3's
/// configs/HBM2_8Gb_x128.ini gives them at tCK = 1 ns. Times are in ns, so that they keep
/// their meaning when the clock changes: the DRAM clock is derived from the bandwidth
/// (channels x bus_bits/8 x 2 transfers per clock = bandwidth_bytes_per_s), and each time is
/// rounded to whole clocks as a controller programs it (up; tREFI, a maximum, down). tCCD and
/// the bus turnaround are counted in clocks, as JEDEC counts them.
struct Hbm2Params {
  /// Independent channels, each with its own command and data bus. When the YAML gives none
  /// the parser derives it: whole 8-channel stacks, the fewest that reach the bandwidth at no
  /// more than JESD235A's 2 Gb/s per pin (FuseMax's 400 GiB/s: 16 channels at 1.68 Gb/s).
  int channels = 8;
  int bus_bits = 128;       ///< data pins per channel
  int burst_length = 4;     ///< transfers per burst (BL4): bus_bits/8 x 4 = 64 bytes, 2 clocks
  int bank_groups = 4;
  int banks_per_group = 4;
  int row_bytes = 2048;     ///< page size per bank
  double t_cl_ns = 14;      ///< read command to first data (CL)
  double t_cwl_ns = 4;      ///< write command to first data (CWL)
  double t_rcd_ns = 14;     ///< ACT to read/write
  double t_rp_ns = 14;      ///< PRE to ACT
  double t_ras_ns = 34;     ///< ACT to PRE
  double t_wr_ns = 16;      ///< end of write data to PRE
  double t_rtp_ns = 6;      ///< read to PRE
  double t_wtr_s_ns = 6;    ///< end of write data to a read in another bank group
  double t_wtr_l_ns = 8;    ///< ... in the same bank group
  double t_rrd_s_ns = 4;    ///< ACT to ACT, another bank group
  double t_rrd_l_ns = 6;    ///< ACT to ACT, same bank group
  double t_faw_ns = 30;     ///< window holding at most four ACTs
  double t_rfc_ns = 260;    ///< an all-bank refresh blocks the channel this long
  double t_refi_ns = 3900;  ///< one refresh every this long
  int t_ccd_s_ck = 1;       ///< column command to column command, another bank group
  int t_ccd_l_ck = 2;       ///< ... same bank group
  int bus_turnaround_ck = 2;  ///< idle clocks on the data bus between read data and write data
  /// Which parts of a burst's address select what, most significant field first: ro (row)
  /// first, then bg (bank group), ba (bank), ch (channel), co (burst within the row) in any
  /// order. Fields are mixed-radix digits, so counts need not be powers of two.
  std::string address_mapping = "robgbachco";
  /// Requests a channel's controller holds at once: it serves any of them whose bank is
  /// ready (each bank in arrival order), so one busy bank does not hold up the others.
  int request_queue = 32;
  int write_queue = 32;  ///< writes the controller buffers per channel before writing them in a batch
  bool operator==(const Hbm2Params&) const = default;
};

struct Dram {
  std::int64_t bandwidth_bytes_per_s = 0;  ///< the peak; the hbm2 model reaches it, never more
  int access_bits = 0;  ///< width of one access, the unit dram_access energy is charged per
  Hbm2Params hbm2;
  bool operator==(const Dram&) const = default;
};

/// How the DMA overlaps DRAM traffic with compute (docs/arch-spec.md, `dma:`; optional).
struct DmaSpec {
  int outstanding = 16;    ///< transfers the DMA may have in flight at once
  int prefetch_tiles = 2;  ///< tiles of each DRAM-fetched tensor its buffer region holds (2 = double buffering)
  bool operator==(const DmaSpec&) const = default;
};

/// How far a producer on one array may run ahead of its consumer on another (`handoff:`;
/// optional).
struct HandoffSpec {
  int tiles = 2;  ///< result tiles that may be in flight between producer and consumer
  bool operator==(const HandoffSpec&) const = default;
};

struct ArchSpec {
  std::string name;    ///< display name, e.g. "FuseMax"
  std::string source;  ///< where the numbers come from
  std::int64_t clock_hz = 0;
  int data_bytes = 0;  ///< bytes per element (2 for bf16/fp16)
  std::vector<PeArray> arrays;
  GlobalBuffer global_buffer;
  Dram dram;
  DmaSpec dma;
  HandoffSpec handoff;
  /// pJ per action; keys: an op name (mac, add, ...), dram_access (one access_bits access),
  /// buffer_read_row / buffer_write_row (one row_bits access), register_read /
  /// register_write (one word).
  std::map<std::string, double> energy_pj;
  /// µm² per unit; keys: an op name (that unit), register (one word), pe2d / pe1d (one
  /// whole PE of that role, registers included).
  std::map<std::string, double> area_um2;

  /// The first array with `role` ("2d"/"1d"), or nullptr.
  const PeArray* find_array(std::string_view role) const;
  bool operator==(const ArchSpec&) const = default;
};

/// The op names an array may list (also valid energy/area keys).
const std::vector<std::string>& known_ops();

/// Loads a spec. `path_or_name` is a path (it contains a '/' or ends in .yaml/.yml) or a bare
/// name matched case-insensitively, '-' and '_' alike, against the file stems in `arch_dir`
/// ("FuseMax" -> fusemax.yaml). Throws CascadeError with file:line:col on a YAML syntax
/// error, an unknown, repeated or missing key, a value of the wrong type or out of range, an
/// unknown op, or an inconsistency (exp without cycles, an op without an energy, ...); and
/// naming the available specs when a name matches none.
ArchSpec load_arch(const std::string& path_or_name, const std::string& arch_dir);

/// Parses spec text; `file` names it in errors.
ArchSpec parse_arch(const std::string& text, const std::string& file = "<string>");

/// The spec as YAML that parse_arch reads back to an equal spec (doubles are written in
/// their shortest round-tripping form).
std::string to_yaml(const ArchSpec& spec);

/// Where the arch files live: like einsum::default_models_dir() with workloads/arch, the
/// first that exists of $EINFUSE_DATA_DIR/workloads/arch, workloads/arch in a folder above
/// the running executable (or share/einfuse/ there), and the source tree.
std::string default_arch_dir();

}  // namespace einfuse::mapper
