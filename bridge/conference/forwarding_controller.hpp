// What each receiver of a conference gets, decided as JVB decides it, and the bridge channel
// that steers it (JVB's BridgeChannelMessage.kt, cc/allocation and ConferenceSpeechActivity):
//  * the bridge channel's messages in both directions, whatever carries them (the SCTP data
//    channel or colibri-ws): ReceiverVideoConstraints and LastNChangedEvent feed each receiver's
//    allocation settings; EndpointMessage and EndpointStats are relayed with `from` set by the
//    bridge, inside the sender's conference only; SourceVideoTypeMessage records a source's
//    video type; ReceiverAudioSubscription selects the audio a receiver gets; ClientHello is
//    answered with ServerHello. A client's messages are rate-limited; what does not parse, or
//    comes too fast, is dropped and counted;
//  * receiver-driven allocation before any bandwidth estimate (an infinite budget): per receiver
//    the other members' video sources in speech order, its constraints and last-N (the
//    endpoint's lastN, cc.jvb-last-n, cc.initial-last-n, conference-last-n-limits) give the
//    sources it gets and the highest encoding of each; the router's projections then switch at
//    the next keyframe, which they ask the sender for. ForwardedSources tells the receiver what
//    it gets, SenderSourceConstraints tells each sender the most anyone wants of its sources;
//  * dominant speaker identification from the forwarded audio's RFC 6464 levels, which orders
//    last-N and is broadcast as DominantSpeakerEndpointChangeEvent;
//  * EndpointConnectivityStatusChangeEvent when a member's media stops and resumes.
//
// Control plane, on the thread that owns the conferences and their router; sans-IO: messages
// leave through the send callback (which must not call back in), time is passed in.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bridge/conference/allocation/allocation_settings.hpp"
#include "bridge/conference/allocation/allocator.hpp"
#include "bridge/conference/allocation/last_n_limits.hpp"
#include "bridge/conference/router.hpp"
#include "bridge/conference/speech/speech_activity.hpp"
#include "bridge/core/time.hpp"

namespace jvb::conference {

struct ForwardingOptions {
  allocation::AllocationSettingsConfig settings;
  allocation::AllocatorConfig allocator;
  allocation::LastNLimits conference_last_n_limits;
  int jvb_last_n = -1;
  int ssrc_limit_video = 50;
  speech::SpeechActivityConfig speech;
  std::optional<std::string> announced_version;  // ServerHello's version (version.announce)
  // Above this many members, EndpointStats go only to receivers interested in the sender.
  std::size_t stats_filter_threshold = 20;
  // A member whose media stopped this long is announced as inactive (ep-connection-status).
  Duration max_inactivity = std::chrono::seconds(8);
  Duration first_transfer_timeout = std::chrono::seconds(15);
  Duration connectivity_check_interval = std::chrono::milliseconds(500);
  // Layers come and go with the senders' own bandwidth, and resolutions are learnt from
  // keyframes: re-allocate at least this often (JVB: at most 5 s between allocations).
  Duration reallocation_interval = std::chrono::seconds(1);
  // Per endpoint: a burst of this many messages, refilled at the rate below; more is dropped.
  int message_burst = 100;
  int messages_per_second = 50;
  // The bandwidth estimate (cc.trust-bwe): untrusted, every receiver gets what it asks for. A
  // change smaller than bwe_change_threshold of the estimate last allocated with is not acted on.
  bool trust_bwe = true;
  double bwe_change_threshold = 0.15;
  // Whether the estimate limits the allocation (with trust_bwe). The router pads towards the
  // estimate while it holds the allocation down, so that a limited estimate can grow again.
  bool budget_from_estimate = true;
  // ConnectionStats with the downlink estimate to each endpoint this often (connection-stats).
  std::optional<Duration> connection_stats_interval = std::chrono::seconds(10);
};

enum class ChannelTransport { kSctp, kWebSocket };

class ForwardingController {
 public:
  // Sends on `via`, the transport that last received a message from the endpoint (or opened
  // last); the callback may fall back to the other one when `via` is gone (as JVB does).
  using SendMessage =
      std::function<bool(transport::EndpointHandle to, ChannelTransport via, const std::string& message)>;
  // Installs itself as the router's audio-level and mapping sink, for its lifetime.
  ForwardingController(ForwardingOptions options, Router& router, SendMessage send);
  ~ForwardingController();

  // ---- membership, from the conference manager ----
  // Reads the record (its conference, video sources, initial-last-n and capabilities) again on
  // every call, and puts the controller's part on it; the record stays until remove_endpoint().
  void set_endpoint(Endpoint& endpoint, Timestamp now);
  void remove_endpoint(Endpoint& endpoint, Timestamp now);

  // ---- the bridge channel ----
  // The channel opened (the data channel's DCEP OPEN, or a colibri-ws connection): the receiver
  // is brought up to date (ServerHello first on a WebSocket, ForwardedSources, the dominant
  // speaker, the inactive members).
  void on_channel_open(transport::EndpointHandle endpoint, ChannelTransport transport, Timestamp now);
  void on_channel_closed(transport::EndpointHandle endpoint, ChannelTransport transport);
  // One message from the endpoint (one SCTP message or WebSocket text frame).
  void on_message(transport::EndpointHandle endpoint, ChannelTransport via, std::string_view text,
                  Timestamp now);

  // ---- from the packet path ----
  // Its transport (ICE and DTLS) came up: its bridge channel is expected within
  // kMessageTransportDelay.
  void on_transport_connected(transport::EndpointHandle endpoint, Timestamp now);
  static constexpr Duration kMessageTransportDelay = std::chrono::seconds(30);
  void on_audio_level(transport::EndpointHandle sender, std::uint8_t level, Timestamp now);
  // The router put sources on new SSRC slots of this receiver: announce them.
  void on_mappings_changed(transport::EndpointHandle receiver);

  void handle_timeout(Timestamp now);
  std::optional<Timestamp> next_timeout() const;

  // For /debug: what one receiver gets and why.
  struct ReceiverState {
    bool channel_open = false;
    int last_n = -1;
    int effective_last_n = -1;
    std::vector<std::string> forwarded_sources;
    std::vector<std::string> on_stage_sources, selected_sources;
    int default_max_height = 0;
    std::uint64_t messages_in = 0, messages_out = 0, messages_dropped = 0;
  };
  std::optional<ReceiverState> receiver_state(transport::EndpointHandle endpoint) const;
  std::optional<std::string> dominant_speaker(const std::string& conference) const;

  struct Counters {
    std::uint64_t messages_in = 0, messages_out = 0;
    std::uint64_t dropped_unparsable = 0;      // bad JSON, unknown class, missing or wrong fields
    std::uint64_t dropped_unexpected = 0;      // a bridge -> client class from a client
    std::uint64_t dropped_rate_limited = 0;    // over the endpoint's message budget
    std::uint64_t dropped_unknown_target = 0;  // EndpointMessage to nobody in the conference
    std::uint64_t outgoing_dropped = 0;        // no open channel to send on
    std::uint64_t allocations = 0;
    std::uint64_t dominant_speaker_changes = 0;
    std::uint64_t endpoints_disconnected = 0, endpoints_reconnected = 0;  // connectivity events
    std::uint64_t endpoints_without_message_transport =
        0;  // no bridge channel kMessageTransportDelay after connecting
  };
  const Counters& counters() const { return counters_; }
  // Members announced inactive (their media stopped), now.
  std::size_t inactive_endpoints() const;
  // Receivers whose last allocation suspended a sending source, and those oversending.
  std::size_t endpoints_with_suspended_sources() const;
  std::size_t endpoints_oversending() const;

 private:
  friend struct EndpointForwarding;
  struct Conference;
  EndpointForwarding* find(transport::EndpointHandle id);
  void send(EndpointForwarding& to, const std::string& message);
  void broadcast(Conference& conference, const std::string& message, const EndpointForwarding* except);
  bool wants_stats_of(const Conference& conference, const EndpointForwarding& receiver,
                      const EndpointForwarding& sender) const;
  void reallocate(Conference& conference, Timestamp now);
  void send_speaker_events(Conference& conference);
  std::optional<std::string> speaker_event(const speech::DominantSpeakerMessage& message);
  void announce_mappings(EndpointForwarding& receiver, bool all);
  void check_connectivity(Conference& conference, Timestamp now);
  bool estimate_moved(const EndpointForwarding& endpoint) const;
  void send_connection_stats(Conference& conference, Timestamp now);

  ForwardingOptions options_;
  Router& router_;
  SendMessage send_;
  std::unordered_map<transport::EndpointHandle, EndpointForwarding*> endpoints_;  // the parts on the records
  std::map<std::string, std::unique_ptr<Conference>> conferences_;
  std::optional<Timestamp> next_connectivity_check_;
  Counters counters_;
};

}  // namespace jvb::conference
