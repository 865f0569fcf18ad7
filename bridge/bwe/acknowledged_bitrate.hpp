// The acknowledged bitrate: how fast the receiver got what the bridge sent, from the receive
// times in transport-cc feedback (libwebrtc's AcknowledgedBitrateEstimator over its
// BitrateEstimator, goog_cc/acknowledged_bitrate_estimator.h, bitrate_estimator.h).
//
// Acknowledged bytes are summed over windows of receive time (500 ms for the first sample, then
// 150 ms); each window's rate is a sample for a Bayesian estimate whose sample variance grows with
// the sample's distance from the estimate (scale 10), so single outliers move it little while a
// sustained change moves it within a few windows. A gap longer than a window restarts the sum.
// When the sender leaves an application-limited region, the first packet sent after that makes
// the estimate's variance larger, so that it follows the new rate quickly.
//
// RobustThroughputEstimator (goog_cc/robust_throughput_estimator.h, what libwebrtc and JVB now use
// by default) instead keeps the packets of the last second (at least 20, at most 500, at most
// 5 s) and divides their bytes by their receive span, with the largest receive gap replaced by
// the second largest (a delay spike followed by a burst must not lower it), and never reports
// more than their send rate.
//
// Part of one receiver's estimator; not thread-safe; no allocation (a fixed ring of packets).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "bridge/bwe/bwe_types.hpp"

namespace jvb::bwe {

class BitrateEstimator {
 public:
  static constexpr std::int64_t kInitialWindowMs = 500;
  static constexpr std::int64_t kWindowMs = 150;
  static constexpr double kUncertaintyScale = 10.0;
  static constexpr double kInitialVariance = 50.0;

  void update(Timestamp at, std::int64_t bytes, bool in_alr);
  std::optional<std::int64_t> bitrate_bps() const;
  // The rate of the window being filled, before it becomes a sample.
  std::optional<std::int64_t> peek_rate_bps() const;
  void expect_fast_rate_change() { variance_ += 200; }

 private:
  // The rate of the window that `now_ms` closes, in kbit/s; negative while the window is open.
  double update_window(std::int64_t now_ms, std::int64_t bytes, std::int64_t window_ms);

  std::int64_t sum_bytes_ = 0;
  std::int64_t current_window_ms_ = 0;
  std::optional<std::int64_t> prev_time_ms_;
  double estimate_kbps_ = -1;
  double variance_ = kInitialVariance;
};

class AcknowledgedBitrateEstimator {
 public:
  // Received packets of one feedback, sorted by receive time.
  void on_packets(std::span<const PacketResult> sorted_by_receive_time);
  std::optional<std::int64_t> bitrate_bps() const { return estimator_.bitrate_bps(); }
  std::optional<std::int64_t> peek_rate_bps() const { return estimator_.peek_rate_bps(); }
  void set_alr(bool in_alr) { in_alr_ = in_alr; }
  void set_alr_ended_time(Timestamp at) { alr_ended_ = at; }

 private:
  BitrateEstimator estimator_;
  std::optional<Timestamp> alr_ended_;
  bool in_alr_ = false;
};

class RobustThroughputEstimator {
 public:
  static constexpr std::size_t kWindowPackets = 20;
  static constexpr std::size_t kMaxWindowPackets = 500;
  static constexpr Duration kMinWindowDuration = std::chrono::seconds(1);
  static constexpr Duration kMaxWindowDuration = std::chrono::seconds(5);
  static constexpr std::size_t kRequiredPackets = 10;
  static constexpr Duration kMaxReorderingTime = std::chrono::seconds(1);

  // Received packets of one feedback, sorted by receive time.
  void on_packets(std::span<const PacketResult> sorted_by_receive_time);
  std::optional<std::int64_t> bitrate_bps() const;

 private:
  struct Entry {
    Timestamp send_time{};
    Timestamp receive_time{};
    std::int64_t size_bytes = 0;
  };
  static constexpr std::size_t kCapacity = 512;  // > kMaxWindowPackets + 1

  Entry& at(std::size_t i) { return ring_[(head_ + i) % kCapacity]; }
  const Entry& at(std::size_t i) const { return ring_[(head_ + i) % kCapacity]; }
  bool first_outside_window() const;

  std::array<Entry, kCapacity> ring_{};
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  Timestamp latest_discarded_send_time_ = Timestamp::min();
};

}  // namespace jvb::bwe
