// Every endpoint's transport behind the one media port (shared/docs/media-plane.md §1.1):
// routes each datagram with the UDP demux (known remote address, or a STUN Binding request
// naming a registered local ufrag), lets the endpoint handle it, and learns new addresses
// only when that endpoint's ICE agent validated them. Sans-IO; the socket lives in bridge/io.
//
// Owned and called by one thread.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>

#include "bridge/transport/endpoint_transport.hpp"
#include "ice/udp_demux.hpp"

namespace jvb::transport {

using EndpointId = ice::ConnectionId;

class MediaPort {
 public:
  EndpointId add(std::unique_ptr<EndpointTransport> endpoint);
  void remove(EndpointId id);
  EndpointTransport* find(EndpointId id);
  std::size_t size() const { return endpoints_.size(); }

  // ICE restart: new local credentials; the old ufrag keeps routing until the endpoint goes.
  void restart_ice(EndpointId id, ice::IceCredentials new_local);

  struct Delivery {
    EndpointId endpoint;
    Received received;  // plain RTP/RTCP left in the buffer, or kNone
  };
  // Returns the endpoint that took the datagram, or nullopt when it was dropped (counted by
  // the demux: unknown address and not a Binding request for a known ufrag, ...).
  std::optional<Delivery> handle_datagram(Timestamp now, const SocketAddress& from,
                                          std::span<std::uint8_t> datagram);

  void handle_timeout(Timestamp now);
  std::optional<Timestamp> next_timeout() const;

  // Hands every pending outgoing datagram to `send`.
  void drain_transmits(const std::function<void(const ice::Transmit&)>& send);
  // State changes of endpoints, for the conference layer.
  std::optional<std::pair<EndpointId, TransportEvent>> poll_event();

  const ice::UdpDemux::Counters& demux_counters() const { return demux_.counters(); }

 private:
  void collect_events(EndpointId id, EndpointTransport& endpoint);

  ice::UdpDemux demux_;
  std::unordered_map<EndpointId, std::unique_ptr<EndpointTransport>> endpoints_;
  EndpointId next_id_ = 1;
  std::deque<std::pair<EndpointId, TransportEvent>> events_;
};

}  // namespace jvb::transport
