// Simulation tests of the transport on a fake clock: the bridge's MediaPort with one
// EndpointTransport (controlling ICE, DTLS server) against a client EndpointTransport
// (controlled ICE, DTLS client), connected by an in-memory network that can drop and
// inject datagrams. Covers connection, SRTP both ways, and the bad-input rules.
#include <doctest/doctest.h>

#include <deque>
#include <random>

#include "bridge/transport/media_port.hpp"

namespace jvb::transport {
namespace {

using namespace std::chrono_literals;

struct Datagram {
  SocketAddress from, to;
  std::vector<std::uint8_t> bytes;
};

const SocketAddress kBridge = *SocketAddress::parse("10.0.0.1", 10000);
const SocketAddress kClient = *SocketAddress::parse("192.168.1.20", 50000);
const SocketAddress kStranger = *SocketAddress::parse("203.0.113.66", 40000);

std::shared_ptr<const dtls::DtlsCertificate> certificate() {
  static auto cert = dtls::DtlsCertificate::generate();
  REQUIRE(cert);
  return *cert;
}

// The bridge side (a MediaPort, as production uses it) and one client, on a fake clock.
struct Sim {
  Timestamp now{};
  TransportConfig config;
  MediaPort bridge;
  EndpointHandle bridge_endpoint = 0;
  std::unique_ptr<EndpointTransport> client;
  std::deque<Datagram> wire;
  bool drop_all = false;
  std::vector<std::vector<std::uint8_t>> client_plain_rtp, bridge_plain_rtp;

  explicit Sim(DtlsSetup client_setup = DtlsSetup::kActive,
               std::shared_ptr<const dtls::DtlsCertificate> client_cert = certificate()) {
    auto bridge_creds = ice::generate_credentials();
    auto client_creds = ice::generate_credentials();
    bridge_endpoint = bridge.add(std::make_unique<EndpointTransport>(
        config, certificate(), ice::IceRole::kControlling, bridge_creds, 1111,
        ice::candidate_priority(ice::CandidateType::kPeerReflexive, 65535, 1)));
    client = std::make_unique<EndpointTransport>(
        config, client_cert, ice::IceRole::kControlled, client_creds, 2222,
        ice::candidate_priority(ice::CandidateType::kPeerReflexive, 65535, 1));
    ice::Candidate bridge_candidate;
    bridge_candidate.foundation = "1";
    bridge_candidate.priority = ice::candidate_priority(ice::CandidateType::kHost, 65535, 1);
    bridge_candidate.address = kBridge;
    // Signaling: the bridge learns nothing of the client's candidates (peer-reflexive
    // discovery, as with a browser's mDNS candidates); the client learns the bridge's.
    EndpointTransport& b = *bridge.find(bridge_endpoint);
    b.set_remote_ice(client_creds, {});
    b.set_remote_dtls({{"sha-256", client_cert->fingerprint()}}, client_setup, now);
    client->set_remote_ice(bridge_creds, {bridge_candidate});
    DtlsSetup reverse = client_setup == DtlsSetup::kActive ? DtlsSetup::kPassive : DtlsSetup::kActive;
    client->set_remote_dtls({{"sha-256", certificate()->fingerprint()}}, reverse, now);
  }

  EndpointTransport& bridge_side() { return *bridge.find(bridge_endpoint); }

  void collect() {
    bridge.drain_transmits([&](const ice::Transmit& t) {
      wire.push_back({kBridge, t.destination, t.bytes});
    });
    while (auto t = client->poll_transmit()) wire.push_back({kClient, t->destination, t->bytes});
  }

  void deliver(Datagram d) {
    if (drop_all) return;
    std::vector<std::uint8_t> buffer = d.bytes;
    buffer.resize(d.bytes.size() + srtp::SrtpSession::kMaxTrailer);
    std::span<std::uint8_t> data(buffer.data(), d.bytes.size());
    if (d.to == kBridge) {
      auto r = bridge.handle_datagram(now, d.from, data);
      if (r && r->received.kind == PacketKind::kRtp) {
        bridge_plain_rtp.emplace_back(buffer.begin(), buffer.begin() + static_cast<long>(r->received.length));
      }
    } else if (d.to == kClient) {
      auto r = client->handle_datagram(now, d.from, data);
      if (r.kind == PacketKind::kRtp) {
        client_plain_rtp.emplace_back(buffer.begin(), buffer.begin() + static_cast<long>(r.length));
      }
    }
  }

  // Runs the network and timers for `duration` of fake time in 10 ms steps.
  void run(Duration duration) {
    Timestamp end = now + duration;
    while (now < end) {
      collect();
      while (!wire.empty()) {
        Datagram d = std::move(wire.front());
        wire.pop_front();
        deliver(std::move(d));
        collect();
      }
      now += 10ms;
      bridge.handle_timeout(now);
      if (auto t = client->next_timeout(); t && *t <= now) client->handle_timeout(now);
    }
  }

  bool connected() {
    return bridge_side().state() == TransportState::kConnected &&
           client->state() == TransportState::kConnected;
  }
};

std::vector<std::uint8_t> rtp_packet(std::uint16_t seq, std::uint32_t ssrc, std::uint8_t fill) {
  std::vector<std::uint8_t> p(12 + 160, fill);
  p[0] = 0x80;
  p[1] = 111;
  p[2] = static_cast<std::uint8_t>(seq >> 8);
  p[3] = static_cast<std::uint8_t>(seq);
  for (int i = 0; i < 4; ++i) p[4 + i] = 0;
  for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
  return p;
}

// Protects `plain` on `from` and returns the datagram bytes.
std::vector<std::uint8_t> protect(EndpointTransport& from, const std::vector<std::uint8_t>& plain) {
  std::vector<std::uint8_t> buffer(plain);
  buffer.resize(plain.size() + srtp::SrtpSession::kMaxTrailer);
  auto n = from.protect_rtp(buffer, plain.size());
  REQUIRE(n);
  buffer.resize(*n);
  return buffer;
}

TEST_CASE("bridge and client connect: ICE by peer-reflexive discovery, DTLS, SRTP both ways") {
  Sim sim;
  sim.run(3s);
  REQUIRE(sim.connected());
  CHECK(sim.bridge_side().media_destination() == kClient);
  CHECK(sim.client->media_destination() == kBridge);
  CHECK(sim.bridge_side().srtp_profile() == srtp::SrtpProfile::kAeadAes128Gcm);
  CHECK(sim.bridge_side().dtls_state() == dtls::DtlsState::kConnected);

  auto up = rtp_packet(1, 0xAABBCCDD, 0x11);
  sim.wire.push_back({kClient, kBridge, protect(*sim.client, up)});
  auto down = rtp_packet(7, 0x01020304, 0x22);
  sim.wire.push_back({kBridge, kClient, protect(sim.bridge_side(), down)});
  sim.run(20ms);
  REQUIRE(sim.bridge_plain_rtp.size() == 1);
  CHECK(sim.bridge_plain_rtp[0] == up);
  REQUIRE(sim.client_plain_rtp.size() == 1);
  CHECK(sim.client_plain_rtp[0] == down);
  CHECK(sim.bridge_side().counters().rtp_decrypted == 1);
}

TEST_CASE("the bridge as DTLS client when the remote answers passive") {
  Sim sim(DtlsSetup::kPassive);
  sim.run(3s);
  CHECK(sim.connected());
}

TEST_CASE("a certificate that does not match the signaled fingerprint fails the endpoint") {
  auto other = dtls::DtlsCertificate::generate();
  REQUIRE(other);
  Sim sim(DtlsSetup::kActive, *other);
  // The bridge was told the client's fingerprint is `other`'s, so re-signal a wrong one.
  sim.bridge_side().set_remote_dtls({{"sha-256", certificate()->fingerprint()}}, DtlsSetup::kActive, sim.now);
  sim.run(3s);
  CHECK(sim.bridge_side().state() == TransportState::kFailed);
  CHECK_FALSE(sim.bridge_side().media_destination().has_value());
  bool failed_event = false;
  while (auto e = sim.bridge.poll_event()) {
    failed_event |=
        e->second.state == TransportState::kFailed && e->second.reason.find("DTLS") != std::string::npos;
  }
  CHECK(failed_event);
}

TEST_CASE("bad input is dropped and counted") {
  Sim sim;
  sim.run(3s);
  REQUIRE(sim.connected());
  auto& b = sim.bridge_side();

  SUBCASE("replayed SRTP") {
    auto packet = protect(*sim.client, rtp_packet(5, 0xAABBCCDD, 0x33));
    sim.wire.push_back({kClient, kBridge, packet});
    sim.wire.push_back({kClient, kBridge, packet});
    sim.run(20ms);
    CHECK(b.counters().rtp_decrypted == 1);
    CHECK(b.counters().dropped_replay == 1);
  }
  SUBCASE("tampered SRTP") {
    auto packet = protect(*sim.client, rtp_packet(6, 0xAABBCCDD, 0x33));
    packet[20] ^= 1;
    sim.wire.push_back({kClient, kBridge, packet});
    sim.run(20ms);
    CHECK(b.counters().rtp_decrypted == 0);
    CHECK(b.counters().dropped_auth_failed == 1);
  }
  SUBCASE("truncated and garbage datagrams from the known address") {
    sim.wire.push_back({kClient, kBridge, {0x80}});
    sim.wire.push_back({kClient, kBridge, {0x80, 111, 0, 1, 0, 0}});
    sim.wire.push_back({kClient, kBridge, std::vector<std::uint8_t>(50, 0xFF)});
    sim.wire.push_back({kClient, kBridge, {}});
    sim.run(20ms);
    CHECK(b.state() == TransportState::kConnected);
    CHECK(b.counters().dropped_unknown_class + b.counters().dropped_malformed +
              b.counters().dropped_auth_failed >=
          3);
  }
  SUBCASE("SRTP and DTLS from an address ICE never validated do not reach the endpoint") {
    auto packet = protect(*sim.client, rtp_packet(8, 0xAABBCCDD, 0x33));
    std::uint64_t dropped_before = sim.bridge.demux_counters().dropped[0];
    std::uint64_t dtls_before = b.counters().dtls_in;
    sim.wire.push_back({kStranger, kBridge, packet});
    sim.wire.push_back(
        {kStranger, kBridge, {22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}});  // a DTLS record
    sim.run(20ms);
    CHECK(b.counters().rtp_decrypted == 0);
    CHECK(b.counters().dtls_in == dtls_before);
    CHECK(sim.bridge.demux_counters().dropped[0] == dropped_before + 2);
  }
}

TEST_CASE("consent expires when the client goes silent, and the endpoint fails") {
  Sim sim;
  sim.run(3s);
  REQUIRE(sim.connected());
  sim.drop_all = true;
  sim.run(25s);
  CHECK(sim.bridge_side().state() == TransportState::kConnected);  // not yet: consent lasts 30 s
  sim.run(10s);
  CHECK(sim.bridge_side().state() == TransportState::kFailed);
  CHECK_FALSE(sim.bridge_side().media_destination().has_value());
}

TEST_CASE("a port with many endpoints routes first contact by ufrag and then by address") {
  Sim sim;
  // More endpoints that never hear from anyone.
  for (int i = 0; i < 20; ++i) {
    sim.bridge.add(std::make_unique<EndpointTransport>(sim.config, certificate(), ice::IceRole::kControlling,
                                                       ice::generate_credentials(), 3333, 1));
  }
  sim.run(3s);
  CHECK(sim.connected());
  CHECK(sim.bridge.demux_counters().routed_by_ufrag >= 1);
  CHECK(sim.bridge.demux_counters().routed_by_address >= 1);
  sim.bridge.remove(sim.bridge_endpoint);
  std::uint64_t before = sim.bridge.demux_counters().routed_by_address;
  sim.wire.push_back({kClient, kBridge, protect(*sim.client, rtp_packet(9, 1, 1))});
  sim.run(20ms);
  CHECK(sim.bridge.demux_counters().routed_by_address == before);  // its address was forgotten
}

}  // namespace
}  // namespace jvb::transport
