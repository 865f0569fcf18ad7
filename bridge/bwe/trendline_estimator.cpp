// Trendline delay-gradient filter and adaptive-threshold overuse detector (libwebrtc
// goog_cc/trendline_estimator; draft-ietf-rmcat-gcc-02 §5.4-5.5).
#include "bridge/bwe/trendline_estimator.hpp"

#include <algorithm>
#include <cmath>

namespace jvb::bwe {

const char* to_string(BandwidthUsage usage) {
  switch (usage) {
    case BandwidthUsage::kNormal:
      return "normal";
    case BandwidthUsage::kUnderusing:
      return "underusing";
    case BandwidthUsage::kOverusing:
      return "overusing";
  }
  return "?";
}

std::optional<double> TrendlineEstimator::linear_fit_slope(std::span<const Point> points) {
  if (points.size() < 2) return std::nullopt;
  double sum_x = 0;
  double sum_y = 0;
  for (const Point& p : points) {
    sum_x += p.x;
    sum_y += p.y;
  }
  const double n = static_cast<double>(points.size());
  const double mean_x = sum_x / n;
  const double mean_y = sum_y / n;
  double numerator = 0;
  double denominator = 0;
  for (const Point& p : points) {
    numerator += (p.x - mean_x) * (p.y - mean_y);
    denominator += (p.x - mean_x) * (p.x - mean_x);
  }
  if (denominator == 0) return std::nullopt;
  return numerator / denominator;
}

void TrendlineEstimator::update(double recv_delta_ms, double send_delta_ms, double arrival_ms) {
  const double delta_ms = recv_delta_ms - send_delta_ms;
  num_deltas_ = std::min(num_deltas_ + 1, kDeltaCounterMax);
  if (!first_arrival_ms_) first_arrival_ms_ = arrival_ms;

  accumulated_delay_ += delta_ms;
  smoothed_delay_ =
      kSmoothingCoefficient * smoothed_delay_ + (1 - kSmoothingCoefficient) * accumulated_delay_;

  const Point point{arrival_ms - *first_arrival_ms_, smoothed_delay_};
  if (window_count_ < kWindowSize) {
    window_[window_count_++] = point;
  } else {
    std::rotate(window_.begin(), window_.begin() + 1, window_.end());
    window_.back() = point;
  }

  // Until the window is full the previous trend stands. Positive: the queue grows (roughly
  // (send rate - capacity) / capacity); negative: it drains.
  double trend = prev_trend_;
  if (window_count_ == kWindowSize) trend = linear_fit_slope(window_).value_or(trend);
  detect(trend, send_delta_ms, arrival_ms);
}

void TrendlineEstimator::detect(double trend, double ts_delta_ms, double now_ms) {
  if (num_deltas_ < 2) {
    hypothesis_ = BandwidthUsage::kNormal;
    return;
  }
  const double modified_trend = std::min(num_deltas_, kMinNumDeltas) * trend * kThresholdGain;
  prev_modified_trend_ = modified_trend;
  if (modified_trend > threshold_) {
    // The first sample over the threshold counts for half the time since the previous one.
    time_over_using_ms_ = time_over_using_ms_ < 0 ? ts_delta_ms / 2 : time_over_using_ms_ + ts_delta_ms;
    ++overuse_counter_;
    if (time_over_using_ms_ > kOverusingTimeThresholdMs && overuse_counter_ > 1 && trend >= prev_trend_) {
      time_over_using_ms_ = 0;
      overuse_counter_ = 0;
      if (hypothesis_ != BandwidthUsage::kOverusing) ++overuse_events_;
      hypothesis_ = BandwidthUsage::kOverusing;
    }
  } else if (modified_trend < -threshold_) {
    time_over_using_ms_ = -1;
    overuse_counter_ = 0;
    hypothesis_ = BandwidthUsage::kUnderusing;
  } else {
    time_over_using_ms_ = -1;
    overuse_counter_ = 0;
    hypothesis_ = BandwidthUsage::kNormal;
  }
  prev_trend_ = trend;
  update_threshold(modified_trend, now_ms);
}

void TrendlineEstimator::update_threshold(double modified_trend, double now_ms) {
  if (!last_threshold_update_ms_) last_threshold_update_ms_ = now_ms;
  const double magnitude = std::fabs(modified_trend);
  if (magnitude > threshold_ + kMaxAdaptOffsetMs) {
    // A sudden capacity drop must not drag the threshold up with it.
    last_threshold_update_ms_ = now_ms;
    return;
  }
  const double k = magnitude < threshold_ ? kDown : kUp;
  const double dt = std::clamp(now_ms - *last_threshold_update_ms_, 0.0, kMaxThresholdTimeDeltaMs);
  threshold_ = std::clamp(threshold_ + k * (magnitude - threshold_) * dt, kMinThreshold, kMaxThreshold);
  last_threshold_update_ms_ = now_ms;
}

}  // namespace jvb::bwe
