// Tests of bridge/bwe/loss_based_bwe.hpp: the 2 % / 10 % loss rules, the report accumulation,
// the start phase, the delay-based and configured caps, and the RTT back-off.
#include <doctest/doctest.h>

#include <chrono>

#include "bridge/bwe/loss_based_bwe.hpp"

using namespace jvb::bwe;
using namespace std::chrono_literals;
using jvb::Duration;
using jvb::Timestamp;

namespace {

Timestamp at(Duration d) { return Timestamp(d + std::chrono::seconds(10)); }

// Started at 1 Mbit/s with a delay-based estimate of 3 Mbit/s, past the start phase with one
// clean report.
LossBasedBwe started() {
  LossBasedBwe l;
  l.set_bitrates(1'000'000, 30'000, 20'000'000, at(0ms));
  l.update_delay_based_estimate(3'000'000, at(0ms));
  l.update_packets_lost(0, 100, at(0ms));
  return l;
}

}  // namespace

TEST_CASE("start phase: without loss the target follows the delay-based estimate up") {
  LossBasedBwe l;
  l.set_bitrates(1'000'000, 30'000, 20'000'000, at(0ms));
  CHECK(l.target_bps() == 1'000'000);
  l.update_delay_based_estimate(3'000'000, at(0ms));
  l.update_estimate(at(100ms));
  CHECK(l.target_bps() == 3'000'000);
  // A lower delay-based estimate caps the target at once.
  l.update_delay_based_estimate(800'000, at(200ms));
  CHECK(l.target_bps() == 800'000);
}

TEST_CASE("under 2 % loss: 8 % over the lowest target of the last second, plus 1 kbit/s") {
  LossBasedBwe l = started();
  // The clean report at 0 s is in the start phase: the target jumped to 3 Mbit/s. Drop to
  // 1 Mbit/s through the delay-based estimate, then let it rise again.
  l.update_delay_based_estimate(1'000'000, at(2500ms));
  l.update_estimate(at(2500ms));
  l.update_delay_based_estimate(5'000'000, at(2600ms));
  l.update_packets_lost(1, 100, at(2600ms));  // 1 % (2/256 after rounding)
  CHECK(l.fraction_loss_q8() == 2);
  CHECK(l.target_bps() == 1'081'000);
  // The lowest of the last second is still 1 Mbit/s: the next clean report does not compound.
  l.update_packets_lost(0, 100, at(3000ms));
  CHECK(l.target_bps() == 1'081'000);
  // A second later the window holds only 1.081 Mbit/s.
  l.update_packets_lost(0, 100, at(3700ms));
  CHECK(l.target_bps() == static_cast<std::int64_t>(1'081'000 * 1.08 + 0.5) + 1000);
}

TEST_CASE("2 % to 10 % loss holds the target") {
  LossBasedBwe l = started();
  l.update_delay_based_estimate(1'000'000, at(2500ms));
  l.update_estimate(at(2500ms));
  l.update_delay_based_estimate(5'000'000, at(2600ms));
  for (int i = 0; i < 10; ++i) {
    l.update_packets_lost(5, 100, at(2600ms + i * 1s));  // 5 %
    CHECK(l.target_bps() == 1'000'000);
  }
}

TEST_CASE("over 10 % loss: target x (1 - loss / 2), once per report and per 300 ms + RTT") {
  LossBasedBwe l = started();
  l.update_delay_based_estimate(1'000'000, at(2500ms));
  l.update_estimate(at(2500ms));
  l.update_rtt(200ms);
  l.update_packets_lost(20, 100, at(3000ms));  // 51/256
  CHECK(l.fraction_loss_q8() == 51);
  CHECK(l.target_bps() == 1'000'000 * (512 - 51) / 512);
  CHECK(l.loss_decreases() == 1);
  // No second decrease for the same report.
  l.update_estimate(at(4000ms));
  CHECK(l.loss_decreases() == 1);
  // A new report within 300 ms + RTT of the last decrease: no decrease yet.
  l.update_packets_lost(20, 100, at(3400ms));
  CHECK(l.loss_decreases() == 1);
  l.update_packets_lost(20, 100, at(3600ms));
  CHECK(l.loss_decreases() == 2);
}

TEST_CASE("reports are accumulated until they cover 20 packets") {
  LossBasedBwe l = started();
  l.update_packets_lost(3, 10, at(3000ms));
  CHECK(l.fraction_loss_q8() == 0);
  l.update_packets_lost(3, 10, at(3100ms));
  CHECK(l.fraction_loss_q8() == 6 * 256 / 20);
  // Nothing received or expected is not a report.
  l.update_packets_lost(0, 0, at(3200ms));
  CHECK(l.fraction_loss_q8() == 6 * 256 / 20);
}

TEST_CASE("old reports are not acted on") {
  LossBasedBwe l = started();
  l.update_delay_based_estimate(1'000'000, at(2500ms));
  l.update_estimate(at(2500ms));
  l.update_delay_based_estimate(5'000'000, at(2600ms));
  l.update_packets_lost(0, 100, at(3000ms));
  const std::int64_t after_report = l.target_bps();
  l.update_estimate(at(9500ms));  // 6.5 s later
  CHECK(l.target_bps() == after_report);
}

TEST_CASE("the configured maximum and minimum hold") {
  LossBasedBwe l;
  l.set_bitrates(1'000'000, 30'000, 2'000'000, at(0ms));
  l.update_delay_based_estimate(10'000'000, at(0ms));
  l.update_estimate(at(10ms));
  CHECK(l.target_bps() == 2'000'000);
  l.update_delay_based_estimate(1'000, at(20ms));
  CHECK(l.target_bps() == 30'000);
}

TEST_CASE("RTT back-off: 20 % per second while the propagation RTT is over 3 s") {
  LossBasedBwe l = started();
  l.update_delay_based_estimate(1'000'000, at(2500ms));
  l.update_estimate(at(2500ms));
  l.update_propagation_rtt(100ms, at(3000ms));
  l.on_packet_sent(at(3000ms));
  CHECK_FALSE(l.rtt_above_limit());
  // Feedback stops while packets keep going out: the RTT stretches.
  l.on_packet_sent(at(6100ms));
  CHECK(l.rtt_above_limit());
  l.update_estimate(at(6100ms));
  CHECK(l.target_bps() == 800'000);
  l.update_estimate(at(6600ms));
  CHECK(l.target_bps() == 800'000);
  l.update_estimate(at(7100ms));
  CHECK(l.target_bps() == 640'000);
  CHECK(l.rtt_backoffs() == 2);
  // Feedback again.
  l.update_propagation_rtt(100ms, at(7200ms));
  CHECK_FALSE(l.rtt_above_limit());
}
