// pe2d_array: the 2D array (Pe2dArray, docs/rtl-arrays.md), N x N PEs (pe2d.v), bound as
// FuseMax binds the 1-pass cascade (workloads/attention/softmax_1pass.ein) with a tile of
// M0 = N keys: output-stationary QK with column c = query p, row r = key m0; column reduction
// chains for LM (max) and SLD (sum); SLN = exp(QK - RM') on every PE; SLNV = SLN x V as a
// pipelined (systolic) column chain, one f per cycle. RM' itself is computed by the 1D array
// (pe1d_array.v) and comes in on rm_col; SLNV goes out on col_out to the 1D array (RNV).
//
// Interface: a command is accepted in a cycle with cmd_valid & cmd_ready; it is registered
// together with q_col, k_row, rm_col and stream_len, and runs in the L cycles after that.
// cmd_ready is high again in the command's last running cycle, so commands run back to back (a
// new command every L cycles); the results are visible from the cycle after the last running
// one. L per command:
//   QK_FIRST  1   first beat of a QK tile: PE(r,c).acc = 0 + Q[0,c]*K[0,r]
//   QK        1   further beats, e = 1 .. E-1: acc += Q[e,c]*K[e,r]; a QK tile is E beats
//   LM        N   column max chain, row 0 first: col_out[c] = max over rows of acc
//   SLN       8   EXP_ON_MAC = 1: 1 SUB + 7 MAC-unit steps (6 MAC + 1 ADD): acc = exp(acc - RM')
//             2   EXP_ON_MAC = 0: SUB, then a table exp unit per PE
//   SLD       N   column sum chain, row 0 first: col_out[c] = ((0 + acc_0) + acc_1) + ...
//   SLNV      F + N - 1, F = stream_len (registered at accept, 1 .. 255): column sums of
//             bf16(acc) x V[f, r], row 0 first from +0 (one MAC per row), for f = 0 .. F-1.
//             v_row carries V[f, .] in cycle accept + f (f = 0 with the command); row r adds
//             its product to the partial sum of f from row r - 1 in running cycle f + r (the
//             chain is pipelined: row r's red is its stage register, and V[f, r] reaches row r
//             through r skew registers), so SLNV[f, c] is on col_out in cycle
//             accept + N + 1 + f: F values on consecutive cycles, the last one visible after
//             the command ends (busy F + N - 1: F entering, N - 1 to drain).
// col_out is the bottom row's reduction register (LM after LM, SLD after SLD, SLNV[f] in the
// cycles above; it changes while they run). pe_value is every PE's acc (row-major, PE (r, c)
// at r*N + c): QK after the QK beats, SLN after SLN -- an observation port for tests (hardware
// would drain it over the chains). The chains run row 0 -> N-1, ascending key order, the
// interpreter's reduction order, so the sums are bit-identical to it. Synchronous active-low
// reset (control state only). N <= 255.
`default_nettype none
module pe2d_array #(
    parameter integer N = 4,
    parameter integer EXP_ON_MAC = 1
) (
    input  wire              clk,
    input  wire              rst_n,
    input  wire              cmd_valid,
    input  wire [2:0]        cmd,       // pe2d_cmds.vh
    output wire              cmd_ready,
    input  wire [N*16-1:0]   q_col,     // bf16 Q[e, p = c], column c at [16c +: 16]
    input  wire [N*16-1:0]   k_row,     // bf16 K[e, m0 = r], row r at [16r +: 16]
    input  wire [N*32-1:0]   rm_col,    // fp32 RM'[p = c]
    input  wire [N*16-1:0]   v_row,     // bf16 V[f, m0 = r], row r at [16r +: 16]; one f a cycle
    input  wire [7:0]        stream_len,  // F, the number of v_row cycles of SLNV (1 .. 255)
    output wire [N*32-1:0]   col_out,   // fp32 LM[c], SLD[c] or SLNV[f, c]
    output wire [N*N*32-1:0] pe_value   // fp32 acc of PE (r, c) at [32(rN + c) +: 32]
);
`include "pe2d_ops.vh"
`include "pe2d_cmds.vh"

  // --- controller ---------------------------------------------------------------------------
  // An accepted command is registered with its operands, so the PEs read registers only: a
  // simulator evaluates their logic once per cycle, not again whenever an input port changes.
  // count is 9 bits: SLNV runs up to 255 + N - 1 cycles.
  localparam [8:0] SLN_LAST = (EXP_ON_MAC != 0) ? 9'd7 : 9'd1;  // SUB, then exp steps 0..6 (or 1)
  localparam [8:0] CHAIN_LAST = {1'b0, N[7:0]} - 9'd1;           // rows 0..N-1
  reg             active;  // a command runs this cycle
  reg  [2:0]      phase;   // that command
  reg  [8:0]      count;   // its running cycle, from 0
  reg  [8:0]      stream_last;  // SLNV's last running cycle, F + N - 2
  reg  [N*16-1:0] q_q;
  reg  [N*16-1:0] k_q;
  reg  [N*32-1:0] rm_q;
  reg  [N*16-1:0] v_q;     // v_row of the previous cycle: V[f, .] for row 0 in running cycle f
  wire            chain = (phase == CMD_MAX_REDUCE) | (phase == CMD_SUM_REDUCE);
  wire            last = (phase == CMD_SUB_EXP) ? (count == SLN_LAST) :
                         chain ? (count == CHAIN_LAST) :
                         (phase == CMD_MAC_SUM_STREAM) ? (count == stream_last) : 1'b1;
  wire            accept = cmd_valid & cmd_ready;
  assign cmd_ready = ~active | last;
  always @(posedge clk) begin
    if (!rst_n) begin
      active <= 1'b0;
      phase <= CMD_NOP;
      count <= 9'd0;
    end else if (accept) begin
      active <= 1'b1;
      phase <= cmd;
      count <= 9'd0;
    end else begin
      active <= active & ~last;
      count <= count + 9'd1;
    end
    if (accept) begin
      q_q <= q_col;
      k_q <= k_row;
      rm_q <= rm_col;
      stream_last <= {1'b0, stream_len} + {1'b0, N[7:0]} - 9'd2;
    end
    // v_row streams for F cycles after SLNV is accepted, so it is registered every cycle (a
    // register enable would only save power)
    v_q <= v_row;
  end

  reg [2:0] pe_op;
  always @* begin
    if (!active) pe_op = PE_NOP;
    else begin
      case (phase)
        CMD_MAC_FIRST: pe_op = PE_MAC_FIRST;
        CMD_MAC:       pe_op = PE_MAC;
        CMD_MAX_REDUCE:       pe_op = PE_MAX;
        CMD_SUM_REDUCE:      pe_op = PE_SUM;
        CMD_SUB_EXP:      pe_op = (count == 9'd0) ? PE_SUB : PE_EXP;
        // every row runs the MAC for all F + N - 1 cycles: in its first r cycles and its last
        // N - 1 - r a row adds products of no f (stale skew registers); the row below
        // overwrites them before they reach col_out, so no per-row enable is needed
        CMD_MAC_SUM_STREAM: pe_op = PE_MAC_SUM;
        default:      pe_op = PE_NOP;
      endcase
    end
  end
  wire [2:0] exp_step = count[2:0] - 3'd1;  // SLN: exp step = running cycle - 1

  // --- SLNV's skew: V[f, r] reaches row r r cycles after row 0 -------------------------------
  wire [N*16-1:0] v_skew;  // row r's V operand, at [16r +: 16]
  genvar r, c;
  generate
    for (r = 0; r < N; r = r + 1) begin : g_skew
      if (r == 0) begin : g_direct
        assign v_skew[15:0] = v_q[15:0];
      end else if (r == 1) begin : g_one
        reg [15:0] line;
        always @(posedge clk) line <= v_q[31:16];
        assign v_skew[31:16] = line;
      end else begin : g_line
        reg [16*r-1:0] line;  // stage j (j + 1 cycles of delay) at [16j +: 16]
        always @(posedge clk) line <= {line[16*(r-1)-1:0], v_q[16*r +: 16]};
        assign v_skew[16*r +: 16] = line[16*(r-1) +: 16];
      end
    end
  endgenerate

  // --- the PEs ------------------------------------------------------------------------------
  wire [31:0] chain_identity = (pe_op == PE_MAX) ? 32'hFF80_0000 : 32'd0;  // -inf / +0
  wire [31:0] red [0:N*N-1];
  generate
    for (r = 0; r < N; r = r + 1) begin : g_row
      for (c = 0; c < N; c = c + 1) begin : g_col
        pe2d #(.EXP_ON_MAC(EXP_ON_MAC)) u_pe (
            .clk(clk), .op(pe_op), .exp_step(exp_step),
            .q_in(q_q[16*c +: 16]), .k_in(k_q[16*r +: 16]), .rm(rm_q[32*c +: 32]),
            .v_in(v_skew[16*r +: 16]),
            .red_in(r == 0 ? chain_identity : red[(r-1)*N + c]),
            .red(red[r*N + c]), .acc(pe_value[32*(r*N + c) +: 32]));
      end
    end
    for (c = 0; c < N; c = c + 1) begin : g_out
      assign col_out[32*c +: 32] = red[(N-1)*N + c];
    end
  endgenerate
endmodule
`default_nettype wire
