// The focus's SDP: offers built from the bridge's transport, answers (munged for simulcast)
// parsed into Colibri2 transport and sources, and stable MIDs across renegotiations.
#include <doctest/doctest.h>

#include "tools/focus/offer_layout.hpp"
#include "tools/focus/sdp.hpp"

namespace jvb::focus {
namespace {

signaling::IceUdpTransport bridge_transport() {
  signaling::IceUdpTransport t;
  t.ufrag = "brUf";
  t.pwd = "bridgepasswordbridgepass";
  t.rtcp_mux = true;
  t.fingerprints.push_back({"AB:CD", "sha-256", signaling::DtlsSetup::kActpass, false});
  signaling::Candidate c;
  c.foundation = "1";
  c.priority = 2130706431;
  c.ip = "127.0.0.1";
  c.port = 10000;
  c.protocol = "udp";
  t.candidates.push_back(c);
  return t;
}

const char* kMungedAnswer =
    "v=0\r\n"
    "o=- 1 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:clUf\r\n"
    "a=ice-pwd:clientpasswordclientpass\r\n"
    "a=fingerprint:sha-256 12:34:56\r\n"
    "a=setup:active\r\n"
    "a=mid:0\r\n"
    "a=sendrecv\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=ssrc:1111 cname:c\r\n"
    "a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0\r\n"
    "a=candidate:2 1 udp 2122260223 abcd.local 50001 typ host generation 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 100 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:1\r\n"
    "a=sendrecv\r\n"
    "a=rtpmap:100 VP8/90000\r\n"
    "a=rtpmap:96 rtx/90000\r\n"
    "a=fmtp:96 apt=100\r\n"
    "a=ssrc-group:SIM 1 2 3\r\n"
    "a=ssrc-group:FID 1 11\r\n"
    "a=ssrc-group:FID 2 12\r\n"
    "a=ssrc-group:FID 3 13\r\n"
    "a=ssrc:1 cname:c\r\n"
    "a=ssrc:2 cname:c\r\n"
    "a=ssrc:3 cname:c\r\n"
    "a=ssrc:11 cname:c\r\n"
    "a=ssrc:12 cname:c\r\n"
    "a=ssrc:13 cname:c\r\n";

TEST_CASE("an answer gives the transport (IP candidates only) and the simulcast sources") {
  auto a = parse_answer(kMungedAnswer, "ep1");
  REQUIRE(a);
  CHECK(a->transport.ufrag == "clUf");
  CHECK(a->transport.pwd == "clientpasswordclientpass");
  REQUIRE(a->transport.fingerprints.size() == 1);
  CHECK(a->transport.fingerprints[0].setup == signaling::DtlsSetup::kActive);
  REQUIRE(a->transport.candidates.size() == 1);  // the mDNS one is skipped
  CHECK(a->transport.candidates[0].port == 50000);
  REQUIRE(a->sources.size() == 2);
  const auto& video = a->sources[1].type == signaling::MediaType::kVideo ? a->sources[1] : a->sources[0];
  CHECK(video.id.str() == "ep1-v0");
  CHECK(video.sources.size() == 6);
  bool sim = false;
  for (const auto& g : video.ssrc_groups) {
    if (g.semantics == "SIM") {
      sim = true;
      CHECK(g.ssrcs.size() == 3);
      CHECK(g.ssrcs[0].value() == 1);
    }
  }
  CHECK(sim);
  auto stream = receive_stream("ep1", video);
  REQUIRE(stream);
  CHECK(stream->ssrc == 1);  // the first SIM SSRC, which the bridge projects onto
  CHECK(stream->rtx_ssrc == 11);
}

TEST_CASE("an answer without ICE credentials is refused") {
  CHECK_FALSE(parse_answer("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n", "ep1"));
}

TEST_CASE("offers carry the bridge's transport and each remote stream with its SSRC") {
  OfferLayout layout;
  layout.update({{"ep2", signaling::MediaType::kAudio, 2222, std::nullopt},
                 {"ep2", signaling::MediaType::kVideo, 3333, 3334}});
  std::string offer = build_offer({bridge_transport(), 42, 1}, layout.lines());
  CHECK(offer.find("a=ice-ufrag:brUf") != std::string::npos);
  CHECK(offer.find("a=fingerprint:sha-256 AB:CD") != std::string::npos);
  CHECK(offer.find("a=setup:actpass") != std::string::npos);
  CHECK(offer.find("127.0.0.1 10000 typ host") != std::string::npos);
  CHECK(offer.find("a=ssrc:2222 ") != std::string::npos);
  CHECK(offer.find("a=ssrc-group:FID 3333 3334") != std::string::npos);
}

TEST_CASE("MIDs stay stable; a departed participant's lines go inactive and are reused later") {
  OfferLayout layout;
  layout.update({{"ep2", signaling::MediaType::kAudio, 2, std::nullopt},
                 {"ep2", signaling::MediaType::kVideo, 3, 4},
                 {"ep3", signaling::MediaType::kAudio, 5, std::nullopt},
                 {"ep3", signaling::MediaType::kVideo, 6, 7}});
  auto mid_of = [&](std::uint32_t ssrc) -> std::string {
    for (const auto& l : layout.lines()) {
      if (l.stream && l.stream->ssrc == ssrc) return l.mid;
    }
    return "";
  };
  std::string ep3_video = mid_of(6);
  std::size_t count = layout.lines().size();
  layout.update(
      {{"ep3", signaling::MediaType::kAudio, 5, std::nullopt}, {"ep3", signaling::MediaType::kVideo, 6, 7}});
  CHECK(mid_of(6) == ep3_video);  // unchanged
  CHECK(mid_of(3).empty());       // ep2 gone: inactive
  CHECK(layout.lines().size() == count);
  layout.update({{"ep3", signaling::MediaType::kAudio, 5, std::nullopt},
                 {"ep3", signaling::MediaType::kVideo, 6, 7},
                 {"ep4", signaling::MediaType::kAudio, 8, std::nullopt},
                 {"ep4", signaling::MediaType::kVideo, 9, 10}});
  CHECK(layout.lines().size() == count);  // ep4 reuses ep2's inactive lines
  CHECK(!mid_of(9).empty());
}

}  // namespace
}  // namespace jvb::focus
