// See router.hpp. The steps follow JVB's receive and send pipelines (RtpReceiverImpl.kt,
// RtpSenderImpl.kt).
#include "bridge/conference/router.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "bridge/bwe/send_side_bwe.hpp"
#include "bridge/codecs/av1_payload.hpp"
#include "bridge/codecs/h264_payload.hpp"
#include "bridge/codecs/vp8_descriptor.hpp"
#include "bridge/codecs/vp9_descriptor.hpp"
#include "bridge/core/strings.hpp"
#include "bridge/media/feedback/round_trip.hpp"
#include "bridge/media/feedback/sr_translator.hpp"
#include "bridge/media/rewriting/header_extension_writer.hpp"
#include "bridge/rtcp/fir.hpp"
#include "bridge/rtcp/nack.hpp"
#include "bridge/rtcp/pli.hpp"
#include "bridge/rtcp/receiver_report.hpp"
#include "bridge/rtcp/remb.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"
#include "bridge/rtcp/sender_report.hpp"
#include "bridge/rtp/rtp_extensions.hpp"
#include "bridge/srtp/srtp_session.hpp"

namespace jvb::conference {
namespace {

constexpr std::string_view kAudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
constexpr std::string_view kMidUri = "urn:ietf:params:rtp-hdrext:sdes:mid";
constexpr std::string_view kTransportCcUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
constexpr std::string_view kAbsSendTimeUri = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
constexpr std::array<std::string_view, 3> kPassthroughUris = {
    "urn:3gpp:video-orientation",
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension",
    "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"};
constexpr std::size_t kMaxPacket = 1500;
// What a cached packet grows by when sent again: the RTX header's original sequence number and
// the receiver's transport-wide number (with its extension header, at most).
constexpr std::size_t kResendGrowth = 2 + 8;
constexpr std::size_t kBufferSize = kMaxPacket + srtp::SrtpSession::kMaxTrailer + 64;
static_assert(Router::kSendSlotSize >= kBufferSize,
              "a send slot holds a packet, its mid and its SRTP trailer");

struct SsrcInfo {
  enum class Kind { kAudio, kVideo, kRtx } kind = Kind::kAudio;
  int source = -1;    // index into the sender's audio or video sources
  int encoding = -1;  // video and RTX: the simulcast encoding
};

}  // namespace

struct Router::AudioSource {
  struct Subscriber {
    EndpointRouting* receiver = nullptr;
    media::SentCounts* sent = nullptr;  // in the receiver's `sent`
  };
  std::string name;
  std::uint32_t ssrc = 0;
  std::vector<Subscriber> subscribers;
};

struct Router::VideoSource {
  std::string name;
  std::vector<std::uint32_t> encodings;                       // primary SSRCs, lowest quality first
  std::vector<std::optional<std::uint32_t>> rtx;              // the RTX SSRC of each encoding (FID)
  std::vector<std::optional<Timestamp>> last_packet;          // when each encoding last sent media
  std::vector<std::uint64_t> packet_counts, keyframe_counts;  // per encoding, for /debug
  std::vector<int> heights;                                   // per encoding, from its keyframes
  std::vector<RateMeter> rates;                               // per encoding
  media::KeyframeRequester keyframes{true};
  // One receiver's subscription: its projection of this source (owned by the receiver's
  // `projections`), what it was sent on the projected SSRC, and its highest encoding.
  struct Subscriber {
    EndpointRouting* receiver = nullptr;
    media::VideoProjection* projection = nullptr;
    media::SentCounts* sent = nullptr;
    int max_encoding = -1;
  };
  std::vector<Subscriber> subscribers;

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

struct Router::Conference {
  std::string id;
  std::vector<EndpointRouting*> members;  // in join order
};

// The router's part of an endpoint's record: the endpoint as a sender and as a receiver.
struct EndpointRouting {
  using AudioSource = Router::AudioSource;
  using VideoSource = Router::VideoSource;
  using VideoTarget = Router::VideoTarget;
  Endpoint* record = nullptr;  // what signaling said: its id, sources, forced mute
  transport::EndpointHandle handle = 0;
  Router::Conference* conference = nullptr;
  transport::EndpointTransport* transport = nullptr;  // on the port until remove_endpoint()
  std::uint32_t feedback_audio_ssrc = 0, feedback_video_ssrc = 0;

  media::PayloadTypeSet audio_pts, video_pts, vp8_pts, vp9_pts, h264_pts, av1_pts;
  std::map<std::uint8_t, std::uint8_t> rtx_apt;  // RTX payload type -> the payload type it repairs
  std::map<std::uint8_t, std::uint8_t> rtx_for;  // payload type -> its RTX payload type
  std::map<std::uint8_t, std::uint32_t> clock_rates;
  std::uint8_t audio_level_id = 0, transport_cc_id = 0, mid_id = 0, abs_send_time_id = 0;
  // The video header extensions forwarded as the sender wrote them, to receivers that mapped
  // them to the same id: video orientation (a rotated phone's picture), the AV1 dependency
  // descriptor, playout delay. 0 where not negotiated.
  std::array<std::uint8_t, 3> passthrough_ids{};
  // As a receiver: the transport-wide sequence number of the next video packet sent to it (JVB
  // numbers per receiver from 1).
  std::uint16_t next_transport_seq = 1;

  std::vector<AudioSource> audio_sources;
  std::vector<VideoSource> video_sources;
  std::unordered_map<std::uint32_t, SsrcInfo> ssrcs;

  // As a sender: what the bridge keeps about its incoming streams.
  std::unordered_map<std::uint32_t, std::unique_ptr<media::ReceiveStatistics>> receive_stats;
  std::unordered_map<std::uint32_t, std::unique_ptr<media::NackGenerator>> nacks;
  std::unordered_map<std::uint32_t, std::unique_ptr<media::DuplicateFilter>> duplicates;
  media::TransportCcFeedbackGenerator transport_cc;
  media::RrGenerator rr;

  // As a receiver: what it asked for, one projection per (sender, video source) it has been
  // given (kept while suspended, so a resumed source continues its sequence numbers), the cache
  // of what was sent.
  std::map<std::pair<transport::EndpointHandle, std::string>, VideoTarget> video_targets;
  std::unique_ptr<media::SsrcRewriter> rewriter;  // only with the ssrc-rewriting capability
  Router::AudioSubscription audio_subscription;
  std::map<std::pair<transport::EndpointHandle, std::string>, std::unique_ptr<media::VideoProjection>>
      projections;
  media::PacketCache cache;
  std::unordered_map<std::uint32_t, std::uint16_t> rtx_sequence;
  // Per SSRC this receiver gets: its keyframe requests (JVB's KeyframeRequester limits each
  // receiver), and what was sent on it, for the counts of translated sender reports. Node-based, so
  // subscriptions may keep pointers to the counts.
  std::unordered_map<std::uint32_t, media::KeyframeRequestWindow> keyframe_windows;
  std::unordered_map<std::uint32_t, media::SentCounts> sent;

  // As a receiver: the round trip from the SRs it is sent, and what its reports said it lost of
  // what the bridge sent it since the last collect_stats() (fractions summed, and how many).
  media::RoundTrip round_trip;
  double outgoing_loss_sum = 0;
  std::uint32_t outgoing_loss_reports = 0;
  double outgoing_loss = 0;  // over the last interval that had reports
  // What its REMBs say it can take (a receiver without transport-cc estimates its own link).
  std::optional<std::uint64_t> remb_bps;
  // With transport-cc: the bridge's own estimate of the link to it, from its feedback. Then the
  // padding that lets that estimate (or its REMB) grow: RTX copies of the video sent to it
  // lately, newest first from `recent_video`, which names them in the cache.
  std::unique_ptr<bwe::SendSideBandwidthEstimator> bwe;
  bwe::ProbingPacer pacer;
  std::array<std::pair<std::uint32_t, std::uint16_t>, 16> recent_video{};
  std::size_t recent_video_count = 0, recent_video_next = 0;
  // Per SSRC it reports on: the extended highest sequence and cumulative loss of its last
  // report, for the loss between two reports.
  std::unordered_map<std::uint32_t, std::pair<std::uint32_t, std::int32_t>> last_report;

  RateMeter in, out;
  std::optional<Timestamp> last_rtp, last_audio, last_video;
  // Per stream: expected and lost at the last collect_stats(), for the interval's loss.
  std::unordered_map<std::uint32_t, std::pair<std::int64_t, std::int64_t>> loss_reported;

  // Media may go out: ICE and DTLS are up.
  bool connected() const { return transport && transport->state() == transport::TransportState::kConnected; }
};

bool Router::AudioSubscription::wants(const std::string& source) const {
  if (std::find(exclude.begin(), exclude.end(), source) != exclude.end()) return false;
  if (std::find(include.begin(), include.end(), source) != include.end()) return true;
  return all;
}

Router::Router(transport::MediaPort& port, Output output, SendSlots slots)
    : port_(port),
      output_(std::move(output)),
      slots_(std::move(slots)),
      scratch_(std::max(kBufferSize, kSendSlotSize)),
      rtcp_scratch_(kBufferSize) {
  if (!slots_.reserve || !slots_.commit) {
    slots_.reserve = [this] { return std::span<std::uint8_t>(scratch_.data(), kSendSlotSize); };
    slots_.commit = [this](const SocketAddress& to, std::size_t length) {
      output_(to, std::span<const std::uint8_t>(scratch_.data(), length));
    };
  }
}

Router::~Router() = default;

EndpointRouting* Router::find(transport::EndpointHandle id) {
  auto it = endpoints_.find(id);
  return it == endpoints_.end() ? nullptr : it->second;
}

void EndpointPartDeleter::operator()(EndpointRouting* part) const { delete part; }

void Router::set_endpoint(Endpoint& endpoint, std::uint32_t feedback_audio_ssrc,
                          std::uint32_t feedback_video_ssrc) {
  const transport::EndpointHandle id = endpoint.handle;
  if (!endpoint.routing) {
    endpoint.routing.reset(new EndpointRouting());
    endpoint.routing->rr.start(Clock::time_point{});
    endpoints_[id] = endpoint.routing.get();
  }
  EndpointRouting& e = *endpoint.routing;
  e.record = &endpoint;
  e.handle = id;
  e.transport = port_.find(id);
  auto& conf = conferences_[endpoint.conference];
  if (!conf) {
    conf = std::make_unique<Conference>();
    conf->id = endpoint.conference;
  }
  if (e.conference != conf.get()) {
    if (e.conference) {
      // Moved between conferences (signaling never does this, but the state must stay sane).
      std::erase(e.conference->members, &e);
      rebuild_routes(*e.conference);
    }
    e.conference = conf.get();
    conf->members.push_back(&e);
  }
  e.feedback_audio_ssrc = feedback_audio_ssrc;
  e.feedback_video_ssrc = feedback_video_ssrc;

  e.audio_pts = {};
  e.video_pts = {};
  e.vp8_pts = {};
  e.vp9_pts = {};
  e.h264_pts = {};
  e.av1_pts = {};
  e.rtx_apt.clear();
  e.rtx_for.clear();
  // Re-signaling may drop an extension: whatever is not listed again is off.
  e.audio_level_id = e.transport_cc_id = e.mid_id = e.abs_send_time_id = 0;
  e.passthrough_ids = {};
  for (const auto& media : endpoint.medias) {
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
      if (iequals(pt.name, "VP9")) e.vp9_pts.add(id8);
      if (iequals(pt.name, "H264")) e.h264_pts.add(id8);
      if (iequals(pt.name, "AV1")) e.av1_pts.add(id8);
    }
    for (const auto& ext : media.rtp_hdrexts) {
      if (ext.uri == kAudioLevelUri) e.audio_level_id = ext.id;
      if (ext.uri == kTransportCcUri) e.transport_cc_id = ext.id;
      if (ext.uri == kMidUri) e.mid_id = ext.id;
      if (ext.uri == kAbsSendTimeUri) e.abs_send_time_id = ext.id;
      for (std::size_t i = 0; i < kPassthroughUris.size(); ++i) {
        if (ext.uri == kPassthroughUris[i]) e.passthrough_ids[i] = ext.id;
      }
    }
  }
  // The bridge estimates the link only from transport-cc feedback.
  if (e.transport_cc_id && !e.bwe) e.bwe = std::make_unique<bwe::SendSideBandwidthEstimator>(bwe_config_);
  if (!e.transport_cc_id) e.bwe.reset();

  // Sources: audio SSRCs; video sources with their simulcast encodings (SIM) and RTX (FID).
  std::vector<AudioSource> audio_sources;
  std::vector<VideoSource> sources;
  std::unordered_map<std::uint32_t, SsrcInfo> ssrcs;
  for (const auto& ms : endpoint.sources) {
    if (ms.type == signaling::MediaType::kAudio) {
      for (const auto& s : ms.sources) {
        ssrcs[s.ssrc.value()] = {SsrcInfo::Kind::kAudio, static_cast<int>(audio_sources.size()), -1};
        audio_sources.push_back({ms.id.str(), s.ssrc.value(), {}});
      }
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
    v.heights.assign(v.encodings.size(), -1);
    v.rates.resize(v.encodings.size());
    for (std::size_t i = 0; i < v.encodings.size(); ++i) {
      auto rtx = rtx_of.find(v.encodings[i]);
      v.rtx.push_back(rtx == rtx_of.end() ? std::nullopt : std::optional<std::uint32_t>(rtx->second));
      ssrcs[v.encodings[i]] = {SsrcInfo::Kind::kVideo, index, static_cast<int>(i)};
      if (rtx != rtx_of.end()) ssrcs[rtx->second] = {SsrcInfo::Kind::kRtx, index, static_cast<int>(i)};
    }
    // Keep what the bridge learnt of a source across updates that do not change it.
    for (auto& old : e.video_sources) {
      if (old.name == v.name && old.encodings == v.encodings) {
        v.keyframes = old.keyframes;
        v.last_packet = old.last_packet;
        v.packet_counts = old.packet_counts;
        v.keyframe_counts = old.keyframe_counts;
        v.heights = old.heights;
        v.rates = old.rates;
      }
    }
    sources.push_back(std::move(v));
  }
  // Projections of this sender's sources whose encodings changed start afresh.
  for (EndpointRouting* receiver : conf->members) {
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
  e.audio_sources = std::move(audio_sources);
  e.video_sources = std::move(sources);
  e.ssrcs = std::move(ssrcs);
  rebuild_routes(*conf);
}

void Router::remove_endpoint(Endpoint& endpoint) {
  if (!endpoint.routing) return;
  const transport::EndpointHandle id = endpoint.handle;
  Conference* conf = endpoint.routing->conference;
  std::vector<std::uint32_t> ssrcs;
  for (const auto& [ssrc, info] : endpoint.routing->ssrcs) ssrcs.push_back(ssrc);
  // Out of the member list and the index before it is freed: they hold raw pointers.
  if (conf) std::erase(conf->members, endpoint.routing.get());
  endpoints_.erase(id);
  endpoint.routing.reset();
  if (!conf) return;
  for (EndpointRouting* receiver : conf->members) {
    if (!receiver->rewriter) continue;
    for (auto ssrc : ssrcs) receiver->rewriter->remove_source(ssrc);
  }
  if (conf->members.empty()) {
    conferences_.erase(std::string(conf->id));  // a copy: the key lives in the node it erases
    return;
  }
  for (EndpointRouting* receiver : conf->members) {
    for (auto p = receiver->projections.begin(); p != receiver->projections.end();) {
      p = p->first.first == id ? receiver->projections.erase(p) : std::next(p);
    }
    for (auto t = receiver->video_targets.begin(); t != receiver->video_targets.end();) {
      t = t->first.first == id ? receiver->video_targets.erase(t) : std::next(t);
    }
  }
  rebuild_routes(*conf);
}

void Router::set_video_targets(transport::EndpointHandle receiver_id,
                               const std::vector<VideoTarget>& targets) {
  EndpointRouting* receiver = find(receiver_id);
  if (!receiver || !receiver->conference) return;
  receiver->video_targets.clear();
  for (const auto& t : targets) {
    if (t.max_encoding >= 0 && t.sender != receiver_id) receiver->video_targets[{t.sender, t.source}] = t;
  }
  // Padding copies only what is forwarded now: a copy of a source just dropped could complete a
  // frame of it after the receiver was told it is no longer forwarded.
  receiver->recent_video_count = 0;
  rebuild_routes(*receiver->conference);
}

void Router::set_audio_subscription(transport::EndpointHandle receiver_id, AudioSubscription subscription) {
  EndpointRouting* receiver = find(receiver_id);
  if (!receiver || !receiver->conference) return;
  receiver->audio_subscription = std::move(subscription);
  rebuild_routes(*receiver->conference);
}

void Router::enable_ssrc_rewriting(transport::EndpointHandle receiver_id,
                                   const media::SsrcRewriterConfig& config, std::uint64_t seed) {
  EndpointRouting* receiver = find(receiver_id);
  if (!receiver || receiver->rewriter) return;
  // Slot SSRCs must not collide with what the receiver already knows: its own SSRCs and the
  // bridge's feedback SSRCs (RFC 3550 §8).
  std::vector<std::uint32_t> reserved{receiver->feedback_audio_ssrc, receiver->feedback_video_ssrc};
  for (const auto& [ssrc, info] : receiver->ssrcs) reserved.push_back(ssrc);
  media::SsrcRewriterConfig c = config;
  c.vp8_payload_types = receiver->vp8_pts;
  c.mids = c.mids && receiver->mid_id != 0;
  receiver->rewriter = std::make_unique<media::SsrcRewriter>(c, seed, reserved);
  if (receiver->conference) rebuild_routes(*receiver->conference);
}

std::vector<media::SourceMapping> Router::take_mappings(transport::EndpointHandle receiver_id,
                                                        media::SlotKind kind, bool all) {
  EndpointRouting* receiver = find(receiver_id);
  if (!receiver || !receiver->rewriter) return {};
  return all ? receiver->rewriter->all_mappings(kind) : receiver->rewriter->take_mapping_updates(kind);
}

void Router::rebuild_routes(Conference& conf) {
  // Receivers with SSRC rewriting get a video slot for every source they are to receive.
  for (EndpointRouting* receiver : conf.members) {
    if (!receiver->rewriter) continue;
    std::vector<media::VideoSourceDesc> active;
    for (const auto& [key, target] : receiver->video_targets) {
      EndpointRouting* sender = find(key.first);
      if (!sender) continue;
      for (const auto& source : sender->video_sources) {
        if (source.name == key.second)
          active.push_back(
              {source.name, sender->record->id.str(), source.encodings.front(), target.video_type});
      }
    }
    receiver->rewriter->set_video_sources(active);
  }
  for (EndpointRouting* sender : conf.members) {
    for (AudioSource& source : sender->audio_sources) {
      source.subscribers.clear();
      for (EndpointRouting* receiver : conf.members) {
        if (receiver == sender || !receiver->audio_subscription.wants(source.name)) continue;
        source.subscribers.push_back({receiver, &receiver->sent[source.ssrc]});
      }
    }
    for (VideoSource& source : sender->video_sources) {
      source.subscribers.clear();
      for (EndpointRouting* receiver : conf.members) {
        if (receiver == sender) continue;
        auto target = receiver->video_targets.find({sender->handle, source.name});
        if (target == receiver->video_targets.end()) continue;
        auto& projection = receiver->projections[{sender->handle, source.name}];
        if (!projection) {
          projection = std::make_unique<media::VideoProjection>(
              source.encodings.front(), static_cast<int>(source.encodings.size()),
              media::CodecPayloadTypes{sender->vp8_pts, sender->vp9_pts, sender->h264_pts, sender->av1_pts});
        }
        source.subscribers.push_back(
            {receiver, projection.get(), &receiver->sent[projection->projected_ssrc()],
             std::min(target->second.max_encoding, static_cast<int>(source.encodings.size()) - 1)});
      }
    }
  }
  // A projection kept for a source the receiver no longer gets is suspended: when the source
  // comes back it must start at a keyframe, its numbers continuing from where they stopped. Left
  // as it was, it resumed at whatever delta frame came next, after a jump the receiver counted
  // as loss (and its reports cut its estimate).
  for (EndpointRouting* receiver : conf.members) {
    for (auto& [key, projection] : receiver->projections) {
      if (!receiver->video_targets.contains(key) && projection->target() >= 0) projection->set_target(-1);
    }
  }
}

std::vector<Router::VideoSourceInfo> Router::video_sources(transport::EndpointHandle sender_id,
                                                           Timestamp now) {
  std::vector<VideoSourceInfo> out;
  EndpointRouting* sender = find(sender_id);
  if (!sender) return out;
  for (auto& source : sender->video_sources) {
    VideoSourceInfo info{source.name, {}};
    for (std::size_t i = 0; i < source.encodings.size(); ++i) {
      bool active = source.last_packet[i] && now - *source.last_packet[i] < VideoSource::kActiveWindow;
      info.encodings.push_back({source.heights[i], active, source.rates[i].bits_per_second(now)});
    }
    out.push_back(std::move(info));
  }
  return out;
}

void Router::on_rtp(Timestamp now, transport::EndpointHandle from, std::span<std::uint8_t> slot,
                    std::size_t length) {
  ++counters_.rtp_in;
  EndpointRouting* sender = find(from);
  if (!sender || length > slot.size()) return;
  sender->in.add(now, length);
  counters_.bytes_in += length;
  sender->last_rtp = now;
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
    sender->last_audio = now;
    // Force-muted media is received (so it is not reported as loss) but goes nowhere, and does
    // not count as speech (JVB does not feed such packets to its dominant speaker identification).
    if (sender->record->force_mute.audio) {
      ++counters_.dropped_muted;
      return;
    }
    if (sender->audio_level_id && audio_level_sink_) {
      if (auto ext = parsed->find_extension(sender->audio_level_id)) {
        if (auto level = rtp::parse_audio_level(ext->data))
          audio_level_sink_(sender->handle, level->level, now);
      }
    }
    forward_audio(now, *sender, sender->audio_sources[static_cast<std::size_t>(info.source)],
                  slot.first(length), *parsed);
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
  // After the NACK generator, so muted packets are not asked for again (as in JVB's pipeline).
  if (sender->record->force_mute.video) {
    ++counters_.dropped_muted;
    return;
  }
  // Padding-only packets (bandwidth probes) do not make an encoding active.
  auto enc = static_cast<std::size_t>(info.encoding);
  if (!parsed->payload().empty()) {
    if (info.kind == SsrcInfo::Kind::kVideo && source.last_packet[enc]) {
      const Duration gap = now - *source.last_packet[enc];
      if (gap < std::chrono::seconds(1)) counters_.video_received += gap;
    }
    source.last_packet[enc] = now;
    sender->last_video = now;
  }
  ++source.packet_counts[enc];
  source.rates[enc].add(now, plain_length);
  if (auto keyframe = keyframe_start(*sender, *parsed)) {
    ++source.keyframe_counts[enc];
    ++counters_.keyframes_received;
    source.keyframes.on_keyframe_received(now);
    if (keyframe->height > 0) source.heights[enc] = keyframe->height;
  }
  forward_video(now, *sender, source, info.encoding, slot.first(plain_length), *parsed);
}

std::optional<Router::Keyframe> Router::keyframe_start(const EndpointRouting& sender,
                                                       const rtp::RtpPacket& packet) {
  // The smaller dimension, so that a portrait picture counts as what it is (360 of 360x640).
  auto smaller = [](auto w, auto h) { return static_cast<int>(std::min(w, h)); };
  const std::uint8_t pt = packet.payload_type();
  const auto payload = packet.payload();
  if (sender.vp8_pts.contains(pt)) {
    auto descriptor = codecs::parse_vp8_descriptor(payload);
    if (!descriptor) return std::nullopt;
    auto frame = codecs::parse_vp8_frame_info(*descriptor, payload.subspan(descriptor->size));
    if (!frame.keyframe) return std::nullopt;
    return Keyframe{frame.width && frame.height ? smaller(*frame.width, *frame.height) : 0};
  }
  if (sender.vp9_pts.contains(pt)) {
    auto d = codecs::parse_vp9_descriptor(payload);
    if (!d || !d->is_keyframe() || !d->is_start_of_frame() || (d->has_layer_indices && d->spatial_id != 0))
      return std::nullopt;
    // The encoding's height is its top spatial layer's, from the scalability structure.
    Keyframe k;
    if (d->scalability_structure && d->scalability_structure->has_resolutions) {
      const auto& ss = *d->scalability_structure;
      const auto& top = ss.resolutions[static_cast<std::size_t>(ss.spatial_layers - 1)];
      k.height = smaller(top.width, top.height);
    }
    return k;
  }
  if (sender.av1_pts.contains(pt)) {
    // The picture's size is in the sequence header, which this does not read.
    if (!codecs::is_av1_keyframe_start(payload)) return std::nullopt;
    return Keyframe{};
  }
  if (sender.h264_pts.contains(pt)) {
    auto h264 = codecs::parse_h264_payload(payload);
    if (!h264 || !h264->is_keyframe()) return std::nullopt;
    Keyframe k;
    std::array<std::uint8_t, codecs::kH264SpsScratchSize> scratch;
    if (auto sps_nal = codecs::find_h264_sps(*h264); !sps_nal.empty()) {
      if (auto sps = codecs::parse_h264_sps(sps_nal, scratch)) k.height = smaller(sps->width, sps->height);
    }
    return k;
  }
  return std::nullopt;
}

void Router::forward_audio(Timestamp now, EndpointRouting& sender, AudioSource& source,
                           std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed) {
  if (source.subscribers.empty()) return;
  // Stripped once, in place: every receiver gets the same bytes.
  rtp::ExtensionIdSet keep;
  if (sender.audio_level_id) keep.add(sender.audio_level_id);
  auto stripped = rtp::strip_header_extensions(packet, keep);
  if (!stripped) return;
  auto payload_size = static_cast<std::uint32_t>(parsed.payload_size());
  for (auto& subscriber : source.subscribers) {
    EndpointRouting& receiver = *subscriber.receiver;
    if (!receiver.connected()) {
      ++counters_.dropped_receiver_not_connected;
      continue;
    }
    std::span<std::uint8_t> slot = slots_.reserve();
    std::memcpy(slot.data(), packet.data(), *stripped);
    std::size_t out_length = *stripped;
    if (receiver.rewriter) {
      auto n = rewrite_for(now, receiver, sender, nullptr, -1, &source.name, slot, out_length);
      if (!n) continue;
      out_length = *n;
    }
    receiver.out.add(now, out_length);
    counters_.bytes_out += out_length;
    ++subscriber.sent->packets;
    subscriber.sent->octets += payload_size;
    send_rtp_in_slot(receiver, slot, out_length);
  }
}

void Router::forward_video(Timestamp now, EndpointRouting& sender, VideoSource& source, int encoding,
                           std::span<std::uint8_t> packet, const rtp::RtpPacket&) {
  if (source.subscribers.empty()) return;
  // Of the sender's header extensions only the passthrough ones apply to a receiver; the
  // transport-wide number is kept as the place each receiver's own goes. Stripped and parsed
  // once, in place; each receiver's projection rewrites its own copy.
  rtp::ExtensionIdSet keep;
  if (sender.transport_cc_id) keep.add(sender.transport_cc_id);
  for (auto id : sender.passthrough_ids) {
    if (id) keep.add(id);
  }
  auto stripped = rtp::strip_header_extensions(packet, keep);
  if (!stripped) return;
  auto plain = rtp::RtpPacket::parse(std::span<const std::uint8_t>(packet.data(), *stripped));
  if (!plain) return;
  const int best = source.best_active(now);
  const auto payload_size = static_cast<std::uint32_t>(plain->payload_size());
  for (auto& subscriber : source.subscribers) {
    EndpointRouting& receiver = *subscriber.receiver;
    // Offered to the projection only when it can go out: a frame the projection counted as
    // forwarded but nobody received would leave the receiver waiting for a keyframe nobody
    // asks for.
    if (!receiver.connected()) {
      ++counters_.dropped_receiver_not_connected;
      continue;
    }
    media::VideoProjection& projection = *subscriber.projection;
    int target = std::min(subscriber.max_encoding, best);
    if (target != projection.target()) projection.set_target(target);
    std::span<std::uint8_t> slot = slots_.reserve();
    std::memcpy(slot.data(), packet.data(), *stripped);
    auto decision = projection.on_packet(now, slot.first(*stripped), *plain, encoding);
    if (decision.request_keyframe && decision.keyframe_encoding >= 0) {
      request_keyframe(now, sender, source, decision.keyframe_encoding);
    }
    if (!decision.forward) continue;
    std::size_t out_length = *stripped;
    if (receiver.rewriter) {
      auto n = rewrite_for(now, receiver, sender, &source, encoding, nullptr, slot, out_length);
      if (!n) continue;
      out_length = *n;
    }
    // Extension ids are conference-wide in practice (Jicofo offers the same map to everyone);
    // one the receiver maps differently, or not at all, must not reach it.
    if (sender.transport_cc_id != receiver.transport_cc_id ||
        sender.passthrough_ids != receiver.passthrough_ids) {
      rtp::ExtensionIdSet common;
      for (std::size_t i = 0; i < sender.passthrough_ids.size(); ++i) {
        if (sender.passthrough_ids[i] && sender.passthrough_ids[i] == receiver.passthrough_ids[i])
          common.add(sender.passthrough_ids[i]);
      }
      auto n = rtp::strip_header_extensions(slot.first(out_length), common);
      if (!n) continue;
      out_length = *n;
    }
    if (auto n = stamp_transport(now, receiver, slot, out_length)) {
      out_length = *n;
    } else {
      ++counters_.dropped_extension_failure;
      continue;
    }
    // Cached as sent (on the slot SSRC when rewritten), so a NACK names what the receiver saw.
    std::uint16_t seq = static_cast<std::uint16_t>((slot[2] << 8) | slot[3]);
    std::uint32_t ssrc = (std::uint32_t{slot[8]} << 24) | (std::uint32_t{slot[9]} << 16) |
                         (std::uint32_t{slot[10]} << 8) | slot[11];
    receiver.cache.store(ssrc, seq, now, std::span<const std::uint8_t>(slot.data(), out_length));
    receiver.recent_video[receiver.recent_video_next] = {ssrc, seq};
    receiver.recent_video_next = (receiver.recent_video_next + 1) % receiver.recent_video.size();
    receiver.recent_video_count = std::min(receiver.recent_video_count + 1, receiver.recent_video.size());
    receiver.out.add(now, out_length);
    counters_.bytes_out += out_length;
    ++subscriber.sent->packets;
    subscriber.sent->octets += payload_size;
    send_rtp_in_slot(receiver, slot, out_length);
  }
}

std::optional<std::size_t> Router::stamp_transport(Timestamp now, EndpointRouting& receiver,
                                                   std::span<std::uint8_t> buffer, std::size_t length,
                                                   std::int32_t probe_cluster) {
  std::array<std::uint8_t, rtp::kAbsSendTimeSize> value{};
  if (receiver.transport_cc_id) {
    (void)rtp::write_transport_sequence_number(value, receiver.next_transport_seq);
    auto n = media::set_header_extension(buffer, length, receiver.transport_cc_id,
                                         std::span(value).first(rtp::kTransportSequenceNumberSize));
    if (!n) return std::nullopt;
    if (receiver.bwe)
      receiver.bwe->on_packet_sent(receiver.next_transport_seq, static_cast<std::int64_t>(*n), now,
                                   probe_cluster);
    ++receiver.next_transport_seq;
    return *n;
  }
  // Without transport-cc the receiver estimates from abs-send-time (REMB), which must be the
  // bridge's send time: the sender's would carry its own pacing, not this link's.
  if (receiver.abs_send_time_id) {
    const auto since = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch());
    (void)rtp::write_abs_send_time(value, rtp::abs_send_time_from(since));
    auto n = media::set_header_extension(buffer, length, receiver.abs_send_time_id, value);
    if (!n) return std::nullopt;
    return *n;
  }
  return length;
}

std::optional<std::size_t> Router::rewrite_for(Timestamp now, EndpointRouting& receiver,
                                               EndpointRouting& sender, VideoSource* source, int encoding,
                                               const std::string* audio_name, std::span<std::uint8_t> buffer,
                                               std::size_t length) {
  // The receiver's own copy, after the projection: parsed again, as the rewriter reads the
  // numbers the projection wrote.
  auto view = rtp::RtpPacket::parse(std::span<const std::uint8_t>(buffer.data(), length));
  if (!view) return std::nullopt;
  std::span<std::uint8_t> packet(buffer.data(), length);
  media::RewriteResult result =
      source ? receiver.rewriter->rewrite_video(packet, *view)
             : receiver.rewriter->rewrite_audio(packet, *view, {*audio_name, sender.record->id.str()});
  if (result.request_keyframe && source) request_keyframe(now, sender, *source, encoding);
  if (result.mapping_changed && mapping_sink_) mapping_sink_(receiver.handle);
  if (!result.forward()) {
    ++counters_.dropped_by_rewriting;
    return std::nullopt;
  }
  if (receiver.mid_id) {
    if (auto n = receiver.rewriter->stamp_mid(buffer, length, receiver.mid_id)) length = *n;
  }
  return length;
}

void Router::request_keyframe(Timestamp now, EndpointRouting& sender, VideoSource& source, int encoding,
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

void Router::on_rtcp(Timestamp now, transport::EndpointHandle from, std::span<std::uint8_t> slot,
                     std::size_t length) {
  ++counters_.rtcp_in;
  EndpointRouting* endpoint = find(from);
  if (!endpoint || length > slot.size()) return;
  endpoint->in.add(now, length);
  counters_.bytes_in += length;
  // Answers (PLIs to senders, RTX to this receiver) are built in the scratch buffers, never in
  // `slot`, so the compound can be read in place.
  rtcp::RtcpCompoundIterator it(std::span<const std::uint8_t>(slot.data(), length));
  while (auto packet = it.next()) {
    if (packet->packet_type == rtcp::kPtSenderReport) {
      forward_sender_report(now, *endpoint, packet->packet);
    } else if (packet->packet_type == rtcp::kPtReceiverReport) {
      if (auto rr = rtcp::ReceiverReport::parse(*packet))
        on_report_blocks(now, *endpoint, rr->report_blocks());
    } else if (packet->packet_type == rtcp::kPtRtpFeedback && packet->count == rtcp::kFmtTransportFeedback) {
      if (endpoint->bwe) {
        if (auto feedback = rtcp::TransportFeedback::parse(*packet)) {
          endpoint->bwe->on_feedback(*feedback, now);
        } else {
          ++counters_.dropped_malformed_rtcp;
        }
      }
    } else if (packet->packet_type == rtcp::kPtPayloadFeedback &&
               packet->count == rtcp::kFmtApplicationLayer) {
      if (auto remb = rtcp::Remb::parse(*packet)) endpoint->remb_bps = remb->bitrate_bps();
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
    // Receiver reports, transport-cc feedback, SDES and BYE end here (JVB's RtcpTermination).
  }
  if (it.error()) ++counters_.dropped_malformed_rtcp;
}

void Router::handle_keyframe_request(Timestamp now, EndpointRouting& receiver, std::uint32_t media_ssrc) {
  // A rewriting receiver names the slot: back to the source's primary SSRC.
  if (receiver.rewriter) {
    auto occupant = receiver.rewriter->find_send_ssrc(media_ssrc);
    if (!occupant || occupant->kind != media::SlotKind::kVideo) return;
    media_ssrc = occupant->original_ssrc;
  }
  for (auto& [key, projection] : receiver.projections) {
    if (projection->projected_ssrc() != media_ssrc) continue;
    EndpointRouting* sender = find(key.first);
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

// The FID partner a receiver without SSRC rewriting was told about for a projected SSRC.
std::optional<std::uint32_t> Router::rtx_partner(const EndpointRouting& receiver,
                                                 std::uint32_t projected_ssrc) {
  for (const auto& [key, projection] : receiver.projections) {
    if (projection->projected_ssrc() != projected_ssrc) continue;
    if (EndpointRouting* sender = find(key.first)) {
      for (const auto& source : sender->video_sources) {
        if (source.name == key.second && !source.rtx.empty()) return source.rtx.front();
      }
    }
  }
  return std::nullopt;
}

std::optional<std::size_t> Router::build_resend(EndpointRouting& receiver, std::uint32_t media_ssrc,
                                                std::span<const std::uint8_t> cached, bool rtx_only) {
  std::size_t length = cached.size();
  std::uint8_t pt = cached[1] & 0x7F;
  auto rtx_pt = receiver.rtx_for.find(pt);
  const bool has_rtx_pt = rtx_pt != receiver.rtx_for.end();
  if (receiver.rewriter) {
    // The cache holds the packet on its slot SSRC; RTX goes on the slot's RTX SSRC.
    auto rtx = has_rtx_pt ? receiver.rewriter->next_rtx(media_ssrc) : std::nullopt;
    if (rtx) {
      auto n = media::build_rtx_packet(cached, rtx->ssrc, rtx_pt->second, rtx->sequence_number, scratch_);
      if (!n) return std::nullopt;
      length = *n;
    } else if (rtx_only) {
      return std::nullopt;
    } else {
      std::memcpy(scratch_.data(), cached.data(), length);
    }
    if (receiver.mid_id) {
      if (auto n = receiver.rewriter->stamp_mid(scratch_, length, receiver.mid_id)) length = *n;
    }
    return length;
  }
  if (auto rtx_ssrc = has_rtx_pt ? rtx_partner(receiver, media_ssrc) : std::nullopt) {
    std::uint16_t rtx_seq = receiver.rtx_sequence[*rtx_ssrc]++;
    auto n = media::build_rtx_packet(cached, *rtx_ssrc, rtx_pt->second, rtx_seq, scratch_);
    if (!n) return std::nullopt;
    return *n;
  }
  if (rtx_only) return std::nullopt;
  std::memcpy(scratch_.data(), cached.data(), length);
  return length;
}

void Router::handle_nack(Timestamp now, EndpointRouting& receiver, std::uint32_t media_ssrc,
                         std::uint16_t seq) {
  // Not again within a round trip of the last send (JVB's NackHandler).
  auto cached = receiver.cache.take_for_resend(now, media_ssrc, seq, receiver.round_trip.latest());
  if (!cached) {
    ++counters_.retransmission_misses;
    return;
  }
  auto length = build_resend(receiver, media_ssrc, *cached, false);
  if (!length) return;
  // A retransmission is a new packet on the wire: a new transport-wide number.
  auto n = stamp_transport(now, receiver, scratch_, *length);
  if (!n) {
    ++counters_.dropped_extension_failure;
    return;
  }
  ++counters_.retransmissions;
  receiver.out.add(now, *n);
  counters_.bytes_out += *n;
  send_rtp(receiver, scratch_, *n);
}

std::pair<std::int64_t, std::int64_t> Router::send_padding(Timestamp now, EndpointRouting& receiver,
                                                           const bwe::ProbingPacer::Burst& burst) {
  std::int64_t bytes = 0, packets = 0;
  bool any = false;
  // Newest first, round again while a cluster still wants bytes; at most two rounds a burst.
  for (std::size_t i = 0; i < 2 * receiver.recent_video_count && bytes < burst.bytes; ++i) {
    const std::size_t size = receiver.recent_video.size();
    const auto [ssrc, seq] =
        receiver
            .recent_video[(receiver.recent_video_next + size - 1 - i % receiver.recent_video_count) % size];
    auto cached = receiver.cache.find(now, ssrc, seq);
    if (!cached) continue;
    // Filling sends only what fits; a probe cluster gets at least what it asked for. Decided
    // before the copy is built, which takes an RTX sequence number.
    if (burst.whole_packets_only &&
        bytes + static_cast<std::int64_t>(cached->size() + kResendGrowth) > burst.bytes) {
      any = true;
      break;
    }
    auto length = build_resend(receiver, ssrc, *cached, true);
    if (!length) continue;
    any = true;
    auto n = stamp_transport(now, receiver, scratch_, *length, burst.cluster_id);
    if (!n) {
      ++counters_.dropped_extension_failure;
      continue;
    }
    bytes += static_cast<std::int64_t>(*n);
    ++packets;
    receiver.out.add(now, *n);
    counters_.bytes_out += *n;
    ++counters_.padding_packets;
    counters_.padding_bytes += *n;
    send_rtp(receiver, scratch_, *n);
  }
  if (!any) return {-1, 0};
  return {bytes, packets};
}

void Router::pace_probing(Timestamp now, EndpointRouting& receiver) {
  if (!receiver.connected()) return;
  // The bridge's estimate, or the receiver's own (REMB): padding lets either grow.
  // Nothing before the first feedback or REMB: a receiver that does not report measures no probe.
  std::int64_t estimate = 0;
  if (receiver.bwe && receiver.bwe->counters().feedbacks > 0) {
    estimate = receiver.bwe->target_bitrate();
  } else if (!receiver.bwe && receiver.remb_bps) {
    estimate = static_cast<std::int64_t>(*receiver.remb_bps);
  } else {
    return;
  }
  // Bounded: each round either sends, waits, or drops a cluster (at most the queue's size).
  for (int round = 0; round < 8; ++round) {
    auto burst = receiver.pacer.poll(now, estimate);
    if (!burst) return;
    auto [bytes, packets] = send_padding(now, receiver, *burst);
    if (bytes < 0) {
      receiver.pacer.on_unsendable(*burst, now);
      if (burst->cluster_id == bwe::kNotAProbe || receiver.pacer.probing()) return;
      continue;
    }
    receiver.pacer.on_sent(*burst, bytes, packets, now);
    if (burst->cluster_id == bwe::kNotAProbe) return;
  }
}

void Router::on_report_blocks(Timestamp now, EndpointRouting& receiver, const rtcp::ReportBlockList& blocks) {
  std::int64_t lost = 0, expected = 0;  // since each SSRC's previous report, for the estimate
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const rtcp::ReportBlock block = blocks[i];
    // What it lost of what the bridge sent it (RFC 3550 §6.4.2), and the round trip (§6.4.1).
    const double fraction = block.fraction_lost / 256.0;
    counters_.outgoing_loss_sum += fraction;
    ++counters_.outgoing_loss_reports;
    receiver.outgoing_loss_sum += fraction;
    ++receiver.outgoing_loss_reports;
    const auto unmatched = receiver.round_trip.unmatched(), implausible = receiver.round_trip.implausible();
    auto rtt = receiver.round_trip.on_report_block(block, now);
    counters_.round_trip_unmatched += receiver.round_trip.unmatched() - unmatched;
    counters_.round_trip_implausible += receiver.round_trip.implausible() - implausible;
    if (!receiver.bwe) continue;
    if (rtt) receiver.bwe->on_rtt(*rtt, now);
    auto [it, first] =
        receiver.last_report.try_emplace(block.ssrc, block.extended_highest_sequence, block.cumulative_lost);
    if (first) continue;
    const auto sequences = static_cast<std::int32_t>(block.extended_highest_sequence - it->second.first);
    if (sequences > 0) {
      expected += sequences;
      lost += block.cumulative_lost - it->second.second;
    }
    it->second = {block.extended_highest_sequence, block.cumulative_lost};
  }
  if (receiver.bwe && expected > 0)
    receiver.bwe->on_receiver_loss(std::clamp<std::int64_t>(lost, 0, expected), expected, now);
}

void Router::forward_sender_report(Timestamp now, EndpointRouting& sender,
                                   std::span<const std::uint8_t> sr_packet) {
  auto view = rtcp::parse_rtcp_packet(sr_packet);
  if (!view) return;
  auto sr = rtcp::SenderReport::parse(*view);
  if (!sr) return;
  // An endpoint that sends reports on what it receives in its SRs (libwebrtc does).
  on_report_blocks(now, sender, sr->report_blocks());
  std::uint32_t ssrc = sr->sender_ssrc();
  const std::uint32_t compact_ntp = sr->sender_info().compact_ntp();
  if (auto it = sender.receive_stats.find(ssrc); it != sender.receive_stats.end()) {
    it->second->on_sender_report(now, sr->sender_info().ntp_timestamp);
  }
  auto info = sender.ssrcs.find(ssrc);
  if (info == sender.ssrcs.end()) return;
  const std::uint32_t rtp_timestamp = sr->sender_info().rtp_timestamp;
  // The counts are what each receiver was sent on that SSRC, not what the sender sent.
  if (info->second.kind == SsrcInfo::Kind::kAudio) {
    for (auto& subscriber : sender.audio_sources[static_cast<std::size_t>(info->second.source)].subscribers) {
      if (subscriber.sent->packets == 0) continue;
      std::uint32_t out_ssrc = ssrc, out_ts = rtp_timestamp;
      if (subscriber.receiver->rewriter) {
        auto mapped = subscriber.receiver->rewriter->map_sender_report(ssrc, rtp_timestamp);
        if (!mapped) continue;  // no slot: the receiver knows nothing of this SSRC
        out_ssrc = mapped->ssrc;
        out_ts = mapped->rtp_timestamp;
      }
      auto n = media::write_translated_sender_report(*sr, out_ssrc, out_ts, *subscriber.sent, rtcp_scratch_);
      if (!n) continue;
      send_rtcp(*subscriber.receiver, rtcp_scratch_, *n);
      subscriber.receiver->round_trip.on_sender_report_sent(out_ssrc, compact_ntp, now);
    }
  } else if (info->second.kind == SsrcInfo::Kind::kVideo) {
    for (auto& subscriber : sender.video_sources[static_cast<std::size_t>(info->second.source)].subscribers) {
      auto ts = subscriber.projection->projected_timestamp(ssrc, rtp_timestamp);
      if (!ts || subscriber.sent->packets == 0) continue;  // an encoding this receiver does not get
      std::uint32_t out_ssrc = subscriber.projection->projected_ssrc(), out_ts = *ts;
      if (subscriber.receiver->rewriter) {
        auto mapped = subscriber.receiver->rewriter->map_sender_report(out_ssrc, out_ts);
        if (!mapped) continue;
        out_ssrc = mapped->ssrc;
        out_ts = mapped->rtp_timestamp;
      }
      auto n = media::write_translated_sender_report(*sr, out_ssrc, out_ts, *subscriber.sent, rtcp_scratch_);
      if (!n) continue;
      send_rtcp(*subscriber.receiver, rtcp_scratch_, *n);
      subscriber.receiver->round_trip.on_sender_report_sent(out_ssrc, compact_ntp, now);
    }
  }
}

std::optional<Timestamp> Router::on_timer(Timestamp now) {
  std::optional<Timestamp> next;
  auto consider = [&](std::optional<Timestamp> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  // The estimators' clock (GoogCC's process interval).
  bool any_bwe = false;
  if (!next_bwe_process_ || *next_bwe_process_ <= now) {
    next_bwe_process_ = now + bwe::SendSideBandwidthEstimator::kProcessInterval;
    for (auto& [id, e] : endpoints_) {
      if (!e->bwe) continue;
      any_bwe = true;
      e->bwe->on_process(now);
      while (auto cluster = e->bwe->take_probe_request()) e->pacer.add_cluster(*cluster, now);
    }
  } else {
    for (auto& [id, e] : endpoints_) any_bwe = any_bwe || e->bwe != nullptr;
  }
  if (any_bwe) consider(next_bwe_process_);
  for (auto& [id, e] : endpoints_) {
    pace_probing(now, *e);
    consider(e->pacer.next_due());
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

std::optional<std::pair<SocketAddress, std::size_t>> Router::protect_for(EndpointRouting& receiver,
                                                                         std::span<std::uint8_t> buffer,
                                                                         std::size_t length) {
  transport::EndpointTransport* t = receiver.transport;
  auto to = t ? t->media_destination() : std::nullopt;
  if (!to) return std::nullopt;  // not connected yet: nothing to send to
  auto n = t->protect_rtp(buffer, length);
  if (!n) {
    ++counters_.send_failures;
    return std::nullopt;
  }
  ++counters_.rtp_out;
  return std::pair{*to, *n};
}

void Router::send_rtp(EndpointRouting& receiver, std::span<std::uint8_t> buffer, std::size_t length) {
  if (auto out = protect_for(receiver, buffer, length)) output_(out->first, buffer.first(out->second));
}

void Router::send_rtp_in_slot(EndpointRouting& receiver, std::span<std::uint8_t> slot, std::size_t length) {
  // Not committed (not connected, or encryption failed): the slot is reused.
  if (auto out = protect_for(receiver, slot, length)) slots_.commit(out->first, out->second);
}

void Router::send_rtcp(EndpointRouting& to_endpoint, std::span<std::uint8_t> buffer, std::size_t length) {
  transport::EndpointTransport* t = to_endpoint.transport;
  auto to = t ? t->media_destination() : std::nullopt;
  if (!to) return;
  auto n = t->protect_rtcp(buffer, length);
  if (!n) {
    ++counters_.send_failures;
    return;
  }
  ++counters_.rtcp_out;
  counters_.bytes_out += *n;
  output_(*to, buffer.first(*n));
}

std::vector<Router::ProjectionInfo> Router::projections(transport::EndpointHandle receiver) const {
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

std::optional<Router::RewritingInfo> Router::rewriting(transport::EndpointHandle receiver) const {
  auto it = endpoints_.find(receiver);
  if (it == endpoints_.end() || !it->second->rewriter) return std::nullopt;
  const media::SsrcRewriter& r = *it->second->rewriter;
  return RewritingInfo{r.all_mappings(media::SlotKind::kVideo).size(),
                       r.all_mappings(media::SlotKind::kAudio).size(), r.config().mids, r.counters()};
}

std::optional<Timestamp> Router::last_rtp_received(transport::EndpointHandle id) const {
  auto it = endpoints_.find(id);
  return it == endpoints_.end() ? std::nullopt : it->second->last_rtp;
}

std::optional<EndpointMediaStats> Router::stats(transport::EndpointHandle id, Timestamp now) {
  EndpointRouting* e = find(id);
  if (!e) return std::nullopt;
  EndpointMediaStats s;
  s.incoming_bps = e->in.bits_per_second(now);
  s.outgoing_bps = e->out.bits_per_second(now);
  s.incoming_packets = e->in.total_packets();
  s.outgoing_packets = e->out.total_packets();
  s.incoming_bytes = e->in.total_bytes();
  s.outgoing_bytes = e->out.total_bytes();
  s.rtt = e->round_trip.latest();
  s.outgoing_loss = e->outgoing_loss;
  return s;
}

std::optional<std::uint64_t> Router::bandwidth_estimate(transport::EndpointHandle receiver) const {
  auto it = endpoints_.find(receiver);
  if (it == endpoints_.end()) return std::nullopt;
  const EndpointRouting& e = *it->second;
  // Until its first feedback the estimator only knows its start value: not an estimate yet.
  if (e.bwe && e.bwe->counters().feedbacks > 0) return static_cast<std::uint64_t>(e.bwe->target_bitrate());
  return e.remb_bps;
}

std::optional<bwe::ProbingCounters> Router::probing(transport::EndpointHandle receiver) const {
  auto it = endpoints_.find(receiver);
  if (it == endpoints_.end()) return std::nullopt;
  return it->second->pacer.counters();
}

std::optional<bwe::BweSnapshot> Router::bwe_snapshot(transport::EndpointHandle receiver) const {
  auto it = endpoints_.find(receiver);
  if (it == endpoints_.end() || !it->second->bwe) return std::nullopt;
  return it->second->bwe->snapshot();
}

void Router::set_allocation_bitrates(transport::EndpointHandle receiver, std::int64_t target_bps,
                                     std::int64_t ideal_bps, Timestamp now) {
  EndpointRouting* e = find(receiver);
  if (!e) return;
  if (e->bwe) e->bwe->set_desired_bitrate(ideal_bps, now);
  e->pacer.set_allocation(target_bps, ideal_bps);
}

std::vector<Router::IncomingStream> Router::incoming_streams(transport::EndpointHandle id,
                                                             Timestamp now) const {
  std::vector<IncomingStream> out;
  auto it = endpoints_.find(id);
  if (it == endpoints_.end()) return out;
  const EndpointRouting& e = *it->second;
  auto add_receive_stats = [&](IncomingStream& s) {
    auto stats = e.receive_stats.find(s.ssrc);
    if (stats == e.receive_stats.end()) return;
    s.packets = stats->second->packets();
    if (stats->second->valid()) {
      s.expected = stats->second->expected();
      s.lost = stats->second->cumulative_lost();
      s.jitter = stats->second->jitter();
    }
  };
  for (const auto& a : e.audio_sources) {
    IncomingStream s{a.name, false, 0, a.ssrc};
    add_receive_stats(s);
    out.push_back(std::move(s));
  }
  for (const auto& v : e.video_sources) {
    for (std::size_t i = 0; i < v.encodings.size(); ++i) {
      IncomingStream s{v.name, true, static_cast<int>(i), v.encodings[i]};
      add_receive_stats(s);
      // The meter counts RTX too: what the encoding costs.
      RateMeter rate = v.rates[i];
      s.bps = rate.bits_per_second(now);
      s.height = v.heights[i];
      out.push_back(std::move(s));
    }
  }
  return out;
}

void Router::collect_stats(Timestamp now, stats::WorkerStats& out) {
  // Sending means RTP of that kind within this window: a client in DTX still sends an audio
  // packet every 400 ms, and video at its lowest frame rate several per second.
  constexpr Duration kSendingWindow = std::chrono::seconds(2);
  auto recent = [&](const std::optional<Timestamp>& t) { return t && now - *t < kSendingWindow; };
  // An endpoint's outgoing loss is high over 10 % (JVB's threshold).
  constexpr double kHighOutgoingLoss = 0.1;
  for (auto& [id, conference] : conferences_) {
    bool anyone_sends = false;
    std::uint64_t high_outgoing_loss = 0;
    for (EndpointRouting* e : conference->members) {
      if (e->outgoing_loss_reports) {
        e->outgoing_loss = e->outgoing_loss_sum / e->outgoing_loss_reports;
        e->outgoing_loss_sum = 0;
        e->outgoing_loss_reports = 0;
      }
      high_outgoing_loss += e->outgoing_loss > kHighOutgoingLoss ? 1 : 0;
      if (e->bwe) out.tcc_unmatched_feedback += e->bwe->unmatched_feedback();
      if (auto rtt = e->round_trip.latest(); rtt && *rtt > Duration::zero()) {
        out.rtt_sum_ms += std::chrono::duration<double, std::milli>(*rtt).count();
        ++out.endpoints_with_rtt;
      }
      const bool audio = recent(e->last_audio), video = recent(e->last_video);
      anyone_sends = anyone_sends || audio || video;
      out.endpoints_sending_audio += audio ? 1 : 0;
      out.endpoints_sending_video += video ? 1 : 0;
      if (!recent(e->last_rtp) && e->connected()) ++out.receive_only_endpoints;
      out.incoming_bps += e->in.bits_per_second(now);
      out.outgoing_bps += e->out.bits_per_second(now);
      out.incoming_pps += e->in.packets_per_second(now);
      out.outgoing_pps += e->out.packets_per_second(now);
      // Each stream's expected and lost since the last collection (RFC 3550 A.3).
      for (auto& [ssrc, stream] : e->receive_stats) {
        if (!stream->valid()) continue;
        auto& [expected_before, lost_before] = e->loss_reported[ssrc];
        const std::int64_t expected = stream->expected(), lost = stream->cumulative_lost();
        if (expected > expected_before)
          incoming_expected_ += static_cast<std::uint64_t>(expected - expected_before);
        if (lost > lost_before) incoming_lost_ += static_cast<std::uint64_t>(lost - lost_before);
        expected_before = expected;
        lost_before = lost;
      }
    }
    if (anyone_sends) {
      out.active_endpoints += conference->members.size();
      out.endpoints_with_high_outgoing_loss += high_outgoing_loss;
    } else {
      ++out.inactive_conferences;
      // Two endpoints and no media through the bridge: they talk peer to peer (JVB's isP2p).
      if (conference->members.size() == 2) ++out.p2p_conferences;
    }
  }
  out.bytes_received += counters_.bytes_in;
  out.bytes_sent += counters_.bytes_out;
  out.packets_received += counters_.rtp_in + counters_.rtcp_in;
  out.packets_sent += counters_.rtp_out + counters_.rtcp_out;
  out.keyframes_received += counters_.keyframes_received;
  out.video_milliseconds_received += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(counters_.video_received).count());
  out.outgoing_loss_sum += counters_.outgoing_loss_sum;
  out.outgoing_loss_reports += counters_.outgoing_loss_reports;
  out.incoming_expected += incoming_expected_;
  out.incoming_lost += incoming_lost_;
}

}  // namespace jvb::conference
