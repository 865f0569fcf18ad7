// The shutdown state machine and drain flag (as JVB's ShutdownManager), driven by a fake time:
// RUNNING -> GRACEFUL_SHUTDOWN -> SHUTTING_DOWN -> exit.
#include "bridge/http/shutdown_manager.hpp"

#include <doctest/doctest.h>

namespace jvb::http {
namespace {

using namespace std::chrono_literals;
using Decision = ShutdownManager::Decision;

ShutdownManager::Options options() {
  ShutdownManager::Options o;
  o.graceful_shutdown_max_duration = 1h;
  o.graceful_shutdown_min_participants = 0;
  o.shutting_down_delay = 60s;
  o.endpoint_check_interval = 1s;
  return o;
}

const Timestamp t0 = Timestamp{} + 1000h;

TEST_CASE("drain: initial value from the configuration, then enable and disable") {
  ShutdownManager off(options());
  CHECK_FALSE(off.drain());
  ShutdownManager on(options(), true);
  CHECK(on.drain());
  on.set_drain(false);
  CHECK_FALSE(on.drain());
  on.set_drain(true);
  CHECK(on.drain());
  // Drain is only a flag for Jicofo: it starts no shutdown.
  CHECK(on.state() == ShutdownState::kRunning);
  CHECK_FALSE(on.refuses_new_conferences());
}

TEST_CASE("running: nothing to wait for, timers change nothing") {
  ShutdownManager m(options());
  CHECK(m.state() == ShutdownState::kRunning);
  CHECK_FALSE(m.next_deadline());
  CHECK(m.on_timer(t0 + 100h, 0) == Decision::kContinue);
  CHECK(m.state() == ShutdownState::kRunning);
  CHECK(shutdown_state_name(m.state()) == "RUNNING");
}

TEST_CASE("graceful with endpoints: waits for them to leave, then the shutting-down delay") {
  ShutdownManager m(options());
  CHECK(m.begin(true, t0, 3) == Decision::kContinue);
  CHECK(m.state() == ShutdownState::kGracefulShutdown);
  CHECK(shutdown_state_name(m.state()) == "GRACEFUL_SHUTDOWN");
  CHECK(m.refuses_new_conferences());
  // The endpoint count is looked at again after the check interval.
  REQUIRE(m.next_deadline());
  CHECK(*m.next_deadline() == t0 + 1s);
  CHECK(m.on_timer(t0 + 1s, 2) == Decision::kContinue);
  CHECK(m.state() == ShutdownState::kGracefulShutdown);
  CHECK(*m.next_deadline() == t0 + 2s);

  // The last endpoint left.
  CHECK(m.on_timer(t0 + 2s, 0) == Decision::kContinue);
  CHECK(m.state() == ShutdownState::kShuttingDown);
  CHECK(m.refuses_new_conferences());
  CHECK(*m.next_deadline() == t0 + 2s + 60s);
  // Early timers (and new endpoints) change nothing now.
  CHECK(m.on_timer(t0 + 61s, 5) == Decision::kContinue);
  CHECK(m.state() == ShutdownState::kShuttingDown);
  CHECK(m.on_timer(t0 + 62s, 5) == Decision::kExit);
}

TEST_CASE("graceful without endpoints: straight on to SHUTTING_DOWN") {
  ShutdownManager m(options());
  CHECK(m.begin(true, t0, 0) == Decision::kContinue);
  CHECK(m.state() == ShutdownState::kShuttingDown);
  CHECK(*m.next_deadline() == t0 + 60s);
  CHECK(m.on_timer(t0 + 60s, 0) == Decision::kExit);
}

TEST_CASE("graceful: the minimum number of participants") {
  auto o = options();
  o.graceful_shutdown_min_participants = 2;
  ShutdownManager m(o);
  m.begin(true, t0, 3);
  CHECK(m.state() == ShutdownState::kGracefulShutdown);
  m.on_timer(t0 + 1s, 2);  // at most the minimum is enough
  CHECK(m.state() == ShutdownState::kShuttingDown);
}

TEST_CASE("graceful: the maximum duration ends it with endpoints still there") {
  auto o = options();
  o.endpoint_check_interval = 1h;  // the duration, not a count check, must wake it
  o.graceful_shutdown_max_duration = 10min;
  ShutdownManager m(o);
  m.begin(true, t0, 4);
  CHECK(*m.next_deadline() == t0 + 10min);
  CHECK(m.on_timer(t0 + 10min - 1ms, 4) == Decision::kContinue);
  CHECK(m.state() == ShutdownState::kGracefulShutdown);
  CHECK(m.on_timer(t0 + 10min, 4) == Decision::kContinue);
  CHECK(m.state() == ShutdownState::kShuttingDown);
  CHECK(*m.next_deadline() == t0 + 10min + 60s);
}

TEST_CASE("non-graceful: SHUTTING_DOWN at once, whatever the endpoints") {
  ShutdownManager m(options());
  CHECK(m.begin(false, t0, 7) == Decision::kContinue);
  CHECK(m.state() == ShutdownState::kShuttingDown);
  CHECK(shutdown_state_name(m.state()) == "SHUTTING_DOWN");
  CHECK(m.on_timer(t0 + 60s, 7) == Decision::kExit);
}

TEST_CASE("a zero shutting-down delay exits on the request itself") {
  auto o = options();
  o.shutting_down_delay = 0s;
  ShutdownManager m(o);
  CHECK(m.begin(false, t0, 0) == Decision::kExit);
}

TEST_CASE("repeated requests: graceful again changes nothing, non-graceful cuts it short") {
  ShutdownManager m(options());
  m.begin(true, t0, 3);
  CHECK(m.begin(true, t0 + 5s, 3) == Decision::kContinue);
  CHECK(m.state() == ShutdownState::kGracefulShutdown);
  m.begin(false, t0 + 10s, 3);
  CHECK(m.state() == ShutdownState::kShuttingDown);
  CHECK(*m.next_deadline() == t0 + 70s);
  // Once SHUTTING_DOWN, no request postpones the exit.
  m.begin(false, t0 + 20s, 3);
  m.begin(true, t0 + 30s, 3);
  CHECK(*m.next_deadline() == t0 + 70s);
  CHECK(m.on_timer(t0 + 70s, 3) == Decision::kExit);
}

TEST_CASE("a negative minimum: only the maximum duration ends the graceful period") {
  auto o = options();
  o.graceful_shutdown_min_participants = -1;
  o.graceful_shutdown_max_duration = 5s;
  ShutdownManager m(o);
  m.begin(true, t0, 0);
  CHECK(m.state() == ShutdownState::kGracefulShutdown);
  m.on_timer(t0 + 5s, 0);
  CHECK(m.state() == ShutdownState::kShuttingDown);
}

}  // namespace
}  // namespace jvb::http
