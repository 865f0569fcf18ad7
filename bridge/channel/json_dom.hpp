// Internal to bridge/channel: the bounded JSON parse shared by the message parser and
// RawJsonObject (one JSON object per message, duplicate keys rejected as JVB does; limits in
// parse_error.hpp). Not part of the module's public API.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "bridge/channel/parse_error.hpp"
#include "bridge/core/result.hpp"

namespace jvb::channel::detail {

// Parses `text` (one JSON value, nothing but whitespace around it) into a tree, enforcing
// kMaxMessageBytes, kMaxJsonDepth and unique member names per object. Never throws: every
// problem, including running out of memory, comes back as a ParseError.
Result<nlohmann::json, ParseError> parse_json_bounded(std::string_view text);

}  // namespace jvb::channel::detail
