// The hand-off between media workers without threads or sockets: the route directory, one
// worker's view of it (its copy and the generation that renews it), the demux asking it about a
// datagram it cannot route, and the ring that carries the datagram.
#include "bridge/io/worker_routes.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "bridge/io/handoff_ring.hpp"
#include "ice/stun_message.hpp"

namespace jvb::io {
namespace {

SocketAddress addr(const char* ip, std::uint16_t port) { return *SocketAddress::parse(ip, port); }

std::vector<std::uint8_t> binding_request(const std::string& username) {
  ice::StunSession s;
  ice::BindingRequestParams p;
  p.username = username;
  p.priority = 1;
  auto r = s.build_binding_request(p, "somepasswordsomepassword");
  REQUIRE(r);
  return r->bytes;
}

}  // namespace

TEST_CASE("the directory: owners, removal only by the owner, and a generation that moves on change") {
  RouteDirectory d;
  d.set_ufrag("u1", 0);
  d.set_address(addr("192.0.2.1", 5000), 1);
  CHECK(d.ufrag_owner("u1") == std::optional<WorkerIndex>(0));
  CHECK(d.address_owner(addr("192.0.2.1", 5000)) == std::optional<WorkerIndex>(1));
  CHECK_FALSE(d.address_owner(addr("192.0.2.1", 5001)));
  auto g = d.generation();
  d.set_address(addr("192.0.2.1", 5000), 1);  // the same: nothing moved
  CHECK(d.generation() == g);
  d.set_address(addr("192.0.2.2", 5000), 1);  // a new one: a copy without it is stale
  CHECK(d.generation() > g);
  g = d.generation();
  d.remove_address(addr("192.0.2.1", 5000), 0);  // not worker 0's to remove
  CHECK(d.address_owner(addr("192.0.2.1", 5000)) == std::optional<WorkerIndex>(1));
  d.set_address(addr("192.0.2.1", 5000), 0);  // moved
  CHECK(d.generation() > g);
  d.remove_ufrag("u1", 0);
  CHECK_FALSE(d.ufrag_owner("u1"));
}

TEST_CASE("a demux with shared routes: its own routes published, another worker's datagrams claimed") {
  RouteDirectory directory;
  WorkerRoutes routes0(directory, 0), routes1(directory, 1);
  ice::UdpDemux demux0, demux1;
  demux0.set_shared_routes(&routes0);
  demux1.set_shared_routes(&routes1);
  demux1.register_ufrag("ufB", 7);
  CHECK(directory.ufrag_owner("ufB") == std::optional<WorkerIndex>(1));

  // First contact lands on worker 0: claimed for worker 1 by its ufrag, not counted as a drop.
  const auto peer = addr("192.0.2.9", 4000);
  auto r = demux0.route(peer, binding_request("ufB:peer"));
  CHECK_FALSE(r.connection);
  CHECK(r.reason == ice::DropReason::kForeign);
  CHECK(routes0.claimed_by() == 1);
  CHECK(demux0.counters().foreign == 1);
  CHECK(demux0.counters().dropped[static_cast<std::size_t>(ice::DropReason::kUnknownUfrag)] == 0);

  // Before worker 1 validated the address, media from it is nobody's: dropped.
  std::vector<std::uint8_t> rtp(20, 0x80);
  CHECK(demux0.route(peer, rtp).reason == ice::DropReason::kUnknownAddressNotStun);
  // Then worker 1 binds it, and worker 0 claims what comes from it (a response to the bridge's
  // own check too).
  demux1.bind_address(peer, 7);
  CHECK(demux0.route(peer, rtp).reason == ice::DropReason::kForeign);
  CHECK(demux1.route(peer, rtp).connection == std::optional<ice::ConnectionId>(7));

  // A datagram being handed over is never passed on again.
  routes1.set_handing_over(true);
  CHECK(demux1.route(addr("192.0.2.10", 1), rtp).reason == ice::DropReason::kUnknownAddressNotStun);
  routes1.set_handing_over(false);

  // The endpoint goes: worker 0's copy forgets it.
  demux1.remove_connection(7);
  CHECK_FALSE(directory.address_owner(peer));
  CHECK(demux0.route(peer, rtp).reason == ice::DropReason::kUnknownAddressNotStun);
}

TEST_CASE("a worker's copy of the directory follows every change, and is taken only after one") {
  RouteDirectory directory;
  WorkerRoutes routes0(directory, 0);
  const auto peer = addr("198.51.100.7", 6000);
  CHECK_FALSE(routes0.claims(peer, std::nullopt));
  directory.set_address(peer, 1);
  REQUIRE(routes0.claims(peer, std::nullopt));
  CHECK(routes0.claimed_by() == 1);
  directory.set_address(peer, 2);  // the peer's endpoint moved to worker 2
  REQUIRE(routes0.claims(peer, std::nullopt));
  CHECK(routes0.claimed_by() == 2);
  directory.set_address(peer, 0);  // now worker 0's own: not claimed for anyone
  CHECK_FALSE(routes0.claims(peer, std::nullopt));
  directory.set_ufrag("uf2", 2);
  REQUIRE(routes0.claims(addr("198.51.100.8", 1), std::string_view("uf2")));
  CHECK(routes0.claimed_by() == 2);

  // Unchanged, the directory is not copied again: a worker's copy is its own.
  RouteDirectory::Table copy;
  std::uint64_t generation = 0;
  directory.refresh(copy, generation);
  CHECK(copy.addresses.size() == 1);
  copy.addresses.clear();
  directory.refresh(copy, generation);
  CHECK(copy.addresses.empty());
  directory.remove_ufrag("uf2", 2);
  directory.refresh(copy, generation);
  CHECK(copy.addresses.size() == 1);
  CHECK(copy.ufrags.empty());
}

TEST_CASE("the hand-off ring: FIFO, bounded, oversized datagrams refused") {
  HandoffRing ring(4);
  const auto from = addr("192.0.2.1", 1), local = addr("198.51.100.1", 10000);
  for (std::uint8_t i = 0; i < 4; ++i) {
    std::vector<std::uint8_t> d(10 + i, i);
    CHECK(ring.push(from, local, d));
  }
  std::vector<std::uint8_t> extra(5, 9);
  CHECK_FALSE(ring.push(from, local, extra));  // full
  for (std::uint8_t i = 0; i < 4; ++i) {
    auto* slot = ring.front();
    REQUIRE(slot);
    CHECK(slot->length == 10u + i);
    CHECK(slot->bytes[0] == i);
    CHECK(slot->local == local);
    ring.pop();
  }
  CHECK(ring.front() == nullptr);
  std::vector<std::uint8_t> huge(HandoffRing::kSlotBytes + 1, 1);
  CHECK_FALSE(ring.push(from, local, huge));
  CHECK(ring.push(from, local, extra));  // and the ring wraps
  CHECK(ring.front()->bytes[0] == 9);
}

}  // namespace jvb::io
