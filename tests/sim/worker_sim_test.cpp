// The media workers on a fake clock: conferences expire on their worker as JVB's do, and the
// control thread's map of which worker owns which conference follows, including the race where
// a conference is created again before the control thread has heard that it went (the worker's
// epoch orders the two). Driven only by commands and time; the workers' posts to the control
// thread are run by iterating the default GLib main context, as the daemon's loop does.
#include <glib.h>

#include <doctest/doctest.h>

#include <atomic>

#include "bridge/worker/media_workers.hpp"
#include "tests/sim/colibri_requests.hpp"

namespace jvb::worker {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::atomic<Clock::rep> ticks{Clock::now().time_since_epoch().count()};
  Timestamp now() const { return Timestamp(Clock::duration(ticks.load())); }
  void advance(Duration d) { ticks += d.count(); }
};

std::shared_ptr<const dtls::DtlsCertificate> certificate() {
  static auto cert = dtls::DtlsCertificate::generate();
  REQUIRE(cert);
  return *cert;
}

struct Fixture {
  FakeClock clock;
  std::unique_ptr<MediaWorkers> workers;

  Fixture() {
    io::PortSockets sockets;
    sockets.per_worker.resize(2);
    for (auto& s : sockets.per_worker) {
      auto bound = io::UdpSocket::bind(*SocketAddress::parse("127.0.0.1", 0));
      REQUIRE(bound);
      s.push_back(std::move(*bound));
    }
    sockets.port = sockets.per_worker[0][0].local_address().port();
    WorkerSetup setup;
    setup.certificate = certificate();
    setup.clock = [this] { return clock.now(); };
    auto started = MediaWorkers::start(std::move(sockets), setup);
    REQUIRE(started);
    workers = std::move(*started);
  }

  auto create(const std::string& meeting) { return workers->handle(test::create_conference(meeting, "ep")); }

  // Moves time on and lets every worker run its timers: a command applied is followed by the
  // loop's timer check, and a second command answered proves that check is done.
  void advance(Duration d) {
    clock.advance(d);
    for (int i = 0; i < 2; ++i) workers->debug_state(conference::DebugView::kSummary);
  }

  // What the workers posted to the control thread.
  static void run_control_loop() {
    while (g_main_context_iteration(nullptr, FALSE)) {
    }
  }
};

}  // namespace

TEST_CASE(
    "an endpoint that never sends expires on its worker, then its empty conference, and the control thread "
    "forgets it") {
  Fixture f;
  REQUIRE(f.create("m1"));
  CHECK(f.workers->endpoint_count() == 1);
  f.advance(1min);  // under JVB's 2 minutes for a first packet
  f.run_control_loop();
  CHECK(f.workers->endpoint_count() == 1);
  f.advance(2min);
  f.run_control_loop();
  CHECK(f.workers->endpoint_count() == 0);
  f.advance(1min);  // past the empty conference's grace
  f.run_control_loop();
  CHECK(f.workers->conference_count() == 0);
  CHECK_FALSE(f.workers->has_conference(signaling::MeetingId("m1")));
  // The meeting can start again, on whichever worker is least loaded.
  REQUIRE(f.create("m1"));
  CHECK(f.workers->has_conference(signaling::MeetingId("m1")));
}

TEST_CASE("a conference created again before the control thread heard it went stays known") {
  Fixture f;
  REQUIRE(f.create("m1"));
  f.advance(3min);
  f.advance(1min);
  CHECK(f.workers->conference_count() == 0);
  // The worker's "gone" is still waiting on the control loop; the next request for the meeting
  // goes to the same worker, which creates it anew.
  REQUIRE(f.create("m1"));
  f.run_control_loop();  // the stale "gone" arrives now and must not erase the new conference
  CHECK(f.workers->has_conference(signaling::MeetingId("m1")));
  signaling::ConferenceModify r;
  r.meeting_id = signaling::MeetingId("m1");
  r.endpoints.push_back(test::new_endpoint("second"));
  REQUIRE(f.workers->handle(r));  // routed to the worker that has it, not refused as unknown
  CHECK(f.workers->endpoint_count() == 2);
}

}  // namespace jvb::worker
