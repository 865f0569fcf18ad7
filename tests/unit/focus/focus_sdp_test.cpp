// The focus's SDP: offers built from the bridge's transport, answers (munged for simulcast)
// parsed into Colibri2 transport and sources, stable MIDs across renegotiations, and the bridge
// channel's data line (RFC 8841) on the same BUNDLE transport.
#include <doctest/doctest.h>

#include <string>
#include <vector>

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

// The offer cut at its m-lines: [0] is the session part, then one string per m-section.
std::vector<std::string> sections_of(const std::string& sdp) {
  std::vector<std::string> out{""};
  std::size_t at = 0;
  while (at < sdp.size()) {
    std::size_t end = sdp.find("\r\n", at);
    if (end == std::string::npos) end = sdp.size();
    std::string line = sdp.substr(at, end - at);
    if (line.rfind("m=", 0) == 0) out.emplace_back();
    out.back() += line + "\r\n";
    at = end + 2;
  }
  return out;
}

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

std::vector<std::string> mids_of(const OfferLayout& layout) {
  std::vector<std::string> mids;
  for (const auto& l : layout.lines()) mids.push_back(l.mid);
  return mids;
}

TEST_CASE("the data line is the bridge channel's SCTP association on the bundled bridge transport") {
  OfferLayout layout;
  layout.add_data_line();
  layout.update({{"ep2", signaling::MediaType::kAudio, 2222, std::nullopt},
                 {"ep2", signaling::MediaType::kVideo, 3333, 3334}});
  std::string offer = build_offer({bridge_transport(), 42, 1, 5000}, layout.lines());
  CHECK(has(offer, "a=group:BUNDLE 0 1 data 2 3\r\n"));
  auto sections = sections_of(offer);
  REQUIRE(sections.size() == 6);  // session, 0, 1, data, 2, 3
  const std::string& data = sections[3];
  CHECK(data.rfind("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", 0) == 0);
  CHECK(has(data, "a=mid:data\r\n"));
  CHECK(has(data, "a=sctp-port:5000\r\n"));
  CHECK(has(data, "a=max-message-size:262144\r\n"));
  // The same ICE/DTLS transport as every RTP line.
  for (const char* attribute :
       {"a=ice-ufrag:brUf\r\n", "a=ice-pwd:bridgepasswordbridgepass\r\n", "a=fingerprint:sha-256 AB:CD\r\n",
        "a=setup:actpass\r\n", "127.0.0.1 10000 typ host", "a=end-of-candidates\r\n"}) {
    CHECK_MESSAGE(has(data, attribute), attribute);
    CHECK_MESSAGE(has(sections[1], attribute), attribute);
  }
  // Nothing RTP on it.
  for (const char* attribute : {"a=rtpmap:", "a=rtcp-mux", "a=ssrc", "a=extmap", "a=sendrecv", "a=msid"})
    CHECK_MESSAGE(!has(data, attribute), attribute);
  CHECK(has(sections[4], "a=mid:2\r\n"));
  CHECK(has(sections[4], "a=ssrc:2222 "));
}

TEST_CASE("the data line takes the bridge's SCTP port") {
  OfferLayout layout;
  layout.add_data_line();
  std::string offer = build_offer({bridge_transport(), 42, 1, 5001}, layout.lines());
  CHECK(has(offer, "a=sctp-port:5001\r\n"));
  CHECK(!has(offer, "a=sctp-port:5000"));
}

TEST_CASE("an offer without a data line has no application section") {
  OfferLayout layout;
  std::string offer = build_offer({bridge_transport(), 42, 1}, layout.lines());
  CHECK(!has(offer, "m=application"));
  CHECK(!has(offer, "sctp"));
  CHECK(has(offer, "a=group:BUNDLE 0 1\r\n"));
}

TEST_CASE("the data line keeps its place and is never given to a remote stream") {
  OfferLayout layout;
  layout.add_data_line();
  layout.add_data_line();  // once only
  CHECK(mids_of(layout) == std::vector<std::string>{"0", "1", "data"});
  CHECK(layout.has_data_line());
  layout.update(
      {{"ep2", signaling::MediaType::kAudio, 2, std::nullopt}, {"ep2", signaling::MediaType::kVideo, 3, 4}});
  CHECK(mids_of(layout) == std::vector<std::string>{"0", "1", "data", "2", "3"});
  layout.update({});  // ep2 leaves: its lines go inactive, the data line stays as it is
  CHECK(mids_of(layout) == std::vector<std::string>{"0", "1", "data", "2", "3"});
  layout.update(
      {{"ep3", signaling::MediaType::kAudio, 5, std::nullopt}, {"ep3", signaling::MediaType::kVideo, 6, 7}});
  layout.update({{"ep3", signaling::MediaType::kAudio, 5, std::nullopt},
                 {"ep3", signaling::MediaType::kVideo, 6, 7},
                 {"ep4", signaling::MediaType::kAudio, 8, std::nullopt}});
  const auto& lines = layout.lines();
  REQUIRE(lines.size() == 6);
  CHECK(lines[2].data);
  CHECK(!lines[2].stream);
  CHECK(lines[2].mid == "data");
  CHECK(lines[3].stream->endpoint == "ep3");  // ep2's freed lines went to ep3
  CHECK(lines[5].mid == "4");                 // ep4 got a new line, not the data line
  CHECK(lines[5].stream->endpoint == "ep4");
  for (const auto& l : lines) CHECK(l.data == (l.mid == "data"));
}

TEST_CASE("the answer tells whether the browser accepted the data line") {
  std::string accepted = std::string(kMungedAnswer) +
                         "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                         "c=IN IP4 0.0.0.0\r\n"
                         "a=mid:data\r\n"
                         "a=sctp-port:5000\r\n"
                         "a=max-message-size:262144\r\n";
  auto a = parse_answer(accepted, "ep1");
  REQUIRE(a);
  CHECK(a->data);
  CHECK(a->sources.size() == 2);  // the application section adds no source
  CHECK(a->transport.ufrag == "clUf");

  std::string rejected = std::string(kMungedAnswer) +
                         "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                         "c=IN IP4 0.0.0.0\r\n"
                         "a=mid:data\r\n";
  auto r = parse_answer(rejected, "ep1");
  REQUIRE(r);
  CHECK_FALSE(r->data);
  auto none = parse_answer(kMungedAnswer, "ep1");
  REQUIRE(none);
  CHECK_FALSE(none->data);
}

TEST_CASE("the page gets the bridge's first colibri-ws URL") {
  signaling::IceUdpTransport t;
  CHECK_FALSE(bridge_websocket_url(t));
  t.web_sockets.push_back({true, ""});
  t.web_sockets.push_back({false, "http://127.0.0.1:1/not-a-websocket"});
  CHECK_FALSE(bridge_websocket_url(t));
  t.web_sockets.push_back({false, "ws://127.0.0.1:9090/colibri-ws/s/c/ep1?pwd=x"});
  t.web_sockets.push_back({false, "wss://example.org/colibri-ws/s/c/ep1?pwd=x"});
  auto url = bridge_websocket_url(t);
  REQUIRE(url);
  CHECK(*url == "ws://127.0.0.1:9090/colibri-ws/s/c/ep1?pwd=x");
}

}  // namespace
}  // namespace jvb::focus
