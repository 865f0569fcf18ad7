// One media worker's share of the media port: its sockets of the port (every worker binds the
// port with SO_REUSEPORT), the MediaPort of its endpoints, and the send batch. Feeds every
// datagram to the MediaPort, runs the endpoints' timers, and sends what they produce, one
// sendmmsg per round. Driven by its worker's loop (media_worker.hpp) through on_readable(),
// on_handoff() and on_timer(); it owns no thread and no loop.
//
// Several workers on one port: the kernel gives each datagram to one of the port's sockets by
// a hash of its addresses, not by endpoint, so a datagram for an endpoint another worker owns is
// handed to that worker (WorkerRoutes says which; a HandoffRing carries it) and processed there
// exactly as if its own socket had received it.
//
// Every datagram leaves from the local address its peer last reached (the sockets are bound to
// the wildcard address and learn each datagram's destination): on a host with several addresses
// the kernel's own choice can be another one, which ICE (RFC 8445 §7.2.5.2.1) and a TURN
// server's permissions (RFC 8656 §9) reject.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/io/handoff_ring.hpp"
#include "bridge/io/udp_socket.hpp"
#include "bridge/io/worker_routes.hpp"
#include "bridge/transport/media_port.hpp"

namespace jvb::io {

// The port's sockets, one per address family, each worker its own: bound with SO_REUSEPORT
// when `workers` > 1 (an ephemeral port 0 becomes the port the first socket got).
struct PortSockets {
  std::vector<std::vector<UdpSocket>> per_worker;
  std::uint16_t port = 0;
};
Result<PortSockets, std::string> bind_port_sockets(std::uint16_t port, bool ipv6, int receive_buffer,
                                                   std::size_t workers);

class MediaService {
 public:
  // The rings between workers: `inboxes[j]` carries what worker j hands to this one, `outboxes[j]`
  // what this one hands to worker j (null for itself). `wake(j)` tells worker j that its inbox
  // has datagrams. All empty for a single worker.
  struct Handoff {
    WorkerIndex self = 0;
    RouteDirectory* directory = nullptr;
    std::vector<HandoffRing*> inboxes, outboxes;
    std::function<void(WorkerIndex)> wake;
  };
  // `clock`: the time every datagram and timer is handled at (a fake one in simulations).
  using TimeSource = std::function<Timestamp()>;
  MediaService(
      std::vector<UdpSocket> sockets, transport::EndpointHandle first_endpoint_handle, Handoff handoff,
      TimeSource clock = [] { return Clock::now(); });
  MediaService(const MediaService&) = delete;
  MediaService& operator=(const MediaService&) = delete;

  std::vector<UdpSocket>& sockets() { return sockets_; }

  // The loop's calls. Each ends with what the round produced sent. on_handoff() takes a bounded
  // number of datagrams per ring and says whether some are still waiting (the loop comes back).
  void on_readable(UdpSocket& socket);
  bool on_handoff();
  void on_timer();
  // When the loop should call on_timer() next.
  std::optional<Timestamp> next_wakeup();
  // Sends what is queued now: for work done outside a receive batch or a timer round (a
  // command from the control thread: signaling, a colibri-ws message).
  void flush();

  // Plain RTP or RTCP an endpoint's transport decrypted in place: `packet` is the whole
  // receive slot (with room after `length` for re-encryption), owned by the caller.
  using MediaHandler =
      std::function<void(Timestamp now, transport::EndpointHandle from, transport::PacketKind kind,
                         std::span<std::uint8_t> packet, std::size_t length)>;
  void set_media_handler(MediaHandler handler) { media_handler_ = std::move(handler); }
  // Queues a datagram; queued datagrams leave in one batch at the end of the round.
  void queue_send(const SocketAddress& to, std::span<const std::uint8_t> data);
  // The same without a copy: a slot of `size` writable bytes at the end of the batch, then the
  // first `length` bytes of it queued for `to` (Router::SendSlots). A slot not committed is
  // reused by the next reserve. The span lives until the next reserve or commit; queue_send()
  // meanwhile (a keyframe request or a channel message made while the slot is being built) does
  // not touch it.
  std::span<std::uint8_t> reserve_send(std::size_t size);
  void commit_send(const SocketAddress& to, std::size_t length);
  // The periodic work of the packet path (RTCP reports, NACKs, feedback), at its own times.
  using TimerHandler = std::function<std::optional<Timestamp>(Timestamp now)>;
  void set_timer_handler(TimerHandler handler) { timer_handler_ = std::move(handler); }
  // Endpoints' transport events (state changes, data channel), after every round.
  using EventHandler =
      std::function<void(Timestamp now, transport::EndpointHandle endpoint, transport::TransportEvent event)>;
  void set_event_handler(EventHandler handler) { event_handler_ = std::move(handler); }
  transport::MediaPort& port() { return port_; }

  struct Counters {
    std::uint64_t received = 0, sent = 0;  // datagrams through this worker's sockets
    std::uint64_t handed_off = 0;          // received here, owned by another worker
    std::uint64_t taken_over = 0;          // handed here by another worker
    std::uint64_t handoff_dropped = 0;     // the other worker's ring was full
    // Sent with the kernel's choice of source: a peer never heard from, or the table was full.
    std::uint64_t sent_without_source = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  void deliver(Timestamp now, ReceivedDatagram& datagram);
  void remember_reply_source(const SocketAddress& remote, const SocketAddress& local, Timestamp now);
  SocketAddress reply_source(const SocketAddress& remote) const;
  void forget_stale_reply_sources(Timestamp now);

  std::vector<UdpSocket> sockets_;
  TimeSource clock_;
  transport::MediaPort port_;
  Handoff handoff_;
  std::unique_ptr<WorkerRoutes> routes_;
  std::vector<bool> wake_pending_;
  std::vector<std::uint8_t> buffers_;
  MediaHandler media_handler_;
  TimerHandler timer_handler_;
  EventHandler event_handler_;
  std::optional<Timestamp> media_timer_due_;
  // Outgoing datagrams of one round: bytes packed into one buffer, then one sendmmsg per family.
  struct Queued {
    SocketAddress to, from;  // `from` unset: the kernel chooses
    std::size_t offset = 0, length = 0;
    bool aside = false;  // in aside_bytes_, not out_bytes_
  };
  std::vector<std::uint8_t> out_bytes_;  // never shrinks: out_used_ is the end of the round's bytes
  std::size_t out_used_ = 0;
  bool slot_reserved_ = false;
  // What queue_send() copies while a slot is reserved: out_bytes_ may not move then.
  std::vector<std::uint8_t> aside_bytes_;
  std::vector<Queued> out_queue_;
  std::vector<OutgoingDatagram> out_batch_;
  // Remote address -> the local address it last sent to. Only peers the port accepted a datagram
  // from get an entry, at most kMaxReplySources; an entry unused for a minute is dropped.
  struct ReplySource {
    SocketAddress local;
    Timestamp seen;
  };
  std::unordered_map<SocketAddress, ReplySource> reply_sources_;
  Timestamp next_reply_sweep_{};
  Counters counters_;
};

}  // namespace jvb::io
