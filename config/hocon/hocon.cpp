// Public entry points of the HOCON library (config/hocon/hocon.hpp): parsing files and
// strings, layering documents (spec: "Config object merging and file merging"), Java
// properties documents ("Java properties mapping") and the process environment used for
// substitution fallback. Parsing lives in parser.cpp, resolution in resolve.cpp.
#include "config/hocon/hocon.hpp"

#include <cstdlib>

#include "config/hocon/node.hpp"
#include "config/hocon/parser.hpp"

namespace jvb::hocon {

std::string Error::to_string() const {
  if (line <= 0) return origin + ": " + message;
  return origin + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

Document::Document()
    : root_(detail::make_node(detail::NodeKind::kObject, std::make_shared<const std::string>("<empty>"), 0,
                              0)) {}

Document::Document(std::shared_ptr<const detail::Node> root) : root_(std::move(root)) {}

Document Document::with_fallback(const Document& fallback) const {
  return Document(detail::merge_nodes(root_, fallback.root_));
}

Result<Document, Error> parse_file(const std::filesystem::path& path) {
  return parse_file(path, ParseOptions{});
}

Result<Document, Error> parse_file(const std::filesystem::path& path, const ParseOptions& options) {
  detail::IncludeState state{options, {}};
  bool found = false;
  auto root = detail::load_file(path, {}, 0, state, found);
  if (!root) return jvb::unexpected(std::move(root).error());
  if (!found) return jvb::unexpected(Error{path.string(), 0, 0, "cannot read file: no such file"});
  return Document(std::move(*root));
}

Result<Document, Error> parse_string(std::string_view text, std::string origin,
                                     const std::filesystem::path& include_base) {
  return parse_string(text, std::move(origin), include_base, ParseOptions{});
}

Result<Document, Error> parse_string(std::string_view text, std::string origin,
                                     const std::filesystem::path& include_base, const ParseOptions& options) {
  detail::IncludeState state{options, {}};
  auto root = detail::parse_text(text, std::make_shared<const std::string>(std::move(origin)), include_base,
                                 {}, 0, state);
  if (!root) return jvb::unexpected(std::move(root).error());
  return Document(std::move(*root));
}

Document document_from_properties(const std::vector<std::pair<std::string, std::string>>& props,
                                  std::string origin) {
  return Document(detail::properties_tree(props, std::make_shared<const std::string>(std::move(origin))));
}

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

}  // namespace jvb::hocon
