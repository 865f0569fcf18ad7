// Internal to bridge/channel: a compact JSON writer for the serializers (RFC 8259 §7 string
// escaping) and a log-safe rendering of input fragments for ParseError reasons.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jvb::channel::detail {

// Appends `s` as a JSON string literal, quotes included. Control characters, '"' and '\' are
// escaped; other UTF-8 is written as is, and bytes that are not well-formed UTF-8 become U+FFFD
// so the output is always valid JSON text.
void append_json_string(std::string& out, std::string_view s);

// At most `max_bytes` of `s`, with every byte outside printable ASCII replaced by '?', and "..."
// appended when cut: for error reasons that name attacker-chosen keys or class names.
std::string log_safe(std::string_view s, std::size_t max_bytes = 40);

// Writes one compact JSON value (no whitespace). Members and elements are separated
// automatically; the caller keeps begin/end calls balanced and calls key() before each value
// inside an object.
class JsonWriter {
 public:
  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  void key(std::string_view name);

  void string(std::string_view s);
  void boolean(bool b);
  void integer(std::int64_t v);
  void unsigned_integer(std::uint64_t v);
  // Shortest text that reads back as the same double; non-finite values (not representable in
  // JSON) are written as null.
  void number(double v);
  void null();

  std::string take() { return std::move(out_); }

 private:
  void before_value();

  std::string out_;
  // One entry per open container: whether it has no element yet.
  std::vector<bool> empty_;
  bool after_key_ = false;
};

}  // namespace jvb::channel::detail
