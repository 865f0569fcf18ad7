// UdpDemux: first contact by ufrag, known addresses, drops with the right reason, removal.
#include "ice/udp_demux.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "ice/stun_message.hpp"

using namespace jvb::ice;
using jvb::SocketAddress;

namespace {

SocketAddress addr(const char* ip, std::uint16_t port) { return *SocketAddress::parse(ip, port); }

std::vector<std::uint8_t> binding_request(const std::string& username) {
  StunSession s;
  BindingRequestParams p;
  p.username = username;
  p.priority = 1;
  auto r = s.build_binding_request(p, "somepasswordsomepassword");
  REQUIRE(r);
  return r->bytes;
}

// A bare STUN header: `type`, no attributes.
std::vector<std::uint8_t> bare_stun(std::uint16_t type) {
  std::vector<std::uint8_t> v{
      static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type), 0, 0, 0x21, 0x12, 0xA4, 0x42};
  for (int i = 0; i < 12; ++i) v.push_back(static_cast<std::uint8_t>(i));
  return v;
}

std::size_t idx(DropReason r) { return static_cast<std::size_t>(r); }

}  // namespace

TEST_CASE("first contact: a Binding request for a registered ufrag is routed by ufrag") {
  UdpDemux d;
  d.register_ufrag("ufA", 1);
  d.register_ufrag("ufB", 2);
  auto r = d.route(addr("192.0.2.1", 4000), binding_request("ufB:peer"));
  REQUIRE(r.connection);
  CHECK(*r.connection == 2);
  CHECK(d.counters().routed_by_ufrag == 1);
  // It created no state: the address is still unknown for anything else.
  CHECK(d.address_count() == 0);
  std::vector<std::uint8_t> dtls(40, 0);
  dtls[0] = 22;
  auto r2 = d.route(addr("192.0.2.1", 4000), dtls);
  CHECK_FALSE(r2.connection);
  CHECK(r2.reason == DropReason::kUnknownAddressNotStun);
}

TEST_CASE("a bound address routes everything from it") {
  UdpDemux d;
  d.register_ufrag("ufA", 1);
  const auto peer = addr("192.0.2.1", 4000);
  d.bind_address(peer, 1);
  std::vector<std::uint8_t> rtp(100, 0);
  rtp[0] = 0x80;
  rtp[1] = 96;
  auto r = d.route(peer, rtp);
  REQUIRE(r.connection);
  CHECK(*r.connection == 1);
  std::vector<std::uint8_t> dtls(40, 0);
  dtls[0] = 22;
  CHECK(d.route(peer, dtls).connection == std::optional<ConnectionId>(1));
  // STUN responses and requests with unknown ufrags from it go by address too.
  CHECK(d.route(peer, bare_stun(0x0101)).connection == std::optional<ConnectionId>(1));
  CHECK(d.route(peer, binding_request("nope:peer")).connection == std::optional<ConnectionId>(1));
  CHECK(d.counters().routed_by_address == 4);
  // Another port of the same host is another address.
  CHECK_FALSE(d.route(addr("192.0.2.1", 4001), rtp).connection);
}

TEST_CASE("a registered ufrag wins over the address binding") {
  UdpDemux d;
  d.register_ufrag("ufA", 1);
  d.register_ufrag("ufB", 2);
  const auto peer = addr("192.0.2.1", 4000);
  d.bind_address(peer, 1);
  CHECK(d.route(peer, binding_request("ufB:x")).connection == std::optional<ConnectionId>(2));
}

TEST_CASE("unknown addresses: drops and their reasons") {
  UdpDemux d;
  d.register_ufrag("ufA", 1);
  const auto stranger = addr("198.51.100.9", 5555);
  auto check_drop = [&](std::vector<std::uint8_t> bytes, DropReason reason) {
    auto r = d.route(stranger, bytes);
    CHECK_FALSE(r.connection);
    CHECK(r.reason == reason);
  };
  std::vector<std::uint8_t> rtp(100, 0);
  rtp[0] = 0x80;
  check_drop(rtp, DropReason::kUnknownAddressNotStun);
  std::vector<std::uint8_t> hello(100, 0);
  hello[0] = 22;
  check_drop(hello, DropReason::kUnknownAddressNotStun);
  check_drop({}, DropReason::kUnknownAddressNotStun);
  check_drop(binding_request("other:peer"), DropReason::kUnknownUfrag);
  check_drop(binding_request("ufA"), DropReason::kUnknownUfrag);  // no colon
  check_drop(binding_request("ufAB:peer"), DropReason::kUnknownUfrag);
  check_drop(bare_stun(0x0001), DropReason::kStunNoUsername);
  check_drop(bare_stun(0x0101), DropReason::kStunNotBindingRequest);  // success response
  check_drop(bare_stun(0x0011), DropReason::kStunNotBindingRequest);  // indication
  check_drop(bare_stun(0x0003), DropReason::kStunNotBindingRequest);  // TURN Allocate
  check_drop({0, 1, 0}, DropReason::kMalformed);
  auto truncated = binding_request("ufA:peer");
  truncated.pop_back();
  check_drop(truncated, DropReason::kMalformed);
  const auto& dropped = d.counters().dropped;
  CHECK(dropped[idx(DropReason::kUnknownAddressNotStun)] == 3);
  CHECK(dropped[idx(DropReason::kUnknownUfrag)] == 3);
  CHECK(dropped[idx(DropReason::kStunNoUsername)] == 1);
  CHECK(dropped[idx(DropReason::kStunNotBindingRequest)] == 3);
  CHECK(dropped[idx(DropReason::kMalformed)] == 2);
  CHECK(d.counters().routed_by_address + d.counters().routed_by_ufrag == 0);
  CHECK(d.address_count() == 0);
}

TEST_CASE("remove_connection drops its ufrags and addresses, and only those") {
  UdpDemux d;
  d.register_ufrag("ufA", 1);
  d.register_ufrag("ufA2", 1);  // after an ICE restart
  d.register_ufrag("ufB", 2);
  d.bind_address(addr("192.0.2.1", 1), 1);
  d.bind_address(addr("192.0.2.2", 1), 1);
  d.bind_address(addr("192.0.2.3", 1), 2);
  d.remove_connection(1);
  CHECK(d.ufrag_count() == 1);
  CHECK(d.address_count() == 1);
  std::vector<std::uint8_t> rtp(100, 0);
  rtp[0] = 0x80;
  CHECK_FALSE(d.route(addr("192.0.2.1", 1), rtp).connection);
  CHECK_FALSE(d.route(addr("192.0.2.9", 1), binding_request("ufA2:x")).connection);
  CHECK(d.route(addr("192.0.2.3", 1), rtp).connection == std::optional<ConnectionId>(2));
  CHECK(d.route(addr("192.0.2.9", 1), binding_request("ufB:x")).connection == std::optional<ConnectionId>(2));
  d.unregister_ufrag("ufB");
  CHECK_FALSE(d.route(addr("192.0.2.9", 1), binding_request("ufB:x")).connection);
}
