// One-port demultiplexing by remote address, then by ICE ufrag (an unknown address is routed by
// the USERNAME's local ufrag, as JVB's single-port ICE does; RFC 7983 for telling STUN apart;
// RFC 8445 §7.3 for the USERNAME layout).
#include "ice/udp_demux.hpp"

#include "ice/packet_class.hpp"
#include "ice/stun_message.hpp"

namespace jvb::ice {

void UdpDemux::register_ufrag(const std::string& local_ufrag, ConnectionId id) {
  if (local_ufrag.empty()) return;
  by_ufrag_[local_ufrag] = id;
  if (shared_) shared_->on_ufrag(local_ufrag, true);
}

void UdpDemux::unregister_ufrag(const std::string& local_ufrag) {
  if (by_ufrag_.erase(local_ufrag) && shared_) shared_->on_ufrag(local_ufrag, false);
}

void UdpDemux::bind_address(const SocketAddress& remote, ConnectionId id) {
  if (!remote.is_set()) return;
  auto [it, added] = by_address_.insert_or_assign(remote, id);
  if (added && shared_) shared_->on_address(remote, true);
}

void UdpDemux::remove_connection(ConnectionId id) {
  // Control-path only (an endpoint expires), so a scan is fine here.
  std::erase_if(by_address_, [&](const auto& kv) {
    if (kv.second != id) return false;
    if (shared_) shared_->on_address(kv.first, false);
    return true;
  });
  std::erase_if(by_ufrag_, [&](const auto& kv) {
    if (kv.second != id) return false;
    if (shared_) shared_->on_ufrag(kv.first, false);
    return true;
  });
}

Route UdpDemux::unrouted(DropReason reason, const SocketAddress& from) {
  if (shared_ && shared_->claims(from, std::nullopt)) {
    ++counters_.foreign;
    return Route{std::nullopt, DropReason::kForeign};
  }
  return drop(reason);
}

Route UdpDemux::drop(DropReason reason) {
  ++counters_.dropped[static_cast<std::size_t>(reason)];
  return Route{std::nullopt, reason};
}

Route UdpDemux::route(const SocketAddress& from, std::span<const std::uint8_t> datagram) {
  const bool stun_byte = !datagram.empty() && datagram[0] <= 3;
  if (stun_byte) {
    const auto header = peek_stun_header(datagram);
    if (header && header->cls == StunClass::kRequest && header->method == kStunMethodBinding) {
      if (auto user = peek_username(datagram)) {
        const auto colon = user->find(':');
        if (colon != std::string_view::npos) {
          auto it = by_ufrag_.find(user->substr(0, colon));
          if (it != by_ufrag_.end()) {
            ++counters_.routed_by_ufrag;
            return Route{it->second, {}};
          }
          // Another demux's ufrag, even from an address bound here: the ufrag names the agent.
          if (shared_ && shared_->claims(from, user->substr(0, colon))) {
            ++counters_.foreign;
            return Route{std::nullopt, DropReason::kForeign};
          }
        }
      }
    }
  }
  if (auto it = by_address_.find(from); it != by_address_.end()) {
    ++counters_.routed_by_address;
    return Route{it->second, {}};
  }
  // First contact from an unknown address: only a Binding request for one of our ufrags (which
  // would have been routed above) is let in.
  if (!stun_byte) return unrouted(DropReason::kUnknownAddressNotStun, from);
  // Any other STUN (a response to our own check, a consent reply) follows its address too.
  if (classify_packet(datagram) != PacketClass::kStun) return unrouted(DropReason::kMalformed, from);
  const auto header = peek_stun_header(datagram);
  if (!header) return unrouted(DropReason::kMalformed, from);
  if (header->cls != StunClass::kRequest || header->method != kStunMethodBinding) {
    return unrouted(DropReason::kStunNotBindingRequest, from);
  }
  const auto user = peek_username(datagram);
  if (!user) return drop(DropReason::kStunNoUsername);
  // A "<ufrag>:<peer>" USERNAME was offered to the other demuxes above already.
  if (user->find(':') != std::string_view::npos) return drop(DropReason::kUnknownUfrag);
  return unrouted(DropReason::kUnknownUfrag, from);
}

}  // namespace jvb::ice
