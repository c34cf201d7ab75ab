// fp32_max: max(a, b) in IEEE binary32, bit-exact with max_hw (einfuse/einsum/numeric.hpp).
//   - DAZ: a subnormal input is read as zero of its sign (and returned as that zero).
//   - NaN in either input -> canonical NaN 0x7FC00000 (NaN propagates).
//   - max(-0, +0) = max(+0, -0) = +0; max(-0, -0) = -0; otherwise the larger input.
// Comparison on an order-preserving key: a non-negative x maps to x | 2^31, a negative x to
// ~x, so unsigned key order is the real order with -0 just below +0.
// Latency STAGES cycles (0: combinational), see pipe_delay.
`default_nettype none
module fp32_max #(
    parameter integer STAGES = 0
) (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        in_valid,
    input  wire [31:0] a,
    input  wire [31:0] b,
    output wire        out_valid,
    output wire [31:0] max
);
  wire [31:0] a_daz = (a[30:23] == 8'd0) ? {a[31], 31'd0} : a;
  wire [31:0] b_daz = (b[30:23] == 8'd0) ? {b[31], 31'd0} : b;
  wire a_nan = (&a[30:23]) & (|a[22:0]);
  wire b_nan = (&b[30:23]) & (|b[22:0]);
  wire [31:0] a_key = a_daz[31] ? ~a_daz : {1'b1, a_daz[30:0]};
  wire [31:0] b_key = b_daz[31] ? ~b_daz : {1'b1, b_daz[30:0]};
  wire [31:0] result = (a_nan | b_nan) ? 32'h7FC0_0000 : ((b_key > a_key) ? b_daz : a_daz);

  pipe_delay #(.WIDTH(32), .STAGES(STAGES)) u_pipe (
      .clk(clk), .rst_n(rst_n), .in_valid(in_valid), .in_data(result),
      .out_valid(out_valid), .out_data(max));
endmodule
`default_nettype wire
