// Dense tensors as the interpreter and the .npy reader/writer exchange them.
//
// A DenseTensor is a row-major array of doubles with one extent per slot. For a cascade
// tensor the slots are in the order of Tensor::ranks (batch ranks first) and an iterative
// slot has the rank's extent + 1 (slice 0 holds the `init` value). Integer (i32) tensors
// are stored as doubles too: every i32 value is exact in a double, and one element type
// keeps the interpreter's inner loops free of type dispatch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace einfuse::einsum {

struct DenseTensor {
  std::vector<std::int64_t> extents;
  std::vector<double> data;  ///< row-major: the last slot varies fastest

  DenseTensor() = default;
  explicit DenseTensor(std::vector<std::int64_t> extents_, double fill = 0.0)
      : extents(std::move(extents_)), data(element_count(extents), fill) {}

  /// Product of the extents (1 for a scalar); throws std::length_error on a negative
  /// extent or a count that does not fit in size_t.
  static std::size_t element_count(std::span<const std::int64_t> extents_) {
    std::size_t n = 1;
    for (std::int64_t e : extents_) {
      if (e < 0 || __builtin_mul_overflow(n, static_cast<std::size_t>(e), &n)) {
        throw std::length_error("tensor extents overflow or are negative");
      }
    }
    return n;
  }

  std::size_t size() const { return data.size(); }
  std::size_t rank() const { return extents.size(); }

  /// Row-major strides in elements (the last one is 1).
  std::vector<std::int64_t> strides() const {
    std::vector<std::int64_t> s(extents.size(), 1);
    for (std::size_t i = extents.size(); i-- > 1;) s[i - 1] = s[i] * extents[i];
    return s;
  }

  /// Offset of a coordinate; throws std::out_of_range when it is outside the tensor.
  std::size_t offset(std::span<const std::int64_t> index) const {
    if (index.size() != extents.size()) throw std::out_of_range("wrong number of indices");
    std::size_t off = 0;
    for (std::size_t i = 0; i < extents.size(); ++i) {
      if (index[i] < 0 || index[i] >= extents[i]) throw std::out_of_range("index out of range");
      off = off * static_cast<std::size_t>(extents[i]) + static_cast<std::size_t>(index[i]);
    }
    return off;
  }
  double& at(std::initializer_list<std::int64_t> index) {
    return data[offset(std::span<const std::int64_t>(index.begin(), index.size()))];
  }
  double at(std::initializer_list<std::int64_t> index) const {
    return data[offset(std::span<const std::int64_t>(index.begin(), index.size()))];
  }
};

/// Tensors by name (transparent comparison, so lookups take string_view).
using TensorMap = std::map<std::string, DenseTensor, std::less<>>;

}  // namespace einfuse::einsum
