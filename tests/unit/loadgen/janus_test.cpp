// Tests of tools/loadgen/janus_sdp.hpp and janus_api.hpp: the publisher's offer, reading Janus's
// answers and offers, the subscriber's answer, the Janus API and VideoRoom JSON both ways, the
// SSRC-to-feed mapping, and the --janus / --srtp-profiles options.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tools/focus/sdp.hpp"
#include "tools/loadgen/janus_api.hpp"
#include "tools/loadgen/janus_sdp.hpp"
#include "tools/loadgen/options.hpp"

using namespace jvb;
using namespace jvb::loadgen;
using nlohmann::json;

namespace {

signaling::IceUdpTransport local_transport() {
  signaling::IceUdpTransport t;
  t.ufrag = "uFrA";
  t.pwd = "pwdpwdpwdpwdpwdpwdpwdpwd";
  t.fingerprints.push_back({"AB:CD:EF", "sha-256", signaling::DtlsSetup::kActive, false});
  t.candidates.push_back({.foundation = "1",
                          .component = 1,
                          .protocol = "udp",
                          .priority = 2130706431,
                          .ip = "10.77.0.1",
                          .port = 40000,
                          .type = signaling::CandidateType::kHost,
                          .generation = 0});
  return t;
}

PublisherOffer offer_params(bool video) {
  PublisherOffer o;
  o.transport = local_transport();
  o.session_id = 42;
  o.cname = "abcd0123";
  o.audio_ssrc = 1111;
  o.video = video;
  o.video_ssrcs = {2001, 2002, 2003};
  o.rtx_ssrcs = {3001, 3002, 3003};
  return o;
}

// Shaped like what Janus's VideoRoom sends a multistream subscriber: ICE and DTLS at media level,
// rewritten SSRCs, RTX on video, a data line and a line for a stream that is gone (port 0).
constexpr std::string_view kJanusSubscriberOffer =
    "v=0\r\n"
    "o=- 1700000000000000 1 IN IP4 10.77.0.1\r\n"
    "s=VideoRoom 1234\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1 2 3\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 11:22:33\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS *\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 10.77.0.1\r\n"
    "a=sendonly\r\n"
    "a=mid:0\r\n"
    "a=rtcp-mux\r\n"
    "a=ice-ufrag:JaNu\r\n"
    "a=ice-pwd:janusjanusjanusjanusjanu\r\n"
    "a=ice-options:trickle\r\n"
    "a=setup:actpass\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:5 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=msid:janus janus0\r\n"
    "a=ssrc:501 cname:janus\r\n"
    "a=candidate:1 1 udp 2015363327 10.77.0.1 20000 typ host\r\n"
    "a=end-of-candidates\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 100 101\r\n"
    "c=IN IP4 10.77.0.1\r\n"
    "a=sendonly\r\n"
    "a=mid:1\r\n"
    "a=rtcp-mux\r\n"
    "a=ice-ufrag:JaNu\r\n"
    "a=ice-pwd:janusjanusjanusjanusjanu\r\n"
    "a=setup:actpass\r\n"
    "a=rtpmap:100 VP8/90000\r\n"
    "a=rtcp-fb:100 nack\r\n"
    "a=rtpmap:101 rtx/90000\r\n"
    "a=fmtp:101 apt=100\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=ssrc-group:FID 601 602\r\n"
    "a=ssrc:601 cname:janus\r\n"
    "a=ssrc:602 cname:janus\r\n"
    "m=video 0 UDP/TLS/RTP/SAVPF 100\r\n"
    "c=IN IP4 10.77.0.1\r\n"
    "a=inactive\r\n"
    "a=mid:2\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 10.77.0.1\r\n"
    "a=sendrecv\r\n"
    "a=mid:3\r\n";

}  // namespace

TEST_CASE("the publisher's offer carries our transport, codecs, extensions and simulcast SSRCs") {
  std::string sdp = build_publisher_offer(offer_params(true));
  CHECK(sdp.find("a=setup:actpass\r\n") != std::string::npos);
  CHECK(sdp.find("a=group:BUNDLE 0 1\r\n") != std::string::npos);
  CHECK(sdp.find("a=ssrc-group:SIM 2001 2002 2003\r\n") != std::string::npos);
  CHECK(sdp.find("a=candidate:1 1 udp 2130706431 10.77.0.1 40000 typ host generation 0\r\n") !=
        std::string::npos);

  auto parsed = parse_sdp(sdp);
  REQUIRE(parsed);
  CHECK(parsed->transport.ufrag == "uFrA");
  CHECK(parsed->transport.pwd == "pwdpwdpwdpwdpwdpwdpwdpwd");
  REQUIRE(parsed->transport.fingerprints.size() == 1);
  CHECK(parsed->transport.fingerprints[0].hash == "sha-256");
  CHECK(parsed->transport.fingerprints[0].value == "AB:CD:EF");
  CHECK(remote_setup(*parsed) == signaling::DtlsSetup::kActpass);
  REQUIRE(parsed->transport.candidates.size() == 1);
  CHECK(parsed->transport.candidates[0].ip == "10.77.0.1");
  CHECK(parsed->transport.candidates[0].port == 40000);
  CHECK(parsed->transport.rtcp_mux);

  REQUIRE(parsed->media.size() == 2);
  const SdpMedia& audio = parsed->media[0];
  CHECK(audio.kind == "audio");
  CHECK(audio.mid == "0");
  CHECK(audio.direction == "sendonly");
  REQUIRE(audio.codec("opus"));
  CHECK(audio.codec("opus")->payload_type == focus::kOpusPt);
  CHECK(audio.codec("opus")->clock_rate == 48000);
  CHECK(audio.extension_id(kAudioLevelUri) == focus::kAudioLevelExtId);
  CHECK(audio.extension_id(kTransportCcUri) == focus::kTransportCcExtId);
  CHECK(audio.ssrcs == std::vector<std::uint32_t>{1111});

  const SdpMedia& video = parsed->media[1];
  CHECK(video.kind == "video");
  CHECK(video.mid == "1");
  REQUIRE(video.codec("vp8"));
  CHECK(video.codec("VP8")->payload_type == focus::kVp8Pt);
  REQUIRE(video.codec("rtx"));
  CHECK(video.codec("rtx")->payload_type == focus::kVp8RtxPt);
  CHECK(video.codec("rtx")->apt == focus::kVp8Pt);
  CHECK(video.ssrcs.size() == 6);
  CHECK(video.fid_groups.size() == 3);
  CHECK(video.primary_ssrc() == 2001u);
  CHECK(video.rtx_ssrc(2002) == 3002u);
  CHECK_FALSE(video.rtx_ssrc(3002));
}

TEST_CASE("an audio-only publisher offers one m-line") {
  std::string sdp = build_publisher_offer(offer_params(false));
  auto parsed = parse_sdp(sdp);
  REQUIRE(parsed);
  REQUIRE(parsed->media.size() == 1);
  CHECK(parsed->media[0].kind == "audio");
  CHECK(sdp.find("a=group:BUNDLE 0\r\n") != std::string::npos);
  CHECK(sdp.find("m=video") == std::string::npos);
}

TEST_CASE("a Janus answer: session-level fingerprint, media-level ICE, setup active") {
  constexpr std::string_view kAnswer =
      "v=0\r\n"
      "o=- 42 2 IN IP4 10.77.0.1\r\n"
      "s=VideoRoom 1234\r\n"
      "t=0 0\r\n"
      "a=group:BUNDLE 0 1\r\n"
      "a=fingerprint:sha-256 AA:BB\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\n"  // a bare LF is accepted too
      "c=IN IP4 10.77.0.1\r\n"
      "a=recvonly\r\n"
      "a=mid:0\r\n"
      "a=ice-ufrag:abcd\r\n"
      "a=ice-pwd:efghefghefghefghefghefgh\r\n"
      "a=setup:active\r\n"
      "a=candidate:1 1 udp 2015363327 10.77.0.1 20001 typ host\r\n"
      "a=candidate:2 1 tcp 1015363327 10.77.0.1 9 typ host tcptype active\r\n"
      "a=candidate:3 1 udp 1 10.77.0.1 20002 typ srflx raddr 10.0.0.1 rport 5\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 100\r\n"
      "a=ice-ufrag:other\r\n"
      "a=recvonly\r\n"
      "a=mid:1\r\n";
  auto parsed = parse_sdp(kAnswer);
  REQUIRE(parsed);
  CHECK(parsed->transport.ufrag == "abcd");  // the first section's: BUNDLE
  CHECK(parsed->transport.fingerprints[0].value == "AA:BB");
  CHECK(remote_setup(*parsed) == signaling::DtlsSetup::kActive);
  REQUIRE(parsed->transport.candidates.size() == 3);
  CHECK(parsed->transport.candidates[0].port == 20001);
  CHECK(parsed->transport.candidates[1].protocol == "tcp");
  CHECK(parsed->transport.candidates[2].type == signaling::CandidateType::kSrflx);
  CHECK(parsed->transport.candidates[2].rel_port == 5);
  CHECK(parsed->media[0].direction == "recvonly");
}

TEST_CASE("unusable SDP is an error, not a crash") {
  CHECK_FALSE(parse_sdp(""));
  CHECK_FALSE(parse_sdp("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=fingerprint:sha-256 AA\r\n"));  // no ICE
  CHECK_FALSE(parse_sdp("v=0\r\na=ice-ufrag:a\r\na=ice-pwd:b\r\n"));  // no fingerprint
  auto bad_m = parse_sdp("v=0\r\nm=audio x\r\n");
  REQUIRE_FALSE(bad_m);
  CHECK(bad_m.error().find("line 2") != std::string::npos);
  // Garbage attribute values are skipped.
  auto ok = parse_sdp(
      "v=0\r\na=ice-ufrag:a\r\na=ice-pwd:b\r\na=fingerprint:sha-256 AA\r\nm=audio 9 P 1\r\na=rtpmap:zz\r\n"
      "a=ssrc:notanumber cname:x\r\na=candidate:broken\r\na=extmap:x y\r\na=fmtp:1 apt=\r\n");
  REQUIRE(ok);
  CHECK(ok->media[0].ssrcs.empty());
  CHECK(ok->media[0].codecs.empty());
  CHECK(ok->transport.candidates.empty());
}

TEST_CASE("the subscriber's answer accepts the live audio and video recvonly, without RTX") {
  auto offer = parse_sdp(kJanusSubscriberOffer);
  REQUIRE(offer);
  CHECK(remote_setup(*offer) == signaling::DtlsSetup::kActpass);
  CHECK(offer->transport.ufrag == "JaNu");
  REQUIRE(offer->media.size() == 4);
  CHECK(offer->media[1].primary_ssrc() == 601u);
  CHECK(offer->media[1].rtx_ssrc(601) == 602u);

  SubscriberAnswer answer = build_subscriber_answer(*offer, local_transport(), 7);
  CHECK(answer.accepted_mids == std::vector<std::string>{"0", "1"});
  CHECK(answer.sdp.find("a=group:BUNDLE 0 1\r\n") != std::string::npos);
  CHECK(answer.sdp.find("rtx") == std::string::npos);
  CHECK(answer.sdp.find("m=video 0 UDP/TLS/RTP/SAVPF 100\r\n") != std::string::npos);
  CHECK(answer.sdp.find("m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n") != std::string::npos);

  auto parsed = parse_sdp(answer.sdp);
  REQUIRE(parsed);
  CHECK(remote_setup(*parsed) == signaling::DtlsSetup::kActive);
  CHECK(parsed->transport.ufrag == "uFrA");
  CHECK(parsed->transport.candidates.size() == 1);  // once, in the first bundled section
  REQUIRE(parsed->media.size() == 4);
  CHECK(parsed->media[0].direction == "recvonly");
  CHECK(parsed->media[0].port == 9);
  CHECK(parsed->media[0].codecs.size() == 1);
  CHECK(parsed->media[0].codec("opus")->payload_type == 111);
  // transport-cc is answered where Janus put it on tools/focus's id, and only there.
  CHECK(parsed->media[0].extension_id(kTransportCcUri) == focus::kTransportCcExtId);
  CHECK_FALSE(parsed->media[1].extension_id(kTransportCcUri));
  CHECK(parsed->media[1].codecs.size() == 1);
  CHECK(parsed->media[1].codec("VP8")->payload_type == 100);
  CHECK(parsed->media[2].port == 0);
  CHECK(parsed->media[3].port == 0);
  CHECK(parsed->media[3].mid == "3");
}

TEST_CASE("Janus API and VideoRoom requests") {
  json create = json::parse(janus_create_session("t1"));
  CHECK(create == json{{"janus", "create"}, {"transaction", "t1"}});
  json attach = json::parse(janus_attach("t2"));
  CHECK(attach["janus"] == "attach");
  CHECK(attach["plugin"] == "janus.plugin.videoroom");
  CHECK(json::parse(janus_keepalive("t3"))["janus"] == "keepalive");
  CHECK(json::parse(janus_destroy_session("t4"))["janus"] == "destroy");

  json room = json::parse(janus_create_room("t5", 1234, 10));
  CHECK(room["janus"] == "message");
  CHECK(room["body"]["request"] == "create");
  CHECK(room["body"]["room"] == 1234);
  CHECK(room["body"]["publishers"] == 10);
  CHECK(room["body"]["videocodec"] == "vp8");
  CHECK(room["body"]["fir_freq"] == 0);

  json join = json::parse(janus_join_publisher("t6", 1234, 3, "abcd", "v=0\r\n"));
  CHECK(join["body"]["request"] == "joinandconfigure");
  CHECK(join["body"]["ptype"] == "publisher");
  CHECK(join["body"]["id"] == 3);
  CHECK(join["body"]["display"] == "abcd");
  CHECK(join["jsep"]["type"] == "offer");
  CHECK(join["jsep"]["sdp"] == "v=0\r\n");
  CHECK(join["jsep"]["trickle"] == false);

  std::vector<std::uint64_t> feeds{1, 2};
  json sub = json::parse(janus_join_subscriber("t7", 1234, feeds, 1));
  CHECK(sub["body"]["request"] == "join");
  CHECK(sub["body"]["ptype"] == "subscriber");
  REQUIRE(sub["body"]["streams"].size() == 2);
  CHECK(sub["body"]["streams"][1]["feed"] == 2);
  CHECK(sub["body"]["streams"][1]["substream"] == 1);

  json start = json::parse(janus_start("t8", 1234, "v=0"));
  CHECK(start["body"]["request"] == "start");
  CHECK(start["jsep"]["type"] == "answer");
}

TEST_CASE("Janus replies and events") {
  auto success = parse_janus_messages(R"({"janus":"success","transaction":"t1","data":{"id":8731}})");
  REQUIRE(success);
  REQUIRE(success->size() == 1);
  CHECK((*success)[0].janus == "success");
  CHECK((*success)[0].transaction == "t1");
  CHECK((*success)[0].data_id == 8731);
  CHECK((*success)[0].error.empty());

  auto error = parse_janus_messages(R"({"janus":"error","error":{"code":458,"reason":"No such session"}})");
  REQUIRE(error);
  CHECK((*error)[0].error == "Janus error 458: No such session");

  // A long poll with maxev > 1 answers an array.
  auto events = parse_janus_messages(R"([
    {"janus":"event","session_id":5,"sender":77,"plugindata":{"plugin":"janus.plugin.videoroom",
      "data":{"videoroom":"joined","room":1234,"id":3,"publishers":[]}},
      "jsep":{"type":"answer","sdp":"v=0"}},
    {"janus":"event","sender":78,"plugindata":{"plugin":"janus.plugin.videoroom",
      "data":{"videoroom":"attached","room":1234,"streams":[
        {"mindex":0,"mid":"0","type":"audio","feed_id":1,"feed_mid":"0"},
        {"mindex":1,"mid":"1","type":"video","feed_id":"2","feed_mid":"1"}]}},
      "jsep":{"type":"offer","sdp":"v=1"}},
    {"janus":"event","sender":78,"plugindata":{"data":{"videoroom":"event","error_code":428,
      "error":"No such feed"}}},
    {"janus":"keepalive"}])");
  REQUIRE(events);
  REQUIRE(events->size() == 4);
  const JanusMessage& joined = (*events)[0];
  CHECK(joined.sender == 77);
  CHECK(joined.session_id == 5);
  CHECK(joined.videoroom == "joined");
  CHECK(joined.publisher_id == 3);
  CHECK(joined.jsep_type == "answer");
  CHECK(joined.jsep_sdp == "v=0");
  const JanusMessage& attached = (*events)[1];
  CHECK(attached.videoroom == "attached");
  REQUIRE(attached.streams.size() == 2);
  CHECK(attached.streams[0].feed_id == 1);
  CHECK(attached.streams[1].feed_id == 2);  // a string of digits is read too
  CHECK(attached.streams[1].type == "video");
  CHECK((*events)[2].error == "VideoRoom error 428: No such feed");
  CHECK((*events)[3].janus == "keepalive");

  CHECK_FALSE(parse_janus_messages("not json"));
  CHECK_FALSE(parse_janus_messages("42"));
  CHECK_FALSE(parse_janus_messages(R"({"transaction":"x"})"));
}

TEST_CASE("which feed each SSRC of a subscriber offer carries") {
  auto offer = parse_sdp(kJanusSubscriberOffer);
  REQUIRE(offer);
  std::vector<JanusStream> streams{{"0", "audio", 4}, {"1", "video", 9}, {"3", "data", 0}};
  std::vector<std::string> accepted{"0", "1"};
  auto ssrcs = subscribed_ssrcs(*offer, streams, accepted);
  REQUIRE(ssrcs.size() == 2);
  CHECK(ssrcs[0].ssrc == 501);
  CHECK(ssrcs[0].feed_id == 4);
  CHECK_FALSE(ssrcs[0].video);
  CHECK(ssrcs[1].ssrc == 601);  // the primary, not its RTX partner
  CHECK(ssrcs[1].feed_id == 9);
  CHECK(ssrcs[1].video);
  // Not accepted, or no feed known for the mid: left out.
  std::vector<std::string> only_audio{"0"};
  CHECK(subscribed_ssrcs(*offer, streams, only_audio).size() == 1);
  std::vector<JanusStream> no_feeds{{"0", "audio", 0}};
  CHECK(subscribed_ssrcs(*offer, no_feeds, accepted).empty());
}

TEST_CASE("substream for a receiver's maxHeight") {
  CHECK(substream_for_height(-1) == 2);
  CHECK(substream_for_height(720) == 2);
  CHECK(substream_for_height(1080) == 2);
  CHECK(substream_for_height(360) == 1);
  CHECK(substream_for_height(180) == 0);
  CHECK(substream_for_height(0) == 0);
}

TEST_CASE("--janus and --srtp-profiles") {
  std::vector<std::string_view> args{"--janus", "http://10.77.0.1:8088/janus", "--srtp-profiles",
                                     "SRTP_AEAD_AES_128_GCM"};
  auto o = parse_options(args);
  REQUIRE(o);
  CHECK(o->janus_url == "http://10.77.0.1:8088/janus");
  REQUIRE(o->srtp_profiles.size() == 1);
  CHECK(o->srtp_profiles[0] == srtp::SrtpProfile::kAeadAes128Gcm);

  std::vector<std::string_view> both{"--srtp-profiles", "SRTP_AES128_CM_HMAC_SHA1_80,SRTP_AEAD_AES_128_GCM"};
  auto b = parse_options(both);
  REQUIRE(b);
  REQUIRE(b->srtp_profiles.size() == 2);
  CHECK(b->srtp_profiles[0] == srtp::SrtpProfile::kAes128CmHmacSha1_80);

  std::vector<std::string_view> unknown{"--srtp-profiles", "SRTP_NULL"};
  auto u = parse_options(unknown);
  REQUIRE_FALSE(u);
  CHECK(u.error().find("SRTP_NULL") != std::string::npos);
  std::vector<std::string_view> not_http{"--janus", "ws://x"};
  CHECK_FALSE(parse_options(not_http));
  std::vector<std::string_view> none;
  CHECK(parse_options(none)->janus_url.empty());
}
