// The media port in the running daemon: binds videobridge.ice.udp.port (IPv4, and IPv6 when
// ice4j.harvest.use-ipv6), feeds every datagram to the MediaPort and its timers from the
// control thread's GLib main loop, and sends what the endpoints produce. Endpoints are added
// by signaling (later); until then every datagram is dropped and counted by the demux.
//
// Runs on the thread whose GLib main context is the default one. Moving the packet path onto
// media worker threads comes with forwarding.
#pragma once

#include <glib.h>

#include <memory>
#include <string>
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
  transport::MediaPort& port() { return port_; }
  const std::shared_ptr<const dtls::DtlsCertificate>& certificate() const { return certificate_; }

 private:
  MediaService() = default;
  static gboolean on_readable(gint fd, GIOCondition condition, gpointer self);
  static gboolean on_timer(gpointer self);
  void receive(io::UdpSocket& socket);
  void flush(io::UdpSocket& socket);
  void schedule_timer();

  std::vector<io::UdpSocket> sockets_;
  std::vector<guint> watches_;
  guint timer_ = 0;
  transport::MediaPort port_;
  std::shared_ptr<const dtls::DtlsCertificate> certificate_;
  std::vector<std::uint8_t> buffers_;
};

}  // namespace jvb::daemon
