// See media_port.hpp.
#include "bridge/transport/media_port.hpp"

namespace jvb::transport {

EndpointHandle MediaPort::add(std::unique_ptr<EndpointTransport> endpoint) {
  EndpointHandle id = next_id_++;
  demux_.register_ufrag(endpoint->local_credentials().ufrag, id);
  Entry& entry = endpoints_[id];
  entry.transport = std::move(endpoint);
  touch(id, entry);
  return id;
}

void MediaPort::remove(EndpointHandle id) {
  demux_.remove_connection(id);
  endpoints_.erase(id);  // its heap entries and its place in touched_ are skipped later
}

EndpointTransport* MediaPort::find(EndpointHandle id) {
  auto it = endpoints_.find(id);
  if (it == endpoints_.end()) return nullptr;
  touch(id, it->second);
  return it->second.transport.get();
}

void MediaPort::touch(EndpointHandle id, Entry& entry) {
  if (entry.touched) return;
  entry.touched = true;
  touched_.push_back(id);
}

void MediaPort::restart_ice(EndpointHandle id, ice::IceCredentials new_local) {
  EndpointTransport* endpoint = find(id);
  if (!endpoint) return;
  demux_.register_ufrag(new_local.ufrag, id);
  endpoint->restart_ice(std::move(new_local));
}

std::optional<MediaPort::Delivery> MediaPort::handle_datagram(Timestamp now, const SocketAddress& from,
                                                              std::span<std::uint8_t> datagram) {
  last_route_ = demux_.route(from, datagram);
  if (!last_route_.connection) return std::nullopt;
  auto it = endpoints_.find(*last_route_.connection);
  if (it == endpoints_.end()) return std::nullopt;
  Received received = it->second.transport->handle_datagram(now, from, datagram);
  // SRTP and SRTCP change nothing but counters: only the rest can leave transmits or move the
  // endpoint's deadline.
  if (received.kind == PacketKind::kNone) {
    touch(it->first, it->second);
    collect_events(it->first, *it->second.transport);
  }
  return Delivery{it->first, received};
}

void MediaPort::reschedule_touched() {
  for (EndpointHandle id : touched_) {
    auto it = endpoints_.find(id);
    if (it == endpoints_.end()) continue;
    Entry& entry = it->second;
    auto due = entry.transport->next_timeout();
    if (due != entry.scheduled) {
      entry.scheduled = due;
      if (due) deadlines_.push({*due, id});
    }
  }
}

void MediaPort::handle_timeout(Timestamp now) {
  reschedule_touched();
  while (!deadlines_.empty() && deadlines_.top().first <= now) {
    auto [due, id] = deadlines_.top();
    deadlines_.pop();
    auto it = endpoints_.find(id);
    if (it == endpoints_.end() || it->second.scheduled != due) continue;  // gone, or moved
    Entry& entry = it->second;
    entry.scheduled.reset();
    entry.transport->handle_timeout(now);
    collect_events(id, *entry.transport);
    touch(id, entry);
  }
}

std::optional<Timestamp> MediaPort::next_timeout() {
  reschedule_touched();
  while (!deadlines_.empty()) {
    auto [due, id] = deadlines_.top();
    auto it = endpoints_.find(id);
    if (it != endpoints_.end() && it->second.scheduled == due) return due;
    deadlines_.pop();
  }
  return std::nullopt;
}

void MediaPort::drain_transmits(const std::function<void(const ice::Transmit&)>& send) {
  reschedule_touched();
  // `send` may not touch the port, but be safe against it: swap the list out first.
  std::vector<EndpointHandle> ids;
  ids.swap(touched_);
  for (EndpointHandle id : ids) {
    auto it = endpoints_.find(id);
    if (it == endpoints_.end()) continue;
    it->second.touched = false;
    collect_events(id, *it->second.transport);
    while (auto t = it->second.transport->poll_transmit()) send(*t);
  }
  // Keep the vector's capacity for the next round.
  ids.clear();
  if (touched_.empty()) touched_.swap(ids);
}

std::optional<std::pair<EndpointHandle, TransportEvent>> MediaPort::poll_event() {
  if (events_.empty()) return std::nullopt;
  auto e = std::move(events_.front());
  events_.pop_front();
  return e;
}

void MediaPort::collect_events(EndpointHandle id, EndpointTransport& endpoint) {
  while (auto e = endpoint.poll_event()) {
    if (e->kind == TransportEventKind::kAddressValidated) {
      demux_.bind_address(e->remote, id);
    } else {
      events_.emplace_back(id, std::move(*e));
    }
  }
}

}  // namespace jvb::transport
