// AIMD rate control and link capacity estimate of the delay-based estimator (libwebrtc
// remote_bitrate_estimator/aimd_rate_control, goog_cc/link_capacity_estimator).
#include "bridge/bwe/aimd_rate_control.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace jvb::bwe {

namespace {

std::int64_t round_bps(double bps) { return static_cast<std::int64_t>(std::llround(bps)); }

}  // namespace

// ---- LinkCapacityEstimator ----------------------------------------------------------------------

std::int64_t LinkCapacityEstimator::upper_bound_bps() const {
  if (!estimate_kbps_) return std::numeric_limits<std::int64_t>::max();
  return round_bps((*estimate_kbps_ + 3 * deviation_estimate_kbps()) * 1000);
}

std::int64_t LinkCapacityEstimator::lower_bound_bps() const {
  if (!estimate_kbps_) return 0;
  return round_bps(std::max(0.0, *estimate_kbps_ - 3 * deviation_estimate_kbps()) * 1000);
}

std::optional<std::int64_t> LinkCapacityEstimator::estimate_bps() const {
  if (!estimate_kbps_) return std::nullopt;
  return round_bps(*estimate_kbps_ * 1000);
}

void LinkCapacityEstimator::update(std::int64_t sample_bps, double alpha) {
  // libwebrtc takes the sample in whole kbit/s.
  const double sample_kbps = static_cast<double>(sample_bps / 1000);
  estimate_kbps_ = estimate_kbps_ ? (1 - alpha) * *estimate_kbps_ + alpha * sample_kbps : sample_kbps;
  // The variance is normalised by the estimate, so that the band scales with the rate.
  const double norm = std::max(*estimate_kbps_, 1.0);
  const double error_kbps = *estimate_kbps_ - sample_kbps;
  deviation_kbps_ = (1 - alpha) * deviation_kbps_ + alpha * error_kbps * error_kbps / norm;
  // 0.4 is about 14 kbit/s at 500 kbit/s, 2.5 about 35 kbit/s.
  deviation_kbps_ = std::clamp(deviation_kbps_, 0.4, 2.5);
}

double LinkCapacityEstimator::deviation_estimate_kbps() const {
  return std::sqrt(deviation_kbps_ * estimate_kbps_.value_or(0));
}

// ---- AimdRateControl ----------------------------------------------------------------------------

void AimdRateControl::set_start_bitrate(std::int64_t bps) {
  current_bps_ = bps;
  latest_throughput_bps_ = bps;
  initialized_ = true;
}

void AimdRateControl::set_min_bitrate(std::int64_t bps) {
  min_bps_ = bps;
  current_bps_ = std::max(bps, current_bps_);
}

Duration AimdRateControl::feedback_interval() const {
  constexpr double kRtcpSizeBits = 80 * 8;
  const double rtcp_bps = std::max(0.05 * static_cast<double>(current_bps_), 1.0);
  const auto interval =
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(kRtcpSizeBits / rtcp_bps));
  return std::clamp(interval, Duration(kMinFeedbackInterval), Duration(kMaxFeedbackInterval));
}

bool AimdRateControl::time_to_reduce_further(Timestamp now, std::int64_t throughput_bps) const {
  const Duration interval =
      std::clamp(rtt_, Duration(std::chrono::milliseconds(10)), Duration(std::chrono::milliseconds(200)));
  if (!time_last_change_ || now - *time_last_change_ >= interval) return true;
  if (valid_estimate()) return throughput_bps < latest_estimate() / 2;
  return false;
}

bool AimdRateControl::initial_time_to_reduce_further(Timestamp now) const {
  return valid_estimate() && time_to_reduce_further(now, latest_estimate() / 2 - 1);
}

std::int64_t AimdRateControl::update(const RateControlInput& input, Timestamp now) {
  // Without a start bitrate the first throughput measured 5 s after the first one becomes it.
  if (!initialized_) {
    if (!time_first_throughput_) {
      if (input.throughput_bps) time_first_throughput_ = now;
    } else if (now - *time_first_throughput_ > kInitializationTime && input.throughput_bps) {
      current_bps_ = *input.throughput_bps;
      initialized_ = true;
    }
  }
  change_bitrate(input, now);
  return current_bps_;
}

void AimdRateControl::set_estimate(std::int64_t bps, Timestamp now) {
  initialized_ = true;
  current_bps_ = clamp(bps);
  time_last_change_ = now;
}

double AimdRateControl::near_max_increase_rate_bps_per_second() const {
  // One 30 fps frame at the current rate, cut into packets of at most 1200 bytes.
  const double frame_bytes = std::round(static_cast<double>(current_bps_) / 30.0 / 8.0);
  const double packets_per_frame = std::max(1.0, std::ceil(frame_bytes / 1200.0));
  const double avg_packet_bytes = std::round(frame_bytes / packets_per_frame);
  // The overuse detector takes about 100 ms to respond; libwebrtc doubles the response time.
  const double response_seconds = 2 * (to_seconds(rtt_) + 0.1);
  return std::max(4000.0, avg_packet_bytes * 8 / response_seconds);
}

Duration AimdRateControl::expected_bandwidth_period() const {
  constexpr Duration kMin = std::chrono::seconds(2);
  constexpr Duration kDefault = std::chrono::seconds(3);
  constexpr Duration kMax = std::chrono::seconds(50);
  if (!last_decrease_bps_) return kDefault;
  const double seconds = static_cast<double>(*last_decrease_bps_) / near_max_increase_rate_bps_per_second();
  const auto period = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
  return std::clamp(period, Duration(kMin), Duration(kMax));
}

void AimdRateControl::change_bitrate(const RateControlInput& input, Timestamp now) {
  std::optional<std::int64_t> new_bps;
  const std::int64_t throughput_bps = input.throughput_bps.value_or(latest_throughput_bps_);
  if (input.throughput_bps) latest_throughput_bps_ = *input.throughput_bps;

  // An overuse acts even before the first estimate: acting on it yields one.
  if (!initialized_ && input.state != BandwidthUsage::kOverusing) return;

  change_state(input, now);
  switch (state_) {
    case State::kHold:
      break;
    case State::kIncrease: {
      if (throughput_bps > link_capacity_.upper_bound_bps()) link_capacity_.reset();
      // A little more headroom at low rates, so that an uneven encoder does not get stuck.
      const std::int64_t limit_bps = round_bps(1.5 * static_cast<double>(throughput_bps)) + 10'000;
      if (current_bps_ < limit_bps) {
        const std::int64_t increase =
            link_capacity_.has_estimate() ? additive_increase(now) : multiplicative_increase(now);
        new_bps = std::min(current_bps_ + increase, limit_bps);
      }
      time_last_change_ = now;
      break;
    }
    case State::kDecrease: {
      // Slightly under the measured throughput, to drain the queue this rate built.
      std::int64_t decreased = round_bps(static_cast<double>(throughput_bps) * kBeta);
      if (decreased > 5'000) decreased -= 5'000;
      if (decreased > current_bps_ && link_capacity_.has_estimate()) {
        decreased = round_bps(static_cast<double>(*link_capacity_.estimate_bps()) * kBeta);
      }
      if (decreased < current_bps_) new_bps = decreased;
      if (initialized_ && throughput_bps < current_bps_) {
        last_decrease_bps_ = new_bps ? current_bps_ - *new_bps : 0;
      }
      // Far below the capacity estimate: it is stale, start it again from this throughput.
      if (throughput_bps < link_capacity_.lower_bound_bps()) link_capacity_.reset();
      initialized_ = true;
      link_capacity_.on_overuse_detected(throughput_bps);
      state_ = State::kHold;
      time_last_change_ = now;
      break;
    }
  }
  current_bps_ = clamp(new_bps.value_or(current_bps_));
}

void AimdRateControl::change_state(const RateControlInput& input, Timestamp now) {
  switch (input.state) {
    case BandwidthUsage::kNormal:
      if (state_ == State::kHold) {
        time_last_change_ = now;
        state_ = State::kIncrease;
      }
      break;
    case BandwidthUsage::kOverusing:
      state_ = State::kDecrease;
      break;
    case BandwidthUsage::kUnderusing:
      state_ = State::kHold;
      break;
  }
}

std::int64_t AimdRateControl::multiplicative_increase(Timestamp now) const {
  double alpha = 1.08;
  if (time_last_change_) {
    const double since = std::min(to_seconds(now - *time_last_change_), 1.0);
    alpha = std::pow(alpha, std::max(since, 0.0));
  }
  return std::max<std::int64_t>(round_bps(static_cast<double>(current_bps_) * (alpha - 1.0)), 1'000);
}

std::int64_t AimdRateControl::additive_increase(Timestamp now) const {
  const double since = time_last_change_ ? std::max(to_seconds(now - *time_last_change_), 0.0) : 0.0;
  return round_bps(near_max_increase_rate_bps_per_second() * since);
}

std::int64_t AimdRateControl::clamp(std::int64_t bps) const { return std::max(bps, min_bps_); }

}  // namespace jvb::bwe
