// WebRTC data channels (RFC 8831) on one SCTP association, opened in-band with DCEP
// (RFC 8832), the way the bridge channel uses them (lib-jitsi-meet's BridgeChannel opens one).
//
// Bridge (passive) side: the peer sends INIT and a DATA_CHANNEL_OPEN (PPID 50) on a stream id
// it chooses; we answer DATA_CHANNEL_ACK on that stream and report the channel open at once. At
// most Options::max_channels (videobridge.sctp.max-channels, default 1) are accepted; a further
// OPEN gets no ACK and is counted as rejected_data_channels. On an open channel, PPID 51 (UTF-8
// text) is reported as a message; PPID 53 (binary) is counted and ignored; PPID 56/57 and any
// other PPID, and data on a stream without a channel, are dropped and counted. The peer closing a
// channel (resetting its stream) closes ours too (RFC 8831 §6.7).
//
// Opening side (tests, bridge-to-bridge relays): open_channel() sends a reliable ordered OPEN on
// the lowest free stream id of our parity (RFC 8832 §6: even when we are the DTLS client, odd
// when the DTLS server) and treats the channel as open on the ACK, or on the first data that
// arrives on it (§6: any message received on the channel acknowledges the OPEN).
//
// Named a session rather than an endpoint: "endpoint" is a conference participant in the bridge.
// Sans-IO, same shape and rules as SctpAssociation (sctp_association.hpp): the owning thread
// feeds packets and time, drains poll_packet()/poll_event() after any call, and follows
// next_timeout(). Nothing calls back into the owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/core/time.hpp"
#include "sctp/dcep.hpp"
#include "sctp/sctp_association.hpp"

namespace jvb::sctp {

enum class DataChannelEventKind {
  kConnected,      // the SCTP association is up
  kChannelOpen,    // stream_id, label, protocol
  kMessage,        // stream_id, text
  kChannelClosed,  // stream_id: the peer reset the channel's stream
  kClosed,         // the association is gone: reason; every channel is closed with it
};

struct DataChannelEvent {
  DataChannelEventKind kind;
  std::uint16_t stream_id = 0;
  std::string label;                                // kChannelOpen
  std::string protocol;                             // kChannelOpen
  std::string text;                                 // kMessage: as received (not checked for valid UTF-8)
  SctpCloseReason reason = SctpCloseReason::kNone;  // kClosed
};

enum class OpenChannelError { kNotConnected, kTooManyChannels, kNoFreeStream, kSendFailed };
std::string_view open_channel_error_name(OpenChannelError error);

class DataChannelSession {
 public:
  struct Options {
    SctpAssociation::Options sctp{};
    // Channels open at once, whoever opened them (videobridge.sctp.max-channels).
    std::size_t max_channels = 1;
    // Our DTLS role decides the parity of the stream ids open_channel() picks (RFC 8832 §6).
    bool dtls_client = false;
  };

  struct Counters {
    std::uint64_t channels_opened = 0;         // by the peer's OPEN or by our open_channel()
    std::uint64_t channels_closed = 0;         // by the peer's stream reset
    std::uint64_t rejected_data_channels = 0;  // OPEN beyond max_channels: no ACK
    std::uint64_t dcep_malformed = 0;          // PPID 50 messages that do not parse
    std::uint64_t dcep_duplicate_opens = 0;    // OPEN on a stream that already has a channel
    std::uint64_t dcep_unexpected_acks = 0;    // ACK with no OPEN of ours waiting for it
    std::uint64_t dcep_ack_send_failures = 0;  // our ACK could not be queued (channel opened anyway)
    std::uint64_t text_messages_in = 0;
    std::uint64_t text_messages_out = 0;
    std::uint64_t binary_messages_ignored = 0;   // PPID 53 on an open channel
    std::uint64_t other_ppid_dropped = 0;        // PPID 56, 57 and anything unknown, on an open channel
    std::uint64_t messages_without_channel = 0;  // user data on a stream with no channel
    std::uint64_t messages_queue_full = 0;       // reported messages dropped: event queue full
    std::uint64_t sends_no_channel = 0;          // send_text() with no open channel
  };

  explicit DataChannelSession(Options options);
  DataChannelSession() : DataChannelSession(Options{}) {}
  DataChannelSession(const DataChannelSession&) = delete;
  DataChannelSession& operator=(const DataChannelSession&) = delete;

  // Client role of the association (tests, relays): sends INIT.
  void connect(Timestamp now);
  void handle_packet(Timestamp now, std::span<const std::uint8_t> packet);
  void handle_timeout(Timestamp now);
  std::optional<Timestamp> next_timeout() const { return association_.next_timeout(); }

  // Sends a DATA_CHANNEL_OPEN (reliable, ordered) and returns the stream id chosen. The channel
  // counts towards max_channels at once and reports kChannelOpen when acknowledged.
  Result<std::uint16_t, OpenChannelError> open_channel(std::string_view label, std::string_view protocol,
                                                       Timestamp now);

  // One text message (PPID 51) on the channel with the lowest stream id (the bridge channel), or
  // on `stream_id`'s channel. The channel may still wait for its ACK (RFC 8832 §6 allows it). "" goes as PPID
  // 56 with one byte 0 (RFC 8831 §6.6).
  SendStatus send_text(std::string_view text, Timestamp now);
  SendStatus send_text(std::uint16_t stream_id, std::string_view text, Timestamp now);

  // Aborts the association; the ABORT is left in poll_packet(). No event.
  void close();

  std::optional<std::vector<std::uint8_t>> poll_packet();
  std::optional<DataChannelEvent> poll_event();

  bool connected() const { return association_.state() == SctpState::kConnected; }
  // The stream id of the first open channel (the bridge channel), if any.
  std::optional<std::uint16_t> open_channel_stream() const;
  std::size_t channel_count() const { return channels_.size(); }
  const Counters& counters() const { return counters_; }
  const SctpAssociation& association() const { return association_; }

 private:
  struct Channel {
    bool open = false;  // false: our OPEN waits for its ACK
    std::string label;
    std::string protocol;
  };

  // Handles everything the association reported since the last call; this is where DCEP
  // answers are sent, so every public call ends with it.
  void pump(Timestamp now);
  void on_message(SctpEvent& message, Timestamp now);
  void on_dcep(std::uint16_t stream_id, std::span<const std::uint8_t> message, Timestamp now);
  void mark_open(std::uint16_t stream_id, Channel& channel);
  void report(DataChannelEvent event);

  Options options_;
  SctpAssociation association_;
  std::map<std::uint16_t, Channel> channels_;  // by stream id; at most max_channels entries
  std::deque<DataChannelEvent> events_;
  std::size_t queued_messages_ = 0;
  std::size_t queued_bytes_ = 0;
  std::optional<Timestamp> last_now_;
  Counters counters_;
};

}  // namespace jvb::sctp
