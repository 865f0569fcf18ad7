// ProbingPacer: JVB's filling rule (media-plane scenario T-76) and probe clusters paced at their
// bitrate in bursts.
#include <doctest/doctest.h>

#include "bridge/bwe/probing_pacer.hpp"

namespace jvb::bwe {
namespace {

using namespace std::chrono_literals;

const Timestamp kStart = Timestamp{} + 100s;

ProbeCluster cluster(std::int32_t id, std::int64_t bps, Timestamp created) {
  ProbeCluster c;
  c.id = id;
  c.bitrate_bps = bps;
  c.min_packets = 5;
  c.min_duration = 15ms;
  c.min_probe_delta = 2ms;
  c.created = created;
  return c;
}

TEST_CASE("filling pads up to the estimate while the allocation is held below its ideal") {
  ProbingPacer pacer;
  pacer.set_allocation(500'000, 2'000'000);
  auto first = pacer.poll(kStart, 1'000'000);
  REQUIRE(first);
  // min(2M - 500k, 1M - 500k) = 500 kbit/s over 15 ms.
  CHECK(first->bytes == 937);
  CHECK(first->cluster_id == kNotAProbe);
  CHECK(first->whole_packets_only);
  pacer.on_sent(*first, 900, 1, kStart);
  CHECK_FALSE(pacer.poll(kStart + 5ms, 1'000'000));
  REQUIRE(pacer.next_due() == kStart + 15ms);
  // The 37.5 bytes left over carry into the next round.
  auto second = pacer.poll(kStart + 15ms, 1'000'000);
  REQUIRE(second);
  CHECK(second->bytes == 975);
}

TEST_CASE("no filling when the estimate leaves room, the allocation is ideal, or there is no estimate") {
  ProbingPacer pacer;
  pacer.set_allocation(500'000, 900'000);
  CHECK_FALSE(pacer.poll(kStart, 1'000'000));  // the allocator moves up by itself
  pacer.set_allocation(900'000, 900'000);
  CHECK_FALSE(pacer.poll(kStart + 15ms, 600'000));  // nothing more wanted
  pacer.set_allocation(500'000, 2'000'000);
  CHECK_FALSE(pacer.poll(kStart + 30ms, 0));
  CHECK_FALSE(pacer.poll(kStart + 45ms, 400'000));  // oversending already: nothing to fill
  CHECK(pacer.counters().padding_bytes == 0);
}

TEST_CASE("what does not fit in a whole packet is owed until it does; no packet at all owes nothing") {
  ProbingPacer pacer;
  pacer.set_allocation(100'000, 1'000'000);
  // 100 kbit/s of room: 187.5 bytes a round.
  Timestamp t = kStart;
  std::int64_t owed = 0;
  for (int i = 0; i < 6; ++i, t += 15ms) {
    auto burst = pacer.poll(t, 200'000);
    REQUIRE(burst);
    owed = burst->bytes;
    pacer.on_sent(*burst, 0, 0, t);  // a 1100-byte packet does not fit yet
  }
  CHECK(owed == 1125);
  auto burst = pacer.poll(t, 200'000);
  REQUIRE(burst);
  pacer.on_unsendable(*burst, t);
  CHECK(pacer.counters().nothing_to_send == 1);
  burst = pacer.poll(t + 15ms, 200'000);
  REQUIRE(burst);
  CHECK(burst->bytes == 187);
}

TEST_CASE("a late round pads for the time that passed, up to 100 ms") {
  ProbingPacer pacer;
  pacer.set_allocation(0, 10'000'000);
  auto a = pacer.poll(kStart, 800'000);
  REQUIRE(a);
  CHECK(a->bytes == 1500);
  pacer.on_sent(*a, 1500, 1, kStart);
  auto b = pacer.poll(kStart + 45ms, 800'000);  // 30 ms late: 45 ms of padding
  REQUIRE(b);
  CHECK(b->bytes == 4500);
  pacer.on_sent(*b, 4500, 4, kStart + 45ms);
  auto c = pacer.poll(kStart + 1060ms, 800'000);
  REQUIRE(c);
  CHECK(c->bytes == 10000);
}

TEST_CASE("a probe cluster goes out at its bitrate in 2 ms bursts until it has its bytes and packets") {
  ProbingPacer pacer;
  pacer.set_allocation(1'000'000, 1'000'000);
  const auto c = cluster(7, 4'000'000, kStart);
  pacer.add_cluster(c, kStart);
  REQUIRE(pacer.next_due() == kStart);
  Timestamp t = kStart;
  std::int64_t sent = 0, packets = 0;
  Timestamp last_send = kStart;
  for (int i = 0; i < 100 && (pacer.probing() || i == 0); ++i) {
    auto burst = pacer.poll(t, 1'000'000);
    if (burst) {
      CHECK(burst->cluster_id == 7);
      CHECK_FALSE(burst->whole_packets_only);
      // Send whole 1000-byte packets until the burst's bytes are covered.
      std::int64_t b = 0, n = 0;
      while (b < burst->bytes) {
        b += 1000;
        ++n;
      }
      sent += b;
      packets += n;
      last_send = t;
      pacer.on_sent(*burst, b, n, t);
    }
    t += 1ms;
  }
  CHECK_FALSE(pacer.probing());
  CHECK(sent >= c.min_bytes());
  CHECK(packets >= 5);
  // 4 Mbit/s for its 15 ms: 7500 bytes, sent over about 13-15 ms (the last burst ahead by 2 ms).
  CHECK(sent <= c.min_bytes() + 2000);
  CHECK(last_send - kStart >= 12ms);
  CHECK(last_send - kStart <= 16ms);
  CHECK(pacer.counters().clusters_completed == 1);
  CHECK(pacer.counters().probe_bytes == static_cast<std::uint64_t>(sent));
  CHECK(pacer.counters().padding_bytes == 0);
}

TEST_CASE("a cluster waits for something to send it with, up to 5 s; a half-sent one is dropped") {
  ProbingPacer pacer;
  pacer.add_cluster(cluster(1, 2'000'000, kStart), kStart);
  pacer.add_cluster(cluster(2, 4'000'000, kStart), kStart);
  // No video yet: the first cluster waits, retried every 20 ms.
  auto first = pacer.poll(kStart, 0);
  REQUIRE(first);
  CHECK(first->cluster_id == 1);
  pacer.on_unsendable(*first, kStart);
  CHECK(pacer.probing());
  CHECK_FALSE(pacer.poll(kStart + 10ms, 0));
  CHECK(pacer.next_due() == kStart + 20ms);
  // Video flows 3 s later: its bitrate counts from then (2 Mbit/s, 2 ms ahead: 500 bytes).
  auto later = pacer.poll(kStart + 3s, 0);
  REQUIRE(later);
  CHECK(later->cluster_id == 1);
  CHECK(later->bytes == 500);
  pacer.on_sent(*later, 1200, 1, kStart + 3s);
  CHECK(pacer.counters().clusters_started == 1);
  // Then nothing again: a started cluster is dropped, and the next one (created at the start,
  // now 3 s old) takes its turn.
  auto more = pacer.poll(kStart + 3s + 2ms, 0);
  REQUIRE(more);
  pacer.on_unsendable(*more, kStart + 3s + 2ms);
  CHECK(pacer.counters().clusters_dropped == 1);
  auto second = pacer.poll(kStart + 3s + 3ms, 0);
  REQUIRE(second);
  CHECK(second->cluster_id == 2);
  pacer.on_unsendable(*second, kStart + 3s + 3ms);
  // Never sent and 5 s old: stale.
  CHECK_FALSE(pacer.poll(kStart + 5001ms, 0));
  CHECK_FALSE(pacer.probing());
  CHECK(pacer.counters().clusters_dropped == 2);

  for (int i = 0; i < 5; ++i) pacer.add_cluster(cluster(10 + i, 1'000'000, kStart + 6s), kStart + 6s);
  CHECK(pacer.counters().clusters_dropped == 3);  // the queue holds four
  CHECK_FALSE(pacer.poll(kStart + 12s, 0));       // all stale by then
  CHECK(pacer.counters().clusters_dropped == 7);
  CHECK(pacer.counters().clusters_started == 1);
}

}  // namespace
}  // namespace jvb::bwe
