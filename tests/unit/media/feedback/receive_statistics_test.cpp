// Tests of bridge/media/feedback/receive_statistics.hpp (RFC 3550 A.1, A.3, A.8, §6.4.1) on a
// fake clock: probation, loss fraction and cumulative loss (with late packets), extended
// sequence numbers across wraps, restarts after huge jumps, jitter on a known arrival pattern,
// LSR/DLSR.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>

#include "bridge/media/feedback/receive_statistics.hpp"

using namespace jvb;
using namespace jvb::media;
using namespace std::chrono_literals;

namespace {

const Timestamp kT0 = Timestamp(10s);

// Feeds seqs [first, last] (16-bit wrapping), skipping none, 20 ms and 1800 ticks apart.
void feed(ReceiveStatistics& s, std::uint32_t first, std::uint32_t last, Timestamp t = kT0) {
  for (std::uint32_t i = first; i <= last; ++i) {
    s.on_packet(t, static_cast<std::uint16_t>(i), i * 1800, 100);
    t += 20ms;
  }
}

}  // namespace

TEST_CASE("probation: two sequential packets validate the source, the first is not counted") {
  ReceiveStatistics s(1234, 90000);
  CHECK_FALSE(s.valid());
  s.on_packet(kT0, 500, 0, 100);
  CHECK_FALSE(s.valid());
  CHECK_FALSE(s.has_new_packets());
  CHECK(s.packets() == 1);
  CHECK(s.bytes() == 100);
  s.on_packet(kT0, 501, 0, 100);
  CHECK(s.valid());
  CHECK(s.received() == 1);
  CHECK(s.expected() == 1);
  CHECK(s.cumulative_lost() == 0);
  CHECK(s.extended_highest_sequence() == 501);
  CHECK(s.has_new_packets());
}

TEST_CASE("probation restarts on a non-sequential packet") {
  ReceiveStatistics s(1, 90000);
  s.on_packet(kT0, 10, 0, 1);
  s.on_packet(kT0, 12, 0, 1);  // not 11: probation starts over from 12
  CHECK_FALSE(s.valid());
  s.on_packet(kT0, 13, 0, 1);
  CHECK(s.valid());
  CHECK(s.extended_highest_sequence() == 13);
  CHECK(s.expected() == 1);
}

TEST_CASE("RR fields: 100 expected, 90 received since the last report") {
  ReceiveStatistics s(0xCAFE, 90000);
  feed(s, 100, 101);  // probation; base 101
  auto first = s.report_block(kT0);
  CHECK(first.ssrc == 0xCAFE);
  CHECK(first.fraction_lost == 0);
  CHECK(first.cumulative_lost == 0);
  CHECK(first.extended_highest_sequence == 101);
  CHECK_FALSE(s.has_new_packets());

  // 102..201 with 110..119 missing: 100 expected, 90 received.
  feed(s, 102, 109);
  feed(s, 120, 201);
  auto block = s.report_block(kT0 + 1s);
  CHECK(block.fraction_lost == 25);  // 10 * 256 / 100 = 25.6
  CHECK(block.cumulative_lost == 10);
  CHECK(block.extended_highest_sequence == 201);
  CHECK(block.last_sr == 0);
  CHECK(block.delay_since_last_sr == 0);

  // Nothing new: no block wanted; a late packet then lowers the cumulative loss.
  CHECK_FALSE(s.has_new_packets());
  s.on_packet(kT0 + 2s, 110, 110 * 1800, 100);
  CHECK(s.has_new_packets());
  block = s.report_block(kT0 + 2s);
  CHECK(block.cumulative_lost == 9);
  CHECK(block.fraction_lost == 0);  // more received than expected in this interval
  CHECK(block.extended_highest_sequence == 201);
}

TEST_CASE("fraction lost is lost * 256 / expected over the interval") {
  ReceiveStatistics s(1, 90000);
  feed(s, 0, 1);
  (void)s.report_block(kT0);
  feed(s, 2, 4);
  feed(s, 6, 6);  // 2..6 expected (5), 5 lost: 256 / 5 = 51.2
  CHECK(s.report_block(kT0).fraction_lost == 51);
  feed(s, 8, 9);  // 7..9 expected (3), 7 lost: 256 / 3 = 85.3
  CHECK(s.report_block(kT0).fraction_lost == 85);
  feed(s, 11, 11);  // 10, 11 expected, 10 lost: 128
  CHECK(s.report_block(kT0).fraction_lost == 128);
}

TEST_CASE("fraction lost saturates at 255 and duplicates make cumulative loss negative") {
  ReceiveStatistics s(1, 90000);
  feed(s, 0, 1);
  (void)s.report_block(kT0);
  feed(s, 1000, 1000);  // 998 lost, 1 received in the interval
  auto block = s.report_block(kT0);
  CHECK(block.fraction_lost == 255);  // 998 * 256 / 999 = 255.7
  CHECK(block.cumulative_lost == 998);

  ReceiveStatistics d(2, 90000);
  feed(d, 0, 5);
  for (int i = 0; i < 3; ++i) d.on_packet(kT0, 5, 0, 1);  // duplicates count as received (RFC)
  CHECK(d.cumulative_lost() == -3);
  CHECK(d.report_block(kT0).cumulative_lost == -3);
}

TEST_CASE("extended highest sequence and expected across 0, 1 and more wraps") {
  ReceiveStatistics none(1, 90000);
  feed(none, 1000, 2000);
  CHECK(none.extended_highest_sequence() == 2000);
  CHECK(none.expected() == 1000);

  ReceiveStatistics one(1, 90000);
  feed(one, 65530, 65536 + 9);  // 65530 .. 65535, 0 .. 9
  CHECK(one.extended_highest_sequence() == 65536 + 9);
  CHECK(one.expected() == 15);
  CHECK(one.cumulative_lost() == 0);

  ReceiveStatistics many(1, 90000);
  feed(many, 65000, 3 * 65536 + 100);
  CHECK(many.extended_highest_sequence() == 3u * 65536 + 100);
  CHECK(many.expected() == 3 * 65536 + 100 - 65001 + 1);
  CHECK(many.cumulative_lost() == 0);

  // A wrap with a gap across it.
  ReceiveStatistics gap(1, 90000);
  feed(gap, 65533, 65534);
  gap.on_packet(kT0, 3, 0, 1);
  CHECK(gap.extended_highest_sequence() == 65536 + 3);
  CHECK(gap.expected() == 6);
  CHECK(gap.cumulative_lost() == 4);
}

TEST_CASE("gaps up to 3000 are loss; larger jumps are bad until two in sequence restart") {
  ReceiveStatistics s(1, 90000);
  feed(s, 10, 11);
  s.on_packet(kT0, 11 + 2999, 0, 1);  // a gap of 2998: loss
  CHECK(s.extended_highest_sequence() == 3010);
  CHECK(s.cumulative_lost() == 2998);

  s.on_packet(kT0, 3010 + 3000, 0, 1);  // a jump of 3000: bad, not counted
  CHECK(s.bad_packets() == 1);
  CHECK(s.extended_highest_sequence() == 3010);
  s.on_packet(kT0, 3011, 0, 1);  // normal traffic goes on
  CHECK(s.extended_highest_sequence() == 3011);

  // A restart: two sequential packets far away.
  s.on_packet(kT0, 40000, 0, 1);
  s.on_packet(kT0, 40001, 0, 1);
  CHECK(s.restarts() == 1);
  CHECK(s.extended_highest_sequence() == 40001);
  CHECK(s.received() == 1);
  CHECK(s.expected() == 1);
  CHECK(s.cumulative_lost() == 0);
}

TEST_CASE("late packets: less than 100 behind count as received, further behind are bad") {
  ReceiveStatistics s(1, 90000);
  feed(s, 1000, 1001);
  feed(s, 1202, 1300);  // 1002..1201 lost: 200
  CHECK(s.cumulative_lost() == 200);
  s.on_packet(kT0, 1201, 0, 1);  // 99 behind 1300: late (RFC 3550 A.1 MAX_MISORDER)
  CHECK(s.cumulative_lost() == 199);
  CHECK(s.extended_highest_sequence() == 1300);
  s.on_packet(kT0, 1200, 0, 1);  // 100 behind: bad
  CHECK(s.cumulative_lost() == 199);
  CHECK(s.bad_packets() == 1);
  s.on_packet(kT0, 1100, 0, 1);
  CHECK(s.bad_packets() == 2);
  CHECK(s.extended_highest_sequence() == 1300);
}

TEST_CASE("jitter on a known arrival pattern (RFC 3550 A.8, timestamp units)") {
  // 1 kHz clock: one tick per ms. Packets 20 ticks apart in timestamp.
  ReceiveStatistics s(1, 1000);
  const Timestamp t = kT0;
  s.on_packet(t, 0, 0, 1);          // probation
  s.on_packet(t + 20ms, 1, 20, 1);  // counted: transit reference
  CHECK(s.jitter() == 0);
  s.on_packet(t + 200ms, 2, 40, 1);  // 160 ms later than expected: D = 160, J16 = 160
  CHECK(s.jitter() == 10);
  s.on_packet(t + 200ms, 3, 60, 1);  // D = -20: J16 = 160 + 20 - 10 = 170
  CHECK(s.jitter() == 10);
  s.on_packet(t + 220ms, 4, 80, 1);  // D = 0: J16 = 170 - 11 = 159
  CHECK(s.jitter() == 9);
  CHECK(s.report_block(t + 220ms).jitter == 9);

  // Constant transit at 90 kHz: no jitter, also across the timestamp wrap.
  ReceiveStatistics v(2, 90000);
  std::uint32_t ts = 0xFFFF0000u;
  for (int i = 0; i < 50; ++i) {
    v.on_packet(kT0 + i * 10ms, static_cast<std::uint16_t>(i), ts, 1);
    ts += 900;
  }
  CHECK(v.jitter() == 0);

  // Clock rate 0: no estimate; time going backwards: sample skipped.
  ReceiveStatistics z(3, 0);
  feed(z, 0, 10);
  CHECK(z.jitter() == 0);
  ReceiveStatistics back(4, 1000);
  back.on_packet(kT0, 0, 0, 1);
  back.on_packet(kT0, 1, 0, 1);
  back.on_packet(kT0 - 5s, 2, 20, 1);
  CHECK(back.jitter() == 0);
}

TEST_CASE("LSR and DLSR from the last Sender Report") {
  ReceiveStatistics s(1, 90000);
  feed(s, 0, 5);
  s.on_sender_report(kT0, 0x0123456789ABCDEFull);
  auto block = s.report_block(kT0 + 500ms);
  CHECK(block.last_sr == 0x456789ABu);
  CHECK(block.delay_since_last_sr == 32768);  // 0.5 s in 1/65536 s
  block = s.report_block(kT0 + 1250ms);
  CHECK(block.delay_since_last_sr == 81920);
  // A newer SR replaces it; a report "before" it has DLSR 0.
  s.on_sender_report(kT0 + 2s, 0x1111222233334444ull);
  block = s.report_block(kT0 + 1s);
  CHECK(block.last_sr == 0x22223333u);
  CHECK(block.delay_since_last_sr == 0);
  // Very long delays saturate.
  block = s.report_block(kT0 + std::chrono::hours(24 * 365));
  CHECK(block.delay_since_last_sr == 0xFFFFFFFFu);
}
