// Bounded JSON parsing for the bridge channel (JVB's parser rejects duplicate keys; otherwise it
// parses leniently). nlohmann's SAX interface is used so that the limits stop the parse at the
// offending token instead of after building a huge tree, and so that no exception is thrown for bad
// input.
#include "bridge/channel/json_dom.hpp"

#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bridge/channel/json_text.hpp"

namespace jvb::channel::detail {
namespace {

using Json = nlohmann::json;

// Builds the tree from nlohmann's SAX events. Returning false from an event stops the parse.
class BoundedDomBuilder {
 public:
  explicit BoundedDomBuilder(Json& root) : root_(root) {}

  bool null() { return put(Json(nullptr)); }
  bool boolean(bool v) { return put(Json(v)); }
  bool number_integer(Json::number_integer_t v) { return put(Json(v)); }
  bool number_unsigned(Json::number_unsigned_t v) { return put(Json(v)); }
  bool number_float(Json::number_float_t v, const std::string& /*text*/) { return put(Json(v)); }
  bool string(Json::string_t& v) { return put(Json(std::move(v))); }
  // The JSON text parser never reports binary values (they exist only in CBOR, MessagePack, ...).
  bool binary(Json::binary_t& /*v*/) { return fail(ParseErrorCategory::kInvalidJson, "binary value"); }

  bool start_object(std::size_t /*elements*/) { return open(Json::object()); }
  bool end_object() {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t /*elements*/) { return open(Json::array()); }
  bool end_array() {
    stack_.pop_back();
    return true;
  }

  bool key(Json::string_t& name) {
    auto& members = stack_.back()->get_ref<Json::object_t&>();
    auto [it, inserted] = members.try_emplace(std::move(name));
    if (!inserted)
      return fail(ParseErrorCategory::kDuplicateKey, "duplicate key \"" + log_safe(it->first) + "\"");
    pending_member_ = &it->second;
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/, const Json::exception& /*ex*/) {
    // nlohmann's message quotes the input; the offset is enough to find the problem. `position`
    // counts the bytes read, so the offending byte is the one before it.
    const std::size_t offset = position > 0 ? position - 1 : 0;
    return fail(ParseErrorCategory::kInvalidJson, "invalid JSON at byte " + std::to_string(offset));
  }

  std::optional<ParseError>& error() { return error_; }

 private:
  bool fail(ParseErrorCategory category, std::string reason) {
    if (!error_) error_ = ParseError{category, std::move(reason)};
    return false;
  }

  // Places a value into the current container (or as the root); always succeeds.
  bool put(Json&& value) {
    place(std::move(value));
    return true;
  }

  // Returns where the value now lives.
  Json* place(Json&& value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *stack_.back();
    if (parent.is_array()) {
      auto& elements = parent.get_ref<Json::array_t&>();
      elements.push_back(std::move(value));
      return &elements.back();
    }
    // Inside an object the parser always reports key() before the member's value.
    *pending_member_ = std::move(value);
    return pending_member_;
  }

  bool open(Json&& container) {
    if (stack_.size() >= kMaxJsonDepth) {
      return fail(ParseErrorCategory::kTooDeep, "nesting deeper than " + std::to_string(kMaxJsonDepth));
    }
    // The pointers on stack_ stay valid: an array only grows (and may reallocate) while none of
    // its elements is open, and map nodes never move.
    stack_.push_back(place(std::move(container)));
    return true;
  }

  Json& root_;
  std::vector<Json*> stack_;
  Json* pending_member_ = nullptr;
  std::optional<ParseError> error_;
};

}  // namespace

Result<nlohmann::json, ParseError> parse_json_bounded(std::string_view text) {
  if (text.size() > kMaxMessageBytes) {
    return unexpected(ParseError{ParseErrorCategory::kTooLarge, "message of " + std::to_string(text.size()) +
                                                                    " bytes, more than " +
                                                                    std::to_string(kMaxMessageBytes)});
  }
  // nlohmann's lexer takes a NUL byte for the end of the input and would ignore whatever
  // follows it. A raw NUL is never valid in JSON text (RFC 8259 §2, §7).
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    return unexpected(
        ParseError{ParseErrorCategory::kInvalidJson, "invalid JSON at byte " + std::to_string(nul)});
  }
  try {
    Json root;
    BoundedDomBuilder builder(root);
    const bool ok = Json::sax_parse(text.begin(), text.end(), &builder, Json::input_format_t::json,
                                    /*strict=*/true);
    if (!ok || builder.error()) {
      if (builder.error()) return unexpected(std::move(*builder.error()));
      return unexpected(ParseError{ParseErrorCategory::kInvalidJson, "invalid JSON"});
    }
    return root;
  } catch (const std::exception&) {
    // Only allocation failure can get here: the SAX parser reports bad input through
    // parse_error() instead of throwing.
    return unexpected(ParseError{ParseErrorCategory::kInvalidJson, "out of memory while parsing"});
  }
}

}  // namespace jvb::channel::detail
