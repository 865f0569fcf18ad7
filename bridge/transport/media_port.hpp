// Every endpoint's transport behind the one media port (ARCHITECTURE.md, "The packet path"; JVB's
// single-port ICE transport, IceTransport.kt):
// routes each datagram with the UDP demux (known remote address, or a STUN Binding request
// naming a registered local ufrag), lets the endpoint handle it, and learns new addresses
// only when that endpoint's ICE agent validated them. Sans-IO; the socket lives in bridge/io.
//
// Nothing here scans every endpoint: the endpoints' deadlines are kept in a heap, and transmits
// and events are collected only from the endpoints touched since the last drain (a datagram, a
// timer, or find(), whose caller may change the endpoint). With hundreds of endpoints a receive
// batch must not cost a call per endpoint.
//
// Owned and called by one thread.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bridge/transport/endpoint_transport.hpp"
#include "ice/udp_demux.hpp"

namespace jvb::transport {

// The bridge's own key of an endpoint, shared by every table of the worker that owns it (the
// port's, the router's, the forwarding controller's). Endpoints are identified by their Colibri2
// id (signaling::EndpointId); the handle is how the packet path finds one without a string.
using EndpointHandle = ice::ConnectionId;

class MediaPort {
 public:
  // Handles count up from `first_id`: the media workers of one process give each port its own
  // range, so that a handle names its worker.
  explicit MediaPort(EndpointHandle first_id = 1) : next_id_(first_id) {}

  EndpointHandle add(std::unique_ptr<EndpointTransport> endpoint);
  void remove(EndpointHandle id);
  // The caller may change the endpoint (signaling, a channel message): it counts as touched.
  // Change an endpoint only through a pointer just returned by find(), never one kept from
  // before: the port would not see that its deadline or its transmits changed.
  EndpointTransport* find(EndpointHandle id);
  std::size_t size() const { return endpoints_.size(); }

  // ICE restart: new local credentials; the old ufrag keeps routing until the endpoint goes.
  void restart_ice(EndpointHandle id, ice::IceCredentials new_local);

  struct Delivery {
    EndpointHandle endpoint;
    Received received;  // plain RTP/RTCP left in the buffer, or kNone
  };
  // Returns the endpoint that took the datagram, or nullopt when it was dropped (counted by
  // the demux: unknown address and not a Binding request for a known ufrag, ...).
  std::optional<Delivery> handle_datagram(Timestamp now, const SocketAddress& from,
                                          std::span<std::uint8_t> datagram);
  // How the demux routed the last datagram (its reason tells a drop from a hand-off).
  const ice::Route& last_route() const { return last_route_; }

  // Runs the endpoints whose deadline has passed.
  void handle_timeout(Timestamp now);
  std::optional<Timestamp> next_timeout();

  // Hands every pending outgoing datagram of the endpoints touched since the last drain to `send`.
  void drain_transmits(const std::function<void(const ice::Transmit&)>& send);
  // State changes of endpoints, for the conference layer.
  std::optional<std::pair<EndpointHandle, TransportEvent>> poll_event();

  const ice::UdpDemux::Counters& demux_counters() const { return demux_.counters(); }
  // This port shares its UDP port with others (ice::SharedRoutes).
  void set_shared_routes(ice::SharedRoutes* shared) { demux_.set_shared_routes(shared); }

 private:
  struct Entry {
    std::unique_ptr<EndpointTransport> transport;
    std::optional<Timestamp> scheduled;  // the deadline in the heap for it
    bool touched = false;                // in touched_
  };
  using Deadline = std::pair<Timestamp, EndpointHandle>;

  void collect_events(EndpointHandle id, EndpointTransport& endpoint);
  void touch(EndpointHandle id, Entry& entry);
  // Puts the touched endpoints' current deadlines in the heap.
  void reschedule_touched();

  ice::UdpDemux demux_;
  ice::Route last_route_;
  std::unordered_map<EndpointHandle, Entry> endpoints_;
  std::vector<EndpointHandle> touched_;
  // Deadlines, earliest first; an entry whose endpoint is gone or rescheduled is skipped.
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  EndpointHandle next_id_;
  std::deque<std::pair<EndpointHandle, TransportEvent>> events_;
};

}  // namespace jvb::transport
