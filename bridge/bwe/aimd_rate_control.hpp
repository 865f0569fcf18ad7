// The rate controller of the delay-based estimator (libwebrtc's AimdRateControl,
// remote_bitrate_estimator/aimd_rate_control.h, with LinkCapacityEstimator from goog_cc;
// draft-ietf-rmcat-gcc-02 §5.5 with libwebrtc's later changes).
//
// Driven by the detector's state: normal -> increase, overuse -> decrease (then hold until the
// queue drained), underuse -> hold. Increases are multiplicative (8 % per second) while the
// link capacity is unknown or the throughput left its estimate's band (3 deviations), and
// additive near it (about one average packet per two response times, response time = RTT +
// 100 ms); never above 1.5 x the acknowledged throughput + 10 kbit/s. A decrease sets the rate to
// 0.85 x the acknowledged throughput (minus 5 kbit/s), and feeds that throughput to the link
// capacity estimate. The rate never goes below the configured minimum.
//
// Part of one receiver's estimator; not thread-safe; no allocation.
#pragma once

#include <cstdint>
#include <optional>

#include "bridge/bwe/bwe_types.hpp"

namespace jvb::bwe {

// A smoothed estimate of the bottleneck's capacity, in kbit/s, with a normalised variance.
// Updated with the acknowledged rate at each overuse (weight 0.05) and with probe results (0.5).
class LinkCapacityEstimator {
 public:
  std::int64_t upper_bound_bps() const;  // "infinite" (INT64_MAX) without an estimate
  std::int64_t lower_bound_bps() const;  // 0 without an estimate
  void reset() { estimate_kbps_.reset(); }
  void on_overuse_detected(std::int64_t acknowledged_bps) { update(acknowledged_bps, 0.05); }
  void on_probe_rate(std::int64_t probe_bps) { update(probe_bps, 0.5); }
  bool has_estimate() const { return estimate_kbps_.has_value(); }
  std::optional<std::int64_t> estimate_bps() const;

 private:
  void update(std::int64_t sample_bps, double alpha);
  double deviation_estimate_kbps() const;

  std::optional<double> estimate_kbps_;
  double deviation_kbps_ = 0.4;
};

struct RateControlInput {
  BandwidthUsage state = BandwidthUsage::kNormal;
  std::optional<std::int64_t> throughput_bps;  // the acknowledged bitrate, if known
};

class AimdRateControl {
 public:
  enum class State : std::uint8_t { kHold, kIncrease, kDecrease };

  static constexpr double kBeta = 0.85;
  static constexpr Duration kDefaultRtt = std::chrono::milliseconds(200);
  static constexpr Duration kInitializationTime = std::chrono::seconds(5);
  static constexpr Duration kMinFeedbackInterval = std::chrono::milliseconds(200);
  static constexpr Duration kMaxFeedbackInterval = std::chrono::milliseconds(1000);

  void set_start_bitrate(std::int64_t bps);
  void set_min_bitrate(std::int64_t bps);
  void set_rtt(Duration rtt) { rtt_ = rtt; }
  void set_in_alr(bool in_alr) { in_alr_ = in_alr; }

  bool valid_estimate() const { return initialized_; }
  std::int64_t latest_estimate() const { return current_bps_; }

  // How often a receiver could send feedback with 5 % of the estimate (80-byte RTCP packets),
  // bounded to [200 ms, 1 s].
  Duration feedback_interval() const;

  // Whether another decrease is allowed now: once per RTT (bounded to [10, 200] ms), or at once
  // when the throughput fell below half the estimate.
  bool time_to_reduce_further(Timestamp now, std::int64_t throughput_bps) const;
  // The same before any throughput is known (halving the estimate).
  bool initial_time_to_reduce_further(Timestamp now) const;

  std::int64_t update(const RateControlInput& input, Timestamp now);
  // Jumps to `bps` (a probe result, or a halving before any throughput is known).
  void set_estimate(std::int64_t bps, Timestamp now);

  double near_max_increase_rate_bps_per_second() const;
  // How long recovering from the last decrease takes at the additive rate, within [2 s, 50 s];
  // 3 s before any decrease.
  Duration expected_bandwidth_period() const;

  State state() const { return state_; }
  const LinkCapacityEstimator& link_capacity() const { return link_capacity_; }
  LinkCapacityEstimator& link_capacity() { return link_capacity_; }

 private:
  void change_bitrate(const RateControlInput& input, Timestamp now);
  void change_state(const RateControlInput& input, Timestamp now);
  std::int64_t multiplicative_increase(Timestamp now) const;
  std::int64_t additive_increase(Timestamp now) const;
  std::int64_t clamp(std::int64_t bps) const;

  std::int64_t min_bps_ = kCongestionControllerMinBps;
  std::int64_t current_bps_ = 30'000'000;  // libwebrtc's default maximum, until a start is set
  std::int64_t latest_throughput_bps_ = 30'000'000;
  LinkCapacityEstimator link_capacity_;
  State state_ = State::kHold;
  std::optional<Timestamp> time_last_change_;
  std::optional<Timestamp> time_first_throughput_;
  bool initialized_ = false;
  bool in_alr_ = false;
  Duration rtt_ = kDefaultRtt;
  std::optional<std::int64_t> last_decrease_bps_;
};

}  // namespace jvb::bwe
