// The packet path of the bridge's conferences (ARCHITECTURE.md, "The packet path"): what
// arrives decrypted from one endpoint, and what each other endpoint of its conference receives.
//
// Routing is by conference: each conference keeps its members, and each source keeps the list
// of receivers subscribed to it, rebuilt on the control plane whenever membership, signaled
// sources or a receiver's choices change. A packet is parsed and its header extensions stripped
// once; each subscribed receiver then costs one copy, its rewriting and its encryption. Nothing
// on the packet path looks at endpoints of other conferences, keys a map by string, or scans
// the bridge's endpoints.
//
// Audio goes to every other member that wants it (its audio subscription) with header
// extensions stripped except audio-level; the level feeds the dominant speaker identification
// through the level sink. Video has RTX removed on receive, then each subscribed receiver gets
// each video source through its own VideoProjection: one simulcast encoding projected onto the
// source's first SSRC, switched only at keyframes, with continuous sequence numbers, timestamps,
// picture ids and TL0PICIDX. Which sources a receiver gets, and the highest encoding of each, is
// the forwarding controller's decision (set_video_targets); the projection follows the best
// encoding the sender actually sends within that limit. A receiver whose transport is not
// connected is skipped before its projection sees the packet (counted), so its first forwarded
// frame is a keyframe the projection asks the sender for. Receivers' PLI/FIR become throttled
// keyframe requests to the sender; their NACKs are answered from a per-receiver cache of what
// was sent, as RTX when they negotiated it. Towards senders the bridge sends receiver reports,
// NACKs and transport-cc feedback; sender reports are forwarded with SSRC and timestamp
// translated.
//
// Sans-IO and single-threaded: packets and time in; encrypted datagrams out through the
// output callback, which must not call back into the router.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bridge/bwe/probing_pacer.hpp"
#include "bridge/bwe/send_side_bwe.hpp"
#include "bridge/conference/endpoint.hpp"
#include "bridge/core/rate_meter.hpp"
#include "bridge/core/socket_address.hpp"
#include "bridge/core/time.hpp"
#include "bridge/media/feedback/duplicate_filter.hpp"
#include "bridge/media/feedback/nack_generator.hpp"
#include "bridge/media/feedback/packet_cache.hpp"
#include "bridge/media/feedback/receive_statistics.hpp"
#include "bridge/media/feedback/rr_generator.hpp"
#include "bridge/media/feedback/rtx.hpp"
#include "bridge/media/feedback/sr_translator.hpp"
#include "bridge/media/feedback/tcc_feedback_generator.hpp"
#include "bridge/media/projection/keyframe_requester.hpp"
#include "bridge/media/projection/video_projection.hpp"
#include "bridge/media/rewriting/ssrc_rewriter.hpp"
#include "bridge/rtp/rtp_packet.hpp"
#include "bridge/signaling/colibri2.hpp"
#include "bridge/stats/bridge_stats.hpp"
#include "bridge/transport/media_port.hpp"

namespace jvb::conference {

struct EndpointMediaStats {
  std::uint64_t incoming_bps = 0, outgoing_bps = 0;
  std::uint64_t incoming_packets = 0, outgoing_packets = 0;
  std::uint64_t incoming_bytes = 0, outgoing_bytes = 0;
  std::optional<Duration> rtt;  // the latest round trip its reports measured
  double outgoing_loss = 0;     // what its reports said it lost, over the last statistics interval
};

class Router {
 public:
  using Output = std::function<void(const SocketAddress& to, std::span<const std::uint8_t> datagram)>;
  // Where each receiver's copy of a forwarded packet is built: a slot of the caller's send batch,
  // so the packet is copied once, straight to where it leaves from, and encrypted there.
  // reserve() gives kSendSlotSize writable bytes; commit() sends the first `length` bytes of the
  // slot last reserved to `to`; a slot not committed is reused by the next reserve(). Without
  // them the router builds in its own buffer and hands the result to `output`.
  static constexpr std::size_t kSendSlotSize = 1500 + 64 + 64;  // packet, mid stamp, SRTP trailer
  struct SendSlots {
    std::function<std::span<std::uint8_t>()> reserve;
    std::function<void(const SocketAddress& to, std::size_t length)> commit;
  };
  Router(transport::MediaPort& port, Output output, SendSlots slots = {});
  ~Router();
  // The default send slots point into the router itself.
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Conference membership and each endpoint's signaled media, read from its record (again on
  // every call: call it after the record changed). Members of one `conference` see each other,
  // `feedback_*` are the conference's own SSRCs for bridge RTCP. The router puts its part on the
  // record; the record and its transport on the port must stay until remove_endpoint().
  void set_endpoint(Endpoint& endpoint, std::uint32_t feedback_audio_ssrc, std::uint32_t feedback_video_ssrc);
  void remove_endpoint(Endpoint& endpoint);

  // Which video sources `receiver` gets, and the highest simulcast encoding of each (0 the
  // lowest); every source not listed is suspended. Replaces the previous set.
  struct VideoTarget {
    transport::EndpointHandle sender = 0;
    std::string source;
    int max_encoding = -1;
    std::string video_type = "CAMERA";  // as VideoSourcesMap names it, for SSRC rewriting
    bool operator==(const VideoTarget&) const = default;
  };
  void set_video_targets(transport::EndpointHandle receiver, const std::vector<VideoTarget>& targets);

  // Which audio sources `receiver` gets (bridge-channel ReceiverAudioSubscription): all by
  // default; `exclude` wins over `include`, which wins over `all`.
  struct AudioSubscription {
    bool all = true;
    std::vector<std::string> include, exclude;
    bool wants(const std::string& source) const;
  };
  void set_audio_subscription(transport::EndpointHandle receiver, AudioSubscription subscription);

  // SSRC rewriting for a receiver with the "ssrc-rewriting" capability (JVB's SsrcCache):
  // its forwarded sources go out on bridge-chosen slot SSRCs. The mapping sink is told when a
  // receiver's slot assignment changed; take_mappings() then gives what to announce
  // (VideoSourcesMap / AudioSourcesMap) before media flows on the new slots.
  void enable_ssrc_rewriting(transport::EndpointHandle receiver, const media::SsrcRewriterConfig& config,
                             std::uint64_t seed);
  // The sink may call take_mappings() and send messages, nothing else of the router.
  using MappingSink = std::function<void(transport::EndpointHandle receiver)>;
  void set_mapping_sink(MappingSink sink) { mapping_sink_ = std::move(sink); }
  // The changed mappings of one kind (or all of them), empty for receivers without rewriting.
  std::vector<media::SourceMapping> take_mappings(transport::EndpointHandle receiver, media::SlotKind kind,
                                                  bool all = false);

  // RFC 6464 levels (0 loudest, 127 silence) of audio that is forwarded, per sending endpoint.
  using AudioLevelSink =
      std::function<void(transport::EndpointHandle sender, std::uint8_t level, Timestamp now)>;
  void set_audio_level_sink(AudioLevelSink sink) { audio_level_sink_ = std::move(sink); }

  // What a sender's video sources are made of, for the allocation: per simulcast encoding the
  // last resolution seen in a keyframe (the smaller dimension, as ReceiverVideoConstraints'
  // maxHeight means it), whether it is being sent, and its bitrate.
  struct EncodingInfo {
    int height = -1;  // -1: no keyframe seen yet
    bool active = false;
    std::uint64_t bps = 0;
  };
  struct VideoSourceInfo {
    std::string name;
    std::vector<EncodingInfo> encodings;  // lowest first
  };
  std::vector<VideoSourceInfo> video_sources(transport::EndpointHandle sender, Timestamp now);

  // Decrypted media from `from`. `slot` is the whole receive buffer; the packet is its first
  // `length` bytes. The slot may be modified.
  void on_rtp(Timestamp now, transport::EndpointHandle from, std::span<std::uint8_t> slot,
              std::size_t length);
  void on_rtcp(Timestamp now, transport::EndpointHandle from, std::span<std::uint8_t> slot,
               std::size_t length);

  // Receiver reports, NACKs and transport-cc feedback towards senders. Returns when next due.
  std::optional<Timestamp> on_timer(Timestamp now);

  std::optional<EndpointMediaStats> stats(transport::EndpointHandle endpoint, Timestamp now);
  // What the link to this receiver can take, in bit/s: the bridge's estimate from its
  // transport-cc feedback, or the REMB it sends without transport-cc; nullopt before either.
  std::optional<std::uint64_t> bandwidth_estimate(transport::EndpointHandle receiver) const;
  // What the allocation sends this receiver (target) and would send it with no limit (ideal):
  // the estimator probes towards the ideal, and the router pads up to the estimate while the
  // target is below it (bwe::ProbingPacer).
  void set_allocation_bitrates(transport::EndpointHandle receiver, std::int64_t target_bps,
                               std::int64_t ideal_bps, Timestamp now);
  // The estimator's settings for receivers with transport-cc (jmt.bwe.estimator).
  void set_bwe_config(const bwe::BweConfig& config) { bwe_config_ = config; }
  // The estimator's state for /debug; nullopt without transport-cc.
  std::optional<bwe::BweSnapshot> bwe_snapshot(transport::EndpointHandle receiver) const;
  // The padding sent towards the receiver, for /debug.
  std::optional<bwe::ProbingCounters> probing(transport::EndpointHandle receiver) const;

  // One stream a sender sends, for /debug.
  struct IncomingStream {
    std::string source;
    bool video = false;
    int encoding = 0;  // video: 0 is the lowest quality
    std::uint32_t ssrc = 0;
    std::uint64_t packets = 0;
    std::optional<std::uint64_t> bps;     // video
    std::int64_t expected = 0, lost = 0;  // RFC 3550 A.3, since the stream started
    std::uint32_t jitter = 0;             // in RTP timestamp units
    int height = 0;                       // video: from its keyframes, 0 before the first
  };
  std::vector<IncomingStream> incoming_streams(transport::EndpointHandle sender, Timestamp now) const;
  // When the endpoint last sent RTP (of any kind, as JVB's connectivity status counts it).
  std::optional<Timestamp> last_rtp_received(transport::EndpointHandle endpoint) const;

  // What one receiver gets of one sender's video source, for /debug.
  struct ProjectionInfo {
    transport::EndpointHandle sender = 0;
    std::string source;
    int target = -1, current = -1;
    media::VideoProjectionCounters counters;
    std::vector<std::uint64_t> packets_per_encoding, keyframes_per_encoding;  // what the sender sent
  };
  std::vector<ProjectionInfo> projections(transport::EndpointHandle receiver) const;

  // A receiver with SSRC rewriting: its slots in use and what its rewriter did, for /debug.
  struct RewritingInfo {
    std::size_t video_slots = 0, audio_slots = 0;  // mapped now
    bool mids = false;                             // sdes:mid stamped (rtp-mid-demux)
    media::SsrcRewriterCounters counters;
  };
  std::optional<RewritingInfo> rewriting(transport::EndpointHandle receiver) const;

  struct Counters {
    std::uint64_t rtp_in = 0, rtcp_in = 0;
    std::uint64_t dropped_unparsable = 0, dropped_unknown_ssrc = 0, dropped_muted = 0, dropped_unknown_pt = 0;
    std::uint64_t dropped_duplicate = 0, dropped_rtx_padding = 0, dropped_malformed_rtcp = 0;
    std::uint64_t rtp_out = 0, rtcp_out = 0, send_failures = 0;
    std::uint64_t keyframe_requests_sent = 0, nacks_received = 0, retransmissions = 0,
                  retransmission_misses = 0;
    std::uint64_t dropped_receiver_not_connected = 0;  // per receiver: its transport was not up
    std::uint64_t dropped_by_rewriting = 0;            // no slot yet, or a new slot waits for a keyframe
    std::uint64_t dropped_extension_failure = 0;       // a receiver's header extensions could not be written
    std::uint64_t padding_packets = 0, padding_bytes = 0;  // probing: RTX copies sent as padding
    std::uint64_t bytes_in = 0, bytes_out = 0;             // RTP and RTCP, plain
    std::uint64_t keyframes_received = 0;
    // Receivers' reports of what the bridge sent them: the sum of their fractions lost.
    double outgoing_loss_sum = 0;
    std::uint64_t outgoing_loss_reports = 0;
    // Report blocks whose LSR matched no SR the bridge sent, or gave an impossible round trip.
    std::uint64_t round_trip_unmatched = 0, round_trip_implausible = 0;
    // The time video streams were received (JVB: gaps under a second between a primary
    // encoding's packets, summed over the streams).
    Duration video_received{};
  };

  // The media figures of the bridge's statistics: activity, rates and loss of the endpoints,
  // the counters above. Call it at most once per statistics interval: it closes the interval
  // the incoming loss is counted over.
  void collect_stats(Timestamp now, stats::WorkerStats& out);
  const Counters& counters() const { return counters_; }

 private:
  friend struct EndpointRouting;
  struct Conference;
  struct VideoSource;
  struct AudioSource;
  EndpointRouting* find(transport::EndpointHandle id);
  // Rebuilds the subscription lists of every source of the conference (control plane).
  void rebuild_routes(Conference& conference);
  void forward_audio(Timestamp now, EndpointRouting& sender, AudioSource& source,
                     std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed);
  void forward_video(Timestamp now, EndpointRouting& sender, VideoSource& source, int encoding,
                     std::span<std::uint8_t> packet, const rtp::RtpPacket& parsed);
  // A receiver's request counts against that receiver's own limit as well as the source's.
  void request_keyframe(Timestamp now, EndpointRouting& sender, VideoSource& source, int encoding,
                        media::KeyframeRequestWindow* receiver_window = nullptr);
  void handle_keyframe_request(Timestamp now, EndpointRouting& receiver, std::uint32_t media_ssrc);
  std::optional<std::uint32_t> rtx_partner(const EndpointRouting& receiver, std::uint32_t projected_ssrc);
  void handle_nack(Timestamp now, EndpointRouting& receiver, std::uint32_t media_ssrc, std::uint16_t seq);
  // A cached packet to send again into scratch_: as RTX when the receiver has RTX for it, else
  // unchanged (or not at all when `rtx_only`). Returns its length.
  std::optional<std::size_t> build_resend(EndpointRouting& receiver, std::uint32_t media_ssrc,
                                          std::span<const std::uint8_t> cached, bool rtx_only);
  // Sends what the receiver's pacer says is due.
  void pace_probing(Timestamp now, EndpointRouting& receiver);
  // RTX copies of recent video for one burst: (bytes, packets) sent, bytes -1 when there was
  // nothing to copy.
  std::pair<std::int64_t, std::int64_t> send_padding(Timestamp now, EndpointRouting& receiver,
                                                     const bwe::ProbingPacer::Burst& burst);
  void forward_sender_report(Timestamp now, EndpointRouting& sender, std::span<const std::uint8_t> sr_packet);
  // The first packet of a keyframe of the sender's VP8, VP9 (its base layer) or H.264 (an
  // access unit with SPS, PPS or an IDR slice), with the picture's height when the packet tells
  // it (0 otherwise); nullopt for any other packet.
  struct Keyframe {
    int height = 0;
  };
  static std::optional<Keyframe> keyframe_start(const EndpointRouting& sender, const rtp::RtpPacket& packet);
  // What a receiver's report blocks (in its RRs and SRs) say of what the bridge sent it.
  void on_report_blocks(Timestamp now, EndpointRouting& receiver, const rtcp::ReportBlockList& blocks);
  // The last steps for a receiver with SSRC rewriting: slot SSRC, numbering and mid. Returns
  // the length to send, or nullopt when the packet must not go out (counted).
  // `buffer` holds the receiver's copy (`length` bytes) and has room for the mid to grow it.
  std::optional<std::size_t> rewrite_for(Timestamp now, EndpointRouting& receiver, EndpointRouting& sender,
                                         VideoSource* source, int encoding, const std::string* audio_name,
                                         std::span<std::uint8_t> buffer, std::size_t length);
  // Writes the receiver's transport-wide sequence number into a video packet for it (JVB tags
  // video only), or the bridge's abs-send-time for a receiver without transport-cc. `buffer` has
  // room for the packet to grow. Returns the new length, or nullopt when it cannot be written.
  std::optional<std::size_t> stamp_transport(Timestamp now, EndpointRouting& receiver,
                                             std::span<std::uint8_t> buffer, std::size_t length,
                                             std::int32_t probe_cluster = bwe::kNotAProbe);
  // Encrypts the receiver's copy in place: where it goes and its protected length, or nullopt
  // (not connected, or encryption failed: counted).
  std::optional<std::pair<SocketAddress, std::size_t>> protect_for(EndpointRouting& receiver,
                                                                   std::span<std::uint8_t> buffer,
                                                                   std::size_t length);
  // Copies: RTX and anything not built in a send slot.
  void send_rtp(EndpointRouting& receiver, std::span<std::uint8_t> buffer, std::size_t length);
  // Encrypts the receiver's copy in its send slot and commits it.
  void send_rtp_in_slot(EndpointRouting& receiver, std::span<std::uint8_t> slot, std::size_t length);
  void send_rtcp(EndpointRouting& to, std::span<std::uint8_t> buffer, std::size_t length);

  transport::MediaPort& port_;
  Output output_;
  SendSlots slots_;
  std::unordered_map<transport::EndpointHandle, EndpointRouting*> endpoints_;  // the parts on the records
  std::unordered_map<std::string, std::unique_ptr<Conference>> conferences_;
  AudioLevelSink audio_level_sink_;
  MappingSink mapping_sink_;
  std::vector<std::uint8_t> scratch_;  // one receiver's copy at a time
  std::vector<std::uint8_t> rtcp_scratch_;
  Counters counters_;
  bwe::BweConfig bwe_config_;
  std::optional<Timestamp> next_bwe_process_;
  std::uint64_t incoming_expected_ = 0, incoming_lost_ = 0;  // as of the last collect_stats()
};

}  // namespace jvb::conference
