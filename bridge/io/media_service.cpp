// See media_service.hpp.
#include "bridge/daemon/media_service.hpp"

#include <glib-unix.h>

#include <array>
#include <cstring>

#include "bridge/core/log.hpp"

namespace jvb::daemon {
namespace {

constexpr log::Logger kLog{"MediaService"};
constexpr std::size_t kSlot = 1500 + srtp::SrtpSession::kMaxTrailer;
constexpr std::size_t kBatch = 32;
constexpr std::size_t kMaxReplySources = 1 << 16;
constexpr auto kReplySourceIdle = std::chrono::seconds(60);
constexpr auto kReplySweepInterval = std::chrono::seconds(10);

}  // namespace

Result<std::unique_ptr<MediaService>, std::string> MediaService::start(const config::BridgeConfig& config) {
  std::unique_ptr<MediaService> self(new MediaService());
  auto certificate = dtls::DtlsCertificate::generate();
  if (!certificate) return unexpected("cannot make the DTLS certificate: " + certificate.error());
  self->certificate_ = std::move(*certificate);

  auto port = static_cast<std::uint16_t>(config.ice.udp_port);
  int buffer = static_cast<int>(std::min<std::int64_t>(config.harvest.udp_receive_buffer_size, 1 << 30));
  auto v4 = io::UdpSocket::bind(*SocketAddress::parse("0.0.0.0", port), buffer);
  if (!v4) return unexpected(v4.error());
  // An ephemeral port (0, for tests) is shared by both families.
  port = v4->local_address().port();
  self->sockets_.push_back(std::move(*v4));
  if (config.harvest.use_ipv6) {
    auto v6 = io::UdpSocket::bind(*SocketAddress::parse("::", port), buffer);
    if (v6) {
      self->sockets_.push_back(std::move(*v6));
    } else {
      // Hosts without IPv6 are common; JVB carries on with IPv4 alone too.
      kLog.info("IPv6 media port not bound: {}", v6.error());
    }
  }
  self->buffers_.resize(kBatch * kSlot);
  for (const auto& s : self->sockets_) {
    self->watches_.push_back(g_unix_fd_add(s.fd(), G_IO_IN, &MediaService::on_readable, self.get()));
    kLog.info("Media port listening on UDP {}", s.local_address().to_string());
    // The kernel reports twice the size it granted; less than the request means it was capped.
    if (buffer > 0 && s.receive_buffer_size() / 2 < buffer) {
      kLog.warn(
          "The media port's receive buffer is {} bytes, less than the {} configured "
          "(ice4j.harvest.udp.receive-buffer-size): bursts will be dropped under load. Raise "
          "net.core.rmem_max (JVB's package sets 10485760 in /etc/sysctl.d) or grant CAP_NET_ADMIN.",
          s.receive_buffer_size() / 2, buffer);
    }
  }
  self->schedule_timer();
  return self;
}

MediaService::~MediaService() {
  for (guint w : watches_) g_source_remove(w);
  if (timer_) g_source_remove(timer_);
  if (idle_flush_) g_source_remove(idle_flush_);
}

void MediaService::flush_soon() {
  if (!idle_flush_) idle_flush_ = g_idle_add(&MediaService::on_idle_flush, this);
}

gboolean MediaService::on_idle_flush(gpointer data) {
  auto* self = static_cast<MediaService*>(data);
  self->idle_flush_ = 0;
  self->flush();
  self->schedule_timer();
  return G_SOURCE_REMOVE;
}

gboolean MediaService::on_readable(gint fd, GIOCondition, gpointer data) {
  auto* self = static_cast<MediaService*>(data);
  for (auto& s : self->sockets_) {
    if (s.fd() == fd) {
      self->receive(s);
      self->flush();
    }
  }
  self->schedule_timer();
  return G_SOURCE_CONTINUE;
}

void MediaService::receive(io::UdpSocket& socket) {
  std::array<io::ReceivedDatagram, kBatch> received{};
  // Bounded: a flood must not starve the rest of the main loop.
  for (int round = 0; round < 8; ++round) {
    std::size_t n = socket.receive_batch(buffers_, kSlot, received);
    datagrams_received_ += n;
    Timestamp now = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
      auto delivery = port_.handle_datagram(now, received[i].from, received[i].data);
      if (delivery && received[i].local.is_set())
        remember_reply_source(received[i].from, received[i].local, now);
      if (delivery && delivery->received.kind != transport::PacketKind::kNone && media_handler_) {
        std::span<std::uint8_t> slot(received[i].data.data(), kSlot);
        media_handler_(now, delivery->endpoint, delivery->received.kind, slot, delivery->received.length);
      }
    }
    if (n < kBatch) break;
  }
}

void MediaService::remember_reply_source(const SocketAddress& remote, const SocketAddress& local,
                                         Timestamp now) {
  auto it = reply_sources_.find(remote);
  if (it != reply_sources_.end()) {
    it->second = {local, now};
  } else if (reply_sources_.size() < kMaxReplySources) {
    reply_sources_.emplace(remote, ReplySource{local, now});
  }
}

void MediaService::forget_stale_reply_sources(Timestamp now) {
  if (now < next_reply_sweep_) return;
  next_reply_sweep_ = now + kReplySweepInterval;
  std::erase_if(reply_sources_,
                [&](const auto& entry) { return now - entry.second.seen > kReplySourceIdle; });
}

SocketAddress MediaService::reply_source(const SocketAddress& remote) const {
  auto it = reply_sources_.find(remote);
  return it != reply_sources_.end() ? it->second.local : SocketAddress{};
}

std::span<std::uint8_t> MediaService::reserve_send(std::size_t size) {
  // Grows during the first busy rounds only: the buffer keeps its size from then on.
  if (out_bytes_.size() < out_used_ + size)
    out_bytes_.resize(std::max(out_used_ + size, out_bytes_.size() * 2));
  slot_reserved_ = true;
  return std::span<std::uint8_t>(out_bytes_).subspan(out_used_, size);
}

void MediaService::commit_send(const SocketAddress& to, std::size_t length) {
  slot_reserved_ = false;
  out_queue_.push_back({to, reply_source(to), out_used_, length, false});
  out_used_ += length;
}

void MediaService::queue_send(const SocketAddress& to, std::span<const std::uint8_t> data) {
  if (slot_reserved_) {
    out_queue_.push_back({to, reply_source(to), aside_bytes_.size(), data.size(), true});
    aside_bytes_.insert(aside_bytes_.end(), data.begin(), data.end());
    return;
  }
  std::memcpy(reserve_send(data.size()).data(), data.data(), data.size());
  commit_send(to, data.size());
}

void MediaService::flush() {
  // Events first: handling them may queue datagrams (bridge-channel messages) for this round.
  Timestamp now = Clock::now();
  while (auto event = port_.poll_event()) {
    if (event_handler_) event_handler_(now, event->first, std::move(event->second));
  }
  port_.drain_transmits([&](const ice::Transmit& t) { queue_send(t.destination, t.bytes); });
  if (out_queue_.empty()) return;
  datagrams_sent_ += out_queue_.size();
  // One batch per socket; a destination of a family with no socket is dropped.
  for (auto& socket : sockets_) {
    out_batch_.clear();
    for (const auto& q : out_queue_) {
      if (q.to.is_ipv6() != socket.local_address().is_ipv6()) continue;
      if (!q.from.is_set() && socket.wildcard()) ++sent_without_source_;
      out_batch_.push_back(
          {q.to,
           std::span<const std::uint8_t>(q.aside ? aside_bytes_ : out_bytes_).subspan(q.offset, q.length),
           q.from});
    }
    if (!out_batch_.empty()) socket.send_batch(out_batch_);
  }
  out_used_ = 0;
  slot_reserved_ = false;  // a slot reserved and never committed is given up
  aside_bytes_.clear();
  out_queue_.clear();
}

gboolean MediaService::on_timer(gpointer data) {
  auto* self = static_cast<MediaService*>(data);
  self->timer_ = 0;
  Timestamp now = Clock::now();
  self->port_.handle_timeout(now);
  self->forget_stale_reply_sources(now);
  if (self->timer_handler_ && (!self->media_timer_due_ || *self->media_timer_due_ <= now)) {
    // Nothing due (no endpoints): look again in a second rather than at once.
    self->media_timer_due_ = self->timer_handler_(now).value_or(now + std::chrono::seconds(1));
  }
  self->flush();
  self->schedule_timer();
  return G_SOURCE_REMOVE;
}

void MediaService::schedule_timer() {
  if (timer_) {
    g_source_remove(timer_);
    timer_ = 0;
  }
  auto next = port_.next_timeout();
  if (timer_handler_) {
    // Ask for the packet path's own due time on the first round.
    if (!media_timer_due_) media_timer_due_ = Clock::now();
    if (!next || *media_timer_due_ < *next) next = media_timer_due_;
  }
  if (!next) return;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*next - Clock::now()).count();
  timer_ = g_timeout_add(static_cast<guint>(std::max<long long>(ms, 0)), &MediaService::on_timer, this);
}

}  // namespace jvb::daemon
