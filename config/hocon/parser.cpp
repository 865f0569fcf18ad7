// Parser from tokens to the unresolved tree (HOCON spec, "Syntax": root braces, separators,
// commas, paths as keys, value concatenation, `+=`, and "Includes").
#include "config/hocon/parser.hpp"

#include <fstream>
#include <optional>
#include <utility>

#include "config/hocon/lexer.hpp"
#include "config/java_properties.hpp"

namespace jvb::hocon::detail {
namespace {

namespace fs = std::filesystem;

// Deep enough for any sensible layout of configuration files, and a bound on the work an
// include loop that escapes cycle detection (through links, say) can cause.
constexpr std::size_t kMaxIncludeNesting = 32;
constexpr std::uintmax_t kMaxFileSize = 16u << 20;

class Parser {
 public:
  Parser(std::string_view text, std::shared_ptr<const std::string> origin, fs::path base_dir, Path prefix,
         int depth, IncludeState& state)
      : lexer_(text),
        origin_(std::move(origin)),
        base_dir_(std::move(base_dir)),
        prefix_(std::move(prefix)),
        depth_(depth),
        state_(state) {}

  NodePtr parse_document();
  Error take_error() { return std::move(*error_); }

 private:
  const Token& peek() {
    if (!lookahead_) lookahead_ = lexer_.next();
    return *lookahead_;
  }
  Token take() {
    Token t = peek();
    lookahead_.reset();
    return t;
  }
  void skip_whitespace() {
    while (peek().kind == TokenKind::kWhitespace) take();
  }
  void skip_blank() {
    while (peek().kind == TokenKind::kWhitespace || peek().kind == TokenKind::kNewline) take();
  }

  std::nullptr_t fail_at(int line, int column, std::string message) {
    if (!error_) error_ = Error{*origin_, line, column, std::move(message)};
    return nullptr;
  }
  std::nullptr_t fail(const Token& t, std::string message) {
    return fail_at(t.line, t.column, std::move(message));
  }
  // "expected X but found Y", or the lexer's own message when Y is bad input.
  std::nullptr_t unexpected(const Token& t, const std::string& expectation) {
    if (t.kind == TokenKind::kError) return fail(t, t.text);
    return fail(t, expectation + " but found " + describe(t));
  }

  NodePtr parse_object(bool braced, const Path& path, int depth);
  bool parse_field(Node& object, const Path& object_path, int depth);
  bool parse_include(Node& object, const Path& object_path, int depth);
  NodePtr parse_value(const Path& path, int depth);
  NodePtr parse_array(const Path& path, int depth);
  NodePtr combine(std::vector<NodePtr> parts);

  Lexer lexer_;
  std::optional<Token> lookahead_;
  std::shared_ptr<const std::string> origin_;
  fs::path base_dir_;
  Path prefix_;
  int depth_;
  IncludeState& state_;
  std::optional<Error> error_;
};

Path concat_paths(const Path& a, const Path& b) {
  Path out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

NodePtr Parser::parse_document() {
  skip_blank();
  const Token& t = peek();
  if (t.kind == TokenKind::kEnd) {
    // The spec calls an empty file invalid, but every implementation (and every deployment
    // with an empty override file) treats it as an empty object.
    return make_node(NodeKind::kObject, origin_, t.line, t.column);
  }
  if (t.kind == TokenKind::kOpenBracket) {
    return fail(t, "the root of a configuration must be an object, not an array");
  }
  if (t.kind != TokenKind::kOpenBrace) return parse_object(false, {}, depth_);
  NodePtr root = parse_object(true, {}, depth_);
  if (!root) return nullptr;
  skip_blank();
  if (peek().kind != TokenKind::kEnd) {
    return unexpected(peek(), "expected end of file after the closing '}' of the root object");
  }
  return root;
}

NodePtr Parser::parse_object(bool braced, const Path& path, int depth) {
  int open_line = peek().line;
  int open_column = peek().column;
  if (braced) take();
  if (depth > kMaxDepth) {
    return fail_at(open_line, open_column,
                   "objects and arrays nested too deeply (limit " + std::to_string(kMaxDepth) + ")");
  }
  auto object = make_node(NodeKind::kObject, origin_, open_line, open_column);
  bool need_separator = false;     // a field ended and no comma or newline followed yet
  bool field_since_comma = false;  // a comma is only allowed right after a field
  while (true) {
    const Token& t = peek();
    switch (t.kind) {
      case TokenKind::kWhitespace:
        take();
        continue;
      case TokenKind::kNewline:
        take();
        need_separator = false;
        continue;
      case TokenKind::kComma:
        if (!field_since_comma) return unexpected(t, "expected a key");
        take();
        need_separator = false;
        field_since_comma = false;
        continue;
      case TokenKind::kCloseBrace:
        if (!braced) return fail(t, "unbalanced '}': the document did not open with '{'");
        take();
        return object;
      case TokenKind::kEnd:
        if (!braced) return object;
        return fail(t, std::string(need_separator ? "expected '}' or ','" : "expected '}'") +
                           " but found end of file (object opened at line " + std::to_string(open_line) +
                           ")");
      case TokenKind::kError:
        return fail(t, t.text);
      default:
        break;
    }
    if (need_separator) {
      return unexpected(
          t, braced ? "expected ',', newline or '}' after a field" : "expected ',' or newline after a field");
    }
    if (!parse_field(*object, path, depth)) return nullptr;
    need_separator = true;
    field_since_comma = true;
  }
}

bool Parser::parse_field(Node& object, const Path& object_path, int depth) {
  if (peek().kind == TokenKind::kUnquoted && peek().text == "include") {
    return parse_include(object, object_path, depth);
  }
  Token key_start = peek();
  PathBuilder builder;
  bool any = false;
  std::string pending_space;
  while (true) {
    const Token& t = peek();
    if (t.kind == TokenKind::kWhitespace) {
      if (any) pending_space += t.text;
      take();
      continue;
    }
    if (t.kind == TokenKind::kSubstitution) {
      fail(t, "substitutions are not allowed in keys");
      return false;
    }
    bool quoted = t.kind == TokenKind::kQuoted;
    if (!quoted && t.kind != TokenKind::kUnquoted && t.kind != TokenKind::kNumber &&
        t.kind != TokenKind::kTrue && t.kind != TokenKind::kFalse && t.kind != TokenKind::kNull) {
      break;
    }
    // Whitespace inside a key is part of it ("a b c" : 1), as in a value concatenation.
    if (!pending_space.empty()) builder.add_quoted(pending_space);
    pending_space.clear();
    if (quoted) {
      builder.add_quoted(t.text);
    } else {
      builder.add_unquoted(t.text);
    }
    any = true;
    take();
  }
  if (!any) {
    unexpected(peek(), "expected a key");
    return false;
  }
  std::string message;
  Path key = builder.finish(message);
  if (!message.empty()) {
    fail(key_start, "invalid key: " + message);
    return false;
  }
  int value_depth = depth + static_cast<int>(key.size());
  if (value_depth > kMaxDepth) {
    fail(key_start, "objects and arrays nested too deeply (limit " + std::to_string(kMaxDepth) + ")");
    return false;
  }
  Path full_path = concat_paths(object_path, key);
  skip_blank();
  Token separator = peek();
  NodePtr value;
  switch (separator.kind) {
    case TokenKind::kColon:
    case TokenKind::kEquals:
      take();
      skip_blank();
      value = parse_value(full_path, value_depth);
      break;
    case TokenKind::kOpenBrace:
      value = parse_value(full_path, value_depth);
      break;
    case TokenKind::kPlusEquals: {
      // Spec, "The += field separator": `a += x` means `a = ${?a} [x]`.
      take();
      skip_blank();
      NodePtr element = parse_value(full_path, value_depth + 1);
      if (!element) return false;
      auto self = make_node(NodeKind::kSubstitution, origin_, separator.line, separator.column);
      self->path = full_path;
      self->prefix = prefix_;
      self->optional = true;
      auto array = make_node(NodeKind::kArray, origin_, element->line, element->column);
      array->items.push_back(element);
      auto concat = make_node(NodeKind::kConcatenation, origin_, separator.line, separator.column);
      concat->items = {self, array};
      value = concat;
      break;
    }
    default:
      unexpected(separator, "expected ':', '=', '+=' or '{' after key '" + render_path(key) + "'");
      return false;
  }
  if (!value) return false;
  for (std::size_t i = key.size(); i-- > 1;) {
    auto wrapper = make_node(NodeKind::kObject, origin_, key_start.line, key_start.column);
    wrapper->fields.emplace(key[i], std::move(value));
    value = wrapper;
  }
  merge_field(object, key[0], std::move(value));
  return true;
}

// Spec, "Include syntax": include "name" | include file("name") | include url("...") |
// include classpath("...") | include required(<any of those>). Since '(' and ')' are
// ordinary unquoted characters, `required(file(` arrives as one unquoted token and is taken
// apart here.
bool Parser::parse_include(Node& object, const Path& object_path, int depth) {
  enum class Kind { kHeuristic, kFile, kUrl, kClasspath };
  Token include_token = take();
  Kind kind = Kind::kHeuristic;
  bool required = false;
  std::vector<char> open;  // 'r' for required(, 'k' for file(/url(/classpath(
  std::optional<std::string> name;
  const std::string kSyntax =
      "include must be followed by a quoted name, file(\"...\"), url(\"...\"), "
      "classpath(\"...\") or required(...)";
  skip_blank();
  while (!name || !open.empty()) {
    const Token& t = peek();
    if (t.kind == TokenKind::kWhitespace || t.kind == TokenKind::kNewline) {
      take();
      continue;
    }
    if (t.kind == TokenKind::kQuoted && !name) {
      name = t.text;
      take();
      continue;
    }
    if (t.kind != TokenKind::kUnquoted) {
      unexpected(t, name ? "expected ')' to close the include"
                         : "expected the name of the "
                           "file to include");
      return false;
    }
    std::string_view s = t.text;
    while (!s.empty()) {
      auto eat = [&](std::string_view word) {
        if (s.substr(0, word.size()) != word) return false;
        s.remove_prefix(word.size());
        return true;
      };
      bool kind_allowed =
          !name && kind == Kind::kHeuristic && (open.empty() || open == std::vector<char>{'r'});
      if (!name && open.empty() && !required && eat("required(")) {
        required = true;
        open.push_back('r');
      } else if (kind_allowed && eat("file(")) {
        kind = Kind::kFile;
        open.push_back('k');
      } else if (kind_allowed && eat("url(")) {
        kind = Kind::kUrl;
        open.push_back('k');
      } else if (kind_allowed && eat("classpath(")) {
        kind = Kind::kClasspath;
        open.push_back('k');
      } else if (name && !open.empty() && eat(")")) {
        open.pop_back();
      } else {
        fail(t, kSyntax);
        return false;
      }
    }
    take();
  }
  // Java resources and URLs have no meaning for a native process; like a missing file they
  // contribute nothing, even when required.
  if (kind == Kind::kUrl || kind == Kind::kClasspath) return true;
  std::string file_name = *name;
  if (kind == Kind::kHeuristic &&
      (file_name.rfind("http://", 0) == 0 || file_name.rfind("https://", 0) == 0)) {
    return true;
  }
  if (file_name.rfind("file://", 0) == 0) file_name.erase(0, 7);
  if (file_name.empty()) {
    fail(include_token, "include of an empty file name");
    return false;
  }
  if (!state_.options.allow_file_includes) {
    if (required) {
      fail(include_token, "required include '" + file_name +
                              "' cannot be read: file includes "
                              "are disabled");
      return false;
    }
    return true;
  }
  fs::path target(file_name);
  if (target.is_relative()) target = base_dir_ / target;
  // Spec, "file formats and extensions": a name without a known extension stands for all
  // of name.properties, name.json and name.conf, merged in that order of increasing priority.
  std::vector<fs::path> candidates;
  std::string extension = target.extension().string();
  if (extension == ".conf" || extension == ".json" || extension == ".properties") {
    candidates.push_back(target);
  } else {
    for (const char* ext : {".properties", ".json", ".conf"}) {
      candidates.emplace_back(target.string() + ext);
    }
  }
  NodePtr merged;
  for (const fs::path& candidate : candidates) {
    bool found = false;
    auto loaded = load_file(candidate, concat_paths(prefix_, object_path), depth, state_, found);
    if (!loaded) {
      Error e = std::move(loaded).error();
      // Problems with the file as a whole are reported where the include names it.
      if (e.line == 0) {
        e = Error{*origin_, include_token.line, include_token.column,
                  "cannot include '" + candidate.string() + "': " + e.message};
      }
      error_ = std::move(e);
      return false;
    }
    if (found) merged = merged ? merge_nodes(*loaded, merged) : *loaded;
  }
  if (!merged) {
    if (required) {
      fail(include_token, "required include '" + file_name + "' not found");
      return false;
    }
    return true;
  }
  for (const auto& [key, value] : merged->fields) merge_field(object, key, value);
  return true;
}

NodePtr Parser::parse_value(const Path& path, int depth) {
  std::vector<NodePtr> parts;
  std::optional<Token> pending_space;
  while (true) {
    const Token& t = peek();
    NodePtr part;
    switch (t.kind) {
      case TokenKind::kWhitespace:
        if (!parts.empty()) pending_space = t;
        take();
        continue;
      case TokenKind::kQuoted:
      case TokenKind::kUnquoted:
      case TokenKind::kNumber:
      case TokenKind::kTrue:
      case TokenKind::kFalse:
      case TokenKind::kNull: {
        auto n = make_node(NodeKind::kScalar, origin_, t.line, t.column);
        if (t.kind == TokenKind::kNumber) {
          n->scalar = Value::number(t.text);
        } else if (t.kind == TokenKind::kTrue || t.kind == TokenKind::kFalse) {
          n->scalar = Value::boolean(t.kind == TokenKind::kTrue);
        } else if (t.kind != TokenKind::kNull) {
          n->scalar = Value::string(t.text);
        }
        part = n;
        take();
        break;
      }
      case TokenKind::kSubstitution: {
        auto n = make_node(NodeKind::kSubstitution, origin_, t.line, t.column);
        n->path = t.path;
        n->prefix = prefix_;
        n->optional = t.optional;
        part = n;
        take();
        break;
      }
      case TokenKind::kOpenBrace:
        part = parse_object(true, path, depth);
        if (!part) return nullptr;
        break;
      case TokenKind::kOpenBracket:
        part = parse_array(path, depth);
        if (!part) return nullptr;
        break;
      default:
        if (parts.empty()) return unexpected(t, "expected a value");
        return combine(std::move(parts));
    }
    if (pending_space) {
      auto space = make_node(NodeKind::kWhitespace, origin_, pending_space->line, pending_space->column);
      space->scalar = Value::string(pending_space->text);
      parts.push_back(space);
      pending_space.reset();
    }
    parts.push_back(std::move(part));
  }
}

// Spec, "Value concatenation": simple values join into a string, arrays into one array,
// objects merge. Parts whose type is known are combined now; a concatenation holding a
// substitution waits for resolution.
NodePtr Parser::combine(std::vector<NodePtr> parts) {
  if (parts.size() == 1) return parts[0];
  auto category = [](const Node& n) -> const char* {
    switch (n.kind) {
      case NodeKind::kObject:
        return "an object";
      case NodeKind::kArray:
        return "an array";
      case NodeKind::kScalar:
        return "a string";
      default:
        return nullptr;
    }
  };
  const Node* first_known = nullptr;
  bool has_substitution = false;
  for (const NodePtr& p : parts) {
    if (p->kind == NodeKind::kSubstitution) has_substitution = true;
    const char* c = category(*p);
    if (!c) continue;
    if (!first_known) {
      first_known = p.get();
    } else if (std::string_view(c) != category(*first_known)) {
      return fail_at(p->line, p->column,
                     std::string("cannot concatenate ") + c + " with " + category(*first_known));
    }
  }
  const NodePtr& head = parts[0];
  if (has_substitution) {
    auto n = make_node(NodeKind::kConcatenation, origin_, head->line, head->column);
    n->items = std::move(parts);
    return n;
  }
  if (first_known->kind == NodeKind::kArray) {
    auto n = make_node(NodeKind::kArray, origin_, head->line, head->column);
    for (const NodePtr& p : parts) {
      if (p->kind == NodeKind::kArray) n->items.insert(n->items.end(), p->items.begin(), p->items.end());
    }
    return n;
  }
  if (first_known->kind == NodeKind::kObject) {
    NodePtr merged;
    for (const NodePtr& p : parts) {
      if (p->kind == NodeKind::kObject) merged = merged ? merge_nodes(p, merged) : p;
    }
    return merged;
  }
  std::string text;
  for (const NodePtr& p : parts) text += concat_text(p->scalar);
  auto n = make_node(NodeKind::kScalar, origin_, head->line, head->column);
  n->scalar = Value::string(std::move(text));
  return n;
}

NodePtr Parser::parse_array(const Path& path, int depth) {
  Token open = take();
  if (depth > kMaxDepth) {
    return fail(open, "objects and arrays nested too deeply (limit " + std::to_string(kMaxDepth) + ")");
  }
  auto array = make_node(NodeKind::kArray, origin_, open.line, open.column);
  bool need_separator = false;
  bool element_since_comma = false;
  while (true) {
    const Token& t = peek();
    switch (t.kind) {
      case TokenKind::kWhitespace:
        take();
        continue;
      case TokenKind::kNewline:
        take();
        need_separator = false;
        continue;
      case TokenKind::kComma:
        if (!element_since_comma) return unexpected(t, "expected a value");
        take();
        need_separator = false;
        element_since_comma = false;
        continue;
      case TokenKind::kCloseBracket:
        take();
        return array;
      case TokenKind::kEnd:
        return fail(t, std::string(need_separator ? "expected ']' or ','" : "expected ']'") +
                           " but found end of file (array opened at line " + std::to_string(open.line) + ")");
      default:
        break;
    }
    if (need_separator) return unexpected(t, "expected ',', newline or ']' after an element");
    NodePtr element = parse_value(path, depth + 1);
    if (!element) return nullptr;
    array->items.push_back(std::move(element));
    need_separator = true;
    element_since_comma = true;
  }
}

}  // namespace

Result<NodePtr, Error> parse_text(std::string_view text, std::shared_ptr<const std::string> origin,
                                  const std::filesystem::path& base_dir, const Path& prefix, int depth,
                                  IncludeState& state) {
  Parser parser(text, std::move(origin), base_dir, prefix, depth, state);
  NodePtr root = parser.parse_document();
  if (!root) return jvb::unexpected(parser.take_error());
  return root;
}

Result<NodePtr, Error> load_file(const std::filesystem::path& file, const Path& prefix, int depth,
                                 IncludeState& state, bool& found) {
  std::error_code ec;
  found = false;
  auto status = fs::status(file, ec);
  if (ec || !fs::exists(status)) {
    return NodePtr(make_node(NodeKind::kObject, nullptr, 0, 0));
  }
  found = true;
  std::string name = file.string();
  auto fail = [&](std::string message) { return jvb::unexpected(Error{name, 0, 0, std::move(message)}); };
  if (!fs::is_regular_file(status)) return fail("not a regular file");
  std::uintmax_t size = fs::file_size(file, ec);
  if (ec) return fail("cannot read file: " + ec.message());
  if (size > kMaxFileSize) return fail("file is larger than 16 MiB");
  if (state.stack.size() >= kMaxIncludeNesting) {
    return fail("includes nested more than " + std::to_string(kMaxIncludeNesting) + " deep");
  }
  fs::path canonical = fs::weakly_canonical(file, ec);
  if (ec) canonical = file;
  for (const fs::path& open : state.stack) {
    if (open == canonical) return fail("include cycle: the file includes itself");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail("cannot open file");
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return fail("cannot read file");
  text.resize(static_cast<std::size_t>(in.gcount()));
  auto origin = std::make_shared<const std::string>(name);
  if (file.extension() == ".properties") {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (auto& entry : jvb::config::parse_java_properties(text)) {
      pairs.emplace_back(std::move(entry.key), std::move(entry.value));
    }
    return properties_tree(pairs, origin);
  }
  state.stack.push_back(canonical);
  auto result = parse_text(text, origin, file.parent_path(), prefix, depth, state);
  state.stack.pop_back();
  return result;
}

}  // namespace jvb::hocon::detail
