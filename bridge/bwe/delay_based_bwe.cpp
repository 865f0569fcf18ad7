// The delay-based estimate (libwebrtc goog_cc/delay_based_bwe; draft-ietf-rmcat-gcc-02 §5).
#include "bridge/bwe/delay_based_bwe.hpp"

namespace jvb::bwe {

DelayBasedBwe::Result DelayBasedBwe::on_feedback(std::span<const PacketResult> sorted_by_receive_time,
                                                 std::optional<std::int64_t> acked_bps,
                                                 std::optional<std::int64_t> probe_bps, bool in_alr,
                                                 Timestamp feedback_time) {
  // Nothing acknowledged: the feedback was all losses or came after the history forgot the
  // packets. libwebrtc leaves the estimate alone here too.
  if (sorted_by_receive_time.empty()) return Result{};

  bool recovered_from_overuse = false;
  BandwidthUsage prev_state = detector_.state();
  for (const PacketResult& p : sorted_by_receive_time) {
    on_packet(p, feedback_time);
    if (prev_state == BandwidthUsage::kUnderusing && detector_.state() == BandwidthUsage::kNormal) {
      recovered_from_overuse = true;
    }
    prev_state = detector_.state();
  }
  rate_control_.set_in_alr(in_alr);
  return maybe_update(acked_bps, probe_bps, recovered_from_overuse, feedback_time);
}

void DelayBasedBwe::on_packet(const PacketResult& packet, Timestamp feedback_time) {
  if (!last_seen_ || feedback_time - *last_seen_ > kStreamTimeout) {
    // After a silence the old groups and trend say nothing about the path now.
    if (last_seen_) ++stream_restarts_;
    inter_arrival_ = InterArrivalDelta(kSendTimeGroupLength);
    detector_ = TrendlineEstimator();
  }
  last_seen_ = feedback_time;
  const auto deltas = inter_arrival_.compute_deltas(packet.sent.send_time, packet.receive_time, feedback_time,
                                                    packet.sent.size_bytes);
  if (deltas)
    detector_.update(to_ms(deltas->arrival), to_ms(deltas->send),
                     to_ms(packet.receive_time.time_since_epoch()));
}

DelayBasedBwe::Result DelayBasedBwe::maybe_update(std::optional<std::int64_t> acked_bps,
                                                  std::optional<std::int64_t> probe_bps,
                                                  bool recovered_from_overuse, Timestamp now) {
  Result result;
  if (detector_.state() == BandwidthUsage::kOverusing) {
    if (acked_bps && rate_control_.time_to_reduce_further(now, *acked_bps)) {
      result.updated = update_estimate(now, acked_bps, result.target_bps);
    } else if (!acked_bps && rate_control_.valid_estimate() &&
               rate_control_.initial_time_to_reduce_further(now)) {
      // Overusing before any throughput was measured: halve, every 200 ms at most.
      rate_control_.set_estimate(rate_control_.latest_estimate() / 2, now);
      result.updated = true;
      result.target_bps = rate_control_.latest_estimate();
    }
  } else if (probe_bps) {
    result.probe = true;
    result.updated = true;
    rate_control_.set_estimate(*probe_bps, now);
    result.target_bps = rate_control_.latest_estimate();
  } else {
    result.updated = update_estimate(now, acked_bps, result.target_bps);
    result.recovered_from_overuse = recovered_from_overuse;
  }
  if (result.updated) prev_bps_ = result.target_bps;
  prev_state_ = detector_.state();
  result.state = prev_state_;
  return result;
}

bool DelayBasedBwe::update_estimate(Timestamp now, std::optional<std::int64_t> acked_bps,
                                    std::int64_t& target_bps) {
  target_bps = rate_control_.update(RateControlInput{detector_.state(), acked_bps}, now);
  return rate_control_.valid_estimate();
}

std::optional<std::int64_t> DelayBasedBwe::latest_estimate() const {
  if (!rate_control_.valid_estimate()) return std::nullopt;
  return rate_control_.latest_estimate();
}

}  // namespace jvb::bwe
