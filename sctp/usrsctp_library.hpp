// usrsctp's process-wide state in one place: its initialisation, the sysctls, the global AF_CONN
// output and receive callbacks, and the timer driver. usrsctp 0.9.5 runs in its no-threads mode
// (usrsctp_init_nothreads): its timers only move when handle_timers() is called, and every callback
// runs synchronously inside the usrsctp call that caused it, on the calling thread. This file pair
// is the only place that includes usrsctp.h (each C library is wrapped once); SctpAssociation talks
// to usrsctp only through UsrsctpSocket.
//
// Lifetime: usrsctp is initialised by its first user (a socket or a Reference) and then stays
// initialised; users are counted, but the last one going does not finish it. usrsctp 0.9.5
// cannot be initialised again after usrsctp_finish(): finishing leaves SCTP_ITERATOR_MUST_EXIT
// set, so a re-initialised stack has no iterator thread, and every later address-change
// iterator stays queued holding a reference on an endpoint, which then never goes (a leak, and
// usrsctp_finish() refuses for ever). Seen in this module's tests with an instrumented usrsctp.
// finish() is therefore a last step, for process exit, and refuses while anyone uses usrsctp.
//
// Each socket is addressed by a process-unique id, passed to usrsctp as the AF_CONN address (the
// same value as local and remote address: with different ones the association never comes up). The
// callbacks look the id up in a registry and hand what they got to that socket's UsrsctpSink, which
// only queues it. Ids are never reused, so a late callback for a socket already destroyed finds
// nothing and is dropped.
//
// Threads: usrsctp's state is process-wide and its timers are global, so one media worker's
// timer run can call back into an association another worker owns. Every call into usrsctp, and
// every read of what its callbacks queued, therefore holds mutex() (SctpAssociation takes it in
// each of its calls): one process-wide lock, on the data-channel path only, never on RTP's.
// usrsctp still starts its "SCTP iterator" thread. It only ever gets the address
// work queue's iterators (started from a timer after an address is deregistered), which look
// at bound-all endpoints only; ours are bound to their own address, so it never calls our
// callbacks. It does hold endpoint references for a moment, which can delay usrsctp_finish().
//
// Time: usrsctp's timers are global, and 0.9.5 has no usrsctp_get_timeout(). handle_timers(now)
// feeds usrsctp the milliseconds elapsed since the previous call; next_timeout() asks to be
// called again every kTimerInterval while any socket exists. usrsctp also reads the real clock
// itself, for RTT measurements and the cookie lifetime: under a fake clock RTTs measure ~0 and
// the RTO sits at its minimum, which is harmless.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "bridge/core/time.hpp"

struct socket;  // usrsctp's socket, kept out of this header

namespace jvb::sctp {

struct UsrsctpCallbacks;  // usrsctp's C callbacks, defined in the .cpp

// What usrsctp reported about an association, out of its C types.
struct UsrsctpNotification {
  enum class Kind {
    kAssociationUp,         // SCTP_COMM_UP
    kAssociationRestarted,  // SCTP_RESTART: the peer restarted; the association goes on
    kAssociationLost,       // SCTP_COMM_LOST: aborted by the peer (from_peer) or by us (timeouts)
    kShutdownComplete,      // SCTP_SHUTDOWN_COMP, or usrsctp's end-of-file signal
    kCannotStart,           // SCTP_CANT_STR_ASSOC: the INIT handshake gave up
    kIncomingStreamsReset,  // the peer reset its outgoing streams (ours to read): `streams`
    kOutgoingStreamsReset,  // our reset request completed (`failed` if denied or failed)
    kSendFailed,            // usrsctp gave up on a message it had accepted
  };
  Kind kind;
  bool from_peer = false;              // kAssociationLost: the peer sent ABORT
  bool failed = false;                 // kOutgoingStreamsReset
  std::uint16_t error = 0;             // sac_error / ssfe_error (low bits)
  std::uint16_t inbound_streams = 0;   // kAssociationUp / kAssociationRestarted
  std::uint16_t outbound_streams = 0;  // kAssociationUp / kAssociationRestarted
  std::vector<std::uint16_t> streams;  // k*StreamsReset; empty means all streams
};

// Receives what usrsctp reports for one socket. Called only from inside a UsrsctpSocket or
// UsrsctpLibrary call on the owning thread (possibly another socket's: timers are global).
// Implementations must only record what they get: calling back into usrsctp from here would
// re-enter it mid-update.
class UsrsctpSink {
 public:
  // One SCTP packet to hand to DTLS. The bytes are only valid during the call.
  virtual void on_sctp_packet(std::span<const std::uint8_t> packet) = 0;
  // User data: a whole message, or a piece of one (end_of_message false) when usrsctp uses
  // partial delivery. Pieces of one message arrive in order with no other message between
  // them. The bytes are only valid during the call.
  virtual void on_sctp_data(std::uint16_t stream_id, std::uint32_t ppid, std::span<const std::uint8_t> data,
                            bool end_of_message) = 0;
  virtual void on_sctp_notification(const UsrsctpNotification& notification) = 0;

 protected:
  ~UsrsctpSink() = default;
};

struct UsrsctpSocketConfig {
  std::uint16_t port = 5000;  // local and remote SCTP port (RFC 8841 §5: WebRTC uses 5000)
  std::uint16_t streams = 1024;
  std::size_t send_buffer_size = 1 << 20;     // SO_SNDBUF
  std::size_t receive_buffer_size = 1 << 20;  // SO_RCVBUF, and the receive window we advertise
  std::size_t partial_delivery_point = 0;     // 0: usrsctp's (half the receive buffer)
  std::uint32_t mtu = 1191;                   // SCTP packet size; path MTU discovery off
  Duration rto_initial = std::chrono::seconds(1);
  Duration rto_min = std::chrono::seconds(1);
  Duration rto_max = std::chrono::seconds(3);
  std::uint16_t max_retransmissions = 0xFFFF;  // per association and per path
  std::uint16_t max_init_retransmissions = 8;
};

enum class UsrsctpSendStatus { kOk, kNotConnected, kTooLarge, kWouldBlock, kFailed };

// One usrsctp socket that carries one association over AF_CONN. A one-to-many (SOCK_SEQPACKET)
// socket, so that the passive side accepts the peer's INIT on the socket itself, with no
// accept() and no second socket. Not copyable or movable (its id is registered).
class UsrsctpSocket {
 public:
  // Initialises usrsctp if this is its first user and creates, configures and binds the socket.
  // nullptr if usrsctp refuses (no memory), or after UsrsctpLibrary::finish().
  static std::unique_ptr<UsrsctpSocket> open(UsrsctpSink& sink, const UsrsctpSocketConfig& config);
  // Unregisters first (so that no callback reaches the sink any more), then closes the socket,
  // aborting any association without telling the sink, and stops counting as a usrsctp user.
  ~UsrsctpSocket();
  UsrsctpSocket(const UsrsctpSocket&) = delete;
  UsrsctpSocket& operator=(const UsrsctpSocket&) = delete;

  // Passive: accept the peer's INIT. Active: send INIT. False if usrsctp refused.
  bool listen();
  bool connect();

  // One received SCTP packet (usrsctp checks the CRC32c). Never call from inside a sink callback.
  void input(std::span<const std::uint8_t> packet);

  // One whole message, ordered and reliable. Non-blocking: kWouldBlock when the send buffer has
  // no room for all of it (usrsctp never takes part of a message).
  UsrsctpSendStatus send(std::uint16_t stream_id, std::uint32_t ppid, std::span<const std::uint8_t> data);

  // Resets our outgoing streams (RFC 6525), e.g. to close a data channel (RFC 8831 §6.7).
  bool reset_outgoing_streams(std::span<const std::uint16_t> stream_ids);

  // Closes the usrsctp socket now; an established association is aborted and the ABORT still
  // reaches the sink. Afterwards every call is a no-op.
  void abort();

  std::uintptr_t id() const { return id_; }

 private:
  friend class UsrsctpLibrary;
  friend struct UsrsctpCallbacks;
  UsrsctpSocket(UsrsctpSink& sink, std::uintptr_t id) : sink_(&sink), id_(id) {}
  bool configure(const UsrsctpSocketConfig& config);
  void close_socket();

  UsrsctpSink* sink_;
  std::uintptr_t id_;
  struct socket* socket_ = nullptr;
  std::uint16_t port_ = 5000;
  std::optional<std::uint32_t> assoc_id_;  // from SCTP_COMM_UP; sends on a one-to-many socket need it
};

class UsrsctpLibrary {
 public:
  static constexpr Duration kTimerInterval = std::chrono::milliseconds(10);

  // Moves usrsctp's clock to `now`: calls usrsctp_handle_timers() with the whole milliseconds
  // elapsed since the previous call (the remainder carries over), firing the timers that are due
  // for every socket. The first call after initialisation only sets the reference point. Every
  // SctpAssociation entry point that takes a time calls this first, so usrsctp's clock follows
  // the caller's.
  static void handle_timers(Timestamp now);
  // now + kTimerInterval while any socket exists, else nullopt.
  static std::optional<Timestamp> next_timeout(Timestamp now);

  static std::size_t socket_count();
  static bool initialized();
  // Held by every call into usrsctp and by the owners of what its callbacks queue (recursive:
  // an owner's call holds it across the library calls it makes).
  static std::recursive_mutex& mutex();

  // Finishes usrsctp for the rest of the process (before exit, for clean leak checks): false
  // while any socket or Reference exists, or if usrsctp still refuses after its timers ran for a
  // while (call again later). Afterwards no socket can be opened.
  static bool finish();

  // Keeps usrsctp initialised (and counts as a user) without a socket.
  class Reference {
   public:
    Reference();
    ~Reference();
    Reference(const Reference&) = delete;
    Reference& operator=(const Reference&) = delete;

   private:
    bool held_;
  };

 private:
  friend class UsrsctpSocket;
  friend struct UsrsctpCallbacks;
  // False once finish() has run.
  static bool acquire();
  static void release();
};

}  // namespace jvb::sctp
