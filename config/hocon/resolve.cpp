// Substitution resolution (HOCON spec, "Substitutions", "Self-Referential Substitutions",
// "Include semantics: substitution", "Substitution fallback to environment variables").
//
// Every field reachable from the root through plain objects is a slot named by its path.
// A slot holding a merge stack (a key assigned a substitution and also something else) has
// one sub-slot per layer. Slots are resolved lazily and memoized, so a substitution sees the
// final value of its target ("looks forward"). While a slot is being resolved it is marked
// active; a lookup that reaches an active substitution or concatenation "looks back" to the
// layers below it, which is how `a = ${a} [x]` sees the earlier `a`. Reaching any other
// active slot is a cycle.
//
// Work is bounded: active slots nest at most kMaxActive deep, resolved values at most
// kMaxValueDepth deep, and every value built or copied is charged against a budget so that
// exponential expansion ends in an Error instead of exhausting memory.
#include <map>
#include <optional>
#include <utility>

#include "config/hocon/hocon.hpp"
#include "config/hocon/node.hpp"

namespace jvb::hocon {
namespace detail {
namespace {

constexpr std::size_t kMaxActive = 256;
constexpr int kMaxValueDepth = 2 * kMaxDepth;
constexpr std::size_t kBudget = std::size_t{32} << 20;
// Rough bytes per Value, so the budget approximates memory.
constexpr std::size_t kValueCost = 64;

enum class Status { kOk, kUndefined, kCycle, kError };

struct Measure {
  std::size_t cost = 0;
  int depth = 0;
};

Measure measure(const Value& v) {
  Measure m{kValueCost + v.text().size(), 1};
  auto add = [&](const Value& child) {
    Measure c = measure(child);
    m.cost += c.cost;
    if (c.depth + 1 > m.depth) m.depth = c.depth + 1;
  };
  if (const Array* a = v.as_array()) {
    for (const Value& item : *a) add(item);
  } else if (const Object* o = v.as_object()) {
    for (const auto& [key, child] : *o) {
      m.cost += key.size();
      add(child);
    }
  }
  return m;
}

// `top` merged over `below` (spec: "Duplicate keys and object merging"); both are objects.
Value merge_values(const Value& top, const Value& below) {
  Object merged = *below.as_object();
  for (const auto& [key, value] : *top.as_object()) {
    auto it = merged.find(key);
    if (it != merged.end() && value.as_object() && it->second.as_object()) {
      it->second = merge_values(value, it->second);
    } else {
      merged.insert_or_assign(key, value);
    }
  }
  return Value::object(std::move(merged));
}

const char* type_name(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      return "null";
    case Value::Type::kBoolean:
      return "a boolean";
    case Value::Type::kNumber:
      return "a number";
    case Value::Type::kString:
      return "a string";
    case Value::Type::kArray:
      return "an array";
    case Value::Type::kObject:
      return "an object";
  }
  return "a value";
}

Path join(const Path& a, const Path& b) {
  Path out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

class Resolver {
 public:
  Resolver(NodePtr root, const EnvLookup& env) : root_(std::move(root)), env_(env) {}

  Result<Value, Error> run() {
    Value out;
    Status s = resolve_static_object({}, *root_, out);
    if (s == Status::kOk) return out;
    if (!error_) error_ = Error{"<config>", 0, 0, "unresolvable substitution cycle"};
    return jvb::unexpected(std::move(*error_));
  }

 private:
  struct Slot {
    bool defined = false;
    Value value;
    std::size_t cost = 0;
  };
  struct Active {
    const Path* path;
    std::size_t layer;
  };

  Status fail(const Node& at, std::string message) {
    if (!error_) {
      error_ =
          Error{at.origin ? *at.origin : std::string("<config>"), at.line, at.column, std::move(message)};
    }
    return Status::kError;
  }

  Status charge(const Node& at, std::size_t cost) {
    if (cost > kBudget - spent_) {
      return fail(at,
                  "substitutions expand to more than " + std::to_string(kBudget >> 20) + " MiB of values");
    }
    spent_ += cost;
    return Status::kOk;
  }

  Status slot_value(const Path& path, const NodePtr& node, std::size_t layer, bool lookup, const Slot*& out);
  Status compute_slot(const Path& path, const NodePtr& node, std::size_t layer, bool lookup, Value& out);
  Status resolve_static_object(const Path& path, const Node& node, Value& out);
  Status resolve_node(const Node& node, const Path& path, Value& out);
  Status resolve_concatenation(const Node& node, const Path& path, Value& out);
  Status resolve_substitution(const Node& node, Value& out);
  Status lookup(const Node& from, const Path& target, Value& out);

  NodePtr root_;
  const EnvLookup& env_;
  std::map<std::pair<Path, std::size_t>, Slot> memo_;
  std::vector<Active> active_;
  std::optional<Error> error_;
  std::size_t spent_ = 0;
};

// `lookup` is true when a substitution asks for this slot (look-back allowed) and false when
// an enclosing object is being resolved field by field (an active field is then a cycle:
// spec, `a : { b : ${a} }`).
Status Resolver::slot_value(const Path& path, const NodePtr& node, std::size_t layer, bool lookup,
                            const Slot*& out) {
  std::optional<std::size_t> active_layer;
  bool innermost = false;
  for (std::size_t i = 0; i < active_.size(); ++i) {
    if (*active_[i].path != path) continue;
    if (!active_layer || active_[i].layer >= *active_layer) {
      active_layer = active_[i].layer;
      innermost = i + 1 == active_.size();
    }
  }
  if (active_layer && *active_layer >= layer) {
    const Node& busy = node->kind == NodeKind::kMerge ? *node->items[*active_layer] : *node;
    bool self_referential = busy.kind == NodeKind::kSubstitution || busy.kind == NodeKind::kConcatenation;
    if (!lookup || !self_referential) return Status::kCycle;
    if (node->kind == NodeKind::kMerge && *active_layer + 1 < node->items.size()) {
      return slot_value(path, node, *active_layer + 1, lookup, out);
    }
    // Nothing below: `a = ${a}` refers to an a that does not exist yet. Reached through
    // other slots (a -> b -> a) it is a genuine cycle.
    return innermost ? Status::kUndefined : Status::kCycle;
  }
  auto key = std::make_pair(path, layer);
  if (auto it = memo_.find(key); it != memo_.end()) {
    out = &it->second;
    return it->second.defined ? Status::kOk : Status::kUndefined;
  }
  Value value;
  Status s = compute_slot(path, node, layer, lookup, value);
  if (s == Status::kCycle || s == Status::kError) return s;
  Slot slot;
  if (s == Status::kOk) {
    Measure m = measure(value);
    if (m.depth > kMaxValueDepth) {
      return fail(*node,
                  "substitutions nest values more than " + std::to_string(kMaxValueDepth) + " levels deep");
    }
    if (charge(*node, m.cost) != Status::kOk) return Status::kError;
    slot.defined = true;
    slot.value = std::move(value);
    slot.cost = m.cost;
  }
  auto [it, inserted] = memo_.emplace(std::move(key), std::move(slot));
  out = &it->second;
  return s;
}

Status Resolver::compute_slot(const Path& path, const NodePtr& node, std::size_t layer, bool lookup,
                              Value& out) {
  if (node->kind == NodeKind::kObject) return resolve_static_object(path, *node, out);
  if (active_.size() >= kMaxActive) {
    return fail(*node, "substitutions nested more than " + std::to_string(kMaxActive) + " levels deep");
  }
  const Node& layer_node = node->kind == NodeKind::kMerge ? *node->items[layer] : *node;
  active_.push_back(Active{&path, layer});
  Status s = resolve_node(layer_node, path, out);
  active_.pop_back();
  if (node->kind != NodeKind::kMerge || layer + 1 >= node->items.size()) return s;
  if (s == Status::kCycle || s == Status::kError) return s;
  bool need_below = s == Status::kUndefined || (s == Status::kOk && out.as_object());
  if (!need_below) return s;
  // An undefined optional substitution leaves the earlier value in place; an object merges
  // with whatever lies below it.
  const Slot* below = nullptr;
  Status b = slot_value(path, node, layer + 1, lookup, below);
  if (b == Status::kCycle || b == Status::kError) return b;
  if (s == Status::kUndefined) {
    if (b != Status::kOk) return b;
    if (charge(layer_node, below->cost) != Status::kOk) return Status::kError;
    out = below->value;
    return Status::kOk;
  }
  if (b == Status::kOk && below->value.as_object()) {
    if (charge(layer_node, below->cost) != Status::kOk) return Status::kError;
    out = merge_values(out, below->value);
  }
  return Status::kOk;
}

Status Resolver::resolve_static_object(const Path& path, const Node& node, Value& out) {
  Object fields;
  for (const auto& [key, child] : node.fields) {
    Path child_path = path;
    child_path.push_back(key);
    const Slot* slot = nullptr;
    Status s = slot_value(child_path, child, 0, false, slot);
    if (s == Status::kUndefined) continue;
    if (s != Status::kOk) return s;
    if (charge(*child, slot->cost) != Status::kOk) return Status::kError;
    fields.emplace(key, slot->value);
  }
  out = Value::object(std::move(fields));
  return Status::kOk;
}

Status Resolver::resolve_node(const Node& node, const Path& path, Value& out) {
  switch (node.kind) {
    case NodeKind::kScalar:
    case NodeKind::kWhitespace:
      out = node.scalar;
      return Status::kOk;
    case NodeKind::kObject: {
      Object fields;
      for (const auto& [key, child] : node.fields) {
        Value v;
        Status s = resolve_node(*child, join(path, {key}), v);
        if (s == Status::kUndefined) continue;
        if (s != Status::kOk) return s;
        fields.emplace(key, std::move(v));
      }
      out = Value::object(std::move(fields));
      return Status::kOk;
    }
    case NodeKind::kArray: {
      Array items;
      for (const NodePtr& item : node.items) {
        Value v;
        Status s = resolve_node(*item, path, v);
        // Spec: an undefined optional substitution as an element adds no element.
        if (s == Status::kUndefined) continue;
        if (s != Status::kOk) return s;
        items.push_back(std::move(v));
      }
      out = Value::array(std::move(items));
      return Status::kOk;
    }
    case NodeKind::kSubstitution:
      return resolve_substitution(node, out);
    case NodeKind::kConcatenation:
      return resolve_concatenation(node, path, out);
    case NodeKind::kMerge: {
      // A merge stack below a concatenation or array has no slot of its own, so it is folded
      // directly; objects merge with the next defined layer, anything else ends the fold.
      std::optional<Value> acc;
      for (const NodePtr& layer : node.items) {
        Value v;
        Status s = resolve_node(*layer, path, v);
        if (s == Status::kUndefined) continue;
        if (s != Status::kOk) return s;
        if (!acc) {
          acc = std::move(v);
        } else if (v.as_object()) {
          acc = merge_values(*acc, v);
        } else {
          break;
        }
        if (!acc->as_object()) break;
      }
      if (!acc) return Status::kUndefined;
      out = std::move(*acc);
      return Status::kOk;
    }
  }
  return fail(node, "internal error: unknown node");
}

// Spec, "Value concatenation": after resolution all parts must be simple values (joined as
// text), or all arrays (appended), or all objects (merged, later ones winning). Undefined
// optional substitutions drop out; if nothing else is left the whole value is undefined.
Status Resolver::resolve_concatenation(const Node& node, const Path& path, Value& out) {
  std::vector<Value> values;
  std::vector<bool> is_space;
  std::size_t defined = 0;
  for (const NodePtr& part : node.items) {
    Value v;
    Status s = resolve_node(*part, path, v);
    if (s == Status::kUndefined) continue;
    if (s != Status::kOk) return s;
    bool space = part->kind == NodeKind::kWhitespace;
    if (!space) ++defined;
    values.push_back(std::move(v));
    is_space.push_back(space);
  }
  if (defined == 0) return Status::kUndefined;
  if (values.size() == 1) {
    // `${?a}${b}` with a undefined is just ${b}, keeping its type.
    out = std::move(values[0]);
    return Status::kOk;
  }
  const Value* first = nullptr;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (is_space[i]) continue;
    if (!first) {
      first = &values[i];
      continue;
    }
    bool a_composite = first->as_array() || first->as_object();
    bool b_composite = values[i].as_array() || values[i].as_object();
    bool same = a_composite ? values[i].type() == first->type() : !b_composite;
    if (!same) {
      return fail(node, std::string("cannot concatenate ") + type_name(*first) + " with " +
                            type_name(values[i]) + " in the value of '" + render_path(path) + "'");
    }
  }
  if (first->as_array()) {
    Array items;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (is_space[i]) continue;
      for (const Value& item : *values[i].as_array()) items.push_back(item);
    }
    out = Value::array(std::move(items));
  } else if (first->as_object()) {
    std::optional<Value> acc;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (is_space[i]) continue;
      acc = acc ? merge_values(values[i], *acc) : values[i];
    }
    out = std::move(*acc);
  } else {
    std::string text;
    for (const Value& v : values) text += concat_text(v);
    out = Value::string(std::move(text));
  }
  return Status::kOk;
}

Status Resolver::resolve_substitution(const Node& node, Value& out) {
  bool cycle = false;
  // Spec, "Include semantics: substitution": a substitution from an included file is looked
  // up first relative to where the file was included, then from the root.
  std::vector<Path> candidates;
  if (!node.prefix.empty()) candidates.push_back(join(node.prefix, node.path));
  candidates.push_back(node.path);
  for (const Path& target : candidates) {
    Status s = lookup(node, target, out);
    if (s == Status::kOk || s == Status::kError) return s;
    if (s == Status::kCycle) {
      cycle = true;
      break;
    }
  }
  std::string shown = std::string("${") + (node.optional ? "?" : "") + render_path(node.path) + "}";
  if (cycle) {
    // Spec: a cycle counts as undefined for an optional substitution.
    if (node.optional) return Status::kUndefined;
    return fail(node, "substitution " + shown + " is part of a cycle");
  }
  if (env_) {
    std::string name;
    for (std::size_t i = 0; i < node.path.size(); ++i) {
      if (i > 0) name += '.';
      name += node.path[i];
    }
    if (std::optional<std::string> v = env_(name)) {
      out = Value::string(std::move(*v));
      return charge(node, kValueCost + out.text().size());
    }
  }
  if (node.optional) return Status::kUndefined;
  return fail(
      node, "could not resolve substitution " + shown + ": not set in the configuration or the environment");
}

Status Resolver::lookup(const Node& from, const Path& target, Value& out) {
  const Node* object = root_.get();
  Path prefix;
  for (std::size_t i = 0; i < target.size(); ++i) {
    auto it = object->fields.find(target[i]);
    if (it == object->fields.end()) return Status::kUndefined;
    prefix.push_back(target[i]);
    const NodePtr& child = it->second;
    if (i + 1 < target.size() && child->kind == NodeKind::kObject) {
      object = child.get();
      continue;
    }
    const Slot* slot = nullptr;
    Status s = slot_value(prefix, child, 0, true, slot);
    if (s != Status::kOk) return s;
    const Value* v = &slot->value;
    for (std::size_t j = i + 1; j < target.size(); ++j) {
      const Object* o = v->as_object();
      if (!o) return Status::kUndefined;
      auto found = o->find(target[j]);
      if (found == o->end()) return Status::kUndefined;
      v = &found->second;
    }
    std::size_t cost = v == &slot->value ? slot->cost : measure(*v).cost;
    if (charge(from, cost) != Status::kOk) return Status::kError;
    out = *v;
    return Status::kOk;
  }
  return Status::kUndefined;
}

}  // namespace
}  // namespace detail

Result<Value, Error> resolve(const Document& document, const EnvLookup& env) {
  detail::Resolver resolver(document.root(), env);
  return resolver.run();
}

}  // namespace jvb::hocon
