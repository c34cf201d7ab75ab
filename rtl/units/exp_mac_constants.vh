// GENERATED from exp_mac_sequence_constants() (einsum/src/numeric_exp_mac.cpp) by
// tests/rtl/test_exp_mac_seq.cpp; do not edit. Regenerate: EINFUSE_RTL_REGEN_TABLES=1
// rtl_tests "[exp_mac_seq]". Included inside module exp_mac_seq. All bf16 multiplier operands.
localparam [15:0] EXPMAC_LOG2E = 16'h3FB9;
localparam [15:0] EXPMAC_LN2_HI = 16'h3F31;
localparam [15:0] EXPMAC_LN2_LO = 16'h3AE4;
localparam [15:0] EXPMAC_H0 = 16'h3F01;
localparam [15:0] EXPMAC_H1 = 16'h3E2B;
