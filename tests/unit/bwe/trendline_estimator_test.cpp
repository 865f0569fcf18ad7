// Tests of bridge/bwe/trendline_estimator.hpp: the least-squares slope, the trend of a growing
// queue, and the overuse detector's thresholds (timing, adaptation, spikes).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "bridge/bwe/trendline_estimator.hpp"

using namespace jvb::bwe;

namespace {

using Point = TrendlineEstimator::Point;

// Feeds `n` groups sent `send_ms` apart whose arrival spacing is `recv_ms`; returns the arrival
// time reached.
double feed(TrendlineEstimator& t, int n, double send_ms, double recv_ms, double arrival_ms) {
  for (int i = 0; i < n; ++i) {
    arrival_ms += recv_ms;
    t.update(recv_ms, send_ms, arrival_ms);
  }
  return arrival_ms;
}

}  // namespace

TEST_CASE("linear fit slope") {
  const std::array<Point, 3> line{{{0, 1}, {1, 3}, {2, 5}}};
  CHECK(TrendlineEstimator::linear_fit_slope(line).value() == doctest::Approx(2.0));
  const std::array<Point, 4> scattered{{{0, 0}, {1, 1}, {2, 1}, {3, 2}}};
  // sum dx*dy = 3, sum dx^2 = 5
  CHECK(TrendlineEstimator::linear_fit_slope(scattered).value() == doctest::Approx(0.6));
  const std::array<Point, 3> vertical{{{4, 0}, {4, 1}, {4, 2}}};
  CHECK_FALSE(TrendlineEstimator::linear_fit_slope(vertical).has_value());
  const std::array<Point, 1> single{{{1, 1}}};
  CHECK_FALSE(TrendlineEstimator::linear_fit_slope(single).has_value());
}

TEST_CASE("trend follows the rate of queue growth once the window is full") {
  TrendlineEstimator t;
  // Each 10 ms group arrives 11 ms after the previous one: the queue grows 1 ms per 11 ms.
  double arrival = feed(t, static_cast<int>(TrendlineEstimator::kWindowSize) - 1, 10, 11, 0);
  CHECK(t.trend() == 0.0);  // no fit before 20 points
  arrival = feed(t, 200, 10, 11, arrival);
  CHECK(t.trend() == doctest::Approx(1.0 / 11).epsilon(0.01));

  TrendlineEstimator flat;
  feed(flat, 100, 10, 10, 0);
  CHECK(flat.trend() == doctest::Approx(0.0));
  CHECK(flat.state() == BandwidthUsage::kNormal);

  TrendlineEstimator draining;
  feed(draining, 100, 10, 9, 0);
  CHECK(draining.trend() == doctest::Approx(-1.0 / 9).epsilon(0.01));
}

TEST_CASE("underuse when the scaled trend is below minus the threshold") {
  TrendlineEstimator t;
  feed(t, 100, 10, 9, 0);  // modified trend = 60 * -0.111 * 4 = -26.7
  CHECK(t.modified_trend() == doctest::Approx(60 * 4 * (-1.0 / 9)).epsilon(0.02));
  CHECK(t.state() == BandwidthUsage::kUnderusing);
}

TEST_CASE("overuse needs more than 10 ms over the threshold and two samples") {
  for (double group_ms : {5.0, 20.0}) {
    CAPTURE(group_ms);
    TrendlineEstimator t;
    // A long flat period: the threshold decays to its minimum.
    double arrival = feed(t, 300, group_ms, group_ms, 0);
    CHECK(t.threshold() == doctest::Approx(TrendlineEstimator::kMinThreshold));
    CHECK(t.state() == BandwidthUsage::kNormal);
    // Then the queue starts growing fast; count the samples over the threshold before overuse.
    int over = 0;
    for (int i = 0; i < 100 && t.state() != BandwidthUsage::kOverusing; ++i) {
      const double threshold_before = t.threshold();
      arrival += group_ms * 1.5;
      t.update(group_ms * 1.5, group_ms, arrival);
      if (t.modified_trend() > threshold_before) {
        ++over;
      } else {
        over = 0;
      }
    }
    REQUIRE(t.state() == BandwidthUsage::kOverusing);
    // Over-use time: half a group for the first sample, a whole group for each later one.
    const int expected = group_ms == 5.0 ? 3 : 2;  // 2.5, 7.5, 12.5 ms | 10, 30 ms
    CHECK(over == expected);
    CHECK(t.overuse_events() == 1);
  }
}

TEST_CASE("no overuse while the scaled trend stays under the threshold") {
  TrendlineEstimator t;
  double arrival = feed(t, 100, 10, 10, 0);
  // A slope of 0.2 / 10.2 scales to 60 * 4 * 0.0196 = 4.7, under even the minimum threshold.
  for (int i = 0; i < 500; ++i) {
    arrival += 10.2;
    t.update(10.2, 10, arrival);
    REQUIRE(t.state() != BandwidthUsage::kOverusing);
  }
  CHECK(t.modified_trend() == doctest::Approx(240 * 0.2 / 10.2).epsilon(0.02));
}

TEST_CASE("the threshold adapts towards the scaled trend, slowly up and fast down") {
  TrendlineEstimator t;
  double arrival = feed(t, 100, 10, 10, 0);
  CHECK(t.threshold() == doctest::Approx(TrendlineEstimator::kMinThreshold));

  // Each step moves it by k * (|scaled trend| - threshold) * (ms of arrival time, at most 100),
  // with k = 0.0087 above it and 0.039 below, within [6, 600].
  int up_steps = 0;
  for (int i = 0; i < 200; ++i) {
    const double before = t.threshold();
    arrival += 10.5;
    t.update(10.5, 10, arrival);
    const double magnitude = std::fabs(t.modified_trend());
    const double k = magnitude < before ? TrendlineEstimator::kDown : TrendlineEstimator::kUp;
    up_steps += magnitude > before;
    const double expected = std::clamp(before + k * (magnitude - before) * 10.5,
                                       TrendlineEstimator::kMinThreshold, TrendlineEstimator::kMaxThreshold);
    REQUIRE(t.threshold() == doctest::Approx(expected));
  }
  CHECK(up_steps > 100);

  // A persistent trend pulls the threshold up to it (60 * 4 * 0.5 / 10.5 = 11.4).
  arrival = feed(t, 3000, 10, 10.5, arrival);
  CHECK(std::fabs(t.modified_trend()) == doctest::Approx(240 * 0.5 / 10.5).epsilon(0.02));
  CHECK(t.threshold() == doctest::Approx(std::fabs(t.modified_trend())).epsilon(0.02));

  // Back to flat: down to the minimum.
  feed(t, 300, 10, 10, arrival);
  CHECK(t.threshold() == doctest::Approx(TrendlineEstimator::kMinThreshold));
  CHECK(t.state() == BandwidthUsage::kNormal);
}

TEST_CASE("a spike far above the threshold does not move it") {
  TrendlineEstimator t;
  double arrival = feed(t, 100, 10, 10, 0);
  const double before = t.threshold();
  // A group that arrives 5 s late (a sudden capacity drop): the scaled trend jumps past
  // threshold + 15 in one step.
  arrival += 5010;
  t.update(5010, 10, arrival);
  CHECK(std::fabs(t.modified_trend()) > before + TrendlineEstimator::kMaxAdaptOffsetMs);
  CHECK(t.threshold() == before);
}
