// Tests of sctp/sctp_association.hpp: two in-process associations over a simulated wire
// (sim_network.hpp) on a fake clock that drives usrsctp's timers.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "sctp/sctp_association.hpp"
#include "tests/unit/sctp/sim_network.hpp"

using namespace jvb::sctp;
using namespace jvb::sctp::test;
using jvb::Timestamp;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes text_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes pattern(std::size_t size, std::uint32_t seed) {
  Bytes b(size);
  std::mt19937 rng(seed);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

std::vector<SctpEvent> messages(const std::vector<SctpEvent>& events) {
  std::vector<SctpEvent> out;
  for (const auto& e : events) {
    if (e.kind == SctpEventKind::kMessage) out.push_back(e);
  }
  return out;
}

bool has_event(const std::vector<SctpEvent>& events, SctpEventKind kind) {
  return std::any_of(events.begin(), events.end(), [&](const SctpEvent& e) { return e.kind == kind; });
}

// A client and a passive server, linked; connect() brings the association up.
struct Pair {
  explicit Pair(SctpAssociation::Options client_options = {}, SctpAssociation::Options server_options = {},
                LinkConfig link = {}, std::uint32_t seed = 1)
      : net(seed), client(client_options), server(server_options), c(net.add(client)), s(net.add(server)) {
    net.link(c, s, link);
  }
  bool connect() {
    client.connect(net.now());
    return net.run_until(
        [&] { return client.state() == SctpState::kConnected && server.state() == SctpState::kConnected; },
        60s);
  }

  SimNetwork net;
  SctpAssociation client;
  SctpAssociation server;
  Node<SctpAssociation>& c;
  Node<SctpAssociation>& s;
};

}  // namespace

TEST_CASE("the client connects and the passive server answers without ever sending INIT") {
  Pair p;
  p.c.capture = true;
  p.s.capture = true;
  CHECK(p.server.state() == SctpState::kIdle);
  p.net.run_for(2s);
  CHECK(p.s.sent.empty());  // passive: nothing without the peer's INIT
  CHECK_FALSE(p.server.next_timeout().has_value());

  REQUIRE(p.connect());
  REQUIRE_FALSE(p.c.sent.empty());
  REQUIRE_FALSE(p.s.sent.empty());
  CHECK(first_chunk_type(p.c.sent.front()) == 1);  // INIT
  CHECK(first_chunk_type(p.s.sent.front()) == 2);  // INIT ACK
  for (const auto& packet : p.s.sent) CHECK(first_chunk_type(packet) != 1);
  CHECK(p.server.inbound_streams() == 1024);
  CHECK(p.server.outbound_streams() == 1024);
  CHECK(has_event(p.s.events, SctpEventKind::kConnected));
  CHECK(has_event(p.c.events, SctpEventKind::kConnected));
  REQUIRE(p.client.next_timeout().has_value());
  CHECK(*p.client.next_timeout() == p.net.now() + UsrsctpLibrary::kTimerInterval);
  CHECK(p.server.counters().packets_in > 0);
  CHECK(p.server.counters().packets_out > 0);
}

TEST_CASE("messages flow both ways in order, with their stream ids and PPIDs") {
  Pair p;
  REQUIRE(p.connect());
  for (int i = 0; i < 100; ++i) {
    const auto stream = static_cast<std::uint16_t>(i % 3);
    REQUIRE(p.client.send(stream, 51, text_bytes("c" + std::to_string(i)), p.net.now()) == SendStatus::kOk);
    REQUIRE(p.server.send(stream, 53, text_bytes("s" + std::to_string(i)), p.net.now()) == SendStatus::kOk);
  }
  p.net.collect();
  REQUIRE(p.net.run_until(
      [&] { return messages(p.s.events).size() == 100 && messages(p.c.events).size() == 100; }, 10s));
  const auto at_server = messages(p.s.events);
  const auto at_client = messages(p.c.events);
  for (int i = 0; i < 100; ++i) {
    CHECK(at_server[i].data == text_bytes("c" + std::to_string(i)));
    CHECK(at_server[i].stream_id == i % 3);
    CHECK(at_server[i].ppid == 51);
    CHECK(at_client[i].data == text_bytes("s" + std::to_string(i)));
    CHECK(at_client[i].ppid == 53);
  }
  CHECK(p.client.counters().messages_out == 100);
  CHECK(p.server.counters().messages_in == 100);
}

TEST_CASE("large messages are reassembled; messages above max_message_size are dropped and counted") {
  SctpAssociation::Options server_options;
  server_options.partial_delivery_point = 16 * 1024;  // usrsctp hands 100 KB over in pieces
  server_options.max_message_size = 150 * 1024;
  Pair p({}, server_options);
  REQUIRE(p.connect());
  const Bytes big = pattern(100 * 1024, 7);
  const Bytes too_big = pattern(200 * 1024, 8);
  REQUIRE(p.client.send(1, 53, big, p.net.now()) == SendStatus::kOk);
  REQUIRE(p.client.send(1, 53, too_big, p.net.now()) == SendStatus::kOk);  // fine for the sender
  REQUIRE(p.client.send(1, 51, text_bytes("after"), p.net.now()) == SendStatus::kOk);
  p.net.collect();
  REQUIRE(p.net.run_until([&] { return messages(p.s.events).size() == 2; }, 30s));
  const auto got = messages(p.s.events);
  CHECK(got[0].data == big);
  CHECK(got[1].data == text_bytes("after"));
  CHECK(p.server.counters().messages_in_pieces >= 1);
  CHECK(p.server.counters().messages_in_too_large == 1);
  // The server refuses to send what it would not accept.
  CHECK(p.server.send(1, 53, too_big, p.net.now()) == SendStatus::kTooLarge);
  CHECK(p.server.counters().sends_too_large == 1);

  // A whole message (no partial delivery) above the limit is dropped too.
  SctpAssociation::Options small;
  small.max_message_size = 1000;
  Pair q({}, small);
  REQUIRE(q.connect());
  REQUIRE(q.client.send(0, 51, pattern(1001, 1), q.net.now()) == SendStatus::kOk);
  REQUIRE(q.client.send(0, 51, pattern(1000, 2), q.net.now()) == SendStatus::kOk);
  q.net.collect();
  REQUIRE(q.net.run_until([&] { return messages(q.s.events).size() == 1; }, 10s));
  CHECK(messages(q.s.events)[0].data == pattern(1000, 2));
  CHECK(q.server.counters().messages_in_too_large == 1);
}

TEST_CASE("20% loss with reordering and duplication still delivers everything in order") {
  LinkConfig lossy;
  lossy.loss = 0.2;
  lossy.reorder = 0.3;
  lossy.duplicate = 0.05;
  Pair p({}, {}, lossy, 42);
  REQUIRE(p.connect());
  constexpr int kCount = 150;
  std::vector<Bytes> from_client, from_server;
  for (int i = 0; i < kCount; ++i) {
    // Some messages span several packets.
    from_client.push_back(pattern(i % 10 == 0 ? 5000 : 50 + i, static_cast<std::uint32_t>(i)));
    from_server.push_back(pattern(i % 7 == 0 ? 3000 : 20 + i, static_cast<std::uint32_t>(1000 + i)));
    REQUIRE(p.client.send(0, 51, from_client.back(), p.net.now()) == SendStatus::kOk);
    REQUIRE(p.server.send(0, 51, from_server.back(), p.net.now()) == SendStatus::kOk);
    if (i % 10 == 0) p.net.run_for(20ms);
  }
  p.net.collect();
  REQUIRE(p.net.run_until(
      [&] { return messages(p.s.events).size() == kCount && messages(p.c.events).size() == kCount; }, 600s));
  const auto at_server = messages(p.s.events);
  const auto at_client = messages(p.c.events);
  for (int i = 0; i < kCount; ++i) {
    CHECK(at_server[i].data == from_client[i]);
    CHECK(at_client[i].data == from_server[i]);
  }
  CHECK(p.c.dropped > 0);
  CHECK(p.s.dropped > 0);
  CHECK(p.client.state() == SctpState::kConnected);
}

TEST_CASE("send results: not connected, empty, too large, and a full send buffer counted as a drop") {
  SctpAssociation::Options options;
  options.send_buffer_size = 64 * 1024;
  options.max_message_size = 16 * 1024;
  Pair p(options);
  CHECK(p.client.send(0, 51, text_bytes("early"), p.net.now()) == SendStatus::kNotConnected);
  CHECK(p.client.counters().sends_not_connected == 1);
  REQUIRE(p.connect());
  CHECK(p.client.send(0, 51, {}, p.net.now()) == SendStatus::kEmpty);
  CHECK(p.client.send(0, 51, pattern(16 * 1024 + 1, 1), p.net.now()) == SendStatus::kTooLarge);
  CHECK(p.client.counters().sends_too_large == 1);

  // The peer stops acknowledging: the send buffer fills up.
  p.c.link.loss = 1;
  int accepted = 0;
  SendStatus status = SendStatus::kOk;
  while (accepted < 1000) {
    status = p.client.send(0, 53, pattern(4000, static_cast<std::uint32_t>(accepted)), p.net.now());
    if (status != SendStatus::kOk) break;
    ++accepted;
  }
  CHECK(status == SendStatus::kBufferFull);
  CHECK(p.client.counters().sends_buffer_full == 1);
  CHECK(accepted > 5);
  CHECK(accepted < 20);  // about 64 KiB of 4000-byte messages

  // The link recovers: everything accepted arrives, and there is room again.
  p.c.link.loss = 0;
  REQUIRE(p.net.run_until([&] { return messages(p.s.events).size() == static_cast<std::size_t>(accepted); },
                          120s));
  for (int i = 0; i < accepted; ++i)
    CHECK(messages(p.s.events)[i].data == pattern(4000, static_cast<std::uint32_t>(i)));
  CHECK(p.client.send(0, 53, pattern(4000, 9999), p.net.now()) == SendStatus::kOk);
  CHECK(p.client.counters().messages_out == static_cast<std::uint64_t>(accepted) + 1);
}

TEST_CASE("garbage packets are dropped, the short ones counted, and the association survives") {
  Pair p;
  REQUIRE(p.connect());
  const Timestamp now = p.net.now();
  p.server.handle_packet(now, Bytes{});
  p.server.handle_packet(now, Bytes{0x13});
  p.server.handle_packet(now, Bytes(15, 0xAB));
  p.server.handle_packet(now, Bytes(SctpAssociation::kMaxPacketSize + 1, 0));
  CHECK(p.server.counters().packets_malformed == 4);
  std::mt19937 rng(3);
  for (int i = 0; i < 200; ++i) {
    Bytes junk = pattern(16 + rng() % 1500, rng());
    if (i % 2 == 0) {
      junk[0] = 0x13;  // source port 5000
      junk[1] = 0x88;
      junk[2] = 0x13;  // destination port 5000
      junk[3] = 0x88;
    }
    p.server.handle_packet(now, junk);
  }
  CHECK(p.server.counters().packets_malformed == 4);  // the rest went to usrsctp, which checks the CRC32c
  p.net.collect();
  REQUIRE(p.client.send(0, 51, text_bytes("still here"), p.net.now()) == SendStatus::kOk);
  p.net.collect();
  REQUIRE(p.net.run_until([&] { return !messages(p.s.events).empty(); }, 10s));
  CHECK(messages(p.s.events)[0].data == text_bytes("still here"));
  CHECK(p.server.state() == SctpState::kConnected);
}

TEST_CASE("close() aborts: the ABORT reaches the peer, which reports it") {
  Pair p;
  p.s.capture = true;
  REQUIRE(p.connect());
  p.s.sent.clear();
  p.server.close();
  CHECK(p.server.state() == SctpState::kClosed);
  CHECK(p.server.close_reason() == SctpCloseReason::kLocalClose);
  CHECK_FALSE(p.server.next_timeout().has_value());
  p.net.collect();
  REQUIRE(p.s.sent.size() == 1);
  CHECK(first_chunk_type(p.s.sent[0]) == 6);  // ABORT
  REQUIRE(p.net.run_until([&] { return p.client.state() == SctpState::kClosed; }, 1s));
  CHECK(p.client.close_reason() == SctpCloseReason::kPeerAborted);
  REQUIRE(has_event(p.c.events, SctpEventKind::kClosed));
  CHECK(p.c.events.back().reason == SctpCloseReason::kPeerAborted);
  CHECK_FALSE(has_event(p.s.events, SctpEventKind::kClosed));  // no event for a local close
  CHECK(p.client.send(0, 51, text_bytes("x"), p.net.now()) == SendStatus::kNotConnected);
  p.server.handle_packet(p.net.now(), Bytes(100, 0));
  CHECK(p.server.counters().packets_after_close == 1);
}

TEST_CASE(
    "destroying an endpoint mid-association: the peer sees the association lost after its retransmissions") {
  SctpAssociation::Options options;
  options.max_retransmissions = 4;
  SimNetwork net;
  SctpAssociation client(options);
  auto server = std::make_unique<SctpAssociation>();
  auto& c = net.add(client);
  auto& s = net.add(*server);
  net.link(c, s);
  client.connect(net.now());
  REQUIRE(net.run_until([&] { return client.state() == SctpState::kConnected; }, 10s));
  REQUIRE(client.send(0, 51, text_bytes("one"), net.now()) == SendStatus::kOk);
  net.collect();
  // Destroyed with packets in flight both ways.
  s.detach();
  server.reset();
  REQUIRE(client.send(0, 51, text_bytes("two"), net.now()) == SendStatus::kOk);
  REQUIRE(net.run_until([&] { return client.state() == SctpState::kClosed; }, 120s));
  CHECK(client.close_reason() == SctpCloseReason::kLost);
  REQUIRE_FALSE(c.events.empty());
  CHECK(c.events.back().kind == SctpEventKind::kClosed);
  CHECK(c.events.back().reason == SctpCloseReason::kLost);
  CHECK_FALSE(client.next_timeout().has_value());
}

TEST_CASE("destroying endpoints at any stage is safe") {
  for (int stage = 0; stage < 4; ++stage) {
    CAPTURE(stage);
    SimNetwork net(static_cast<std::uint32_t>(stage));
    auto client = std::make_unique<SctpAssociation>();
    auto server = std::make_unique<SctpAssociation>();
    auto& c = net.add(*client);
    auto& s = net.add(*server);
    net.link(c, s);
    client->connect(net.now());
    net.run_for(stage * 4ms);  // before INIT arrives, after INIT, after INIT ACK, after COOKIE ECHO
    (void)client->send(0, 51, text_bytes("x"), net.now());
    if (stage % 2 == 0) {
      s.detach();
      server.reset();
    } else {
      c.detach();
      client.reset();
    }
    net.run_for(5s);
  }
  CHECK(UsrsctpLibrary::socket_count() == 0);
}

TEST_CASE("a stream reset by the peer is reported with its stream ids") {
  Pair p;
  REQUIRE(p.connect());
  REQUIRE(p.client.send(3, 51, text_bytes("on 3"), p.net.now()) == SendStatus::kOk);
  const std::uint16_t streams[] = {3};
  REQUIRE(p.client.reset_streams(streams, p.net.now()));
  p.net.collect();
  REQUIRE(p.net.run_until([&] { return has_event(p.s.events, SctpEventKind::kStreamsReset); }, 10s));
  for (const auto& e : p.s.events) {
    if (e.kind == SctpEventKind::kStreamsReset) CHECK(e.streams == std::vector<std::uint16_t>{3});
  }
  CHECK(p.server.counters().stream_resets_in == 1);
  CHECK(messages(p.s.events).size() == 1);  // the message sent before the reset arrived first
}

TEST_CASE("50 associations at once") {
  constexpr int kPairs = 50;
  SimNetwork net(9);
  std::vector<std::unique_ptr<SctpAssociation>> clients, servers;
  std::vector<Node<SctpAssociation>*> client_nodes, server_nodes;
  for (int i = 0; i < kPairs; ++i) {
    clients.push_back(std::make_unique<SctpAssociation>());
    servers.push_back(std::make_unique<SctpAssociation>());
    client_nodes.push_back(&net.add(*clients.back()));
    server_nodes.push_back(&net.add(*servers.back()));
    net.link(*client_nodes.back(), *server_nodes.back());
    clients.back()->connect(net.now());
  }
  CHECK(UsrsctpLibrary::socket_count() == 2 * kPairs);
  auto all_connected = [&] {
    for (int i = 0; i < kPairs; ++i) {
      if (servers[i]->state() != SctpState::kConnected || clients[i]->state() != SctpState::kConnected)
        return false;
    }
    return true;
  };
  REQUIRE(net.run_until(all_connected, 30s));
  for (int i = 0; i < kPairs; ++i) {
    REQUIRE(clients[i]->send(0, 51, text_bytes("to server " + std::to_string(i)), net.now()) ==
            SendStatus::kOk);
    REQUIRE(servers[i]->send(0, 51, text_bytes("to client " + std::to_string(i)), net.now()) ==
            SendStatus::kOk);
  }
  net.collect();
  auto all_delivered = [&] {
    for (int i = 0; i < kPairs; ++i) {
      if (messages(server_nodes[i]->events).empty() || messages(client_nodes[i]->events).empty())
        return false;
    }
    return true;
  };
  REQUIRE(net.run_until(all_delivered, 30s));
  for (int i = 0; i < kPairs; ++i) {
    CHECK(messages(server_nodes[i]->events)[0].data == text_bytes("to server " + std::to_string(i)));
    CHECK(messages(client_nodes[i]->events)[0].data == text_bytes("to client " + std::to_string(i)));
  }
  // Every other server goes away; the remaining pairs keep working.
  for (int i = 0; i < kPairs; i += 2) {
    server_nodes[i]->detach();
    servers[i].reset();
  }
  CHECK(UsrsctpLibrary::socket_count() == 2 * kPairs - kPairs / 2);
  for (int i = 1; i < kPairs; i += 2) {
    REQUIRE(clients[i]->send(0, 51, text_bytes("again"), net.now()) == SendStatus::kOk);
  }
  net.collect();
  REQUIRE(net.run_until(
      [&] {
        for (int i = 1; i < kPairs; i += 2) {
          if (messages(server_nodes[i]->events).size() < 2) return false;
        }
        return true;
      },
      30s));
  for (int i = 0; i < kPairs; ++i) {
    client_nodes[i]->detach();
    server_nodes[i]->detach();
  }
  clients.clear();
  servers.clear();
  CHECK(UsrsctpLibrary::socket_count() == 0);
}
