// Tests of bridge/bwe/aimd_rate_control.hpp: the increase and decrease steps, the hold after a
// decrease, the throughput limit, the decrease pacing and the feedback interval bounds.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>

#include "bridge/bwe/aimd_rate_control.hpp"

using namespace jvb::bwe;
using namespace std::chrono_literals;
using jvb::Timestamp;

namespace {

Timestamp at(std::chrono::milliseconds ms) { return Timestamp(ms + std::chrono::seconds(100)); }

RateControlInput normal(std::int64_t throughput) { return {BandwidthUsage::kNormal, throughput}; }
RateControlInput overuse(std::int64_t throughput) { return {BandwidthUsage::kOverusing, throughput}; }

}  // namespace

TEST_CASE("multiplicative increase: 8 % per second while the capacity is unknown") {
  AimdRateControl c;
  c.set_start_bitrate(1'000'000);
  CHECK(c.valid_estimate());
  // Hold -> increase: the first step only adds the 1 kbit/s minimum.
  CHECK(c.update(normal(1'000'000), at(0ms)) == 1'001'000);
  CHECK(c.state() == AimdRateControl::State::kIncrease);
  CHECK(c.update(normal(1'000'000), at(1000ms)) == std::llround(1'001'000 * 1.08));
  // Half a second: 1.08^0.5.
  const std::int64_t before = c.latest_estimate();
  CHECK(c.update(normal(1'000'000), at(1500ms)) == std::llround(before * std::sqrt(1.08)));
  // More than a second counts as one.
  const std::int64_t before2 = c.latest_estimate();
  CHECK(c.update(normal(1'000'000), at(4500ms)) == std::llround(before2 * 1.08));
}

TEST_CASE("the increase never goes past 1.5 x the throughput + 10 kbit/s") {
  AimdRateControl c;
  c.set_start_bitrate(1'000'000);
  c.update(normal(100'000), at(0ms));
  CHECK(c.latest_estimate() == 1'000'000);  // already over 160 kbit/s: no increase
  AimdRateControl d;
  d.set_start_bitrate(150'000);
  d.update(normal(100'000), at(0ms));
  d.update(normal(100'000), at(1000ms));
  CHECK(d.latest_estimate() == 160'000);  // 162 kbit/s capped at 160
}

TEST_CASE("decrease to 0.85 x throughput - 5 kbit/s, then hold, then additive increase") {
  AimdRateControl c;
  c.set_rtt(100ms);
  c.set_start_bitrate(1'000'000);
  c.update(normal(1'000'000), at(0ms));
  CHECK(c.update(overuse(800'000), at(500ms)) == 675'000);
  CHECK(c.state() == AimdRateControl::State::kHold);
  REQUIRE(c.link_capacity().has_estimate());
  CHECK(*c.link_capacity().estimate_bps() == 800'000);

  // Hold: the first normal signal only switches to increase.
  CHECK(c.update(normal(700'000), at(600ms)) == 675'000);
  CHECK(c.state() == AimdRateControl::State::kIncrease);

  // Near the known capacity: additive, one average packet per response time (2 x (RTT + 100 ms)).
  // At 675 kbit/s a 30 fps frame is 2813 bytes, 3 packets of 938 bytes: 7504 bits / 0.4 s.
  CHECK(c.near_max_increase_rate_bps_per_second() == doctest::Approx(7504 / 0.4));
  const std::int64_t after = c.update(normal(700'000), at(1600ms));
  CHECK(after == 675'000 + std::llround(7504 / 0.4));
  CHECK(after - 675'000 < (675'000 * 8) / 100);  // slower than the 8 % of multiplicative mode

  // Throughput far above the capacity band resets it: multiplicative again.
  c.update(normal(2'000'000), at(2600ms));
  CHECK_FALSE(c.link_capacity().has_estimate());
}

TEST_CASE("a decrease never raises the rate") {
  AimdRateControl c;
  c.set_start_bitrate(300'000);
  c.update(overuse(1'000'000), at(0ms));  // 845 kbit/s would be an increase
  CHECK(c.latest_estimate() == 300'000);
}

TEST_CASE("decreases come at most once per RTT unless throughput halved") {
  AimdRateControl c;
  c.set_rtt(100ms);
  c.set_start_bitrate(1'000'000);
  c.update(overuse(900'000), at(0ms));
  const std::int64_t estimate = c.latest_estimate();  // 760 kbit/s
  CHECK(estimate == 760'000);
  CHECK_FALSE(c.time_to_reduce_further(at(50ms), 700'000));
  CHECK(c.time_to_reduce_further(at(50ms), estimate / 2 - 1));
  CHECK(c.time_to_reduce_further(at(100ms), 700'000));
  // The interval is the RTT bounded to [10, 200] ms.
  c.set_rtt(5s);
  CHECK_FALSE(c.time_to_reduce_further(at(199ms), 700'000));
  CHECK(c.time_to_reduce_further(at(200ms), 700'000));
}

TEST_CASE("never under the minimum") {
  AimdRateControl c;
  c.set_min_bitrate(30'000);
  c.set_start_bitrate(40'000);
  c.update(overuse(10'000), at(0ms));
  CHECK(c.latest_estimate() == 30'000);
  c.set_estimate(1'000, at(10ms));
  CHECK(c.latest_estimate() == 30'000);
}

TEST_CASE("feedback interval: 80-byte reports at 5 % of the rate, within [200 ms, 1 s]") {
  AimdRateControl c;
  c.set_start_bitrate(30'000);
  CHECK(std::chrono::duration<double>(c.feedback_interval()).count() == doctest::Approx(640.0 / 1500));
  c.set_start_bitrate(5'000);
  CHECK(c.feedback_interval() == std::chrono::seconds(1));
  c.set_start_bitrate(10'000'000);
  CHECK(c.feedback_interval() == std::chrono::milliseconds(200));
}

TEST_CASE("without a start bitrate the first overuse initialises the estimate") {
  AimdRateControl c;
  CHECK_FALSE(c.valid_estimate());
  c.update(normal(500'000), at(0ms));
  CHECK_FALSE(c.valid_estimate());
  c.update(overuse(500'000), at(100ms));
  CHECK(c.valid_estimate());
  CHECK(c.latest_estimate() == 420'000);
}
