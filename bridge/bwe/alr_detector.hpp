// Application-limited region detection (libwebrtc's AlrDetector, goog_cc/alr_detector.h, over
// pacing/interval_budget.h): whether the bridge currently sends clearly less than the estimate
// allows, because the allocation does not need more. Probing rules depend on it: a probe after a
// large drop, and allocation probes, are sent only in (or just after) such a region, where the
// estimate cannot be verified by the media itself.
//
// A budget of 80 % of the estimate accrues with time (up to 500 ms worth) and is spent by the
// bytes sent; the region starts when more than 40 % of the budget is unspent and ends when less
// is. These are the constants JVB's port uses (libwebrtc's screenshare ALR settings).
//
// Part of one receiver's estimator; not thread-safe; no allocation.
#pragma once

#include <cstdint>
#include <optional>

#include "bridge/core/time.hpp"

namespace jvb::bwe {

class IntervalBudget {
 public:
  static constexpr std::int64_t kWindowMs = 500;

  explicit IntervalBudget(std::int64_t target_kbps = 0, bool can_build_up_underuse = false);
  void set_target_rate_kbps(std::int64_t kbps);
  void increase_budget(std::int64_t delta_ms);
  void use_budget(std::int64_t bytes);
  std::int64_t bytes_remaining() const { return bytes_remaining_ > 0 ? bytes_remaining_ : 0; }
  double budget_ratio() const;

 private:
  std::int64_t target_kbps_ = 0;
  std::int64_t max_bytes_ = 0;
  std::int64_t bytes_remaining_ = 0;
  bool can_build_up_underuse_;
};

class AlrDetector {
 public:
  static constexpr double kBandwidthUsageRatio = 0.80;
  static constexpr double kStartBudgetLevelRatio = 0.40;

  void on_bytes_sent(std::int64_t bytes, Timestamp now);
  void set_estimated_bitrate(std::int64_t bps);
  // When the current region started; none when not application-limited.
  std::optional<Timestamp> alr_start_time() const { return start_; }

 private:
  IntervalBudget budget_{0, true};
  std::optional<Timestamp> last_send_;
  std::optional<Timestamp> start_;
};

}  // namespace jvb::bwe
