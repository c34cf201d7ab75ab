// Element types of cascade tensors.
#pragma once

#include <optional>
#include <string_view>

namespace einfuse::einsum {

enum class DType : unsigned char { fp64, fp32, bf16, fp16, i32 };

std::string_view dtype_name(DType t);
std::optional<DType> parse_dtype(std::string_view name);
/// Bytes per element in storage.
unsigned dtype_bytes(DType t);
bool is_integer(DType t);

}  // namespace einfuse::einsum
