// Batched UDP I/O on loopback sockets bound to free ports, and the choice of source address.
#include "bridge/io/udp_socket.hpp"

#include <doctest/doctest.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <vector>

namespace jvb::io {
namespace {

// Waits (bounded) until `socket` is readable; no sleeping.
bool readable(const UdpSocket& socket) {
  pollfd p{socket.fd(), POLLIN, 0};
  return ::poll(&p, 1, 5000) == 1;
}

TEST_CASE("batched send and receive on loopback") {
  auto a = UdpSocket::bind(*SocketAddress::parse("127.0.0.1", 0));
  auto b = UdpSocket::bind(*SocketAddress::parse("127.0.0.1", 0), 1 << 20);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->local_address().port() != 0);
  CHECK(a->receive_buffer_size() > 0);

  std::vector<std::vector<std::uint8_t>> payloads;
  std::vector<OutgoingDatagram> out;
  for (std::uint8_t i = 0; i < 10; ++i) payloads.push_back(std::vector<std::uint8_t>(100 + i, i));
  for (const auto& p : payloads) out.push_back({b->local_address(), p});
  CHECK(a->send_batch(out) == 10);
  CHECK(a->counters().sent == 10);

  std::vector<std::uint8_t> buffers(16 * 1500);
  std::array<ReceivedDatagram, 16> got{};
  std::size_t total = 0;
  while (total < 10 && readable(*b)) {
    std::size_t n = b->receive_batch(buffers, 1500, std::span(got).subspan(0));
    for (std::size_t i = 0; i < n; ++i) {
      CHECK(got[i].from == a->local_address());
      CHECK(got[i].data.size() == 100 + got[i].data[0]);
    }
    total += n;
  }
  CHECK(total == 10);
}

TEST_CASE("the receive buffer goes past net.core.rmem_max when the process may") {
  // 8 MiB is above the kernel's default cap (about 208 KiB) and the usual tuned ones; as root
  // (CAP_NET_ADMIN) it is granted whole, and the kernel reports twice what it grants.
  constexpr int kAsked = 8 << 20;
  auto s = UdpSocket::bind(*SocketAddress::parse("127.0.0.1", 0), kAsked);
  REQUIRE(s);
  if (::geteuid() == 0) {
    CHECK(s->receive_buffer_size() >= 2 * kAsked);
  } else {
    CHECK(s->receive_buffer_size() > 0);
  }
}

TEST_CASE("a datagram larger than its slot is dropped and counted") {
  auto a = UdpSocket::bind(*SocketAddress::parse("127.0.0.1", 0));
  auto b = UdpSocket::bind(*SocketAddress::parse("127.0.0.1", 0));
  REQUIRE(a);
  REQUIRE(b);
  std::vector<std::uint8_t> big(400, 7), small(10, 8);
  REQUIRE(a->send(b->local_address(), big));
  REQUIRE(a->send(b->local_address(), small));
  std::vector<std::uint8_t> buffers(4 * 200);
  std::array<ReceivedDatagram, 4> got{};
  std::size_t kept = 0;
  while (b->counters().received < 2 && readable(*b)) kept += b->receive_batch(buffers, 200, got);
  CHECK(kept == 1);
  CHECK(b->counters().truncated == 1);
}

TEST_CASE("binding a taken port fails with a message") {
  auto a = UdpSocket::bind(*SocketAddress::parse("127.0.0.1", 0));
  REQUIRE(a);
  auto again = UdpSocket::bind(a->local_address());
  REQUIRE_FALSE(again);
  CHECK(again.error().find("cannot bind UDP 127.0.0.1:") == 0);
}

// The whole of 127.0.0.0/8 is local on loopback: a wildcard socket reached at 127.0.0.2 shows a
// host with two addresses, where the kernel would answer 127.0.0.1 from 127.0.0.1.
TEST_CASE("a wildcard socket learns where each datagram went and replies from there") {
  auto wildcard = UdpSocket::bind(*SocketAddress::parse("0.0.0.0", 0));
  auto peer = UdpSocket::bind(*SocketAddress::parse("127.0.0.1", 0));
  REQUIRE(wildcard);
  REQUIRE(peer);
  CHECK(wildcard->wildcard());
  CHECK_FALSE(peer->wildcard());
  const std::uint16_t port = wildcard->local_address().port();
  const std::uint8_t hello[] = {1, 2, 3};
  REQUIRE(peer->send(*SocketAddress::parse("127.0.0.2", port), hello));

  std::vector<std::uint8_t> buffers(4 * 1500);
  std::array<ReceivedDatagram, 4> got{};
  REQUIRE(readable(*wildcard));
  REQUIRE(wildcard->receive_batch(buffers, 1500, got) == 1);
  CHECK(got[0].from == peer->local_address());
  CHECK(got[0].local == *SocketAddress::parse("127.0.0.2", port));

  auto reply_source = [&](SocketAddress from) {
    OutgoingDatagram reply{got[0].from, hello, from};
    REQUIRE(wildcard->send_batch({&reply, 1}) == 1);
    std::array<ReceivedDatagram, 1> back{};
    REQUIRE(readable(*peer));
    REQUIRE(peer->receive_batch(buffers, 1500, back) == 1);
    CHECK_FALSE(back[0].local.is_set());  // a socket bound to one address does not ask
    return back[0].from;
  };
  CHECK(reply_source(got[0].local) == *SocketAddress::parse("127.0.0.2", port));
  // Left to the kernel, the reply to 127.0.0.1 leaves from 127.0.0.1: what a TURN relay or an
  // ICE agent that sent to 127.0.0.2 would drop.
  CHECK(reply_source(SocketAddress{}) == *SocketAddress::parse("127.0.0.1", port));
}

TEST_CASE("nothing waiting returns zero without blocking") {
  auto a = UdpSocket::bind(*SocketAddress::parse("127.0.0.1", 0));
  REQUIRE(a);
  std::vector<std::uint8_t> buffers(1500);
  std::array<ReceivedDatagram, 1> got{};
  CHECK(a->receive_batch(buffers, 1500, got) == 0);
}

}  // namespace
}  // namespace jvb::io
