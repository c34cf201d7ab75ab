// The cascade language front end: text -> resolved Cascade (docs/language.md).
#pragma once

#include <string>
#include <string_view>

#include "einfuse/einsum/cascade.hpp"

namespace einfuse::einsum {

/// Parses and checks a cascade. Throws CascadeError on the first error; never returns a
/// partially checked cascade.
Cascade parse_cascade(std::string_view text, std::string source_name = "<string>");
/// Reads and parses a file; a missing file is a CascadeError too.
Cascade parse_cascade_file(const std::string& path);

}  // namespace einfuse::einsum
