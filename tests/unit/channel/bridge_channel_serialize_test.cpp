// Tests of the bridge-channel serializers (bridge/channel/bridge_channel_message.hpp;
// bridge -> client classes of JVB's BridgeChannelMessage.kt): exact compact strings for typical
// messages, value ranges, escaping, and client classes read back through the parser.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/channel/bridge_channel_message.hpp"

using namespace jvb::channel;

namespace {

template <class M>
M round_trip(const M& m) {
  const std::string text = serialize(m);
  auto r = parse_client_message(text);
  if (!r) FAIL_CHECK("does not parse back: " << r.error().reason << " in " << text);
  REQUIRE(r);
  REQUIRE(std::holds_alternative<M>(*r));
  return std::get<M>(*r);
}

}  // namespace

TEST_CASE("ServerHello") {
  CHECK(serialize(ServerHello{}) == R"({"colibriClass":"ServerHello"})");
  CHECK(serialize(ServerHello{"2.3.209-gb5fbe618"}) ==
        R"({"colibriClass":"ServerHello","version":"2.3.209-gb5fbe618"})");
}

TEST_CASE("ForwardedSources") {
  CHECK(serialize(ForwardedSources{{"a1b2c3d4-v0", "5e6f7a8b-v0"}}) ==
        R"({"colibriClass":"ForwardedSources","forwardedSources":["a1b2c3d4-v0","5e6f7a8b-v0"]})");
  CHECK(serialize(ForwardedSources{}) == R"({"colibriClass":"ForwardedSources","forwardedSources":[]})");
}

TEST_CASE("DominantSpeakerEndpointChangeEvent") {
  CHECK(
      serialize(DominantSpeakerEndpointChangeEvent{"a1b2c3d4", {"5e6f7a8b", "79f0273d"}, false}) ==
      R"({"colibriClass":"DominantSpeakerEndpointChangeEvent","dominantSpeakerEndpoint":"a1b2c3d4","previousSpeakers":["5e6f7a8b","79f0273d"],"silence":false})");
  CHECK(
      serialize(DominantSpeakerEndpointChangeEvent{"a1b2c3d4", {}, true}) ==
      R"({"colibriClass":"DominantSpeakerEndpointChangeEvent","dominantSpeakerEndpoint":"a1b2c3d4","previousSpeakers":[],"silence":true})");
}

TEST_CASE("SenderSourceConstraints") {
  CHECK(serialize(SenderSourceConstraints{"79f0273d-v0", 360}) ==
        R"({"colibriClass":"SenderSourceConstraints","sourceName":"79f0273d-v0","maxHeight":360})");
  CHECK(serialize(SenderSourceConstraints{"x-v0", -1}) ==
        R"({"colibriClass":"SenderSourceConstraints","sourceName":"x-v0","maxHeight":-1})");
}

TEST_CASE("EndpointConnectivityStatusChangeEvent writes `active` as a string") {
  CHECK(serialize(EndpointConnectivityStatusChangeEvent{"5e6f7a8b", false}) ==
        R"({"colibriClass":"EndpointConnectivityStatusChangeEvent","endpoint":"5e6f7a8b","active":"false"})");
  const auto j = nlohmann::json::parse(serialize(EndpointConnectivityStatusChangeEvent{"5e6f7a8b", true}));
  CHECK(j.at("active").is_string());
  CHECK(j.at("active") == "true");
}

TEST_CASE("ConnectionStats") {
  CHECK(serialize(ConnectionStats{4180000}) ==
        R"({"colibriClass":"ConnectionStats","estimatedDownlinkBandwidth":4180000})");
  CHECK(serialize(ConnectionStats{std::numeric_limits<std::int64_t>::max()}) ==
        R"({"colibriClass":"ConnectionStats","estimatedDownlinkBandwidth":9223372036854775807})");
}

TEST_CASE("VideoSourcesMap: a typical message and boundaries") {
  VideoSourcesMap m{{
      {"a1b2c3d4-v0", "a1b2c3d4", 777000001, 777000002, VideoType::kCamera, std::nullopt},
      {"5e6f7a8b-v1", "5e6f7a8b", 777000003, 777000004, VideoType::kDesktop, std::nullopt},
  }};
  CHECK(
      serialize(m) ==
      R"({"colibriClass":"VideoSourcesMap","mappedSources":[)"
      R"({"source":"a1b2c3d4-v0","owner":"a1b2c3d4","ssrc":777000001,"rtx":777000002,"videoType":"CAMERA"},)"
      R"({"source":"5e6f7a8b-v1","owner":"5e6f7a8b","ssrc":777000003,"rtx":777000004,"videoType":"DESKTOP"}]})");

  VideoSourcesMap edge{{{"x-v0", std::nullopt, 4294967295u, 0, VideoType::kDesktopHighFps, "v1"}}};
  CHECK(
      serialize(edge) ==
      R"({"colibriClass":"VideoSourcesMap","mappedSources":[)"
      R"({"source":"x-v0","owner":null,"ssrc":4294967295,"rtx":0,"videoType":"DESKTOP_HIGH_FPS","mid":"v1"}]})");
  const auto j = nlohmann::json::parse(serialize(edge));
  CHECK(j["mappedSources"][0]["ssrc"].get<std::uint64_t>() == 4294967295u);
  CHECK(j["mappedSources"][0]["owner"].is_null());

  CHECK(serialize(VideoSourcesMap{}) == R"({"colibriClass":"VideoSourcesMap","mappedSources":[]})");
}

TEST_CASE("AudioSourcesMap") {
  AudioSourcesMap m{{
      {"a1b2c3d4-a0", "a1b2c3d4", 888000001, std::nullopt},
      {"5e6f7a8b-a0", "5e6f7a8b", 888000002, std::nullopt},
  }};
  CHECK(serialize(m) == R"({"colibriClass":"AudioSourcesMap","mappedSources":[)"
                        R"({"source":"a1b2c3d4-a0","owner":"a1b2c3d4","ssrc":888000001},)"
                        R"({"source":"5e6f7a8b-a0","owner":"5e6f7a8b","ssrc":888000002}]})");
  CHECK(
      serialize(AudioSourcesMap{{{"y-a0", std::nullopt, 4294967295u, "a3"}}}) ==
      R"({"colibriClass":"AudioSourcesMap","mappedSources":[{"source":"y-a0","owner":null,"ssrc":4294967295,"mid":"a3"}]})");
}

TEST_CASE("SyntheticSourceSendingChangeEvent") {
  CHECK(
      serialize(SyntheticSourceSendingChangeEvent{"55555555-a0.fr", true, 1923847712}) ==
      R"({"colibriClass":"SyntheticSourceSendingChangeEvent","sourceName":"55555555-a0.fr","sending":true,"timestamp":1923847712})");
}

TEST_CASE("SourceVideoTypeMessage as forwarded to relays") {
  CHECK(
      serialize(SourceVideoTypeMessage{"79f0273d-v1", VideoType::kDesktop, "79f0273d"}) ==
      R"({"colibriClass":"SourceVideoTypeMessage","videoType":"DESKTOP","sourceName":"79f0273d-v1","endpointId":"79f0273d"})");
  const SourceVideoTypeMessage m{"79f0273d-v0", VideoType::kNone, std::nullopt};
  CHECK(serialize(m) ==
        R"({"colibriClass":"SourceVideoTypeMessage","videoType":"NONE","sourceName":"79f0273d-v0"})");
  CHECK(round_trip(m) == m);
  for (auto t : {VideoType::kCamera, VideoType::kDesktop, VideoType::kDesktopHighFps, VideoType::kNone,
                 VideoType::kDisabled}) {
    const SourceVideoTypeMessage each{"s", t, "e"};
    CHECK(round_trip(each) == each);
  }
}

TEST_CASE("ReceiverVideoConstraints: a typical message, written and read back") {
  ReceiverVideoConstraints m;
  m.last_n = 20;
  m.on_stage_sources = std::vector<std::string>{"a1b2c3d4-v0"};
  m.selected_sources = std::vector<std::string>{};
  m.default_constraints = VideoConstraints{180, std::nullopt};
  m.constraints.emplace();
  m.constraints->emplace("a1b2c3d4-v0", VideoConstraints{720, std::nullopt});
  m.constraints->emplace("5e6f7a8b-v1", VideoConstraints{0, std::nullopt});
  m.assumed_bandwidth_bps = -1;
  // Map members come out sorted by source name.
  CHECK(serialize(m) == R"({"colibriClass":"ReceiverVideoConstraints","lastN":20,)"
                        R"("onStageSources":["a1b2c3d4-v0"],"selectedSources":[],)"
                        R"("defaultConstraints":{"maxHeight":180},)"
                        R"("constraints":{"5e6f7a8b-v1":{"maxHeight":0},"a1b2c3d4-v0":{"maxHeight":720}},)"
                        R"("assumedBandwidthBps":-1})");
  CHECK(round_trip(m) == m);

  CHECK(serialize(ReceiverVideoConstraints{}) == R"({"colibriClass":"ReceiverVideoConstraints"})");
  CHECK(round_trip(ReceiverVideoConstraints{}) == ReceiverVideoConstraints{});

  ReceiverVideoConstraints legacy;
  legacy.selected_endpoints = std::vector<std::string>{"a"};
  legacy.on_stage_endpoints = std::vector<std::string>{"b", "c"};
  legacy.default_constraints = VideoConstraints{-1, -1.0};
  legacy.constraints.emplace();
  legacy.constraints->emplace("s", VideoConstraints{360, 7.5});
  CHECK(serialize(legacy) == R"({"colibriClass":"ReceiverVideoConstraints",)"
                             R"("defaultConstraints":{"maxHeight":-1,"maxFrameRate":-1},)"
                             R"("constraints":{"s":{"maxHeight":360,"maxFrameRate":7.5}},)"
                             R"("onStageEndpoints":["b","c"],"selectedEndpoints":["a"]})");
  CHECK(round_trip(legacy) == legacy);
}

TEST_CASE("LastNChangedEvent, VideoTypeMessage, ReceiverAudioSubscription, ClientHello") {
  CHECK(serialize(LastNChangedEvent{5}) == R"({"colibriClass":"LastNChangedEvent","lastN":5})");
  CHECK(round_trip(LastNChangedEvent{std::numeric_limits<std::int32_t>::min()}).last_n ==
        std::numeric_limits<std::int32_t>::min());

  CHECK(serialize(VideoTypeMessage{VideoType::kCamera, std::nullopt}) ==
        R"({"colibriClass":"VideoTypeMessage","videoType":"CAMERA"})");
  const VideoTypeMessage vt{VideoType::kDisabled, "a1b2c3d4"};
  CHECK(round_trip(vt) == vt);

  const ReceiverAudioSubscription sub{true, {}, {"5e6f7a8b-a0"}};
  CHECK(serialize(sub) ==
        R"({"colibriClass":"ReceiverAudioSubscription","all":true,"include":[],"exclude":["5e6f7a8b-a0"]})");
  CHECK(round_trip(sub) == sub);

  CHECK(serialize(ClientHello{}) == R"({"colibriClass":"ClientHello"})");
  CHECK(round_trip(ClientHello{}) == ClientHello{});
}

TEST_CASE("strings are escaped; the output is always valid JSON") {
  const std::string nasty = std::string("q\"b\\s/\x01\n\t\x7F") + "\xC3\xA9\xF0\x9F\x98\x80" + "\xFF\xC3";
  const std::string text = serialize(ForwardedSources{{nasty}});
  CHECK(text ==
        "{\"colibriClass\":\"ForwardedSources\",\"forwardedSources\":[\"q\\\"b\\\\s/\\u0001\\n\\t\x7F"
        "\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBD\xEF\xBF\xBD\"]}");
  const auto j = nlohmann::json::parse(text);
  CHECK(j["forwardedSources"][0] ==
        std::string("q\"b\\s/\x01\n\t\x7F\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBD\xEF\xBF\xBD"));

  // A source name with quotes reads back unchanged (valid UTF-8 is kept as is).
  const SourceVideoTypeMessage m{"\"x\"-v0 \xE2\x82\xAC", VideoType::kCamera, std::nullopt};
  CHECK(round_trip(m) == m);
}
