// fp32_to_bf16: fp32 -> bf16, round to nearest, ties to even, equal to to_bf16(double(v)) of
// the numeric library for every fp32 bit pattern: overflow to inf through the carry, gradual
// underflow (a subnormal stays subnormal), a NaN keeps its sign and top payload bits and
// becomes quiet. The operand path of a PE's bf16 multiplier. Combinational.
`default_nettype none
module fp32_to_bf16 (
    input  wire [31:0] v,
    output wire [15:0] bf16
);
  wire v_nan = (&v[30:23]) & (|v[22:0]);
  wire round_up = v[15] & (v[16] | (|v[14:0]));
  assign bf16 = v_nan ? {v[31], 8'hFF, 1'b1, v[21:16]} : {v[31], v[30:16] + {14'd0, round_up}};
endmodule
`default_nettype wire
