// The java.util.Properties text format (see the JDK's Properties.load documentation): what
// sip-communicator.properties and HOCON's .properties includes are written in.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jvb::config {

struct PropertiesEntry {
  std::string key;
  std::string value;
  int line = 0;  // 1-based line where the entry starts
};

// Parses the whole text. The format has no syntax errors: every line is a comment, blank,
// or an entry (a key with no separator has an empty value). Handles `=`, `:` and whitespace
// separators, `#`/`!` comments, backslash line continuations, and \t \n \r \f \uXXXX escapes
// (\uXXXX becomes UTF-8). Later duplicates are returned too; callers decide which wins.
std::vector<PropertiesEntry> parse_java_properties(std::string_view text);

}  // namespace jvb::config
