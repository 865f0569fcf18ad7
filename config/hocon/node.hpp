// Private to config/hocon: the unresolved tree that parsing produces and resolve() consumes.
// It mirrors the HOCON spec's model before substitution ("Value concatenation",
// "Substitutions", "Duplicate keys and object merging"): besides plain values it holds
// substitutions, concatenations whose type is only known after resolution, and merge stacks
// for keys whose earlier value cannot be merged until it is resolved.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/hocon/value.hpp"

namespace jvb::hocon::detail {

// Nesting limit shared by the parser (objects and arrays, across includes) and resolution;
// deep enough for any real configuration, shallow enough that recursion cannot exhaust the
// stack.
inline constexpr int kMaxDepth = 256;

struct Node;
using NodePtr = std::shared_ptr<const Node>;
using NodeFields = std::map<std::string, NodePtr, std::less<>>;
using Path = std::vector<std::string>;

enum class NodeKind {
  kScalar,         // null, boolean, number or string, fully known
  kWhitespace,     // unquoted whitespace between two parts of a concatenation
  kObject,         // fields
  kArray,          // items
  kSubstitution,   // ${path} or ${?path}
  kConcatenation,  // items are the parts, at least one of them a substitution
  kMerge,          // items are layers, highest priority first; the last may be anything,
                   // the others are objects or values of unknown type
};

struct Node {
  NodeKind kind = NodeKind::kScalar;
  Value scalar;  // kScalar; kWhitespace keeps its text here as a string
  NodeFields fields;
  std::vector<NodePtr> items;
  Path path;    // kSubstitution: relative to the root of the file it was written in
  Path prefix;  // kSubstitution: where that file was included; empty at the top level
  bool optional = false;
  // kObject: this object already replaced a non-object below it, so anything merged in
  // later as a fallback is hidden (merging works pairwise; spec, "Config object merging").
  bool ignores_fallbacks = false;
  std::shared_ptr<const std::string> origin;
  int line = 0;
  int column = 0;
};

// True for nodes whose type resolution cannot change: those hide anything merged below them
// unless they are objects.
inline bool has_fixed_type(const Node& n) {
  return n.kind == NodeKind::kScalar || n.kind == NodeKind::kWhitespace || n.kind == NodeKind::kObject ||
         n.kind == NodeKind::kArray;
}

std::shared_ptr<Node> make_node(NodeKind kind, const std::shared_ptr<const std::string>& origin, int line,
                                int column);

// `top` overriding `below`, as for a duplicate key (spec: "Duplicate keys and object
// merging"). Never modifies its arguments.
NodePtr merge_nodes(const NodePtr& top, const NodePtr& below);

// Adds `value` under `key` to an object the caller is still building, merging with any
// earlier value. Objects only reachable from `object` are merged in place to keep parsing
// linear; shared ones are copied.
void merge_field(Node& object, const std::string& key, NodePtr value);

// Builds the tree for Java-properties-style pairs (spec: "Java properties mapping").
NodePtr properties_tree(const std::vector<std::pair<std::string, std::string>>& props,
                        const std::shared_ptr<const std::string>& origin);

// A simple value as it takes part in string concatenation (spec: "String value
// concatenation"): numbers keep their original text, null and booleans become words.
std::string concat_text(const Value& v);

// A path for messages: segments joined by '.', quoted where they need it.
std::string render_path(const Path& path);

}  // namespace jvb::hocon::detail
