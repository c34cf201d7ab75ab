// pe1d: one vector PE of the 1D array (Pe1dArray, docs/rtl-arrays.md): the running state of
// one query p of the 1-pass cascade (workloads/attention/softmax_1pass.ein) and the units to
// update it, each bit-exact with the numeric library: a comparator (fp32_max = max_hw), an
// fp32 adder (add_fp32_hw), an fp32 multiplier (mul_fp32_hw), the table exp unit
// (fp32_exp = exp_hw) and the reciprocal unit (fp32_recip = recip_hw). Combinational units,
// one op per cycle, result registered at the rising edge:
//   INIT   rm <= -inf, rm_prev <= -inf, rd <= +0           (the cascade's init values)
//   RM     rm_prev <= rm, rm <= max_hw(rm, x_in)          (RM[m1+1] = max(RM[m1], LM), x_in = LM)
//   PRM    prm <= rm == -inf ? 1 : exp_hw(rm_prev - rm)   (PRM = select(RM' == -inf, 1, exp(RM - RM')))
//   RD     rd <= add(mul(prm, rd), x_in)                  (SPD = PRM*RD; RD' = SPD + SLD, x_in = SLD)
//   RECIP  rcp <= recip_hw(rd)                            (the 1/RD of AV = RNV / RD = RNV * recip(RD))
`default_nettype none
module pe1d (
    input  wire        clk,
    input  wire [2:0]  op,
    input  wire [31:0] x_in /*verilator public_flat_rd*/,  // per-instance: see pe2d.v
    output reg  [31:0] rm,
    output reg  [31:0] prm,
    output reg  [31:0] rd,
    output reg  [31:0] rcp
);
  // Simulation speed and compile time: one copy of the PE's code for all instances (pe2d.v).
  /*verilator no_inline_module*/
`include "pe1d_ops.vh"

  localparam [31:0] NEG_INF = 32'hFF80_0000;
  localparam [31:0] ONE = 32'h3F80_0000;

  reg  [31:0] rm_prev;
  wire [31:0] max_out;
  wire [31:0] product;
  wire [31:0] sum;
  wire [31:0] exp_out;
  wire [31:0] recip_out;
  wire        is_prm = (op == V_EXP_DIFF);
  wire [31:0] add_a = is_prm ? rm_prev : product;
  wire [31:0] add_b = is_prm ? {~rm[31], rm[30:0]} : x_in;
  /* verilator lint_off PINCONNECTEMPTY */
  fp32_max #(.STAGES(0)) u_max (
      .clk(clk), .rst_n(1'b1), .in_valid(1'b1), .a(rm), .b(x_in), .out_valid(), .max(max_out));
  fp32_mul #(.STAGES(0)) u_mul (
      .clk(clk), .rst_n(1'b1), .in_valid(1'b1), .a(prm), .b(rd), .out_valid(), .product(product));
  fp32_add #(.STAGES(0)) u_add (
      .clk(clk), .rst_n(1'b1), .in_valid(1'b1), .a(add_a), .b(add_b), .out_valid(), .sum(sum));
  fp32_exp #(.STAGES(0)) u_exp (
      .clk(clk), .rst_n(1'b1), .in_valid(1'b1), .x(sum), .out_valid(), .exp_x(exp_out));
  fp32_recip #(.STAGES(0)) u_recip (
      .clk(clk), .rst_n(1'b1), .in_valid(1'b1), .x(rd), .out_valid(), .recip(recip_out));
  /* verilator lint_on PINCONNECTEMPTY */

  always @(posedge clk) begin
    case (op)
      V_INIT: begin
        rm <= NEG_INF;
        rm_prev <= NEG_INF;
        rd <= 32'd0;
      end
      V_MAX_MERGE: begin
        rm_prev <= rm;
        rm <= max_out;
      end
      V_EXP_DIFF: prm <= (rm == NEG_INF) ? ONE : exp_out;
      V_SCALE_ADD: rd <= sum;
      V_RECIP: rcp <= recip_out;
      V_NOP: ;
      default: ;
    endcase
  end
endmodule
`default_nettype wire
