// Tests of parse_client_message() (bridge/channel/bridge_channel_message.hpp;
// client classes of JVB's BridgeChannelMessage.kt): every client class from typical messages, the
// leniency rules, required fields, types, ranges, and hostile input.
#include <doctest/doctest.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bridge/channel/bridge_channel_message.hpp"

using namespace jvb::channel;

namespace {

template <class M>
M parse_as(std::string_view json) {
  auto r = parse_client_message(json);
  if (!r) FAIL_CHECK("parse failed: " << r.error().reason);
  REQUIRE(r);
  REQUIRE(std::holds_alternative<M>(*r));
  return std::get<M>(std::move(*r));
}

ParseError parse_error(std::string_view json) {
  auto r = parse_client_message(json);
  REQUIRE_FALSE(r);
  // Reasons go to logs: short, printable ASCII.
  CHECK_FALSE(r.error().reason.empty());
  CHECK(r.error().reason.size() < 120);
  for (char c : r.error().reason) CHECK((c >= 0x20 && c < 0x7F));
  return r.error();
}

ParseErrorCategory category_of(std::string_view json) { return parse_error(json).category; }

}  // namespace

TEST_CASE("ReceiverVideoConstraints: a typical message") {
  const auto m = parse_as<ReceiverVideoConstraints>(
      R"({"colibriClass":"ReceiverVideoConstraints","lastN":20,
          "onStageSources":["a1b2c3d4-v0"],"selectedSources":[],
          "defaultConstraints":{"maxHeight":180},
          "constraints":{"a1b2c3d4-v0":{"maxHeight":720},"5e6f7a8b-v1":{"maxHeight":0}},
          "assumedBandwidthBps":-1})");
  CHECK(m.last_n == 20);
  REQUIRE(m.on_stage_sources);
  CHECK(*m.on_stage_sources == std::vector<std::string>{"a1b2c3d4-v0"});
  REQUIRE(m.selected_sources);
  CHECK(m.selected_sources->empty());
  REQUIRE(m.default_constraints);
  CHECK(m.default_constraints->max_height == 180);
  CHECK_FALSE(m.default_constraints->max_frame_rate);
  REQUIRE(m.constraints);
  CHECK(m.constraints->size() == 2);
  CHECK(m.constraints->at("a1b2c3d4-v0") == VideoConstraints{720, std::nullopt});
  CHECK(m.constraints->at("5e6f7a8b-v1") == VideoConstraints{0, std::nullopt});
  CHECK(m.assumed_bandwidth_bps == -1);
  CHECK_FALSE(m.on_stage_endpoints);
  CHECK_FALSE(m.selected_endpoints);
}

TEST_CASE("ReceiverVideoConstraints: absent members stay absent, present empty ones do not") {
  const auto empty = parse_as<ReceiverVideoConstraints>(R"({"colibriClass":"ReceiverVideoConstraints"})");
  CHECK(empty == ReceiverVideoConstraints{});

  // The lastN-only form.
  const auto last_n =
      parse_as<ReceiverVideoConstraints>(R"({"colibriClass":"ReceiverVideoConstraints","lastN":-1})");
  CHECK(last_n.last_n == -1);
  CHECK_FALSE(last_n.default_constraints);
  CHECK_FALSE(last_n.constraints);
  CHECK_FALSE(last_n.selected_sources);

  const auto present = parse_as<ReceiverVideoConstraints>(
      R"({"colibriClass":"ReceiverVideoConstraints","constraints":{},"selectedSources":[],"onStageSources":[]})");
  REQUIRE(present.constraints);
  CHECK(present.constraints->empty());
  REQUIRE(present.selected_sources);
  REQUIRE(present.on_stage_sources);
  CHECK_FALSE(present.last_n);

  // Explicit null is the same as absent.
  const auto nulls = parse_as<ReceiverVideoConstraints>(
      R"({"colibriClass":"ReceiverVideoConstraints","lastN":null,"defaultConstraints":null,"constraints":null})");
  CHECK(nulls == ReceiverVideoConstraints{});
}

TEST_CASE("ReceiverVideoConstraints: maxFrameRate, unknown members, legacy endpoint form") {
  const auto m = parse_as<ReceiverVideoConstraints>(
      R"({"colibriClass":"ReceiverVideoConstraints","futureField":{"x":[1,2]},
          "defaultConstraints":{"maxHeight":-1,"maxFrameRate":-1.0,"idealHeight":5},
          "constraints":{"s-v0":{"maxHeight":360,"maxFrameRate":15,"other":"x"},"s-v1":{"maxHeight":2160,"maxFrameRate":7.5}}})");
  REQUIRE(m.default_constraints);
  CHECK(m.default_constraints->max_height == -1);
  CHECK(m.default_constraints->max_frame_rate == -1.0);
  CHECK(m.constraints->at("s-v0").max_frame_rate == 15.0);
  CHECK(m.constraints->at("s-v1").max_frame_rate == 7.5);

  const auto legacy = parse_as<ReceiverVideoConstraints>(
      R"({"colibriClass":"ReceiverVideoConstraints","lastN":3,"selectedEndpoints":["a1b2c3d4"],
          "onStageEndpoints":["5e6f7a8b","79f0273d"],"constraints":{"a1b2c3d4":{"maxHeight":720}}})");
  CHECK(legacy.last_n == 3);
  CHECK(legacy.selected_endpoints == std::vector<std::string>{"a1b2c3d4"});
  CHECK(legacy.on_stage_endpoints == std::vector<std::string>{"5e6f7a8b", "79f0273d"});
  CHECK_FALSE(legacy.selected_sources);
  CHECK_FALSE(legacy.on_stage_sources);
  CHECK(legacy.constraints->at("a1b2c3d4").max_height == 720);
}

TEST_CASE("ReceiverVideoConstraints: required maxHeight, types and ranges") {
  auto e =
      parse_error(R"({"colibriClass":"ReceiverVideoConstraints","defaultConstraints":{"maxFrameRate":30}})");
  CHECK(e.category == ParseErrorCategory::kMissingField);
  CHECK(e.reason == "defaultConstraints.maxHeight: missing");

  e = parse_error(R"({"colibriClass":"ReceiverVideoConstraints","constraints":{"x-v0":{"maxHeight":null}}})");
  CHECK(e.category == ParseErrorCategory::kMissingField);
  CHECK(e.reason == "constraints.x-v0.maxHeight: missing");

  CHECK(category_of(R"({"colibriClass":"ReceiverVideoConstraints","lastN":"5"})") ==
        ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"ReceiverVideoConstraints","lastN":5.5})") ==
        ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"ReceiverVideoConstraints","lastN":5.0})") ==
        ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"ReceiverVideoConstraints","lastN":1e2})") ==
        ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"ReceiverVideoConstraints","lastN":true})") ==
        ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"ReceiverVideoConstraints","defaultConstraints":180})") ==
        ParseErrorCategory::kWrongType);
  CHECK(category_of(
            R"({"colibriClass":"ReceiverVideoConstraints","defaultConstraints":{"maxHeight":"180"}})") ==
        ParseErrorCategory::kWrongType);
  CHECK(
      category_of(
          R"({"colibriClass":"ReceiverVideoConstraints","defaultConstraints":{"maxHeight":1,"maxFrameRate":"30"}})") ==
      ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"ReceiverVideoConstraints","constraints":[]})") ==
        ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"ReceiverVideoConstraints","constraints":{"a":5}})") ==
        ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"ReceiverVideoConstraints","constraints":{"a":null}})") ==
        ParseErrorCategory::kWrongType);
  e = parse_error(R"({"colibriClass":"ReceiverVideoConstraints","selectedSources":["a",7]})");
  CHECK(e.category == ParseErrorCategory::kWrongType);
  CHECK(e.reason == "selectedSources[1]: expected a string");
  CHECK(category_of(R"({"colibriClass":"ReceiverVideoConstraints","onStageSources":"a"})") ==
        ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"ReceiverVideoConstraints","assumedBandwidthBps":"1"})") ==
        ParseErrorCategory::kWrongType);

  // int32 boundaries for lastN and maxHeight, int64 for assumedBandwidthBps.
  CHECK(
      parse_as<ReceiverVideoConstraints>(R"({"colibriClass":"ReceiverVideoConstraints","lastN":2147483647})")
          .last_n == 2147483647);
  CHECK(
      parse_as<ReceiverVideoConstraints>(R"({"colibriClass":"ReceiverVideoConstraints","lastN":-2147483648})")
          .last_n == -2147483647 - 1);
  CHECK(category_of(R"({"colibriClass":"ReceiverVideoConstraints","lastN":2147483648})") ==
        ParseErrorCategory::kInvalidValue);
  CHECK(category_of(R"({"colibriClass":"ReceiverVideoConstraints","lastN":-2147483649})") ==
        ParseErrorCategory::kInvalidValue);
  CHECK(category_of(
            R"({"colibriClass":"ReceiverVideoConstraints","defaultConstraints":{"maxHeight":4294967296}})") ==
        ParseErrorCategory::kInvalidValue);
  CHECK(parse_as<ReceiverVideoConstraints>(
            R"({"colibriClass":"ReceiverVideoConstraints","assumedBandwidthBps":9223372036854775807})")
            .assumed_bandwidth_bps == INT64_MAX);
  CHECK(category_of(
            R"({"colibriClass":"ReceiverVideoConstraints","assumedBandwidthBps":9223372036854775808})") ==
        ParseErrorCategory::kInvalidValue);
  // Beyond uint64 the number is a float to the parser: not an integer.
  CHECK(category_of(
            R"({"colibriClass":"ReceiverVideoConstraints","assumedBandwidthBps":99999999999999999999})") ==
        ParseErrorCategory::kWrongType);
}

TEST_CASE("LastNChangedEvent") {
  CHECK(parse_as<LastNChangedEvent>(R"({"colibriClass":"LastNChangedEvent","lastN":5})").last_n == 5);
  CHECK(parse_as<LastNChangedEvent>(R"({"colibriClass":"LastNChangedEvent","lastN":-1,"extra":1})").last_n ==
        -1);
  auto e = parse_error(R"({"colibriClass":"LastNChangedEvent"})");
  CHECK(e.category == ParseErrorCategory::kMissingField);
  CHECK(e.reason == "lastN: missing");
  CHECK(category_of(R"({"colibriClass":"LastNChangedEvent","lastN":null})") ==
        ParseErrorCategory::kMissingField);
  CHECK(category_of(R"({"colibriClass":"LastNChangedEvent","lastN":"5"})") == ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"LastNChangedEvent","lastN":[5]})") == ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"LastNChangedEvent","lastN":3000000000})") ==
        ParseErrorCategory::kInvalidValue);
}

TEST_CASE("EndpointMessage: a typical message, kept verbatim") {
  const std::string text =
      R"({"colibriClass":"EndpointMessage","to":"","msgPayload":{"type":"e2ee.olm","olm":{"type":"key-info","data":{"ciphertext":"AwogV…"}}}})";
  const auto m = parse_as<EndpointMessage>(text);
  CHECK(m.to.empty());
  CHECK(m.is_broadcast());
  CHECK(m.raw.text() == text);
  CHECK_FALSE(m.raw.from());

  const auto unicast =
      parse_as<EndpointMessage>(R"({"colibriClass":"EndpointMessage","to":"79f0273d","msgPayload":{}})");
  CHECK(unicast.to == "79f0273d");
  CHECK_FALSE(unicast.is_broadcast());
  // The JVB treats a blank target as broadcast.
  CHECK(parse_as<EndpointMessage>(R"({"colibriClass":"EndpointMessage","to":"  "})").is_broadcast());

  // A client's own `from` is only reported, never trusted.
  const auto spoofed =
      parse_as<EndpointMessage>(R"({"colibriClass":"EndpointMessage","to":"","from":"someone-else"})");
  CHECK(spoofed.raw.from() == "someone-else");
  // Non-string payloads and a non-string `from` are the receivers' business.
  CHECK(parse_as<EndpointMessage>(R"({"colibriClass":"EndpointMessage","to":"","from":5,"msgPayload":[1]})")
            .raw.from() == std::nullopt);
}

TEST_CASE("EndpointMessage: `to` is required and a string") {
  auto e = parse_error(R"({"colibriClass":"EndpointMessage","msgPayload":{}})");
  CHECK(e.category == ParseErrorCategory::kMissingField);
  CHECK(e.reason == "to: missing");
  CHECK(category_of(R"({"colibriClass":"EndpointMessage","to":null})") == ParseErrorCategory::kMissingField);
  CHECK(category_of(R"({"colibriClass":"EndpointMessage","to":5})") == ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"EndpointMessage","to":["a"]})") == ParseErrorCategory::kWrongType);
}

TEST_CASE("EndpointMessage: unicode text survives") {
  const std::string text =
      "{\"colibriClass\":\"EndpointMessage\",\"to\":\"\",\"msgPayload\":{\"text\":\"gr\xC3\xBC\xC3\x9F "
      "\xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80 \\u00e9\\ud83d\\ude00\"}}";
  const auto m = parse_as<EndpointMessage>(text);
  CHECK(m.raw.text() == text);
  const auto relayed = relay_with_from(m.raw, "79f0273d");
  CHECK(relayed.find("gr\xC3\xBC\xC3\x9F \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80 \\u00e9\\ud83d\\ude00") !=
        std::string::npos);
}

TEST_CASE("EndpointStats: a typical message") {
  const std::string text =
      R"({"colibriClass":"EndpointStats",
 "bitrate":{"upload":1240,"download":2980,"audio":{"upload":40,"download":80},"video":{"upload":1200,"download":2900}},
 "packetLoss":{"total":0,"download":0,"upload":0},
 "connectionQuality":100,"jvbRTT":38,
 "maxEnabledResolution":720,"serverRegion":"eu-west"})";
  const auto m = parse_as<EndpointStats>(text);
  CHECK(m.raw.text() == text);
  CHECK(parse_as<EndpointStats>(R"({"colibriClass":"EndpointStats"})").raw.text() ==
        R"({"colibriClass":"EndpointStats"})");
}

TEST_CASE("SourceVideoTypeMessage") {
  auto m = parse_as<SourceVideoTypeMessage>(
      R"({"colibriClass":"SourceVideoTypeMessage","sourceName":"79f0273d-v1","videoType":"desktop"})");
  CHECK(m.source_name == "79f0273d-v1");
  CHECK(m.video_type == VideoType::kDesktop);
  CHECK_FALSE(m.endpoint_id);

  // As a bridge forwards it to a relay.
  m = parse_as<SourceVideoTypeMessage>(
      R"({"colibriClass":"SourceVideoTypeMessage","videoType":"DESKTOP","sourceName":"79f0273d-v1","endpointId":"79f0273d"})");
  CHECK(m.video_type == VideoType::kDesktop);
  CHECK(m.endpoint_id == "79f0273d");

  const std::pair<const char*, VideoType> names[] = {
      {"camera", VideoType::kCamera},
      {"Desktop", VideoType::kDesktop},
      {"desktop_HIGH_fps", VideoType::kDesktopHighFps},
      {"none", VideoType::kNone},
      {"DISABLED", VideoType::kDisabled},
  };
  for (const auto& [name, type] : names) {
    CAPTURE(name);
    const auto json =
        std::string(R"({"colibriClass":"SourceVideoTypeMessage","sourceName":"s","videoType":")") + name +
        "\"}";
    CHECK(parse_as<SourceVideoTypeMessage>(json).video_type == type);
  }

  CHECK(category_of(R"({"colibriClass":"SourceVideoTypeMessage","videoType":"camera"})") ==
        ParseErrorCategory::kMissingField);
  CHECK(category_of(R"({"colibriClass":"SourceVideoTypeMessage","sourceName":"s"})") ==
        ParseErrorCategory::kMissingField);
  CHECK(category_of(R"({"colibriClass":"SourceVideoTypeMessage","sourceName":"s","videoType":"screen"})") ==
        ParseErrorCategory::kInvalidValue);
  CHECK(category_of(R"({"colibriClass":"SourceVideoTypeMessage","sourceName":"s","videoType":""})") ==
        ParseErrorCategory::kInvalidValue);
  CHECK(category_of(R"({"colibriClass":"SourceVideoTypeMessage","sourceName":"s","videoType":1})") ==
        ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"SourceVideoTypeMessage","sourceName":1,"videoType":"camera"})") ==
        ParseErrorCategory::kWrongType);
}

TEST_CASE("VideoTypeMessage (deprecated)") {
  auto m = parse_as<VideoTypeMessage>(R"({"colibriClass":"VideoTypeMessage","videoType":"camera"})");
  CHECK(m.video_type == VideoType::kCamera);
  CHECK_FALSE(m.endpoint_id);
  m = parse_as<VideoTypeMessage>(
      R"({"colibriClass":"VideoTypeMessage","videoType":"DESKTOP","endpointId":"a1b2c3d4"})");
  CHECK(m.video_type == VideoType::kDesktop);
  CHECK(m.endpoint_id == "a1b2c3d4");
  CHECK(category_of(R"({"colibriClass":"VideoTypeMessage"})") == ParseErrorCategory::kMissingField);
  CHECK(category_of(R"({"colibriClass":"VideoTypeMessage","videoType":"camera","endpointId":7})") ==
        ParseErrorCategory::kWrongType);
}

TEST_CASE("ReceiverAudioSubscription: current form") {
  auto m = parse_as<ReceiverAudioSubscription>(
      R"({"colibriClass":"ReceiverAudioSubscription","all":true,"include":[],"exclude":["5e6f7a8b-a0"]})");
  CHECK(m.all);
  CHECK(m.include.empty());
  CHECK(m.exclude == std::vector<std::string>{"5e6f7a8b-a0"});

  // The JVB's default for an absent `all` is false.
  m = parse_as<ReceiverAudioSubscription>(
      R"({"colibriClass":"ReceiverAudioSubscription","include":["55555555-a0.fr"]})");
  CHECK_FALSE(m.all);
  CHECK(m.include == std::vector<std::string>{"55555555-a0.fr"});
  CHECK(m.exclude.empty());

  CHECK(category_of(R"({"colibriClass":"ReceiverAudioSubscription","all":"true"})") ==
        ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"ReceiverAudioSubscription","all":true,"exclude":"x"})") ==
        ParseErrorCategory::kWrongType);
}

TEST_CASE("ReceiverAudioSubscription: legacy mode + list") {
  using V = std::vector<std::string>;
  auto sub = [](std::string_view rest) {
    return parse_as<ReceiverAudioSubscription>(
        std::string(R"({"colibriClass":"ReceiverAudioSubscription",)") + std::string(rest) + "}");
  };
  CHECK(sub(R"("mode":"All")") == ReceiverAudioSubscription{true, {}, {}});
  CHECK(sub(R"("mode":"None","list":["a-a0"])") == ReceiverAudioSubscription{false, {}, {}});
  CHECK(sub(R"("mode":"Include","list":["a-a0","b-a0"])") ==
        ReceiverAudioSubscription{false, V{"a-a0", "b-a0"}, {}});
  CHECK(sub(R"("mode":"Exclude","list":["a-a0"])") == ReceiverAudioSubscription{true, {}, V{"a-a0"}});
  CHECK(sub(R"("mode":"exclude")") == ReceiverAudioSubscription{true, {}, {}});
  CHECK(sub(R"("mode":"Custom","include":["a-a0"],"exclude":["b-a0"])") ==
        ReceiverAudioSubscription{false, V{"a-a0"}, V{"b-a0"}});
  // When both forms are present, the current one wins.
  CHECK(sub(R"("mode":"None","all":true,"list":["x"])") == ReceiverAudioSubscription{true, {}, {}});

  CHECK(category_of(R"({"colibriClass":"ReceiverAudioSubscription","mode":"Some"})") ==
        ParseErrorCategory::kInvalidValue);
  CHECK(category_of(R"({"colibriClass":"ReceiverAudioSubscription","mode":1})") ==
        ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"ReceiverAudioSubscription","mode":"Include","list":"a"})") ==
        ParseErrorCategory::kWrongType);
}

TEST_CASE("ClientHello") {
  CHECK(std::holds_alternative<ClientHello>(*parse_client_message(R"({"colibriClass":"ClientHello"})")));
  CHECK(std::holds_alternative<ClientHello>(
      *parse_client_message(R"({"colibriClass":"ClientHello","x":[{}]})")));
}

TEST_CASE("colibri_class names every parsed class") {
  CHECK(colibri_class(ClientMessage(ReceiverVideoConstraints{})) == "ReceiverVideoConstraints");
  CHECK(colibri_class(ClientMessage(LastNChangedEvent{})) == "LastNChangedEvent");
  CHECK(colibri_class(ClientMessage(EndpointMessage{})) == "EndpointMessage");
  CHECK(colibri_class(ClientMessage(EndpointStats{})) == "EndpointStats");
  CHECK(colibri_class(ClientMessage(SourceVideoTypeMessage{})) == "SourceVideoTypeMessage");
  CHECK(colibri_class(ClientMessage(VideoTypeMessage{})) == "VideoTypeMessage");
  CHECK(colibri_class(ClientMessage(ReceiverAudioSubscription{})) == "ReceiverAudioSubscription");
  CHECK(colibri_class(ClientMessage(ClientHello{})) == "ClientHello");
}

TEST_CASE("colibriClass: missing, wrong type, unknown, unexpected") {
  CHECK(category_of(R"({"lastN":5})") == ParseErrorCategory::kMissingClass);
  CHECK(category_of(R"({})") == ParseErrorCategory::kMissingClass);
  CHECK(category_of(R"({"colibriClass":null})") == ParseErrorCategory::kMissingClass);
  CHECK(category_of(R"({"colibriClass":5})") == ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":["ClientHello"]})") == ParseErrorCategory::kWrongType);
  CHECK(category_of(R"({"colibriClass":"NoSuchMessage"})") == ParseErrorCategory::kUnknownClass);
  CHECK(category_of(R"({"colibriClass":""})") == ParseErrorCategory::kUnknownClass);
  // Class names are case-sensitive, as Jackson's type ids are.
  CHECK(category_of(R"({"colibriClass":"clienthello"})") == ParseErrorCategory::kUnknownClass);

  for (const char* name :
       {"ServerHello", "ForwardedSources", "DominantSpeakerEndpointChangeEvent", "SenderSourceConstraints",
        "EndpointConnectivityStatusChangeEvent", "ConnectionStats", "VideoSourcesMap", "AudioSourcesMap",
        "SyntheticSourceSendingChangeEvent", "AddReceiver", "RemoveReceiver"}) {
    CAPTURE(name);
    CHECK(category_of(std::string(R"({"colibriClass":")") + name + "\"}") ==
          ParseErrorCategory::kUnexpectedClass);
  }
  // A realistic bridge->client message bounced back by a client.
  CHECK(category_of(R"({"colibriClass":"ForwardedSources","forwardedSources":["a1b2c3d4-v0"]})") ==
        ParseErrorCategory::kUnexpectedClass);

  // An attacker-chosen class name is cut and made printable in the reason.
  const auto e = parse_error("{\"colibriClass\":\"" + std::string(1000, 'A') + "\\n\\u0000\"}");
  CHECK(e.category == ParseErrorCategory::kUnknownClass);
  CHECK(e.reason.find("AAAA") != std::string::npos);
  CHECK(e.reason.size() < 100);
}

TEST_CASE("not JSON") {
  for (const char* bad :
       {"", " ", "{", "}", R"({"colibriClass":"ClientHello")", R"({"colibriClass":"ClientHello"}})",
        R"({"colibriClass":"ClientHello"} x)", R"({'colibriClass':'ClientHello'})",
        R"({"colibriClass":"ClientHello",})", R"({"colibriClass":ClientHello})",
        R"({"colibriClass":"LastNChangedEvent","lastN":05})",
        R"({"colibriClass":"LastNChangedEvent","lastN":1e400})", "\x00",
        R"({"colibriClass":"ClientHello"}{"colibriClass":"ClientHello"})"}) {
    CAPTURE(bad);
    CHECK(category_of(bad) == ParseErrorCategory::kInvalidJson);
  }
  // Bad UTF-8 and lone surrogates inside strings.
  CHECK(category_of("{\"colibriClass\":\"EndpointMessage\",\"to\":\"\xFF\"}") ==
        ParseErrorCategory::kInvalidJson);
  CHECK(category_of("{\"colibriClass\":\"EndpointMessage\",\"to\":\"\xC0\xAF\"}") ==
        ParseErrorCategory::kInvalidJson);
  CHECK(category_of(R"({"colibriClass":"EndpointMessage","to":"\ud800"})") ==
        ParseErrorCategory::kInvalidJson);
  // A NUL inside the text (std::string_view carries it) is not JSON either.
  CHECK(category_of(std::string_view("{\"colibriClass\":\"ClientHello\"}\0", 31)) ==
        ParseErrorCategory::kInvalidJson);
  CHECK(parse_error("{\"colibriClass\":tru}").reason == "invalid JSON at byte 19");
}

TEST_CASE("whitespace and a BOM around the object are accepted") {
  CHECK(parse_client_message(" \r\n\t{ \"colibriClass\" : \"ClientHello\" }\n "));
  const auto m =
      parse_as<EndpointMessage>("\xEF\xBB\xBF {\"colibriClass\":\"EndpointMessage\",\"to\":\"\"} \n");
  CHECK(m.raw.text() == R"({"colibriClass":"EndpointMessage","to":""})");
}

TEST_CASE("top level must be an object") {
  for (const char* not_object : {"[]", R"(["colibriClass"])", R"("ClientHello")", "5", "null", "true"}) {
    CAPTURE(not_object);
    CHECK(category_of(not_object) == ParseErrorCategory::kNotAnObject);
  }
}

TEST_CASE("duplicate keys are rejected at every level") {
  CHECK(category_of(R"({"colibriClass":"LastNChangedEvent","lastN":1,"lastN":2})") ==
        ParseErrorCategory::kDuplicateKey);
  CHECK(category_of(R"({"colibriClass":"ClientHello","colibriClass":"ClientHello"})") ==
        ParseErrorCategory::kDuplicateKey);
  // Spelled differently, the same after unescaping.
  CHECK(category_of(R"({"colibriClass":"EndpointMessage","to":"a","t\u006f":""})") ==
        ParseErrorCategory::kDuplicateKey);
  CHECK(category_of(R"({"colibriClass":"EndpointMessage","to":"","from":"a","from":"b"})") ==
        ParseErrorCategory::kDuplicateKey);
  CHECK(category_of(R"({"colibriClass":"EndpointMessage","to":"","msgPayload":{"a":{"b":1,"b":2}}})") ==
        ParseErrorCategory::kDuplicateKey);
  // The same key in different objects is fine.
  CHECK(parse_client_message(
      R"({"colibriClass":"EndpointMessage","to":"","m":{"to":1},"n":[{"to":2},{"to":3}]})"));
}

TEST_CASE("oversized input is rejected before parsing") {
  const std::string head = R"({"colibriClass":"EndpointMessage","to":"","pad":")";
  std::string exact = head + std::string(kMaxMessageBytes - head.size() - 2, 'x') + "\"}";
  REQUIRE(exact.size() == kMaxMessageBytes);
  CHECK(parse_client_message(exact));
  std::string over = head + std::string(kMaxMessageBytes - head.size() - 1, 'x') + "\"}";
  REQUIRE(over.size() == kMaxMessageBytes + 1);
  CHECK(category_of(over) == ParseErrorCategory::kTooLarge);
  // Even garbage that size is not looked at.
  CHECK(category_of(std::string(100000, '[')) == ParseErrorCategory::kTooLarge);
  CHECK(category_of(std::string(kMaxMessageBytes * 4, '[')) == ParseErrorCategory::kTooLarge);
}

TEST_CASE("deep nesting is cut off without recursion") {
  // 100000 '[' would be over the size limit; the depth limit must hold on its own as well.
  CHECK(category_of(std::string(60000, '[')) == ParseErrorCategory::kTooDeep);
  std::string objects;
  for (int i = 0; i < 10000; ++i) objects += R"({"a":)";
  CHECK(category_of(objects) == ParseErrorCategory::kTooDeep);

  // kMaxJsonDepth levels are fine, one more is not.
  auto nested = [](std::size_t levels) {
    std::string s = R"({"colibriClass":"EndpointMessage","to":"","p":)";
    for (std::size_t i = 1; i < levels; ++i) s += '[';
    for (std::size_t i = 1; i < levels; ++i) s += ']';
    return s + "}";
  };
  CHECK(parse_client_message(nested(kMaxJsonDepth)));
  CHECK(category_of(nested(kMaxJsonDepth + 1)) == ParseErrorCategory::kTooDeep);
}

TEST_CASE("error categories have distinct names; counters count") {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kParseErrorCategoryCount; ++i) {
    names.insert(to_string(static_cast<ParseErrorCategory>(i)));
  }
  CHECK(names.size() == kParseErrorCategoryCount);
  CHECK(to_string(ParseErrorCategory::kTooDeep) == "too_deep");

  ParseErrorCounters counters;
  for (const char* input : {"[", "[]", R"({"colibriClass":"X"})", R"({"colibriClass":"X"})"}) {
    auto r = parse_client_message(input);
    REQUIRE_FALSE(r);
    counters.record(r.error().category);
  }
  CHECK(counters.count(ParseErrorCategory::kInvalidJson) == 1);
  CHECK(counters.count(ParseErrorCategory::kNotAnObject) == 1);
  CHECK(counters.count(ParseErrorCategory::kUnknownClass) == 2);
  CHECK(counters.count(ParseErrorCategory::kTooLarge) == 0);
  CHECK(counters.total() == 4);
}

TEST_CASE("a NUL byte anywhere is invalid, not an early end of input") {
  using namespace std::string_literals;
  CHECK(parse_error("{\"colibriClass\":\"ClientHello\"}\0{\"x\":1}"s).reason == "invalid JSON at byte 30");
  CHECK(category_of("{\"colibriClass\":\"EndpointMessage\",\"to\":\"\"}\0}"s) ==
        ParseErrorCategory::kInvalidJson);
  CHECK(category_of("{\"colibriClass\":\"EndpointMessage\",\"to\":\"a\0b\"}"s) ==
        ParseErrorCategory::kInvalidJson);
}
