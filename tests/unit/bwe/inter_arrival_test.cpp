// Tests of bridge/bwe/inter_arrival.hpp (5 ms send-time groups, bursts, reordering, clock
// jumps) and bridge/bwe/acknowledged_bitrate.hpp (the acknowledged rate of a steady flow).
#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "bridge/bwe/acknowledged_bitrate.hpp"
#include "bridge/bwe/inter_arrival.hpp"

using namespace jvb::bwe;
using namespace std::chrono_literals;
using jvb::Duration;
using jvb::Timestamp;

namespace {

Timestamp at(Duration d) { return Timestamp(d + std::chrono::seconds(10)); }

}  // namespace

TEST_CASE("packets sent within 5 ms form one group; deltas come when the group after next starts") {
  InterArrivalDelta ia;
  // Group 1: sent 0, 1, 2 ms; group 2: sent 10, 11 ms; group 3 starts at 20 ms.
  CHECK_FALSE(ia.compute_deltas(at(0ms), at(50ms), at(100ms), 100));
  CHECK_FALSE(ia.compute_deltas(at(1ms), at(51ms), at(100ms), 100));
  CHECK_FALSE(ia.compute_deltas(at(2ms), at(52ms), at(100ms), 100));
  CHECK_FALSE(ia.compute_deltas(at(10ms), at(61ms), at(100ms), 200));  // closes group 1
  CHECK_FALSE(ia.compute_deltas(at(11ms), at(63ms), at(100ms), 200));
  const auto d = ia.compute_deltas(at(20ms), at(70ms), at(100ms), 100);
  REQUIRE(d);
  CHECK(d->send == 9ms);      // last send of group 2 - last send of group 1
  CHECK(d->arrival == 11ms);  // last arrival of group 2 - last arrival of group 1
  CHECK(d->size_bytes == 400 - 300);
}

TEST_CASE("a packet that queued behind the group joins it as a burst") {
  InterArrivalDelta ia;
  ia.compute_deltas(at(0ms), at(50ms), at(100ms), 100);
  // Sent 8 ms later but arriving 1 ms after: it waited in a queue, same burst.
  CHECK_FALSE(ia.compute_deltas(at(8ms), at(51ms), at(100ms), 100));
  CHECK_FALSE(ia.compute_deltas(at(20ms), at(70ms), at(100ms), 100));  // new group (1 -> 2)
  const auto d = ia.compute_deltas(at(30ms), at(80ms), at(100ms), 100);
  REQUIRE(d);
  CHECK(d->send == 12ms);  // 20 - 8: the burst's latest send time counts
  CHECK(d->arrival == 19ms);
}

TEST_CASE("packets sent before the current group are ignored; reordered groups reset after three") {
  InterArrivalDelta ia;
  ia.compute_deltas(at(100ms), at(200ms), at(300ms), 100);
  CHECK_FALSE(ia.compute_deltas(at(50ms), at(201ms), at(300ms), 100));
  CHECK(ia.resets() == 0);
  // Each group ends with a packet that arrived before the previous group had: its arrival
  // delta is negative, it is skipped, and the third in a row resets the state.
  for (int k = 1; k <= 3; ++k) {
    ia.compute_deltas(at(100ms + k * 10ms), at(200ms + k * 100ms), at(300ms), 100);
    ia.compute_deltas(at(101ms + k * 10ms), at(150ms), at(300ms), 100);
  }
  CHECK(ia.resets() == 0);
  ia.compute_deltas(at(140ms), at(600ms), at(300ms), 100);
  CHECK(ia.resets() == 1);
}

TEST_CASE("a remote clock jump of 3 s resets the grouping") {
  InterArrivalDelta ia;
  ia.compute_deltas(at(0ms), at(50ms), at(100ms), 100);
  ia.compute_deltas(at(10ms), at(60ms), at(110ms), 100);
  CHECK(ia.compute_deltas(at(20ms), at(5070ms), at(120ms), 100));  // deltas of the first two
  CHECK(ia.resets() == 0);
  // The next group shows 5 s of arrival time against 10 ms of local time.
  CHECK_FALSE(ia.compute_deltas(at(30ms), at(5080ms), at(130ms), 100));
  CHECK(ia.resets() == 1);
}

TEST_CASE("acknowledged bitrate of a steady 1 Mbit/s flow") {
  AcknowledgedBitrateEstimator e;
  CHECK_FALSE(e.bitrate_bps());
  std::vector<PacketResult> packets;
  for (int i = 0; i < 300; ++i) {
    PacketResult p;
    p.sent.sequence = i;
    p.sent.size_bytes = 1250;  // every 10 ms: 1 Mbit/s
    p.sent.send_time = at(i * 10ms);
    p.receive_time = at(i * 10ms + 40ms);
    packets.push_back(p);
  }
  e.on_packets(std::span(packets).first(60));
  REQUIRE(e.bitrate_bps());  // the first 500 ms window closed
  e.on_packets(std::span(packets).subspan(60));
  CHECK(*e.bitrate_bps() == doctest::Approx(1'000'000).epsilon(0.05));

  // The flow halves: the estimate follows within a second or so.
  std::vector<PacketResult> slower;
  for (int i = 0; i < 150; ++i) {
    PacketResult p;
    p.sent.size_bytes = 1250;
    p.sent.send_time = at(3s + i * 20ms);
    p.receive_time = at(3s + i * 20ms + 40ms);
    slower.push_back(p);
  }
  e.on_packets(slower);
  CHECK(*e.bitrate_bps() == doctest::Approx(500'000).epsilon(0.1));
}

TEST_CASE("robust throughput: a steady flow, and a delay spike that does not lower it") {
  RobustThroughputEstimator e;
  std::vector<PacketResult> packets;
  for (int i = 0; i < 9; ++i) {
    PacketResult p;
    p.sent.size_bytes = 1250;
    p.sent.send_time = at(i * 10ms);
    p.receive_time = at(i * 10ms + 40ms);
    packets.push_back(p);
  }
  e.on_packets(packets);
  CHECK_FALSE(e.bitrate_bps());  // fewer than 10 packets
  packets.clear();
  for (int i = 9; i < 200; ++i) {
    PacketResult p;
    p.sent.size_bytes = 1250;
    p.sent.send_time = at(i * 10ms);
    p.receive_time = at(i * 10ms + 40ms);
    packets.push_back(p);
  }
  e.on_packets(packets);
  REQUIRE(e.bitrate_bps());
  CHECK(*e.bitrate_bps() == doctest::Approx(1'000'000).epsilon(0.01));

  // The network holds packets for 200 ms, then delivers them at once: the largest receive gap
  // is replaced by the second largest, so the rate stays.
  packets.clear();
  for (int i = 200; i < 220; ++i) {
    PacketResult p;
    p.sent.size_bytes = 1250;
    p.sent.send_time = at(i * 10ms);
    p.receive_time = at(2240ms + (i - 200) * 1ms);
    packets.push_back(p);
  }
  e.on_packets(packets);
  CHECK(*e.bitrate_bps() == doctest::Approx(1'000'000).epsilon(0.05));
}
