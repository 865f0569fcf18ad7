// See probing_pacer.hpp.
#include "bridge/bwe/probing_pacer.hpp"

#include <algorithm>
#include <cmath>

namespace jvb::bwe {

namespace {

// A late timer must not turn one round into a burst of seconds' worth of padding.
constexpr Duration kMaxFillRound = std::chrono::milliseconds(100);
constexpr Duration kMinBurstSpacing = std::chrono::milliseconds(1);

double bytes_at(std::int64_t bps, Duration d) { return static_cast<double>(bps) * to_seconds(d) / 8.0; }

}  // namespace

void ProbingPacer::set_allocation(std::int64_t target_bps, std::int64_t ideal_bps) {
  target_bps_ = std::max<std::int64_t>(target_bps, 0);
  ideal_bps_ = std::max<std::int64_t>(ideal_bps, 0);
}

void ProbingPacer::add_cluster(const ProbeCluster& cluster, Timestamp now) {
  (void)now;
  if (cluster.bitrate_bps <= 0 || queued_ == queue_.size()) {
    ++counters_.clusters_dropped;
    return;
  }
  queue_[queued_++] = cluster;
}

void ProbingPacer::start_next_cluster(Timestamp now) {
  while (queued_ > 0 && !active_) {
    ProbeCluster next = queue_[0];
    std::move(queue_.begin() + 1, queue_.begin() + static_cast<std::ptrdiff_t>(queued_), queue_.begin());
    --queued_;
    if (now - next.created > kMaxClusterWait) {
      ++counters_.clusters_dropped;
      continue;
    }
    active_ = ActiveCluster{next, now, 0, 0, now};
  }
}

std::optional<ProbingPacer::Burst> ProbingPacer::poll(Timestamp now, std::int64_t estimate_bps) {
  if (!active_) start_next_cluster(now);
  if (active_ && active_->packets_sent == 0 && now - active_->cluster.created > kMaxClusterWait) {
    ++counters_.clusters_dropped;
    active_.reset();
    start_next_cluster(now);
  }
  if (active_) {
    if (now < active_->next_burst) return std::nullopt;
    // Its bitrate counts from its first packet, not from when it began to wait for one.
    if (active_->packets_sent == 0) active_->started = now;
    // Ahead by one burst spacing, as libwebrtc's prober sends each burst's bytes at its start.
    const Duration elapsed = now - active_->started + active_->cluster.min_probe_delta;
    const auto wanted = static_cast<std::int64_t>(std::ceil(bytes_at(active_->cluster.bitrate_bps, elapsed)));
    return Burst{std::max<std::int64_t>(wanted - active_->bytes_sent, 1), active_->cluster.id, false};
  }
  if (next_fill_ && now < *next_fill_) return std::nullopt;
  const Duration round =
      next_fill_ ? std::min(now - *next_fill_ + kFillInterval, kMaxFillRound) : kFillInterval;
  next_fill_ = now + kFillInterval;
  // Fill only up to the estimate, and only while the allocation is held below its ideal by it:
  // with room in the estimate the allocation moves up by itself.
  if (estimate_bps <= 0 || ideal_bps_ - target_bps_ < 1 || ideal_bps_ <= estimate_bps ||
      estimate_bps <= target_bps_) {
    fill_owed_bytes_ = 0;
    return std::nullopt;
  }
  const std::int64_t rate = std::min(ideal_bps_ - target_bps_, estimate_bps - target_bps_);
  fill_owed_bytes_ += bytes_at(rate, round);
  if (fill_owed_bytes_ < 1) return std::nullopt;
  return Burst{static_cast<std::int64_t>(fill_owed_bytes_), kNotAProbe, true};
}

void ProbingPacer::on_sent(const Burst& burst, std::int64_t bytes, std::int64_t packets, Timestamp now) {
  if (packets == 0) {
    if (burst.cluster_id != kNotAProbe) on_unsendable(burst, now);
    return;
  }
  if (burst.cluster_id == kNotAProbe) {
    fill_owed_bytes_ = std::max(0.0, fill_owed_bytes_ - static_cast<double>(bytes));
    counters_.padding_packets += static_cast<std::uint64_t>(packets);
    counters_.padding_bytes += static_cast<std::uint64_t>(bytes);
    return;
  }
  if (!active_ || active_->cluster.id != burst.cluster_id) return;
  if (active_->packets_sent == 0) ++counters_.clusters_started;
  active_->bytes_sent += bytes;
  active_->packets_sent += packets;
  counters_.probe_packets += static_cast<std::uint64_t>(packets);
  counters_.probe_bytes += static_cast<std::uint64_t>(bytes);
  if (active_->bytes_sent >= active_->cluster.min_bytes() &&
      active_->packets_sent >= active_->cluster.min_packets) {
    ++counters_.clusters_completed;
    active_.reset();
    // Filling starts over after a probe rather than owing what the probe displaced.
    fill_owed_bytes_ = 0;
    next_fill_ = now + kFillInterval;
    return;
  }
  active_->next_burst = now + std::max(active_->cluster.min_probe_delta, kMinBurstSpacing);
}

void ProbingPacer::on_unsendable(const Burst& burst, Timestamp now) {
  ++counters_.nothing_to_send;
  if (burst.cluster_id == kNotAProbe) {
    // Not owed later: by the time there is a packet the allocation may have moved.
    fill_owed_bytes_ = 0;
  } else if (active_ && active_->cluster.id == burst.cluster_id) {
    if (active_->packets_sent == 0) {
      active_->next_burst = now + kUnsendableRetry;
    } else {
      // Half a cluster measures nothing.
      ++counters_.clusters_dropped;
      active_.reset();
    }
  }
}

std::optional<Timestamp> ProbingPacer::next_due() const {
  if (active_) return active_->next_burst;
  if (queued_ > 0) return queue_[0].created;
  if (ideal_bps_ > target_bps_) return next_fill_;
  return std::nullopt;
}

}  // namespace jvb::bwe
