// One SCTP association (RFC 9260) over one DTLS connection (SCTP over DTLS, RFC 8261), as WebRTC
// data channels use it (RFC 8831 §6): port 5000 on both sides, ordered reliable messages with a
// PPID, stream resets (RFC 6525) to close channels. The engine is usrsctp, reached only through
// UsrsctpSocket; the interface is shaped like dcsctp's DcSctpSocket so the engine can change.
//
// Sans-IO (see ARCHITECTURE.md): SCTP packets (one per DTLS application-data record) and
// `now` go in; SCTP packets for DTLS, events and the next deadline come out. Passive by
// default: it answers the peer's INIT and never sends one unless connect() is called (tests,
// and the client side of bridge-to-bridge relays).
//
// Who may call: the one thread that owns every SCTP association of the process (usrsctp's
// state is global; usrsctp_library.hpp). Nothing calls back into the owner: usrsctp's callbacks
// only queue onto the association. After any call, drain poll_packet() and poll_event() and
// re-read next_timeout(). Because usrsctp's timers are global, another association's
// handle_timeout() may queue packets or events here; they wait until this association is
// called or polled, at most one timer interval later when the owner keeps to next_timeout().
//
// Bad input is dropped and counted (Counters), never thrown. Memory is bounded: the usrsctp send
// and receive buffers, the reassembly of one message (max_message_size), and the queues of
// received messages and outgoing packets.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "bridge/core/time.hpp"
#include "sctp/usrsctp_library.hpp"

namespace jvb::sctp {

enum class [[nodiscard]] SendStatus{
    kOk,
    kNotConnected,  // no established association (yet, or any more)
    kNoChannel,     // data channels: no open channel to send on
    kEmpty,         // SCTP cannot carry an empty message (RFC 8831 §6.6 uses PPID 56/57 instead)
    kTooLarge,      // above Options::max_message_size
    kBufferFull,    // the send buffer has no room for the whole message
    kFailed,        // usrsctp refused for another reason (e.g. a stream id beyond the negotiated ones)
};
std::string_view send_status_name(SendStatus status);

enum class SctpState {
  kIdle,        // waiting for the peer's INIT (or for connect())
  kConnecting,  // connect() sent INIT
  kConnected,
  kClosed,  // for good; nothing more goes in or out
};

enum class SctpCloseReason {
  kNone,
  kLocalClose,   // close() (no event: the owner knows)
  kPeerAborted,  // the peer sent ABORT
  kLost,         // usrsctp aborted: retransmissions exhausted or a protocol violation
  kShutdown,     // graceful SHUTDOWN completed
  kCannotStart,  // our INIT was never answered
  kSetupFailed,  // usrsctp refused to create or configure the socket
};
std::string_view close_reason_name(SctpCloseReason reason);

enum class SctpEventKind { kConnected, kMessage, kStreamsReset, kClosed };

struct SctpEvent {
  SctpEventKind kind;
  std::uint16_t stream_id = 0;         // kMessage
  std::uint32_t ppid = 0;              // kMessage
  std::vector<std::uint8_t> data;      // kMessage: one whole user message
  std::vector<std::uint16_t> streams;  // kStreamsReset: the peer reset these streams (empty: all)
  SctpCloseReason reason = SctpCloseReason::kNone;  // kClosed
};

class SctpAssociation final : private UsrsctpSink {
 public:
  struct Options {
    std::uint16_t port = 5000;     // local and remote (RFC 8841 §5; JVB and browsers use 5000)
    std::uint16_t streams = 1024;  // inbound and outbound streams we offer
    // Larger messages are refused on send and dropped on receipt (the SDP max-message-size we
    // would advertise). Must fit into both buffers.
    std::size_t max_message_size = 256 * 1024;
    std::size_t send_buffer_size = 1 << 20;
    std::size_t receive_buffer_size = 1 << 20;  // also our advertised receive window
    // From this many bytes of a message on, usrsctp hands it over in pieces, which are
    // reassembled here; 0 leaves usrsctp's default (half the receive buffer).
    std::size_t partial_delivery_point = 0;
    // Received messages waiting in poll_event(). One call hands over at most about one receive
    // buffer, so with these defaults an owner that drains after every call never drops.
    std::size_t max_queued_messages = 4096;
    std::size_t max_queued_bytes = 1 << 20;
    std::size_t max_queued_packets = 4096;  // waiting in poll_packet()
    // The SCTP packet size: dcsctp's default, which fits IPv6's minimum MTU of 1280 with UDP and
    // DTLS overhead. Path MTU discovery is off (no ICMP through DTLS).
    std::uint32_t mtu = 1191;
    // RFC 9260 §16's RTO.Initial and RTO.Min; the maximum is JVB's 3 s timer backoff cap.
    Duration rto_initial = std::chrono::seconds(1);
    Duration rto_min = std::chrono::seconds(1);
    Duration rto_max = std::chrono::seconds(3);
    // JVB never gives up retransmitting (the endpoint's ICE and expiry decide when it is gone);
    // 65535 at <= 3 s apart is our closest to that.
    std::uint16_t max_retransmissions = 0xFFFF;
  };

  struct Counters {
    std::uint64_t packets_in = 0;  // everything given to handle_packet()
    std::uint64_t bytes_in = 0;
    std::uint64_t packets_out = 0;
    std::uint64_t bytes_out = 0;
    // Shorter than a common header plus one chunk header, or longer than kMaxPacketSize. Packets
    // usrsctp rejects (bad CRC32c, wrong verification tag) are dropped inside usrsctp, unseen.
    std::uint64_t packets_malformed = 0;
    std::uint64_t packets_after_close = 0;      // arrived in kClosed
    std::uint64_t packets_out_dropped = 0;      // max_queued_packets reached (owner not polling)
    std::uint64_t messages_in = 0;              // queued for poll_event()
    std::uint64_t messages_out = 0;             // accepted by send()
    std::uint64_t messages_in_too_large = 0;    // received above max_message_size, dropped
    std::uint64_t messages_in_queue_full = 0;   // received while the event queue was full, dropped
    std::uint64_t messages_in_pieces = 0;       // arrived through partial delivery (reassembled)
    std::uint64_t messages_in_interleaved = 0;  // a piece of another message cut one short: dropped
    std::uint64_t sends_not_connected = 0;      // send() drops, by reason
    std::uint64_t sends_too_large = 0;
    std::uint64_t sends_buffer_full = 0;
    std::uint64_t sends_failed = 0;
    std::uint64_t send_failures_reported = 0;  // accepted messages usrsctp later gave up on
    std::uint64_t stream_resets_in = 0;
    std::uint64_t restarts = 0;  // the peer restarted the association (RFC 9260 §5.2.4)
  };

  // A packet carries the 12-byte common header and at least one 4-byte chunk header
  // (RFC 9260 §3); DTLS records are never anywhere near the upper bound.
  static constexpr std::size_t kMinPacketSize = 16;
  static constexpr std::size_t kMaxPacketSize = 65536;

  // Creates the usrsctp socket and listens. If usrsctp refuses, the association starts kClosed
  // (kSetupFailed) and reports that as its first event.
  explicit SctpAssociation(Options options);
  SctpAssociation() : SctpAssociation(Options{}) {}
  // Safe at any time: aborts the association without sending anything more (call close() first
  // to get the ABORT packet out) and guarantees no usrsctp callback reaches this object again.
  ~SctpAssociation();
  SctpAssociation(const SctpAssociation&) = delete;
  SctpAssociation& operator=(const SctpAssociation&) = delete;

  // Client role: sends INIT (kIdle -> kConnecting). Ignored in any other state.
  void connect(Timestamp now);

  // One SCTP packet, i.e. one DTLS application-data record.
  void handle_packet(Timestamp now, std::span<const std::uint8_t> packet);
  void handle_timeout(Timestamp now);
  // While the association lives: the next usrsctp timer tick. nullopt before the first call that
  // carried a time, and once closed.
  std::optional<Timestamp> next_timeout() const;

  // One ordered, reliable message. Every status but kOk is a dropped message, counted.
  SendStatus send(std::uint16_t stream_id, std::uint32_t ppid, std::span<const std::uint8_t> data,
                  Timestamp now);
  // Resets our outgoing streams (RFC 6525 §5.1.2), as closing a data channel needs
  // (RFC 8831 §6.7). False when not connected or refused.
  bool reset_streams(std::span<const std::uint16_t> stream_ids, Timestamp now);

  // Aborts now: the ABORT is left in poll_packet() and the state becomes kClosed (no event).
  void close();

  std::optional<std::vector<std::uint8_t>> poll_packet();
  std::optional<SctpEvent> poll_event();

  // These read what another worker's usrsctp timer run may change: they take the usrsctp lock.
  SctpState state() const;
  SctpCloseReason close_reason() const;
  // Negotiated stream counts; 0 before kConnected.
  std::uint16_t inbound_streams() const;
  std::uint16_t outbound_streams() const;
  const Options& options() const { return options_; }
  Counters counters() const;  // a copy, under the usrsctp lock

 private:
  struct Reassembly {
    std::uint16_t stream_id = 0;
    std::uint32_t ppid = 0;
    std::vector<std::uint8_t> data;
    std::size_t pieces = 0;
    bool too_large = false;
  };

  void on_sctp_packet(std::span<const std::uint8_t> packet) override;
  void on_sctp_data(std::uint16_t stream_id, std::uint32_t ppid, std::span<const std::uint8_t> data,
                    bool end_of_message) override;
  void on_sctp_notification(const UsrsctpNotification& notification) override;

  void advance(Timestamp now);
  void deliver(std::uint16_t stream_id, std::uint32_t ppid, std::vector<std::uint8_t> data);
  void close_with(SctpCloseReason reason);
  // Closes a finished association's usrsctp socket; only ever outside usrsctp calls.
  void reap();

  Options options_;
  std::unique_ptr<UsrsctpSocket> socket_;
  SctpState state_ = SctpState::kIdle;
  SctpCloseReason close_reason_ = SctpCloseReason::kNone;
  std::optional<Timestamp> last_now_;
  std::uint16_t inbound_streams_ = 0;
  std::uint16_t outbound_streams_ = 0;
  std::optional<Reassembly> reassembly_;
  std::deque<std::vector<std::uint8_t>> packets_;
  std::deque<SctpEvent> events_;
  std::size_t queued_messages_ = 0;
  std::size_t queued_bytes_ = 0;
  Counters counters_;
};

}  // namespace jvb::sctp
