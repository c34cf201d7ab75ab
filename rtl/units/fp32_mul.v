// fp32_mul: a * b in IEEE binary32, bit-exact with mul_fp32_hw (einfuse/einsum/numeric.hpp).
// A shared submodule of fp32_exp and fp32_recip (every mul_fp32_hw of their models).
//   - DAZ: a subnormal input is read as zero of its sign.
//   - The exact 48-bit significand product is rounded to 24 bits, nearest even, as if the
//     exponent range were unbounded; a rounded magnitude above FLT_MAX is +-inf, one below
//     2^-126 is zero of the product's sign (FTZ).
//   - NaN input or inf x 0 -> canonical NaN 0x7FC00000; inf x nonzero -> +-inf;
//     zero x finite -> zero with sign a.sign ^ b.sign.
// Latency STAGES cycles (0: combinational), see pipe_delay.
`default_nettype none
module fp32_mul #(
    parameter integer STAGES = 0
) (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        in_valid,
    input  wire [31:0] a,
    input  wire [31:0] b,
    output wire        out_valid,
    output wire [31:0] product
);
  wire a_exp_ones = &a[30:23];
  wire b_exp_ones = &b[30:23];
  wire a_nan = a_exp_ones & (|a[22:0]);
  wire b_nan = b_exp_ones & (|b[22:0]);
  wire a_inf = a_exp_ones & ~(|a[22:0]);
  wire b_inf = b_exp_ones & ~(|b[22:0]);
  wire a_zero = (a[30:23] == 8'd0);  // zero or subnormal (DAZ)
  wire b_zero = (b[30:23] == 8'd0);
  wire sign = a[31] ^ b[31];

  // significands 1.f: product in [2^46, 2^48), exact
  wire [47:0] man_product = {1'b1, a[22:0]} * {1'b1, b[22:0]};
  wire        carry = man_product[47];
  wire [22:0] keep = carry ? man_product[46:24] : man_product[45:23];  // hidden bit dropped
  wire        guard = carry ? man_product[23] : man_product[22];
  wire        sticky = carry ? (|man_product[22:0]) : (|man_product[21:0]);
  wire        round_up = guard & (sticky | keep[0]);
  wire [23:0] rounded = {1'b0, keep} + {23'd0, round_up};
  wire        round_carry = rounded[23];  // 1.111..1 + ulp = 10.000..0: fraction 0, exponent + 1
  wire [22:0] frac = rounded[22:0];
  // biased exponent, 10-bit two's complement: ea + eb - 127 + carries, in [-125, 383]
  wire [9:0]  exp_sum = {2'b00, a[30:23]} + {2'b00, b[30:23]} - 10'd127
                        + {9'd0, carry} + {9'd0, round_carry};
  wire        underflow = exp_sum[9] | (exp_sum == 10'd0);
  wire        overflow = ~exp_sum[9] & (exp_sum >= 10'd255);

  reg [31:0] result;
  always @* begin
    if (a_nan | b_nan | (a_inf & b_zero) | (b_inf & a_zero)) result = 32'h7FC0_0000;
    else if (a_inf | b_inf) result = {sign, 8'hFF, 23'd0};
    else if (a_zero | b_zero) result = {sign, 31'd0};
    else if (overflow) result = {sign, 8'hFF, 23'd0};
    else if (underflow) result = {sign, 31'd0};
    else result = {sign, exp_sum[7:0], frac};
  end

  pipe_delay #(.WIDTH(32), .STAGES(STAGES)) u_pipe (
      .clk(clk), .rst_n(rst_n), .in_valid(in_valid), .in_data(result),
      .out_valid(out_valid), .out_data(product));
endmodule
`default_nettype wire
