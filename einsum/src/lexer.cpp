#include "lexer.hpp"

#include <cctype>

namespace einfuse::einsum::detail {

const char* token_description(Tok kind) {
  switch (kind) {
    case Tok::ident: return "a name";
    case Tok::integer: return "an integer";
    case Tok::real: return "a number";
    case Tok::newline: return "end of line";
    case Tok::end: return "end of file";
    case Tok::lbracket: return "'['";
    case Tok::rbracket: return "']'";
    case Tok::lparen: return "'('";
    case Tok::rparen: return "')'";
    case Tok::comma: return "','";
    case Tok::colon: return "':'";
    case Tok::assign: return "'='";
    case Tok::arrow: return "'->'";
    case Tok::plus: return "'+'";
    case Tok::minus: return "'-'";
    case Tok::star: return "'*'";
    case Tok::slash: return "'/'";
    case Tok::percent: return "'%'";
    case Tok::lt: return "'<'";
    case Tok::le: return "'<='";
    case Tok::gt: return "'>'";
    case Tok::ge: return "'>='";
    case Tok::eq: return "'=='";
    case Tok::ne: return "'!='";
    case Tok::and_: return "'&&'";
    case Tok::or_: return "'||'";
    case Tok::not_: return "'!'";
  }
  return "a token";
}

namespace {

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

}  // namespace

std::vector<Token> tokenize(const SourceText& source) {
  const std::string& s = source.text;
  std::vector<Token> out;
  std::uint32_t line = 1;
  std::size_t line_start = 0;
  std::size_t i = 0;
  auto loc_at = [&](std::size_t pos, std::size_t len) {
    return SourceLoc{line, static_cast<std::uint32_t>(pos - line_start + 1),
                     static_cast<std::uint32_t>(len == 0 ? 1 : len)};
  };
  auto push = [&](Tok kind, std::size_t pos, std::size_t len) {
    out.push_back(Token{kind, s.substr(pos, len), loc_at(pos, len)});
  };
  auto new_line = [&](std::size_t nl_pos) {
    ++line;
    line_start = nl_pos + 1;
  };
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\n') {
      if (!out.empty() && out.back().kind != Tok::newline) push(Tok::newline, i, 1);
      new_line(i);
      ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '\\') {
      // Line continuation: only spaces or a comment may follow before the newline.
      std::size_t j = i + 1;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r')) ++j;
      if (j < s.size() && s[j] == '#') {
        while (j < s.size() && s[j] != '\n') ++j;
      }
      if (j < s.size() && s[j] != '\n') {
        throw CascadeError(&source, loc_at(i, 1), "stray '\\' in the middle of a line",
                           "'\\' only at the end of a line, to continue a statement");
      }
      if (j < s.size()) new_line(j);
      i = j + 1;
      continue;
    }
    if (ident_start(c)) {
      std::size_t j = i;
      while (j < s.size() && ident_char(s[j])) ++j;
      push(Tok::ident, i, j - i);
      i = j;
      continue;
    }
    if (digit(c) || (c == '.' && i + 1 < s.size() && digit(s[i + 1]))) {
      std::size_t j = i;
      bool is_real = false;
      while (j < s.size() && digit(s[j])) ++j;
      if (j < s.size() && s[j] == '.') {
        is_real = true;
        ++j;
        while (j < s.size() && digit(s[j])) ++j;
      }
      if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
        if (k < s.size() && digit(s[k])) {
          is_real = true;
          j = k;
          while (j < s.size() && digit(s[j])) ++j;
        }
      }
      if (j < s.size() && (ident_char(s[j]) || s[j] == '.')) {  // 2x, 1e, 1.5.3
        std::size_t k = j;
        while (k < s.size() && (ident_char(s[k]) || s[k] == '.')) ++k;
        throw CascadeError(&source, loc_at(i, k - i),
                           "malformed number '" + s.substr(i, k - i) + "'",
                           "a number (64, 0.5, 1e-3) or a name that starts with a letter");
      }
      push(is_real ? Tok::real : Tok::integer, i, j - i);
      i = j;
      continue;
    }
    auto two = [&](char a, char b) { return c == a && i + 1 < s.size() && s[i + 1] == b; };
    Tok kind;
    std::size_t len = 1;
    if (two('-', '>')) { kind = Tok::arrow; len = 2; }
    else if (two('<', '=')) { kind = Tok::le; len = 2; }
    else if (two('>', '=')) { kind = Tok::ge; len = 2; }
    else if (two('=', '=')) { kind = Tok::eq; len = 2; }
    else if (two('!', '=')) { kind = Tok::ne; len = 2; }
    else if (two('&', '&')) { kind = Tok::and_; len = 2; }
    else if (two('|', '|')) { kind = Tok::or_; len = 2; }
    else {
      switch (c) {
        case '[': kind = Tok::lbracket; break;
        case ']': kind = Tok::rbracket; break;
        case '(': kind = Tok::lparen; break;
        case ')': kind = Tok::rparen; break;
        case ',': kind = Tok::comma; break;
        case ':': kind = Tok::colon; break;
        case '=': kind = Tok::assign; break;
        case '+': kind = Tok::plus; break;
        case '-': kind = Tok::minus; break;
        case '*': kind = Tok::star; break;
        case '/': kind = Tok::slash; break;
        case '%': kind = Tok::percent; break;
        case '<': kind = Tok::lt; break;
        case '>': kind = Tok::gt; break;
        case '!': kind = Tok::not_; break;
        default: {
          const unsigned char uc = static_cast<unsigned char>(c);
          std::string shown = (uc >= 0x20 && uc < 0x7f)
                                  ? std::string("'") + c + "'"
                                  : "byte 0x" + std::string(1, "0123456789abcdef"[uc >> 4]) +
                                        "0123456789abcdef"[uc & 15];
          throw CascadeError(&source, loc_at(i, 1), "unexpected character " + shown,
                             "names, numbers, operators + - * / % < <= > >= == != && || !, "
                             "brackets, ',' ':' '=' '->', or '#' for a comment");
        }
      }
    }
    push(kind, i, len);
    i += len;
  }
  if (!out.empty() && out.back().kind != Tok::newline) {
    out.push_back(Token{Tok::newline, "", loc_at(i, 1)});
  }
  out.push_back(Token{Tok::end, "", loc_at(i, 1)});
  return out;
}

}  // namespace einfuse::einsum::detail
