// pe1d: one vector PE of the 1D array (Pe1dArray, docs/rtl-arrays.md): the running state of
// one query p of the 1-pass cascade (workloads/attention/softmax_1pass.ein) and the units to
// update it, each bit-exact with the numeric library: a comparator (fp32_max = max_hw), an
// fp32 adder (add_fp32_hw), an fp32 multiplier (mul_fp32_hw), the table exp unit
// (fp32_exp = exp_hw) and the reciprocal unit (fp32_recip = recip_hw). The running numerator
// RNV[f] of every f is an F-entry register file, addressed by f_sel. Combinational units, one
// op per cycle, result registered at the rising edge:
//   INIT      rm <= -inf, rm_prev <= -inf, rd <= +0, rnv[*] <= +0   (the cascade's init values)
//   RM        rm_prev <= rm, rm <= max_hw(rm, x_in)          (RM[m1+1] = max(RM[m1], LM), x_in = LM)
//   PRM       prm <= rm == -inf ? 1 : exp_hw(rm_prev - rm)   (PRM = select(RM' == -inf, 1, exp(RM - RM')))
//   RD        rd <= add(mul(prm, rd), x_in)                  (SPD = PRM*RD; RD' = SPD + SLD, x_in = SLD)
//   RECIP     rcp <= recip_hw(rd)                            (the 1/RD of AV)
//   RNV       spnv <= mul(prm, rnv[f]); rnv[f] <= add(mul(prm, rnv[f]), x_in)
//             (SPNV[f] = PRM*RNV[f]; RNV'[f] = SPNV[f] + SLNV[f], x_in = SLNV[f]: the cascade's
//             two Einsums, each rounded to fp32, in one cycle on the multiplier and the adder,
//             as RD above; spnv only keeps the product for observation)
//   AV        av <= rd == 0 ? +0 : mul(rnv[f], rcp)         (AV[f] = select(RD == 0, 0, RNV[f] / RD)
//             with the divide as div_hw = mul_fp32_hw(a, recip_hw(b)): one reciprocal per query,
//             then one multiply per f, instead of F divides)
`default_nettype none
module pe1d #(
    parameter integer F = 4  // register-file entries: the largest F (value rank) a tile may have
) (
    input  wire        clk,
    input  wire [2:0]  op,
    input  wire [31:0] x_in /*verilator public_flat_rd*/,  // per-instance: see pe2d.v
    input  wire [$clog2(F > 1 ? F : 2)-1:0] f_sel,        // the RNV / AV command's f (< F)
    output reg  [31:0] rm,
    output reg  [31:0] prm,
    output reg  [31:0] rd,
    output reg  [31:0] rcp,
    output reg  [31:0] spnv,
    output wire [31:0] rnv_sel,  // rnv[f_sel]: the register file's read port
    output reg  [31:0] av
);
  // Simulation speed and compile time: one copy of the PE's code for all instances (pe2d.v).
  /*verilator no_inline_module*/
`include "pe1d_ops.vh"

  localparam [31:0] NEG_INF = 32'hFF80_0000;
  localparam [31:0] ONE = 32'h3F80_0000;

  reg  [31:0] rm_prev;
  reg  [31:0] rnv [0:F-1];
  wire [31:0] max_out;
  wire [31:0] product;
  wire [31:0] sum;
  wire [31:0] exp_out;
  wire [31:0] recip_out;
  wire        is_prm = (op == V_EXP_DIFF);
  wire        is_av = (op == V_NORMALIZE_ENTRY);
  assign rnv_sel = rnv[f_sel];
  // one multiplier: PRM x RD (RD), PRM x RNV[f] (RNV), RNV[f] x 1/RD (AV)
  wire [31:0] mul_a = is_av ? rcp : prm;
  wire [31:0] mul_b = (op == V_SCALE_ADD) ? rd : rnv_sel;
  wire [31:0] add_a = is_prm ? rm_prev : product;
  wire [31:0] add_b = is_prm ? {~rm[31], rm[30:0]} : x_in;
  /* verilator lint_off PINCONNECTEMPTY */
  fp32_max #(.STAGES(0)) u_max (
      .clk(clk), .rst_n(1'b1), .in_valid(1'b1), .a(rm), .b(x_in), .out_valid(), .max(max_out));
  fp32_mul #(.STAGES(0)) u_mul (
      .clk(clk), .rst_n(1'b1), .in_valid(1'b1), .a(mul_a), .b(mul_b), .out_valid(), .product(product));
  fp32_add #(.STAGES(0)) u_add (
      .clk(clk), .rst_n(1'b1), .in_valid(1'b1), .a(add_a), .b(add_b), .out_valid(), .sum(sum));
  fp32_exp #(.STAGES(0)) u_exp (
      .clk(clk), .rst_n(1'b1), .in_valid(1'b1), .x(sum), .out_valid(), .exp_x(exp_out));
  fp32_recip #(.STAGES(0)) u_recip (
      .clk(clk), .rst_n(1'b1), .in_valid(1'b1), .x(rd), .out_valid(), .recip(recip_out));
  /* verilator lint_on PINCONNECTEMPTY */

  integer entry;
  always @(posedge clk) begin
    case (op)
      V_INIT: begin
        rm <= NEG_INF;
        rm_prev <= NEG_INF;
        rd <= 32'd0;
        for (entry = 0; entry < F; entry = entry + 1) rnv[entry] <= 32'd0;
      end
      V_MAX_MERGE: begin
        rm_prev <= rm;
        rm <= max_out;
      end
      V_EXP_DIFF: prm <= (rm == NEG_INF) ? ONE : exp_out;
      V_SCALE_ADD: rd <= sum;
      V_RECIP: rcp <= recip_out;
      V_SCALE_ADD_ENTRY: begin
        spnv <= product;
        rnv[f_sel] <= sum;
      end
      // RD == 0 is the interpreter's exact compare (either zero); RD is never subnormal (the
      // adder flushes its results), so no DAZ question arises
      V_NORMALIZE_ENTRY: av <= (rd[30:0] == 31'd0) ? 32'd0 : product;
      V_NOP: ;
      default: ;
    endcase
  end
endmodule
`default_nettype wire
