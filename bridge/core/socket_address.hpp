// An IPv4 or IPv6 address with a port: what a datagram came from or goes to. A small value
// type (no allocation) that is hashable, so it can key the one-port demux table.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace jvb {

class SocketAddress {
 public:
  SocketAddress() = default;  // unspecified (family AF_UNSPEC)

  // From a textual IPv4 or IPv6 address and a port; nullopt if `ip` is not an address.
  static std::optional<SocketAddress> parse(std::string_view ip, std::uint16_t port);
  // From a kernel address (sockaddr_in or sockaddr_in6); nullopt for other families.
  static std::optional<SocketAddress> from_sockaddr(const sockaddr* sa, socklen_t len);

  bool is_ipv4() const { return storage_.ss_family == AF_INET; }
  bool is_ipv6() const { return storage_.ss_family == AF_INET6; }
  bool is_set() const { return is_ipv4() || is_ipv6(); }
  std::uint16_t port() const;
  std::string ip() const;         // "127.0.0.1", "2001:db8::1"
  std::string to_string() const;  // "127.0.0.1:10000", "[2001:db8::1]:10000"

  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t sockaddr_len() const;

  friend bool operator==(const SocketAddress& a, const SocketAddress& b);
  std::size_t hash() const;

 private:
  sockaddr_storage storage_{};
};

}  // namespace jvb

template <>
struct std::hash<jvb::SocketAddress> {
  std::size_t operator()(const jvb::SocketAddress& a) const { return a.hash(); }
};
