// See udp_socket.hpp. Linux-specific: recvmmsg/sendmmsg.
#include "bridge/io/udp_socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace jvb::io {
namespace {

constexpr std::size_t kMaxBatch = 64;
// Room for one IP_PKTINFO or IPV6_PKTINFO control message, the larger of the two.
constexpr std::size_t kControlSize = CMSG_SPACE(sizeof(in6_pktinfo));

bool is_wildcard(const SocketAddress& a) {
  if (a.is_ipv4())
    return reinterpret_cast<const sockaddr_in*>(a.sockaddr_ptr())->sin_addr.s_addr == INADDR_ANY;
  if (a.is_ipv6())
    return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(a.sockaddr_ptr())->sin6_addr);
  return false;
}

// The destination address of a received datagram, from its packet-info control message.
SocketAddress local_of(const msghdr& h, std::uint16_t port) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      a.sin_addr = info.ipi_addr;
      return SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&a), sizeof a)
          .value_or(SocketAddress{});
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(port);
      a.sin6_addr = info.ipi6_addr;
      // A link-local destination needs its interface to be sent from again.
      if (IN6_IS_ADDR_LINKLOCAL(&info.ipi6_addr)) a.sin6_scope_id = info.ipi6_ifindex;
      return SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&a), sizeof a)
          .value_or(SocketAddress{});
    }
  }
  return {};
}

// Writes the control message that makes the kernel send from `from`; returns its length, 0
// when `from` cannot be used on this socket (unset, or another family).
std::size_t write_source(std::uint8_t* control, const SocketAddress& from, bool ipv6_socket) {
  msghdr h{};
  h.msg_control = control;
  h.msg_controllen = kControlSize;
  cmsghdr* c = CMSG_FIRSTHDR(&h);
  if (from.is_ipv4() && !ipv6_socket) {
    in_pktinfo info{};
    info.ipi_spec_dst = reinterpret_cast<const sockaddr_in*>(from.sockaddr_ptr())->sin_addr;
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof info);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
    return CMSG_SPACE(sizeof info);
  }
  if (from.is_ipv6() && ipv6_socket) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(from.sockaddr_ptr());
    in6_pktinfo info{};
    info.ipi6_addr = a->sin6_addr;
    info.ipi6_ifindex = a->sin6_scope_id;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof info);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
    return CMSG_SPACE(sizeof info);
  }
  return 0;
}

}  // namespace

Result<UdpSocket, std::string> UdpSocket::bind(const SocketAddress& address, int receive_buffer,
                                               bool reuse_port) {
  if (!address.is_set()) return unexpected(std::string("no address to bind"));
  int fd = ::socket(address.is_ipv6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return unexpected(std::string("socket: ") + std::strerror(errno));
  if (address.is_ipv6()) {
    int only = 1;  // [::] must not also grab IPv4: JVB binds each family separately
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof only);
  }
  if (receive_buffer > 0) {
    // SO_RCVBUF is capped by net.core.rmem_max (about 208 KiB by default, where a burst of
    // video for many receivers overflows); a process with CAP_NET_ADMIN may go past the cap.
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof receive_buffer) != 0) {
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
  }
  if (reuse_port) {
    int on = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      return unexpected("cannot share UDP " + address.to_string() + " (SO_REUSEPORT): " + why);
    }
  }
  bool wildcard = is_wildcard(address);
  if (wildcard) {
    int on = 1;
    int ok = address.is_ipv6() ? ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on)
                               : ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    if (ok != 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      return unexpected("cannot ask for packet info on UDP " + address.to_string() + ": " + why);
    }
  }
  if (::bind(fd, address.sockaddr_ptr(), address.sockaddr_len()) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    return unexpected("cannot bind UDP " + address.to_string() + ": " + why);
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  auto local = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&bound), len);
  return UdpSocket(fd, local.value_or(address), wildcard);
}

int UdpSocket::receive_buffer_size() const {
  int size = 0;
  socklen_t len = sizeof size;
  if (::getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, &len) != 0) return 0;
  return size;
}

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(other.fd_), local_(other.local_), wildcard_(other.wildcard_), counters_(other.counters_) {
  other.fd_ = -1;
}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    local_ = other.local_;
    wildcard_ = other.wildcard_;
    counters_ = other.counters_;
    other.fd_ = -1;
  }
  return *this;
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t UdpSocket::receive_batch(std::span<std::uint8_t> buffers, std::size_t slot_size,
                                     std::span<ReceivedDatagram> out) {
  std::size_t n = std::min({out.size(), kMaxBatch, slot_size ? buffers.size() / slot_size : 0});
  if (n == 0) return 0;
  std::array<mmsghdr, kMaxBatch> messages{};
  std::array<iovec, kMaxBatch> iov{};
  std::array<sockaddr_storage, kMaxBatch> addresses{};
  alignas(cmsghdr) std::array<std::array<std::uint8_t, kControlSize>, kMaxBatch> control;
  for (std::size_t i = 0; i < n; ++i) {
    iov[i] = {buffers.data() + i * slot_size, slot_size};
    messages[i].msg_hdr.msg_iov = &iov[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = &addresses[i];
    messages[i].msg_hdr.msg_namelen = sizeof addresses[i];
    if (wildcard_) {
      messages[i].msg_hdr.msg_control = control[i].data();
      messages[i].msg_hdr.msg_controllen = kControlSize;
    }
  }
  int got;
  do {
    got = ::recvmmsg(fd_, messages.data(), static_cast<unsigned>(n), MSG_DONTWAIT, nullptr);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) return 0;
  std::size_t kept = 0;
  for (int i = 0; i < got; ++i) {
    const msghdr& h = messages[static_cast<std::size_t>(i)].msg_hdr;
    ++counters_.received;
    if (h.msg_flags & MSG_TRUNC) {
      ++counters_.truncated;
      continue;
    }
    auto from = SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(h.msg_name), h.msg_namelen);
    if (!from) continue;
    out[kept++] = {*from,
                   {buffers.data() + static_cast<std::size_t>(i) * slot_size,
                    messages[static_cast<std::size_t>(i)].msg_len},
                   wildcard_ ? local_of(h, local_.port()) : SocketAddress{}};
  }
  return kept;
}

std::size_t UdpSocket::send_batch(std::span<const OutgoingDatagram> datagrams) {
  std::size_t sent_total = 0;
  while (!datagrams.empty()) {
    std::size_t n = std::min(datagrams.size(), kMaxBatch);
    std::array<mmsghdr, kMaxBatch> messages{};
    std::array<iovec, kMaxBatch> iov{};
    alignas(cmsghdr) std::array<std::array<std::uint8_t, kControlSize>, kMaxBatch> control;
    for (std::size_t i = 0; i < n; ++i) {
      iov[i] = {const_cast<std::uint8_t*>(datagrams[i].data.data()), datagrams[i].data.size()};
      messages[i].msg_hdr.msg_iov = &iov[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_name = const_cast<sockaddr*>(datagrams[i].to.sockaddr_ptr());
      messages[i].msg_hdr.msg_namelen = datagrams[i].to.sockaddr_len();
      if (wildcard_ && datagrams[i].from.is_set()) {
        std::size_t length = write_source(control[i].data(), datagrams[i].from, local_.is_ipv6());
        if (length) {
          messages[i].msg_hdr.msg_control = control[i].data();
          messages[i].msg_hdr.msg_controllen = length;
        }
      }
    }
    int sent;
    do {
      sent = ::sendmmsg(fd_, messages.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
    } while (sent < 0 && errno == EINTR);
    if (sent <= 0) {
      // The first datagram failed (full buffer, unreachable, wrong family): drop it, go on.
      ++counters_.send_failures;
      datagrams = datagrams.subspan(1);
      continue;
    }
    sent_total += static_cast<std::size_t>(sent);
    counters_.sent += static_cast<std::uint64_t>(sent);
    datagrams = datagrams.subspan(static_cast<std::size_t>(sent));
  }
  return sent_total;
}

bool UdpSocket::send(const SocketAddress& to, std::span<const std::uint8_t> data) {
  OutgoingDatagram d{to, data};
  return send_batch({&d, 1}) == 1;
}

}  // namespace jvb::io
