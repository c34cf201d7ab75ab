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

/// A YAML file named on the command line: `name_or_path` is a path when it contains a '/'
/// or ends in .yaml/.yml; otherwise a bare name matched case-insensitively, with '-' and
/// '_' alike, against the file stems in `dir` ("BERT", "Llama3-8B" -> llama3_8b.yaml).
/// Throws CascadeError (located in the text of `option`, e.g. "--model") naming the
/// available files when nothing matches; `what` names the kind ("model", "arch spec").
std::string resolve_named_yaml(const std::string& name_or_path, const std::string& dir,
                               const std::string& option, const std::string& what);

}  // namespace einfuse::einsum
