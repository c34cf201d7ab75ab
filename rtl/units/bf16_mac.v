// bf16_mac: acc + a * b with bf16 a, b and fp32 acc, bit-exact with mac_bf16_fp32
// (einfuse/einsum/numeric.hpp): the bf16 multiplier (exact product, FTZ below 2^-126,
// inf above FLT_MAX) feeding the fp32 adder (DAZ, one rounding to nearest even, FTZ,
// canonical NaN). For a product in [2^-126, FLT_MAX], or zero, the result is acc + a*b
// rounded once. Latency STAGES cycles (0: combinational); the multiplier and adder inside
// are combinational (STAGES 0) and the registers sit at the output.
`default_nettype none
module bf16_mac #(
    parameter integer STAGES = 0
) (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        in_valid,
    input  wire [31:0] acc,
    input  wire [15:0] a,
    input  wire [15:0] b,
    output wire        out_valid,
    output wire [31:0] result
);
  wire [31:0] product;
  wire        product_valid;
  wire [31:0] sum;
  wire        sum_valid;

  bf16_mul #(.STAGES(0)) u_mul (
      .clk(clk), .rst_n(rst_n), .in_valid(in_valid), .a(a), .b(b),
      .out_valid(product_valid), .product(product));
  fp32_add #(.STAGES(0)) u_add (
      .clk(clk), .rst_n(rst_n), .in_valid(product_valid), .a(acc), .b(product),
      .out_valid(sum_valid), .sum(sum));
  pipe_delay #(.WIDTH(32), .STAGES(STAGES)) u_pipe (
      .clk(clk), .rst_n(rst_n), .in_valid(sum_valid), .in_data(sum),
      .out_valid(out_valid), .out_data(result));
endmodule
`default_nettype wire
