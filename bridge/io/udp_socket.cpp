// See udp_socket.hpp. Linux-specific: recvmmsg/sendmmsg.
#include "bridge/io/udp_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace jvb::io {
namespace {

constexpr std::size_t kMaxBatch = 64;

}  // namespace

Result<UdpSocket, std::string> UdpSocket::bind(const SocketAddress& address, int receive_buffer) {
  if (!address.is_set()) return unexpected(std::string("no address to bind"));
  int fd = ::socket(address.is_ipv6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return unexpected(std::string("socket: ") + std::strerror(errno));
  if (address.is_ipv6()) {
    int only = 1;  // [::] must not also grab IPv4: JVB binds each family separately
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof only);
  }
  if (receive_buffer > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
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
  return UdpSocket(fd, local.value_or(address));
}

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(other.fd_), local_(other.local_), counters_(other.counters_) {
  other.fd_ = -1;
}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    local_ = other.local_;
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
  for (std::size_t i = 0; i < n; ++i) {
    iov[i] = {buffers.data() + i * slot_size, slot_size};
    messages[i].msg_hdr.msg_iov = &iov[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = &addresses[i];
    messages[i].msg_hdr.msg_namelen = sizeof addresses[i];
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
                    messages[static_cast<std::size_t>(i)].msg_len}};
  }
  return kept;
}

std::size_t UdpSocket::send_batch(std::span<const OutgoingDatagram> datagrams) {
  std::size_t sent_total = 0;
  while (!datagrams.empty()) {
    std::size_t n = std::min(datagrams.size(), kMaxBatch);
    std::array<mmsghdr, kMaxBatch> messages{};
    std::array<iovec, kMaxBatch> iov{};
    for (std::size_t i = 0; i < n; ++i) {
      iov[i] = {const_cast<std::uint8_t*>(datagrams[i].data.data()), datagrams[i].data.size()};
      messages[i].msg_hdr.msg_iov = &iov[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_name = const_cast<sockaddr*>(datagrams[i].to.sockaddr_ptr());
      messages[i].msg_hdr.msg_namelen = datagrams[i].to.sockaddr_len();
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
