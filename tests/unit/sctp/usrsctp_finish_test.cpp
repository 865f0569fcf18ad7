// Tests of UsrsctpLibrary::finish() (sctp/usrsctp_library.hpp), in a binary of their own: once
// usrsctp is finished, nothing in the process can use it again.
#include <doctest/doctest.h>

#include <cstdint>
#include <memory>

#include "sctp/sctp_association.hpp"
#include "sctp/usrsctp_library.hpp"
#include "tests/unit/sctp/sim_network.hpp"

using namespace jvb::sctp;
using namespace jvb::sctp::test;

TEST_CASE("finish() waits for the last user, then usrsctp is gone for good") {
  {
    SimNetwork net;
    SctpAssociation client;
    SctpAssociation server;
    auto& c = net.add(client);
    auto& s = net.add(server);
    net.link(c, s);
    client.connect(net.now());
    REQUIRE(net.run_until([&] { return server.state() == SctpState::kConnected; }, 10s));
    CHECK_FALSE(UsrsctpLibrary::finish());  // sockets exist
    c.detach();
    s.detach();
  }
  {
    UsrsctpLibrary::Reference keep;
    CHECK_FALSE(UsrsctpLibrary::finish());
  }
  REQUIRE(UsrsctpLibrary::finish());
  CHECK_FALSE(UsrsctpLibrary::initialized());
  CHECK(UsrsctpLibrary::finish());  // again: nothing to do

  // No new association can start.
  SctpAssociation late;
  CHECK(late.state() == SctpState::kClosed);
  CHECK(late.close_reason() == SctpCloseReason::kSetupFailed);
  auto event = late.poll_event();
  REQUIRE(event);
  CHECK(event->kind == SctpEventKind::kClosed);
  CHECK(event->reason == SctpCloseReason::kSetupFailed);
  CHECK(late.send(0, 51, std::vector<std::uint8_t>{1}, jvb::Timestamp{}) == SendStatus::kNotConnected);
  CHECK_FALSE(late.next_timeout().has_value());
  CHECK(UsrsctpLibrary::socket_count() == 0);
}
