// Tests of bridge/bwe/send_history.hpp: matching transport-cc feedback to sent packets, the
// unmatched counter (unknown, forgotten, repeated), sequence number wrap-around, the
// reference-time anchor and its wrap, and the per-feedback result limit.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "bridge/bwe/send_history.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"

using namespace jvb::bwe;
using namespace std::chrono_literals;
using jvb::Duration;
using jvb::Timestamp;
using jvb::rtcp::TccPacketStatus;
using jvb::rtcp::TccStatus;

namespace {

Timestamp at(Duration d) { return Timestamp(d + std::chrono::seconds(1000)); }

// Statuses for consecutive sequence numbers from `first`; arrival is relative to the reference
// time; nullopt = not received.
std::vector<TccPacketStatus> statuses(std::uint16_t first,
                                      const std::vector<std::optional<Duration>>& arrivals) {
  std::vector<TccPacketStatus> out;
  std::uint16_t seq = first;
  for (const auto& a : arrivals) {
    TccPacketStatus s;
    s.sequence_number = seq++;
    if (a) {
      s.status = TccStatus::kSmallDelta;
      s.arrival = std::chrono::duration_cast<std::chrono::microseconds>(*a);
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("feedback is matched to send times and sizes") {
  SendHistory h;
  for (int i = 0; i < 5; ++i) h.on_packet_sent(static_cast<std::uint16_t>(100 + i), 1000 + i, at(i * 10ms));
  const auto st = statuses(100, {30ms, 41ms, std::nullopt, 62ms, 70ms});
  const FeedbackReport r = h.on_feedback(st, 0us, at(100ms));
  REQUIRE(r.received.size() == 4);
  CHECK(r.lost == 1);
  CHECK(r.unmatched == 0);
  CHECK(r.received[0].sent.sequence == 100);
  CHECK(r.received[0].sent.size_bytes == 1000);
  CHECK(r.received[0].sent.send_time == at(0ms));
  CHECK(r.received[2].sent.sequence == 103);
  CHECK(r.received[2].sent.size_bytes == 1003);
  // Receive times keep the feedback's spacing (anchored at the first feedback's arrival).
  CHECK(r.received[1].receive_time - r.received[0].receive_time == 11ms);
  CHECK(r.received[3].receive_time - r.received[0].receive_time == 40ms);
  CHECK(h.counters().reported_received == 4);
  CHECK(h.counters().reported_lost == 1);
}

TEST_CASE("unknown, future and already acknowledged sequence numbers are unmatched") {
  SendHistory h;
  for (int i = 0; i < 10; ++i) h.on_packet_sent(static_cast<std::uint16_t>(500 + i), 1200, at(i * 1ms));
  // 490..499 were never sent; 510..514 are in the future.
  auto r = h.on_feedback(statuses(490, std::vector<std::optional<Duration>>(25, 5ms)), 0us, at(50ms));
  CHECK(r.received.size() == 10);
  CHECK(r.unmatched == 15);
  // The same packets again: already acknowledged, all unmatched.
  r = h.on_feedback(statuses(500, std::vector<std::optional<Duration>>(10, 5ms)), 0us, at(60ms));
  CHECK(r.received.empty());
  CHECK(r.unmatched == 10);
  CHECK(h.counters().unmatched == 25);
  // Feedback before anything was sent.
  SendHistory empty;
  r = empty.on_feedback(statuses(0, {1ms, 2ms}), 0us, at(0ms));
  CHECK(r.unmatched == 2);
}

TEST_CASE("a packet reported lost can still be reported received later") {
  SendHistory h;
  h.on_packet_sent(7, 500, at(0ms));
  auto r = h.on_feedback(statuses(7, {std::nullopt}), 0us, at(50ms));
  CHECK(r.lost == 1);
  r = h.on_feedback(statuses(7, {20ms}), 64ms, at(100ms));
  CHECK(r.received.size() == 1);
  CHECK(r.unmatched == 0);
}

TEST_CASE("sequence numbers wrap around") {
  SendHistory h;
  for (int i = 0; i < 12; ++i) h.on_packet_sent(static_cast<std::uint16_t>(65530 + i), 100, at(i * 1ms));
  CHECK(h.last_sent_sequence() == 65541);
  CHECK(h.counters().sent_out_of_order == 0);
  const auto r = h.on_feedback(statuses(65530, std::vector<std::optional<Duration>>(12, 5ms)), 0us, at(50ms));
  REQUIRE(r.received.size() == 12);
  CHECK(r.unmatched == 0);
  CHECK(r.received[6].sent.sequence == 65536);
  CHECK(r.received[11].sent.sequence == 65541);
}

TEST_CASE("forgotten packets: the ring was reused, or they are over 60 s old") {
  SendHistory h(64);
  CHECK(h.capacity() == 64);
  for (int i = 0; i < 100; ++i) h.on_packet_sent(static_cast<std::uint16_t>(i), 100, at(i * 1ms));
  auto r = h.on_feedback(statuses(0, std::vector<std::optional<Duration>>(100, 5ms)), 0us, at(200ms));
  CHECK(r.received.size() == 64);
  CHECK(r.unmatched == 36);

  SendHistory old;
  old.on_packet_sent(1, 100, at(0ms));
  old.on_packet_sent(2, 100, at(30s));
  r = old.on_feedback(statuses(1, {5ms, 6ms}), 0us, at(61s));
  CHECK(r.received.size() == 1);
  CHECK(r.unmatched == 1);
}

TEST_CASE("the reference time is followed across feedbacks and across its 24-bit wrap") {
  SendHistory h;
  for (int i = 0; i < 4; ++i) h.on_packet_sent(static_cast<std::uint16_t>(i), 100, at(i * 100ms));
  // The largest reference time, then one wrap later: 64 ms apart on the receiver's clock.
  const auto last_tick = ((std::int64_t{1} << 23) - 1) * jvb::rtcp::kTccReferenceTick;
  const auto first_tick = -(std::int64_t{1} << 23) * jvb::rtcp::kTccReferenceTick;
  auto r1 = h.on_feedback(statuses(0, {std::optional<Duration>(last_tick + 1ms)}), last_tick, at(150ms));
  auto t1 = r1.received[0].receive_time;
  auto r2 = h.on_feedback(statuses(1, {std::optional<Duration>(first_tick + 2ms)}), first_tick, at(250ms));
  CHECK(r2.received[0].receive_time - t1 == 65ms);
  CHECK(h.counters().reference_time_resets == 0);
  // A reference time an hour off re-anchors on the local clock.
  auto r3 = h.on_feedback(statuses(2, {std::optional<Duration>(first_tick + 3600s)}), first_tick + 3600s,
                          at(350ms));
  CHECK(h.counters().reference_time_resets == 1);
  CHECK(r3.received[0].receive_time == at(350ms));
}

TEST_CASE("received packets beyond the per-feedback buffer are matched but dropped") {
  SendHistory h(8192);
  const int n = static_cast<int>(SendHistory::kMaxResultsPerFeedback) + 100;
  for (int i = 0; i < n; ++i) h.on_packet_sent(static_cast<std::uint16_t>(i), 100, at(i * 100us));
  const auto r = h.on_feedback(statuses(0, std::vector<std::optional<Duration>>(n, 5ms)), 0us, at(1s));
  CHECK(r.received.size() == SendHistory::kMaxResultsPerFeedback);
  CHECK(h.counters().results_dropped == 100);
  CHECK(r.unmatched == 0);
}

TEST_CASE("a parsed feedback goes through the same matching") {
  SendHistory h;
  const Timestamp base = at(0ms);
  for (int i = 0; i < 3; ++i) h.on_packet_sent(static_cast<std::uint16_t>(40 + i), 900, base + i * 5ms);
  const Timestamp rx = Timestamp(std::chrono::seconds(77));  // the receiver's own clock
  std::vector<jvb::rtcp::TccPacket> packets{{40, rx}, {41, std::nullopt}, {42, rx + 9ms}};
  std::vector<std::uint8_t> buf(200);
  auto written = jvb::rtcp::write_transport_feedback(buf, {1, 2, 0}, packets);
  REQUIRE(written);
  auto view = jvb::rtcp::parse_rtcp_packet(std::span(buf).first(written->bytes));
  REQUIRE(view);
  auto fb = jvb::rtcp::TransportFeedback::parse(*view);
  REQUIRE(fb);
  const auto r = h.on_feedback(*fb, at(60ms));
  REQUIRE(r.received.size() == 2);
  CHECK(r.lost == 1);
  CHECK(r.received[1].receive_time - r.received[0].receive_time == 9ms);
  CHECK(r.received[1].sent.send_time == base + 10ms);
}
