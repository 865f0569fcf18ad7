// Merging of unresolved trees (HOCON spec, "Duplicate keys and object merging" and "Config
// object merging and file merging") and the tree for Java properties ("Java properties
// mapping").
#include <optional>
#include <utility>

#include "config/hocon/node.hpp"

namespace jvb::hocon::detail {

std::shared_ptr<Node> make_node(NodeKind kind, const std::shared_ptr<const std::string>& origin, int line,
                                int column) {
  auto n = std::make_shared<Node>();
  n->kind = kind;
  n->origin = origin;
  n->line = line;
  n->column = column;
  return n;
}

namespace {

NodePtr merge_objects(const NodePtr& top, const NodePtr& below) {
  auto merged = make_node(NodeKind::kObject, top->origin, top->line, top->column);
  merged->fields = below->fields;
  merged->ignores_fallbacks = below->ignores_fallbacks;
  for (const auto& [key, value] : top->fields) {
    auto it = merged->fields.find(key);
    if (it == merged->fields.end()) {
      merged->fields.emplace(key, value);
    } else {
      it->second = merge_nodes(value, it->second);
    }
  }
  return merged;
}

// A merge stack of `top` over `below`, where `top` is an object or of unknown type. Keeping
// adjacent objects merged means a stack never holds two objects in a row.
NodePtr stack(const NodePtr& top, const NodePtr& below) {
  std::vector<NodePtr> layers;
  layers.push_back(top);
  if (below->kind == NodeKind::kMerge) {
    layers.insert(layers.end(), below->items.begin(), below->items.end());
  } else {
    layers.push_back(below);
  }
  if (layers[0]->kind == NodeKind::kObject && layers[1]->kind == NodeKind::kObject) {
    layers[1] = merge_objects(layers[0], layers[1]);
    layers.erase(layers.begin());
  }
  if (layers.size() == 1) return layers[0];
  auto merged = make_node(NodeKind::kMerge, top->origin, top->line, top->column);
  merged->items = std::move(layers);
  return merged;
}

}  // namespace

NodePtr merge_nodes(const NodePtr& top, const NodePtr& below) {
  if (!below) return top;
  switch (top->kind) {
    case NodeKind::kScalar:
    case NodeKind::kWhitespace:
    case NodeKind::kArray:
      return top;
    case NodeKind::kObject: {
      if (top->ignores_fallbacks) return top;
      if (below->kind == NodeKind::kObject) return merge_objects(top, below);
      // A value of fixed non-object type is simply replaced, and hides whatever lies below
      // it; one whose type is only known after resolution may turn out to be an object to
      // merge with.
      if (!has_fixed_type(*below)) return stack(top, below);
      auto replaced = std::make_shared<Node>(*top);
      replaced->ignores_fallbacks = true;
      return replaced;
    }
    case NodeKind::kSubstitution:
    case NodeKind::kConcatenation:
      return stack(top, below);
    case NodeKind::kMerge: {
      const NodePtr& last = top->items.back();
      if (last->kind != NodeKind::kObject && has_fixed_type(*last)) return top;
      NodePtr tail = merge_nodes(last, below);
      auto merged = make_node(NodeKind::kMerge, top->origin, top->line, top->column);
      merged->items.assign(top->items.begin(), top->items.end() - 1);
      if (tail->kind == NodeKind::kMerge) {
        merged->items.insert(merged->items.end(), tail->items.begin(), tail->items.end());
      } else {
        merged->items.push_back(tail);
      }
      return merged;
    }
  }
  return top;
}

void merge_field(Node& object, const std::string& key, NodePtr value) {
  auto it = object.fields.find(key);
  if (it == object.fields.end()) {
    object.fields.emplace(key, std::move(value));
    return;
  }
  NodePtr& existing = it->second;
  // A use count of one means nothing but `object` can see this child, so changing it in
  // place is invisible to everyone else. Every Node is created non-const (make_node), which
  // makes the const_cast well defined.
  if (value->kind == NodeKind::kObject && !value->ignores_fallbacks && existing->kind == NodeKind::kObject &&
      existing.use_count() == 1 && existing != value) {
    Node& target = const_cast<Node&>(*existing);
    for (const auto& [k, v] : value->fields) merge_field(target, k, v);
    return;
  }
  existing = merge_nodes(value, existing);
}

namespace {

struct PropertyTree {
  std::optional<std::string> value;
  bool is_object = false;
  std::map<std::string, PropertyTree, std::less<>> children;
};

NodePtr to_node(const PropertyTree& t, const std::shared_ptr<const std::string>& origin) {
  if (!t.is_object) {
    auto n = make_node(NodeKind::kScalar, origin, 0, 0);
    n->scalar = Value::string(t.value.value_or(""));
    return n;
  }
  auto n = make_node(NodeKind::kObject, origin, 0, 0);
  for (const auto& [key, child] : t.children) n->fields.emplace(key, to_node(child, origin));
  return n;
}

}  // namespace

NodePtr properties_tree(const std::vector<std::pair<std::string, std::string>>& props,
                        const std::shared_ptr<const std::string>& origin) {
  PropertyTree root;
  root.is_object = true;
  for (const auto& [key, value] : props) {
    // Split on every '.', keeping empty segments: "a." is the path ("a", "").
    Path segments;
    std::size_t start = 0;
    while (true) {
      std::size_t dot = key.find('.', start);
      segments.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    // A key this deep cannot be meant as configuration; dropping it keeps every later
    // recursion over the tree bounded.
    if (static_cast<int>(segments.size()) > kMaxDepth) continue;
    PropertyTree* current = &root;
    for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
      PropertyTree& child = current->children[segments[i]];
      child.is_object = true;  // an object wins over a string at the same key
      child.value.reset();
      current = &child;
    }
    PropertyTree& leaf = current->children[segments.back()];
    if (!leaf.is_object) leaf.value = value;
  }
  return to_node(root, origin);
}

std::string concat_text(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      return "null";
    case Value::Type::kBoolean:
      return v.to_bool().value_or(false) ? "true" : "false";
    default:
      return v.text();
  }
}

std::string render_path(const Path& path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i > 0) out += '.';
    const std::string& s = path[i];
    bool plain = !s.empty();
    for (char c : s) {
      bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) plain = false;
    }
    if (plain) {
      out += s;
    } else {
      out += '"';
      for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
  }
  return out;
}

}  // namespace jvb::hocon::detail
