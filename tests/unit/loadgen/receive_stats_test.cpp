// Tests of tools/loadgen/receive_stats.hpp: loss from sequence gaps after RTX repair, with
// reordering, duplicates and the 16-bit wrap; latency percentiles.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>

#include "tools/loadgen/receive_stats.hpp"

using namespace jvb::loadgen;
using std::chrono::microseconds;

TEST_CASE("in-order packets: nothing lost") {
  StreamReceiveStats s;
  for (std::uint16_t seq = 100; seq < 200; ++seq) CHECK(s.on_packet(seq, 1000, false) == Arrival::kNew);
  CHECK(s.expected() == 100);
  CHECK(s.received() == 100);
  CHECK(s.lost() == 0);
  CHECK(s.packets() == 100);
  CHECK(s.bytes() == 100000);
}

TEST_CASE("a gap is loss until the packet arrives late or is repaired by RTX") {
  StreamReceiveStats s;
  s.on_packet(1, 100, false);
  s.on_packet(2, 100, false);
  s.on_packet(5, 100, false);  // 3 and 4 missing
  CHECK(s.expected() == 5);
  CHECK(s.lost() == 2);
  CHECK(s.on_packet(4, 100, false) == Arrival::kLate);  // reordered
  CHECK(s.lost() == 1);
  CHECK(s.reordered() == 1);
  CHECK(s.on_packet(3, 100, true) == Arrival::kRepaired);  // RTX
  CHECK(s.lost() == 0);
  CHECK(s.lost_before_repair() == 1);
  CHECK(s.repaired() == 1);
  // The original of a repaired packet, and a second RTX, are duplicates.
  CHECK(s.on_packet(3, 100, false) == Arrival::kDuplicate);
  CHECK(s.on_packet(3, 100, true) == Arrival::kDuplicate);
  CHECK(s.duplicates() == 2);
  CHECK(s.received() == 5);
  CHECK(s.packets() == 7);
  CHECK(s.lost() == 0);
}

TEST_CASE("an RTX packet ahead of the originals counts as a repair of a new number") {
  StreamReceiveStats s;
  s.on_packet(10, 100, false);
  CHECK(s.on_packet(12, 100, true) == Arrival::kRepaired);
  CHECK(s.expected() == 3);
  CHECK(s.lost() == 1);
  CHECK(s.lost_before_repair() == 2);
}

TEST_CASE("sequence numbers wrap at 16 bits") {
  StreamReceiveStats s;
  for (std::uint32_t i = 0; i < 10; ++i) s.on_packet(static_cast<std::uint16_t>(65530 + i), 100, false);
  CHECK(s.expected() == 10);
  CHECK(s.lost() == 0);
  s.on_packet(10, 100, false);  // 4..9 lost
  CHECK(s.expected() == 17);
  CHECK(s.lost() == 6);
  CHECK(s.on_packet(65535, 100, false) == Arrival::kDuplicate);
}

TEST_CASE("packets behind the window are not counted") {
  StreamReceiveStats s;
  s.on_packet(0, 100, false);
  s.on_packet(static_cast<std::uint16_t>(StreamReceiveStats::kWindow + 10), 100, false);
  CHECK(s.on_packet(5, 100, false) == Arrival::kTooOld);
  CHECK(s.too_old() == 1);
  CHECK(s.lost() == static_cast<std::int64_t>(StreamReceiveStats::kWindow) + 9);
}

TEST_CASE("reset starts a new measurement after the highest number seen") {
  StreamReceiveStats s;
  s.on_packet(1, 100, false);
  s.on_packet(5, 100, false);  // 2-4 lost before the measurement
  s.reset();
  CHECK(s.expected() == 0);
  CHECK(s.lost() == 0);
  CHECK(s.packets() == 0);
  CHECK(s.on_packet(3, 100, true) == Arrival::kTooOld);  // a late repair of the old period
  s.on_packet(8, 100, false);                            // 6 and 7 lost in this one
  CHECK(s.expected() == 3);
  CHECK(s.lost() == 2);
  s.on_packet(6, 100, false);
  CHECK(s.lost() == 1);
  CHECK(s.reordered() == 1);
}

TEST_CASE("reset before any packet") {
  StreamReceiveStats s;
  s.reset();
  s.on_packet(40000, 100, false);
  s.on_packet(40002, 100, false);
  CHECK(s.expected() == 3);
  CHECK(s.lost() == 1);
}

TEST_CASE("latency histogram: buckets cover every value with < 1/32 relative error") {
  for (std::uint64_t v :
       {0ull, 1ull, 63ull, 64ull, 65ull, 100ull, 999ull, 1000ull, 123456ull, 4000000000ull}) {
    auto b = LatencyHistogram::bucket_of(v);
    auto mid = static_cast<double>(LatencyHistogram::bucket_value(b));
    CAPTURE(v);
    CHECK(std::abs(mid - static_cast<double>(v)) <= static_cast<double>(v) / 32 + 0.5);
  }
  CHECK(LatencyHistogram::bucket_of(63) < LatencyHistogram::bucket_of(64));
  CHECK(LatencyHistogram::bucket_of(0xFFFFFFFFull) == LatencyHistogram::bucket_of(0xFFFFFFFFFFull));
}

TEST_CASE("latency percentiles") {
  LatencyHistogram h;
  CHECK_FALSE(h.percentile(50));
  CHECK_FALSE(h.mean());
  for (int us = 1; us <= 1000; ++us) h.add(microseconds(us));
  CHECK(h.count() == 1000);
  CHECK(h.percentile(50)->count() == doctest::Approx(500).epsilon(0.02));
  CHECK(h.percentile(99)->count() == doctest::Approx(990).epsilon(0.02));
  CHECK(h.percentile(100)->count() <= 1000);
  CHECK(h.percentile(0)->count() == 1);
  CHECK(h.mean()->count() == 500);
  CHECK(h.max().count() == 1000);

  // One slow outlier in a hundred moves p99, not p50.
  LatencyHistogram skewed;
  for (int i = 0; i < 98; ++i) skewed.add(microseconds(200));
  skewed.add(microseconds(50000));
  skewed.add(microseconds(50000));
  CHECK(skewed.percentile(50)->count() == doctest::Approx(200).epsilon(0.02));
  CHECK(skewed.percentile(99)->count() == doctest::Approx(50000).epsilon(0.02));

  // Negative samples (clock trouble) count as zero; merge adds counts.
  LatencyHistogram other;
  other.add(microseconds(-5));
  CHECK(other.percentile(50)->count() == 0);
  h.merge(other);
  CHECK(h.count() == 1001);
  h.clear();
  CHECK(h.count() == 0);
  CHECK_FALSE(h.percentile(50));
}
