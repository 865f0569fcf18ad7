// Loss- and RTT-limited target rate over the delay-based estimate (libwebrtc
// goog_cc/send_side_bandwidth_estimation, classic loss mode; draft-ietf-rmcat-gcc-02 §6).
#include "bridge/bwe/loss_based_bwe.hpp"

#include <algorithm>
#include <cmath>

namespace jvb::bwe {

void LossBasedBwe::set_bitrates(std::optional<std::int64_t> start_bps, std::int64_t min_bps,
                                std::int64_t max_bps, Timestamp now) {
  set_min_max_bitrate(min_bps, max_bps);
  if (start_bps) set_send_bitrate(*start_bps, now);
}

void LossBasedBwe::set_send_bitrate(std::int64_t bps, Timestamp /*now*/) {
  delay_based_limit_bps_ = kNoLimit;
  update_target(std::max<std::int64_t>(bps, 0));
  history_clear();
}

void LossBasedBwe::set_min_max_bitrate(std::int64_t min_bps, std::int64_t max_bps) {
  min_bps_ = std::max(min_bps, kCongestionControllerMinBps);
  max_bps_ = max_bps > 0 && max_bps != kNoLimit ? std::max(min_bps_, max_bps) : kDefaultMaxBps;
}

void LossBasedBwe::update_delay_based_estimate(std::int64_t bps, Timestamp /*now*/) {
  delay_based_limit_bps_ = bps == 0 ? kNoLimit : bps;
  update_target(current_bps_);
}

void LossBasedBwe::update_packets_lost(std::int64_t lost, std::int64_t expected, Timestamp now) {
  if (!first_report_) first_report_ = now;
  if (expected <= 0) return;
  const std::int64_t total_expected = expected_since_update_ + expected;
  if (total_expected < kLimitNumPackets) {
    expected_since_update_ = total_expected;
    lost_since_update_ += lost;
    return;
  }
  has_decreased_since_last_fraction_ = false;
  const std::int64_t lost_q8 = std::max<std::int64_t>(lost_since_update_ + lost, 0) * 256;
  last_fraction_loss_ = static_cast<std::uint8_t>(std::min<std::int64_t>(lost_q8 / total_expected, 255));
  lost_since_update_ = 0;
  expected_since_update_ = 0;
  last_loss_report_ = now;
  update_estimate(now);
}

void LossBasedBwe::update_rtt(Duration rtt) {
  if (rtt > Duration::zero()) last_rtt_ = rtt;
}

void LossBasedBwe::update_propagation_rtt(Duration rtt, Timestamp now) {
  last_propagation_rtt_update_ = now;
  last_propagation_rtt_ = rtt;
}

bool LossBasedBwe::rtt_above_limit() const {
  if (!last_propagation_rtt_update_) return false;
  // Feedback that stopped coming while packets still go out stretches the RTT; feedback that
  // stopped because nothing is sent does not.
  Duration stretch{};
  if (last_packet_sent_ && *last_packet_sent_ > *last_propagation_rtt_update_) {
    stretch = *last_packet_sent_ - *last_propagation_rtt_update_;
  }
  return stretch + last_propagation_rtt_ > kRttLimit;
}

bool LossBasedBwe::in_start_phase(Timestamp now) const {
  return !first_report_ || now - *first_report_ <= kStartPhase;
}

void LossBasedBwe::update_estimate(Timestamp now) {
  if (rtt_above_limit()) {
    if ((!time_last_decrease_ || now - *time_last_decrease_ >= kRttDropInterval) &&
        current_bps_ > kRttBandwidthFloorBps) {
      time_last_decrease_ = now;
      ++rtt_backoffs_;
      const auto dropped =
          static_cast<std::int64_t>(std::llround(static_cast<double>(current_bps_) * kRttDropFraction));
      update_target(std::max(dropped, kRttBandwidthFloorBps));
      return;
    }
    update_target(current_bps_);
    return;
  }

  if (last_fraction_loss_ == 0 && in_start_phase(now)) {
    std::int64_t bps = current_bps_;
    if (delay_based_limit_bps_ != kNoLimit) bps = std::max(delay_based_limit_bps_, bps);
    if (bps != current_bps_) {
      history_clear();
      history_push_back({now, current_bps_});
      update_target(bps);
      return;
    }
  }
  update_min_history(now);
  if (!last_loss_report_) {
    update_target(current_bps_);
    return;
  }
  if (now - *last_loss_report_ < kMaxReportAge) {
    const double loss = last_fraction_loss_ / 256.0;
    if (loss <= kLowLossThreshold) {
      // Growing from the lowest target of the last second, not from the current one, lets the
      // rate rise by 8 % as soon as a clean report comes rather than a second later.
      const std::int64_t base = history_size_ > 0 ? history_at(0).bps : current_bps_;
      update_target(static_cast<std::int64_t>(static_cast<double>(base) * 1.08 + 0.5) + 1'000);
      return;
    }
    if (loss > kHighLossThreshold && !has_decreased_since_last_fraction_ &&
        (!time_last_decrease_ || now - *time_last_decrease_ >= kDecreaseInterval + last_rtt_)) {
      time_last_decrease_ = now;
      has_decreased_since_last_fraction_ = true;
      ++loss_decreases_;
      update_target(current_bps_ * (512 - last_fraction_loss_) / 512);
      return;
    }
  }
  update_target(current_bps_);
}

void LossBasedBwe::update_min_history(Timestamp now) {
  // The window is 1 s; the extra millisecond lets the rate grow when reports come exactly 1 s
  // apart.
  while (history_size_ > 0 && now - history_at(0).at + std::chrono::milliseconds(1) > kIncreaseInterval) {
    history_pop_front();
  }
  // A monotone queue: entries not below the current target can never be the minimum again.
  while (history_size_ > 0 && current_bps_ <= history_at(history_size_ - 1).bps) --history_size_;
  history_push_back({now, current_bps_});
}

void LossBasedBwe::update_target(std::int64_t bps) { current_bps_ = std::min(bps, upper_limit()); }

void LossBasedBwe::history_push_back(HistoryEntry e) {
  // Full only if the target rose at every one of 256 updates within a second; then the oldest
  // (lowest) entry goes, which only makes the 8 % rule slightly more generous.
  if (history_size_ == kHistoryCapacity) history_pop_front();
  history_at(history_size_) = e;
  ++history_size_;
}

void LossBasedBwe::history_pop_front() {
  history_head_ = (history_head_ + 1) % kHistoryCapacity;
  --history_size_;
}

}  // namespace jvb::bwe
