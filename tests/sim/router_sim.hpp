// Simulation harness for the conference packet path (ARCHITECTURE.md, "The packet path") on a fake
// clock: a conference::Router on the bridge's MediaPort with three endpoints in one conference and
// one in another, each connected (ICE, DTLS, SRTP all real, as in transport_sim_test.cpp) to a
// client-side EndpointTransport that plays the browser. The browsers send what Jicofo negotiates
// (opus 111 with audio-level 1 and transport-cc 5; VP8 100 as three simulcast encodings with RTX
// 96, transport-cc 5), answer PLIs with keyframes and NACKs with RTX unless told not to, and
// decrypt and parse everything the bridge sends them.
//
// Every media packet a browser sends ends with a 6-byte tag (its original SSRC and sequence
// number), so whatever a receiver gets can be traced back to the packet it came from.
//
// Included by router_media_sim_test.cpp and router_feedback_sim_test.cpp; everything here has
// internal linkage.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bridge/codecs/vp8_descriptor.hpp"
#include "bridge/conference/router.hpp"
#include "bridge/rtcp/fir.hpp"
#include "bridge/rtcp/nack.hpp"
#include "bridge/rtcp/pli.hpp"
#include "bridge/rtcp/receiver_report.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"
#include "bridge/rtcp/sdes.hpp"
#include "bridge/rtcp/sender_report.hpp"
#include "bridge/rtcp/transport_cc.hpp"
#include "bridge/rtp/rtp_extensions.hpp"
#include "bridge/rtp/rtp_packet.hpp"
#include "bridge/rtp/sequence_unwrapper.hpp"
#include "bridge/transport/media_port.hpp"
#include "tests/unit/media/projection/vp8_simulcast_stream.hpp"

namespace jvb::conference {
namespace router_sim {

using namespace std::chrono_literals;
using transport::EndpointHandle;

constexpr std::uint8_t kOpusPt = 111, kVp8Pt = 100, kRtxPt = 96;
constexpr std::uint8_t kAudioLevelId = 1, kTccId = 5;
constexpr const char* kAudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
constexpr const char* kTccUri = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
constexpr Duration kFrameInterval = 33333us;

const SocketAddress kBridge = *SocketAddress::parse("10.0.0.1", 10000);

inline std::shared_ptr<const dtls::DtlsCertificate> certificate() {
  static auto cert = dtls::DtlsCertificate::generate();
  REQUIRE(cert);
  return *cert;
}

struct Datagram {
  SocketAddress from, to;
  std::vector<std::uint8_t> bytes;
};

// Something a browser got from the bridge, decrypted.
struct Got {
  Timestamp at;
  std::vector<std::uint8_t> bytes;
};

// A packet a browser produced, whether or not the network delivered it.
struct Sent {
  Timestamp at;
  std::vector<std::uint8_t> bytes;  // plain RTP
};

// ---- packet building ----

inline std::vector<std::uint8_t> build_rtp(const rtp::RtpHeaderFields& fields,
                                           std::span<const rtp::ExtensionElement> ext,
                                           std::span<const std::uint8_t> payload, std::size_t padding = 0) {
  std::vector<std::uint8_t> out(1500);
  auto n = rtp::write_rtp_header(out, fields, ext);
  REQUIRE(n);
  out.resize(*n);
  out.insert(out.end(), payload.begin(), payload.end());
  if (padding > 0) {
    out[0] |= 0x20;
    out.insert(out.end(), padding - 1, 0);
    out.push_back(static_cast<std::uint8_t>(padding));
  }
  return out;
}

inline void append_tag(std::vector<std::uint8_t>& payload, std::uint32_t ssrc, std::uint16_t seq) {
  for (int i = 0; i < 4; ++i) payload.push_back(static_cast<std::uint8_t>(ssrc >> (24 - 8 * i)));
  payload.push_back(static_cast<std::uint8_t>(seq >> 8));
  payload.push_back(static_cast<std::uint8_t>(seq));
}

struct Tag {
  std::uint32_t ssrc = 0;
  std::uint16_t seq = 0;
  bool operator==(const Tag&) const = default;
};

inline std::optional<Tag> tag_of(std::span<const std::uint8_t> payload) {
  if (payload.size() < 6) return std::nullopt;
  auto t = payload.subspan(payload.size() - 6);
  return Tag{(std::uint32_t{t[0]} << 24) | (std::uint32_t{t[1]} << 16) | (std::uint32_t{t[2]} << 8) | t[3],
             static_cast<std::uint16_t>((t[4] << 8) | t[5])};
}

inline std::uint16_t read16(std::span<const std::uint8_t> b) {
  return static_cast<std::uint16_t>((b[0] << 8) | b[1]);
}

// ---- the browsers ----

struct Browser {
  Browser(std::string name_, std::string conference_, SocketAddress address_, std::uint32_t base)
      : name(std::move(name_)),
        conference(std::move(conference_)),
        address(address_),
        audio_ssrc(base + 1),
        video{base + 0x11, base + 0x12, base + 0x13},
        rtx{base + 0x21, base + 0x22, base + 0x23},
        vp8({{base + 0x11, 1000, 100000, 300, 10, 1},
             {base + 0x12, 40000, 3000000000u, 20000, 200, 2},
             {base + 0x13, 65000, 7000, 32000, 250, 3}}) {}

  std::string name, conference;
  SocketAddress address;
  EndpointHandle id = 0;
  Endpoint record;  // the bridge's record of it, as the conference manager keeps one
  std::unique_ptr<transport::EndpointTransport> transport;
  std::uint32_t audio_ssrc;
  std::array<std::uint32_t, 3> video, rtx;
  test::Vp8SimulcastSource vp8;

  // What it sends, and how it behaves.
  bool send_audio = false, send_video = false;
  std::array<bool, 3> encoding_on{true, true, true};
  std::array<bool, 3> need_keyframe{true, true, true};
  bool answer_pli = true, answer_nack = true;
  std::function<std::uint8_t(Timestamp)> audio_level;       // RFC 6464 level; default: seq % 128
  std::function<bool(const rtp::RtpPacket&)> lose;          // true: the network loses this packet
  std::function<void(std::vector<std::uint8_t>&)> corrupt;  // changes a packet before it is protected
  std::uint16_t audio_seq = 5000;
  std::uint32_t audio_ts = 123456;
  std::uint16_t transport_seq = 1;
  std::array<std::uint16_t, 3> rtx_seq{100, 200, 300};
  std::array<std::uint16_t, 3> seq_shift{};  // seqs taken by padding inserted into an encoding
  Timestamp next_audio{}, next_video{};

  std::map<std::pair<std::uint32_t, std::uint16_t>, Sent> history;  // (ssrc, seq) -> packet
  std::map<std::uint16_t, Timestamp> transport_sent;                // transport seq -> send time
  std::set<std::uint16_t> transport_lost;

  // What it received.
  std::vector<Got> got_rtp, got_rtcp;
  struct Request {
    Timestamp at;
    std::uint32_t sender_ssrc, media_ssrc;
  };
  std::vector<Request> plis, firs;
  struct NackSeen {
    Timestamp at;
    std::uint32_t sender_ssrc, media_ssrc;
    std::vector<std::uint16_t> lost;
  };
  std::vector<NackSeen> nacks;

  int encoding_of(std::uint32_t ssrc) const {
    for (int e = 0; e < 3; ++e)
      if (video[static_cast<std::size_t>(e)] == ssrc) return e;
    return -1;
  }
  void set_encoding(int e, bool on) {
    auto i = static_cast<std::size_t>(e);
    if (on && !encoding_on[i]) need_keyframe[i] = true;  // a restarted layer starts with a keyframe
    encoding_on[i] = on;
  }
  const Sent& sent(std::uint32_t ssrc, std::uint16_t seq) const { return history.at({ssrc, seq}); }
  // The seq of the latest packet sent on `ssrc` (at or before `until`); history is ordered by
  // seq, not by time.
  std::uint16_t highest_sent(std::uint32_t ssrc, Timestamp until = Timestamp::max()) const {
    std::uint16_t out = 0;
    Timestamp latest{};
    for (const auto& [key, s] : history) {
      if (key.first == ssrc && s.at >= latest && s.at <= until) {
        latest = s.at;
        out = key.second;
      }
    }
    return out;
  }
};

// The browser's record as Jitsi Meet signals it: Opus, VP8 with RTX, three simulcast encodings.
// Again on every call, from the browser's name, conference and SSRCs.
inline void describe(Browser& b, signaling::ForceMute mute = {}) {
  using namespace signaling;
  Endpoint& d = b.record;
  d.id = EndpointId(b.name);
  d.handle = b.id;
  d.conference = b.conference;
  Media audio;
  audio.type = MediaType::kAudio;
  audio.payload_types.push_back({PayloadTypeId(kOpusPt),
                                 "opus",
                                 48000,
                                 2,
                                 {{"minptime", "10"}, {"useinbandfec", "1"}},
                                 {{"transport-cc", ""}}});
  audio.rtp_hdrexts.push_back({kAudioLevelId, kAudioLevelUri, "", ""});
  audio.rtp_hdrexts.push_back({kTccId, kTccUri, "", ""});
  Media video;
  video.type = MediaType::kVideo;
  video.payload_types.push_back({PayloadTypeId(kVp8Pt),
                                 "VP8",
                                 90000,
                                 std::nullopt,
                                 {},
                                 {{"ccm", "fir"}, {"nack", ""}, {"nack", "pli"}, {"transport-cc", ""}}});
  video.payload_types.push_back({PayloadTypeId(kRtxPt), "rtx", 90000, std::nullopt, {{"apt", "100"}}, {}});
  video.rtp_hdrexts.push_back({kTccId, kTccUri, "", ""});
  d.medias = {audio, video};

  const auto audio_name = SourceName(b.name + "-a0");
  const auto video_name = SourceName(b.name + "-v0");
  MediaSource a;
  a.type = MediaType::kAudio;
  a.id = audio_name;
  a.sources.push_back({Ssrc(b.audio_ssrc), audio_name, {}, {}, {}});
  MediaSource v;
  v.type = MediaType::kVideo;
  v.id = video_name;
  for (auto s : b.video) v.sources.push_back({Ssrc(s), video_name, "camera", {}, {}});
  for (auto s : b.rtx) v.sources.push_back({Ssrc(s), video_name, "camera", {}, {}});
  v.ssrc_groups.push_back({"SIM", {Ssrc(b.video[0]), Ssrc(b.video[1]), Ssrc(b.video[2])}});
  for (std::size_t i = 0; i < 3; ++i) v.ssrc_groups.push_back({"FID", {Ssrc(b.video[i]), Ssrc(b.rtx[i])}});
  d.sources = {a, v};
  d.force_mute = mute;
}

// ---- the simulation ----

struct Sim {
  static constexpr std::uint32_t kFeedbackAudio1 = 0xFA000001, kFeedbackVideo1 = 0xFB000001;
  static constexpr std::uint32_t kFeedbackAudio2 = 0xFA000002, kFeedbackVideo2 = 0xFB000002;

  Timestamp now = Timestamp{} + 1000s;
  transport::TransportConfig config;
  transport::MediaPort port;
  Router router;
  std::deque<Datagram> wire;
  std::vector<std::unique_ptr<Browser>> browsers;

  Sim()
      : router(port, [this](const SocketAddress& to, std::span<const std::uint8_t> datagram) {
          wire.push_back({kBridge, to, {datagram.begin(), datagram.end()}});
        }) {
    add("a", "conf1", *SocketAddress::parse("192.168.1.10", 50000), 0xA0000000);
    add("b", "conf1", *SocketAddress::parse("192.168.1.20", 50000), 0xB0000000);
    add("c", "conf1", *SocketAddress::parse("192.168.1.30", 50000), 0xC0000000);
    add("d", "conf2", *SocketAddress::parse("192.168.1.40", 50000), 0xD0000000);
    receive_all_video();
    run(3s);
    for (auto& b : browsers) {
      REQUIRE(port.find(b->id)->state() == transport::TransportState::kConnected);
      REQUIRE(b->transport->state() == transport::TransportState::kConnected);
    }
  }

  Browser& a() { return *browsers[0]; }
  Browser& b() { return *browsers[1]; }
  Browser& c() { return *browsers[2]; }
  Browser& d() { return *browsers[3]; }

  void add(const std::string& name, const std::string& conference, SocketAddress address,
           std::uint32_t base) {
    auto b = std::make_unique<Browser>(name, conference, address, base);
    auto bridge_creds = ice::generate_credentials();
    auto client_creds = ice::generate_credentials();
    auto n = static_cast<std::uint64_t>(browsers.size());
    b->id = port.add(std::make_unique<transport::EndpointTransport>(
        config, certificate(), ice::IceRole::kControlling, bridge_creds, 1111 + n,
        ice::candidate_priority(ice::CandidateType::kPeerReflexive, 65535, 1)));
    b->transport = std::make_unique<transport::EndpointTransport>(
        config, certificate(), ice::IceRole::kControlled, client_creds, 2222 + n,
        ice::candidate_priority(ice::CandidateType::kPeerReflexive, 65535, 1));
    ice::Candidate bridge_candidate;
    bridge_candidate.foundation = std::string(1, '1');  // (a literal trips a false GCC 12 -Wrestrict)
    bridge_candidate.priority = ice::candidate_priority(ice::CandidateType::kHost, 65535, 1);
    bridge_candidate.address = kBridge;
    auto& bridge_side = *port.find(b->id);
    bridge_side.set_remote_ice(client_creds, {});
    bridge_side.set_remote_dtls({{"sha-256", certificate()->fingerprint()}}, transport::DtlsSetup::kActive,
                                now);
    b->transport->set_remote_ice(bridge_creds, {bridge_candidate});
    b->transport->set_remote_dtls({{"sha-256", certificate()->fingerprint()}}, transport::DtlsSetup::kPassive,
                                  now);
    signal(*b);
    browsers.push_back(std::move(b));
  }

  void signal(Browser& b, signaling::ForceMute mute = {}) {
    bool one = b.conference == "conf1";
    describe(b, mute);
    router.set_endpoint(b.record, one ? kFeedbackAudio1 : kFeedbackAudio2,
                        one ? kFeedbackVideo1 : kFeedbackVideo2);
  }

  // Every receiver asks for every other member's video at the best encoding (what a client's
  // ReceiverVideoConstraints without limits lead the forwarding controller to).
  void receive_all_video() {
    for (auto& r : browsers) {
      std::vector<Router::VideoTarget> targets;
      for (auto& s : browsers) {
        if (s != r && s->conference == r->conference) targets.push_back({s->id, s->name + "-v0", 2});
      }
      router.set_video_targets(r->id, targets);
    }
  }

  // Everyone sends audio and simulcast video from now on.
  void start_media() {
    for (auto& b : browsers) {
      b->send_audio = b->send_video = true;
      b->next_audio = b->next_video = now;
    }
  }

  // ---- network ----
  void collect() {
    port.drain_transmits([&](const ice::Transmit& t) { wire.push_back({kBridge, t.destination, t.bytes}); });
    for (auto& b : browsers) {
      while (auto t = b->transport->poll_transmit()) wire.push_back({b->address, t->destination, t->bytes});
    }
  }
  void flush() {
    collect();
    while (!wire.empty()) {
      Datagram d = std::move(wire.front());
      wire.pop_front();
      deliver(d);
      collect();
    }
  }
  Browser* browser_at(const SocketAddress& address) {
    for (auto& b : browsers)
      if (b->address == address) return b.get();
    return nullptr;
  }
  void deliver(const Datagram& d) {
    std::vector<std::uint8_t> buffer = d.bytes;
    buffer.resize(d.bytes.size() + srtp::SrtpSession::kMaxTrailer + 64);
    std::span<std::uint8_t> data(buffer.data(), d.bytes.size());
    if (d.to == kBridge) {
      auto r = port.handle_datagram(now, d.from, data);
      if (!r) return;
      if (r->received.kind == transport::PacketKind::kRtp) {
        router.on_rtp(now, r->endpoint, buffer, r->received.length);
      } else if (r->received.kind == transport::PacketKind::kRtcp) {
        router.on_rtcp(now, r->endpoint, buffer, r->received.length);
      }
      return;
    }
    Browser* b = browser_at(d.to);
    if (!b) return;
    auto r = b->transport->handle_datagram(now, d.from, data);
    std::vector<std::uint8_t> plain(buffer.begin(), buffer.begin() + static_cast<long>(r.length));
    if (r.kind == transport::PacketKind::kRtp) {
      b->got_rtp.push_back({now, std::move(plain)});
    } else if (r.kind == transport::PacketKind::kRtcp) {
      b->got_rtcp.push_back({now, plain});
      react(*b, plain);
    }
  }

  // The browser's reaction to the bridge's RTCP: keyframes for PLIs, RTX for NACKs.
  void react(Browser& b, const std::vector<std::uint8_t>& compound) {
    rtcp::RtcpCompoundIterator it(compound);
    while (auto p = it.next()) {
      if (p->packet_type == rtcp::kPtPayloadFeedback && p->count == rtcp::kFmtPli) {
        auto pli = rtcp::Pli::parse(*p);
        REQUIRE(pli);
        b.plis.push_back({now, pli->sender_ssrc, pli->media_ssrc});
        int e = b.encoding_of(pli->media_ssrc);
        if (b.answer_pli && e >= 0) b.need_keyframe[static_cast<std::size_t>(e)] = true;
      } else if (p->packet_type == rtcp::kPtPayloadFeedback && p->count == rtcp::kFmtFir) {
        auto fir = rtcp::Fir::parse(*p);
        REQUIRE(fir);
        for (std::size_t i = 0; i < fir->entry_count(); ++i)
          b.firs.push_back({now, fir->sender_ssrc(), fir->entry(i).ssrc});
      } else if (p->packet_type == rtcp::kPtRtpFeedback && p->count == rtcp::kFmtGenericNack) {
        auto nack = rtcp::Nack::parse(*p);
        REQUIRE(nack);
        b.nacks.push_back({now, nack->sender_ssrc(), nack->media_ssrc(), nack->lost_sequence_numbers()});
        int e = b.encoding_of(nack->media_ssrc());
        if (!b.answer_nack || e < 0) continue;
        for (auto seq : nack->lost_sequence_numbers()) {
          if (b.history.count({nack->media_ssrc(), seq})) transmit(b, make_rtx(b, e, seq));
        }
      }
    }
  }

  // ---- sending ----
  // Sends a plain RTP packet from `b` (SRTP-protected by its transport).
  void transmit(Browser& b, const std::vector<std::uint8_t>& plain) {
    auto parsed = rtp::RtpPacket::parse(plain);
    std::optional<std::uint16_t> transport_seq;
    if (parsed) {
      if (auto ext = parsed->find_extension(kTccId)) {
        if (auto s = rtp::parse_transport_sequence_number(ext->data)) transport_seq = *s;
      }
      if (transport_seq) b.transport_sent[*transport_seq] = now;
      if (b.lose && b.lose(*parsed)) {
        if (transport_seq) b.transport_lost.insert(*transport_seq);
        return;
      }
    }
    std::vector<std::uint8_t> buffer(plain);
    if (b.corrupt) b.corrupt(buffer);
    std::size_t length = buffer.size();
    buffer.resize(length + srtp::SrtpSession::kMaxTrailer);
    auto n = b.transport->protect_rtp(buffer, length);
    REQUIRE(n);
    buffer.resize(*n);
    wire.push_back({b.address, kBridge, std::move(buffer)});
  }
  // Protects and sends anything; false if the SRTP library refused it.
  bool transmit_unchecked(Browser& b, const std::vector<std::uint8_t>& plain) {
    std::vector<std::uint8_t> buffer(plain);
    buffer.resize(plain.size() + srtp::SrtpSession::kMaxTrailer);
    auto n = b.transport->protect_rtp(buffer, plain.size());
    if (!n) return false;
    buffer.resize(*n);
    wire.push_back({b.address, kBridge, std::move(buffer)});
    return true;
  }
  void transmit_rtcp(Browser& b, const std::vector<std::uint8_t>& plain) {
    std::vector<std::uint8_t> buffer(plain);
    buffer.resize(plain.size() + srtp::SrtpSession::kMaxTrailer);
    auto n = b.transport->protect_rtcp(buffer, plain.size());
    REQUIRE(n);
    buffer.resize(*n);
    wire.push_back({b.address, kBridge, std::move(buffer)});
  }

  std::array<std::uint8_t, 2> next_transport_seq(Browser& b) {
    std::array<std::uint8_t, 2> v{};
    REQUIRE(rtp::write_transport_sequence_number(v, b.transport_seq++));
    return v;
  }

  std::vector<std::uint8_t> make_audio(Browser& b) {
    std::uint16_t seq = b.audio_seq++;
    b.audio_ts += 960;
    std::array<std::uint8_t, 1> level{};
    auto value = b.audio_level ? b.audio_level(now) : static_cast<std::uint8_t>(seq % 128);
    REQUIRE(rtp::write_audio_level(level, {(seq & 1) != 0, value}));
    auto tcc = next_transport_seq(b);
    const rtp::ExtensionElement ext[] = {{kAudioLevelId, level}, {kTccId, tcc}};
    std::vector<std::uint8_t> payload;
    for (int i = 0; i < 60; ++i) payload.push_back(static_cast<std::uint8_t>(seq * 7 + i));
    append_tag(payload, b.audio_ssrc, seq);
    return build_rtp({false, kOpusPt, seq, b.audio_ts, b.audio_ssrc, {}}, ext, payload);
  }

  // A generated VP8 packet, with the browser's transport-wide seq and the tag.
  std::vector<std::uint8_t> make_video(Browser& b, const test::GeneratedPacket& g) {
    auto parsed = rtp::RtpPacket::parse(g.bytes);
    REQUIRE(parsed);
    std::vector<std::uint8_t> payload(parsed->payload().begin(), parsed->payload().end());
    auto seq = static_cast<std::uint16_t>(g.seq + b.seq_shift[static_cast<std::size_t>(g.encoding)]);
    append_tag(payload, g.ssrc, seq);
    auto tcc = next_transport_seq(b);
    const rtp::ExtensionElement ext[] = {{kTccId, tcc}};
    return build_rtp({g.marker, kVp8Pt, seq, g.ts, g.ssrc, {}}, ext, payload);
  }

  // A padding-only packet (a bandwidth probe) on encoding e's own SSRC and sequence space,
  // as a browser sends them: P set, no payload, the timestamp of the last frame.
  void send_padding(Browser& b, int e, std::size_t bytes = 200) {
    auto i = static_cast<std::size_t>(e);
    std::uint16_t last = b.highest_sent(b.video[i]);
    auto ts = rtp::RtpPacket::parse(b.sent(b.video[i], last).bytes)->timestamp();
    auto seq = static_cast<std::uint16_t>(last + 1);
    ++b.seq_shift[i];
    auto tcc = next_transport_seq(b);
    const rtp::ExtensionElement ext[] = {{kTccId, tcc}};
    send_recorded(b, build_rtp({false, kVp8Pt, seq, ts, b.video[i], {}}, ext, {}, bytes));
  }

  // RFC 4588 RTX of one of b's sent packets of encoding e.
  std::vector<std::uint8_t> make_rtx(Browser& b, int e, std::uint16_t osn) {
    auto i = static_cast<std::size_t>(e);
    const auto& original = b.sent(b.video[i], osn).bytes;
    auto parsed = rtp::RtpPacket::parse(original);
    REQUIRE(parsed);
    std::vector<std::uint8_t> payload{static_cast<std::uint8_t>(osn >> 8), static_cast<std::uint8_t>(osn)};
    payload.insert(payload.end(), parsed->payload().begin(), parsed->payload().end());
    auto tcc = next_transport_seq(b);
    const rtp::ExtensionElement ext[] = {{kTccId, tcc}};
    return build_rtp({parsed->marker(), kRtxPt, b.rtx_seq[i]++, parsed->timestamp(), b.rtx[i], {}}, ext,
                     payload);
  }

  void send_recorded(Browser& b, std::vector<std::uint8_t> plain) {
    auto parsed = rtp::RtpPacket::parse(plain);
    REQUIRE(parsed);
    b.history[{parsed->ssrc(), parsed->sequence_number()}] = {now, plain};
    transmit(b, plain);
  }

  void produce(Browser& b) {
    if (b.send_audio && now >= b.next_audio) {
      send_recorded(b, make_audio(b));
      b.next_audio += 20ms;
    }
    if (b.send_video && now >= b.next_video) {
      for (int e = 0; e < 3; ++e) {
        auto i = static_cast<std::size_t>(e);
        if (!b.encoding_on[i]) continue;
        bool key = b.need_keyframe[i];
        b.need_keyframe[i] = false;
        for (const auto& g : b.vp8.frame(e, key)) send_recorded(b, make_video(b, g));
      }
      b.next_video += kFrameInterval;
    }
  }

  // ---- time ----
  void step() {
    now += 1ms;
    if (auto t = port.next_timeout(); t && *t <= now) port.handle_timeout(now);
    for (auto& b : browsers) {
      if (auto t = b->transport->next_timeout(); t && *t <= now) b->transport->handle_timeout(now);
    }
    flush();
    for (auto& b : browsers) produce(*b);
    flush();
    router.on_timer(now);
    if (on_step) on_step(now);
    flush();
  }
  // Runs after the router's timer on every step (a controller's timers, for instance).
  std::function<void(Timestamp)> on_step;
  void run(Duration d) {
    Timestamp end = now + d;
    while (now < end) step();
  }
};

// ---- what the browsers received ----

struct VideoOut {
  Timestamp at;
  std::uint32_t ssrc = 0;
  std::uint8_t pt = 0;
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  bool marker = false;
  bool has_extension = false;
  std::optional<std::uint16_t> osn;  // RTX only
  std::optional<std::uint16_t> picture_id;
  std::optional<std::uint8_t> tl0;
  bool start = false, keyframe = false;
  Tag tag;
  std::vector<std::uint8_t> payload;  // VP8 payload (after the OSN for RTX)
};

// The RTP `receiver` got on `ssrc` from `since` on, parsed as VP8 (or RTX of VP8).
inline std::vector<VideoOut> video_received(const Browser& receiver, std::uint32_t ssrc,
                                            Timestamp since = {}) {
  std::vector<VideoOut> out;
  for (const auto& g : receiver.got_rtp) {
    if (g.at < since) continue;
    auto p = rtp::RtpPacket::parse(g.bytes);
    REQUIRE(p);
    if (p->ssrc() != ssrc) continue;
    VideoOut v;
    v.at = g.at;
    v.ssrc = p->ssrc();
    v.pt = p->payload_type();
    v.seq = p->sequence_number();
    v.ts = p->timestamp();
    v.marker = p->marker();
    v.has_extension = p->has_extension();
    auto payload = p->payload();
    if (v.pt == kRtxPt) {
      REQUIRE(payload.size() >= 2);
      v.osn = read16(payload);
      payload = payload.subspan(2);
    }
    v.payload.assign(payload.begin(), payload.end());
    auto d = codecs::parse_vp8_descriptor(payload);
    REQUIRE(d);
    v.picture_id = d->picture_id;
    v.tl0 = d->tl0_pic_idx;
    v.start = d->is_start_of_frame();
    v.keyframe = codecs::is_vp8_keyframe(payload);
    auto t = tag_of(payload);
    REQUIRE(t);
    v.tag = *t;
    out.push_back(std::move(v));
  }
  return out;
}

// The payload of the packet `v` was made from, as its sender sent it.
inline std::vector<std::uint8_t> original_payload(const Browser& sender, const Tag& tag) {
  const auto& sent = sender.sent(tag.ssrc, tag.seq);
  auto p = rtp::RtpPacket::parse(sent.bytes);
  REQUIRE(p);
  return {p->payload().begin(), p->payload().end()};
}

// VP8 payloads equal but for the PictureID and TL0PICIDX the projection rewrites (bytes 2-4
// of the descriptor as the generator lays it out: X, ILT, M+PictureID (2), TL0PICIDX, TID).
inline bool same_vp8_payload(const std::vector<std::uint8_t>& got,
                             const std::vector<std::uint8_t>& original) {
  if (got.size() != original.size() || got.size() < 6) return false;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (i >= 2 && i <= 4) continue;
    if (got[i] != original[i]) return false;
  }
  return (got[2] & 0x80) != 0;  // still the 15-bit form
}

// One continuous stream: seqs +1 each, PictureID and TL0PICIDX +0 or +1, timestamps not
// decreasing, a new PictureID exactly when a frame starts.
inline void check_continuous(const std::vector<VideoOut>& v) {
  for (std::size_t i = 1; i < v.size(); ++i) {
    CAPTURE(i);
    CHECK(static_cast<std::uint16_t>(v[i].seq - v[i - 1].seq) == 1);
    REQUIRE(v[i].picture_id);
    REQUIRE(v[i - 1].picture_id);
    auto pid_step = (*v[i].picture_id - *v[i - 1].picture_id) & 0x7FFF;
    CHECK(pid_step == (v[i].start ? 1 : 0));
    auto tl0_step = static_cast<std::uint8_t>(*v[i].tl0 - *v[i - 1].tl0);
    CHECK(tl0_step <= 1);
    auto ts_step = static_cast<std::int32_t>(v[i].ts - v[i - 1].ts);
    CHECK(ts_step >= 0);
    CHECK((ts_step > 0) == v[i].start);
  }
}

struct RtcpSeen {
  Timestamp at;
  std::uint8_t packet_type = 0, count = 0;
  std::vector<std::uint8_t> bytes;  // one RTCP packet
  rtcp::RtcpPacketView view() const {
    auto v = rtcp::parse_rtcp_packet(bytes);
    REQUIRE(v);
    return *v;
  }
};

inline std::vector<RtcpSeen> rtcp_received(const Browser& b, std::uint8_t packet_type, Timestamp since = {}) {
  std::vector<RtcpSeen> out;
  for (const auto& g : b.got_rtcp) {
    if (g.at < since) continue;
    rtcp::RtcpCompoundIterator it(g.bytes);
    while (auto p = it.next()) {
      if (p->packet_type != packet_type) continue;
      out.push_back({g.at, p->packet_type, p->count, {p->packet.begin(), p->packet.end()}});
    }
    CHECK_FALSE(it.error());
  }
  return out;
}

inline std::size_t count_rtp_from(const Browser& receiver, std::uint32_t ssrc, Timestamp since = {}) {
  std::size_t n = 0;
  for (const auto& g : receiver.got_rtp) {
    auto p = rtp::RtpPacket::parse(g.bytes);
    REQUIRE(p);
    if (g.at >= since && p->ssrc() == ssrc) ++n;
  }
  return n;
}

inline std::optional<Router::ProjectionInfo> projection_of(const std::vector<Router::ProjectionInfo>& all,
                                                           EndpointHandle sender) {
  for (const auto& p : all)
    if (p.sender == sender) return p;
  return std::nullopt;
}

inline std::vector<std::uint8_t> pli_packet(std::uint32_t sender, std::uint32_t media) {
  std::vector<std::uint8_t> out(rtcp::kPliSize);
  REQUIRE(rtcp::write_pli(out, {sender, media}));
  return out;
}

inline std::vector<std::uint8_t> nack_packet(std::uint32_t sender, std::uint32_t media,
                                             std::vector<std::uint16_t> lost) {
  std::vector<std::uint8_t> out(1200);
  auto n = rtcp::write_nack(out, sender, media, lost);
  REQUIRE(n);
  out.resize(*n);
  return out;
}

// ================================================================================================
// 1. Audio
// ================================================================================================

}  // namespace router_sim
}  // namespace jvb::conference
