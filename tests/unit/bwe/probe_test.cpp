// Tests of bridge/bwe/probe_controller.hpp (initial 3x/6x probes, further 2x probes, the
// maximum probing rate, the wanted-bitrate cap, the probe after a large drop, periodic ALR
// probes, no probes while delay grows) and bridge/bwe/probe_bitrate_estimator.hpp (reading a
// cluster's rate from feedback), and bridge/bwe/alr_detector.hpp.
#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "bridge/bwe/alr_detector.hpp"
#include "bridge/bwe/probe_bitrate_estimator.hpp"
#include "bridge/bwe/probe_controller.hpp"

using namespace jvb::bwe;
using namespace std::chrono_literals;
using jvb::Duration;
using jvb::Timestamp;

namespace {

Timestamp at(Duration d) { return Timestamp(d + std::chrono::seconds(10)); }

std::vector<ProbeCluster> take_all(ProbeController& p) {
  std::vector<ProbeCluster> out;
  while (auto c = p.take_probe()) out.push_back(*c);
  return out;
}

ProbeController started(std::int64_t max_probe_bps, std::int64_t start_bps = 2'500'000) {
  ProbeController p(max_probe_bps);
  p.set_network_available(true, at(0ms));
  p.set_bitrates(30'000, start_bps, 20'000'000, at(0ms));
  return p;
}

}  // namespace

TEST_CASE("initial probes at 3x and 6x the start rate, capped at the maximum probing rate") {
  ProbeController p = started(20'000'000, 1'000'000);
  auto probes = take_all(p);
  REQUIRE(probes.size() == 2);
  CHECK(probes[0].bitrate_bps == 3'000'000);
  CHECK(probes[1].bitrate_bps == 6'000'000);
  CHECK(probes[0].id != probes[1].id);
  CHECK(probes[0].min_packets == 5);
  CHECK(probes[0].min_duration == 15ms);
  CHECK(probes[0].min_bytes() == 3'000'000 * 15 / 1000 / 8);
  CHECK(p.waiting_for_result());

  // The default: 5 Mbit/s at most. 7.5 and 15 Mbit/s are both cut, and the series ends.
  ProbeController d = started(ProbeController::kDefaultMaxProbingBps);
  probes = take_all(d);
  REQUIRE(probes.size() == 2);
  CHECK(probes[0].bitrate_bps == 5'000'000);
  CHECK(probes[1].bitrate_bps == 5'000'000);
  CHECK_FALSE(d.waiting_for_result());
}

TEST_CASE("further probes at 2x while results exceed 70 % of the last probe") {
  ProbeController p = started(20'000'000, 1'000'000);
  take_all(p);
  // 4 Mbit/s is under 0.7 x 6 Mbit/s: no further probe.
  p.set_estimated_bitrate(4'000'000, BandwidthLimitedCause::kDelayBasedLimited, at(200ms));
  CHECK(take_all(p).empty());
  p.set_estimated_bitrate(5'000'000, BandwidthLimitedCause::kDelayBasedLimited, at(300ms));
  auto probes = take_all(p);
  REQUIRE(probes.size() == 1);
  CHECK(probes[0].bitrate_bps == 10'000'000);
  // The next step would be 24 Mbit/s: capped at 20, and that ends the series.
  p.set_estimated_bitrate(12'000'000, BandwidthLimitedCause::kDelayBasedLimited, at(600ms));
  probes = take_all(p);
  REQUIRE(probes.size() == 1);
  CHECK(probes[0].bitrate_bps == 20'000'000);
  CHECK_FALSE(p.waiting_for_result());
}

TEST_CASE("waiting for a result ends after 1 s") {
  ProbeController p = started(20'000'000, 1'000'000);
  take_all(p);
  p.process(at(900ms));
  CHECK(p.waiting_for_result());
  p.process(at(1100ms));
  CHECK_FALSE(p.waiting_for_result());
  p.set_estimated_bitrate(5'000'000, BandwidthLimitedCause::kDelayBasedLimited, at(1200ms));
  CHECK(take_all(p).empty());
}

TEST_CASE("a wanted bitrate caps probes at twice it") {
  ProbeController p(20'000'000);
  p.set_network_available(true, at(0ms));
  p.set_max_total_allocated_bitrate(1'000'000, at(0ms));
  p.set_bitrates(30'000, 2'500'000, 20'000'000, at(0ms));
  auto probes = take_all(p);
  REQUIRE(probes.size() == 2);
  CHECK(probes[0].bitrate_bps == 2'000'000);
  CHECK(probes[1].bitrate_bps == 2'000'000);
  CHECK_FALSE(p.waiting_for_result());
}

TEST_CASE("allocation probes when the wanted bitrate rises in an application-limited region") {
  ProbeController p = started(20'000'000, 1'000'000);
  take_all(p);
  p.process(at(1100ms));  // done with the initial probes
  p.set_estimated_bitrate(1'000'000, BandwidthLimitedCause::kDelayBasedLimited, at(1100ms));
  // Not application-limited: no probe.
  p.set_max_total_allocated_bitrate(1'500'000, at(1200ms));
  CHECK(take_all(p).empty());
  p.set_alr_start_time(at(1300ms));
  p.set_max_total_allocated_bitrate(3'000'000, at(1400ms));
  auto probes = take_all(p);
  // 1x the wanted 3 Mbit/s is over 2x the estimate: cut to 2 Mbit/s, and probing goes on.
  REQUIRE(probes.size() == 1);
  CHECK(probes[0].bitrate_bps == 2'000'000);
  CHECK(p.waiting_for_result());
}

TEST_CASE("after a large drop, in an application-limited region, one probe at 85 % of before") {
  ProbeController p = started(20'000'000, 1'000'000);
  take_all(p);
  p.process(at(1100ms));
  p.set_estimated_bitrate(2'000'000, BandwidthLimitedCause::kDelayBasedLimited, at(2000ms));
  p.set_estimated_bitrate(1'000'000, BandwidthLimitedCause::kDelayBasedLimited, at(2100ms));  // < 66 %
  // Not application-limited: nothing.
  p.request_probe(at(2500ms));
  CHECK(take_all(p).empty());
  p.set_alr_start_time(at(2400ms));
  p.request_probe(at(2500ms));
  auto probes = take_all(p);
  REQUIRE(probes.size() == 1);
  CHECK(probes[0].bitrate_bps == 1'700'000);
  CHECK(p.drop_probes() == 1);
  // At most every 5 s.
  p.request_probe(at(3000ms));
  CHECK(take_all(p).empty());
  // Too long after the drop.
  p.request_probe(at(7200ms));
  CHECK(take_all(p).empty());
  // Just after leaving the region counts as in it, for 3 s.
  p.set_estimated_bitrate(3'000'000, BandwidthLimitedCause::kDelayBasedLimited, at(9000ms));
  p.set_estimated_bitrate(1'500'000, BandwidthLimitedCause::kDelayBasedLimited, at(9100ms));
  p.set_alr_start_time(std::nullopt);
  p.set_alr_end_time(at(9200ms));
  p.request_probe(at(11000ms));
  probes = take_all(p);
  REQUIRE(probes.size() == 1);
  CHECK(probes[0].bitrate_bps == 2'550'000);
}

TEST_CASE("periodic probes in an application-limited region only when enabled") {
  for (bool enabled : {false, true}) {
    CAPTURE(enabled);
    ProbeController p = started(20'000'000, 1'000'000);
    p.enable_periodic_alr_probing(enabled);
    take_all(p);
    p.process(at(1100ms));
    p.set_estimated_bitrate(1'000'000, BandwidthLimitedCause::kDelayBasedLimited, at(1100ms));
    p.set_alr_start_time(at(2000ms));
    p.process(at(6900ms));
    CHECK(take_all(p).empty());
    p.process(at(7000ms));
    auto probes = take_all(p);
    CHECK(probes.size() == (enabled ? 1u : 0u));
    if (enabled) CHECK(probes[0].bitrate_bps == 2'000'000);
  }
}

TEST_CASE("no probes while the delay detector sees the queue change or the RTT is too long") {
  for (auto cause : {BandwidthLimitedCause::kDelayBasedLimitedDelayIncreased,
                     BandwidthLimitedCause::kRttBasedBackOffHighRtt}) {
    ProbeController p = started(20'000'000, 1'000'000);
    take_all(p);
    p.set_estimated_bitrate(5'000'000, cause, at(300ms));
    CHECK(take_all(p).empty());
  }
}

TEST_CASE("the pending queue is bounded") {
  ProbeController p = started(20'000'000, 1'000);
  // Never taken: each doubling queues another probe (20, 40, ... kbit/s), the oldest go.
  for (int i = 0; i < 12; ++i) {
    p.set_estimated_bitrate(std::int64_t{10'000} << i, BandwidthLimitedCause::kDelayBasedLimited,
                            at(i * 10ms));
  }
  CHECK(p.clusters_created() == 13);  // 3 and 6 kbit/s, then 20 kbit/s ... 20 Mbit/s (capped)
  CHECK(take_all(p).size() == ProbeController::kMaxPending);
  CHECK(p.clusters_dropped() == p.clusters_created() - ProbeController::kMaxPending);
}

namespace {

// A cluster of `n` packets of 1000 bytes sent `send_gap` apart and received `receive_gap` apart.
std::vector<PacketResult> cluster(int n, Duration send_gap, Duration receive_gap, std::int32_t id = 1) {
  std::vector<PacketResult> out;
  for (int i = 0; i < n; ++i) {
    PacketResult p;
    p.sent.sequence = i;
    p.sent.size_bytes = 1000;
    p.sent.probe_cluster_id = id;
    p.sent.probe_min_packets = 5;
    p.sent.probe_min_bytes = 5000;
    p.sent.send_time = at(i * send_gap);
    p.receive_time = at(50ms + i * receive_gap);
    out.push_back(p);
  }
  return out;
}

std::optional<std::int64_t> run(ProbeBitrateEstimator& e, const std::vector<PacketResult>& packets) {
  for (const auto& p : packets) e.on_probe_packet(p);
  return e.fetch_and_reset_estimate();
}

}  // namespace

TEST_CASE("probe result: the smaller of send and receive rate") {
  ProbeBitrateEstimator e;
  // 9000 bytes over 9 ms both ways: 8 Mbit/s.
  auto r = run(e, cluster(10, 1ms, 1ms));
  REQUIRE(r);
  CHECK(*r == doctest::Approx(8'000'000).epsilon(0.001));
  CHECK_FALSE(e.fetch_and_reset_estimate());  // fetched once
}

TEST_CASE("probe result: 95 % of the receive rate when the link was saturated") {
  ProbeBitrateEstimator e;
  // Sent at 8 Mbit/s, received at 4 Mbit/s.
  auto r = run(e, cluster(10, 1ms, 2ms));
  REQUIRE(r);
  CHECK(*r == doctest::Approx(0.95 * 4'000'000).epsilon(0.001));
}

TEST_CASE("probe result: too few packets, bad intervals and implausible ratios give none") {
  ProbeBitrateEstimator few;
  CHECK_FALSE(run(few, cluster(3, 1ms, 1ms)));  // under 80 % of 5 packets
  ProbeBitrateEstimator instant;
  CHECK_FALSE(run(instant, cluster(10, 0ms, 1ms)));  // no send interval
  CHECK(instant.invalid() > 0);
  ProbeBitrateEstimator ratio;
  CHECK_FALSE(run(ratio, cluster(10, 3ms, 1ms)));  // received 3x faster than sent
  ProbeBitrateEstimator slow;
  CHECK_FALSE(run(slow, cluster(10, 400ms, 400ms)));  // longer than 1 s
}

TEST_CASE("ALR: sending well under the estimate for a while is application-limited") {
  AlrDetector alr;
  alr.set_estimated_bitrate(1'000'000);
  // 1 Mbit/s estimate, sending 200 kbit/s: 250 bytes every 10 ms.
  for (int i = 0; i < 100; ++i) alr.on_bytes_sent(250, at(i * 10ms));
  REQUIRE(alr.alr_start_time());
  // Sending at the estimate ends the region.
  for (int i = 100; i < 300; ++i) alr.on_bytes_sent(1250, at(i * 10ms));
  CHECK_FALSE(alr.alr_start_time());
}
