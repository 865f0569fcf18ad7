// The media port in the running daemon: binds videobridge.ice.udp.port (IPv4, and IPv6 when
// ice4j.harvest.use-ipv6), feeds every datagram to the MediaPort and its timers from the
// control thread's GLib main loop, and sends what the endpoints produce. Endpoints are added
// by signaling (later); until then every datagram is dropped and counted by the demux.
//
// Every datagram leaves from the local address its peer last reached (the sockets are bound to
// the wildcard address and learn each datagram's destination): on a host with several addresses
// the kernel's own choice can be another one, which ICE (RFC 8445 §7.2.5.2.1) and a TURN
// server's permissions (RFC 8656 §9) reject.
//
// Runs on the thread whose GLib main context is the default one.
#pragma once

#include <glib.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/dtls/dtls_certificate.hpp"
#include "bridge/io/udp_socket.hpp"
#include "bridge/transport/media_port.hpp"
#include "config/bridge_config.hpp"

namespace jvb::daemon {

class MediaService {
 public:
  // Binds the port and starts watching it; a port that cannot be bound is an error naming it.
  static Result<std::unique_ptr<MediaService>, std::string> start(const config::BridgeConfig& config);
  ~MediaService();
  MediaService(const MediaService&) = delete;
  MediaService& operator=(const MediaService&) = delete;

  const std::vector<io::UdpSocket>& sockets() const { return sockets_; }

  // Plain RTP or RTCP an endpoint's transport decrypted in place: `packet` is the whole
  // receive slot (with room after `length` for re-encryption), owned by the caller.
  using MediaHandler =
      std::function<void(Timestamp now, transport::EndpointId from, transport::PacketKind kind,
                         std::span<std::uint8_t> packet, std::size_t length)>;
  void set_media_handler(MediaHandler handler) { media_handler_ = std::move(handler); }
  // Queues a datagram; queued datagrams leave in one batch after the current receive batch.
  void queue_send(const SocketAddress& to, std::span<const std::uint8_t> data);
  // The same without a copy: a slot of `size` writable bytes at the end of the batch, then the
  // first `length` bytes of it queued for `to` (Router::SendSlots). A slot not committed is
  // reused by the next reserve. The span lives until the next reserve or commit; queue_send()
  // meanwhile (a keyframe request or a channel message made while the slot is being built) does
  // not touch it.
  std::span<std::uint8_t> reserve_send(std::size_t size);
  void commit_send(const SocketAddress& to, std::size_t length);
  // Sends what is queued from the loop's next idle moment: for work done outside a receive
  // batch or a timer round (signaling, colibri-ws messages).
  void flush_soon();
  // The periodic work of the packet path (RTCP reports, NACKs, feedback), at its own times.
  using TimerHandler = std::function<std::optional<Timestamp>(Timestamp now)>;
  void set_timer_handler(TimerHandler handler) { timer_handler_ = std::move(handler); }
  // Endpoints' transport events (state changes, data channel), after every round of the loop.
  using EventHandler =
      std::function<void(Timestamp now, transport::EndpointId endpoint, transport::TransportEvent event)>;
  void set_event_handler(EventHandler handler) { event_handler_ = std::move(handler); }
  transport::MediaPort& port() { return port_; }
  // Datagrams through the port since start, both directions: the packet-rate load measure.
  std::uint64_t datagrams() const { return datagrams_received_ + datagrams_sent_; }
  // Peers whose reply address is known, and datagrams sent with the kernel's choice of source
  // because it was not (a peer never heard from, or the table was full).
  std::size_t reply_sources() const { return reply_sources_.size(); }
  std::uint64_t sent_without_source() const { return sent_without_source_; }
  const std::shared_ptr<const dtls::DtlsCertificate>& certificate() const { return certificate_; }

 private:
  MediaService() = default;
  static gboolean on_readable(gint fd, GIOCondition condition, gpointer self);
  static gboolean on_timer(gpointer self);
  static gboolean on_idle_flush(gpointer self);
  void receive(io::UdpSocket& socket);
  void flush();
  void schedule_timer();
  void remember_reply_source(const SocketAddress& remote, const SocketAddress& local, Timestamp now);
  SocketAddress reply_source(const SocketAddress& remote) const;
  void forget_stale_reply_sources(Timestamp now);

  std::vector<io::UdpSocket> sockets_;
  std::vector<guint> watches_;
  guint timer_ = 0;
  guint idle_flush_ = 0;
  transport::MediaPort port_;
  std::shared_ptr<const dtls::DtlsCertificate> certificate_;
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
  std::vector<io::OutgoingDatagram> out_batch_;
  // Remote address -> the local address it last sent to. Only peers the port accepted a datagram
  // from get an entry, at most kMaxReplySources; an entry unused for a minute is dropped.
  struct ReplySource {
    SocketAddress local;
    Timestamp seen;
  };
  std::unordered_map<SocketAddress, ReplySource> reply_sources_;
  Timestamp next_reply_sweep_{};
  std::uint64_t sent_without_source_ = 0;
  std::uint64_t datagrams_received_ = 0;
  std::uint64_t datagrams_sent_ = 0;
};

}  // namespace jvb::daemon
