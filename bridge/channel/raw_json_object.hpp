// An incoming JSON object kept as the sender wrote it, for the messages the bridge relays
// (EndpointMessage, EndpointStats, which JVB relays with `from` set). The relayed copy must keep
// every member and value exactly and only set or overwrite the top-level `from`, so the original
// text is kept and spliced rather than re-serialised from a parsed tree: numbers, escapes and
// member order survive byte for byte.
//
// Relaying one message to N receivers: call relay_with_from() once and send the same string N
// times (`from` is the sender's id, the same for every receiver).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "bridge/channel/parse_error.hpp"
#include "bridge/core/result.hpp"

namespace jvb::channel {

class RawJsonObject;

namespace detail {
// For the bridge-channel parser only: wraps text that has already passed the JSON checks of
// parse() (size, depth, syntax, unique keys, top level is an object).
struct RawJsonObjectFactory {
  static std::optional<RawJsonObject> from_validated(std::string_view json);
};
}  // namespace detail

class RawJsonObject {
 public:
  // The empty object `{}`.
  RawJsonObject();

  // Checks `json` as parse_client_message() does (size, nesting, syntax, duplicate keys, top
  // level is an object) without looking at colibriClass.
  static Result<RawJsonObject, ParseError> parse(std::string_view json);

  // The object from its '{' to its '}': surrounding whitespace (and a UTF-8 BOM) dropped.
  std::string_view text() const { return text_; }

  // The top-level `from` as the sender wrote it, when it is a JSON string (escapes decoded).
  // Clients' values are spoofable; only a relay's are meaningful.
  const std::optional<std::string>& from() const { return from_; }

  bool operator==(const RawJsonObject& other) const { return text_ == other.text_; }

 private:
  friend struct detail::RawJsonObjectFactory;
  friend std::string relay_with_from(const RawJsonObject& object, std::string_view from);

  std::string text_;
  std::optional<std::string> from_;
  // Byte range in text_ of the value of the top-level member "from", if there is one.
  std::optional<std::pair<std::size_t, std::size_t>> from_value_;
  bool has_members_ = false;
};

// The object's text with the top-level `from` set to `from`: an existing `from` member's value is
// replaced in place; otherwise the member is appended as the last one. Everything else is
// unchanged. `from` is escaped as a JSON string (bytes that are not UTF-8 become U+FFFD).
std::string relay_with_from(const RawJsonObject& object, std::string_view from);

}  // namespace jvb::channel
