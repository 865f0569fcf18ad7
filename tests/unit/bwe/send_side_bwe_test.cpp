// Tests of bridge/bwe/send_side_bwe.hpp on its own: the start (2.5 Mbit/s, initial probes),
// feedback for unknown sequence numbers, and bad input: empty feedback, a feedback reporting
// 65535 packets, time going backwards, refused RTT and loss reports, probe packets of unknown
// clusters.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "bridge/bwe/send_side_bwe.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"

using namespace jvb::bwe;
using namespace std::chrono_literals;
using jvb::Duration;
using jvb::Timestamp;

namespace {

Timestamp at(Duration d) { return Timestamp(d + std::chrono::seconds(500)); }

// A transport-cc feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1) of
// `count` statuses from `base`, all "received, small delta" with delta 0 when `received`, else
// all "not received", in run-length chunks of at most 8191.
std::vector<std::uint8_t> run_length_feedback(std::uint16_t base, std::uint16_t count, bool received) {
  std::vector<std::uint8_t> b{0x8F, 205, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2};
  b.push_back(static_cast<std::uint8_t>(base >> 8));
  b.push_back(static_cast<std::uint8_t>(base));
  b.push_back(static_cast<std::uint8_t>(count >> 8));
  b.push_back(static_cast<std::uint8_t>(count));
  b.insert(b.end(), {0, 0, 1, 0});  // reference time 1, feedback count 0
  for (std::uint32_t left = count; left > 0;) {
    const std::uint32_t n = std::min<std::uint32_t>(left, 0x1FFF);
    const std::uint16_t chunk = static_cast<std::uint16_t>((received ? 0x2000 : 0) | n);
    b.push_back(static_cast<std::uint8_t>(chunk >> 8));
    b.push_back(static_cast<std::uint8_t>(chunk));
    left -= n;
  }
  if (received) b.insert(b.end(), count, 0);
  while (b.size() % 4 != 0) b.push_back(0);
  const std::size_t words = b.size() / 4 - 1;
  b[2] = static_cast<std::uint8_t>(words >> 8);
  b[3] = static_cast<std::uint8_t>(words);
  return b;
}

jvb::rtcp::TransportFeedback parse(const std::vector<std::uint8_t>& bytes) {
  auto view = jvb::rtcp::parse_rtcp_packet(bytes);
  REQUIRE(view);
  auto fb = jvb::rtcp::TransportFeedback::parse(*view);
  REQUIRE(fb);
  return *fb;
}

std::vector<jvb::rtcp::TccPacketStatus> received(std::uint16_t first, int n, Duration spacing) {
  std::vector<jvb::rtcp::TccPacketStatus> out;
  for (int i = 0; i < n; ++i) {
    jvb::rtcp::TccPacketStatus s;
    s.sequence_number = static_cast<std::uint16_t>(first + i);
    s.status = jvb::rtcp::TccStatus::kSmallDelta;
    s.arrival = std::chrono::duration_cast<std::chrono::microseconds>(i * spacing);
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("starts at 2.5 Mbit/s with the initial probes, capped at 5 Mbit/s") {
  SendSideBandwidthEstimator e;
  CHECK(e.target_bitrate() == 2'500'000);
  e.on_process(at(0ms));
  CHECK(e.target_bitrate() == 2'500'000);
  auto first = e.take_probe_request();
  auto second = e.take_probe_request();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->bitrate_bps == 5'000'000);   // 3 x 2.5 Mbit/s, capped
  CHECK(second->bitrate_bps == 5'000'000);  // 6 x 2.5 Mbit/s, capped
  CHECK_FALSE(e.take_probe_request());

  BweConfig wide;
  wide.max_probe_bps = 20'000'000;
  SendSideBandwidthEstimator w(wide);
  w.on_process(at(0ms));
  CHECK(w.take_probe_request()->bitrate_bps == 7'500'000);
  CHECK(w.take_probe_request()->bitrate_bps == 15'000'000);
}

TEST_CASE("feedback for unknown sequence numbers is counted and ignored") {
  SendSideBandwidthEstimator e;
  e.on_process(at(0ms));
  for (int i = 0; i < 50; ++i) e.on_packet_sent(static_cast<std::uint16_t>(i), 1200, at(i * 1ms));
  const auto unknown = received(20'000, 30, 1ms);
  e.on_feedback(unknown, 0us, at(100ms));
  CHECK(e.unmatched_feedback() == 30);
  CHECK(e.counters().feedback_nothing_matched == 1);
  CHECK(e.target_bitrate() == 2'500'000);
  // Mixed: 10 known, 10 beyond the last sent.
  e.on_feedback(received(40, 20, 1ms), 0us, at(120ms));
  CHECK(e.unmatched_feedback() == 40);
  CHECK(e.counters().feedback_packets_received == 10);
}

TEST_CASE("empty feedback changes nothing") {
  SendSideBandwidthEstimator e;
  e.on_packet_sent(1, 1000, at(0ms));
  e.on_feedback(std::span<const jvb::rtcp::TccPacketStatus>(), 0us, at(50ms));
  const BweCounters c = e.counters();
  CHECK(c.feedbacks == 1);
  CHECK(c.feedback_nothing_matched == 1);
  CHECK(c.unmatched_feedback == 0);
  CHECK(e.target_bitrate() == 2'500'000);
}

TEST_CASE("a feedback reporting 65535 packets") {
  SendSideBandwidthEstimator e;
  e.on_process(at(0ms));
  for (int i = 0; i < 100; ++i) e.on_packet_sent(static_cast<std::uint16_t>(i), 1200, at(i * 1ms));

  SUBCASE("all lost") {
    e.on_feedback(parse(run_length_feedback(0, 0xFFFF, false)), at(200ms));
    const BweCounters c = e.counters();
    CHECK(c.feedback_packets_lost == 100);
    CHECK(c.unmatched_feedback == 0xFFFF - 100);
  }
  SUBCASE("all received at the same instant") {
    e.on_feedback(parse(run_length_feedback(0, 0xFFFF, true)), at(200ms));
    const BweCounters c = e.counters();
    CHECK(c.feedback_packets_received == 100);
    CHECK(c.unmatched_feedback == 0xFFFF - 100);
  }
  for (int i = 0; i < 40; ++i) e.on_process(at(200ms + i * 25ms));
  CHECK(e.target_bitrate() >= 30'000);
  CHECK(e.target_bitrate() <= 20'000'000);
}

TEST_CASE("time going backwards is taken as the latest time seen") {
  SendSideBandwidthEstimator e;
  e.on_process(at(10s));
  e.on_packet_sent(0, 1200, at(10s));
  e.on_packet_sent(1, 1200, at(5s));  // from the past
  e.on_feedback(received(0, 2, 1ms), 0us, at(1s));
  e.on_process(at(0s));
  e.on_rtt(100ms, at(2s));
  const BweCounters c = e.counters();
  CHECK(c.time_went_backwards == 4);
  CHECK(c.feedback_packets_received == 2);
  CHECK(c.unmatched_feedback == 0);
  CHECK(e.target_bitrate() == doctest::Approx(2'500'000).epsilon(0.01));
  // And time going on from there works as usual.
  for (int i = 0; i < 100; ++i) e.on_process(at(10s + i * 25ms));
  CHECK(e.target_bitrate() >= 30'000);
}

TEST_CASE("implausible RTT and loss reports are refused") {
  SendSideBandwidthEstimator e;
  e.on_rtt(0ms, at(0ms));
  e.on_rtt(-5ms, at(0ms));
  e.on_rtt(80ms, at(0ms));
  e.on_receiver_loss(0, 0, at(0ms));    // nothing expected
  e.on_receiver_loss(10, 10, at(0ms));  // nothing received
  e.on_receiver_loss(50, -3, at(0ms));  // garbage
  e.on_receiver_loss(1, 100, at(0ms));
  const BweCounters c = e.counters();
  CHECK(c.rtt_rejected == 2);
  CHECK(c.rtt_updates == 1);
  CHECK(c.loss_reports_rejected == 3);
  CHECK(c.loss_reports == 1);
  CHECK(e.snapshot().rtt == 80ms);
}

TEST_CASE("probe packets must name a cluster that was handed out") {
  SendSideBandwidthEstimator e;
  e.on_process(at(0ms));
  const auto cluster = e.take_probe_request();
  REQUIRE(cluster);
  e.on_packet_sent(0, 1000, at(1ms), cluster->id);
  e.on_packet_sent(1, 1000, at(2ms), 9999);
  const BweCounters c = e.counters();
  CHECK(c.probe_packets_sent == 1);
  CHECK(c.probe_packets_unknown_cluster == 1);
}

TEST_CASE("without feedback the estimate backs off once the round trip looks over 3 s") {
  SendSideBandwidthEstimator e;
  e.on_process(at(0ms));
  for (int i = 0; i < 400; ++i) {
    e.on_packet_sent(static_cast<std::uint16_t>(i), 1200, at(i * 25ms));
    e.on_process(at(i * 25ms));
  }
  // 10 s of sending with no feedback at all: 20 % per second from 3 s on.
  CHECK(e.counters().rtt_backoffs >= 5);
  CHECK(e.target_bitrate() < 2'500'000 * 0.8 * 0.8 * 0.8);
}
