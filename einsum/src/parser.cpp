#include "einfuse/einsum/parser.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "resolve.hpp"
#include "syntax.hpp"

namespace einfuse::einsum {

Cascade parse_cascade(std::string_view text, std::string source_name) {
  auto source = std::make_shared<SourceText>(SourceText{std::move(source_name), std::string(text)});
  detail::SyntaxFile file = detail::parse_syntax(*source);
  return detail::resolve(source, file);
}

Cascade parse_cascade_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  // A directory opens as an empty stream on Linux: report it, not an "empty cascade".
  if (!in || std::filesystem::is_directory(path, ec)) {
    SourceText name{path, ""};
    throw CascadeError(&name, SourceLoc{}, "cannot open cascade file '" + path + "'",
                       "a readable .ein file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_cascade(text.str(), path);
}

}  // namespace einfuse::einsum
