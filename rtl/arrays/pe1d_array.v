// pe1d_array: the 1D array (Pe1dArray, docs/rtl-arrays.md), N vector PEs (pe1d.v), one per
// query column of the 2D array: PE c holds RM, RD, PRM, 1/RD and the F running numerators
// RNV[f] of query p = c. Every command runs on all PEs in the cycle it is given (no ready:
// latency 1, one per cycle): INIT, RM (x_in = LM from the 2D array), PRM, RD (x_in = SLD),
// RECIP, RNV for one f (x_in = SLNV[f], as the 2D array's SLNV stream delivers it, one f per
// cycle), AV for one f; see pe1d.v. f_sel names the f of RNV and AV.
`default_nettype none
module pe1d_array #(
    parameter integer N = 4,
    parameter integer F = 4  // RNV entries per PE: the largest F of a tile
) (
    input  wire            clk,
    input  wire            cmd_valid,
    input  wire [2:0]      cmd,
    input  wire [N*32-1:0] x_in,   // fp32 per PE: LM (RM), SLD (RD) or SLNV[f] (RNV)
    input  wire [$clog2(F > 1 ? F : 2)-1:0] f_sel,  // f of RNV and AV (< F)
    output wire [N*32-1:0] rm,     // RM after the last RM command (RM' of the tile)
    output wire [N*32-1:0] prm,
    output wire [N*32-1:0] rd,
    output wire [N*32-1:0] rcp,
    output wire [N*32-1:0] spnv,   // SPNV[f] of the last RNV command (observation)
    output wire [N*32-1:0] rnv,    // RNV[f_sel] (the register files' read port)
    output wire [N*32-1:0] av,     // AV[f] of the last AV command, fp32 (the Einsum's acc)
    output wire [N*16-1:0] av_bf16 // the same rounded to bf16, AV's storage format in the cascade
);
  wire [2:0] op = cmd_valid ? cmd : 3'd0;  // V_NOP (pe1d_ops.vh)
  genvar c;
  generate
    for (c = 0; c < N; c = c + 1) begin : g_pe
      pe1d #(.F(F)) u_pe (
          .clk(clk), .op(op), .x_in(x_in[32*c +: 32]), .f_sel(f_sel),
          .rm(rm[32*c +: 32]), .prm(prm[32*c +: 32]), .rd(rd[32*c +: 32]), .rcp(rcp[32*c +: 32]),
          .spnv(spnv[32*c +: 32]), .rnv_sel(rnv[32*c +: 32]), .av(av[32*c +: 32]));
      fp32_to_bf16 u_av_bf16 (.v(av[32*c +: 32]), .bf16(av_bf16[16*c +: 16]));
    end
  endgenerate
endmodule
`default_nettype wire
