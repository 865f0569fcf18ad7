// See media_service.hpp.
#include "bridge/daemon/media_service.hpp"

#include <glib-unix.h>

#include <array>

#include "bridge/core/log.hpp"

namespace jvb::daemon {
namespace {

constexpr log::Logger kLog{"MediaService"};
constexpr std::size_t kSlot = 1500 + srtp::SrtpSession::kMaxTrailer;
constexpr std::size_t kBatch = 32;

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
  }
  self->schedule_timer();
  return self;
}

MediaService::~MediaService() {
  for (guint w : watches_) g_source_remove(w);
  if (timer_) g_source_remove(timer_);
}

gboolean MediaService::on_readable(gint fd, GIOCondition, gpointer data) {
  auto* self = static_cast<MediaService*>(data);
  for (auto& s : self->sockets_) {
    if (s.fd() == fd) {
      self->receive(s);
      self->flush(s);
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
    Timestamp now = Clock::now();
    for (std::size_t i = 0; i < n; ++i) port_.handle_datagram(now, received[i].from, received[i].data);
    if (n < kBatch) break;
  }
}

void MediaService::flush(io::UdpSocket& socket) {
  port_.drain_transmits([&](const ice::Transmit& t) {
    // Send from the socket of the destination's family.
    io::UdpSocket* out = &socket;
    for (auto& s : sockets_) {
      if (s.local_address().is_ipv6() == t.destination.is_ipv6()) out = &s;
    }
    out->send(t.destination, t.bytes);
  });
}

gboolean MediaService::on_timer(gpointer data) {
  auto* self = static_cast<MediaService*>(data);
  self->timer_ = 0;
  self->port_.handle_timeout(Clock::now());
  if (!self->sockets_.empty()) self->flush(self->sockets_.front());
  self->schedule_timer();
  return G_SOURCE_REMOVE;
}

void MediaService::schedule_timer() {
  if (timer_) {
    g_source_remove(timer_);
    timer_ = 0;
  }
  auto next = port_.next_timeout();
  if (!next) return;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*next - Clock::now()).count();
  timer_ = g_timeout_add(static_cast<guint>(std::max<long long>(ms, 0)), &MediaService::on_timer, this);
}

}  // namespace jvb::daemon
