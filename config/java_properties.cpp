// The java.util.Properties text format, as the JDK's Properties.load(Reader) documents it:
// natural lines, logical lines joined by a trailing odd backslash, '#'/'!' comment lines,
// key terminators '=', ':' and whitespace, and backslash escapes.
#include "config/java_properties.hpp"

#include <cstdint>

#include "config/utf8.hpp"

namespace jvb::config {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\f'; }

// Reads four hex digits at `at`; -1 if they are not there.
long read_hex4(std::string_view s, std::size_t at) {
  if (at + 4 > s.size()) return -1;
  long v = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    int h = hex_digit_value(s[at + k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// Decodes escapes in one logical line's key or value. Unknown escapes drop the backslash
// (`\=` is '='); a malformed \u, which the JDK rejects with an exception, is kept as
// written since this format has no errors.
std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\' || i + 1 >= s.size()) {
      out += c;
      continue;
    }
    char e = s[++i];
    switch (e) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        long unit = read_hex4(s, i + 1);
        if (unit < 0) {
          out += "\\u";
          break;
        }
        i += 4;
        auto cp = static_cast<std::uint32_t>(unit);
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 2 < s.size() && s[i + 1] == '\\' && s[i + 2] == 'u') {
          long low = read_hex4(s, i + 3);
          if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<std::uint32_t>(low) - 0xDC00);
            i += 6;
          }
        }
        // A surrogate left unpaired has no UTF-8 form.
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
        append_utf8(out, cp);
        break;
      }
      default:
        out += e;
    }
  }
  return out;
}

}  // namespace

std::vector<PropertiesEntry> parse_java_properties(std::string_view text) {
  std::vector<PropertiesEntry> entries;
  std::size_t pos = 0;
  int line = 1;
  // Reads one natural line (without its terminator) and advances past "\n", "\r" or "\r\n".
  auto natural_line = [&](std::string_view& out) {
    std::size_t start = pos;
    while (pos < text.size() && text[pos] != '\n' && text[pos] != '\r') ++pos;
    out = text.substr(start, pos - start);
    if (pos < text.size()) {
      if (text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
      ++pos;
      ++line;
    }
  };
  auto ends_in_continuation = [](std::string_view s) {
    std::size_t backslashes = 0;
    while (backslashes < s.size() && s[s.size() - 1 - backslashes] == '\\') ++backslashes;
    return backslashes % 2 == 1;
  };
  while (pos < text.size()) {
    int start_line = line;
    std::string_view natural;
    natural_line(natural);
    std::size_t first = 0;
    while (first < natural.size() && is_blank(natural[first])) ++first;
    if (first == natural.size()) continue;
    if (natural[first] == '#' || natural[first] == '!') continue;  // comments never continue
    // Join continuation lines: drop the odd backslash and the next line's leading blanks.
    std::string logical(natural.substr(first));
    while (ends_in_continuation(logical)) {
      logical.pop_back();
      if (pos >= text.size()) break;
      std::string_view more;
      natural_line(more);
      std::size_t skip = 0;
      while (skip < more.size() && is_blank(more[skip])) ++skip;
      logical.append(more.substr(skip));
    }
    // The key ends at the first unescaped '=', ':' or blank.
    std::size_t i = 0;
    while (i < logical.size()) {
      char c = logical[i];
      if (c == '\\' && i + 1 < logical.size()) {
        i += 2;
        continue;
      }
      if (c == '=' || c == ':' || is_blank(c)) break;
      ++i;
    }
    std::size_t key_end = i;
    while (i < logical.size() && is_blank(logical[i])) ++i;
    if (i < logical.size() && (logical[i] == '=' || logical[i] == ':')) ++i;
    while (i < logical.size() && is_blank(logical[i])) ++i;
    std::string_view view(logical);
    entries.push_back(
        PropertiesEntry{unescape(view.substr(0, key_end)), unescape(view.substr(i)), start_line});
  }
  return entries;
}

}  // namespace jvb::config
