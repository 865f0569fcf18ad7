// Tests of sctp/data_channels.hpp: DCEP and text messages between in-process sessions, and
// against a raw SctpAssociation playing a browser that sends whatever the test wants.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sctp/data_channels.hpp"
#include "sctp/dcep.hpp"
#include "tests/unit/sctp/sim_network.hpp"

using namespace jvb::sctp;
using namespace jvb::sctp::test;
using jvb::Timestamp;
using Bytes = std::vector<std::uint8_t>;
using Kind = DataChannelEventKind;

namespace {

const std::string kLabel = "JVB data channel";
const std::string kProtocol = "http://jitsi.org/protocols/colibri";

Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes open_message(const std::string& label = kLabel, const std::string& protocol = kProtocol) {
  DcepOpen open;
  open.label = label;
  open.protocol = protocol;
  Bytes out(dcep_open_size(open));
  REQUIRE(write_dcep_open(out, open));
  return out;
}

std::vector<DataChannelEvent> of_kind(const std::vector<DataChannelEvent>& events, Kind kind) {
  std::vector<DataChannelEvent> out;
  std::copy_if(events.begin(), events.end(), std::back_inserter(out),
               [&](const DataChannelEvent& e) { return e.kind == kind; });
  return out;
}

std::vector<SctpEvent> sctp_messages(const std::vector<SctpEvent>& events) {
  std::vector<SctpEvent> out;
  std::copy_if(events.begin(), events.end(), std::back_inserter(out),
               [](const SctpEvent& e) { return e.kind == SctpEventKind::kMessage; });
  return out;
}

DataChannelSession::Options client_options(std::size_t max_channels = 1) {
  DataChannelSession::Options o;
  o.dtls_client = true;  // the browser, which answers the bridge's actpass with active
  o.max_channels = max_channels;
  return o;
}

// A client session (the browser's role) and the bridge's passive session.
struct Sessions {
  explicit Sessions(DataChannelSession::Options client_opts = client_options(),
                    DataChannelSession::Options bridge_opts = {}, std::uint32_t seed = 1)
      : net(seed), client(client_opts), bridge(bridge_opts), c(net.add(client)), b(net.add(bridge)) {
    net.link(c, b);
  }
  bool connect() {
    client.connect(net.now());
    return net.run_until([&] { return client.connected() && bridge.connected(); }, 30s);
  }
  std::uint16_t open(const std::string& label = kLabel, const std::string& protocol = kProtocol) {
    auto stream = client.open_channel(label, protocol, net.now());
    REQUIRE(stream);
    net.collect();
    REQUIRE(net.run_until(
        [&] {
          for (const auto& e : of_kind(c.events, Kind::kChannelOpen)) {
            if (e.stream_id == *stream) return true;
          }
          return false;
        },
        10s));
    return *stream;
  }

  SimNetwork net;
  DataChannelSession client;
  DataChannelSession bridge;
  Node<DataChannelSession>& c;
  Node<DataChannelSession>& b;
};

// A raw association as the browser, facing the bridge's session.
struct RawPeer {
  explicit RawPeer(DataChannelSession::Options bridge_opts = {}, SctpAssociation::Options raw_opts = {})
      : raw(raw_opts), bridge(bridge_opts), r(net.add(raw)), b(net.add(bridge)) {
    net.link(r, b);
    raw.connect(net.now());
    REQUIRE(net.run_until([&] { return raw.state() == SctpState::kConnected && bridge.connected(); }, 30s));
  }
  void send(std::uint16_t stream, std::uint32_t ppid, const Bytes& data) {
    REQUIRE(raw.send(stream, ppid, data, net.now()) == SendStatus::kOk);
    net.collect();
  }
  void settle() { net.run_for(200ms); }

  SimNetwork net;
  SctpAssociation raw;
  DataChannelSession bridge;
  Node<SctpAssociation>& r;
  Node<DataChannelSession>& b;
};

}  // namespace

TEST_CASE("the browser opens the bridge channel; the bridge ACKs on the same stream and reports it open") {
  Sessions s;
  REQUIRE(s.connect());
  CHECK(of_kind(s.b.events, Kind::kConnected).size() == 1);
  const std::uint16_t stream = s.open();
  CHECK(stream == 0);  // the DTLS client's first even id
  const auto opened = of_kind(s.b.events, Kind::kChannelOpen);
  REQUIRE(opened.size() == 1);
  CHECK(opened[0].stream_id == 0);
  CHECK(opened[0].label == kLabel);
  CHECK(opened[0].protocol == kProtocol);
  CHECK(s.bridge.open_channel_stream() == std::optional<std::uint16_t>(0));
  CHECK(s.bridge.counters().channels_opened == 1);
  CHECK(s.client.counters().channels_opened == 1);
  CHECK(s.client.counters().dcep_unexpected_acks == 0);
}

TEST_CASE("the bridge accepts an OPEN on any stream id and answers there") {
  RawPeer p;
  p.send(7, kPpidDcep, open_message());
  p.settle();
  const auto opened = of_kind(p.b.events, Kind::kChannelOpen);
  REQUIRE(opened.size() == 1);
  CHECK(opened[0].stream_id == 7);
  const auto got = sctp_messages(p.r.events);
  REQUIRE(got.size() == 1);
  CHECK(got[0].stream_id == 7);
  CHECK(got[0].ppid == kPpidDcep);
  CHECK(got[0].data == Bytes{0x02});
  // The bridge sends on that stream.
  REQUIRE(p.bridge.send_text("{\"colibriClass\":\"ServerHello\"}", p.net.now()) == SendStatus::kOk);
  p.net.collect();
  p.settle();
  const auto after = sctp_messages(p.r.events);
  REQUIRE(after.size() == 2);
  CHECK(after[1].stream_id == 7);
  CHECK(after[1].ppid == kPpidString);
  CHECK(after[1].data == bytes("{\"colibriClass\":\"ServerHello\"}"));
}

TEST_CASE("text messages both ways, in order; an empty string goes as PPID 56") {
  Sessions s;
  REQUIRE(s.connect());
  s.open();
  for (int i = 0; i < 50; ++i) {
    REQUIRE(s.client.send_text("{\"n\":" + std::to_string(i) + "}", s.net.now()) == SendStatus::kOk);
    REQUIRE(s.bridge.send_text("{\"m\":" + std::to_string(i) + "}", s.net.now()) == SendStatus::kOk);
  }
  s.net.collect();
  REQUIRE(s.net.run_until(
      [&] {
        return of_kind(s.b.events, Kind::kMessage).size() == 50 &&
               of_kind(s.c.events, Kind::kMessage).size() == 50;
      },
      10s));
  const auto at_bridge = of_kind(s.b.events, Kind::kMessage);
  const auto at_client = of_kind(s.c.events, Kind::kMessage);
  for (int i = 0; i < 50; ++i) {
    CHECK(at_bridge[i].text == "{\"n\":" + std::to_string(i) + "}");
    CHECK(at_bridge[i].stream_id == 0);
    CHECK(at_client[i].text == "{\"m\":" + std::to_string(i) + "}");
  }
  CHECK(s.bridge.counters().text_messages_in == 50);
  CHECK(s.bridge.counters().text_messages_out == 50);

  // "" is PPID 56 with one byte 0 (RFC 8831 §6.6); the bridge, like JVB, drops it.
  REQUIRE(s.client.send_text("", s.net.now()) == SendStatus::kOk);
  s.net.collect();
  REQUIRE(s.net.run_until([&] { return s.bridge.counters().other_ppid_dropped == 1; }, 5s));
  CHECK(of_kind(s.b.events, Kind::kMessage).size() == 50);
}

TEST_CASE("DCEP both ways: each side opens a channel with its own stream id parity") {
  Sessions s(client_options(2), DataChannelSession::Options{{}, 2, false});
  REQUIRE(s.connect());
  const std::uint16_t from_client = s.open("from client", "");
  auto from_bridge = s.bridge.open_channel("from bridge", "relay", s.net.now());
  REQUIRE(from_bridge);
  CHECK(from_client % 2 == 0);
  CHECK(*from_bridge % 2 == 1);
  s.net.collect();
  REQUIRE(s.net.run_until([&] { return of_kind(s.b.events, Kind::kChannelOpen).size() == 2; }, 5s));
  REQUIRE(s.net.run_until([&] { return of_kind(s.c.events, Kind::kChannelOpen).size() == 2; }, 5s));
  const auto client_view = of_kind(s.c.events, Kind::kChannelOpen);
  CHECK(client_view[1].stream_id == *from_bridge);
  CHECK(client_view[1].label == "from bridge");
  CHECK(client_view[1].protocol == "relay");
  REQUIRE(s.bridge.send_text(*from_bridge, "on the bridge's channel", s.net.now()) == SendStatus::kOk);
  REQUIRE(s.client.send_text(*from_bridge, "reply", s.net.now()) == SendStatus::kOk);
  REQUIRE(s.client.send_text(from_client, "on the client's channel", s.net.now()) == SendStatus::kOk);
  s.net.collect();
  REQUIRE(s.net.run_until(
      [&] {
        return of_kind(s.b.events, Kind::kMessage).size() == 2 &&
               of_kind(s.c.events, Kind::kMessage).size() == 1;
      },
      5s));
  const auto at_bridge = of_kind(s.b.events, Kind::kMessage);
  CHECK(at_bridge[0].stream_id == *from_bridge);
  CHECK(at_bridge[0].text == "reply");
  CHECK(at_bridge[1].stream_id == from_client);
  CHECK(of_kind(s.c.events, Kind::kMessage)[0].text == "on the bridge's channel");
  CHECK(s.client.open_channel("third", "", s.net.now()).error() == OpenChannelError::kTooManyChannels);
}

TEST_CASE("max_channels = 1: a second OPEN gets no ACK and is counted") {
  Sessions s(client_options(2));
  REQUIRE(s.connect());
  const std::uint16_t first = s.open();
  auto second = s.client.open_channel("second", "", s.net.now());
  REQUIRE(second);
  CHECK(*second == first + 2);
  s.net.collect();
  s.net.run_for(1s);
  CHECK(s.bridge.counters().rejected_data_channels == 1);
  CHECK(s.bridge.channel_count() == 1);
  CHECK(of_kind(s.b.events, Kind::kChannelOpen).size() == 1);
  CHECK(of_kind(s.c.events, Kind::kChannelOpen).size() == 1);  // the second is never acknowledged
  // Data on the rejected channel's stream has no channel at the bridge.
  REQUIRE(s.client.send_text(*second, "lost", s.net.now()) == SendStatus::kOk);
  REQUIRE(s.client.send_text(first, "kept", s.net.now()) == SendStatus::kOk);
  s.net.collect();
  REQUIRE(s.net.run_until([&] { return !of_kind(s.b.events, Kind::kMessage).empty(); }, 5s));
  CHECK(of_kind(s.b.events, Kind::kMessage)[0].text == "kept");
  CHECK(s.bridge.counters().messages_without_channel == 1);
}

TEST_CASE("binary, empty and unknown PPIDs are counted and not reported; data without a channel too") {
  RawPeer p;
  p.send(0, kPpidDcep, open_message());
  p.send(0, kPpidBinary, Bytes{1, 2, 3});
  p.send(0, kPpidStringEmpty, Bytes{0});
  p.send(0, kPpidBinaryEmpty, Bytes{0});
  p.send(0, 99, bytes("?"));
  p.send(0, kPpidString, bytes("text"));
  p.send(4, kPpidString, bytes("nowhere"));
  p.send(4, kPpidBinary, bytes("nowhere"));
  p.settle();
  const auto& c = p.bridge.counters();
  CHECK(c.binary_messages_ignored == 1);
  CHECK(c.other_ppid_dropped == 3);
  CHECK(c.text_messages_in == 1);
  CHECK(c.messages_without_channel == 2);
  const auto got = of_kind(p.b.events, Kind::kMessage);
  REQUIRE(got.size() == 1);
  CHECK(got[0].text == "text");
}

TEST_CASE("malformed and oversized DCEP messages are dropped and counted, without an ACK") {
  DataChannelSession::Options bridge_options;
  bridge_options.sctp.max_message_size = 64 * 1024;
  RawPeer p(bridge_options);
  Bytes truncated_label = open_message();
  truncated_label[9] = 100;  // says 100 label bytes
  Bytes trailing = open_message();
  trailing.push_back(0);
  Bytes unknown_channel_type = open_message();
  unknown_channel_type[1] = 0x05;
  Bytes short_header = open_message();
  short_header.resize(11);
  const std::vector<Bytes> bad = {
      Bytes{0x03},          Bytes{0x03, 0x00, 0x01}, short_header, truncated_label,   trailing,
      unknown_channel_type, Bytes{0x07, 0x00},       Bytes{0x00},  Bytes{0x02, 0x00},
  };
  for (const auto& m : bad) p.send(static_cast<std::uint16_t>(2 * (&m - bad.data())), kPpidDcep, m);
  p.settle();
  CHECK(p.bridge.counters().dcep_malformed == bad.size());
  CHECK(p.bridge.channel_count() == 0);
  CHECK(sctp_messages(p.r.events).empty());  // no ACK for any of them

  // An ACK for an OPEN the bridge never sent.
  p.send(1, kPpidDcep, Bytes{0x02});
  // An OPEN above the association's max_message_size never reaches DCEP.
  p.send(3, kPpidDcep, open_message(std::string(65535, 'L'), "also long"));
  p.settle();
  CHECK(p.bridge.counters().dcep_unexpected_acks == 1);
  CHECK(p.bridge.association().counters().messages_in_too_large == 1);
  CHECK(p.bridge.channel_count() == 0);
  CHECK(sctp_messages(p.r.events).empty());

  // A good OPEN still works afterwards; a second one on the same stream is a duplicate.
  p.send(0, kPpidDcep, open_message());
  p.settle();
  CHECK(p.bridge.channel_count() == 1);
  p.send(0, kPpidDcep, open_message("again", ""));
  p.settle();
  CHECK(p.bridge.counters().dcep_duplicate_opens == 1);
  CHECK(sctp_messages(p.r.events).size() == 1);  // one ACK
}

TEST_CASE("data before the ACK opens the channel (RFC 8832 §6)") {
  SimNetwork net;
  DataChannelSession client(client_options());
  SctpAssociation raw;
  auto& c = net.add(client);
  auto& r = net.add(raw);
  net.link(c, r);
  client.connect(net.now());
  REQUIRE(net.run_until([&] { return client.connected() && raw.state() == SctpState::kConnected; }, 10s));
  auto stream = client.open_channel(kLabel, kProtocol, net.now());
  REQUIRE(stream);
  net.collect();
  REQUIRE(net.run_until([&] { return !sctp_messages(r.events).empty(); }, 5s));
  CHECK(sctp_messages(r.events)[0].ppid == kPpidDcep);
  CHECK(of_kind(c.events, Kind::kChannelOpen).empty());
  REQUIRE(raw.send(*stream, kPpidString, bytes("hello first"), net.now()) == SendStatus::kOk);
  net.collect();
  REQUIRE(net.run_until([&] { return !of_kind(c.events, Kind::kMessage).empty(); }, 5s));
  const auto opened = of_kind(c.events, Kind::kChannelOpen);
  REQUIRE(opened.size() == 1);
  CHECK(opened[0].stream_id == *stream);
  CHECK(opened[0].label == kLabel);
  CHECK(of_kind(c.events, Kind::kMessage)[0].text == "hello first");
  // The ACK arriving late is then unexpected, and harmless.
  REQUIRE(raw.send(*stream, kPpidDcep, Bytes{0x02}, net.now()) == SendStatus::kOk);
  net.collect();
  REQUIRE(net.run_until([&] { return client.counters().dcep_unexpected_acks == 1; }, 5s));
  CHECK(client.channel_count() == 1);
}

TEST_CASE("the peer resetting the channel's stream closes it; the bridge resets its side too") {
  RawPeer p;
  p.send(0, kPpidDcep, open_message());
  p.settle();
  REQUIRE(p.bridge.channel_count() == 1);
  const std::uint16_t streams[] = {0};
  REQUIRE(p.raw.reset_streams(streams, p.net.now()));
  p.net.collect();
  REQUIRE(p.net.run_until([&] { return !of_kind(p.b.events, Kind::kChannelClosed).empty(); }, 5s));
  CHECK(of_kind(p.b.events, Kind::kChannelClosed)[0].stream_id == 0);
  CHECK(p.bridge.channel_count() == 0);
  CHECK(p.bridge.counters().channels_closed == 1);
  CHECK(p.bridge.send_text("x", p.net.now()) == SendStatus::kNoChannel);
  REQUIRE(p.net.run_until(
      [&] {
        return std::any_of(p.r.events.begin(), p.r.events.end(),
                           [](const SctpEvent& e) { return e.kind == SctpEventKind::kStreamsReset; });
      },
      5s));
  // The stream can carry a new channel.
  p.send(0, kPpidDcep, open_message("reopened", ""));
  p.settle();
  REQUIRE(p.bridge.channel_count() == 1);
  CHECK(of_kind(p.b.events, Kind::kChannelOpen).back().label == "reopened");
}

TEST_CASE("the association going away closes the session") {
  Sessions s;
  REQUIRE(s.connect());
  s.open();
  s.bridge.close();
  CHECK(s.bridge.channel_count() == 0);
  s.net.collect();
  REQUIRE(s.net.run_until([&] { return !of_kind(s.c.events, Kind::kClosed).empty(); }, 5s));
  CHECK(of_kind(s.c.events, Kind::kClosed)[0].reason == SctpCloseReason::kPeerAborted);
  CHECK(s.client.channel_count() == 0);
  CHECK(s.client.send_text("late", s.net.now()) == SendStatus::kNoChannel);
  CHECK(s.client.open_channel("late", "", s.net.now()).error() == OpenChannelError::kNotConnected);
  CHECK_FALSE(s.client.next_timeout().has_value());
}

TEST_CASE("destroying a session mid-association does not crash the peer, which sees the loss") {
  DataChannelSession::Options bridge_opts;
  bridge_opts.sctp.max_retransmissions = 3;
  SimNetwork net;
  auto client = std::make_unique<DataChannelSession>(client_options());
  DataChannelSession bridge(bridge_opts);
  auto& c = net.add(*client);
  auto& b = net.add(bridge);
  net.link(c, b);
  client->connect(net.now());
  REQUIRE(net.run_until([&] { return client->connected() && bridge.connected(); }, 10s));
  REQUIRE(client->open_channel(kLabel, kProtocol, net.now()));
  REQUIRE(client->send_text("bye", net.now()) == SendStatus::kOk);
  net.collect();
  net.step();  // the OPEN is on the wire
  c.detach();
  client.reset();
  REQUIRE(net.run_until([&] { return bridge.channel_count() == 1; }, 1s));
  REQUIRE(bridge.send_text("anyone?", net.now()) == SendStatus::kOk);
  net.collect();
  REQUIRE(net.run_until([&] { return !of_kind(b.events, Kind::kClosed).empty(); }, 120s));
  CHECK(of_kind(b.events, Kind::kClosed)[0].reason == SctpCloseReason::kLost);
  CHECK(bridge.channel_count() == 0);
}

TEST_CASE("50 sessions at once") {
  constexpr int kPairs = 50;
  SimNetwork net(5);
  std::vector<std::unique_ptr<DataChannelSession>> clients, bridges;
  std::vector<Node<DataChannelSession>*> cn, bn;
  for (int i = 0; i < kPairs; ++i) {
    clients.push_back(std::make_unique<DataChannelSession>(client_options()));
    bridges.push_back(std::make_unique<DataChannelSession>());
    cn.push_back(&net.add(*clients.back()));
    bn.push_back(&net.add(*bridges.back()));
    net.link(*cn.back(), *bn.back(), LinkConfig{0.05, 0, 0.1});
    clients.back()->connect(net.now());
  }
  REQUIRE(net.run_until(
      [&] {
        return std::all_of(clients.begin(), clients.end(), [](const auto& x) { return x->connected(); });
      },
      60s));
  for (int i = 0; i < kPairs; ++i) {
    REQUIRE(clients[i]->open_channel(kLabel, kProtocol, net.now()));
    REQUIRE(clients[i]->send_text("hello " + std::to_string(i), net.now()) == SendStatus::kOk);
  }
  net.collect();
  REQUIRE(net.run_until(
      [&] {
        for (int i = 0; i < kPairs; ++i) {
          if (of_kind(bn[i]->events, Kind::kMessage).empty()) return false;
        }
        return true;
      },
      120s));
  for (int i = 0; i < kPairs; ++i) {
    CHECK(of_kind(bn[i]->events, Kind::kMessage)[0].text == "hello " + std::to_string(i));
    REQUIRE(bridges[i]->send_text("welcome " + std::to_string(i), net.now()) == SendStatus::kOk);
  }
  net.collect();
  REQUIRE(net.run_until(
      [&] {
        for (int i = 0; i < kPairs; ++i) {
          if (of_kind(cn[i]->events, Kind::kMessage).empty()) return false;
        }
        return true;
      },
      120s));
  for (int i = 0; i < kPairs; ++i)
    CHECK(of_kind(cn[i]->events, Kind::kMessage)[0].text == "welcome " + std::to_string(i));
  for (int i = 0; i < kPairs; ++i) {
    cn[i]->detach();
    bn[i]->detach();
  }
  clients.clear();
  bridges.clear();
  CHECK(UsrsctpLibrary::socket_count() == 0);
}
