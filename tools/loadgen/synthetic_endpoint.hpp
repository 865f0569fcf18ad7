// One synthetic Jitsi participant as the bridge sees a browser: the client side of the
// project's own transport (EndpointTransport: ICE controlled, as the bridge is controlling;
// DTLS active, answering the bridge's actpass; SRTP from the DTLS keys, RFC 5764), sending
// Opus-shaped audio with RFC 6464 levels and VP8 simulcast (audio_source.hpp, vp8_source.hpp),
// every RTP packet with the transport-wide sequence number
// (draft-holmer-rmcat-transport-wide-cc-extensions-01), answering PLI/FIR (RFC 4585 §6.3.1,
// RFC 5104 §4.3.1) with a keyframe on that layer and NACKs (RFC 4585 §6.2.1) with RTX from a
// small history (RFC 4588); sending SR + SDES per sending SSRC and RRs about what it receives
// every second (RFC 3550 §6.4), NACKs for missing video and transport-cc feedback when the
// bridge's packets carry the transport-wide sequence number. It measures what the bridge
// forwards to it (receive_stats.hpp).
//
// Sampling: a sampled endpoint decrypts every packet and parses payloads (send time -> added
// latency; VP8 keyframes -> the layer it gets). An unsampled one skips SRTP unprotect for
// media and reads the clear RTP header only (SSRC, sequence number, timestamp: enough for
// counts, loss, jitter and NACKs); it still decrypts RTCP and the (rare) RTX packets, so PLI,
// NACK and RTX repair work the same, and ICE consent and DTLS are untouched.
//
// Sans-IO (see ARCHITECTURE.md): datagrams and time in; datagrams (outgoing()) and the next
// wake-up out. One owner thread; not thread-safe. Payload types and extension ids are those of
// tools/focus/sdp.hpp endpoint_medias(), which this endpoint is allocated with.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/core/socket_address.hpp"
#include "bridge/core/time.hpp"
#include "bridge/dtls/dtls_certificate.hpp"
#include "bridge/media/feedback/nack_generator.hpp"
#include "bridge/media/feedback/packet_cache.hpp"
#include "bridge/media/feedback/receive_statistics.hpp"
#include "bridge/media/feedback/rr_generator.hpp"
#include "bridge/media/feedback/tcc_feedback_generator.hpp"
#include "bridge/signaling/colibri2.hpp"
#include "bridge/transport/endpoint_transport.hpp"
#include "tools/loadgen/audio_source.hpp"
#include "tools/loadgen/outgoing_queue.hpp"
#include "tools/loadgen/receive_stats.hpp"
#include "tools/loadgen/scenario.hpp"
#include "tools/loadgen/vp8_source.hpp"

namespace jvb::loadgen {

struct EndpointConfig {
  bool dtx = false;
  Vp8SourceConfig video;
  Duration rtcp_interval = std::chrono::seconds(1);
  std::size_t rtx_history = 128;  // packets kept per video SSRC for retransmission
  transport::TransportConfig transport;
};

// A remote stream this endpoint receives (RTX is folded into the SSRC it repairs).
struct RemoteStream {
  std::uint32_t ssrc = 0;
  SsrcInfo info;
  StreamReceiveStats loss;
  std::unique_ptr<media::ReceiveStatistics> rtcp;  // jitter and the RR's report block
  std::unique_ptr<media::NackGenerator> nack;      // video only
  int height = 0;                                  // from its latest keyframe (sampled only)
};

struct LayerCounters {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};

struct EndpointCounters {
  // Sent.
  std::uint64_t rtp_sent = 0, rtp_bytes_sent = 0;  // wire bytes, RTX included
  std::uint64_t audio_sent = 0, video_sent = 0, rtx_sent = 0;
  std::uint64_t rtcp_sent = 0, nacks_sent = 0, tcc_feedback_sent = 0;
  std::uint64_t not_sent = 0;  // protect refused: not connected (yet), or consent lost
  // Frames due but never sent because the generator woke up late: it is overloaded, and the
  // bridge's figures are not what they would be at the intended load.
  std::uint64_t audio_frames_late = 0, video_frames_late = 0;
  // Received.
  std::uint64_t rtp_received = 0, rtp_bytes_received = 0;
  std::uint64_t decrypted = 0, not_decrypted = 0;  // RTP that was or was not unprotected
  std::uint64_t rtcp_received = 0;
  std::uint64_t plis_received = 0, firs_received = 0, nacks_received = 0, nacked_packets = 0;
  std::uint64_t rtx_unavailable = 0;  // NACKed but no longer in the history
  std::uint64_t tcc_feedback_received = 0, sr_received = 0, rr_received = 0;
  std::uint64_t keyframes_received = 0;
  std::uint64_t unknown_ssrc = 0, malformed = 0;
};

class SyntheticEndpoint {
 public:
  SyntheticEndpoint(const EndpointPlan& plan, const SsrcDirectory& directory, const EndpointConfig& config,
                    std::shared_ptr<const dtls::DtlsCertificate> certificate, SocketAddress local,
                    std::uint64_t tie_breaker);

  const EndpointPlan& plan() const { return plan_; }

  // ---- signaling ----
  // What Jicofo would put in the endpoint update from this client's answer: ufrag, pwd, the
  // fingerprint with setup active, one host candidate (the local socket).
  signaling::IceUdpTransport local_transport() const;
  // The bridge's transport from its endpoint create answer; an error text when it is unusable.
  std::optional<std::string> set_bridge_transport(const signaling::IceUdpTransport& bridge, Timestamp now);

  // ---- data path ----
  // A datagram from `from` on this endpoint's socket; SRTP is decrypted in place as needed.
  void handle_datagram(Timestamp now, const SocketAddress& from, std::span<std::uint8_t> datagram);
  void handle_timeout(Timestamp now);
  std::optional<Timestamp> next_timeout() const;
  OutgoingQueue& outgoing() { return out_; }

  // ---- the run ----
  // Zeroes what the report reads: counters, latencies, per-stream loss and layers.
  void start_measurement();
  // The end of the run: no more media or RTCP (ICE and DTLS still answer).
  void stop_media();

  bool connected() const { return transport_.state() == transport::TransportState::kConnected; }
  std::optional<Timestamp> connected_at() const { return connected_at_; }
  const std::string& failure() const { return failure_; }
  const transport::EndpointTransport& transport() const { return transport_; }

  const EndpointCounters& counters() const { return counters_; }
  const LatencyHistogram& audio_latency() const { return audio_latency_; }
  const LatencyHistogram& video_latency() const { return video_latency_; }
  const std::map<int, LayerCounters>& layers() const { return layers_; }  // by height
  const std::unordered_map<std::uint32_t, RemoteStream>& streams() const { return streams_; }

 private:
  struct SendStream {
    std::uint32_t ssrc = 0;
    std::uint32_t clock_rate = 0;
    std::uint16_t seq = 0;
    std::uint32_t packets = 0;
    std::uint32_t octets = 0;                                 // payload octets (RFC 3550 §6.4.1)
    std::optional<std::pair<std::uint32_t, Timestamp>> last;  // RTP timestamp and capture time
  };

  void on_transport_events(Timestamp now);
  void start_media(Timestamp now);
  void on_rtp(Timestamp now, std::span<std::uint8_t> packet, std::size_t wire_size, bool decrypted);
  void on_rtcp(Timestamp now, std::span<const std::uint8_t> packet);
  void on_nack(Timestamp now, std::uint32_t media_ssrc, std::uint16_t seq);
  void measure_payload(Timestamp now, RemoteStream& stream, std::span<const std::uint8_t> payload);
  RemoteStream* stream_for(std::uint32_t ssrc, const SsrcInfo& info);

  void send_audio(Timestamp now, const AudioFrame& frame);
  void send_video(Timestamp now, const Vp8PacketInfo& info, std::span<const std::uint8_t> payload);
  void send_rtcp_reports(Timestamp now);
  void send_nacks(Timestamp now);
  // Protects the plain packet in the slot and queues it; false when it could not go out.
  bool queue_rtp(std::span<std::uint8_t> slot, std::size_t length);
  bool queue_rtcp(std::span<std::uint8_t> slot, std::size_t length);
  void drain_transport();

  EndpointPlan plan_;
  const SsrcDirectory& directory_;
  EndpointConfig config_;
  SocketAddress local_;
  transport::EndpointTransport transport_;
  OutgoingQueue out_;

  AudioSource audio_;
  Vp8Source video_;
  SendStream audio_stream_;
  std::array<SendStream, kLayers> video_streams_{};
  std::array<std::uint16_t, kLayers> rtx_seq_{};
  std::uint16_t transport_seq_ = 0;
  media::PacketCache history_;
  bool media_on_ = false;
  bool media_stopped_ = false;
  std::optional<Timestamp> connected_at_;
  std::string failure_;

  std::unordered_map<std::uint32_t, RemoteStream> streams_;
  std::vector<media::ReceiveStatistics*> rr_streams_;
  std::optional<Timestamp> nack_due_;
  media::RrGenerator rr_;
  std::optional<Timestamp> next_sr_;
  media::TransportCcFeedbackGenerator tcc_;
  std::optional<std::uint32_t> tcc_media_ssrc_;  // a stream the feedback names

  EndpointCounters counters_;
  LatencyHistogram audio_latency_, video_latency_;
  std::map<int, LayerCounters> layers_;
};

}  // namespace jvb::loadgen
