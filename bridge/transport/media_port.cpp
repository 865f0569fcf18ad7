// See media_port.hpp.
#include "bridge/transport/media_port.hpp"

namespace jvb::transport {

EndpointId MediaPort::add(std::unique_ptr<EndpointTransport> endpoint) {
  EndpointId id = next_id_++;
  demux_.register_ufrag(endpoint->local_credentials().ufrag, id);
  endpoints_.emplace(id, std::move(endpoint));
  return id;
}

void MediaPort::remove(EndpointId id) {
  demux_.remove_connection(id);
  endpoints_.erase(id);
}

EndpointTransport* MediaPort::find(EndpointId id) {
  auto it = endpoints_.find(id);
  return it == endpoints_.end() ? nullptr : it->second.get();
}

void MediaPort::restart_ice(EndpointId id, ice::IceCredentials new_local) {
  EndpointTransport* endpoint = find(id);
  if (!endpoint) return;
  demux_.register_ufrag(new_local.ufrag, id);
  endpoint->restart_ice(std::move(new_local));
}

std::optional<MediaPort::Delivery> MediaPort::handle_datagram(Timestamp now, const SocketAddress& from,
                                                              std::span<std::uint8_t> datagram) {
  ice::Route route = demux_.route(from, datagram);
  if (!route.connection) return std::nullopt;
  auto it = endpoints_.find(*route.connection);
  if (it == endpoints_.end()) return std::nullopt;
  Received received = it->second->handle_datagram(now, from, datagram);
  collect_events(it->first, *it->second);
  return Delivery{it->first, received};
}

void MediaPort::handle_timeout(Timestamp now) {
  for (auto& [id, endpoint] : endpoints_) {
    auto due = endpoint->next_timeout();
    if (due && *due <= now) {
      endpoint->handle_timeout(now);
      collect_events(id, *endpoint);
    }
  }
}

std::optional<Timestamp> MediaPort::next_timeout() const {
  std::optional<Timestamp> next;
  for (const auto& [id, endpoint] : endpoints_) {
    if (auto t = endpoint->next_timeout(); t && (!next || *t < *next)) next = t;
  }
  return next;
}

void MediaPort::drain_transmits(const std::function<void(const ice::Transmit&)>& send) {
  for (auto& [id, endpoint] : endpoints_) {
    while (auto t = endpoint->poll_transmit()) send(*t);
  }
}

std::optional<std::pair<EndpointId, TransportEvent>> MediaPort::poll_event() {
  if (events_.empty()) return std::nullopt;
  auto e = std::move(events_.front());
  events_.pop_front();
  return e;
}

void MediaPort::collect_events(EndpointId id, EndpointTransport& endpoint) {
  while (auto e = endpoint.poll_event()) {
    if (e->kind == TransportEventKind::kAddressValidated) {
      demux_.bind_address(e->remote, id);
    } else {
      events_.emplace_back(id, std::move(*e));
    }
  }
}

}  // namespace jvb::transport
