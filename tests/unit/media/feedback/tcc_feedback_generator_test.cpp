// Tests of bridge/media/feedback/tcc_feedback_generator.hpp (the behaviours of JVB's
// TccGeneratorNodeTest, draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1) on a fake clock.
// Every feedback is parsed back with rtcp::TransportFeedback: statuses, arrival deltas, reordering,
// duplicates, seq wrap, splitting when a feedback is full, and the feedback count.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "bridge/media/feedback/tcc_feedback_generator.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"
#include "bridge/rtcp/transport_cc.hpp"

using namespace jvb;
using namespace jvb::media;
using namespace std::chrono_literals;

namespace {

// A multiple of 64 ms, so the reference time is exact.
const Timestamp kT0 = Timestamp(64s);
constexpr std::uint32_t kSender = 0xB1D6E;
constexpr std::uint32_t kMedia = 0x1234;

struct Feedback {
  std::size_t bytes = 0;
  std::uint16_t base = 0;
  std::uint8_t count = 0;
  std::vector<rtcp::TccPacketStatus> packets;
};

std::vector<Feedback> g_sink;

// build() at `now`; parsed into g_sink when something was written. Returns the size.
std::size_t build(TransportCcFeedbackGenerator& gen, Timestamp now, std::size_t out_size = 1500) {
  std::vector<std::uint8_t> out(out_size);
  const auto n = gen.build(now, kSender, kMedia, out);
  if (n == 0) return 0;
  REQUIRE(n <= out_size);
  auto v = rtcp::parse_rtcp_packet(std::span(out).first(n));
  REQUIRE(v);
  REQUIRE(v->packet.size() == n);
  auto fb = rtcp::TransportFeedback::parse(*v);
  REQUIRE(fb);
  CHECK(fb->sender_ssrc() == kSender);
  CHECK(fb->media_ssrc() == kMedia);
  g_sink.push_back(Feedback{n, fb->base_sequence(), fb->feedback_count(), fb->all_packets()});
  return n;
}

// Delivers a packet and builds whatever is due by then, as a shell would.
void deliver(TransportCcFeedbackGenerator& gen, Timestamp now, std::uint16_t seq, bool marker = false) {
  gen.on_packet(now, seq, marker);
  while (gen.next_due() && *gen.next_due() <= now) {
    if (build(gen, now) == 0) break;
  }
}

std::chrono::microseconds since_t0(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
}

}  // namespace

TEST_CASE("no packets, no feedback") {
  g_sink.clear();
  TransportCcFeedbackGenerator gen;
  CHECK_FALSE(gen.next_due());
  CHECK(build(gen, kT0) == 0);
  CHECK(g_sink.empty());
}

TEST_CASE("11 unmarked packets 10 ms apart: one feedback after 100 ms with 11 reports") {
  g_sink.clear();
  TransportCcFeedbackGenerator gen;
  for (int i = 0; i < 11; ++i) deliver(gen, kT0 + i * 10ms, static_cast<std::uint16_t>(100 + i));
  REQUIRE(g_sink.size() == 1);
  const auto& fb = g_sink[0];
  CHECK(fb.base == 100);
  CHECK(fb.count == 0);
  REQUIRE(fb.packets.size() == 11);
  for (int i = 0; i < 11; ++i) {
    CHECK(fb.packets[i].sequence_number == 100 + i);
    CHECK(fb.packets[i].received());
    CHECK(fb.packets[i].arrival == since_t0(kT0 + i * 10ms));
  }
  CHECK_FALSE(gen.next_due());
  // The next one is a period after this one.
  gen.on_packet(kT0 + 150ms, 111);
  CHECK(*gen.next_due() == kT0 + 200ms);
}

TEST_CASE("a marked packet 20 ms after the last feedback brings it forward") {
  g_sink.clear();
  TransportCcFeedbackGenerator gen;
  deliver(gen, kT0, 1);
  deliver(gen, kT0 + 10ms, 2, true);  // marked, but only 10 ms: no
  CHECK(g_sink.empty());
  deliver(gen, kT0 + 20ms, 3, true);
  REQUIRE(g_sink.size() == 1);
  CHECK(g_sink[0].packets.size() == 3);
  deliver(gen, kT0 + 120ms, 4);
  REQUIRE(g_sink.size() == 2);
  CHECK(g_sink[1].base == 4);
  CHECK(g_sink[1].packets.size() == 1);
  CHECK(g_sink[1].count == 1);
}

TEST_CASE("gaps are reported lost; a late arrival restarts the next window at its seq") {
  g_sink.clear();
  TransportCcFeedbackGenerator gen;
  deliver(gen, kT0, 1);
  deliver(gen, kT0 + 10ms, 2);
  deliver(gen, kT0 + 20ms, 4);
  deliver(gen, kT0 + 100ms, 5);
  REQUIRE(g_sink.size() == 1);
  REQUIRE(g_sink[0].packets.size() == 5);
  CHECK_FALSE(g_sink[0].packets[2].received());
  CHECK(g_sink[0].packets[2].sequence_number == 3);
  CHECK(gen.counters().reported_lost == 1);

  deliver(gen, kT0 + 120ms, 3);  // reported lost already
  CHECK(gen.counters().window_restarts == 1);
  CHECK(gen.counters().late_after_lost == 1);
  REQUIRE(gen.next_due());
  CHECK(*gen.next_due() == kT0 + 200ms);
  deliver(gen, kT0 + 200ms, 6);
  REQUIRE(g_sink.size() == 2);
  const auto& fb = g_sink[1];
  CHECK(fb.base == 3);
  REQUIRE(fb.packets.size() == 4);  // 3, then 4, 5 again, then 6
  for (const auto& p : fb.packets) CHECK(p.received());
  CHECK(fb.packets[0].arrival == since_t0(kT0 + 120ms));
  CHECK(fb.packets[1].arrival == since_t0(kT0 + 20ms));  // negative delta
  CHECK(fb.packets[3].arrival == since_t0(kT0 + 200ms));
}

TEST_CASE("duplicates are ignored; packets far behind are dropped") {
  g_sink.clear();
  TransportCcFeedbackGenerator gen;
  deliver(gen, kT0, 10);
  deliver(gen, kT0 + 1ms, 11);
  deliver(gen, kT0 + 2ms, 11);
  deliver(gen, kT0 + 3ms, 10);
  CHECK(gen.counters().duplicates == 2);
  gen.on_packet(kT0 + 4ms, static_cast<std::uint16_t>(11 - 5000));
  CHECK(gen.counters().too_old == 1);
  CHECK(build(gen, kT0 + 5ms) > 0);
  REQUIRE(g_sink.size() == 1);
  CHECK(g_sink[0].packets.size() == 2);
  CHECK(g_sink[0].packets[0].arrival == since_t0(kT0));
  // A duplicate of a reported packet does not restart the window.
  gen.on_packet(kT0 + 6ms, 10);
  CHECK_FALSE(gen.next_due());
}

TEST_CASE("seq wrap") {
  g_sink.clear();
  TransportCcFeedbackGenerator gen;
  deliver(gen, kT0, 65534);
  deliver(gen, kT0 + 1ms, 65535);
  deliver(gen, kT0 + 2ms, 1);
  CHECK(build(gen, kT0 + 3ms) > 0);
  REQUIRE(g_sink.size() == 1);
  CHECK(g_sink[0].base == 65534);
  REQUIRE(g_sink[0].packets.size() == 4);
  CHECK(g_sink[0].packets[2].sequence_number == 0);
  CHECK_FALSE(g_sink[0].packets[2].received());
  CHECK(g_sink[0].packets[3].sequence_number == 1);
}

TEST_CASE("a full feedback is split; every seq is reported once; the count increments") {
  g_sink.clear();
  TransportCcFeedbackGenerator gen;
  for (int i = 0; i < 300; ++i) gen.on_packet(kT0 + i * 1ms, static_cast<std::uint16_t>(i));
  int rounds = 0;
  while (gen.next_due() && rounds < 100) {
    REQUIRE(build(gen, kT0 + 300ms, 100) > 0);
    ++rounds;
  }
  CHECK(g_sink.size() > 3);
  std::uint16_t expect = 0;
  for (std::size_t f = 0; f < g_sink.size(); ++f) {
    CHECK(g_sink[f].bytes <= 100);
    CHECK(g_sink[f].count == f);
    CHECK(g_sink[f].base == expect);
    for (const auto& p : g_sink[f].packets) {
      CHECK(p.sequence_number == expect);
      CHECK(p.received());
      CHECK(p.arrival == since_t0(kT0 + expect * 1ms));
      ++expect;
    }
  }
  CHECK(expect == 300);
  CHECK(gen.feedback_count() == g_sink.size());
}

TEST_CASE("a delta beyond the 16-bit range splits the feedback") {
  g_sink.clear();
  TransportCcFeedbackGenerator gen;
  gen.on_packet(kT0, 7);
  gen.on_packet(kT0 + 10s, 8);
  CHECK(build(gen, kT0 + 10s) > 0);
  REQUIRE(gen.next_due());
  CHECK(*gen.next_due() == kT0 + 10s);  // the rest is due at once
  CHECK(build(gen, kT0 + 10s) > 0);
  REQUIRE(g_sink.size() == 2);
  CHECK(g_sink[0].packets.size() == 1);
  CHECK(g_sink[1].base == 8);
  CHECK(g_sink[1].packets[0].arrival == since_t0(kT0 + 10s));
}

TEST_CASE("many pending statuses make feedback due at once") {
  TccFeedbackConfig config;
  config.early_statuses = 50;
  TransportCcFeedbackGenerator gen(config);
  for (int i = 0; i < 49; ++i) gen.on_packet(kT0 + i * 100us, static_cast<std::uint16_t>(i));
  CHECK(*gen.next_due() == kT0 + 100ms);
  gen.on_packet(kT0 + 5ms, 49);
  CHECK(*gen.next_due() == kT0 + 5ms);
}

TEST_CASE("huge forward jumps restart the window") {
  g_sink.clear();
  TransportCcFeedbackGenerator gen;
  deliver(gen, kT0, 1);
  deliver(gen, kT0 + 1ms, 2);
  gen.on_packet(kT0 + 2ms, 2 + 10000);  // beyond the ring: restart, 1 and 2 unreported
  CHECK(gen.counters().unreported == 2);
  CHECK(build(gen, kT0 + 3ms) > 0);
  REQUIRE(g_sink.size() == 1);
  CHECK(g_sink[0].base == 10002);
  CHECK(g_sink[0].packets.size() == 1);
}

TEST_CASE("random traffic across the wrap: every feedback parses and fits") {
  g_sink.clear();
  TransportCcFeedbackGenerator gen;
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> step(1, 4), gap_ms(0, 3), reorder(0, 19);
  std::map<std::int64_t, bool> sent;  // unwrapped seq -> delivered
  std::int64_t seq = 60000;
  Timestamp t = kT0;
  std::int64_t held = -1;
  for (int i = 0; i < 10000; ++i) {
    seq += step(rng);
    t += std::chrono::milliseconds(gap_ms(rng));
    if (held < 0 && reorder(rng) == 0) {
      held = seq;  // delivered after the next one
      continue;
    }
    deliver(gen, t, static_cast<std::uint16_t>(seq));
    sent[seq] = true;
    if (held >= 0) {
      deliver(gen, t, static_cast<std::uint16_t>(held));
      sent[held] = true;
      held = -1;
    }
  }
  while (gen.next_due()) REQUIRE(build(gen, t + 1s) > 0);
  CHECK(g_sink.size() > 50);
  // The last report about each seq says whether it arrived.
  std::map<std::uint16_t, bool> last;
  for (std::size_t f = 0; f < g_sink.size(); ++f) {
    CHECK(g_sink[f].bytes <= 1200);
    CHECK(g_sink[f].count == static_cast<std::uint8_t>(f));
    for (const auto& p : g_sink[f].packets) last[p.sequence_number] = p.received();
  }
  for (const auto& [s, delivered] : sent) {
    auto it = last.find(static_cast<std::uint16_t>(s));
    REQUIRE(it != last.end());
    CHECK(it->second == delivered);
  }
  CHECK(seq > 65536);
}
