// libFuzzer target: UdpDemux over a sequence of records from the input, each
// [address byte][length byte][datagram of that length]. Two ufrags are registered; routed
// datagrams bind their address when the address byte is odd, and address byte 0xFF removes a
// connection. Checks the demux promise: a datagram from an address that was never bound is
// only routed when it is a Binding request naming a registered ufrag.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <unordered_map>

#include "ice/stun_message.hpp"
#include "ice/udp_demux.hpp"

using namespace jvb::ice;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  UdpDemux demux;
  demux.register_ufrag("ufA", 1);
  demux.register_ufrag("ufB", 2);
  std::unordered_map<jvb::SocketAddress, ConnectionId> bound;  // what we bound, to whom
  std::size_t at = 0;
  while (at + 2 <= size) {
    const std::uint8_t a = data[at];
    const std::size_t len = std::min<std::size_t>(data[at + 1], size - at - 2);
    std::span<const std::uint8_t> datagram(data + at + 2, len);
    at += 2 + len;
    if (a == 0xFF) {
      demux.remove_connection(1);
      std::erase_if(bound, [](const auto& kv) { return kv.second == 1; });
      continue;
    }
    const auto from = *jvb::SocketAddress::parse("192.0.2.1", static_cast<std::uint16_t>(1000 + a / 2));
    const Route r = demux.route(from, datagram);
    if (r.connection) {
      if (*r.connection != 1 && *r.connection != 2) std::abort();
      const auto b = bound.find(from);
      if (b == bound.end() || b->second != *r.connection) {
        // Only a Binding request with a registered ufrag may come in from an unbound address
        // (or go to another connection than the one the address is bound to).
        const auto h = peek_stun_header(datagram);
        const auto user = peek_username(datagram);
        const bool by_ufrag = h && h->cls == StunClass::kRequest && h->method == kStunMethodBinding && user &&
                              (user->substr(0, 4) == "ufA:" || user->substr(0, 4) == "ufB:");
        if (!by_ufrag) std::abort();
        if (user->substr(0, 4) == "ufA:" && *r.connection != 1) std::abort();
        if (user->substr(0, 4) == "ufB:" && *r.connection != 2) std::abort();
      }
      if (a & 1) {
        demux.bind_address(from, *r.connection);
        bound[from] = *r.connection;
      }
    }
  }
  return 0;
}
