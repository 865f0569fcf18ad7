// Private to config/hocon: entry points of the parser (parser.cpp), shared by the public
// parse functions and by includes.
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "config/hocon/hocon.hpp"
#include "config/hocon/node.hpp"

namespace jvb::hocon::detail {

// State of one top-level parse that its includes share.
struct IncludeState {
  ParseOptions options;
  std::vector<std::filesystem::path> stack;  // files being parsed, outermost first
};

// Parses HOCON text into an object node. `prefix` is where the text is included (empty at
// the top level) and `depth` the nesting depth of that place.
Result<NodePtr, Error> parse_text(std::string_view text, std::shared_ptr<const std::string> origin,
                                  const std::filesystem::path& base_dir, const Path& prefix, int depth,
                                  IncludeState& state);

// Reads and parses one file, choosing the format by its extension (.properties is Java
// properties, anything else HOCON). `found` is false when the file does not exist, in
// which case the result is an empty object.
Result<NodePtr, Error> load_file(const std::filesystem::path& file, const Path& prefix, int depth,
                                 IncludeState& state, bool& found);

}  // namespace jvb::hocon::detail
