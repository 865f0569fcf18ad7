// Tests for bridge/dtls/dtls_transport: two in-process transports, client and server, handshake
// over a fake network on a fake clock (no sockets, no sleeping). Covers use_srtp negotiation and
// the RFC 5764 §4.2 key export (checked with SrtpSession both ways), RFC 8122 fingerprint
// checks, timeouts and retransmission, hostile datagrams, application data and close_notify.
#include "bridge/dtls/dtls_transport.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <random>
#include <thread>

#include "bridge/core/log.hpp"
#include "bridge/srtp/srtp_session.hpp"

namespace jvb::dtls {
namespace {

using namespace std::chrono_literals;
using srtp::SrtpProfile;
using Bytes = std::vector<std::uint8_t>;
using Options = DtlsTransport::Options;

std::shared_ptr<const DtlsCertificate> make_certificate() {
  auto cert = DtlsCertificate::generate();
  REQUIRE_MESSAGE(cert.has_value(), cert.error());
  return cert.value();
}

// Decides whether a datagram from `from` gets through; may also record or alter it.
using Filter = std::function<bool(const DtlsTransport& from, Bytes& datagram)>;

struct Link {
  explicit Link(Options client_options = {}, Options server_options = {})
      : client_cert(make_certificate()),
        server_cert(make_certificate()),
        client(client_cert, DtlsRole::kClient, std::move(client_options)),
        server(server_cert, DtlsRole::kServer, std::move(server_options)) {}

  void exchange_fingerprints() {
    client.set_remote_fingerprints({{"sha-256", server_cert->fingerprint()}});
    server.set_remote_fingerprints({{"sha-256", client_cert->fingerprint()}});
  }

  // Moves datagrams both ways until neither side has anything to send.
  void pump(const Filter& filter = {}) {
    for (int round = 0; round < 100; ++round) {
      bool moved = false;
      for (auto* from : {&client, &server}) {
        DtlsTransport& to = from == &client ? server : client;
        while (auto d = from->poll_transmit()) {
          moved = true;
          largest_datagram = std::max(largest_datagram, d->size());
          if (!filter || filter(*from, *d)) to.handle_datagram(now, *d);
        }
      }
      if (!moved) return;
    }
    FAIL("datagrams kept flowing");
  }

  void handshake(const Filter& filter = {}) {
    server.start(now);
    client.start(now);
    pump(filter);
  }

  std::shared_ptr<const DtlsCertificate> client_cert;
  std::shared_ptr<const DtlsCertificate> server_cert;
  DtlsTransport client;
  DtlsTransport server;
  Timestamp now = Timestamp{} + 1000h;
  std::size_t largest_datagram = 0;
};

// Sends one RTP packet from the side holding `sender` keys to the side holding `receiver` keys.
void check_srtp(const SrtpKeyMaterial& sender, const SrtpKeyMaterial& receiver) {
  REQUIRE(sender.profile == receiver.profile);
  auto tx = srtp::SrtpSession::create(sender.profile, srtp::SrtpSession::Direction::kOutbound,
                                      sender.local_key_salt);
  auto rx = srtp::SrtpSession::create(receiver.profile, srtp::SrtpSession::Direction::kInbound,
                                      receiver.remote_key_salt);
  REQUIRE(tx.has_value());
  REQUIRE(rx.has_value());
  Bytes packet(12 + 50 + srtp::SrtpSession::kMaxTrailer, 0x5A);
  packet[0] = 0x80;
  packet[1] = 111;
  packet[3] = 1;
  auto protected_len = (*tx)->protect_rtp(packet, 62);
  REQUIRE(protected_len.has_value());
  auto plain_len = (*rx)->unprotect_rtp(std::span(packet).first(*protected_len));
  REQUIRE(plain_len.has_value());
  CHECK(*plain_len == 62);
  CHECK(packet[20] == 0x5A);
}

TEST_CASE("DtlsTransport: handshake with the default profiles negotiates AES-GCM") {
  Link link;
  link.exchange_fingerprints();
  CHECK(link.client.state() == DtlsState::kNew);
  link.handshake();
  REQUIRE_MESSAGE(link.client.state() == DtlsState::kConnected, link.client.failure_reason());
  REQUIRE_MESSAGE(link.server.state() == DtlsState::kConnected, link.server.failure_reason());
  const auto& c = *link.client.srtp_keys();
  const auto& s = *link.server.srtp_keys();
  CHECK(c.profile == SrtpProfile::kAeadAes128Gcm);
  CHECK(s.profile == SrtpProfile::kAeadAes128Gcm);
  CHECK(c.local_key_salt.size() == 28);
  CHECK(c.local_key_salt == s.remote_key_salt);
  CHECK(c.remote_key_salt == s.local_key_salt);
  CHECK(c.local_key_salt != c.remote_key_salt);
  // RFC 5764 §4.2 layout: client key | server key | client salt | server salt; the client
  // encrypts with the client half.
  auto material = link.client.export_keying_material("EXTRACTOR-dtls_srtp", 56);
  REQUIRE(material.has_value());
  CHECK(link.server.export_keying_material("EXTRACTOR-dtls_srtp", 56) == material);
  Bytes client_half(material->begin(), material->begin() + 16);
  client_half.insert(client_half.end(), material->begin() + 32, material->begin() + 44);
  Bytes server_half(material->begin() + 16, material->begin() + 32);
  server_half.insert(server_half.end(), material->begin() + 44, material->end());
  CHECK(c.local_key_salt == client_half);
  CHECK(s.local_key_salt == server_half);
  check_srtp(c, s);
  check_srtp(s, c);
  CHECK(link.largest_datagram <= 1200);
  CHECK_FALSE(link.client.next_timeout().has_value());
  CHECK_FALSE(link.server.next_timeout().has_value());
  CHECK(link.client.counters().handshake_failures == 0);
  CHECK(link.server.counters().datagrams_in == link.client.counters().datagrams_out);
  CHECK(link.server.counters().bytes_in == link.client.counters().bytes_out);
}

TEST_CASE("DtlsTransport: a client offering only AES-CM gets AES-CM, and keys work") {
  Link link(Options{.profiles = {SrtpProfile::kAes128CmHmacSha1_80}});
  link.exchange_fingerprints();
  link.handshake();
  REQUIRE(link.server.state() == DtlsState::kConnected);
  REQUIRE(link.client.state() == DtlsState::kConnected);
  CHECK(link.server.srtp_keys()->profile == SrtpProfile::kAes128CmHmacSha1_80);
  CHECK(link.client.srtp_keys()->local_key_salt.size() == 30);
  auto material = link.server.export_keying_material("EXTRACTOR-dtls_srtp", 60);
  REQUIRE(material.has_value());
  Bytes server_half(material->begin() + 16, material->begin() + 32);
  server_half.insert(server_half.end(), material->begin() + 46, material->end());
  CHECK(link.server.srtp_keys()->local_key_salt == server_half);
  check_srtp(*link.client.srtp_keys(), *link.server.srtp_keys());
  check_srtp(*link.server.srtp_keys(), *link.client.srtp_keys());
}

TEST_CASE("DtlsTransport: the server's preference wins") {
  Link link(Options{}, Options{.profiles = {SrtpProfile::kAes128CmHmacSha1_80, SrtpProfile::kAeadAes128Gcm}});
  link.exchange_fingerprints();
  link.handshake();
  REQUIRE(link.client.state() == DtlsState::kConnected);
  CHECK(link.client.srtp_keys()->profile == SrtpProfile::kAes128CmHmacSha1_80);
  CHECK(link.server.srtp_keys()->profile == SrtpProfile::kAes128CmHmacSha1_80);
}

TEST_CASE("DtlsTransport: no common SRTP profile fails both sides") {
  Link link(Options{.profiles = {SrtpProfile::kAes128CmHmacSha1_80}},
            Options{.profiles = {SrtpProfile::kAeadAes128Gcm}});
  link.exchange_fingerprints();
  link.handshake();
  CHECK(link.server.state() == DtlsState::kFailed);
  CHECK(link.server.failure_reason() == "no common SRTP protection profile");
  CHECK(link.server.counters().no_common_profile == 1);
  CHECK(link.server.counters().handshake_failures == 1);
  CHECK(link.client.state() == DtlsState::kFailed);
  CHECK_FALSE(link.server.srtp_keys().has_value());
  CHECK_FALSE(link.client.srtp_keys().has_value());
}

TEST_CASE("DtlsTransport: a wrong client fingerprint fails the server, and the client hears of it") {
  Link link;
  auto other = make_certificate();
  link.client.set_remote_fingerprints({{"sha-256", link.server_cert->fingerprint()}});
  link.server.set_remote_fingerprints({{"sha-256", other->fingerprint()}});
  std::vector<std::string> lines;
  log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
  link.handshake();
  log::set_sink({});
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("WARNING") != std::string::npos);
  CHECK(lines[0].find("Dtls: server failed: remote certificate does not match") != std::string::npos);
  CHECK(link.server.state() == DtlsState::kFailed);
  CHECK(link.server.failure_reason() == "remote certificate does not match the signaled sha-256 fingerprint");
  CHECK(link.server.counters().fingerprint_mismatches == 1);
  CHECK(link.server.counters().handshake_failures == 1);
  CHECK(link.server.counters().alerts_sent >= 1);
  CHECK_FALSE(link.server.srtp_keys().has_value());
  CHECK(link.client.state() == DtlsState::kFailed);
  CHECK(link.client.failure_reason().find("bad certificate") != std::string::npos);
  CHECK(link.client.counters().alerts_received >= 1);
}

TEST_CASE("DtlsTransport: a wrong server fingerprint fails the client") {
  Link link;
  auto other = make_certificate();
  link.client.set_remote_fingerprints({{"sha-256", other->fingerprint()}});
  link.server.set_remote_fingerprints({{"sha-256", link.client_cert->fingerprint()}});
  link.handshake();
  CHECK(link.client.state() == DtlsState::kFailed);
  CHECK(link.client.failure_reason() == "remote certificate does not match the signaled sha-256 fingerprint");
  CHECK(link.client.counters().fingerprint_mismatches == 1);
  CHECK(link.server.state() == DtlsState::kFailed);
}

TEST_CASE("DtlsTransport: without signaled fingerprints the handshake fails") {
  Link link;
  link.client.set_remote_fingerprints({{"sha-256", link.server_cert->fingerprint()}});
  link.handshake();
  CHECK(link.server.state() == DtlsState::kFailed);
  CHECK(link.server.failure_reason() == "no remote fingerprints were signaled");
  CHECK(link.server.counters().fingerprints_missing == 1);
  CHECK_FALSE(link.server.srtp_keys().has_value());
  // The server finished the handshake before it could check, so it says close_notify.
  CHECK(link.client.state() == DtlsState::kClosed);
}

TEST_CASE("DtlsTransport: fingerprints may arrive after start()") {
  Link link;
  link.server.start(link.now);
  link.client.start(link.now);
  link.exchange_fingerprints();
  link.pump();
  CHECK(link.client.state() == DtlsState::kConnected);
  CHECK(link.server.state() == DtlsState::kConnected);
}

TEST_CASE("DtlsTransport: the strongest offered hash decides (RFC 8122 §5)") {
  auto run = [](std::vector<DtlsFingerprint> at_server) {
    Link link;
    link.client.set_remote_fingerprints({{"sha-256", link.server_cert->fingerprint()}});
    for (auto& f : at_server) {
      if (f.value == "client") f.value = *DtlsCertificate::fingerprint_of(*link.client_cert->x509(), f.hash);
    }
    link.server.set_remote_fingerprints(std::move(at_server));
    link.handshake();
    return link.server.state();
  };
  // A correct sha-1 does not save a wrong sha-256.
  CHECK(run({{"sha-1", "client"}, {"sha-256", "00:11"}}) == DtlsState::kFailed);
  // A correct sha-512 wins over a wrong sha-1.
  CHECK(run({{"sha-1", "00:11"}, {"SHA-512", "client"}}) == DtlsState::kConnected);
  CHECK(run({{"sha-384", "client"}}) == DtlsState::kConnected);
  // One of several values for the chosen hash is enough.
  CHECK(run({{"sha-256", "AA:BB"}, {"sha-256", "client"}}) == DtlsState::kConnected);
  CHECK(run({{"md5", "00:11"}}) == DtlsState::kFailed);
}

TEST_CASE("DtlsTransport: fingerprint values compare case-insensitively") {
  Link link;
  std::string lower = link.client_cert->fingerprint();
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char ch) { return static_cast<char>(std::tolower(ch)); });
  link.client.set_remote_fingerprints({{"sha-256", link.server_cert->fingerprint()}});
  link.server.set_remote_fingerprints({{"sha-256", lower}});
  link.handshake();
  CHECK(link.server.state() == DtlsState::kConnected);
}

TEST_CASE("DtlsTransport: new fingerprints after connecting are checked again") {
  Link link;
  link.exchange_fingerprints();
  link.handshake();
  REQUIRE(link.server.state() == DtlsState::kConnected);
  link.server.set_remote_fingerprints({{"sha-256", link.client_cert->fingerprint()}});
  CHECK(link.server.state() == DtlsState::kConnected);
  link.server.set_remote_fingerprints({{"sha-256", link.server_cert->fingerprint()}});
  CHECK(link.server.state() == DtlsState::kFailed);
  CHECK(link.server.counters().fingerprint_mismatches == 1);
  CHECK(link.server.counters().handshake_failures == 0);
  link.pump();
  CHECK(link.client.state() == DtlsState::kClosed);
}

TEST_CASE("DtlsTransport: handshake timeout on a fake clock when the peer never answers") {
  Link link;
  link.exchange_fingerprints();
  const Timestamp start = link.now;
  link.client.start(start);
  REQUIRE(link.client.poll_transmit().has_value());  // the ClientHello, lost
  int steps = 0;
  while (link.client.state() == DtlsState::kConnecting && steps < 1000) {
    auto next = link.client.next_timeout();
    REQUIRE(next.has_value());
    CHECK(*next >= link.now);
    link.now = *next;
    link.client.handle_timeout(link.now);
    while (link.client.poll_transmit()) {
    }
    ++steps;
  }
  CHECK(link.client.state() == DtlsState::kFailed);
  CHECK(link.now - start == 30s);
  CHECK(link.client.counters().handshake_timeouts == 1);
  CHECK(link.client.counters().handshake_failures == 1);
  CHECK(link.client.failure_reason() == "DTLS handshake did not complete within 30000 ms");
  CHECK_FALSE(link.client.next_timeout().has_value());

  // A server that never hears a ClientHello times out as well.
  link.server.start(start);
  CHECK(link.server.next_timeout() == start + 30s);
  link.server.handle_timeout(start + 29s);
  CHECK(link.server.state() == DtlsState::kConnecting);
  link.server.handle_timeout(start + 30s);
  CHECK(link.server.state() == DtlsState::kFailed);
}

TEST_CASE("DtlsTransport: a fake clock ahead of real time does not make OpenSSL retransmit early") {
  // The documented limit: OpenSSL checks its 1 s timer against the real clock.
  Link link;
  link.client.start(link.now);
  REQUIRE(link.client.poll_transmit().has_value());
  auto next = link.client.next_timeout();
  REQUIRE(next.has_value());
  CHECK(*next > link.now + 900ms);
  CHECK(*next <= link.now + 1s);
  link.client.handle_timeout(*next);
  CHECK(link.client.counters().retransmissions == 0);
  CHECK_FALSE(link.client.poll_transmit().has_value());
  REQUIRE(link.client.next_timeout().has_value());
  CHECK(*link.client.next_timeout() > *next);  // re-armed with what OpenSSL says is left
}

// Fires `transport`'s next retransmission: moves the fake clock to its deadline and calls
// handle_timeout(). OpenSSL checks its timer against the real clock, so this waits in real time
// for as long as OpenSSL says is left (the documented limit of DtlsTransport::handle_timeout);
// with a 50 ms retransmission timeout that is about 50 ms per call.
void fire_retransmission(Link& link, DtlsTransport& transport) {
  const std::uint64_t before = transport.counters().retransmissions;
  for (int i = 0; i < 100 && transport.counters().retransmissions == before; ++i) {
    const auto next = transport.next_timeout();
    REQUIRE(next.has_value());
    if (*next > link.now) {
      std::this_thread::sleep_for(*next - link.now);
      link.now = *next;
    }
    transport.handle_timeout(link.now);
  }
  REQUIRE(transport.counters().retransmissions > before);
}

TEST_CASE("DtlsTransport: a lost first flight is recovered by retransmission") {
  // Real waiting: about 50 ms (see fire_retransmission).
  Link link(Options{.retransmit_timeout = 50ms});
  link.exchange_fingerprints();
  link.server.start(link.now);
  link.client.start(link.now);
  auto hello = link.client.poll_transmit();
  REQUIRE(hello.has_value());  // dropped
  const Timestamp started = link.now;
  REQUIRE(link.client.next_timeout().has_value());
  CHECK(*link.client.next_timeout() <= started + 50ms);
  CHECK(*link.client.next_timeout() > started + 30ms);
  fire_retransmission(link, link.client);
  CHECK(link.client.counters().retransmissions == 1);
  auto again = link.client.poll_transmit();
  REQUIRE(again.has_value());
  CHECK(*again != *hello);  // same ClientHello, next record sequence number
  CHECK(again->size() == hello->size());
  // The next timer is doubled.
  CHECK(*link.client.next_timeout() > link.now + 80ms);
  link.server.handle_datagram(link.now, *again);
  link.pump();
  CHECK(link.client.state() == DtlsState::kConnected);
  CHECK(link.server.state() == DtlsState::kConnected);
}

TEST_CASE("DtlsTransport: a lost last flight is recovered from the client's retransmission") {
  // Real waiting: about 50 ms (see fire_retransmission).
  Link link(Options{.retransmit_timeout = 50ms});
  link.exchange_fingerprints();
  bool dropping = true;
  // Drop everything the server sends once it is connected: its ChangeCipherSpec and Finished.
  link.handshake([&](const DtlsTransport& from, Bytes&) {
    return !(dropping && &from == &link.server && link.server.state() == DtlsState::kConnected);
  });
  REQUIRE(link.server.state() == DtlsState::kConnected);
  REQUIRE(link.client.state() == DtlsState::kConnecting);
  dropping = false;
  fire_retransmission(link, link.client);
  link.pump();
  CHECK(link.client.state() == DtlsState::kConnected);
  CHECK(link.client.srtp_keys()->local_key_salt == link.server.srtp_keys()->remote_key_salt);
}

TEST_CASE("DtlsTransport: garbage and truncated datagrams are dropped and counted") {
  Link link;
  link.exchange_fingerprints();
  link.server.start(link.now);
  link.client.start(link.now);
  auto hello = link.client.poll_transmit();
  REQUIRE(hello.has_value());
  REQUIRE(hello->size() > 13);

  std::uint64_t sent = 0;
  for (std::size_t n = 0; n < hello->size(); ++n) {  // every truncation of the ClientHello
    link.server.handle_datagram(link.now, std::span(*hello).first(n));
    ++sent;
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    Bytes junk(1 + rng() % 1500);
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    link.server.handle_datagram(link.now, junk);
    link.client.handle_datagram(link.now, junk);
    ++sent;
  }
  Bytes wrong_version = *hello;
  wrong_version[1] = 0x03;  // TLS, not DTLS
  link.server.handle_datagram(link.now, wrong_version);
  Bytes trailing = *hello;
  trailing.push_back(22);  // a record header cut short after a good record
  link.server.handle_datagram(link.now, trailing);
  Bytes huge(DtlsTransport::kMaxDatagram + 1, 22);
  link.server.handle_datagram(link.now, huge);
  sent += 3;

  CHECK(link.server.counters().malformed_datagrams == sent);
  CHECK(link.server.counters().datagrams_in == sent);
  CHECK(link.server.state() == DtlsState::kConnecting);
  CHECK(link.client.state() == DtlsState::kConnecting);
  CHECK_FALSE(link.server.poll_transmit().has_value());

  // The real ClientHello still works afterwards.
  link.server.handle_datagram(link.now, *hello);
  link.pump();
  CHECK(link.client.state() == DtlsState::kConnected);
  CHECK(link.server.state() == DtlsState::kConnected);

  // Garbage after connecting changes nothing either.
  for (int i = 0; i < 50; ++i) {
    Bytes junk(1 + rng() % 300);
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    link.server.handle_datagram(link.now, junk);
  }
  CHECK(link.server.state() == DtlsState::kConnected);
}

TEST_CASE("DtlsTransport: well-framed records with garbage inside never crash") {
  std::mt19937 rng(11);
  for (int i = 0; i < 50; ++i) {
    Link link;
    link.exchange_fingerprints();
    link.server.start(link.now);
    Bytes record(13 + 1 + rng() % 400);
    for (auto& b : record) b = static_cast<std::uint8_t>(rng());
    record[0] = static_cast<std::uint8_t>(20 + rng() % 4);
    record[1] = 0xFE;
    record[2] = 0xFD;
    record[11] = static_cast<std::uint8_t>((record.size() - 13) >> 8);
    record[12] = static_cast<std::uint8_t>(record.size() - 13);
    link.server.handle_datagram(link.now, record);
    CHECK(link.server.counters().malformed_datagrams == 0);
    CHECK(link.server.state() != DtlsState::kConnected);
  }
}

TEST_CASE("DtlsTransport: out-of-order and duplicated datagrams") {
  // A small MTU splits the server's flight (certificate included) over several datagrams.
  Link link(Options{.mtu = 300}, Options{.mtu = 300});
  link.exchange_fingerprints();
  link.server.start(link.now);
  link.client.start(link.now);
  auto hello = link.client.poll_transmit();
  REQUIRE(hello);
  link.server.handle_datagram(link.now, *hello);
  std::vector<Bytes> flight;
  while (auto d = link.server.poll_transmit()) flight.push_back(std::move(*d));
  REQUIRE(flight.size() >= 3);
  for (const auto& d : flight) CHECK(d.size() <= 300);
  std::reverse(flight.begin(), flight.end());
  for (const auto& d : flight) link.client.handle_datagram(link.now, d);
  link.server.handle_datagram(link.now, *hello);  // a duplicate ClientHello
  link.pump();
  CHECK(link.client.state() == DtlsState::kConnected);
  CHECK(link.server.state() == DtlsState::kConnected);
  CHECK(link.largest_datagram <= 300);

  // Stale handshake datagrams after connecting are ignored by OpenSSL.
  for (const auto& d : flight) link.client.handle_datagram(link.now, d);
  link.server.handle_datagram(link.now, *hello);
  link.pump();
  CHECK(link.client.state() == DtlsState::kConnected);
  CHECK(link.server.state() == DtlsState::kConnected);
}

TEST_CASE("DtlsTransport: application data both ways once connected") {
  Link link;
  link.exchange_fingerprints();
  const Bytes early{1, 2, 3};
  CHECK_FALSE(link.client.send_application_data(early));
  CHECK_FALSE(link.client.export_keying_material("EXTRACTOR-dtls_srtp", 56).has_value());
  link.handshake();
  REQUIRE(link.client.state() == DtlsState::kConnected);
  CHECK_FALSE(link.client.poll_application_data().has_value());

  Bytes big(1100);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i);
  CHECK(link.client.send_application_data(early));
  CHECK(link.client.send_application_data(big));
  CHECK(link.server.send_application_data(big));
  CHECK_FALSE(link.server.send_application_data({}));
  link.pump();
  CHECK(link.server.poll_application_data() == early);
  CHECK(link.server.poll_application_data() == big);
  CHECK_FALSE(link.server.poll_application_data().has_value());
  CHECK(link.client.poll_application_data() == big);
  CHECK(link.client.counters().application_messages_out == 2);
  CHECK(link.server.counters().application_messages_in == 2);
  CHECK(link.client.counters().application_messages_dropped == 1);
}

TEST_CASE("DtlsTransport: close_notify closes the peer") {
  Link link;
  link.exchange_fingerprints();
  link.handshake();
  REQUIRE(link.server.state() == DtlsState::kConnected);
  link.client.close();
  CHECK(link.client.state() == DtlsState::kClosed);
  link.pump();
  CHECK(link.server.state() == DtlsState::kClosed);
  CHECK(link.server.failure_reason().empty());
  CHECK_FALSE(link.server.send_application_data(Bytes{1}));
  const std::uint64_t ignored = link.server.counters().ignored_datagrams;
  link.server.handle_datagram(link.now, Bytes{23, 0xFE, 0xFD});
  CHECK(link.server.counters().ignored_datagrams == ignored + 1);
}

TEST_CASE("DtlsTransport: datagrams before start") {
  Link link;
  link.exchange_fingerprints();
  const Bytes record{22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  link.client.handle_datagram(link.now, record);
  CHECK(link.client.state() == DtlsState::kNew);
  CHECK(link.client.counters().ignored_datagrams == 1);
  // A server starts on its first datagram.
  link.client.start(link.now);
  link.pump();
  CHECK(link.server.state() == DtlsState::kConnected);
  CHECK(link.client.state() == DtlsState::kConnected);
}

TEST_CASE("DtlsTransport: bad options fail at start") {
  auto cert = make_certificate();
  DtlsTransport no_profiles(cert, DtlsRole::kServer, Options{.profiles = {}});
  no_profiles.start(Timestamp{});
  CHECK(no_profiles.state() == DtlsState::kFailed);
  CHECK(no_profiles.failure_reason() == "no SRTP protection profiles configured");
  DtlsTransport tiny_mtu(cert, DtlsRole::kClient, Options{.mtu = 100});
  tiny_mtu.start(Timestamp{});
  CHECK(tiny_mtu.state() == DtlsState::kFailed);
  DtlsTransport no_cert(nullptr, DtlsRole::kClient, Options{});
  no_cert.start(Timestamp{});
  CHECK(no_cert.state() == DtlsState::kFailed);
}

TEST_CASE("DtlsTransport: 1000 transports from one certificate") {
  auto cert = make_certificate();
  std::vector<std::unique_ptr<DtlsTransport>> transports;
  const auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) {
    transports.push_back(std::make_unique<DtlsTransport>(cert, DtlsRole::kServer, Options{}));
  }
  const auto elapsed = std::chrono::steady_clock::now() - begin;
  MESSAGE("creating 1000 transports took ",
          std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count() / 1000.0, " us each");
  for (auto& t : transports) {
    t->start(Timestamp{});
    CHECK(t->state() == DtlsState::kConnecting);
  }
}

}  // namespace
}  // namespace jvb::dtls
