// Application-limited region detection (libwebrtc goog_cc/alr_detector, pacing/interval_budget).
#include "bridge/bwe/alr_detector.hpp"

#include <algorithm>

namespace jvb::bwe {

IntervalBudget::IntervalBudget(std::int64_t target_kbps, bool can_build_up_underuse)
    : can_build_up_underuse_(can_build_up_underuse) {
  set_target_rate_kbps(target_kbps);
}

void IntervalBudget::set_target_rate_kbps(std::int64_t kbps) {
  target_kbps_ = kbps;
  max_bytes_ = kWindowMs * kbps / 8;
  bytes_remaining_ = std::clamp(bytes_remaining_, -max_bytes_, max_bytes_);
}

void IntervalBudget::increase_budget(std::int64_t delta_ms) {
  const std::int64_t bytes = target_kbps_ * delta_ms / 8;
  if (bytes_remaining_ < 0 || can_build_up_underuse_) {
    bytes_remaining_ = std::min(bytes_remaining_ + bytes, max_bytes_);
  } else {
    bytes_remaining_ = std::min(bytes, max_bytes_);
  }
}

void IntervalBudget::use_budget(std::int64_t bytes) {
  bytes_remaining_ = std::max(bytes_remaining_ - bytes, -max_bytes_);
}

double IntervalBudget::budget_ratio() const {
  if (max_bytes_ == 0) return 0;
  return static_cast<double>(bytes_remaining_) / static_cast<double>(max_bytes_);
}

void AlrDetector::on_bytes_sent(std::int64_t bytes, Timestamp now) {
  if (!last_send_) {
    // How long these bytes took to send is unknown: only start the clock.
    last_send_ = now;
    return;
  }
  // Whole milliseconds of each time, so that sub-millisecond gaps add up instead of vanishing.
  const auto ms = [](Timestamp t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  };
  const std::int64_t delta_ms = std::max<std::int64_t>(ms(now) - ms(*last_send_), 0);
  last_send_ = now;
  budget_.use_budget(bytes);
  budget_.increase_budget(delta_ms);
  if (budget_.budget_ratio() > kStartBudgetLevelRatio && !start_) {
    start_ = now;
  } else if (budget_.budget_ratio() < kStartBudgetLevelRatio && start_) {
    start_.reset();
  }
}

void AlrDetector::set_estimated_bitrate(std::int64_t bps) {
  budget_.set_target_rate_kbps(
      static_cast<std::int64_t>(static_cast<double>(bps) * kBandwidthUsageRatio / 1000));
}

}  // namespace jvb::bwe
