// Name resolution and semantic checks (internal to the einsum library).
#pragma once

#include <memory>

#include "einfuse/einsum/cascade.hpp"
#include "syntax.hpp"

namespace einfuse::einsum::detail {

/// Resolves names and checks the cascade; throws CascadeError on the first problem.
Cascade resolve(std::shared_ptr<const SourceText> source, SyntaxFile& file);

}  // namespace einfuse::einsum::detail
