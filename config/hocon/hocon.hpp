// HOCON (Human-Optimized Config Object Notation) as Lightbend/Typesafe Config defines it:
// https://github.com/lightbend/config/blob/main/HOCON.md. JVB's configuration is written in
// it, so the bridge reads the same files with the same meaning.
//
// Use: parse each source into a Document, layer them with with_fallback(), then resolve()
// once over the merged tree so that substitutions in any layer see the final values of all
// layers (that is how JVB resolves `${videobridge.stats.interval}` in its defaults against an
// admin's jvb.conf).
//
// Everything here is pure apart from reading included files from disk and, in resolve(), the
// environment lookup it is given. Malformed input is an Error, never an exception or crash.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bridge/core/result.hpp"
#include "config/hocon/value.hpp"

namespace jvb::hocon {

struct Error {
  std::string origin;  // file name, or a description such as "<string>"
  int line = 0;        // 1-based; 0 when the error has no position
  int column = 0;      // 1-based, counted in bytes
  std::string message;

  // "origin:line:column: message", or "origin: message" without a position.
  std::string to_string() const;
};

namespace detail {
struct Node;
}

// A parsed, merged but unresolved configuration.
class Document {
 public:
  Document();  // empty object
  // A document in which this one's settings win and `fallback` supplies everything else;
  // objects present in both merge recursively (HOCON spec, "Duplicate keys and object
  // merging"). Self-references in this document (`a = ${a} [x]`) see the fallback's value.
  Document with_fallback(const Document& fallback) const;

  // Implementation detail, used by the parser.
  explicit Document(std::shared_ptr<const detail::Node> root);
  const std::shared_ptr<const detail::Node>& root() const { return root_; }

 private:
  std::shared_ptr<const detail::Node> root_;
};

// Controls what parsing may do besides reading the text it is given.
struct ParseOptions {
  // When false, include statements are still checked for syntax but never touch the
  // filesystem: a plain include is ignored and a required() one is an Error. For fuzzing and
  // for text from sources that must not make the process read local files.
  bool allow_file_includes = true;
};

// Reads a .conf (or .json) file; `include` statements resolve relative to it. A file that
// cannot be read is an Error naming it.
Result<Document, Error> parse_file(const std::filesystem::path& path);

// Parses text. `origin` names it in errors; relative includes resolve against
// `include_base` (the working directory when empty).
Result<Document, Error> parse_string(std::string_view text, std::string origin = "<string>",
                                     const std::filesystem::path& include_base = {});

// As above, with options.
Result<Document, Error> parse_file(const std::filesystem::path& path, const ParseOptions& options);
Result<Document, Error> parse_string(std::string_view text, std::string origin,
                                     const std::filesystem::path& include_base, const ParseOptions& options);

// A document from flat Java-properties-style pairs ("a.b.c" -> "value"), as the spec
// defines for .properties files and JVM system properties: keys are paths, every value is
// a string, and where a key is both a value and a parent object the object wins.
Document document_from_properties(const std::vector<std::pair<std::string, std::string>>& props,
                                  std::string origin);

// Environment lookup for `${X}` / `${?X}` fallbacks.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup process_environment();

// Resolves all substitutions and returns the final tree; the root is always an object.
// Errors: an undefined non-optional substitution, a substitution cycle, or concatenating
// values of incompatible types.
Result<Value, Error> resolve(const Document& document, const EnvLookup& env = process_environment());

}  // namespace jvb::hocon
