// Tests of the internal JSON writer and string escaping (bridge/channel/json_text.hpp; RFC 8259
// §7, RFC 3629 §4).
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "bridge/channel/json_text.hpp"

using namespace jvb::channel::detail;

namespace {

std::string json_str(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

}  // namespace

TEST_CASE("append_json_string escapes what JSON requires and keeps UTF-8") {
  CHECK(json_str("") == R"("")");
  CHECK(json_str("plain") == R"("plain")");
  CHECK(json_str("\"\\") == R"("\"\\")");
  CHECK(json_str("\b\f\n\r\t") == R"("\b\f\n\r\t")");
  CHECK(json_str(std::string_view("\x00\x1F", 2)) == R"("\u0000\u001f")");
  CHECK(json_str("/\x7F") == "\"/\x7F\"");
  CHECK(json_str("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF") ==
        "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\"");
}

TEST_CASE("append_json_string replaces ill-formed UTF-8 byte by byte") {
  const std::string r = "\xEF\xBF\xBD";
  CHECK(json_str("\xFF") == "\"" + r + "\"");
  CHECK(json_str("\xC0\xAF") == "\"" + r + r + "\"");                  // overlong '/'
  CHECK(json_str("\xED\xA0\x80") == "\"" + r + r + r + "\"");          // a surrogate
  CHECK(json_str("\xF4\x90\x80\x80") == "\"" + r + r + r + r + "\"");  // above U+10FFFF
  CHECK(json_str("a\xE2\x82") == "\"a" + r + r + "\"");                // truncated at the end
  CHECK(json_str("\xE2\x82"
                 "b") == "\"" + r + r + "b\"");  // truncated in the middle
  // Whatever the input, nlohmann reads the result back.
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  CHECK(nlohmann::json::parse(json_str(all)).is_string());
}

TEST_CASE("log_safe") {
  CHECK(log_safe("abc") == "abc");
  CHECK(log_safe("a\nb\xC3\xA9") == "a?b??");
  CHECK(log_safe(std::string(100, 'x'), 10) == "xxxxxxxxxx...");
}

TEST_CASE("JsonWriter separates members and elements") {
  JsonWriter w;
  w.begin_object();
  w.key("a");
  w.begin_array();
  w.integer(-1);
  w.unsigned_integer(std::numeric_limits<std::uint64_t>::max());
  w.begin_object();
  w.end_object();
  w.begin_array();
  w.end_array();
  w.null();
  w.boolean(false);
  w.end_array();
  w.key("b");
  w.number(0.1);
  w.key("c");
  w.number(-1.0);
  w.key("d");
  w.number(std::numeric_limits<double>::infinity());
  w.key("e");
  w.string("x");
  w.end_object();
  CHECK(w.take() == R"({"a":[-1,18446744073709551615,{},[],null,false],"b":0.1,"c":-1,"d":null,"e":"x"})");
}

TEST_CASE("JsonWriter numbers read back as the same double") {
  for (double v : {0.0, 1e21, 1e-7, 123.456, -2.2250738585072014e-308, 1.7976931348623157e308}) {
    JsonWriter w;
    w.number(v);
    const std::string text = w.take();
    CAPTURE(text);
    CHECK(nlohmann::json::parse(text).get<double>() == v);
  }
}
