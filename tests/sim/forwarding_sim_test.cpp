// The forwarding controller on the router simulation (router_sim.hpp): three browsers in conf1
// and one in conf2 on a fake clock, with the bridge channel's messages exchanged directly with
// the controller. What a receiver gets follows its ReceiverVideoConstraints, last-N follows the
// dominant speaker, endpoint messages stay inside their conference, and a receiver starting a
// source gets a keyframe it never asked for.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "bridge/conference/forwarding_controller.hpp"
#include "bridge/rtcp/remb.hpp"
#include "router_sim.hpp"

namespace jvb::conference {
namespace {

using namespace router_sim;
using namespace std::chrono_literals;
using nlohmann::json;

struct ForwardingSim {
  Sim s;
  std::map<transport::EndpointHandle, std::vector<json>> inbox;  // what each endpoint's channel got
  ForwardingController controller;

  explicit ForwardingSim(ForwardingOptions options = {})
      : controller(std::move(options), s.router,
                   [this](transport::EndpointHandle to, ChannelTransport, const std::string& message) {
                     inbox[to].push_back(json::parse(message));
                     return true;
                   }) {
    s.on_step = [this](Timestamp now) {
      if (auto due = controller.next_timeout(); due && *due <= now) controller.handle_timeout(now);
    };
    for (auto& b : s.browsers) {
      controller.set_endpoint(b->record, s.now);
      controller.on_channel_open(b->id, ChannelTransport::kSctp, s.now);
    }
  }

  void say(Browser& from, const json& message) {
    controller.on_message(from.id, ChannelTransport::kSctp, message.dump(), s.now);
  }
  std::vector<json> of_class(Browser& b, std::string_view colibri_class) {
    std::vector<json> out;
    for (const auto& m : inbox[b.id])
      if (m.value("colibriClass", "") == colibri_class) out.push_back(m);
    return out;
  }
  std::size_t video_from(Browser& receiver, Browser& sender, Timestamp since) {
    return video_received(receiver, sender.video[0], since).size();
  }
  int encoding_of(Browser& receiver, Browser& sender) {
    auto p = projection_of(s.router.projections(receiver.id), sender.id);
    return p ? p->current : -1;
  }
};

json constraints(json fields) {
  fields["colibriClass"] = "ReceiverVideoConstraints";
  return fields;
}

TEST_CASE("no video before the receiver's constraints; the first message without defaults means 180p") {
  ForwardingSim f;
  auto& a = f.s.a();
  auto& b = f.s.b();
  f.s.start_media();
  f.s.run(2s);
  CHECK(f.video_from(a, b, {}) == 0);
  CHECK(count_rtp_from(a, b.audio_ssrc) > 50);  // audio is not held back
  // ForwardedSources went out at channel open, empty.
  auto forwarded = f.of_class(a, "ForwardedSources");
  REQUIRE(!forwarded.empty());
  CHECK(forwarded.front()["forwardedSources"].empty());

  Timestamp asked = f.s.now;
  f.say(a, constraints({}));
  f.s.run(1s);
  CHECK(f.video_from(a, b, asked) > 10);
  CHECK(f.encoding_of(a, b) == 0);  // 180p of 180/360/720
  auto last = f.of_class(a, "ForwardedSources").back()["forwardedSources"];
  CHECK(last.size() == 2);  // b and c, never d of the other conference
  CHECK(f.video_from(a, f.s.d(), {}) == 0);
}

TEST_CASE("maxHeight picks the encoding, and lifting it brings the best one back") {
  ForwardingSim f;
  auto& a = f.s.a();
  auto& b = f.s.b();
  f.s.start_media();
  f.say(a, constraints({{"defaultConstraints", {{"maxHeight", 720}}}}));
  f.s.run(2s);
  CHECK(f.encoding_of(a, b) == 2);
  f.say(a, constraints({{"constraints", {{"b-v0", {{"maxHeight", 360}}}}}}));
  f.s.run(2s);
  CHECK(f.encoding_of(a, b) == 1);
  CHECK(f.encoding_of(a, f.s.c()) == 2);  // c keeps the default
  f.say(a, constraints({{"constraints", json::object()}}));
  f.s.run(2s);
  CHECK(f.encoding_of(a, b) == 2);
  // The senders were told what is wanted of them: 720 (a wants it).
  auto sender = f.of_class(b, "SenderSourceConstraints");
  REQUIRE(!sender.empty());
  CHECK(sender.back()["sourceName"] == "b-v0");
  CHECK(sender.back()["maxHeight"] == 720);
}

// A receiver without transport-cc estimates its own link and says so in REMB (JVB's REMB mode):
// with the estimate as the budget, the allocation spends no more than that, the
// receiver is moved down when its estimate falls and back up when it rises, and ConnectionStats tell it the
// estimate.
TEST_CASE("a receiver's REMB is its budget: down a layer when it falls, back up when it rises") {
  ForwardingOptions options;
  options.connection_stats_interval = std::chrono::seconds(2);
  ForwardingSim f(options);
  auto& a = f.s.a();
  auto& b = f.s.b();
  auto& c = f.s.c();
  f.s.start_media();
  f.say(a, constraints({{"defaultConstraints", {{"maxHeight", 720}}}}));
  f.say(b, constraints({{"defaultConstraints", {{"maxHeight", 720}}}}));
  f.s.run(2s);
  REQUIRE(f.encoding_of(a, b) == 2);
  REQUIRE(f.encoding_of(a, c) == 2);
  auto remb = [&](std::uint64_t bps) {
    std::vector<std::uint8_t> packet(32);
    auto n = rtcp::write_remb(packet, a.video[0], bps, std::array<std::uint32_t, 1>{b.video[0]});
    REQUIRE(n);
    packet.resize(*n);
    f.s.transmit_rtcp(a, packet);
  };
  // What the lowest encodings of both senders take, and a little more.
  auto rates = f.s.router.video_sources(b.id, f.s.now);
  REQUIRE(rates.size() == 1);
  const auto lowest = rates[0].encodings[0].bps, top = rates[0].encodings[2].bps;
  REQUIRE(lowest > 0);
  REQUIRE(top > lowest);
  remb(2 * lowest + lowest / 2);
  f.s.run(2s);
  CHECK(f.encoding_of(a, b) == 0);
  CHECK(f.encoding_of(a, c) == 0);
  auto stats = f.of_class(a, "ConnectionStats");
  REQUIRE_FALSE(stats.empty());
  CHECK(stats.back()["estimatedDownlinkBandwidth"] == 2 * lowest + lowest / 2);
  CHECK(f.controller.endpoints_with_suspended_sources() == 0);
  // Not even one lowest encoding fits: a sending source is suspended (JVB's statistic).
  remb(lowest / 2);
  f.s.run(2s);
  CHECK(f.controller.endpoints_with_suspended_sources() == 1);
  // Room for everything again.
  remb(4 * top);
  f.s.run(3s);
  CHECK(f.encoding_of(a, b) == 2);
  CHECK(f.encoding_of(a, c) == 2);
  // A receiver that sent no REMB is not limited.
  CHECK(f.encoding_of(b, c) == 2);
}

TEST_CASE("maxHeight 0 stops a source, and the sender learns nobody wants it") {
  ForwardingSim f;
  f.s.start_media();
  for (Browser* r : {&f.s.a(), &f.s.b(), &f.s.c()})
    f.say(*r, constraints({{"defaultConstraints", {{"maxHeight", 0}}}}));
  f.s.run(1s);
  auto sender = f.of_class(f.s.b(), "SenderSourceConstraints");
  REQUIRE(!sender.empty());
  CHECK(sender.back()["maxHeight"] == 0);
  Timestamp since = f.s.now;
  f.s.run(1s);
  CHECK(f.video_from(f.s.a(), f.s.b(), since) == 0);
}

TEST_CASE("last-N follows the dominant speaker, and on-stage wins over it") {
  ForwardingSim f;
  auto& a = f.s.a();
  auto& b = f.s.b();
  auto& c = f.s.c();
  // Room noise for everyone; c talks from 2 s on.
  for (auto* br : {&a, &b, &c}) br->audio_level = [](Timestamp) -> std::uint8_t { return 90; };
  Timestamp talk = f.s.now + 2s;
  c.audio_level = [talk](Timestamp now) -> std::uint8_t { return now < talk ? 90 : 25; };
  f.s.start_media();
  f.say(a, constraints({{"lastN", 1}, {"defaultConstraints", {{"maxHeight", 720}}}}));
  f.s.run(5s);
  auto events = f.of_class(a, "DominantSpeakerEndpointChangeEvent");
  REQUIRE(!events.empty());
  CHECK(events.back()["dominantSpeakerEndpoint"] == "c");
  CHECK(f.controller.dominant_speaker("conf1") == "c");
  // The one forwarded source is the speaker's.
  auto forwarded = f.of_class(a, "ForwardedSources").back()["forwardedSources"];
  REQUIRE(forwarded.size() == 1);
  CHECK(forwarded[0] == "c-v0");
  Timestamp since = f.s.now;
  f.s.run(1s);
  CHECK(f.video_from(a, c, since) > 10);
  CHECK(f.video_from(a, b, since) == 0);

  // Pinning b puts it first: it takes the single last-N place.
  f.say(a, constraints({{"onStageSources", {"b-v0"}}}));
  f.s.run(2s);
  since = f.s.now;
  f.s.run(1s);
  CHECK(f.video_from(a, b, since) > 10);
  CHECK(f.video_from(a, c, since) == 0);
  CHECK(f.of_class(a, "ForwardedSources").back()["forwardedSources"] == json::array({"b-v0"}));
}

TEST_CASE("a receiver starting a source gets a keyframe without asking for one") {
  ForwardingSim f;
  auto& a = f.s.a();
  auto& b = f.s.b();
  f.s.start_media();
  f.s.run(3s);  // b's first keyframe has long gone by
  std::size_t plis_before = b.plis.size();
  Timestamp asked = f.s.now;
  f.say(a, constraints({{"defaultConstraints", {{"maxHeight", 180}}}}));
  f.s.run(1s);
  auto got = video_received(a, b.video[0], asked);
  REQUIRE(!got.empty());
  CHECK(got.front().keyframe);
  CHECK(b.plis.size() > plis_before);  // the bridge asked b, a never sent a PLI
  CHECK(rtcp_received(b, rtcp::kPtPayloadFeedback, asked).size() >= 1);
}

TEST_CASE("endpoint messages get `from` set by the bridge and never leave the conference") {
  ForwardingSim f;
  auto& a = f.s.a();
  f.say(a,
        {{"colibriClass", "EndpointMessage"}, {"to", ""}, {"from", "spoofed"}, {"msgPayload", {{"x", 1}}}});
  for (Browser* r : {&f.s.b(), &f.s.c()}) {
    auto got = f.of_class(*r, "EndpointMessage");
    REQUIRE(got.size() == 1);
    CHECK(got[0]["from"] == "a");
    CHECK(got[0]["msgPayload"]["x"] == 1);
  }
  CHECK(f.of_class(a, "EndpointMessage").empty());
  CHECK(f.of_class(f.s.d(), "EndpointMessage").empty());

  f.say(a, {{"colibriClass", "EndpointMessage"}, {"to", "c"}, {"msgPayload", json::object()}});
  CHECK(f.of_class(f.s.b(), "EndpointMessage").size() == 1);
  CHECK(f.of_class(f.s.c(), "EndpointMessage").size() == 2);
  // d exists, but in another conference: as unknown as a made-up id.
  f.say(a, {{"colibriClass", "EndpointMessage"}, {"to", "d"}, {"msgPayload", json::object()}});
  CHECK(f.of_class(f.s.d(), "EndpointMessage").empty());
  CHECK(f.controller.counters().dropped_unknown_target == 1);

  f.say(a, {{"colibriClass", "EndpointStats"}, {"connectionQuality", 100}});
  CHECK(f.of_class(f.s.b(), "EndpointStats").at(0)["from"] == "a");
}

TEST_CASE("above the stats filter threshold, EndpointStats go only to receivers interested in the sender") {
  ForwardingOptions options;
  options.stats_filter_threshold = 2;  // conf1 has three members
  ForwardingSim f(options);
  auto& a = f.s.a();
  f.s.start_media();
  for (auto& b : f.s.browsers) b->send_audio = false;  // nobody is a recent speaker
  // b receives a's video, c receives nothing.
  f.say(f.s.b(), constraints({{"defaultConstraints", {{"maxHeight", 720}}}}));
  f.say(f.s.c(), constraints({{"defaultConstraints", {{"maxHeight", 0}}}}));
  f.s.run(1s);
  f.say(a, {{"colibriClass", "EndpointStats"}, {"connectionQuality", 100}});
  CHECK(f.of_class(f.s.b(), "EndpointStats").size() == 1);
  CHECK(f.of_class(f.s.c(), "EndpointStats").empty());
  // Once c pins a, it wants a's stats too.
  f.say(f.s.c(), constraints({{"onStageSources", {"a-v0"}}}));
  f.say(a, {{"colibriClass", "EndpointStats"}, {"connectionQuality", 90}});
  CHECK(f.of_class(f.s.c(), "EndpointStats").size() == 1);
}

TEST_CASE("ClientHello gets ServerHello; bad and unexpected messages are dropped and counted") {
  ForwardingSim f;
  auto& a = f.s.a();
  f.say(a, {{"colibriClass", "ClientHello"}});
  CHECK(f.of_class(a, "ServerHello").size() == 1);
  f.controller.on_message(a.id, ChannelTransport::kSctp, "{not json", f.s.now);
  f.controller.on_message(a.id, ChannelTransport::kSctp, std::string(100000, '['), f.s.now);
  f.say(a, {{"colibriClass", "NoSuchClass"}});
  f.say(a, {{"colibriClass", "LastNChangedEvent"}});  // lastN is required
  f.say(a, {{"colibriClass", "ForwardedSources"}, {"forwardedSources", json::array()}});
  CHECK(f.controller.counters().dropped_unparsable == 4);
  CHECK(f.controller.counters().dropped_unexpected == 1);
  // Unknown fields inside a known message are ignored; legacy fields are accepted.
  f.say(a, constraints({{"lastN", 0}, {"onStageEndpoints", {"b"}}, {"futureField", true}}));
  CHECK(f.controller.receiver_state(a.id)->last_n == 0);
}

TEST_CASE("a flood of messages is cut at the endpoint's budget; other endpoints keep theirs") {
  ForwardingSim f;
  auto& a = f.s.a();
  for (int i = 0; i < 1000; ++i)
    f.say(a, {{"colibriClass", "EndpointMessage"}, {"to", "b"}, {"msgPayload", {{"i", i}}}});
  auto relayed = f.of_class(f.s.b(), "EndpointMessage").size();
  CHECK(relayed == 100);
  CHECK(f.controller.counters().dropped_rate_limited == 900);
  f.say(f.s.c(), {{"colibriClass", "EndpointMessage"}, {"to", "b"}, {"msgPayload", json::object()}});
  CHECK(f.of_class(f.s.b(), "EndpointMessage").size() == relayed + 1);
  // The budget refills with time.
  f.s.run(1s);
  f.say(a, {{"colibriClass", "EndpointMessage"}, {"to", "b"}, {"msgPayload", json::object()}});
  CHECK(f.of_class(f.s.b(), "EndpointMessage").size() == relayed + 2);
}

TEST_CASE("audio subscriptions select the audio a receiver gets") {
  ForwardingSim f;
  auto& a = f.s.a();
  auto& b = f.s.b();
  auto& c = f.s.c();
  f.s.start_media();
  f.say(a, {{"colibriClass", "ReceiverAudioSubscription"}, {"all", true}, {"exclude", {"b-a0"}}});
  Timestamp since = f.s.now + 1ms;
  f.s.run(1s);
  CHECK(count_rtp_from(a, b.audio_ssrc, since) == 0);
  CHECK(count_rtp_from(a, c.audio_ssrc, since) > 40);
  f.say(a, {{"colibriClass", "ReceiverAudioSubscription"}, {"mode", "Include"}, {"list", {"b-a0"}}});
  since = f.s.now + 1ms;  // what was already on the wire
  f.s.run(1s);
  CHECK(count_rtp_from(a, b.audio_ssrc, since) > 40);
  CHECK(count_rtp_from(a, c.audio_ssrc, since) == 0);
}

TEST_CASE("a member whose media stops is announced inactive, and active again when it resumes") {
  ForwardingSim f;
  auto& b = f.s.b();
  f.s.start_media();
  f.s.run(1s);
  b.send_audio = b.send_video = false;
  f.s.run(10s);
  auto events = f.of_class(f.s.a(), "EndpointConnectivityStatusChangeEvent");
  REQUIRE(events.size() == 1);
  CHECK(events[0]["endpoint"] == "b");
  CHECK(events[0]["active"] == "false");
  b.send_audio = true;
  b.next_audio = f.s.now;
  f.s.run(1s);
  events = f.of_class(f.s.a(), "EndpointConnectivityStatusChangeEvent");
  REQUIRE(events.size() == 2);
  CHECK(events[1]["active"] == "true");
}

// JVB's num_eps_no_msg_transport_after_delay: an endpoint whose bridge channel is not open 30 s
// after its transport connected is counted once; one whose channel is open is not.
TEST_CASE("an endpoint without a bridge channel 30 s after connecting is counted once") {
  ForwardingSim f;
  auto& a = f.s.a();
  auto& b = f.s.b();
  f.s.start_media();
  f.controller.on_channel_closed(b.id, ChannelTransport::kSctp);
  f.controller.on_transport_connected(a.id, f.s.now);
  f.controller.on_transport_connected(b.id, f.s.now);
  f.s.run(29s);
  CHECK(f.controller.counters().endpoints_without_message_transport == 0);
  f.s.run(2s);
  CHECK(f.controller.counters().endpoints_without_message_transport == 1);
  // Reconnecting (an ICE restart) does not count it again.
  f.controller.on_transport_connected(b.id, f.s.now);
  f.s.run(31s);
  CHECK(f.controller.counters().endpoints_without_message_transport == 1);
}

TEST_CASE("members leave in any order; the others keep their media and the tables stay sane") {
  ForwardingSim f;
  auto& a = f.s.a();
  auto& b = f.s.b();
  auto& c = f.s.c();
  f.s.start_media();
  for (Browser* r : {&a, &b, &c}) f.say(*r, constraints({{"defaultConstraints", {{"maxHeight", 720}}}}));
  f.s.run(1s);
  // b leaves: the controller first, then the router, as the conference manager does.
  f.controller.remove_endpoint(b.record, f.s.now);
  f.s.router.remove_endpoint(b.record);
  b.send_audio = b.send_video = false;
  Timestamp since = f.s.now + 1ms;
  f.s.run(1s);
  CHECK(f.video_from(a, c, since) > 10);
  CHECK(f.video_from(c, a, since) > 10);
  CHECK(f.of_class(a, "ForwardedSources").back()["forwardedSources"] == json::array({"c-v0"}));
  // Then everyone else, conference by conference.
  for (Browser* e : {&a, &c, &f.s.d()}) {
    f.controller.remove_endpoint(e->record, f.s.now);
    f.s.router.remove_endpoint(e->record);
  }
  f.s.run(100ms);
  CHECK_FALSE(f.controller.next_timeout().has_value());
}

TEST_CASE("an SSRC-rewriting receiver gets its sources on announced slots, and its PLIs reach the owner") {
  ForwardingSim f;
  auto& a = f.s.a();
  auto& b = f.s.b();
  f.s.router.enable_ssrc_rewriting(a.id, {}, 42);
  a.record.capabilities.push_back(std::string(signaling::kCapabilitySsrcRewriting));
  f.controller.set_endpoint(a.record, f.s.now);
  f.s.start_media();
  f.say(a, constraints({{"defaultConstraints", {{"maxHeight", 720}}}}));
  auto maps = f.of_class(a, "VideoSourcesMap");
  REQUIRE(!maps.empty());
  std::map<std::string, std::uint32_t> video_slot;
  for (const auto& m : maps)
    for (const auto& e : m["mappedSources"]) video_slot[e["source"]] = e["ssrc"];
  REQUIRE(video_slot.count("b-v0"));
  CHECK(video_slot["b-v0"] != b.video[0]);
  f.s.run(2s);
  // Nothing on the senders' own SSRCs; b's video on its slot, from a keyframe on, continuous.
  CHECK(count_rtp_from(a, b.video[0]) == 0);
  CHECK(count_rtp_from(a, b.audio_ssrc) == 0);
  auto v = video_received(a, video_slot["b-v0"]);
  REQUIRE(v.size() > 20);
  CHECK(v.front().keyframe);
  check_continuous(v);
  // Audio slots were announced before their first packet went out.
  std::map<std::string, std::uint32_t> audio_slot;
  for (const auto& m : f.of_class(a, "AudioSourcesMap"))
    for (const auto& e : m["mappedSources"]) audio_slot[e["source"]] = e["ssrc"];
  REQUIRE(audio_slot.count("b-a0"));
  CHECK(count_rtp_from(a, audio_slot["b-a0"]) > 50);
  // A PLI naming the slot reaches b for its own SSRC (of the encoding being forwarded).
  std::size_t before = b.plis.size();
  f.s.run(300ms);  // past the keyframe-request throttle
  f.s.transmit_rtcp(a, pli_packet(a.video[0], video_slot["b-v0"]));
  f.s.run(50ms);
  REQUIRE(b.plis.size() > before);
  CHECK(b.encoding_of(b.plis.back().media_ssrc) >= 0);  // one of b's own video SSRCs
}

}  // namespace
}  // namespace jvb::conference
