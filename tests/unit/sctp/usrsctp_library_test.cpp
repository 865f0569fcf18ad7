// Tests of sctp/usrsctp_library.hpp: initialisation and socket counting, and usrsctp's global
// timers driven by a fake clock through handle_timers(). finish() is in usrsctp_finish_test.cpp,
// a binary of its own, because nothing can use usrsctp after it.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "sctp/sctp_association.hpp"
#include "sctp/usrsctp_library.hpp"
#include "tests/unit/sctp/sim_network.hpp"

using namespace jvb::sctp;
using namespace jvb::sctp::test;
using jvb::Duration;
using jvb::Timestamp;

namespace {

// INIT packets the association emitted (it is never linked, so they go nowhere).
int count_inits(SctpAssociation& a) {
  int n = 0;
  while (auto p = a.poll_packet()) {
    if (first_chunk_type(*p) == 1) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("usrsctp is initialised by its first user and counts its sockets") {
  SimNetwork net;  // only for a fake time that never goes back across tests
  const Timestamp now = net.now();
  REQUIRE(UsrsctpLibrary::socket_count() == 0);
  CHECK_FALSE(UsrsctpLibrary::next_timeout(now).has_value());
  {
    SctpAssociation a;
    CHECK(UsrsctpLibrary::initialized());
    CHECK(UsrsctpLibrary::socket_count() == 1);
    CHECK(UsrsctpLibrary::next_timeout(now) == now + UsrsctpLibrary::kTimerInterval);
    {
      SctpAssociation b;
      CHECK(UsrsctpLibrary::socket_count() == 2);
      CHECK_FALSE(UsrsctpLibrary::finish());  // in use
    }
    CHECK(UsrsctpLibrary::socket_count() == 1);
  }
  CHECK(UsrsctpLibrary::socket_count() == 0);
  CHECK_FALSE(UsrsctpLibrary::next_timeout(now).has_value());
  // Still initialised: usrsctp cannot be initialised twice (usrsctp_library.hpp).
  CHECK(UsrsctpLibrary::initialized());
  {
    UsrsctpLibrary::Reference keep;
    CHECK_FALSE(UsrsctpLibrary::finish());
    CHECK_FALSE(UsrsctpLibrary::next_timeout(now).has_value());  // no socket, nothing to time
  }
  SctpAssociation again;
  CHECK(again.state() == SctpState::kIdle);
}

TEST_CASE("the fake clock drives usrsctp's retransmission timer, in whole milliseconds") {
  SctpAssociation::Options options;
  options.rto_initial = std::chrono::seconds(1);
  SctpAssociation client(options);
  SimNetwork net;
  Timestamp now = net.now();
  client.connect(now);
  CHECK(count_inits(client) == 1);
  // Steps of 3.3 ms: the fractions of a millisecond carry over, so the INIT is resent as soon
  // as 1 s has passed, not later.
  const Timestamp start = now;
  std::optional<Duration> resent_after;
  while (now - start < std::chrono::milliseconds(1100)) {
    now += std::chrono::microseconds(3300);
    client.handle_timeout(now);
    if (count_inits(client) > 0) {
      resent_after = now - start;
      break;
    }
  }
  REQUIRE(resent_after.has_value());
  CHECK(*resent_after >= std::chrono::milliseconds(1000));
  CHECK(*resent_after < std::chrono::milliseconds(1010));
  // Then the RTO doubles (RFC 9260 §6.3.3): nothing for the next 1.9 s.
  const Timestamp second = now;
  while (now - second < std::chrono::milliseconds(1990)) {
    now += std::chrono::milliseconds(10);
    client.handle_timeout(now);
    CHECK(count_inits(client) == 0);
  }
  now += std::chrono::milliseconds(20);
  client.handle_timeout(now);
  CHECK(count_inits(client) == 1);
}

TEST_CASE("usrsctp's timers are global: another association's handle_timeout fires them") {
  SctpAssociation client;
  SctpAssociation bystander;
  SimNetwork net;
  Timestamp now = net.now();
  client.connect(now);
  CHECK(count_inits(client) == 1);
  bystander.handle_timeout(now);
  now += std::chrono::milliseconds(1100);
  bystander.handle_timeout(now);  // only the bystander is called
  CHECK(count_inits(client) == 1);
  CHECK_FALSE(bystander.poll_packet().has_value());
}

TEST_CASE("time going backwards or standing still does not move usrsctp's clock") {
  SctpAssociation client;
  SimNetwork net;
  Timestamp now = net.now();
  client.connect(now);
  CHECK(count_inits(client) == 1);
  client.handle_timeout(now - std::chrono::seconds(10));
  client.handle_timeout(now);
  client.handle_timeout(now + std::chrono::milliseconds(999));
  CHECK(count_inits(client) == 0);
  client.handle_timeout(now - std::chrono::seconds(5));  // ignored
  client.handle_timeout(now + std::chrono::milliseconds(1000));
  CHECK(count_inits(client) == 1);
}
