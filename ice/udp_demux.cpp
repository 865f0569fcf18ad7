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
}

void UdpDemux::unregister_ufrag(const std::string& local_ufrag) { by_ufrag_.erase(local_ufrag); }

void UdpDemux::bind_address(const SocketAddress& remote, ConnectionId id) {
  if (!remote.is_set()) return;
  by_address_[remote] = id;
}

void UdpDemux::remove_connection(ConnectionId id) {
  // Control-path only (an endpoint expires), so a scan is fine here.
  std::erase_if(by_address_, [id](const auto& kv) { return kv.second == id; });
  std::erase_if(by_ufrag_, [id](const auto& kv) { return kv.second == id; });
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
  if (!stun_byte) return drop(DropReason::kUnknownAddressNotStun);
  if (classify_packet(datagram) != PacketClass::kStun) return drop(DropReason::kMalformed);
  const auto header = peek_stun_header(datagram);
  if (!header) return drop(DropReason::kMalformed);
  if (header->cls != StunClass::kRequest || header->method != kStunMethodBinding) {
    return drop(DropReason::kStunNotBindingRequest);
  }
  const auto user = peek_username(datagram);
  if (!user) return drop(DropReason::kStunNoUsername);
  return drop(DropReason::kUnknownUfrag);
}

}  // namespace jvb::ice
