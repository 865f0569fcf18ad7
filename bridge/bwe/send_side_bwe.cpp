// Send-side bandwidth estimation towards one receiver (libwebrtc
// goog_cc/goog_cc_network_control, as JVB's GoogCcTransportCcEngine drives it).
#include "bridge/bwe/send_side_bwe.hpp"

#include <algorithm>
#include <cmath>

namespace jvb::bwe {

SendSideBandwidthEstimator::SendSideBandwidthEstimator(const BweConfig& config)
    : config_(config), history_(config.history_capacity), probe_controller_(config.max_probe_bps) {
  config_.min_bps = std::max(config_.min_bps, kCongestionControllerMinBps);
  config_.max_bps = std::max(config_.max_bps, config_.min_bps);
  config_.start_bps = std::clamp(config_.start_bps, config_.min_bps, config_.max_bps);
  probe_controller_.enable_periodic_alr_probing(config_.periodic_alr_probing);
  delay_based_.set_min_bitrate(kCongestionControllerMinBps);
  target_bps_ = config_.start_bps;
}

Timestamp SendSideBandwidthEstimator::monotonic(Timestamp now) {
  if (last_now_ && now < *last_now_) {
    ++time_went_backwards_;
    return *last_now_;
  }
  last_now_ = now;
  return now;
}

void SendSideBandwidthEstimator::ensure_started(Timestamp now) {
  if (started_) return;
  started_ = true;
  // As JVB's engine at start: the network is up, then the first tick applies the constraints,
  // which starts the exponential probes.
  probe_controller_.set_network_available(true, now);
  loss_based_.set_bitrates(config_.start_bps, config_.min_bps, config_.max_bps, now);
  delay_based_.set_start_bitrate(config_.start_bps);
  delay_based_.set_min_bitrate(config_.min_bps);
  probe_controller_.set_bitrates(config_.min_bps, config_.start_bps, config_.max_bps, now);
  maybe_publish(now, true);
}

void SendSideBandwidthEstimator::on_packet_sent(std::uint16_t transport_seq, std::int64_t size_bytes,
                                                Timestamp now, std::int32_t probe_cluster_id) {
  now = monotonic(now);
  ensure_started(now);
  size_bytes = std::max<std::int64_t>(size_bytes, 0);
  if (probe_cluster_id != kNotAProbe) {
    if (find_issued(probe_cluster_id)) {
      ++probe_packets_sent_;
    } else {
      ++probe_packets_unknown_cluster_;
      probe_cluster_id = kNotAProbe;
    }
  }
  history_.on_packet_sent(transport_seq, size_bytes, now, probe_cluster_id);
  bytes_sent_ += static_cast<std::uint64_t>(size_bytes);

  alr_.on_bytes_sent(size_bytes, now);
  acknowledged_.set_alr(alr_.alr_start_time().has_value());
  if (!first_packet_sent_) {
    first_packet_sent_ = true;
    // Lets the RTT back-off notice feedback that never starts.
    loss_based_.update_propagation_rtt(Duration::zero(), now);
  }
  loss_based_.on_packet_sent(now);
}

void SendSideBandwidthEstimator::on_feedback(const rtcp::TransportFeedback& feedback, Timestamp now) {
  now = monotonic(now);
  ensure_started(now);
  process_feedback(history_.on_feedback(feedback, now), now);
}

void SendSideBandwidthEstimator::on_feedback(std::span<const rtcp::TccPacketStatus> statuses,
                                             std::chrono::microseconds reference_time, Timestamp now) {
  now = monotonic(now);
  ensure_started(now);
  process_feedback(history_.on_feedback(statuses, reference_time, now), now);
}

void SendSideBandwidthEstimator::process_feedback(FeedbackReport report, Timestamp now) {
  if (report.received.empty() && report.lost == 0) {
    ++feedback_nothing_matched_;
    return;
  }
  std::span<PacketResult> packets = report.received;
  for (PacketResult& p : packets) {
    if (p.sent.probe_cluster_id == kNotAProbe) continue;
    if (const IssuedCluster* c = find_issued(p.sent.probe_cluster_id)) {
      p.sent.probe_min_packets = c->min_packets;
      p.sent.probe_min_bytes = c->min_bytes;
    } else {
      p.sent.probe_cluster_id = kNotAProbe;  // its record was overwritten by newer clusters
    }
  }
  std::sort(packets.begin(), packets.end(), [](const PacketResult& a, const PacketResult& b) {
    return a.receive_time != b.receive_time ? a.receive_time < b.receive_time
                                            : a.sent.sequence < b.sent.sequence;
  });

  if (!packets.empty()) {
    // The shortest round trip any of these packets could have had: a packet received before the
    // last one waited at the receiver for the feedback to be sent.
    const Timestamp max_receive = packets.back().receive_time;
    Duration min_propagation_rtt = Duration::max();
    for (const PacketResult& p : packets) {
      const Duration feedback_rtt = now - p.sent.send_time;
      min_propagation_rtt = std::min(min_propagation_rtt, feedback_rtt - (max_receive - p.receive_time));
    }
    loss_based_.update_propagation_rtt(min_propagation_rtt, now);
  }

  const std::optional<Timestamp> alr_start = alr_.alr_start_time();
  if (previously_in_alr_ && !alr_start) {
    acknowledged_.set_alr_ended_time(now);
    probe_controller_.set_alr_end_time(now);
  }
  previously_in_alr_ = alr_start.has_value();

  if (config_.robust_throughput) {
    robust_.on_packets(packets);
  } else {
    acknowledged_.on_packets(packets);
  }
  const std::optional<std::int64_t> acked_bps = acknowledged_bps();
  for (const PacketResult& p : packets) {
    if (p.sent.probe_cluster_id != kNotAProbe) probe_estimator_.on_probe_packet(p);
  }
  std::optional<std::int64_t> probe_bps = probe_estimator_.fetch_and_reset_estimate();
  if (probe_bps && acked_bps) {
    // A probe that came back far under the acknowledged rate is more likely a measuring error
    // than the capacity: do not let it pull the estimate under ~the throughput (yet never let
    // it raise the estimate either).
    const auto floor =
        std::min(delay_based_.last_estimate(),
                 static_cast<std::int64_t>(static_cast<double>(*acked_bps) * kProbeDropThroughputFraction));
    probe_bps = std::max(*probe_bps, floor);
  }

  const DelayBasedBwe::Result result =
      delay_based_.on_feedback(packets, acked_bps, probe_bps, alr_start.has_value(), now);
  if (result.updated) {
    if (result.probe) loss_based_.set_send_bitrate(result.target_bps, now);
    loss_based_.update_delay_based_estimate(result.target_bps, now);
  }
  loss_based_.update_estimate(now);
  if (result.updated) maybe_publish(now);
  // libwebrtc hands the probe controller the cause only with a changed estimate; a detector
  // that recovered while the loss rule kept the estimate still would leave a stale "delay
  // increased" there and silently block the probe after a drop.
  probe_controller_.set_limited_cause(limited_cause());
  if (result.recovered_from_overuse) {
    probe_controller_.set_alr_start_time(alr_start);
    probe_controller_.request_probe(now);
  }
}

void SendSideBandwidthEstimator::on_rtt(Duration rtt, Timestamp now) {
  now = monotonic(now);
  ensure_started(now);
  if (rtt <= Duration::zero()) {
    ++rtt_rejected_;
    return;
  }
  ++rtt_updates_;
  delay_based_.on_rtt(rtt);
  loss_based_.update_rtt(rtt);
}

void SendSideBandwidthEstimator::on_receiver_loss(std::int64_t lost, std::int64_t expected, Timestamp now) {
  now = monotonic(now);
  ensure_started(now);
  if (expected <= 0 || expected - lost < 1) {
    ++loss_reports_rejected_;
    return;
  }
  ++loss_reports_;
  loss_based_.update_packets_lost(lost, expected, now);
}

void SendSideBandwidthEstimator::on_process(Timestamp now) {
  now = monotonic(now);
  ensure_started(now);
  loss_based_.update_estimate(now);
  probe_controller_.set_alr_start_time(alr_.alr_start_time());
  probe_controller_.process(now);
  maybe_publish(now);
}

void SendSideBandwidthEstimator::set_desired_bitrate(std::int64_t bps, Timestamp now) {
  now = monotonic(now);
  // Known before the start, it caps the initial probes too (libwebrtc applies it after them).
  probe_controller_.set_max_total_allocated_bitrate(std::max<std::int64_t>(bps, 0), now);
  ensure_started(now);
}

std::optional<ProbeCluster> SendSideBandwidthEstimator::take_probe_request() {
  std::optional<ProbeCluster> c = probe_controller_.take_probe();
  if (c) {
    // Remembered so that the feedback for its packets can be judged against its thresholds.
    issued_[issued_next_] = IssuedCluster{c->id, c->min_packets, c->min_bytes()};
    issued_next_ = (issued_next_ + 1) % kIssuedClusters;
  }
  return c;
}

const SendSideBandwidthEstimator::IssuedCluster* SendSideBandwidthEstimator::find_issued(
    std::int32_t id) const {
  for (const IssuedCluster& c : issued_) {
    if (c.id == id && id != kNotAProbe) return &c;
  }
  return nullptr;
}

std::optional<std::int64_t> SendSideBandwidthEstimator::acknowledged_bps() const {
  return config_.robust_throughput ? robust_.bitrate_bps() : acknowledged_.bitrate_bps();
}

BandwidthLimitedCause SendSideBandwidthEstimator::limited_cause() const {
  const BandwidthUsage usage = delay_based_.last_state();
  if (usage == BandwidthUsage::kOverusing || usage == BandwidthUsage::kUnderusing) {
    return BandwidthLimitedCause::kDelayBasedLimitedDelayIncreased;
  }
  if (loss_based_.rtt_above_limit()) return BandwidthLimitedCause::kRttBasedBackOffHighRtt;
  return BandwidthLimitedCause::kDelayBasedLimited;
}

void SendSideBandwidthEstimator::maybe_publish(Timestamp now, bool force) {
  const std::int64_t target = loss_based_.target_bps();
  const std::uint8_t fraction = loss_based_.fraction_loss_q8();
  const Duration rtt = loss_based_.rtt();
  if (!force && target == target_bps_ && fraction == published_fraction_loss_ && rtt == published_rtt_)
    return;
  target_bps_ = target;
  published_fraction_loss_ = fraction;
  published_rtt_ = rtt;
  ++target_updates_;
  alr_.set_estimated_bitrate(target);
  probe_controller_.set_estimated_bitrate(target, limited_cause(), now);
}

BweCounters SendSideBandwidthEstimator::counters() const {
  const SendHistoryCounters& h = history_.counters();
  BweCounters c;
  c.packets_sent = h.packets_sent;
  c.bytes_sent = bytes_sent_;
  c.probe_packets_sent = probe_packets_sent_;
  c.probe_packets_unknown_cluster = probe_packets_unknown_cluster_;
  c.feedbacks = h.feedbacks;
  c.feedback_packets_received = h.reported_received;
  c.feedback_packets_lost = h.reported_lost;
  c.unmatched_feedback = h.unmatched;
  c.feedback_results_dropped = h.results_dropped;
  c.feedback_reference_resets = h.reference_time_resets;
  c.feedback_nothing_matched = feedback_nothing_matched_;
  c.rtt_updates = rtt_updates_;
  c.rtt_rejected = rtt_rejected_;
  c.loss_reports = loss_reports_;
  c.loss_reports_rejected = loss_reports_rejected_;
  c.time_went_backwards = time_went_backwards_;
  c.overuse_events = delay_based_.detector().overuse_events();
  c.inter_arrival_resets = delay_based_.inter_arrival().resets();
  c.stream_restarts = delay_based_.stream_restarts();
  c.probe_clusters_requested = probe_controller_.clusters_created();
  c.probe_clusters_dropped = probe_controller_.clusters_dropped();
  c.probe_results = probe_estimator_.results();
  c.probe_results_invalid = probe_estimator_.invalid();
  c.probes_after_drop = probe_controller_.drop_probes();
  c.loss_decreases = loss_based_.loss_decreases();
  c.rtt_backoffs = loss_based_.rtt_backoffs();
  c.target_updates = target_updates_;
  return c;
}

BweSnapshot SendSideBandwidthEstimator::snapshot() const {
  BweSnapshot s;
  s.target_bps = target_bps_;
  s.delay_based_bps = delay_based_.rate_control().latest_estimate();
  s.acknowledged_bps = acknowledged_bps();
  s.link_capacity_bps = delay_based_.rate_control().link_capacity().estimate_bps();
  s.loss_fraction = loss_based_.fraction_loss_q8() / 256.0;
  s.rtt = loss_based_.rtt();
  s.trend = delay_based_.detector().trend();
  s.modified_trend = delay_based_.detector().modified_trend();
  s.threshold = delay_based_.detector().threshold();
  s.detector_state = delay_based_.detector().state();
  s.rate_control_state = delay_based_.rate_control().state();
  s.in_alr = alr_.alr_start_time().has_value();
  s.waiting_for_probe_result = probe_controller_.waiting_for_result();
  return s;
}

}  // namespace jvb::bwe
