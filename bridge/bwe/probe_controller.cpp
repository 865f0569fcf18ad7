// When to probe above the estimate (libwebrtc goog_cc/probe_controller).
#include "bridge/bwe/probe_controller.hpp"

#include <algorithm>
#include <cmath>

namespace jvb::bwe {

namespace {

std::int64_t scaled(std::int64_t bps, double factor) {
  return static_cast<std::int64_t>(std::llround(static_cast<double>(bps) * factor));
}

}  // namespace

std::int64_t ProbeCluster::min_bytes() const {
  return static_cast<std::int64_t>(static_cast<double>(bitrate_bps) * to_seconds(min_duration) / 8.0);
}

void ProbeController::set_bitrates(std::int64_t min_bps, std::int64_t start_bps, std::int64_t max_bps,
                                   Timestamp now) {
  if (start_bps > 0) {
    start_bps_ = start_bps;
    estimated_bps_ = start_bps;
  } else if (start_bps_ == 0) {
    start_bps_ = min_bps;
  }
  const std::int64_t old_max = max_bitrate_bps_;
  max_bitrate_bps_ = std::min(max_bps > 0 ? max_bps : kInfinite, max_probe_cap_bps_);

  switch (state_) {
    case State::kInit:
      if (network_available_) initiate_exponential_probing(now);
      break;
    case State::kWaitingForProbingResult:
      break;
    case State::kProbingComplete:
      // A higher maximum than both the old one and the estimate is worth finding out about.
      if (estimated_bps_ != 0 && old_max < max_bitrate_bps_ && estimated_bps_ < max_bitrate_bps_) {
        initiate_probing(now, max_bitrate_bps_, std::nullopt, false);
      }
      break;
  }
}

void ProbeController::set_network_available(bool available, Timestamp now) {
  network_available_ = available;
  if (!available && state_ == State::kWaitingForProbingResult) {
    state_ = State::kProbingComplete;
    min_bitrate_to_probe_further_bps_ = kInfinite;
  }
  if (available && state_ == State::kInit && start_bps_ != 0) initiate_exponential_probing(now);
}

void ProbeController::set_max_total_allocated_bitrate(std::int64_t bps, Timestamp now) {
  const bool in_alr = alr_start_.has_value();
  if (state_ == State::kProbingComplete && bps != max_total_allocated_bps_ &&
      estimated_bps_ < max_bitrate_bps_ && estimated_bps_ < bps && in_alr) {
    max_total_allocated_bps_ = bps;
    const std::int64_t current_limit = scaled(estimated_bps_, kAllocationProbeLimitByCurrentScale);
    std::int64_t first = scaled(bps, kFirstAllocationProbeScale);
    bool limited = current_limit < first;
    if (limited) first = current_limit;
    std::optional<std::int64_t> second;
    if (!limited) {
      std::int64_t s = scaled(bps, kSecondAllocationProbeScale);
      limited = current_limit < s;
      if (limited) s = current_limit;
      if (s > first) second = s;
    }
    // Cut short by the current estimate: the result decides whether to go on.
    initiate_probing(now, first, second, limited);
    return;
  }
  max_total_allocated_bps_ = bps;
}

void ProbeController::initiate_exponential_probing(Timestamp now) {
  initiate_probing(now, scaled(start_bps_, kFirstExponentialProbeScale),
                   scaled(start_bps_, kSecondExponentialProbeScale), true);
}

void ProbeController::set_estimated_bitrate(std::int64_t bps, BandwidthLimitedCause cause, Timestamp now) {
  cause_ = cause;
  if (static_cast<double>(bps) < kBitrateDropThreshold * static_cast<double>(estimated_bps_)) {
    time_of_last_large_drop_ = now;
    bitrate_before_last_large_drop_bps_ = estimated_bps_;
  }
  estimated_bps_ = bps;
  // A result near the last probe's rate says the path may carry more: go on doubling.
  if (state_ == State::kWaitingForProbingResult && bps > min_bitrate_to_probe_further_bps_) {
    initiate_probing(now, scaled(bps, kFurtherExponentialProbeScale), std::nullopt, true);
  }
}

void ProbeController::request_probe(Timestamp now) {
  const bool in_alr = alr_start_.has_value();
  const bool alr_ended_recently = alr_end_ && now - *alr_end_ < kAlrEndedTimeout;
  if (!(in_alr || alr_ended_recently) || state_ != State::kProbingComplete) return;
  const std::int64_t suggested = scaled(bitrate_before_last_large_drop_bps_, kProbeFractionAfterDrop);
  const double min_expected = (1 - kProbeUncertainty) * static_cast<double>(suggested);
  const bool drop_recent = time_of_last_large_drop_ && now - *time_of_last_large_drop_ < kBitrateDropTimeout;
  const bool probe_long_ago =
      !last_bwe_drop_probing_time_ || now - *last_bwe_drop_probing_time_ > kMinTimeBetweenAlrProbes;
  if (min_expected > static_cast<double>(estimated_bps_) && drop_recent && probe_long_ago) {
    if (initiate_probing(now, suggested, std::nullopt, false) > 0) {
      last_bwe_drop_probing_time_ = now;
      ++drop_probes_;
    }
  }
}

void ProbeController::process(Timestamp now) {
  if (state_ == State::kWaitingForProbingResult && time_last_probing_initiated_ &&
      now - *time_last_probing_initiated_ > kMaxWaitingTimeForProbingResult) {
    state_ = State::kProbingComplete;
    min_bitrate_to_probe_further_bps_ = kInfinite;
  }
  if (estimated_bps_ == 0 || state_ != State::kProbingComplete) return;
  if (periodic_alr_probing_ && alr_start_) {
    const Timestamp since =
        time_last_probing_initiated_ ? std::max(*alr_start_, *time_last_probing_initiated_) : *alr_start_;
    if (now >= since + kAlrProbingInterval) {
      initiate_probing(now, scaled(estimated_bps_, kAlrProbeScale), std::nullopt, true);
    }
  }
}

int ProbeController::initiate_probing(Timestamp now, std::int64_t first_bps,
                                      std::optional<std::int64_t> second_bps, bool probe_further) {
  std::int64_t max_probe = max_bitrate_bps_;
  // With a known wanted bitrate, up to twice it: headroom for bursty sources, and probes tend
  // to come back a little under their rate.
  if (max_total_allocated_bps_ > 0) max_probe = std::min(max_probe, 2 * max_total_allocated_bps_);
  switch (cause_) {
    case BandwidthLimitedCause::kRttBasedBackOffHighRtt:
    case BandwidthLimitedCause::kDelayBasedLimitedDelayIncreased:
    case BandwidthLimitedCause::kLossLimited:
      return 0;
    case BandwidthLimitedCause::kLossLimitedIncreasing:
      max_probe = std::min(max_probe, scaled(estimated_bps_, kLossLimitedProbeScale));
      break;
    case BandwidthLimitedCause::kDelayBasedLimited:
      break;
  }
  std::int64_t last_bps = 0;
  int created = 0;
  for (std::optional<std::int64_t> bps : {std::optional<std::int64_t>(first_bps), second_bps}) {
    if (!bps || *bps <= 0) continue;
    std::int64_t rate = *bps;
    if (rate >= max_probe) {
      rate = max_probe;
      probe_further = false;
    }
    ProbeCluster c;
    c.id = next_cluster_id_++;
    c.bitrate_bps = rate;
    c.min_packets = kMinProbePackets;
    c.min_duration = kMinProbeDuration;
    c.min_probe_delta = kMinProbeDelta;
    c.created = now;
    push(c);
    last_bps = rate;
    ++created;
  }
  time_last_probing_initiated_ = now;
  if (probe_further && last_bps > 0) {
    state_ = State::kWaitingForProbingResult;
    // A result is not expected to exceed a fraction of the probe's own rate.
    min_bitrate_to_probe_further_bps_ = scaled(last_bps, kFurtherProbeThreshold);
  } else {
    state_ = State::kProbingComplete;
    min_bitrate_to_probe_further_bps_ = kInfinite;
  }
  return created;
}

void ProbeController::push(const ProbeCluster& cluster) {
  ++clusters_created_;
  if (pending_count_ == kMaxPending) {
    pending_head_ = (pending_head_ + 1) % kMaxPending;
    --pending_count_;
    ++clusters_dropped_;
  }
  pending_[(pending_head_ + pending_count_) % kMaxPending] = cluster;
  ++pending_count_;
}

std::optional<ProbeCluster> ProbeController::take_probe() {
  if (pending_count_ == 0) return std::nullopt;
  ProbeCluster c = pending_[pending_head_];
  pending_head_ = (pending_head_ + 1) % kMaxPending;
  --pending_count_;
  return c;
}

}  // namespace jvb::bwe
