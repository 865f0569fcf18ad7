// Batched UDP I/O on loopback sockets bound to free ports.
#include "bridge/io/udp_socket.hpp"

#include <doctest/doctest.h>
#include <poll.h>

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

TEST_CASE("nothing waiting returns zero without blocking") {
  auto a = UdpSocket::bind(*SocketAddress::parse("127.0.0.1", 0));
  REQUIRE(a);
  std::vector<std::uint8_t> buffers(1500);
  std::array<ReceivedDatagram, 1> got{};
  CHECK(a->receive_batch(buffers, 1500, got) == 0);
}

}  // namespace
}  // namespace jvb::io
