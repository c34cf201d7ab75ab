// Tokens of the cascade language (internal to the einsum library).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "einfuse/einsum/diagnostics.hpp"

namespace einfuse::einsum::detail {

enum class Tok {
  ident, integer, real, newline, end,
  lbracket, rbracket, lparen, rparen, comma, colon, assign, arrow,
  plus, minus, star, slash, percent,
  lt, le, gt, ge, eq, ne, and_, or_, not_,
};

struct Token {
  Tok kind = Tok::end;
  std::string text;
  SourceLoc loc;
};

const char* token_description(Tok kind);

/// Splits a source text into tokens. Comments are dropped; a `\` before a newline joins
/// lines; blank lines give no newline token. Throws CascadeError on a stray character.
std::vector<Token> tokenize(const SourceText& source);

}  // namespace einfuse::einsum::detail
