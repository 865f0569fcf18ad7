// Small string helpers for reading configuration values the way JVB's Java code does.
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/strings.hpp"

namespace jvb::config {

inline std::string trim(std::string_view s) { return std::string(trim_view(s)); }

inline std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

inline std::vector<std::string> split_list(std::string_view text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    std::string item = trim(text.substr(start, end - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = end + 1;
  }
  return out;
}

// Java's Boolean.parseBoolean: only "true", in any case, is true. JVB reads legacy
// properties and XMPP account values this way.
inline bool java_parse_boolean(std::string_view s) { return to_upper(trim(s)) == "TRUE"; }

}  // namespace jvb::config
