// Tokenizer for HOCON (spec sections "Comments", "Whitespace", "Unquoted strings",
// "Multi-line strings", "Substitutions", and JSON's string and number syntax). It looks at
// most three bytes ahead, as the spec intends, and reports the 1-based line and byte column
// where each token starts.
#include "config/hocon/lexer.hpp"

#include <cstdint>

#include "config/utf8.hpp"

namespace jvb::hocon::detail {

void PathBuilder::add_unquoted(std::string_view text) {
  for (char c : text) {
    if (c == '.') {
      // "a..b", ".a" and "a." have an element nobody wrote; the spec makes them errors.
      if (!has_content_) bad_ = true;
      segments_.push_back(std::move(current_));
      current_.clear();
      has_content_ = false;
    } else {
      current_ += c;
      has_content_ = true;
    }
  }
}

void PathBuilder::add_quoted(std::string_view text) {
  current_ += text;
  has_content_ = true;
}

Path PathBuilder::finish(std::string& error) {
  if (!has_content_) bad_ = true;
  segments_.push_back(std::move(current_));
  current_.clear();
  if (bad_) {
    error = "path has an empty element (write \"\" to mean an empty key)";
    return {};
  }
  return std::move(segments_);
}

namespace {

bool is_forbidden_in_unquoted(char c) {
  switch (c) {
    case '$':
    case '"':
    case '{':
    case '}':
    case '[':
    case ']':
    case ':':
    case '=':
    case ',':
    case '+':
    case '#':
    case '`':
    case '^':
    case '?':
    case '!':
    case '@':
    case '*':
    case '&':
    case '\\':
    case '\n':
      return true;
    default:
      return false;
  }
}

bool is_number_char(char c) {
  return (c >= '0' && c <= '9') || c == 'e' || c == 'E' || c == '+' || c == '-' || c == '.';
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// JSON's number grammar, except that leading zeros are tolerated as Java's parsers do.
bool is_number(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  std::size_t digits = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == digits) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t frac = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == frac) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exp = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == exp) return false;
  }
  return i == s.size();
}

}  // namespace

void Lexer::advance(std::size_t n) {
  for (std::size_t i = 0; i < n && pos_ < text_.size(); ++i, ++pos_) {
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
  }
}

// Byte length of the whitespace character at `at`, 0 if there is none there. Newline is
// not included: it is a token of its own because it separates fields and elements.
std::size_t Lexer::whitespace_length(std::size_t at) const {
  if (at >= text_.size()) return 0;
  auto b = [&](std::size_t k) -> unsigned {
    return at + k < text_.size() ? static_cast<unsigned char>(text_[at + k]) : 0u;
  };
  unsigned c = b(0);
  if (c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || (c >= 0x1C && c <= 0x1F)) {
    return 1;
  }
  if (c == 0xC2 && b(1) == 0xA0) return 2;                  // U+00A0
  if (c == 0xE1 && b(1) == 0x9A && b(2) == 0x80) return 3;  // U+1680
  if (c == 0xE2 && b(1) == 0x80 && (b(2) <= 0x8A || b(2) == 0xA8 || b(2) == 0xA9 || b(2) == 0xAF)) {
    return b(2) >= 0x80 ? 3 : 0;  // U+2000..U+202F
  }
  if (c == 0xE2 && b(1) == 0x81 && b(2) == 0x9F) return 3;  // U+205F
  if (c == 0xE3 && b(1) == 0x80 && b(2) == 0x80) return 3;  // U+3000
  if (c == 0xEF && b(1) == 0xBB && b(2) == 0xBF) return 3;  // BOM
  return 0;
}

Token Lexer::make(TokenKind kind, int line, int column) const {
  Token t;
  t.kind = kind;
  t.line = line;
  t.column = column;
  return t;
}

Token Lexer::error(std::string message, int line, int column) const {
  Token t = make(TokenKind::kError, line, column);
  t.text = std::move(message);
  return t;
}

Token Lexer::next() {
  while (true) {
    int line = line_;
    int column = column_;
    if (pos_ >= text_.size()) return make(TokenKind::kEnd, line, column);
    char c = text_[pos_];
    if (c == '\n') {
      advance(1);
      return make(TokenKind::kNewline, line, column);
    }
    if (whitespace_length(pos_) > 0) {
      std::size_t start = pos_;
      std::size_t n;
      while ((n = whitespace_length(pos_)) > 0) advance(n);
      Token t = make(TokenKind::kWhitespace, line, column);
      t.text = std::string(text_.substr(start, pos_ - start));
      return t;
    }
    if (c == '#' || (c == '/' && at(1, '/'))) {
      while (pos_ < text_.size() && text_[pos_] != '\n') advance(1);
      continue;
    }
    switch (c) {
      case '"':
        if (at(1, '"') && at(2, '"')) return triple_quoted(line, column);
        return quoted(line, column);
      case '{':
        advance(1);
        return make(TokenKind::kOpenBrace, line, column);
      case '}':
        advance(1);
        return make(TokenKind::kCloseBrace, line, column);
      case '[':
        advance(1);
        return make(TokenKind::kOpenBracket, line, column);
      case ']':
        advance(1);
        return make(TokenKind::kCloseBracket, line, column);
      case ',':
        advance(1);
        return make(TokenKind::kComma, line, column);
      case ':':
        advance(1);
        return make(TokenKind::kColon, line, column);
      case '=':
        advance(1);
        return make(TokenKind::kEquals, line, column);
      case '+':
        if (at(1, '=')) {
          advance(2);
          return make(TokenKind::kPlusEquals, line, column);
        }
        return error(
            "reserved character '+' (only '+=' is allowed; quote it to use it in a "
            "string)",
            line, column);
      case '$':
        if (at(1, '{')) return substitution(line, column);
        return error("'$' must start a substitution '${...}' (quote it to use it in a string)", line, column);
      default:
        break;
    }
    if (c == '-' || is_digit(c)) return number_or_unquoted(line, column);
    if (is_forbidden_in_unquoted(c)) {
      return error(
          std::string("reserved character '") + c + "' is not allowed in an unquoted string; quote it", line,
          column);
    }
    return unquoted(line, column);
  }
}

Token Lexer::quoted(int line, int column) {
  advance(1);
  Token t = make(TokenKind::kQuoted, line, column);
  while (true) {
    if (pos_ >= text_.size()) return error("unterminated string", line, column);
    char c = text_[pos_];
    if (c == '"') {
      advance(1);
      return t;
    }
    if (c == '\n') {
      return error(
          "unterminated string (a quoted string cannot span lines; use \"\"\" for "
          "multi-line strings)",
          line, column);
    }
    if (static_cast<unsigned char>(c) < 0x20) {
      return error("control character in a quoted string must be escaped", line_, column_);
    }
    if (c != '\\') {
      t.text += c;
      advance(1);
      continue;
    }
    int esc_line = line_;
    int esc_column = column_;
    if (pos_ + 1 >= text_.size()) return error("unterminated string", line, column);
    char e = text_[pos_ + 1];
    advance(2);
    switch (e) {
      case '"':
        t.text += '"';
        break;
      case '\\':
        t.text += '\\';
        break;
      case '/':
        t.text += '/';
        break;
      case 'b':
        t.text += '\b';
        break;
      case 'f':
        t.text += '\f';
        break;
      case 'n':
        t.text += '\n';
        break;
      case 'r':
        t.text += '\r';
        break;
      case 't':
        t.text += '\t';
        break;
      case 'u': {
        auto read_hex4 = [&](std::uint32_t& out) {
          if (pos_ + 4 > text_.size()) return false;
          out = 0;
          for (std::size_t k = 0; k < 4; ++k) {
            int h = config::hex_digit_value(text_[pos_ + k]);
            if (h < 0) return false;
            out = out * 16 + static_cast<std::uint32_t>(h);
          }
          advance(4);
          return true;
        };
        std::uint32_t unit;
        if (!read_hex4(unit)) {
          return error("invalid \\u escape (expected four hex digits)", esc_line, esc_column);
        }
        if (unit >= 0xD800 && unit <= 0xDBFF && at(0, '\\') && at(1, 'u')) {
          std::size_t save_pos = pos_;
          int save_line = line_;
          int save_column = column_;
          advance(2);
          std::uint32_t low;
          if (read_hex4(low) && low >= 0xDC00 && low <= 0xDFFF) {
            config::append_utf8(t.text, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
            break;
          }
          pos_ = save_pos;
          line_ = save_line;
          column_ = save_column;
        }
        // A lone surrogate has no UTF-8 form; the replacement character keeps the text valid.
        config::append_utf8(t.text, (unit >= 0xD800 && unit <= 0xDFFF) ? 0xFFFD : unit);
        break;
      }
      default:
        return error(std::string("invalid escape '\\") + e + "' in a quoted string", esc_line, esc_column);
    }
  }
}

// Spec, "Multi-line strings": the first run of three or more quotes closes the string, and
// quotes beyond the last three belong to it (`"""a""""` is `a"`).
Token Lexer::triple_quoted(int line, int column) {
  advance(3);
  Token t = make(TokenKind::kQuoted, line, column);
  while (pos_ < text_.size()) {
    if (text_[pos_] != '"') {
      t.text += text_[pos_];
      advance(1);
      continue;
    }
    std::size_t run = 0;
    while (pos_ + run < text_.size() && text_[pos_ + run] == '"') ++run;
    if (run >= 3) {
      t.text.append(run - 3, '"');
      advance(run);
      return t;
    }
    t.text.append(run, '"');
    advance(run);
  }
  return error("unterminated multi-line string (missing closing \"\"\")", line, column);
}

Token Lexer::number_or_unquoted(int line, int column) {
  std::size_t end = pos_;
  while (end < text_.size() && is_number_char(text_[end])) ++end;
  std::string_view run = text_.substr(pos_, end - pos_);
  if (is_number(run)) {
    Token t = make(TokenKind::kNumber, line, column);
    t.text = std::string(run);
    advance(run.size());
    return t;
  }
  // Not a number after all ("1.2.3", "2024-01-01", "-"): like Java's implementation, the
  // characters are taken as an unquoted string.
  return unquoted(line, column);
}

Token Lexer::unquoted(int line, int column) {
  static constexpr std::string_view kKeywords[] = {"true", "false", "null"};
  static constexpr TokenKind kKeywordKinds[] = {TokenKind::kTrue, TokenKind::kFalse, TokenKind::kNull};
  // Spec: an unquoted string's initial characters may not parse as a keyword, so "truex"
  // is `true` followed by `x` (which concatenation then joins again).
  for (std::size_t k = 0; k < 3; ++k) {
    if (text_.substr(pos_, kKeywords[k].size()) == kKeywords[k]) {
      Token t = make(kKeywordKinds[k], line, column);
      t.text = std::string(kKeywords[k]);
      advance(kKeywords[k].size());
      return t;
    }
  }
  std::size_t start = pos_;
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (is_forbidden_in_unquoted(c) || whitespace_length(pos_) > 0) break;
    if (c == '/' && at(1, '/')) break;
    advance(1);
  }
  Token t = make(TokenKind::kUnquoted, line, column);
  t.text = std::string(text_.substr(start, pos_ - start));
  return t;
}

Token Lexer::substitution(int line, int column) {
  advance(2);
  Token result = make(TokenKind::kSubstitution, line, column);
  if (at(0, '?')) {
    advance(1);
    result.optional = true;
  }
  PathBuilder builder;
  bool any = false;
  std::string pending_space;
  while (true) {
    Token t = next();
    switch (t.kind) {
      case TokenKind::kError:
        return t;
      case TokenKind::kWhitespace:
        if (any) pending_space += t.text;
        continue;
      case TokenKind::kUnquoted:
      case TokenKind::kNumber:
      case TokenKind::kTrue:
      case TokenKind::kFalse:
      case TokenKind::kNull:
      case TokenKind::kQuoted:
        if (!pending_space.empty()) builder.add_quoted(pending_space);
        pending_space.clear();
        if (t.kind == TokenKind::kQuoted) {
          builder.add_quoted(t.text);
        } else {
          builder.add_unquoted(t.text);
        }
        any = true;
        continue;
      case TokenKind::kCloseBrace: {
        if (!any) return error("empty substitution '${}'", line, column);
        std::string message;
        result.path = builder.finish(message);
        if (!message.empty()) return error("invalid substitution: " + message, line, column);
        result.text = render_path(result.path);
        return result;
      }
      case TokenKind::kEnd:
      case TokenKind::kNewline:
        return error("unterminated substitution (missing '}')", line, column);
      default:
        return error("unexpected " + describe(t) + " in substitution path", t.line, t.column);
    }
  }
}

std::string describe(const Token& t) {
  auto clip = [](const std::string& s) { return s.size() > 40 ? s.substr(0, 37) + "..." : s; };
  switch (t.kind) {
    case TokenKind::kEnd:
      return "end of file";
    case TokenKind::kError:
      return "invalid input";
    case TokenKind::kNewline:
      return "newline";
    case TokenKind::kWhitespace:
      return "whitespace";
    case TokenKind::kOpenBrace:
      return "'{'";
    case TokenKind::kCloseBrace:
      return "'}'";
    case TokenKind::kOpenBracket:
      return "'['";
    case TokenKind::kCloseBracket:
      return "']'";
    case TokenKind::kComma:
      return "','";
    case TokenKind::kColon:
      return "':'";
    case TokenKind::kEquals:
      return "'='";
    case TokenKind::kPlusEquals:
      return "'+='";
    case TokenKind::kQuoted:
      return "string \"" + clip(t.text) + "\"";
    case TokenKind::kUnquoted:
      return "'" + clip(t.text) + "'";
    case TokenKind::kNumber:
      return "number " + clip(t.text);
    case TokenKind::kTrue:
      return "'true'";
    case TokenKind::kFalse:
      return "'false'";
    case TokenKind::kNull:
      return "'null'";
    case TokenKind::kSubstitution:
      return "substitution ${" + clip(t.text) + "}";
  }
  return "token";
}

}  // namespace jvb::hocon::detail
