// Where the shipped data (workloads/: cascades, models, architectures) is found at run time.
#pragma once

#include <string>
#include <string_view>

namespace einfuse::einsum {

/// The folder workloads/<subfolder>, the first that exists of:
///   $EINFUSE_DATA_DIR/workloads/<subfolder>,
///   workloads/<subfolder> in a folder up to four levels above the running executable (a
///   build tree), or share/einfuse/workloads/<subfolder> there (an install),
///   the source tree this library was built from (EINFUSE_SOURCE_DIR).
/// Returns the last candidate when none exists, so an error names a real path.
std::string find_workloads_dir(std::string_view subfolder);

}  // namespace einfuse::einsum
