// The media port's UDP socket: non-blocking, batched receive (recvmmsg) and send (sendmmsg)
// into caller-owned buffers, so the packet path makes no allocation and one system call per
// batch. Owned by one thread.
//
// A socket bound to the wildcard address reports, per datagram, the local address it was sent
// to (IP_PKTINFO, IPV6_RECVPKTINFO: RFC 3542 §6) and can send each datagram from a chosen local
// address: a reply must leave from the address the peer reached (RFC 8445 §7.2.5.2.1 for ICE; a
// TURN server drops data from an address its client made no permission for, RFC 8656 §9), and
// on a host with several addresses the kernel's own choice may be another one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "bridge/core/result.hpp"
#include "bridge/core/socket_address.hpp"

namespace jvb::io {

struct ReceivedDatagram {
  SocketAddress from;
  std::span<std::uint8_t> data;  // a view into the caller's buffer
  // The address the datagram was sent to (with this socket's port), when the socket is bound
  // to the wildcard address; unset otherwise.
  SocketAddress local;
};

struct OutgoingDatagram {
  SocketAddress to;
  std::span<const std::uint8_t> data;
  // The local address to send from (its port is ignored); unset: the kernel chooses. Only
  // honoured by a socket bound to the wildcard address.
  SocketAddress from;
};

class UdpSocket {
 public:
  // Binds `address` (e.g. 0.0.0.0:10000, [::]:10000, 127.0.0.1:0). `receive_buffer` sets
  // SO_RCVBUF when non-zero (JVB asks for 10 MiB): past net.core.rmem_max when the process may
  // (CAP_NET_ADMIN), else capped by the kernel; receive_buffer_size() tells what was granted.
  // `reuse_port`: SO_REUSEPORT, so that each media worker binds its own socket of the one port
  // (only processes of the same user can join the group, socket(7)).
  static Result<UdpSocket, std::string> bind(const SocketAddress& address, int receive_buffer = 0,
                                             bool reuse_port = false);

  // The kernel's receive buffer for this socket, in bytes: twice the size it granted (Linux
  // reports its bookkeeping overhead with it, socket(7)).
  int receive_buffer_size() const;

  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket();

  int fd() const { return fd_; }
  const SocketAddress& local_address() const { return local_; }
  // Bound to the wildcard address: datagrams carry their local address, sends can choose it.
  bool wildcard() const { return wildcard_; }

  // Receives up to out.size() datagrams without blocking, each into its own slot of
  // `buffers` (out.size() slots of `slot_size` bytes). Returns how many arrived (0 when none
  // is waiting). A datagram longer than a slot is truncated and dropped.
  std::size_t receive_batch(std::span<std::uint8_t> buffers, std::size_t slot_size,
                            std::span<ReceivedDatagram> out);

  // Sends the datagrams with as few system calls as the kernel allows. Returns how many left;
  // the rest (a full send buffer, an unreachable peer) are dropped and counted.
  std::size_t send_batch(std::span<const OutgoingDatagram> datagrams);
  bool send(const SocketAddress& to, std::span<const std::uint8_t> data);

  struct Counters {
    std::uint64_t received = 0;
    std::uint64_t sent = 0;
    std::uint64_t truncated = 0;
    std::uint64_t send_failures = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  UdpSocket(int fd, SocketAddress local, bool wildcard) : fd_(fd), local_(local), wildcard_(wildcard) {}

  int fd_ = -1;
  SocketAddress local_;
  bool wildcard_ = false;
  Counters counters_;
};

}  // namespace jvb::io
