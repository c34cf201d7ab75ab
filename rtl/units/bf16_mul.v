// bf16_mul: bf16 x bf16 -> fp32, bit-exact with mul_fp32_hw(float(a), float(b)), the
// multiplier stage of mac_bf16_fp32 (einfuse/einsum/numeric.hpp).
//   - DAZ: a subnormal bf16 input is read as zero of its sign.
//   - The product of two 8-bit significands has at most 16 bits, so it is exact in fp32:
//     there is no rounding. A product below 2^-126 is zero of the product's sign (FTZ); one
//     above FLT_MAX is +-inf.
//   - NaN input, or inf x 0, gives the canonical NaN 0x7FC00000; inf x finite nonzero is +-inf;
//     any zero (or flushed subnormal) x finite is zero with sign a.sign ^ b.sign.
// Latency STAGES cycles (0: combinational), see pipe_delay.
`default_nettype none
module bf16_mul #(
    parameter integer STAGES = 0
) (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        in_valid,
    input  wire [15:0] a,
    input  wire [15:0] b,
    output wire        out_valid,
    output wire [31:0] product
);
  wire a_exp_ones = &a[14:7];
  wire b_exp_ones = &b[14:7];
  wire a_nan = a_exp_ones & (|a[6:0]);
  wire b_nan = b_exp_ones & (|b[6:0]);
  wire a_inf = a_exp_ones & ~(|a[6:0]);
  wire b_inf = b_exp_ones & ~(|b[6:0]);
  wire a_zero = (a[14:7] == 8'd0);  // zero or subnormal (DAZ)
  wire b_zero = (b[14:7] == 8'd0);
  wire sign = a[15] ^ b[15];

  // significands 1.f, product in [1, 4) as a 16-bit integer with 14 fraction bits
  wire [15:0] man_product = {1'b1, a[6:0]} * {1'b1, b[6:0]};
  wire        carry = man_product[15];
  wire [14:0] frac = carry ? man_product[14:0] : {man_product[13:0], 1'b0};
  wire [9:0]  exp_sum = {2'b00, a[14:7]} + {2'b00, b[14:7]} - 10'd127 + {9'd0, carry};
  wire        underflow = exp_sum[9] | (exp_sum == 10'd0);
  wire        overflow = ~exp_sum[9] & (exp_sum >= 10'd255);

  reg [31:0] result;
  always @* begin
    if (a_nan | b_nan | (a_inf & b_zero) | (b_inf & a_zero)) result = 32'h7FC0_0000;
    else if (a_inf | b_inf) result = {sign, 8'hFF, 23'd0};
    else if (a_zero | b_zero) result = {sign, 31'd0};
    else if (overflow) result = {sign, 8'hFF, 23'd0};
    else if (underflow) result = {sign, 31'd0};
    else result = {sign, exp_sum[7:0], frac, 8'd0};
  end

  pipe_delay #(.WIDTH(32), .STAGES(STAGES)) u_pipe (
      .clk(clk), .rst_n(rst_n), .in_valid(in_valid), .in_data(result),
      .out_valid(out_valid), .out_data(product));
endmodule
`default_nettype wire
