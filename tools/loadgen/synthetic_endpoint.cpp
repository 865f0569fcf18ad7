// See synthetic_endpoint.hpp.
#include "tools/loadgen/synthetic_endpoint.hpp"

#include <algorithm>
#include <cstring>
#include <random>

#include "bridge/codecs/vp8_descriptor.hpp"
#include "bridge/core/byte_reader.hpp"
#include "bridge/core/byte_writer.hpp"
#include "bridge/media/feedback/rtx.hpp"
#include "bridge/rtcp/fir.hpp"
#include "bridge/rtcp/nack.hpp"
#include "bridge/rtcp/pli.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"
#include "bridge/rtcp/sdes.hpp"
#include "bridge/rtcp/sender_report.hpp"
#include "bridge/rtp/rtp_extensions.hpp"
#include "bridge/rtp/rtp_packet.hpp"
#include "ice/packet_class.hpp"
#include "tools/focus/sdp.hpp"

namespace jvb::loadgen {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

constexpr std::uint8_t kAudioFill = 0x5A;

std::optional<Timestamp> earliest(std::optional<Timestamp> a, std::optional<Timestamp> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

std::int64_t micros(Timestamp t) { return duration_cast<microseconds>(t.time_since_epoch()).count(); }

// NTP-format (32.32) time from the steady clock: only differences matter to the bridge (LSR/DLSR).
std::uint64_t ntp_of(Timestamp t) {
  auto us = static_cast<std::uint64_t>(micros(t));
  std::uint64_t seconds = us / 1'000'000;
  std::uint64_t fraction = ((us % 1'000'000) << 32) / 1'000'000;
  return (seconds << 32) | fraction;
}

std::optional<ice::Candidate> to_ice(const signaling::Candidate& c) {
  if (c.protocol != "udp" || c.component != 1) return std::nullopt;
  auto address = SocketAddress::parse(c.ip, c.port);
  if (!address) return std::nullopt;
  ice::Candidate out;
  out.foundation = c.foundation;
  out.component = c.component;
  out.priority = c.priority;
  out.address = *address;
  switch (c.type) {
    case signaling::CandidateType::kHost:
      out.type = ice::CandidateType::kHost;
      break;
    case signaling::CandidateType::kSrflx:
      out.type = ice::CandidateType::kServerReflexive;
      break;
    case signaling::CandidateType::kPrflx:
      out.type = ice::CandidateType::kPeerReflexive;
      break;
    case signaling::CandidateType::kRelay:
      out.type = ice::CandidateType::kRelayed;
      break;
  }
  out.generation = c.generation.value_or(0);
  return out;
}

AudioSourceConfig audio_config(const EndpointPlan& plan, const EndpointConfig& config) {
  AudioSourceConfig audio;
  audio.speaking = plan.speaking;
  audio.dtx = config.dtx;
  return audio;
}

}  // namespace

SyntheticEndpoint::SyntheticEndpoint(const EndpointPlan& plan, const SsrcDirectory& directory,
                                     const EndpointConfig& config,
                                     std::shared_ptr<const dtls::DtlsCertificate> certificate,
                                     SocketAddress local, std::uint64_t tie_breaker)
    : plan_(plan),
      directory_(directory),
      config_(config),
      local_(local),
      transport_(config.transport, std::move(certificate), ice::IceRole::kControlled,
                 ice::generate_credentials(), tie_breaker,
                 ice::candidate_priority(ice::CandidateType::kPeerReflexive, 65535, 1)),
      audio_(audio_config(plan, config), static_cast<std::uint32_t>(tie_breaker)),
      video_(config.video, static_cast<std::uint32_t>(tie_breaker >> 32)),
      history_(media::PacketCacheConfig{config.rtx_history, OutgoingQueue::kMaxPacket, 2 * kLayers,
                                        std::chrono::seconds(1), std::chrono::seconds(15)}),
      rr_(config.rtcp_interval) {
  std::mt19937 rng(static_cast<std::uint32_t>(tie_breaker ^ (tie_breaker >> 32)));
  audio_stream_ = {plan.audio_ssrc, 48000, static_cast<std::uint16_t>(rng()), 0, 0, std::nullopt};
  for (std::size_t l = 0; l < kLayers; ++l) {
    video_streams_[l] = {plan.video_ssrcs[l], 90000, static_cast<std::uint16_t>(rng()), 0, 0, std::nullopt};
    rtx_seq_[l] = static_cast<std::uint16_t>(rng());
  }
  transport_seq_ = static_cast<std::uint16_t>(rng());
}

// ---- signaling ----

signaling::IceUdpTransport SyntheticEndpoint::local_transport() const {
  signaling::IceUdpTransport t;
  t.ufrag = transport_.local_credentials().ufrag;
  t.pwd = transport_.local_credentials().pwd;
  t.rtcp_mux = true;
  t.fingerprints.push_back({transport_.local_fingerprint(),
                            std::string(dtls::DtlsCertificate::kFingerprintHash),
                            signaling::DtlsSetup::kActive, false});
  signaling::Candidate c;
  c.foundation = "1";
  c.component = 1;
  c.protocol = "udp";
  c.priority = ice::candidate_priority(ice::CandidateType::kHost, 65535, 1);
  c.ip = local_.ip();
  c.port = local_.port();
  c.type = signaling::CandidateType::kHost;
  c.generation = 0;
  t.candidates.push_back(std::move(c));
  return t;
}

std::optional<std::string> SyntheticEndpoint::set_bridge_transport(const signaling::IceUdpTransport& bridge,
                                                                   Timestamp now) {
  if (bridge.ufrag.empty() || bridge.pwd.empty()) return "the bridge's transport has no ufrag/pwd";
  if (bridge.fingerprints.empty()) return "the bridge's transport has no fingerprint";
  std::vector<ice::Candidate> candidates;
  for (const auto& c : bridge.candidates)
    if (auto ice = to_ice(c)) candidates.push_back(*ice);
  if (candidates.empty()) return "the bridge's transport has no UDP candidate with an IP address";
  std::vector<dtls::DtlsFingerprint> fingerprints;
  for (const auto& f : bridge.fingerprints) fingerprints.push_back({f.hash, f.value});
  // The bridge offers actpass (it waits for the ClientHello): we answer active, as browsers do.
  transport::DtlsSetup setup = transport::DtlsSetup::kActpass;
  if (auto s = bridge.fingerprints.front().setup) {
    if (*s == signaling::DtlsSetup::kActive) setup = transport::DtlsSetup::kActive;
    if (*s == signaling::DtlsSetup::kPassive) setup = transport::DtlsSetup::kPassive;
  }
  transport_.set_remote_ice({bridge.ufrag, bridge.pwd}, candidates);
  transport_.set_remote_dtls(std::move(fingerprints), setup, now);
  drain_transport();
  return std::nullopt;
}

// ---- data path ----

void SyntheticEndpoint::handle_datagram(Timestamp now, const SocketAddress& from,
                                        std::span<std::uint8_t> datagram) {
  const std::size_t wire = datagram.size();
  if (!plan_.sampled && media_on_ && ice::classify_packet(datagram) == ice::PacketClass::kRtp &&
      (datagram[1] & 0x7F) != focus::kVp8RtxPt && transport_.media_destination() == from) {
    on_rtp(now, datagram, wire, false);
    return;
  }
  transport::Received received = transport_.handle_datagram(now, from, datagram);
  if (received.kind == transport::PacketKind::kRtp) {
    on_rtp(now, datagram.first(received.length), wire, true);
  } else if (received.kind == transport::PacketKind::kRtcp) {
    on_rtcp(now, datagram.first(received.length));
  }
  on_transport_events(now);
  drain_transport();
}

RemoteStream* SyntheticEndpoint::stream_for(std::uint32_t ssrc, const SsrcInfo& info) {
  auto [it, inserted] = streams_.try_emplace(ssrc);
  RemoteStream& s = it->second;
  if (inserted) {
    s.ssrc = ssrc;
    s.info = info;
    s.info.kind = info.kind == SsrcInfo::Kind::kRtx ? SsrcInfo::Kind::kVideo : info.kind;
    bool audio = s.info.kind == SsrcInfo::Kind::kAudio;
    s.rtcp = std::make_unique<media::ReceiveStatistics>(ssrc, audio ? 48000 : 90000);
    if (!audio) s.nack = std::make_unique<media::NackGenerator>();
    rr_streams_.push_back(s.rtcp.get());
  }
  return &s;
}

void SyntheticEndpoint::on_rtp(Timestamp now, std::span<std::uint8_t> packet, std::size_t wire,
                               bool decrypted) {
  ++counters_.rtp_received;
  counters_.rtp_bytes_received += wire;
  ++(decrypted ? counters_.decrypted : counters_.not_decrypted);
  auto parsed = rtp::RtpPacket::parse(packet);
  if (!parsed) {
    ++counters_.malformed;
    return;
  }
  if (auto ext = parsed->find_extension(focus::kTransportCcExtId)) {
    if (auto seq = rtp::parse_transport_sequence_number(ext->data)) {
      tcc_.on_packet(now, *seq, parsed->marker());
      tcc_media_ssrc_ = parsed->ssrc();
    }
  }
  auto found = directory_.find(parsed->ssrc());
  if (found == directory_.end()) {
    ++counters_.unknown_ssrc;
    return;
  }
  const SsrcInfo& info = found->second;
  bool repaired = false;
  if (info.kind == SsrcInfo::Kind::kRtx) {
    auto restored = media::decapsulate_rtx(packet, info.primary, focus::kVp8Pt);
    if (!restored) {
      ++counters_.malformed;  // padding-only probes included: the bridge sends none today
      return;
    }
    packet = packet.first(*restored);
    parsed = rtp::RtpPacket::parse(packet);
    if (!parsed) {
      ++counters_.malformed;
      return;
    }
    repaired = true;
  }
  RemoteStream& stream = *stream_for(info.primary, info);
  Arrival arrival = stream.loss.on_packet(parsed->sequence_number(), wire, repaired);
  if (arrival == Arrival::kDuplicate || arrival == Arrival::kTooOld) return;
  if (!repaired) stream.rtcp->on_packet(now, parsed->sequence_number(), parsed->timestamp(), packet.size());
  if (stream.nack) {
    stream.nack->on_packet(now, parsed->sequence_number());
    nack_due_ = earliest(nack_due_, stream.nack->next_due());
  }
  if (decrypted && !repaired) measure_payload(now, stream, parsed->payload());
}

void SyntheticEndpoint::measure_payload(Timestamp now, RemoteStream& stream,
                                        std::span<const std::uint8_t> payload) {
  std::size_t offset = 0;
  if (stream.info.kind == SsrcInfo::Kind::kVideo) {
    auto descriptor = codecs::parse_vp8_descriptor(payload);
    if (!descriptor) {
      ++counters_.malformed;
      return;
    }
    offset = descriptor->size;
    if (descriptor->is_start_of_frame()) {
      auto frame = codecs::parse_vp8_frame_info(*descriptor, payload.subspan(descriptor->size));
      if (frame.keyframe) {
        ++counters_.keyframes_received;
        if (frame.width && frame.height) stream.height = std::min(*frame.width, *frame.height);
      }
      offset += frame.keyframe ? kVp8KeyframeHeaderSize : kVp8FrameTagSize;
    }
    LayerCounters& layer = layers_[stream.height];
    ++layer.packets;
    layer.bytes += payload.size();
  }
  ByteReader reader(payload.subspan(std::min(offset, payload.size())));
  std::uint64_t sent = reader.u64();
  if (!reader.ok()) return;
  auto latency = microseconds(micros(now) - static_cast<std::int64_t>(sent));
  (stream.info.kind == SsrcInfo::Kind::kAudio ? audio_latency_ : video_latency_).add(latency);
}

void SyntheticEndpoint::on_rtcp(Timestamp now, std::span<const std::uint8_t> packet) {
  ++counters_.rtcp_received;
  rtcp::RtcpCompoundIterator it(packet);
  while (auto p = it.next()) {
    if (p->packet_type == rtcp::kPtPayloadFeedback && p->count == rtcp::kFmtPli) {
      if (auto pli = rtcp::Pli::parse(*p)) {
        ++counters_.plis_received;
        for (std::size_t l = 0; l < kLayers; ++l)
          if (plan_.sends_video && video_streams_[l].ssrc == pli->media_ssrc)
            video_.request_keyframe(static_cast<int>(l));
      }
    } else if (p->packet_type == rtcp::kPtPayloadFeedback && p->count == rtcp::kFmtFir) {
      if (auto fir = rtcp::Fir::parse(*p)) {
        ++counters_.firs_received;
        for (std::size_t i = 0; i < fir->entry_count(); ++i)
          for (std::size_t l = 0; l < kLayers; ++l)
            if (plan_.sends_video && video_streams_[l].ssrc == fir->entry(i).ssrc)
              video_.request_keyframe(static_cast<int>(l));
      }
    } else if (p->packet_type == rtcp::kPtRtpFeedback && p->count == rtcp::kFmtGenericNack) {
      if (auto nack = rtcp::Nack::parse(*p)) {
        ++counters_.nacks_received;
        nack->for_each_lost([&](std::uint16_t seq) { on_nack(now, nack->media_ssrc(), seq); });
      }
    } else if (p->packet_type == rtcp::kPtRtpFeedback && p->count == rtcp::kFmtTransportFeedback) {
      ++counters_.tcc_feedback_received;
    } else if (p->packet_type == rtcp::kPtSenderReport) {
      if (auto sr = rtcp::SenderReport::parse(*p)) {
        ++counters_.sr_received;
        if (auto s = streams_.find(sr->sender_ssrc()); s != streams_.end())
          s->second.rtcp->on_sender_report(now, sr->sender_info().ntp_timestamp);
      }
    } else if (p->packet_type == rtcp::kPtReceiverReport) {
      ++counters_.rr_received;
    }
  }
  if (it.error()) ++counters_.malformed;
}

void SyntheticEndpoint::on_nack(Timestamp now, std::uint32_t media_ssrc, std::uint16_t seq) {
  ++counters_.nacked_packets;
  if (media_stopped_) return;
  for (std::size_t l = 0; l < kLayers; ++l) {
    if (video_streams_[l].ssrc != media_ssrc) continue;
    auto original = history_.take_for_resend(now, media_ssrc, seq, std::nullopt);
    if (!original) {
      ++counters_.rtx_unavailable;
      return;
    }
    auto slot = out_.begin_slot();
    auto length = media::build_rtx_packet(*original, plan_.rtx_ssrcs[l], focus::kVp8RtxPt, rtx_seq_[l]++,
                                          slot.first(OutgoingQueue::kMaxPacket));
    if (!length) return;
    // A retransmission is a new packet on the wire: it gets its own transport-wide number.
    if (auto parsed = rtp::RtpPacket::parse(slot.first(*length))) {
      if (auto ext = parsed->find_extension(focus::kTransportCcExtId); ext && ext->data.size() == 2)
        (void)rtp::write_transport_sequence_number(slot.subspan(ext->offset, 2), transport_seq_++);
    }
    if (queue_rtp(slot, *length)) ++counters_.rtx_sent;
    return;
  }
}

// ---- sending ----

void SyntheticEndpoint::handle_timeout(Timestamp now) {
  if (auto t = transport_.next_timeout(); t && *t <= now) transport_.handle_timeout(now);
  on_transport_events(now);
  drain_transport();
  if (!media_on_ || media_stopped_) return;
  if (auto due = audio_.next_due(); due && *due <= now) {
    std::uint64_t skipped = audio_.frames_skipped();
    if (auto frame = audio_.poll(now)) send_audio(now, *frame);
    counters_.audio_frames_late += audio_.frames_skipped() - skipped;
  }
  if (auto due = video_.next_due(); due && *due <= now) {
    std::uint64_t skipped = video_.frames_skipped();
    video_.poll(now, [this, now](const Vp8PacketInfo& info, std::span<const std::uint8_t> payload) {
      send_video(now, info, payload);
    });
    counters_.video_frames_late += video_.frames_skipped() - skipped;
  }
  send_rtcp_reports(now);
  send_nacks(now);
  if (auto due = tcc_.next_due(); due && *due <= now && tcc_media_ssrc_) {
    auto slot = out_.begin_slot();
    std::size_t n =
        tcc_.build(now, plan_.audio_ssrc, *tcc_media_ssrc_, slot.first(OutgoingQueue::kMaxPacket));
    if (n > 0 && queue_rtcp(slot, n)) ++counters_.tcc_feedback_sent;
  }
}

std::optional<Timestamp> SyntheticEndpoint::next_timeout() const {
  std::optional<Timestamp> next = transport_.next_timeout();
  if (!media_on_ || media_stopped_) return next;
  next = earliest(next, audio_.next_due());
  next = earliest(next, video_.next_due());
  next = earliest(next, next_sr_);
  next = earliest(next, rr_.next_due());
  next = earliest(next, nack_due_);
  if (tcc_media_ssrc_) next = earliest(next, tcc_.next_due());
  return next;
}

void SyntheticEndpoint::on_transport_events(Timestamp now) {
  while (auto event = transport_.poll_event()) {
    if (event->kind != transport::TransportEventKind::kStateChanged) continue;
    if (event->state == transport::TransportState::kConnected && !connected_at_) {
      connected_at_ = now;
      start_media(now);
    } else if (event->state == transport::TransportState::kFailed && failure_.empty()) {
      failure_ = event->reason.empty() ? "transport failed" : event->reason;
    }
  }
}

void SyntheticEndpoint::start_media(Timestamp now) {
  if (media_on_ || media_stopped_) return;
  media_on_ = true;
  std::mt19937 rng(plan_.audio_ssrc);
  // Spread the endpoints over the frame intervals, as independent clients would be.
  auto phase = [&](int ms) { return std::chrono::microseconds(rng() % (static_cast<unsigned>(ms) * 1000)); };
  audio_.start(now + phase(20), rng());
  if (plan_.sends_video) video_.start(now + phase(33), rng());
  next_sr_ = now + config_.rtcp_interval + phase(100);
  rr_.start(now);
}

void SyntheticEndpoint::stop_media() {
  media_stopped_ = true;
  audio_.stop();
  video_.stop();
}

void SyntheticEndpoint::send_audio(Timestamp now, const AudioFrame& frame) {
  std::array<std::uint8_t, rtp::kAudioLevelSize> level{};
  std::array<std::uint8_t, rtp::kTransportSequenceNumberSize> tcc{};
  (void)rtp::write_audio_level(level, {frame.voice, frame.level});
  (void)rtp::write_transport_sequence_number(tcc, transport_seq_++);
  const rtp::ExtensionElement extensions[] = {{focus::kAudioLevelExtId, level},
                                              {focus::kTransportCcExtId, tcc}};
  rtp::RtpHeaderFields fields;
  fields.marker = frame.marker;
  fields.payload_type = focus::kOpusPt;
  fields.sequence_number = audio_stream_.seq++;
  fields.timestamp = frame.rtp_timestamp;
  fields.ssrc = audio_stream_.ssrc;
  auto slot = out_.begin_slot();
  auto header = rtp::write_rtp_header(slot, fields, extensions);
  if (!header) return;
  std::size_t payload =
      std::clamp<std::size_t>(frame.payload_size, kSendTimeSize, OutgoingQueue::kMaxPacket - *header);
  ByteWriter w(slot.subspan(*header, payload));
  w.u64(static_cast<std::uint64_t>(micros(now)));
  std::memset(slot.data() + *header + kSendTimeSize, kAudioFill, payload - kSendTimeSize);
  ++audio_stream_.packets;
  audio_stream_.octets += static_cast<std::uint32_t>(payload);
  audio_stream_.last = std::make_pair(frame.rtp_timestamp, frame.capture);
  if (queue_rtp(slot, *header + payload)) ++counters_.audio_sent;
}

void SyntheticEndpoint::send_video(Timestamp now, const Vp8PacketInfo& info,
                                   std::span<const std::uint8_t> payload) {
  SendStream& stream = video_streams_[static_cast<std::size_t>(info.layer)];
  std::array<std::uint8_t, rtp::kTransportSequenceNumberSize> tcc{};
  (void)rtp::write_transport_sequence_number(tcc, transport_seq_++);
  const rtp::ExtensionElement extensions[] = {{focus::kTransportCcExtId, tcc}};
  rtp::RtpHeaderFields fields;
  fields.marker = info.marker;
  fields.payload_type = focus::kVp8Pt;
  fields.sequence_number = stream.seq++;
  fields.timestamp = info.rtp_timestamp;
  fields.ssrc = stream.ssrc;
  auto slot = out_.begin_slot();
  auto header = rtp::write_rtp_header(slot, fields, extensions);
  if (!header || *header + payload.size() > OutgoingQueue::kMaxPacket) return;
  std::memcpy(slot.data() + *header, payload.data(), payload.size());
  std::size_t length = *header + payload.size();
  history_.store(stream.ssrc, fields.sequence_number, now, slot.first(length));
  ++stream.packets;
  stream.octets += static_cast<std::uint32_t>(payload.size());
  stream.last = std::make_pair(info.rtp_timestamp, now);
  if (queue_rtp(slot, length)) ++counters_.video_sent;
}

void SyntheticEndpoint::send_rtcp_reports(Timestamp now) {
  if (next_sr_ && *next_sr_ <= now) {
    next_sr_ = *next_sr_ + config_.rtcp_interval;
    if (*next_sr_ <= now) next_sr_ = now + config_.rtcp_interval;
    auto report = [&](const SendStream& s) {
      if (!s.last) return;
      // The RTP time of `now` on the stream's clock, from its latest packet.
      auto elapsed = duration_cast<microseconds>(now - s.last->second).count();
      rtcp::SenderInfo info{ntp_of(now),
                            s.last->first + static_cast<std::uint32_t>(elapsed * s.clock_rate / 1'000'000),
                            s.packets, s.octets};
      auto slot = out_.begin_slot();
      auto sr = rtcp::write_sender_report(slot.first(OutgoingQueue::kMaxPacket), s.ssrc, info);
      if (!sr) return;
      auto sdes =
          rtcp::write_sdes_cname(slot.subspan(*sr, OutgoingQueue::kMaxPacket - *sr), s.ssrc, plan_.id);
      if (!sdes) return;
      queue_rtcp(slot, *sr + *sdes);
    };
    report(audio_stream_);
    for (const auto& s : video_streams_) report(s);
  }
  for (int round = 0; round < 4; ++round) {
    auto due = rr_.next_due();
    if (!due || *due > now) break;
    auto slot = out_.begin_slot();
    std::size_t n = rr_.build(now, rr_streams_, plan_.audio_ssrc, slot.first(OutgoingQueue::kMaxPacket));
    if (n == 0) break;
    queue_rtcp(slot, n);
  }
}

void SyntheticEndpoint::send_nacks(Timestamp now) {
  if (!nack_due_ || *nack_due_ > now) return;
  nack_due_.reset();
  for (auto& [ssrc, stream] : streams_) {
    if (!stream.nack) continue;
    if (auto due = stream.nack->next_due(); due && *due <= now) {
      auto slot = out_.begin_slot();
      std::size_t n = stream.nack->build(now, plan_.audio_ssrc, ssrc, slot.first(OutgoingQueue::kMaxPacket));
      if (n > 0 && queue_rtcp(slot, n)) ++counters_.nacks_sent;
    }
    nack_due_ = earliest(nack_due_, stream.nack->next_due());
  }
}

bool SyntheticEndpoint::queue_rtp(std::span<std::uint8_t> slot, std::size_t length) {
  auto to = transport_.media_destination();
  auto n = to ? transport_.protect_rtp(slot, length) : std::nullopt;
  if (!n) {
    ++counters_.not_sent;
    return false;
  }
  out_.commit(*to, *n);
  ++counters_.rtp_sent;
  counters_.rtp_bytes_sent += *n;
  return true;
}

bool SyntheticEndpoint::queue_rtcp(std::span<std::uint8_t> slot, std::size_t length) {
  auto to = transport_.media_destination();
  auto n = to ? transport_.protect_rtcp(slot, length) : std::nullopt;
  if (!n) {
    ++counters_.not_sent;
    return false;
  }
  out_.commit(*to, *n);
  ++counters_.rtcp_sent;
  return true;
}

void SyntheticEndpoint::drain_transport() {
  while (auto t = transport_.poll_transmit()) out_.push(t->destination, t->bytes);
}

// ---- the run ----

void SyntheticEndpoint::start_measurement() {
  counters_ = {};
  audio_latency_.clear();
  video_latency_.clear();
  layers_.clear();
  for (auto& [ssrc, stream] : streams_) stream.loss.reset();
}

}  // namespace jvb::loadgen
