// fp32_recip: 1/x in IEEE binary32, bit-exact with recip_hw (einfuse/einsum/numeric.hpp),
// the same op sequence as recip_hw_steps:
//   - DAZ: a subnormal input is read as zero of its sign. NaN -> canonical NaN 0x7FC00000;
//     1/+-0 = +-inf; 1/+-inf = +-0.
//   - |x| = m * 2^e, m = 1.frac in [1, 2). Seed y0 = seed[i], i = the top 6 fraction bits, from
//     the 64-entry table generated from recip_unit_constants() (fp32_recip_table.vh).
//   - Two Newton-Raphson steps y' = y * (2 - m*y), each op an fp32_mul / fp32_add instance
//     (mul_fp32_hw, add_fp32_hw: round to nearest even, FTZ), 2 - p as 2 + (-p).
//   - Result +-(y2 * 2^-e), exact exponent adjust: above FLT_MAX -> +-inf, below 2^-126 -> +-0.
// Latency STAGES cycles (0: combinational), see pipe_delay.
`default_nettype none
module fp32_recip #(
    parameter integer STAGES = 0
) (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        in_valid,
    input  wire [31:0] x,
    output wire        out_valid,
    output wire [31:0] recip
);
`include "fp32_recip_table.vh"

  localparam [31:0] TWO = 32'h4000_0000;

  wire        sign = x[31];
  wire [7:0]  x_exp = x[30:23];
  wire        x_nan = (&x_exp) & (|x[22:0]);
  wire        x_inf = (&x_exp) & ~(|x[22:0]);
  wire        x_zero = (x_exp == 8'd0);  // zero or subnormal (DAZ)

  wire [31:0] m = {9'h07F, x[22:0]};  // 1.frac, exponent field 127
  wire [31:0] y0 = recip_seed(x[22:17]);

  // Newton step 1: y1 = y0 * (2 - m*y0)
  wire [31:0] my0, d0, y1;
  wire        v_my0, v_d0, v_y1;
  fp32_mul #(.STAGES(0)) u_my0 (
      .clk(clk), .rst_n(rst_n), .in_valid(in_valid), .a(m), .b(y0),
      .out_valid(v_my0), .product(my0));
  fp32_add #(.STAGES(0)) u_d0 (
      .clk(clk), .rst_n(rst_n), .in_valid(v_my0), .a(TWO), .b({~my0[31], my0[30:0]}),
      .out_valid(v_d0), .sum(d0));
  fp32_mul #(.STAGES(0)) u_y1 (
      .clk(clk), .rst_n(rst_n), .in_valid(v_d0), .a(y0), .b(d0),
      .out_valid(v_y1), .product(y1));
  // Newton step 2: y2 = y1 * (2 - m*y1)
  wire [31:0] my1, d1, y2;
  wire        v_my1, v_d1, v_y2;
  fp32_mul #(.STAGES(0)) u_my1 (
      .clk(clk), .rst_n(rst_n), .in_valid(v_y1), .a(m), .b(y1),
      .out_valid(v_my1), .product(my1));
  fp32_add #(.STAGES(0)) u_d1 (
      .clk(clk), .rst_n(rst_n), .in_valid(v_my1), .a(TWO), .b({~my1[31], my1[30:0]}),
      .out_valid(v_d1), .sum(d1));
  fp32_mul #(.STAGES(0)) u_y2 (
      .clk(clk), .rst_n(rst_n), .in_valid(v_d1), .a(y1), .b(d1),
      .out_valid(v_y2), .product(y2));

  // y2 * 2^-e, e = x_exp - 127: biased exponent y2_exp + 127 - x_exp (10-bit two's complement)
  wire [7:0]  y2_exp = y2[30:23];
  wire [9:0]  scaled_exp = {2'b00, y2_exp} + 10'd127 - {2'b00, x_exp};
  reg  [31:0] scaled;  // scale_pow2_ftz(y2, -e)
  always @* begin
    if (y2_exp == 8'd0) scaled = {y2[31], 31'd0};
    else if (y2_exp == 8'hFF) scaled = y2;
    else if (scaled_exp[9] | (scaled_exp == 10'd0)) scaled = {y2[31], 31'd0};
    else if (scaled_exp >= 10'd255) scaled = {y2[31], 8'hFF, 23'd0};
    else scaled = {y2[31], scaled_exp[7:0], y2[22:0]};
  end

  reg [31:0] result;
  always @* begin
    if (x_nan) result = 32'h7FC0_0000;
    else if (x_zero) result = {sign, 8'hFF, 23'd0};
    else if (x_inf) result = {sign, 31'd0};
    else result = {scaled[31] ^ sign, scaled[30:0]};
  end

  pipe_delay #(.WIDTH(32), .STAGES(STAGES)) u_pipe (
      .clk(clk), .rst_n(rst_n), .in_valid(v_y2), .in_data(result),
      .out_valid(out_valid), .out_data(recip));
endmodule
`default_nettype wire
