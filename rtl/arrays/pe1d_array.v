// pe1d_array: the 1D array (Pe1dArray, docs/rtl-arrays.md), N vector PEs (pe1d.v), one per
// query column of the 2D array: PE c holds RM, RD (and PRM, 1/RD) of query p = c. Every
// command runs on all PEs in the cycle it is given (no ready: latency 1, one per cycle):
// INIT, RM (x_in = LM from the 2D array), PRM, RD (x_in = SLD), RECIP; see pe1d.v.
`default_nettype none
module pe1d_array #(
    parameter integer N = 4
) (
    input  wire            clk,
    input  wire            cmd_valid,
    input  wire [2:0]      cmd,
    input  wire [N*32-1:0] x_in,  // fp32 per PE: LM (RM command) or SLD (RD command)
    output wire [N*32-1:0] rm,    // RM after the last RM command (RM' of the tile)
    output wire [N*32-1:0] prm,
    output wire [N*32-1:0] rd,
    output wire [N*32-1:0] rcp
);
  wire [2:0] op = cmd_valid ? cmd : 3'd0;  // V_NOP (pe1d_ops.vh)
  genvar c;
  generate
    for (c = 0; c < N; c = c + 1) begin : g_pe
      pe1d u_pe (
          .clk(clk), .op(op), .x_in(x_in[32*c +: 32]),
          .rm(rm[32*c +: 32]), .prm(prm[32*c +: 32]), .rd(rd[32*c +: 32]), .rcp(rcp[32*c +: 32]));
    end
  endgenerate
endmodule
`default_nettype wire
