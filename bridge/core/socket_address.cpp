// See socket_address.hpp.
#include "bridge/core/socket_address.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace jvb {

std::optional<SocketAddress> SocketAddress::parse(std::string_view ip, std::uint16_t port) {
  std::string text(ip);
  SocketAddress a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return a;
  }
  a.storage_ = {};
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return a;
  }
  return std::nullopt;
}

std::optional<SocketAddress> SocketAddress::from_sockaddr(const sockaddr* sa, socklen_t len) {
  SocketAddress a;
  if (!sa) return std::nullopt;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    std::memcpy(&a.storage_, sa, sizeof(sockaddr_in));
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
    std::memset(v4->sin_zero, 0, sizeof v4->sin_zero);
    return a;
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    std::memcpy(&a.storage_, sa, sizeof(sockaddr_in6));
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
    v6->sin6_flowinfo = 0;  // not part of the address's identity
    return a;
  }
  return std::nullopt;
}

std::uint16_t SocketAddress::port() const {
  if (is_ipv4()) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (is_ipv6()) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

std::string SocketAddress::ip() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (is_ipv4()) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text, sizeof text);
  } else if (is_ipv6()) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text, sizeof text);
  }
  return text;
}

std::string SocketAddress::to_string() const {
  if (!is_set()) return "<unset>";
  return is_ipv6() ? "[" + ip() + "]:" + std::to_string(port()) : ip() + ":" + std::to_string(port());
}

socklen_t SocketAddress::sockaddr_len() const {
  if (is_ipv4()) return sizeof(sockaddr_in);
  if (is_ipv6()) return sizeof(sockaddr_in6);
  return 0;
}

bool operator==(const SocketAddress& a, const SocketAddress& b) {
  if (a.storage_.ss_family != b.storage_.ss_family) return false;
  if (a.is_ipv4()) {
    auto* x = reinterpret_cast<const sockaddr_in*>(&a.storage_);
    auto* y = reinterpret_cast<const sockaddr_in*>(&b.storage_);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a.is_ipv6()) {
    auto* x = reinterpret_cast<const sockaddr_in6*>(&a.storage_);
    auto* y = reinterpret_cast<const sockaddr_in6*>(&b.storage_);
    return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
           std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return true;
}

std::size_t SocketAddress::hash() const {
  // FNV-1a over the address bytes and port: cheap, and good enough for a demux table.
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const void* p, std::size_t n) {
    auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  };
  if (is_ipv4()) {
    auto* x = reinterpret_cast<const sockaddr_in*>(&storage_);
    mix(&x->sin_addr, sizeof x->sin_addr);
    mix(&x->sin_port, sizeof x->sin_port);
  } else if (is_ipv6()) {
    auto* x = reinterpret_cast<const sockaddr_in6*>(&storage_);
    mix(&x->sin6_addr, sizeof x->sin6_addr);
    mix(&x->sin6_port, sizeof x->sin6_port);
  }
  return static_cast<std::size_t>(h);
}

}  // namespace jvb
