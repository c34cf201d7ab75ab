// libFuzzer target for the cascade front end (docs/language.md).
// The contract under test: any input either parses into a resolved Cascade or raises a
// CascadeError; nothing else may escape (no other exception, crash, hang, or sanitizer
// report). A cascade that parses is also bound to a small shape, and every expression is
// rendered back to text, so that shape binding and to_string see fuzzed cascades too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "einfuse/einsum/cascade.hpp"
#include "einfuse/einsum/diagnostics.hpp"
#include "einfuse/einsum/parser.hpp"
#include "einfuse/einsum/shape.hpp"

namespace {

using namespace einfuse::einsum;

// Sizes for the ranks and parameters that have no default. A split rank gets a multiple
// of many small factors so that typical splits divide it.
ShapeAssignment small_shape(const Cascade& c, std::uint8_t seed) {
  ShapeAssignment shape;
  for (const Rank& r : c.ranks) {
    if (r.kind == Rank::Kind::split_part || r.default_extent) continue;
    shape[r.name] = r.parts.empty() ? 1 + (seed % 7) : 4096;
  }
  for (const Param& p : c.params) {
    if (p.definition || p.default_value) continue;
    shape[p.name] = 1 + (seed % 5);
  }
  return shape;
}

void exercise(const Cascade& c, std::uint8_t seed) {
  std::size_t chars = 0;
  for (const Einsum& e : c.einsums) {
    if (e.body) chars += to_string(c, *e.body).size();
    if (e.where) chars += to_string(c, *e.where).size();
  }
  for (const Rank& r : c.ranks) {
    if (r.split_factor) chars += to_string(c, *r.split_factor).size();
  }
  for (const Param& p : c.params) {
    if (p.definition) chars += to_string(c, *p.definition).size();
  }
  (void)chars;
  const BoundShape shape = bind_shape(c, small_shape(c, seed));
  for (const Einsum& e : c.einsums) (void)shape.elements(c, e.output);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const Cascade c = parse_cascade(text, "fuzz.ein");
    exercise(c, size > 0 ? data[0] : 0);
  } catch (const CascadeError& e) {
    // The documented failure: it must name a location inside the text when it has one.
    (void)e.what();
  }
  return 0;
}
