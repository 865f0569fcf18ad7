// Private to config/hocon: splits HOCON text into tokens (HOCON spec, "Syntax": comments,
// whitespace, quoted, unquoted and multi-line strings, numbers, substitutions).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "config/hocon/node.hpp"

namespace jvb::hocon::detail {

enum class TokenKind {
  kEnd,
  kError,  // text is the message; the parser stops at it
  kNewline,
  kWhitespace,  // a run of non-newline whitespace; text is the run itself
  kOpenBrace,
  kCloseBrace,
  kOpenBracket,
  kCloseBracket,
  kComma,
  kColon,
  kEquals,
  kPlusEquals,
  kQuoted,    // text is the decoded string
  kUnquoted,  // text as written
  kNumber,    // text as written
  kTrue,
  kFalse,
  kNull,
  kSubstitution,  // path and optional are set
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  Path path;
  bool optional = false;
  int line = 1;
  int column = 1;
};

// Collects the pieces of a path expression (spec: "Path expressions"): '.' outside quotes
// separates elements, and an element may be empty only if it was written as a quoted "".
class PathBuilder {
 public:
  void add_unquoted(std::string_view text);
  void add_quoted(std::string_view text);
  // The finished path, or an empty path with `error` set.
  Path finish(std::string& error);

 private:
  Path segments_;
  std::string current_;
  bool has_content_ = false;
  bool bad_ = false;
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}
  Token next();

 private:
  bool at(std::size_t offset, char c) const {
    return pos_ + offset < text_.size() && text_[pos_ + offset] == c;
  }
  void advance(std::size_t n);
  std::size_t whitespace_length(std::size_t at) const;
  Token make(TokenKind kind, int line, int column) const;
  Token error(std::string message, int line, int column) const;
  Token quoted(int line, int column);
  Token triple_quoted(int line, int column);
  Token number_or_unquoted(int line, int column);
  Token unquoted(int line, int column);
  Token substitution(int line, int column);

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

// How a token is named in error messages: "end of file", "'}'", "newline", "'foo'".
std::string describe(const Token& t);

}  // namespace jvb::hocon::detail
