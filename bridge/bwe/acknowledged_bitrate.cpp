// Acknowledged bitrate from transport-cc receive times (libwebrtc goog_cc
// acknowledged_bitrate_estimator, bitrate_estimator).
#include "bridge/bwe/acknowledged_bitrate.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace jvb::bwe {

namespace {

std::int64_t to_ms_floor(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

void BitrateEstimator::update(Timestamp at, std::int64_t bytes, bool in_alr) {
  const std::int64_t window_ms = estimate_kbps_ < 0 ? kInitialWindowMs : kWindowMs;
  const double sample_kbps = update_window(to_ms_floor(at), bytes, window_ms);
  if (sample_kbps < 0) return;
  if (estimate_kbps_ < 0) {
    estimate_kbps_ = sample_kbps;
    return;
  }
  // libwebrtc configures the same scale for ALR and small samples, so one scale serves.
  (void)in_alr;
  const double sample_uncertainty =
      kUncertaintyScale * std::fabs(estimate_kbps_ - sample_kbps) / std::max(estimate_kbps_, 1e-9);
  const double sample_variance = sample_uncertainty * sample_uncertainty;
  // The estimate's own variance grows each step: the rate may change over time.
  const double predicted_variance = variance_ + 5.0;
  estimate_kbps_ = (sample_variance * estimate_kbps_ + predicted_variance * sample_kbps) /
                   (sample_variance + predicted_variance);
  estimate_kbps_ = std::max(estimate_kbps_, 0.0);
  variance_ = sample_variance * predicted_variance / (sample_variance + predicted_variance);
}

double BitrateEstimator::update_window(std::int64_t now_ms, std::int64_t bytes, std::int64_t window_ms) {
  if (prev_time_ms_ && now_ms < *prev_time_ms_) {
    prev_time_ms_.reset();
    sum_bytes_ = 0;
    current_window_ms_ = 0;
  }
  if (prev_time_ms_) {
    current_window_ms_ += now_ms - *prev_time_ms_;
    if (now_ms - *prev_time_ms_ > window_ms) {
      sum_bytes_ = 0;
      current_window_ms_ %= window_ms;
    }
  }
  prev_time_ms_ = now_ms;
  double sample_kbps = -1;
  if (current_window_ms_ >= window_ms) {
    sample_kbps = 8.0 * static_cast<double>(sum_bytes_) / static_cast<double>(window_ms);
    current_window_ms_ -= window_ms;
    sum_bytes_ = 0;
  }
  sum_bytes_ += bytes;
  return sample_kbps;
}

std::optional<std::int64_t> BitrateEstimator::bitrate_bps() const {
  if (estimate_kbps_ < 0) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(estimate_kbps_ * 1000));
}

std::optional<std::int64_t> BitrateEstimator::peek_rate_bps() const {
  if (current_window_ms_ <= 0) return std::nullopt;
  return sum_bytes_ * 8 * 1000 / current_window_ms_;
}

void AcknowledgedBitrateEstimator::on_packets(std::span<const PacketResult> sorted_by_receive_time) {
  for (const PacketResult& p : sorted_by_receive_time) {
    if (alr_ended_ && p.sent.send_time > *alr_ended_) {
      estimator_.expect_fast_rate_change();
      alr_ended_.reset();
    }
    estimator_.update(p.receive_time, p.sent.size_bytes, in_alr_);
  }
}

void RobustThroughputEstimator::on_packets(std::span<const PacketResult> sorted_by_receive_time) {
  for (const PacketResult& p : sorted_by_receive_time) {
    if (size_ == kCapacity) {
      // Cannot happen: the window is pruned to kMaxWindowPackets after every insertion.
      head_ = (head_ + 1) % kCapacity;
      --size_;
    }
    at(size_) = Entry{p.sent.send_time, p.receive_time, p.sent.size_bytes};
    ++size_;
    // Feedback may come reordered: keep the window sorted by receive time.
    for (std::size_t i = size_ - 1; i > 0 && at(i).receive_time < at(i - 1).receive_time; --i) {
      std::swap(at(i), at(i - 1));
    }
    if (at(size_ - 1).receive_time - p.receive_time > kMaxReorderingTime) {
      // Severe reordering, or the remote clock jumped: start over.
      size_ = 0;
      latest_discarded_send_time_ = Timestamp::min();
    }
    while (first_outside_window()) {
      latest_discarded_send_time_ = std::max(latest_discarded_send_time_, at(0).send_time);
      head_ = (head_ + 1) % kCapacity;
      --size_;
    }
  }
}

bool RobustThroughputEstimator::first_outside_window() const {
  if (size_ == 0) return false;
  if (size_ > kMaxWindowPackets) return true;
  const Duration span = at(size_ - 1).receive_time - at(0).receive_time;
  if (span > kMaxWindowDuration) return true;
  return size_ > kWindowPackets && span > kMinWindowDuration;
}

std::optional<std::int64_t> RobustThroughputEstimator::bitrate_bps() const {
  if (size_ < kRequiredPackets) return std::nullopt;
  Duration largest_gap{};
  Duration second_gap{};
  for (std::size_t i = 1; i < size_; ++i) {
    const Duration gap = at(i).receive_time - at(i - 1).receive_time;
    if (gap > largest_gap) {
      second_gap = largest_gap;
      largest_gap = gap;
    } else if (gap > second_gap) {
      second_gap = gap;
    }
  }
  Timestamp first_send = Timestamp::max();
  Timestamp last_send = Timestamp::min();
  Timestamp first_recv = Timestamp::max();
  Timestamp last_recv = Timestamp::min();
  std::int64_t recv_bytes = 0;
  std::int64_t send_bytes = 0;
  std::int64_t first_recv_bytes = 0;
  std::int64_t last_send_bytes = 0;
  std::size_t sent_in_window = 0;
  for (std::size_t i = 0; i < size_; ++i) {
    const Entry& e = at(i);
    if (e.receive_time < first_recv) {
      first_recv = e.receive_time;
      first_recv_bytes = e.size_bytes;
    }
    last_recv = std::max(last_recv, e.receive_time);
    recv_bytes += e.size_bytes;
    // Sent before a packet already dropped from the window: reordered, and its old send time
    // would stretch the send span.
    if (e.send_time < latest_discarded_send_time_) continue;
    if (e.send_time > last_send) {
      last_send = e.send_time;
      last_send_bytes = e.size_bytes;
    }
    first_send = std::min(first_send, e.send_time);
    send_bytes += e.size_bytes;
    ++sent_in_window;
  }
  // N packets span N-1 intervals: the first received and the last sent packet fall outside.
  recv_bytes -= first_recv_bytes;
  send_bytes -= last_send_bytes;
  const auto rate = [](std::int64_t bytes, Duration span) {
    return static_cast<std::int64_t>(std::llround(8.0 * static_cast<double>(bytes) / to_seconds(span)));
  };
  const Duration recv_span =
      std::max<Duration>(last_recv - first_recv - largest_gap + second_gap, std::chrono::milliseconds(1));
  if (sent_in_window < kRequiredPackets) return rate(recv_bytes, recv_span);
  const Duration send_span = std::max<Duration>(last_send - first_send, std::chrono::milliseconds(1));
  return std::min(rate(send_bytes, send_span), rate(recv_bytes, recv_span));
}

}  // namespace jvb::bwe
