// The delay-gradient filter and overuse detector of the delay-based estimator (libwebrtc's
// TrendlineEstimator, goog_cc/trendline_estimator.h; the detector is the one of
// draft-ietf-rmcat-gcc-02 §5.4 with a trendline instead of a Kalman filter).
//
// Each inter-group delta adds (arrival - send) to an accumulated queueing delay, which is
// smoothed (coefficient 0.9); a least-squares line through the last 20 (arrival time, smoothed
// delay) points gives the trend, the rate at which the queue grows. The trend, scaled by the
// number of deltas seen (at most 60) and a gain of 4, is compared with an adaptive threshold
// (start 12.5, clamped to [6, 600], moving towards the scaled trend at 0.039/ms when below it and
// 0.0087/ms when above it, not at all on spikes more than 15 over it): above it for more than
// 10 ms and two samples while the trend still grows means overuse, below its negative means
// underuse, otherwise normal.
//
// Part of one receiver's estimator; not thread-safe; no allocation (a fixed window).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "bridge/bwe/bwe_types.hpp"

namespace jvb::bwe {

class TrendlineEstimator {
 public:
  static constexpr std::size_t kWindowSize = 20;
  static constexpr double kSmoothingCoefficient = 0.9;
  static constexpr double kThresholdGain = 4.0;
  static constexpr double kOverusingTimeThresholdMs = 10.0;
  static constexpr int kMinNumDeltas = 60;
  static constexpr int kDeltaCounterMax = 1000;
  static constexpr double kInitialThreshold = 12.5;
  static constexpr double kMinThreshold = 6.0;
  static constexpr double kMaxThreshold = 600.0;
  static constexpr double kMaxAdaptOffsetMs = 15.0;
  static constexpr double kUp = 0.0087;
  static constexpr double kDown = 0.039;
  static constexpr double kMaxThresholdTimeDeltaMs = 100.0;

  struct Point {
    double x = 0;  // arrival time, ms since the first delta
    double y = 0;  // smoothed accumulated delay, ms
  };

  // One inter-group delta: how far apart the groups arrived and were sent, and when the later
  // group arrived (ms, any fixed origin).
  void update(double recv_delta_ms, double send_delta_ms, double arrival_ms);

  BandwidthUsage state() const { return hypothesis_; }
  double trend() const { return prev_trend_; }
  double modified_trend() const { return prev_modified_trend_; }
  double threshold() const { return threshold_; }
  int num_deltas() const { return num_deltas_; }
  std::uint64_t overuse_events() const { return overuse_events_; }

  // The least-squares slope of y over x; none when all x are equal.
  static std::optional<double> linear_fit_slope(std::span<const Point> points);

 private:
  void detect(double trend, double ts_delta_ms, double now_ms);
  void update_threshold(double modified_trend, double now_ms);

  int num_deltas_ = 0;
  std::optional<double> first_arrival_ms_;
  double accumulated_delay_ = 0;
  double smoothed_delay_ = 0;
  std::array<Point, kWindowSize> window_{};  // oldest first once full (rotated on insert)
  std::size_t window_count_ = 0;

  double threshold_ = kInitialThreshold;
  double prev_modified_trend_ = 0;
  std::optional<double> last_threshold_update_ms_;
  double prev_trend_ = 0;
  double time_over_using_ms_ = -1;
  int overuse_counter_ = 0;
  BandwidthUsage hypothesis_ = BandwidthUsage::kNormal;
  std::uint64_t overuse_events_ = 0;
};

}  // namespace jvb::bwe
