// The routing table of the one shared media port (an unknown address is routed by the
// USERNAME's local ufrag, as JVB's single-port ICE does): which connection a datagram belongs
// to. A remote address that completed an ICE check is bound to its connection; before that, only
// a STUN Binding request whose USERNAME starts with a registered local ufrag (RFC 8445 §7.3:
// "<local ufrag>:<remote ufrag>") is routed, to the connection that owns the ufrag, which then
// checks MESSAGE-INTEGRITY. The caller binds the address only after that connection's IceAgent
// reported kAddressValidated.
//
// So nothing from an unknown address creates state or gets an answer unless it is a Binding
// request for a registered ufrag: no amplification, and no DTLS ClientHello from an address
// that has not done ICE.
//
// Binding requests naming a registered ufrag go to the ufrag's connection even from a known
// address: the ufrag names the ICE agent exactly, and an address can move between connections
// (a client that reconnects from the same port before the old connection expired).
//
// route() does no allocation and no linear scans. One owner thread (the media worker).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bridge/core/socket_address.hpp"

namespace jvb::ice {

using ConnectionId = std::uint64_t;

enum class DropReason {
  kUnknownAddressNotStun,
  kStunNotBindingRequest,
  kStunNoUsername,
  kUnknownUfrag,
  kMalformed,
  kForeign  // not dropped: another demux on the same port owns it (SharedRoutes::claims)
};

struct Route {
  std::optional<ConnectionId> connection;  // set: deliver to it; else dropped for `reason`
  DropReason reason{};
};

// Several demuxes on one port (one per media worker, each with its own socket of the port, the
// kernel choosing which socket gets a datagram): each tells the others what it routes, and a
// datagram it cannot route is offered to them before it is dropped.
class SharedRoutes {
 public:
  virtual void on_ufrag(std::string_view local_ufrag, bool added) = 0;
  virtual void on_address(const SocketAddress& remote, bool added) = 0;
  // A datagram this demux has no route for (an unknown address; `ufrag`: the local ufrag of a
  // Binding request): true when another demux owns it, which the implementation then arranges
  // to hand it to.
  virtual bool claims(const SocketAddress& from, std::optional<std::string_view> ufrag) = 0;

 protected:
  ~SharedRoutes() = default;
};

class UdpDemux {
 public:
  void register_ufrag(const std::string& local_ufrag, ConnectionId id);
  void unregister_ufrag(const std::string& local_ufrag);
  void bind_address(const SocketAddress& remote, ConnectionId id);
  void remove_connection(ConnectionId id);  // drops its ufrags and addresses

  Route route(const SocketAddress& from, std::span<const std::uint8_t> datagram);

  // Null (the default): this demux is the port's only one.
  void set_shared_routes(SharedRoutes* shared) { shared_ = shared; }

  struct Counters {
    std::uint64_t routed_by_address = 0, routed_by_ufrag = 0;
    std::uint64_t foreign = 0;               // claimed by another demux of the port
    std::array<std::uint64_t, 5> dropped{};  // indexed by DropReason, but kForeign
  };
  const Counters& counters() const { return counters_; }
  std::size_t address_count() const { return by_address_.size(); }
  std::size_t ufrag_count() const { return by_ufrag_.size(); }

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  Route drop(DropReason reason);
  // A datagram from an address with no route here: another demux's by its address, else dropped.
  Route unrouted(DropReason reason, const SocketAddress& from);

  std::unordered_map<SocketAddress, ConnectionId> by_address_;
  std::unordered_map<std::string, ConnectionId, StringHash, std::equal_to<>> by_ufrag_;
  Counters counters_;
  SharedRoutes* shared_ = nullptr;
};

}  // namespace jvb::ice
