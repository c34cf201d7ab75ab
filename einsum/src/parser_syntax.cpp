// Recursive-descent parser: tokens -> syntax tree. Names are resolved in resolve.cpp.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "lexer.hpp"
#include "syntax.hpp"

namespace einfuse::einsum::detail {
namespace {

class Parser {
 public:
  explicit Parser(const SourceText& source) : source_(source), tokens_(tokenize(source)) {}

  SyntaxFile parse_file() {
    SyntaxFile file;
    while (peek().kind != Tok::end) {
      if (peek().kind == Tok::newline) {
        next();
        continue;
      }
      file.statements.push_back(statement());
      if (peek().kind != Tok::newline && peek().kind != Tok::end) {
        fail(peek(), "unexpected " + describe(peek()) + " after the statement",
             "end of line (one statement per line; '\\' continues a line)");
      }
    }
    return file;
  }

 private:
  const Token& peek(std::size_t ahead = 0) const {
    const std::size_t i = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  const Token& next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool accept(Tok kind) {
    if (peek().kind != kind) return false;
    next();
    return true;
  }
  bool peek_keyword(std::string_view word, std::size_t ahead = 0) const {
    return peek(ahead).kind == Tok::ident && peek(ahead).text == word;
  }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::ident: return "name '" + t.text + "'";
      case Tok::integer:
      case Tok::real: return "number " + t.text;
      case Tok::newline: return "end of line";
      case Tok::end: return "end of file";
      default: return "'" + t.text + "'";
    }
  }
  [[noreturn]] void fail(const Token& t, const std::string& message, const std::string& expected) {
    throw CascadeError(&source_, t.loc, message, expected);
  }
  const Token& expect(Tok kind, const std::string& what) {
    if (peek().kind != kind) {
      fail(peek(), "expected " + what + ", found " + describe(peek()), what);
    }
    return next();
  }
  NameRef name(const std::string& what) {
    const Token& t = expect(Tok::ident, what);
    return NameRef{t.text, t.loc};
  }

  // The value of a number token. std::stod would throw std::out_of_range for 1e999.
  double number_value(const Token& t) {
    double v = 0.0;
    const char* first = t.text.data();
    const char* last = first + t.text.size();
    const auto [end, ec] = std::from_chars(first, last, v);
    if (ec != std::errc() || end != last || !std::isfinite(v)) {
      fail(t, "number " + t.text + " is out of range", "a number between 1e-308 and 1e308 in magnitude, 0, or inf");
    }
    return v;
  }

  // The exact value of an integer token: at most 2^63 - 1, or 2^63 when `negative` (the
  // token follows a unary minus, so -9223372036854775808 is representable).
  std::int64_t integer_value(const Token& t, bool negative) {
    std::uint64_t v = 0;
    const char* first = t.text.data();
    const char* last = first + t.text.size();
    const auto [end, ec] = std::from_chars(first, last, v);
    constexpr std::uint64_t kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (ec != std::errc() || end != last || v > kMax + (negative ? 1 : 0)) {
      fail(t, "integer " + t.text + " is too large",
           negative ? "an integer of at most 2^63 in magnitude" : "an integer below 2^63");
    }
    if (negative) return v == kMax + 1 ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(v);
    return static_cast<std::int64_t>(v);
  }
  // A literal node for an integer token (negated when it follows a unary minus).
  SyntaxExprPtr integer_node(const Token& t, bool negative) {
    auto e = make(SyntaxExpr::Kind::number, t.text, t.loc);
    e->integer = integer_value(t, negative);
    e->value = static_cast<double>(e->integer);
    e->is_integer = true;
    return e;
  }

  std::pair<double, SourceLoc> number_literal(const std::string& what) {
    SourceLoc loc = peek().loc;
    bool negative = false;
    while (accept(Tok::minus)) negative = !negative;
    const SourceLoc value_loc = peek().loc;
    double v;
    if (peek().kind == Tok::integer || peek().kind == Tok::real) {
      v = number_value(next());
    } else if (peek_keyword("inf")) {
      next();
      v = INFINITY;
    } else {
      fail(peek(), "expected " + what + ", found " + describe(peek()), what);
    }
    if (value_loc.line == loc.line) loc.length = value_loc.col + value_loc.length - loc.col;  // '-inf'
    return {negative ? -v : v, loc};
  }

  long long integer_literal(const std::string& what) {
    const Token& t = peek();
    if (t.kind != Tok::integer) fail(t, "expected " + what + ", found " + describe(t), what);
    next();
    try {
      return std::stoll(t.text);
    } catch (const std::exception&) {
      fail(t, "integer " + t.text + " is too large", "an integer below 2^63");
    }
  }

  Statement statement() {
    const Token& first = peek();
    Statement st;
    st.loc = first.loc;
    if (first.kind != Tok::ident) {
      fail(first, "expected a statement, found " + describe(first),
           "a declaration (cascade, batch, rank, split, param, let, input, output, tensor, "
           "default) or an Einsum 'OUT[i,j] = ...'");
    }
    // A keyword followed by '[' or '=' is an Einsum assigning a tensor of that name, which
    // resolve.cpp rejects with a clearer message than a syntax error would give.
    const bool einsum_like = peek(1).kind == Tok::lbracket || peek(1).kind == Tok::assign;
    const std::string& w = first.text;
    if (!einsum_like) {
      if (w == "cascade") { next(); st.kind = Statement::Kind::cascade; st.name = name("a cascade name"); return st; }
      if (w == "batch" || w == "rank") {
        next();
        st.kind = w == "batch" ? Statement::Kind::batch : Statement::Kind::rank;
        do {
          RankItem item{name("a rank name"), std::nullopt};
          if (accept(Tok::assign)) item.extent = integer_literal("the rank's default extent");
          st.items.push_back(std::move(item));
        } while (accept(Tok::comma));
        return st;
      }
      if (w == "param") {
        next();
        st.kind = Statement::Kind::param;
        do {
          RankItem item{name("a parameter name"), std::nullopt};
          if (accept(Tok::assign)) item.extent = integer_literal("the parameter's default value");
          st.items.push_back(std::move(item));
        } while (accept(Tok::comma));
        return st;
      }
      if (w == "let") {
        next();
        st.kind = Statement::Kind::let;
        st.name = name("a parameter name");
        expect(Tok::assign, "'='");
        st.value = expr();
        return st;
      }
      if (w == "split") {
        next();
        st.kind = Statement::Kind::split;
        st.name = name("the rank to split");
        expect(Tok::arrow, "'->'");
        do st.parts.push_back(name("a part rank name")); while (accept(Tok::comma));
        if (!peek_keyword("by")) fail(peek(), "expected 'by' and the split factor, found " + describe(peek()), "'by' followed by the inner part sizes, e.g. 'by 256'");
        next();
        do st.factors.push_back(expr()); while (accept(Tok::comma));
        return st;
      }
      if (w == "input" || w == "output" || w == "tensor") {
        next();
        st.kind = w == "input" ? Statement::Kind::input
                  : w == "output" ? Statement::Kind::output : Statement::Kind::tensor;
        st.name = name("a tensor name");
        if (st.kind != Statement::Kind::tensor && accept(Tok::lbracket)) {
          st.has_slots = true;
          if (peek().kind != Tok::rbracket) {
            do st.slots.push_back(name("an index variable")); while (accept(Tok::comma));
          }
          expect(Tok::rbracket, "']'");
        }
        if (accept(Tok::colon)) {
          st.type = type_spec();
        } else if (peek().kind == Tok::ident && !peek_keyword("default")) {
          fail(peek(), "expected ':' before the type, found " + describe(peek()),
               "': TYPE' after the tensor, e.g. ': bf16' or ': bf16 acc fp32'");
        }
        if (peek_keyword("default")) {
          next();
          st.default_value = number_literal("a default value (a number, inf or -inf)");
        }
        return st;
      }
      if (w == "default") {
        next();
        st.kind = Statement::Kind::default_type;
        if (peek().kind != Tok::colon) {
          // `default bf16 acc fp32` (the ':' is optional here)
          st.type = TypeSpec{name("a type (fp64, fp32, bf16, fp16, i32)"), std::nullopt};
          if (peek_keyword("acc")) {
            next();
            st.type->acc = name("an accumulator type");
          }
        } else {
          next();
          st.type = type_spec();
        }
        return st;
      }
    }
    return einsum();
  }

  TypeSpec type_spec() {
    TypeSpec t{name("a type (fp64, fp32, bf16, fp16, i32)"), std::nullopt};
    if (peek_keyword("acc")) {
      next();
      t.acc = name("an accumulator type (fp64, fp32, bf16, fp16, i32)");
    }
    return t;
  }

  Statement einsum() {
    Statement st;
    st.kind = Statement::Kind::einsum;
    st.loc = peek().loc;
    st.name = name("a tensor name");
    if (accept(Tok::lbracket)) {
      st.lhs_brackets = true;
      if (peek().kind != Tok::rbracket) {
        do {
          LhsIndex idx{name("an index variable"), false};
          if (peek().kind == Tok::plus) {
            const Token& plus = next();
            const Token& one = peek();
            if (one.kind != Tok::integer || one.text != "1") {
              fail(one.kind == Tok::newline ? plus : one,
                   "an iterative index on the left side must be written '" + idx.var.name + "+1'",
                   "'+1' (the next slice of an iterative rank)");
            }
            next();
            idx.plus_one = true;
          } else if (peek().kind == Tok::assign || peek().kind == Tok::newline) {
            fail(peek(), "expected ']' closing the left side, found " + describe(peek()),
                 "']' after the left-side index variables");
          } else if (peek().kind != Tok::comma && peek().kind != Tok::rbracket) {
            fail(peek(), "left-side index must be a plain index variable, found " + describe(peek()),
                 "an index variable, optionally followed by '+1'");
          }
          st.lhs.push_back(std::move(idx));
        } while (accept(Tok::comma));
      }
      expect(Tok::rbracket, "']' closing the left side");
    }
    expect(Tok::assign, "'=' after the left side");
    rhs(st);
    if (peek_keyword("where")) {
      next();
      st.where = expr();
    }
    if (peek_keyword("init")) {
      const SourceLoc keyword = next().loc;
      st.init = number_literal("an init value (a number, inf or -inf)");
      // Errors about the clause underline 'init V', starting at the keyword.
      SourceLoc& loc = st.init->second;
      if (loc.line == keyword.line) loc.length += loc.col - keyword.col;
      loc.col = keyword.col;
      loc.line = keyword.line;
    }
    return st;
  }

  // A reduction opens the right side: `max(m0) body`, `sum(e, m) body`,
  // `topk(c -> j) body`, `filter(m -> j) pred`. `max(a, b)` followed by an operator or the
  // end of the statement is an ordinary call.
  void rhs(Statement& st) {
    const Token& t = peek();
    if (t.kind == Tok::ident && peek(1).kind == Tok::lparen) {
      if (t.text == "topk" || t.text == "filter") {
        st.reduction = NameRef{t.text, t.loc};
        next();
        next();
        st.reduction_vars.push_back(name("the index variable to select from"));
        expect(Tok::arrow, "'->' and the output slot's index variable");
        st.reduction_vars.push_back(name("the output slot's index variable"));
        expect(Tok::rparen, "')'");
        st.rhs = expr();
        return;
      }
      if (t.text == "sum" || t.text == "max" || t.text == "min") {
        // Look ahead: '(' ident {',' ident} ')' followed by the start of an operand.
        std::size_t k = 2;
        bool names_only = peek(k).kind == Tok::ident;
        while (names_only) {
          ++k;
          if (peek(k).kind == Tok::comma && peek(k + 1).kind == Tok::ident) {
            k += 1;
            continue;
          }
          names_only = peek(k).kind == Tok::rparen;
          break;
        }
        const Tok after = peek(k + 1).kind;
        const bool operand_follows = after == Tok::ident || after == Tok::integer ||
                                     after == Tok::real || after == Tok::lparen;
        if ((names_only && operand_follows && !peek_keyword("where", k + 1) &&
             !peek_keyword("init", k + 1)) ||
            t.text == "sum") {
          st.reduction = NameRef{t.text, t.loc};
          next();
          next();
          do st.reduction_vars.push_back(name("an index variable to reduce")); while (accept(Tok::comma));
          expect(Tok::rparen, "')' closing the reduced variables");
          st.rhs = expr();
          return;
        }
      }
    }
    st.rhs = expr();
  }

  SyntaxExprPtr make(SyntaxExpr::Kind kind, std::string text, SourceLoc loc) {
    auto e = std::make_unique<SyntaxExpr>();
    e->kind = kind;
    e->name = std::move(text);
    e->loc = loc;
    return e;
  }
  SyntaxExprPtr binary(const Token& op, SyntaxExprPtr a, SyntaxExprPtr b) {
    auto e = make(SyntaxExpr::Kind::binary, op.text, op.loc);
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return e;
  }

  // Nesting limit: every '(' / index list / call argument, unary operator and operator of a
  // chain (a + b + c ...) counts one level, so the syntax tree stays shallow enough for the
  // recursive resolver, analyses and interpreter (and for this parser's own stack).
  static constexpr int kMaxNesting = 200;
  class Nesting {
   public:
    explicit Nesting(Parser& p) : p_(p), saved_(p.nesting_) {}
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;
    ~Nesting() { p_.nesting_ = saved_; }
    void deeper(const Token& at) {
      if (++p_.nesting_ > kMaxNesting) {
        p_.fail(at, "expression nested too deeply (more than " + std::to_string(kMaxNesting) +
                        " levels of brackets, operators or calls)",
                "a shorter expression; split it into several Einsums");
      }
    }

   private:
    Parser& p_;
    int saved_;
  };

  SyntaxExprPtr expr() {
    Nesting level(*this);
    level.deeper(peek());
    return or_expr();
  }
  bool at_or() const { return peek().kind == Tok::or_ || peek_keyword("or"); }
  bool at_and() const { return peek().kind == Tok::and_ || peek_keyword("and"); }
  SyntaxExprPtr or_expr() {
    auto a = and_expr();
    Nesting chain(*this);
    while (at_or()) {
      chain.deeper(peek());
      Token op = next();
      op.text = "||";
      a = binary(op, std::move(a), and_expr());
    }
    return a;
  }
  SyntaxExprPtr and_expr() {
    auto a = not_expr();
    Nesting chain(*this);
    while (at_and()) {
      chain.deeper(peek());
      Token op = next();
      op.text = "&&";
      a = binary(op, std::move(a), not_expr());
    }
    return a;
  }
  SyntaxExprPtr not_expr() {
    if (peek().kind == Tok::not_ || peek_keyword("not")) {
      Nesting level(*this);
      level.deeper(peek());
      const Token& op = next();
      auto e = make(SyntaxExpr::Kind::unary, "!", op.loc);
      e->args.push_back(not_expr());
      return e;
    }
    return compare();
  }
  SyntaxExprPtr compare() {
    auto a = sum();
    switch (peek().kind) {
      case Tok::lt: case Tok::le: case Tok::gt: case Tok::ge: case Tok::eq: case Tok::ne: {
        const Token& op = next();
        a = binary(op, std::move(a), sum());
        if (peek().kind == Tok::lt || peek().kind == Tok::le || peek().kind == Tok::gt ||
            peek().kind == Tok::ge || peek().kind == Tok::eq || peek().kind == Tok::ne) {
          fail(peek(), "comparisons do not chain", "'&&' between two comparisons, e.g. 'a <= m && m <= b'");
        }
        return a;
      }
      default: return a;
    }
  }
  SyntaxExprPtr sum() {
    auto a = term();
    Nesting chain(*this);
    while (peek().kind == Tok::plus || peek().kind == Tok::minus) {
      chain.deeper(peek());
      const Token& op = next();
      a = binary(op, std::move(a), term());
    }
    return a;
  }
  SyntaxExprPtr term() {
    auto a = unary();
    Nesting chain(*this);
    while (peek().kind == Tok::star || peek().kind == Tok::slash || peek().kind == Tok::percent) {
      chain.deeper(peek());
      const Token& op = next();
      a = binary(op, std::move(a), unary());
    }
    return a;
  }
  SyntaxExprPtr unary() {
    if (peek().kind == Tok::minus) {
      Nesting level(*this);
      level.deeper(peek());
      const Token& op = next();
      SyntaxExprPtr operand;
      if (peek().kind == Tok::integer) {
        // -N folds to a literal directly, so -9223372036854775808 (-2^63) is representable.
        operand = integer_node(next(), true);
      } else {
        operand = unary();
        if (operand->kind == SyntaxExpr::Kind::number) {  // fold --3, -inf into literals
          if (operand->is_integer) {
            if (operand->integer == std::numeric_limits<std::int64_t>::min()) {
              throw CascadeError(&source_, operand->loc, "integer 9223372036854775808 is too large",
                                 "an integer below 2^63");
            }
            operand->integer = -operand->integer;
          }
          operand->value = -operand->value;
        }
      }
      if (operand->kind == SyntaxExpr::Kind::number) {
        if (operand->loc.line == op.loc.line) operand->loc.length += operand->loc.col - op.loc.col;
        operand->loc.col = op.loc.col;
        operand->loc.line = op.loc.line;
        return operand;
      }
      auto e = make(SyntaxExpr::Kind::unary, "-", op.loc);
      e->args.push_back(std::move(operand));
      return e;
    }
    return primary();
  }
  SyntaxExprPtr primary() {
    const Token& t = peek();
    switch (t.kind) {
      case Tok::integer: return integer_node(next(), false);
      case Tok::real: {
        next();
        auto e = make(SyntaxExpr::Kind::number, t.text, t.loc);
        e->value = number_value(t);
        return e;
      }
      case Tok::lparen: {
        next();
        auto e = expr();
        expect(Tok::rparen, "')'");
        return e;
      }
      case Tok::ident: {
        next();
        if (t.text == "inf") {
          auto e = make(SyntaxExpr::Kind::number, t.text, t.loc);
          e->value = INFINITY;
          return e;
        }
        if (accept(Tok::lbracket)) {
          auto e = make(SyntaxExpr::Kind::index, t.text, t.loc);
          if (peek().kind != Tok::rbracket) {
            do e->args.push_back(expr()); while (accept(Tok::comma));
          }
          expect(Tok::rbracket, "']' closing the index list of '" + t.text + "'");
          return e;
        }
        if (accept(Tok::lparen)) {
          auto e = make(SyntaxExpr::Kind::call, t.text, t.loc);
          if (peek().kind != Tok::rparen) {
            do e->args.push_back(expr()); while (accept(Tok::comma));
          }
          expect(Tok::rparen, "')' closing the arguments of '" + t.text + "'");
          if (peek().kind == Tok::ident && (t.text == "max" || t.text == "min" || t.text == "sum") &&
              !peek_keyword("where") && !peek_keyword("init") && !peek_keyword("and") && !peek_keyword("or")) {
            fail(peek(), "a reduction like '" + t.text + "(...) X' may only open the right side",
                 "write the reduction as its own Einsum, or an operator after ')'");
          }
          return e;
        }
        return make(SyntaxExpr::Kind::name, t.text, t.loc);
      }
      default:
        fail(t, "expected an operand, found " + describe(t),
             "a number, a name, a tensor read X[...], a function call f(...) or '('");
    }
  }

  const SourceText& source_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  int nesting_ = 0;
};

}  // namespace

SyntaxFile parse_syntax(const SourceText& source) { return Parser(source).parse_file(); }

}  // namespace einfuse::einsum::detail
