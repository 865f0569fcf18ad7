// The packet path of a conference (shared/docs/media-plane.md §2-4, the "must have" list of
// §12): what arrives decrypted from one endpoint, and what each other endpoint receives.
//
// Audio goes to every other endpoint with header extensions stripped except audio-level.
// Video has RTX removed on receive, then each receiver gets each video source through its own
// VideoProjection: one simulcast encoding projected onto the source's first SSRC, switched
// only at keyframes, with continuous sequence numbers, timestamps, picture ids and
// TL0PICIDX. Receivers' PLI/FIR become throttled keyframe requests to the sender; their NACKs
// are answered from a per-receiver cache of what was sent, as RTX when they negotiated it.
// Towards senders the bridge sends receiver reports, NACKs and transport-cc feedback; sender
// reports are forwarded with SSRC and timestamp translated.
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
#include <vector>

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
#include "bridge/rtp/rtp_packet.hpp"
#include "bridge/signaling/colibri2.hpp"
#include "bridge/transport/media_port.hpp"

namespace jvb::conference {

// What signaling told the bridge about one endpoint's media.
struct EndpointMediaDescription {
  std::vector<signaling::Media> medias;
  std::vector<signaling::MediaSource> sources;
  signaling::ForceMute force_mute;
};

struct EndpointMediaStats {
  std::uint64_t incoming_bps = 0, outgoing_bps = 0;
  std::uint64_t incoming_packets = 0, outgoing_packets = 0;
  std::uint64_t incoming_bytes = 0, outgoing_bytes = 0;
};

class Router {
 public:
  using Output = std::function<void(const SocketAddress& to, std::span<const std::uint8_t> datagram)>;
  Router(transport::MediaPort& port, Output output);
  ~Router();

  // Conference membership and each endpoint's signaled media; `conference` groups endpoints
  // that see each other, `feedback_*` are the conference's own SSRCs for bridge RTCP.
  void set_endpoint(const std::string& conference, transport::EndpointId endpoint,
                    std::uint32_t feedback_audio_ssrc, std::uint32_t feedback_video_ssrc,
                    const EndpointMediaDescription& description);
  void remove_endpoint(transport::EndpointId endpoint);

  // Decrypted media from `from`. `slot` is the whole receive buffer; the packet is its first
  // `length` bytes. The slot may be modified.
  void on_rtp(Timestamp now, transport::EndpointId from, std::span<std::uint8_t> slot, std::size_t length);
  void on_rtcp(Timestamp now, transport::EndpointId from, std::span<std::uint8_t> slot, std::size_t length);

  // Receiver reports, NACKs and transport-cc feedback towards senders. Returns when next due.
  std::optional<Timestamp> on_timer(Timestamp now);

  std::optional<EndpointMediaStats> stats(transport::EndpointId endpoint, Timestamp now);

  // What one receiver gets of one sender's video source, for /debug.
  struct ProjectionInfo {
    transport::EndpointId sender = 0;
    std::string source;
    int target = -1, current = -1;
    media::VideoProjectionCounters counters;
    std::vector<std::uint64_t> packets_per_encoding, keyframes_per_encoding;  // what the sender sent
  };
  std::vector<ProjectionInfo> projections(transport::EndpointId receiver) const;

  struct Counters {
    std::uint64_t rtp_in = 0, rtcp_in = 0;
    std::uint64_t dropped_unparsable = 0, dropped_unknown_ssrc = 0, dropped_muted = 0, dropped_unknown_pt = 0;
    std::uint64_t dropped_duplicate = 0, dropped_rtx_padding = 0, dropped_malformed_rtcp = 0;
    std::uint64_t rtp_out = 0, rtcp_out = 0, send_failures = 0;
    std::uint64_t keyframe_requests_sent = 0, nacks_received = 0, retransmissions = 0,
                  retransmission_misses = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  struct Endpoint;
  struct VideoSource;
  Endpoint* find(transport::EndpointId id);
  void forward_audio(Timestamp now, Endpoint& sender, std::span<std::uint8_t> slot, std::size_t length,
                     const rtp::RtpPacket& parsed);
  void forward_video(Timestamp now, Endpoint& sender, VideoSource& source, int encoding,
                     std::span<const std::uint8_t> packet, const rtp::RtpPacket& parsed);
  // A receiver's request counts against that receiver's own limit as well as the source's.
  void request_keyframe(Timestamp now, Endpoint& sender, VideoSource& source, int encoding,
                        media::KeyframeRequestWindow* receiver_window = nullptr);
  void handle_keyframe_request(Timestamp now, Endpoint& receiver, std::uint32_t media_ssrc);
  void handle_nack(Timestamp now, Endpoint& receiver, std::uint32_t media_ssrc, std::uint16_t seq);
  void forward_sender_report(Timestamp now, Endpoint& sender, std::span<const std::uint8_t> sr_packet);
  void send_rtp(Endpoint& receiver, std::span<std::uint8_t> buffer, std::size_t length);
  void send_rtcp(Endpoint& to, std::span<std::uint8_t> buffer, std::size_t length);

  transport::MediaPort& port_;
  Output output_;
  std::unordered_map<transport::EndpointId, std::unique_ptr<Endpoint>> endpoints_;
  std::vector<std::uint8_t> scratch_;  // one receiver's copy at a time
  std::vector<std::uint8_t> rtcp_scratch_;
  Counters counters_;
};

}  // namespace jvb::conference
