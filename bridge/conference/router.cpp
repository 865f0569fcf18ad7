// See router.hpp. Section numbers refer to shared/docs/media-plane.md.
#include "bridge/conference/router.hpp"

#include <algorithm>
#include <cstring>

#include "bridge/codecs/vp8_descriptor.hpp"
#include "bridge/core/strings.hpp"
#include "bridge/media/feedback/sr_translator.hpp"
#include "bridge/rtcp/fir.hpp"
#include "bridge/rtcp/nack.hpp"
#include "bridge/rtcp/pli.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"
#include "bridge/rtcp/sender_report.hpp"
#include "bridge/rtp/rtp_extensions.hpp"
#include "bridge/srtp/srtp_session.hpp"

namespace jvb::conference {
namespace {

constexpr std::string_view kAudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
constexpr std::string_view kTransportCcUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
constexpr std::size_t kMaxPacket = 1500;
constexpr std::size_t kBufferSize = kMaxPacket + srtp::SrtpSession::kMaxTrailer + 64;

struct SsrcInfo {
  enum class Kind { kAudio, kVideo, kRtx } kind = Kind::kAudio;
  int source = -1;
  int encoding = -1;
};

}  // namespace

struct Router::VideoSource {
  std::string name;
  std::vector<std::uint32_t> encodings;                       // primary SSRCs, lowest quality first
  std::vector<std::optional<std::uint32_t>> rtx;              // the RTX SSRC of each encoding (FID)
  std::vector<std::optional<Timestamp>> last_packet;          // when each encoding last sent media
  std::vector<std::uint64_t> packet_counts, keyframe_counts;  // per encoding, for /debug
  media::KeyframeRequester keyframes{true};

  // The best encoding the sender is actually sending. Senders drop their upper layers when
  // their bandwidth estimate is low, so a receiver waiting for one would get nothing.
  int best_active(Timestamp now) const {
    for (std::size_t i = last_packet.size(); i-- > 0;) {
      if (last_packet[i] && now - *last_packet[i] < kActiveWindow) return static_cast<int>(i);
    }
    return -1;
  }
  static constexpr Duration kActiveWindow = std::chrono::seconds(1);
};

struct Router::Endpoint {
  transport::EndpointId id = 0;
  std::string conference;
  std::uint32_t feedback_audio_ssrc = 0, feedback_video_ssrc = 0;
  signaling::ForceMute mute;

  media::PayloadTypeSet audio_pts, video_pts, vp8_pts;
  std::map<std::uint8_t, std::uint8_t> rtx_apt;  // RTX payload type -> the payload type it repairs
  std::map<std::uint8_t, std::uint8_t> rtx_for;  // payload type -> its RTX payload type
  std::map<std::uint8_t, std::uint32_t> clock_rates;
  std::uint8_t audio_level_id = 0, transport_cc_id = 0;

  std::vector<VideoSource> video_sources;
  std::unordered_map<std::uint32_t, SsrcInfo> ssrcs;

  // As a sender: what the bridge keeps about its incoming streams.
  std::unordered_map<std::uint32_t, std::unique_ptr<media::ReceiveStatistics>> receive_stats;
  std::unordered_map<std::uint32_t, std::unique_ptr<media::NackGenerator>> nacks;
  std::unordered_map<std::uint32_t, std::unique_ptr<media::DuplicateFilter>> duplicates;
  media::TransportCcFeedbackGenerator transport_cc;
  media::RrGenerator rr;

  // As a receiver: one projection per (sender, video source), the cache of what was sent.
  std::map<std::pair<transport::EndpointId, std::string>, std::unique_ptr<media::VideoProjection>>
      projections;
  media::PacketCache cache;
  std::unordered_map<std::uint32_t, std::uint16_t> rtx_sequence;
  // Per SSRC this receiver gets: its keyframe requests (JVB limits each receiver, §4.5), and
  // what was sent on it, for the counts of translated sender reports (§3.8).
  std::unordered_map<std::uint32_t, media::KeyframeRequestWindow> keyframe_windows;
  std::unordered_map<std::uint32_t, media::SentCounts> sent;

  RateMeter in, out;
};

Router::Router(transport::MediaPort& port, Output output)
    : port_(port), output_(std::move(output)), scratch_(kBufferSize), rtcp_scratch_(kBufferSize) {}

Router::~Router() = default;

Router::Endpoint* Router::find(transport::EndpointId id) {
  auto it = endpoints_.find(id);
  return it == endpoints_.end() ? nullptr : it->second.get();
}

void Router::set_endpoint(const std::string& conference, transport::EndpointId id,
                          std::uint32_t feedback_audio_ssrc, std::uint32_t feedback_video_ssrc,
                          const EndpointMediaDescription& d) {
  auto& slot = endpoints_[id];
  if (!slot) {
    slot = std::make_unique<Endpoint>();
    slot->rr.start(Clock::time_point{});
  }
  Endpoint& e = *slot;
  e.id = id;
  e.conference = conference;
  e.feedback_audio_ssrc = feedback_audio_ssrc;
  e.feedback_video_ssrc = feedback_video_ssrc;
  e.mute = d.force_mute;

  e.audio_pts = {};
  e.video_pts = {};
  e.vp8_pts = {};
  e.rtx_apt.clear();
  e.rtx_for.clear();
  for (const auto& media : d.medias) {
    bool audio = media.type == signaling::MediaType::kAudio;
    for (const auto& pt : media.payload_types) {
      std::uint8_t id8 = pt.id.value();
      if (pt.clockrate) e.clock_rates[id8] = *pt.clockrate;
      if (iequals(pt.name, "rtx")) {
        for (const auto& p : pt.parameters) {
          if (p.name == "apt") {
            int apt = std::atoi(p.value.c_str());
            if (apt >= 0 && apt < 128) {
              e.rtx_apt[id8] = static_cast<std::uint8_t>(apt);
              e.rtx_for[static_cast<std::uint8_t>(apt)] = id8;
            }
          }
        }
        continue;
      }
      (audio ? e.audio_pts : e.video_pts).add(id8);
      if (iequals(pt.name, "VP8")) e.vp8_pts.add(id8);
    }
    for (const auto& ext : media.rtp_hdrexts) {
      if (ext.uri == kAudioLevelUri) e.audio_level_id = ext.id;
      if (ext.uri == kTransportCcUri) e.transport_cc_id = ext.id;
    }
  }

  // Sources: audio SSRCs; video sources with their simulcast encodings (SIM) and RTX (FID).
  std::vector<VideoSource> sources;
  std::unordered_map<std::uint32_t, SsrcInfo> ssrcs;
  for (const auto& ms : d.sources) {
    if (ms.type == signaling::MediaType::kAudio) {
      for (const auto& s : ms.sources) ssrcs[s.ssrc.value()] = {SsrcInfo::Kind::kAudio, -1, -1};
      continue;
    }
    VideoSource v;
    v.name = ms.id.str();
    std::map<std::uint32_t, std::uint32_t> rtx_of;  // primary -> RTX
    for (const auto& g : ms.ssrc_groups) {
      if (g.kind() == signaling::SsrcGroupSemantics::kSim) {
        for (auto s : g.ssrcs) v.encodings.push_back(s.value());
      } else if (g.kind() == signaling::SsrcGroupSemantics::kFid && g.ssrcs.size() == 2) {
        rtx_of[g.ssrcs[0].value()] = g.ssrcs[1].value();
      }
    }
    if (v.encodings.empty()) {
      // No simulcast: the one SSRC that is not an RTX SSRC.
      for (const auto& s : ms.sources) {
        bool is_rtx = std::any_of(rtx_of.begin(), rtx_of.end(),
                                  [&](const auto& kv) { return kv.second == s.ssrc.value(); });
        if (!is_rtx) {
          v.encodings.push_back(s.ssrc.value());
          break;
        }
      }
    }
    if (v.encodings.empty()) continue;
    int index = static_cast<int>(sources.size());
    v.last_packet.resize(v.encodings.size());
    v.packet_counts.resize(v.encodings.size());
    v.keyframe_counts.resize(v.encodings.size());
    for (std::size_t i = 0; i < v.encodings.size(); ++i) {
      auto rtx = rtx_of.find(v.encodings[i]);
      v.rtx.push_back(rtx == rtx_of.end() ? std::nullopt : std::optional<std::uint32_t>(rtx->second));
      ssrcs[v.encodings[i]] = {SsrcInfo::Kind::kVideo, index, static_cast<int>(i)};
      if (rtx != rtx_of.end()) ssrcs[rtx->second] = {SsrcInfo::Kind::kRtx, index, static_cast<int>(i)};
    }
    // Keep a source's keyframe throttling across updates that do not change it.
    for (auto& old : e.video_sources) {
      if (old.name == v.name && old.encodings == v.encodings) {
        v.keyframes = old.keyframes;
        v.last_packet = old.last_packet;
        v.packet_counts = old.packet_counts;
        v.keyframe_counts = old.keyframe_counts;
      }
    }
    sources.push_back(std::move(v));
  }
  // Projections of this sender's sources whose encodings changed start afresh.
  for (auto& [rid, receiver] : endpoints_) {
    for (auto it = receiver->projections.begin(); it != receiver->projections.end();) {
      bool stale = false;
      if (it->first.first == id) {
        auto same = std::find_if(sources.begin(), sources.end(), [&](const VideoSource& s) {
          return s.name == it->first.second && s.encodings.front() == it->second->projected_ssrc();
        });
        stale = same == sources.end();
      }
      it = stale ? receiver->projections.erase(it) : std::next(it);
    }
  }
  e.video_sources = std::move(sources);
  e.ssrcs = std::move(ssrcs);
}

void Router::remove_endpoint(transport::EndpointId id) {
  endpoints_.erase(id);
  for (auto& [rid, receiver] : endpoints_) {
    for (auto it = receiver->projections.begin(); it != receiver->projections.end();) {
      it = it->first.first == id ? receiver->projections.erase(it) : std::next(it);
    }
  }
}

void Router::on_rtp(Timestamp now, transport::EndpointId from, std::span<std::uint8_t> slot,
                    std::size_t length) {
  ++counters_.rtp_in;
  Endpoint* sender = find(from);
  if (!sender || length > slot.size()) return;
  sender->in.add(now, length);
  auto parsed = rtp::RtpPacket::parse(slot.first(length));
  if (!parsed) {
    ++counters_.dropped_unparsable;
    return;
  }
  if (sender->transport_cc_id) {
    if (auto ext = parsed->find_extension(sender->transport_cc_id)) {
      if (auto seq = rtp::parse_transport_sequence_number(ext->data))
        sender->transport_cc.on_packet(now, *seq, parsed->marker());
    }
  }
  auto info_it = sender->ssrcs.find(parsed->ssrc());
  if (info_it == sender->ssrcs.end()) {
    ++counters_.dropped_unknown_ssrc;
    return;
  }
  SsrcInfo info = info_it->second;
  if (info.kind == SsrcInfo::Kind::kAudio) {
    if (!sender->audio_pts.contains(parsed->payload_type())) {
      ++counters_.dropped_unknown_pt;
      return;
    }
    auto& stats = sender->receive_stats[parsed->ssrc()];
    if (!stats) {
      auto rate = sender->clock_rates.find(parsed->payload_type());
      stats = std::make_unique<media::ReceiveStatistics>(
          parsed->ssrc(), rate == sender->clock_rates.end() ? 48000 : rate->second);
    }
    stats->on_packet(now, parsed->sequence_number(), parsed->timestamp(), length);
    // Force-muted media is received (so it is not reported as loss) but goes nowhere.
    if (sender->mute.audio) {
      ++counters_.dropped_muted;
      return;
    }
    forward_audio(now, *sender, slot, length, *parsed);
    return;
  }
  VideoSource& source = sender->video_sources[static_cast<std::size_t>(info.source)];
  std::size_t plain_length = length;
  if (info.kind == SsrcInfo::Kind::kRtx) {
    auto apt = sender->rtx_apt.find(parsed->payload_type());
    if (apt == sender->rtx_apt.end()) {
      ++counters_.dropped_unknown_pt;
      return;
    }
    auto restored = media::decapsulate_rtx(
        slot.first(length), source.encodings[static_cast<std::size_t>(info.encoding)], apt->second);
    if (!restored) {
      ++counters_.dropped_rtx_padding;  // padding-only probes, or broken RTX
      return;
    }
    plain_length = *restored;
    parsed = rtp::RtpPacket::parse(slot.first(plain_length));
    if (!parsed) {
      ++counters_.dropped_unparsable;
      return;
    }
  }
  if (!sender->video_pts.contains(parsed->payload_type())) {
    ++counters_.dropped_unknown_pt;
    return;
  }
  std::uint32_t ssrc = parsed->ssrc();
  auto& duplicates = sender->duplicates[ssrc];
  if (!duplicates) duplicates = std::make_unique<media::DuplicateFilter>();
  if (!duplicates->accept(parsed->sequence_number())) {
    ++counters_.dropped_duplicate;
    return;
  }
  auto& stats = sender->receive_stats[ssrc];
  if (!stats) stats = std::make_unique<media::ReceiveStatistics>(ssrc, 90000);
  stats->on_packet(now, parsed->sequence_number(), parsed->timestamp(), plain_length);
  auto& nack = sender->nacks[ssrc];
  if (!nack) nack = std::make_unique<media::NackGenerator>();
  nack->on_packet(now, parsed->sequence_number());
  // After the NACK generator, so muted packets are not asked for again (media-plane.md §2.3).
  if (sender->mute.video) {
    ++counters_.dropped_muted;
    return;
  }
  // Padding-only packets (bandwidth probes) do not make an encoding active.
  auto enc = static_cast<std::size_t>(info.encoding);
  if (!parsed->payload().empty()) source.last_packet[enc] = now;
  ++source.packet_counts[enc];
  if (sender->vp8_pts.contains(parsed->payload_type()) && codecs::is_vp8_keyframe(parsed->payload())) {
    ++source.keyframe_counts[enc];
    source.keyframes.on_keyframe_received(now);
  }
  forward_video(now, *sender, source, info.encoding, slot.first(plain_length), *parsed);
}

void Router::forward_audio(Timestamp now, Endpoint& sender, std::span<std::uint8_t> slot, std::size_t length,
                           const rtp::RtpPacket& parsed) {
  rtp::ExtensionIdSet keep;
  if (sender.audio_level_id) keep.add(sender.audio_level_id);
  for (auto& [rid, receiver] : endpoints_) {
    if (rid == sender.id || receiver->conference != sender.conference) continue;
    std::memcpy(scratch_.data(), slot.data(), length);
    auto stripped = rtp::strip_header_extensions(std::span(scratch_.data(), length), keep);
    if (!stripped) continue;
    receiver->out.add(now, *stripped);
    auto& sent = receiver->sent[parsed.ssrc()];
    ++sent.packets;
    sent.octets += static_cast<std::uint32_t>(parsed.payload_size());
    send_rtp(*receiver, scratch_, *stripped);
  }
}

void Router::forward_video(Timestamp now, Endpoint& sender, VideoSource& source, int encoding,
                           std::span<const std::uint8_t> packet, const rtp::RtpPacket&) {
  for (auto& [rid, receiver] : endpoints_) {
    if (rid == sender.id || receiver->conference != sender.conference) continue;
    auto& projection = receiver->projections[{sender.id, source.name}];
    if (!projection) {
      projection = std::make_unique<media::VideoProjection>(
          source.encodings.front(), static_cast<int>(source.encodings.size()), sender.vp8_pts);
    }
    // Until receivers can state constraints (the bridge channel), each gets the best encoding
    // the sender is actually sending.
    int best = source.best_active(now);
    if (best != projection->target()) projection->set_target(best);
    std::memcpy(scratch_.data(), packet.data(), packet.size());
    // Video goes out without header extensions: none of the sender's apply to the receiver.
    auto stripped =
        rtp::strip_header_extensions(std::span(scratch_.data(), packet.size()), rtp::ExtensionIdSet{});
    if (!stripped) continue;
    auto copy = rtp::RtpPacket::parse(std::span<const std::uint8_t>(scratch_.data(), *stripped));
    if (!copy) continue;
    auto decision = projection->on_packet(now, std::span(scratch_.data(), *stripped), *copy, encoding);
    if (decision.request_keyframe && decision.keyframe_encoding >= 0) {
      request_keyframe(now, sender, source, decision.keyframe_encoding);
    }
    if (!decision.forward) continue;
    std::uint16_t seq = static_cast<std::uint16_t>((scratch_[2] << 8) | scratch_[3]);
    receiver->cache.store(projection->projected_ssrc(), seq, now,
                          std::span<const std::uint8_t>(scratch_.data(), *stripped));
    receiver->out.add(now, *stripped);
    auto& sent = receiver->sent[projection->projected_ssrc()];
    ++sent.packets;
    sent.octets += static_cast<std::uint32_t>(copy->payload_size());
    send_rtp(*receiver, scratch_, *stripped);
  }
}

void Router::request_keyframe(Timestamp now, Endpoint& sender, VideoSource& source, int encoding,
                              media::KeyframeRequestWindow* receiver_window) {
  if (encoding < 0 || static_cast<std::size_t>(encoding) >= source.encodings.size()) return;
  bool allowed = receiver_window ? source.keyframes.should_request(now, *receiver_window)
                                 : source.keyframes.should_request(now);
  if (!allowed) return;
  auto n = rtcp::write_pli(
      rtcp_scratch_, {sender.feedback_video_ssrc, source.encodings[static_cast<std::size_t>(encoding)]});
  if (!n) return;
  ++counters_.keyframe_requests_sent;
  send_rtcp(sender, rtcp_scratch_, *n);
}

void Router::on_rtcp(Timestamp now, transport::EndpointId from, std::span<std::uint8_t> slot,
                     std::size_t length) {
  ++counters_.rtcp_in;
  Endpoint* endpoint = find(from);
  if (!endpoint || length > slot.size()) return;
  endpoint->in.add(now, length);
  // Answers (PLIs to senders, RTX to this receiver) are built in the scratch buffers, never in
  // `slot`, so the compound can be read in place.
  rtcp::RtcpCompoundIterator it(std::span<const std::uint8_t>(slot.data(), length));
  while (auto packet = it.next()) {
    if (packet->packet_type == rtcp::kPtSenderReport) {
      forward_sender_report(now, *endpoint, packet->packet);
    } else if (packet->packet_type == rtcp::kPtPayloadFeedback && packet->count == rtcp::kFmtPli) {
      if (auto pli = rtcp::Pli::parse(*packet)) handle_keyframe_request(now, *endpoint, pli->media_ssrc);
    } else if (packet->packet_type == rtcp::kPtPayloadFeedback && packet->count == rtcp::kFmtFir) {
      if (auto fir = rtcp::Fir::parse(*packet)) {
        for (std::size_t i = 0; i < fir->entry_count(); ++i)
          handle_keyframe_request(now, *endpoint, fir->entry(i).ssrc);
      }
    } else if (packet->packet_type == rtcp::kPtRtpFeedback && packet->count == rtcp::kFmtGenericNack) {
      if (auto nack = rtcp::Nack::parse(*packet)) {
        ++counters_.nacks_received;
        std::uint32_t media_ssrc = nack->media_ssrc();
        nack->for_each_lost([&](std::uint16_t seq) { handle_nack(now, *endpoint, media_ssrc, seq); });
      }
    }
    // Receiver reports, REMB, transport-cc feedback, SDES and BYE end here (§4.1).
  }
  if (it.error()) ++counters_.dropped_malformed_rtcp;
}

void Router::handle_keyframe_request(Timestamp now, Endpoint& receiver, std::uint32_t media_ssrc) {
  for (auto& [key, projection] : receiver.projections) {
    if (projection->projected_ssrc() != media_ssrc) continue;
    Endpoint* sender = find(key.first);
    if (!sender) return;
    for (auto& source : sender->video_sources) {
      if (source.name != key.second) continue;
      int encoding = projection->current_encoding();
      if (encoding < 0) encoding = projection->target();
      request_keyframe(now, *sender, source, encoding, &receiver.keyframe_windows[media_ssrc]);
      return;
    }
  }
}

void Router::handle_nack(Timestamp now, Endpoint& receiver, std::uint32_t media_ssrc, std::uint16_t seq) {
  auto cached = receiver.cache.take_for_resend(now, media_ssrc, seq, std::nullopt);
  if (!cached) {
    ++counters_.retransmission_misses;
    return;
  }
  std::size_t length = cached->size();
  // RTX to a receiver that negotiated it, on the FID partner it was told about.
  std::optional<std::uint32_t> rtx_ssrc;
  for (auto& [key, projection] : receiver.projections) {
    if (projection->projected_ssrc() != media_ssrc) continue;
    if (Endpoint* sender = find(key.first)) {
      for (const auto& source : sender->video_sources) {
        if (source.name == key.second && !source.rtx.empty()) rtx_ssrc = source.rtx.front();
      }
    }
  }
  std::uint8_t pt = (*cached)[1] & 0x7F;
  auto rtx_pt = receiver.rtx_for.find(pt);
  if (rtx_ssrc && rtx_pt != receiver.rtx_for.end()) {
    std::uint16_t rtx_seq = receiver.rtx_sequence[*rtx_ssrc]++;
    auto n = media::build_rtx_packet(*cached, *rtx_ssrc, rtx_pt->second, rtx_seq, scratch_);
    if (!n) return;
    length = *n;
  } else {
    std::memcpy(scratch_.data(), cached->data(), length);
  }
  ++counters_.retransmissions;
  receiver.out.add(now, length);
  send_rtp(receiver, scratch_, length);
}

void Router::forward_sender_report(Timestamp now, Endpoint& sender, std::span<const std::uint8_t> sr_packet) {
  auto view = rtcp::parse_rtcp_packet(sr_packet);
  if (!view) return;
  auto sr = rtcp::SenderReport::parse(*view);
  if (!sr) return;
  std::uint32_t ssrc = sr->sender_ssrc();
  if (auto it = sender.receive_stats.find(ssrc); it != sender.receive_stats.end()) {
    it->second->on_sender_report(now, sr->sender_info().ntp_timestamp);
  }
  auto info = sender.ssrcs.find(ssrc);
  if (info == sender.ssrcs.end()) return;
  for (auto& [rid, receiver] : endpoints_) {
    if (rid == sender.id || receiver->conference != sender.conference) continue;
    std::uint32_t out_ssrc = ssrc;
    std::uint32_t rtp_timestamp = sr->sender_info().rtp_timestamp;
    if (info->second.kind == SsrcInfo::Kind::kVideo) {
      const VideoSource& source = sender.video_sources[static_cast<std::size_t>(info->second.source)];
      auto p = receiver->projections.find({sender.id, source.name});
      if (p == receiver->projections.end()) continue;
      auto ts = p->second->projected_timestamp(ssrc, rtp_timestamp);
      if (!ts) continue;  // an encoding this receiver does not get
      rtp_timestamp = *ts;
      out_ssrc = p->second->projected_ssrc();
    } else if (info->second.kind != SsrcInfo::Kind::kAudio) {
      continue;
    }
    // The counts are what this receiver was sent on that SSRC, not what the sender sent.
    auto sent = receiver->sent.find(out_ssrc);
    if (sent == receiver->sent.end()) continue;
    auto n = media::write_translated_sender_report(*sr, out_ssrc, rtp_timestamp, sent->second, rtcp_scratch_);
    if (n) send_rtcp(*receiver, rtcp_scratch_, *n);
  }
}

std::optional<Timestamp> Router::on_timer(Timestamp now) {
  std::optional<Timestamp> next;
  auto consider = [&](std::optional<Timestamp> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  for (auto& [id, e] : endpoints_) {
    if (auto due = e->rr.next_due(); due && *due <= now && !e->receive_stats.empty()) {
      std::vector<media::ReceiveStatistics*> streams;
      for (auto& [ssrc, s] : e->receive_stats) streams.push_back(s.get());
      std::size_t n = e->rr.build(now, streams, e->feedback_video_ssrc, rtcp_scratch_);
      if (n) send_rtcp(*e, rtcp_scratch_, n);
    }
    consider(e->rr.next_due());
    for (auto& [ssrc, nack] : e->nacks) {
      if (auto due = nack->next_due(); due && *due <= now) {
        std::size_t n = nack->build(now, e->feedback_video_ssrc, ssrc, rtcp_scratch_);
        if (n) send_rtcp(*e, rtcp_scratch_, n);
      }
      consider(nack->next_due());
    }
    if (auto due = e->transport_cc.next_due(); due && *due <= now) {
      std::uint32_t media_ssrc = e->ssrcs.empty() ? 0 : e->ssrcs.begin()->first;
      std::size_t n = e->transport_cc.build(now, e->feedback_video_ssrc, media_ssrc, rtcp_scratch_);
      if (n) send_rtcp(*e, rtcp_scratch_, n);
    }
    consider(e->transport_cc.next_due());
  }
  return next;
}

void Router::send_rtp(Endpoint& receiver, std::span<std::uint8_t> buffer, std::size_t length) {
  transport::EndpointTransport* t = port_.find(receiver.id);
  auto to = t ? t->media_destination() : std::nullopt;
  if (!to) return;  // not connected yet: nothing to send to
  auto n = t->protect_rtp(buffer, length);
  if (!n) {
    ++counters_.send_failures;
    return;
  }
  ++counters_.rtp_out;
  output_(*to, buffer.first(*n));
}

void Router::send_rtcp(Endpoint& to_endpoint, std::span<std::uint8_t> buffer, std::size_t length) {
  transport::EndpointTransport* t = port_.find(to_endpoint.id);
  auto to = t ? t->media_destination() : std::nullopt;
  if (!to) return;
  auto n = t->protect_rtcp(buffer, length);
  if (!n) {
    ++counters_.send_failures;
    return;
  }
  ++counters_.rtcp_out;
  output_(*to, buffer.first(*n));
}

std::vector<Router::ProjectionInfo> Router::projections(transport::EndpointId receiver) const {
  std::vector<ProjectionInfo> out;
  auto it = endpoints_.find(receiver);
  if (it == endpoints_.end()) return out;
  for (const auto& [key, p] : it->second->projections) {
    ProjectionInfo info{key.first, key.second, p->target(), p->current_encoding(), p->counters(), {}, {}};
    if (auto sender = endpoints_.find(key.first); sender != endpoints_.end()) {
      for (const auto& source : sender->second->video_sources) {
        if (source.name != key.second) continue;
        info.packets_per_encoding = source.packet_counts;
        info.keyframes_per_encoding = source.keyframe_counts;
      }
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::optional<EndpointMediaStats> Router::stats(transport::EndpointId id, Timestamp now) {
  Endpoint* e = find(id);
  if (!e) return std::nullopt;
  EndpointMediaStats s;
  s.incoming_bps = e->in.bits_per_second(now);
  s.outgoing_bps = e->out.bits_per_second(now);
  s.incoming_packets = e->in.total_packets();
  s.outgoing_packets = e->out.total_packets();
  s.incoming_bytes = e->in.total_bytes();
  s.outgoing_bytes = e->out.total_bytes();
  return s;
}

}  // namespace jvb::conference
