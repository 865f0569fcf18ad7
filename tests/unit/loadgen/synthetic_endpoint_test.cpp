// Tests of tools/loadgen/synthetic_endpoint.hpp on a fake clock: one synthetic endpoint against
// the bridge's own transport (EndpointTransport, ICE controlling, DTLS server) over an in-memory
// network. Covers the connection, what the endpoint sends (audio levels, transport-wide
// sequence numbers, VP8 simulcast keyframes, SR), its answers to PLI and NACK (keyframe, RTX),
// and what it measures about media the "bridge" sends it (latency, RTX repair, NACKs), sampled
// or not.
#include <doctest/doctest.h>

#include <deque>
#include <map>
#include <set>
#include <vector>

#include "bridge/codecs/vp8_descriptor.hpp"
#include "bridge/core/byte_writer.hpp"
#include "bridge/media/feedback/rtx.hpp"
#include "bridge/rtcp/nack.hpp"
#include "bridge/rtcp/pli.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"
#include "bridge/rtcp/sender_report.hpp"
#include "bridge/rtp/rtp_extensions.hpp"
#include "bridge/rtp/rtp_packet.hpp"
#include "tools/focus/sdp.hpp"
#include "tools/loadgen/synthetic_endpoint.hpp"

using namespace jvb;
using namespace jvb::loadgen;
using namespace std::chrono_literals;

namespace {

const SocketAddress kBridge = *SocketAddress::parse("10.0.0.1", 10000);
const SocketAddress kClient = *SocketAddress::parse("127.0.0.1", 40000);

std::shared_ptr<const dtls::DtlsCertificate> certificate() {
  static auto cert = dtls::DtlsCertificate::generate();
  REQUIRE(cert);
  return *cert;
}

using Bytes = std::vector<std::uint8_t>;

struct Sim {
  Timestamp now = Timestamp{} + 1000s;
  Options options;
  Plan plan;
  EndpointConfig config;
  std::unique_ptr<SyntheticEndpoint> client;
  std::unique_ptr<transport::EndpointTransport> bridge;
  struct Datagram {
    bool to_bridge;
    Bytes bytes;
  };
  std::deque<Datagram> wire;
  std::vector<Bytes> bridge_rtp, bridge_rtcp;  // plain, as the bridge decrypted them
  std::map<std::uint32_t, std::uint16_t> bridge_seq;

  explicit Sim(bool sampled = true) {
    options.participants = 2;
    options.sample = sampled ? 1 : 2;
    plan = make_plan(options, 1);
    // Endpoint 1 is unsampled with --sample 2 (endpoint 0 always is sampled).
    const EndpointPlan& me = plan.endpoints[sampled ? 0 : 1];
    client = std::make_unique<SyntheticEndpoint>(me, plan.ssrcs, config, certificate(), kClient, 77);
    auto creds = ice::generate_credentials();
    bridge = std::make_unique<transport::EndpointTransport>(
        config.transport, certificate(), ice::IceRole::kControlling, creds, 5555,
        ice::candidate_priority(ice::CandidateType::kPeerReflexive, 65535, 1));
    // The bridge learns the client's transport from the endpoint update (Colibri2).
    signaling::IceUdpTransport local = client->local_transport();
    REQUIRE(local.fingerprints.size() == 1);
    CHECK(local.fingerprints[0].setup == signaling::DtlsSetup::kActive);
    REQUIRE(local.candidates.size() == 1);
    CHECK(local.candidates[0].ip == "127.0.0.1");
    CHECK(local.candidates[0].port == 40000);
    bridge->set_remote_ice({local.ufrag, local.pwd}, {});
    bridge->set_remote_dtls({{local.fingerprints[0].hash, local.fingerprints[0].value}},
                            transport::DtlsSetup::kActive, now);
    // And the client the bridge's, from its endpoint create answer.
    signaling::IceUdpTransport answer;
    answer.ufrag = creds.ufrag;
    answer.pwd = creds.pwd;
    answer.fingerprints.push_back(
        {certificate()->fingerprint(), "sha-256", signaling::DtlsSetup::kActpass, false});
    signaling::Candidate c;
    c.foundation = "1";
    c.protocol = "udp";
    c.priority = 2130706431;
    c.ip = "10.0.0.1";
    c.port = 10000;
    answer.candidates.push_back(c);
    CHECK_FALSE(client->set_bridge_transport(answer, now));
  }

  void collect() {
    OutgoingQueue& out = client->outgoing();
    for (const auto& e : out.entries()) {
      CHECK(e.to == kBridge);
      auto bytes = out.bytes(e);
      wire.push_back({true, Bytes(bytes.begin(), bytes.end())});
    }
    out.clear();
    while (auto t = bridge->poll_transmit()) wire.push_back({false, t->bytes});
  }

  void deliver(Datagram d) {
    Bytes buffer = d.bytes;
    buffer.resize(d.bytes.size() + srtp::SrtpSession::kMaxTrailer);
    std::span<std::uint8_t> data(buffer.data(), d.bytes.size());
    if (d.to_bridge) {
      auto r = bridge->handle_datagram(now, kClient, data);
      if (r.kind == transport::PacketKind::kRtp)
        bridge_rtp.emplace_back(buffer.begin(), buffer.begin() + static_cast<long>(r.length));
      if (r.kind == transport::PacketKind::kRtcp)
        bridge_rtcp.emplace_back(buffer.begin(), buffer.begin() + static_cast<long>(r.length));
    } else {
      client->handle_datagram(now, kBridge, data);
    }
  }

  void run(Duration duration) {
    Timestamp end = now + duration;
    while (now < end) {
      if (auto t = client->next_timeout(); t && *t <= now) client->handle_timeout(now);
      if (auto t = bridge->next_timeout(); t && *t <= now) bridge->handle_timeout(now);
      collect();
      while (!wire.empty()) {
        Datagram d = std::move(wire.front());
        wire.pop_front();
        deliver(std::move(d));
        collect();
      }
      now += 1ms;
    }
  }

  // The "bridge" sends a plain packet (protected here) to the client.
  void send_to_client(Bytes plain, bool rtcp = false) {
    plain.resize(plain.size() + srtp::SrtpSession::kMaxTrailer);
    std::size_t length = plain.size() - srtp::SrtpSession::kMaxTrailer;
    auto n = rtcp ? bridge->protect_rtcp(plain, length) : bridge->protect_rtp(plain, length);
    REQUIRE(n);
    plain.resize(*n);
    wire.push_back({false, std::move(plain)});
  }

  // An RTP packet from the other participant as the bridge forwards it: `payload` after the header.
  Bytes remote_rtp(std::uint32_t ssrc, std::uint8_t pt, std::uint16_t seq, std::uint32_t ts,
                   const Bytes& payload, bool marker = false) {
    Bytes packet(12 + payload.size());
    rtp::RtpHeaderFields f;
    f.payload_type = pt;
    f.sequence_number = seq;
    f.timestamp = ts;
    f.ssrc = ssrc;
    f.marker = marker;
    auto n = rtp::write_rtp_header(packet, f);
    REQUIRE(n);
    std::copy(payload.begin(), payload.end(), packet.begin() + static_cast<long>(*n));
    return packet;
  }

  Bytes send_time_payload(Timestamp sent, std::size_t size = 80) {
    Bytes payload(size, 0x11);
    ByteWriter w(payload);
    w.u64(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(sent.time_since_epoch()).count()));
    return payload;
  }

  std::vector<rtp::RtpPacket> rtp_with_ssrc(std::uint32_t ssrc) const {
    std::vector<rtp::RtpPacket> out;
    for (const auto& b : bridge_rtp) {
      auto p = rtp::RtpPacket::parse(b);
      REQUIRE(p);
      if (p->ssrc() == ssrc) out.push_back(*p);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("the endpoint connects as the ICE-controlled DTLS client and sends audio and simulcast") {
  Sim sim;
  sim.run(1s);
  REQUIRE(sim.client->connected());
  REQUIRE(sim.bridge->state() == transport::TransportState::kConnected);
  CHECK(sim.client->transport().ice().role() == ice::IceRole::kControlled);
  CHECK(sim.client->transport().dtls()->role() == dtls::DtlsRole::kClient);
  sim.bridge_rtp.clear();
  sim.run(1s);
  const EndpointPlan& me = sim.client->plan();

  // Audio: 50 packets a second, a speaker's loud level, Opus payload type.
  auto audio = sim.rtp_with_ssrc(me.audio_ssrc);
  CHECK(audio.size() >= 49);
  CHECK(audio.size() <= 51);
  for (const auto& p : audio) {
    CHECK(p.payload_type() == focus::kOpusPt);
    auto level = p.find_extension(focus::kAudioLevelExtId);
    REQUIRE(level);
    auto value = rtp::parse_audio_level(level->data);
    REQUIRE(value);
    CHECK(value->voice_activity);
    CHECK(value->level <= 40);
    CHECK(p.payload_size() >= 60);
    CHECK(p.payload_size() <= 120);
  }
  // Video: every layer, VP8, one keyframe at the start with the layer's height.
  for (std::size_t l = 0; l < kLayers; ++l) {
    auto video = sim.rtp_with_ssrc(me.video_ssrcs[l]);
    CHECK(video.size() >= 30);
    for (std::size_t i = 1; i < video.size(); ++i)
      CHECK(video[i].sequence_number() == static_cast<std::uint16_t>(video[i - 1].sequence_number() + 1));
  }
  // One transport-wide sequence, consecutive over every SSRC.
  std::vector<std::uint16_t> transport_seqs;
  for (const auto& b : sim.bridge_rtp) {
    auto p = rtp::RtpPacket::parse(b);
    auto ext = p->find_extension(focus::kTransportCcExtId);
    REQUIRE(ext);
    transport_seqs.push_back(*rtp::parse_transport_sequence_number(ext->data));
  }
  for (std::size_t i = 1; i < transport_seqs.size(); ++i)
    CHECK(transport_seqs[i] == static_cast<std::uint16_t>(transport_seqs[i - 1] + 1));

  // Sender reports, one per sending SSRC, with SDES.
  std::set<std::uint32_t> reported;
  for (const auto& b : sim.bridge_rtcp) {
    rtcp::RtcpCompoundIterator it(b);
    while (auto p = it.next())
      if (p->packet_type == rtcp::kPtSenderReport)
        reported.insert(rtcp::SenderReport::parse(*p)->sender_ssrc());
  }
  CHECK(reported.count(me.audio_ssrc));
  for (auto ssrc : me.video_ssrcs) CHECK(reported.count(ssrc));
  CHECK(sim.client->counters().not_sent == 0);
}

TEST_CASE("PLI: a keyframe on that layer at once; NACK: RTX from the history") {
  Sim sim;
  sim.run(1500ms);
  REQUIRE(sim.client->connected());
  const EndpointPlan& me = sim.client->plan();
  sim.bridge_rtp.clear();

  Bytes pli(rtcp::kPliSize);
  REQUIRE(rtcp::write_pli(pli, {0x1234, me.video_ssrcs[2]}));
  sim.send_to_client(pli, true);
  sim.run(2ms);  // well inside a frame interval
  // The keyframe on layer 2; a regular frame may fall into these 2 ms, but no other keyframe.
  const Bytes* keyframe = nullptr;
  for (const auto& b : sim.bridge_rtp) {
    auto p = rtp::RtpPacket::parse(b);
    REQUIRE(p);
    bool key = codecs::is_vp8_keyframe(p->payload());
    if (p->ssrc() == me.video_ssrcs[2] && key && !keyframe) keyframe = &b;
    if (p->ssrc() == me.video_ssrcs[0] || p->ssrc() == me.video_ssrcs[1]) CHECK_FALSE(key);
  }
  REQUIRE(keyframe);
  Bytes original = *keyframe;
  auto first = rtp::RtpPacket::parse(original);
  auto d = codecs::parse_vp8_descriptor(first->payload());
  auto info = codecs::parse_vp8_frame_info(*d, first->payload().subspan(d->size));
  CHECK(info.height == 720);
  CHECK(sim.client->counters().plis_received == 1);

  // NACK the keyframe's first packet.
  std::uint16_t seq = first->sequence_number();
  sim.bridge_rtp.clear();
  Bytes nack(64);
  std::uint16_t lost[] = {seq, 60000};  // the second was never sent
  auto n = rtcp::write_nack(nack, 0x1234, me.video_ssrcs[2], lost);
  REQUIRE(n);
  nack.resize(*n);
  sim.send_to_client(nack, true);
  sim.run(1ms);
  auto rtx = sim.rtp_with_ssrc(me.rtx_ssrcs[2]);
  REQUIRE(rtx.size() == 1);
  CHECK(rtx[0].payload_type() == focus::kVp8RtxPt);
  Bytes restored(rtx[0].bytes().begin(), rtx[0].bytes().end());
  auto length = media::decapsulate_rtx(restored, me.video_ssrcs[2], focus::kVp8Pt);
  REQUIRE(length);
  restored.resize(*length);
  auto back = rtp::RtpPacket::parse(restored);
  REQUIRE(back);
  CHECK(back->sequence_number() == seq);
  CHECK(Bytes(back->payload().begin(), back->payload().end()) ==
        Bytes(first->payload().begin(), first->payload().end()));
  // The retransmission has a transport-wide number of its own.
  auto a = rtp::parse_transport_sequence_number(rtx[0].find_extension(focus::kTransportCcExtId)->data);
  auto b = rtp::parse_transport_sequence_number(first->find_extension(focus::kTransportCcExtId)->data);
  CHECK(*a != *b);
  CHECK(sim.client->counters().nacked_packets == 2);
  CHECK(sim.client->counters().rtx_sent == 1);
  CHECK(sim.client->counters().rtx_unavailable == 1);
}

TEST_CASE("a sampled receiver measures latency, layers, loss after RTX repair, and NACKs gaps") {
  Sim sim;
  sim.run(1s);
  REQUIRE(sim.client->connected());
  sim.client->start_measurement();
  const EndpointPlan& other = sim.plan.endpoints[1];

  // Audio sent 1.5 ms before it arrives.
  for (std::uint16_t i = 0; i < 10; ++i)
    sim.send_to_client(sim.remote_rtp(other.audio_ssrc, focus::kOpusPt, 100 + i, 960 * i,
                                      sim.send_time_payload(sim.now - 1500us)));
  // Video on the projected SSRC: a 360p keyframe packet, then 5 packets with 102 missing.
  auto vp8 = [&](bool keyframe, bool start) {
    Bytes p = {0x80, 0xE0, 0x80, 0x01, 0x00, 0x20};  // X, I/L/T, 15-bit picture id 1, TL0 0, TID 0 Y
    if (start) p[0] |= 0x10;
    if (start && keyframe) {
      Bytes header = {0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x01};  // 640x360
      p.insert(p.end(), header.begin(), header.end());
    } else if (start) {
      Bytes tag = {0x11, 0x02, 0x00};
      p.insert(p.end(), tag.begin(), tag.end());
    }
    Bytes time = sim.send_time_payload(sim.now - 3ms, 200);
    p.insert(p.end(), time.begin(), time.end());
    return p;
  };
  std::uint32_t video = other.video_ssrcs[0];
  sim.send_to_client(sim.remote_rtp(video, focus::kVp8Pt, 100, 0, vp8(true, true)));
  sim.send_to_client(sim.remote_rtp(video, focus::kVp8Pt, 101, 0, vp8(true, false), true));
  for (std::uint16_t seq : {103, 104, 105})
    sim.send_to_client(sim.remote_rtp(video, focus::kVp8Pt, seq, 3000, vp8(false, seq == 103), seq == 105));
  sim.bridge_rtcp.clear();
  sim.run(5ms);

  const auto& streams = sim.client->streams();
  REQUIRE(streams.count(video));
  const RemoteStream& s = streams.at(video);
  CHECK(s.height == 360);
  CHECK(s.loss.expected() == 6);
  CHECK(s.loss.lost() == 1);
  CHECK(sim.client->counters().keyframes_received == 1);
  CHECK(sim.client->layers().at(360).packets == 5);
  REQUIRE(sim.client->audio_latency().count() == 10);
  CHECK(sim.client->audio_latency().percentile(50)->count() == doctest::Approx(1500).epsilon(0.03));
  CHECK(sim.client->video_latency().count() == 5);
  CHECK(sim.client->video_latency().percentile(99)->count() == doctest::Approx(3000).epsilon(0.03));
  CHECK(sim.client->counters().decrypted == 15);

  // The gap was NACKed to the bridge.
  bool nacked = false;
  for (const auto& b : sim.bridge_rtcp) {
    rtcp::RtcpCompoundIterator it(b);
    while (auto p = it.next()) {
      if (p->packet_type != rtcp::kPtRtpFeedback || p->count != rtcp::kFmtGenericNack) continue;
      auto nack = rtcp::Nack::parse(*p);
      REQUIRE(nack);
      CHECK(nack->media_ssrc() == video);
      CHECK(nack->lost_sequence_numbers() == std::vector<std::uint16_t>{102});
      nacked = true;
    }
  }
  CHECK(nacked);
  CHECK(sim.client->counters().nacks_sent >= 1);

  // The bridge repairs it with RTX (OSN 102) on the FID partner.
  Bytes original = sim.remote_rtp(video, focus::kVp8Pt, 102, 0, vp8(true, false));
  Bytes rtx(original.size() + 2);
  auto n = media::build_rtx_packet(original, other.rtx_ssrcs[0], focus::kVp8RtxPt, 7, rtx);
  REQUIRE(n);
  rtx.resize(*n);
  sim.send_to_client(rtx);
  sim.run(1ms);
  CHECK(s.loss.lost() == 0);
  CHECK(s.loss.repaired() == 1);
  CHECK(s.loss.lost_before_repair() == 1);
  CHECK(sim.client->video_latency().count() == 5);  // repairs are not latency samples
}

TEST_CASE("an unsampled receiver counts from the clear header without decrypting media") {
  Sim sim(false);
  REQUIRE_FALSE(sim.client->plan().sampled);
  sim.run(1s);
  REQUIRE(sim.client->connected());
  sim.client->start_measurement();
  const EndpointPlan& other = sim.plan.endpoints[0];
  for (std::uint16_t seq : {10, 11, 13})
    sim.send_to_client(
        sim.remote_rtp(other.video_ssrcs[0], focus::kVp8Pt, seq, 0, sim.send_time_payload(sim.now)));
  sim.send_to_client(sim.remote_rtp(other.audio_ssrc, focus::kOpusPt, 1, 0, sim.send_time_payload(sim.now)));
  // RTX is still decrypted, so repairs count.
  Bytes original = sim.remote_rtp(other.video_ssrcs[0], focus::kVp8Pt, 12, 0, sim.send_time_payload(sim.now));
  Bytes rtx(original.size() + 2);
  auto n = media::build_rtx_packet(original, other.rtx_ssrcs[0], focus::kVp8RtxPt, 1, rtx);
  REQUIRE(n);
  rtx.resize(*n);
  sim.send_to_client(rtx);
  sim.run(2ms);
  const auto& c = sim.client->counters();
  CHECK(c.not_decrypted == 4);
  CHECK(c.decrypted == 1);
  CHECK(c.rtp_received == 5);
  const RemoteStream& s = sim.client->streams().at(other.video_ssrcs[0]);
  CHECK(s.loss.expected() == 4);
  CHECK(s.loss.lost() == 0);
  CHECK(s.loss.repaired() == 1);
  CHECK(sim.client->audio_latency().count() == 0);
  CHECK(sim.client->video_latency().count() == 0);
  CHECK(sim.client->streams().count(other.audio_ssrc));
}

TEST_CASE("stop_media ends media and RTCP; the transport keeps answering") {
  Sim sim;
  sim.run(1s);
  REQUIRE(sim.client->connected());
  sim.client->stop_media();
  sim.bridge_rtp.clear();
  sim.bridge_rtcp.clear();
  sim.run(2s);
  CHECK(sim.bridge_rtp.empty());
  CHECK(sim.bridge_rtcp.empty());
  CHECK(sim.client->connected());
}
