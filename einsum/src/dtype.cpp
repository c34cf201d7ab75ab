// Element types of cascade tensors (dtype.hpp).
#include "einfuse/einsum/dtype.hpp"

namespace einfuse::einsum {

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::fp64: return "fp64";
    case DType::fp32: return "fp32";
    case DType::bf16: return "bf16";
    case DType::fp16: return "fp16";
    case DType::i32: return "i32";
  }
  return "?";
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (DType t : {DType::fp64, DType::fp32, DType::bf16, DType::fp16, DType::i32}) {
    if (name == dtype_name(t)) return t;
  }
  return std::nullopt;
}

unsigned dtype_bytes(DType t) {
  switch (t) {
    case DType::fp64: return 8;
    case DType::fp32:
    case DType::i32: return 4;
    case DType::bf16:
    case DType::fp16: return 2;
  }
  return 0;
}

bool is_integer(DType t) { return t == DType::i32; }

}  // namespace einfuse::einsum
