// Tests of RawJsonObject and relay_with_from() (bridge/channel/raw_json_object.hpp;
// EndpointMessage and EndpointStats, which JVB relays): the relayed text keeps every byte except the
// top-level `from` value, which is always the sender's id.
#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "bridge/channel/bridge_channel_message.hpp"
#include "bridge/channel/raw_json_object.hpp"

using namespace jvb::channel;

namespace {

RawJsonObject raw(std::string_view text) {
  auto r = RawJsonObject::parse(text);
  if (!r) FAIL_CHECK(r.error().reason);
  REQUIRE(r);
  return *r;
}

}  // namespace

TEST_CASE("a typical EndpointMessage: `from` is added, the rest is unchanged") {
  const auto m = parse_client_message(
      R"({"colibriClass":"EndpointMessage","to":"","msgPayload":{"type":"e2ee.olm","olm":{"type":"key-info","data":{"ciphertext":"AwogV…"}}}})");
  REQUIRE(m);
  const auto& em = std::get<EndpointMessage>(*m);
  CHECK(
      relay_with_from(em.raw, "79f0273d") ==
      R"({"colibriClass":"EndpointMessage","to":"","msgPayload":{"type":"e2ee.olm","olm":{"type":"key-info","data":{"ciphertext":"AwogV…"}}},"from":"79f0273d"})");
}

TEST_CASE("a spoofed `from` is overwritten in place") {
  CHECK(relay_with_from(raw(R"({"colibriClass":"EndpointMessage","from":"boss","to":"x"})"), "79f0273d") ==
        R"({"colibriClass":"EndpointMessage","from":"79f0273d","to":"x"})");
  // Whatever its type and spacing.
  CHECK(relay_with_from(raw(R"({"to":"", "from" :  {"id":"boss","x":[1,"}"]} , "a":1})"), "e1") ==
        R"({"to":"", "from" :  "e1" , "a":1})");
  CHECK(relay_with_from(raw(R"({"to":"","from":null})"), "e1") == R"({"to":"","from":"e1"})");
  CHECK(relay_with_from(raw(R"({"to":"","from":-12.5e3})"), "e1") == R"({"to":"","from":"e1"})");
  CHECK(relay_with_from(raw(R"({"from":["a","b"]})"), "e1") == R"({"from":"e1"})");
  // Written with escapes, it is still the member `from`.
  CHECK(relay_with_from(raw(R"({"to":"","fr\u006fm":"boss"})"), "e1") == R"({"to":"","fr\u006fm":"e1"})");
}

TEST_CASE("a nested `from` and look-alike keys are left alone") {
  const std::string text =
      R"({"colibriClass":"EndpointMessage","to":"","msgPayload":{"from":"inner","x":{"from":1}},"From":"y","from ":"z","\"from":"w"})";
  CHECK(
      relay_with_from(raw(text), "e1") ==
      R"({"colibriClass":"EndpointMessage","to":"","msgPayload":{"from":"inner","x":{"from":1}},"From":"y","from ":"z","\"from":"w","from":"e1"})");
  // Strings containing braces, quotes and the word from do not confuse the scan.
  const std::string tricky = R"({"a":"}{\"from\":\"x\"}","b":["]","{"],"c":"\\","from":"old","d":"\\\""})";
  CHECK(relay_with_from(raw(tricky), "e1") ==
        R"({"a":"}{\"from\":\"x\"}","b":["]","{"],"c":"\\","from":"e1","d":"\\\""})");
}

TEST_CASE("values are kept exactly: numbers, escapes, spacing, member order") {
  const std::string text =
      "{ \"z\" : 1.0E+2 , \"colibriClass\":\"EndpointStats\",\n \"big\": 123456789012345678901234567890,"
      " \"neg0\": -0, \"esc\": \"\\u00e9\\/\\ud83d\\ude00\", \"t\":true,\"n\":null }";
  const RawJsonObject o = raw(text);
  CHECK(o.text() == text);
  CHECK(relay_with_from(o, "e1") == text.substr(0, text.size() - 1) + ",\"from\":\"e1\"}");
}

TEST_CASE("the relayed text parses back with the sender as `from`") {
  const auto in =
      parse_client_message(R"({"colibriClass":"EndpointMessage","to":"t","from":"spoof","p":[1,{"q":2}]})");
  REQUIRE(in);
  const std::string out = relay_with_from(std::get<EndpointMessage>(*in).raw, "79f0273d");
  const auto again = parse_client_message(out);
  REQUIRE(again);
  const auto& em = std::get<EndpointMessage>(*again);
  CHECK(em.to == "t");
  CHECK(em.raw.from() == "79f0273d");
  // Relaying again with the same sender changes nothing.
  CHECK(relay_with_from(em.raw, "79f0273d") == out);
  const auto j = nlohmann::json::parse(out);
  CHECK(j["p"] == nlohmann::json::parse(R"([1,{"q":2}])"));
}

TEST_CASE("EndpointStats relay") {
  const auto in =
      parse_client_message(R"({"colibriClass":"EndpointStats","connectionQuality":100,"jvbRTT":38})");
  REQUIRE(in);
  CHECK(relay_with_from(std::get<EndpointStats>(*in).raw, "79f0273d") ==
        R"({"colibriClass":"EndpointStats","connectionQuality":100,"jvbRTT":38,"from":"79f0273d"})");
}

TEST_CASE("the sender id is escaped") {
  CHECK(relay_with_from(raw(R"({"a":1})"), "x\"y\\z\n") == R"({"a":1,"from":"x\"y\\z\n"})");
  CHECK(relay_with_from(raw(R"({"from":"a"})"), "\xFF") == "{\"from\":\"\xEF\xBF\xBD\"}");
}

TEST_CASE("empty objects and surrounding whitespace") {
  CHECK(relay_with_from(RawJsonObject{}, "e1") == R"({"from":"e1"})");
  CHECK(RawJsonObject{}.text() == "{}");
  CHECK(relay_with_from(raw(" { \n } "), "e1") == "{ \n \"from\":\"e1\"}");
  const RawJsonObject o = raw("\xEF\xBB\xBF\r\n {\"a\" : [ 1 , 2 ] }\t\n");
  CHECK(o.text() == "{\"a\" : [ 1 , 2 ] }");
  CHECK(relay_with_from(o, "e1") == "{\"a\" : [ 1 , 2 ] ,\"from\":\"e1\"}");
}

TEST_CASE("from() decodes a string `from`") {
  CHECK(raw(R"({"from":"a\u0062c"})").from() == "abc");
  CHECK_FALSE(raw(R"({"from":1})").from());
  CHECK_FALSE(raw(R"({"x":"from"})").from());
}

TEST_CASE("RawJsonObject::parse applies the message checks") {
  CHECK(RawJsonObject::parse("[]").error().category == ParseErrorCategory::kNotAnObject);
  CHECK(RawJsonObject::parse("{").error().category == ParseErrorCategory::kInvalidJson);
  CHECK(RawJsonObject::parse(R"({"a":1,"a":1})").error().category == ParseErrorCategory::kDuplicateKey);
  CHECK(RawJsonObject::parse(std::string(40000, '[')).error().category == ParseErrorCategory::kTooDeep);
  CHECK(RawJsonObject::parse(std::string(kMaxMessageBytes + 1, ' ')).error().category ==
        ParseErrorCategory::kTooLarge);
  // No colibriClass needed here.
  CHECK(RawJsonObject::parse(R"({"x":{}})"));
}

TEST_CASE("equality compares the text") {
  CHECK(raw(R"({"a":1})") == raw(R"( {"a":1})"));
  CHECK_FALSE(raw(R"({"a":1})") == raw(R"({"a":1.0})"));
}
