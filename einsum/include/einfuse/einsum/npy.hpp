// NumPy .npy files in and out, for feeding the interpreter real tensors and handing its
// results to Python. Supported: format versions 1.0, 2.0 and 3.0; little-endian float64
// ('<f8'), float32 ('<f4') and int32 ('<i4'); C (row-major) order. Values are converted
// to and from DenseTensor's doubles (float32 is widened exactly; int32 exactly).
//
// Every failure throws CascadeError whose report starts with the file name and says what
// was wrong and what was expected (a truncated file, a big-endian or Fortran-ordered array,
// an unsupported dtype, an int32 file asked to hold a non-integer...).
#pragma once

#include <string>
#include <string_view>

#include "einfuse/einsum/dense_tensor.hpp"

namespace einfuse::einsum {

enum class NpyType { float64, float32, int32 };

/// Reads a .npy file. `stored` (optional) receives the file's element type.
DenseTensor read_npy(const std::string& path, NpyType* stored = nullptr);
/// Writes a .npy file (version 1.0 unless the header needs 2.0). float32 rounds to nearest;
/// int32 requires every value to be an integer in range (else CascadeError, nothing written).
void write_npy(const std::string& path, const DenseTensor& tensor, NpyType type = NpyType::float64);

/// The same on bytes in memory; `name` stands for the file name in error messages.
DenseTensor parse_npy(std::string_view bytes, const std::string& name, NpyType* stored = nullptr);
std::string format_npy(const DenseTensor& tensor, NpyType type, const std::string& name = "<npy>");

}  // namespace einfuse::einsum
