// The final target rate: the delay-based estimate, limited by the receiver-reported loss and by
// a round-trip-time back-off (libwebrtc's SendSideBandwidthEstimation,
// goog_cc/send_side_bandwidth_estimation.h, in its classic loss mode; the loss rule is the one of
// draft-ietf-rmcat-gcc-02 §6).
//
// Loss comes from RTCP receiver reports (lost / expected since the previous report, summed over
// the receiver's SSRCs), accumulated until 20 packets are covered, as a fraction in 1/256:
//  * under 2 %: the target may grow to 1.08 x the lowest target of the last second + 1 kbit/s;
//  * 2 % to 10 %: it holds;
//  * over 10 %: it drops to target x (1 - loss / 2), once per report and at most once per
//    300 ms + RTT.
// The target never exceeds the delay-based estimate or the configured maximum, and never goes
// under the configured minimum. Until 2 s after the first loss report, while no loss is
// reported, the target follows the delay-based estimate up (start-up probing must not be held
// back by the 8 % rule). Reports older than 6 s are not acted on.
//
// Round-trip back-off: when the propagation RTT measured from feedback (stretched by the time
// since the last feedback, as of the last packet sent) exceeds 3 s, the target drops by 20 % per
// second, not under 5 kbit/s, so that a receiver whose feedback stopped is not flooded.
//
// Part of one receiver's estimator; not thread-safe. The lowest-target history is a fixed ring.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

#include "bridge/bwe/bwe_types.hpp"

namespace jvb::bwe {

class LossBasedBwe {
 public:
  static constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();
  static constexpr Duration kIncreaseInterval = std::chrono::milliseconds(1000);
  static constexpr Duration kDecreaseInterval = std::chrono::milliseconds(300);
  static constexpr Duration kStartPhase = std::chrono::milliseconds(2000);
  static constexpr Duration kMaxReportAge = std::chrono::milliseconds(6000);  // 1.2 x 5 s
  static constexpr std::int64_t kLimitNumPackets = 20;
  static constexpr double kLowLossThreshold = 0.02;
  static constexpr double kHighLossThreshold = 0.10;
  static constexpr std::int64_t kDefaultMaxBps = 1'000'000'000;
  static constexpr Duration kRttLimit = std::chrono::seconds(3);
  static constexpr Duration kRttDropInterval = std::chrono::seconds(1);
  static constexpr double kRttDropFraction = 0.8;
  static constexpr std::int64_t kRttBandwidthFloorBps = 5'000;
  static constexpr std::size_t kHistoryCapacity = 256;

  void set_bitrates(std::optional<std::int64_t> start_bps, std::int64_t min_bps, std::int64_t max_bps,
                    Timestamp now);
  // Jumps to `bps` (a probe result), lifting the delay-based cap until the next update.
  void set_send_bitrate(std::int64_t bps, Timestamp now);
  void set_min_max_bitrate(std::int64_t min_bps, std::int64_t max_bps);

  void update_delay_based_estimate(std::int64_t bps, Timestamp now);
  // Loss since the previous report: `lost` of `expected` packets (lost may be negative when
  // duplicates arrived; expected must be positive to count).
  void update_packets_lost(std::int64_t lost, std::int64_t expected, Timestamp now);
  void update_rtt(Duration rtt);
  void update_propagation_rtt(Duration rtt, Timestamp now);
  void on_packet_sent(Timestamp now) { last_packet_sent_ = now; }
  // The periodic (and per-report) step.
  void update_estimate(Timestamp now);

  std::int64_t target_bps() const { return std::max(min_bps_, current_bps_); }
  std::uint8_t fraction_loss_q8() const { return last_fraction_loss_; }
  Duration rtt() const { return last_rtt_; }
  bool rtt_above_limit() const;
  std::int64_t delay_based_limit_bps() const { return delay_based_limit_bps_; }
  std::int64_t min_bps() const { return min_bps_; }
  std::int64_t max_bps() const { return max_bps_; }
  std::uint64_t loss_decreases() const { return loss_decreases_; }
  std::uint64_t rtt_backoffs() const { return rtt_backoffs_; }

 private:
  struct HistoryEntry {
    Timestamp at{};
    std::int64_t bps = 0;
  };

  bool in_start_phase(Timestamp now) const;
  void update_min_history(Timestamp now);
  void update_target(std::int64_t bps);
  std::int64_t upper_limit() const { return std::min(delay_based_limit_bps_, max_bps_); }

  HistoryEntry& history_at(std::size_t i) { return history_[(history_head_ + i) % kHistoryCapacity]; }
  void history_clear() { history_size_ = 0; }
  void history_push_back(HistoryEntry e);
  void history_pop_front();

  std::int64_t current_bps_ = 0;
  std::int64_t min_bps_ = kCongestionControllerMinBps;
  std::int64_t max_bps_ = kDefaultMaxBps;
  std::int64_t delay_based_limit_bps_ = kNoLimit;

  std::int64_t lost_since_update_ = 0;
  std::int64_t expected_since_update_ = 0;
  bool has_decreased_since_last_fraction_ = false;
  std::optional<Timestamp> last_loss_report_;
  std::optional<Timestamp> first_report_;
  std::optional<Timestamp> time_last_decrease_;
  std::uint8_t last_fraction_loss_ = 0;
  Duration last_rtt_{};

  std::optional<Timestamp> last_propagation_rtt_update_;
  Duration last_propagation_rtt_{};
  std::optional<Timestamp> last_packet_sent_;

  std::array<HistoryEntry, kHistoryCapacity> history_{};
  std::size_t history_head_ = 0;
  std::size_t history_size_ = 0;

  std::uint64_t loss_decreases_ = 0;
  std::uint64_t rtt_backoffs_ = 0;
};

}  // namespace jvb::bwe
