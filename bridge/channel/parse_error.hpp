// Why an incoming bridge-channel message was dropped (as in JVB's AbstractEndpointMessageTransport:
// a message that does not parse is logged and dropped; an unexpected class is ignored), and the
// input limits that protect the parser from hostile clients.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace jvb::channel {

// Larger messages are rejected before any parsing. Real messages are far smaller: the largest
// ones, EndpointMessage with an E2EE key or a ReceiverVideoConstraints of a big meeting, are a
// few KiB.
inline constexpr std::size_t kMaxMessageBytes = 64 * 1024;
// Objects and arrays nested deeper than this are rejected while parsing, so a text of 100000 '['
// costs 33 tokens. The top-level object is level 1; real messages need at most 5.
inline constexpr std::size_t kMaxJsonDepth = 32;

enum class ParseErrorCategory : std::uint8_t {
  kTooLarge,         // more than kMaxMessageBytes
  kTooDeep,          // nesting deeper than kMaxJsonDepth
  kInvalidJson,      // not JSON (syntax, bad UTF-8, number out of double range)
  kDuplicateKey,     // one object has the same member twice (rejected, as the JVB does)
  kNotAnObject,      // valid JSON, but the top level is not an object
  kMissingClass,     // no colibriClass member (or null)
  kUnknownClass,     // colibriClass names no message the bridge knows
  kUnexpectedClass,  // a known class that a client must not send (bridge->client, bridge<->bridge)
  kMissingField,     // a required member is absent or null
  kWrongType,        // a member has the wrong JSON type (a float where an integer is due, ...)
  kInvalidValue,     // right type, bad value: integer out of range, unknown enum name
};
inline constexpr std::size_t kParseErrorCategoryCount = 11;

// A stable snake_case name per category, usable as a counter or log key ("too_large", ...).
std::string_view to_string(ParseErrorCategory category);

struct ParseError {
  ParseErrorCategory category = ParseErrorCategory::kInvalidJson;
  // Short and log-safe: field names, never more than a few dozen bytes of the input (printable
  // ASCII only).
  std::string reason;
};

// One counter per category, for the endpoint that owns the channel (bad input is dropped and
// counted under a named reason). Not thread-safe: owned by one worker.
class ParseErrorCounters {
 public:
  void record(ParseErrorCategory category) { ++counts_[static_cast<std::size_t>(category)]; }
  std::uint64_t count(ParseErrorCategory category) const {
    return counts_[static_cast<std::size_t>(category)];
  }
  std::uint64_t total() const {
    std::uint64_t sum = 0;
    for (std::uint64_t c : counts_) sum += c;
    return sum;
  }

 private:
  std::array<std::uint64_t, kParseErrorCategoryCount> counts_{};
};

}  // namespace jvb::channel
