// Whole-text number parsing for the load generator's command line (options.cpp) and the SDP it
// reads from Janus (janus_sdp.cpp): std::from_chars, so no locale, no leading '+' or white
// space, and nothing may follow the number.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>

namespace jvb::loadgen {

// The value of all of `text`; nullopt when it is not one number of type T (or does not fit).
template <class T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace jvb::loadgen
