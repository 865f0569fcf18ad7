// Probe cluster results from transport-cc feedback (libwebrtc goog_cc/probe_bitrate_estimator).
#include "bridge/bwe/probe_bitrate_estimator.hpp"

#include <algorithm>
#include <cmath>

namespace jvb::bwe {

ProbeBitrateEstimator::Cluster& ProbeBitrateEstimator::find_or_add(std::int32_t id) {
  Cluster* free_slot = nullptr;
  Cluster* oldest = &clusters_[0];
  for (Cluster& c : clusters_) {
    if (c.id == id) return c;
    if (c.id == kNotAProbe && !free_slot) free_slot = &c;
    if (c.last_receive < oldest->last_receive) oldest = &c;
  }
  Cluster& slot = free_slot ? *free_slot : *oldest;
  slot = Cluster{};
  slot.id = id;
  return slot;
}

void ProbeBitrateEstimator::erase_old(Timestamp now) {
  for (Cluster& c : clusters_) {
    if (c.id != kNotAProbe && c.last_receive != Timestamp::min() &&
        c.last_receive + kMaxClusterHistory < now) {
      c = Cluster{};
    }
  }
}

std::optional<std::int64_t> ProbeBitrateEstimator::on_probe_packet(const PacketResult& packet) {
  if (packet.sent.probe_cluster_id == kNotAProbe) return std::nullopt;
  erase_old(packet.receive_time);
  Cluster& c = find_or_add(packet.sent.probe_cluster_id);
  if (packet.sent.send_time < c.first_send) c.first_send = packet.sent.send_time;
  if (packet.sent.send_time > c.last_send) {
    c.last_send = packet.sent.send_time;
    c.size_last_send = packet.sent.size_bytes;
  }
  if (packet.receive_time < c.first_receive) {
    c.first_receive = packet.receive_time;
    c.size_first_receive = packet.sent.size_bytes;
  }
  if (packet.receive_time > c.last_receive) c.last_receive = packet.receive_time;
  c.size_total += packet.sent.size_bytes;
  ++c.packets;

  if (c.packets < kMinReceivedProbesRatio * packet.sent.probe_min_packets ||
      static_cast<double>(c.size_total) <
          kMinReceivedBytesRatio * static_cast<double>(packet.sent.probe_min_bytes)) {
    return std::nullopt;
  }
  const Duration send_interval = c.last_send - c.first_send;
  const Duration receive_interval = c.last_receive - c.first_receive;
  if (send_interval <= Duration::zero() || send_interval > kMaxProbeInterval ||
      receive_interval <= Duration::zero() || receive_interval > kMaxProbeInterval) {
    ++invalid_;
    return std::nullopt;
  }
  // The last packet's send time marks when it started leaving, and the first packet's receive
  // time when it had fully arrived: neither one's bytes belong inside its span.
  const double send_bps =
      8.0 * static_cast<double>(c.size_total - c.size_last_send) / to_seconds(send_interval);
  const double receive_bps =
      8.0 * static_cast<double>(c.size_total - c.size_first_receive) / to_seconds(receive_interval);
  if (send_bps <= 0 || receive_bps / send_bps > kMaxValidRatio) {
    ++invalid_;
    return std::nullopt;
  }
  double result = std::min(send_bps, receive_bps);
  if (receive_bps < kMinRatioForUnsaturatedLink * send_bps) result = kTargetUtilizationFraction * receive_bps;
  ++results_;
  estimate_bps_ = static_cast<std::int64_t>(std::llround(result));
  return estimate_bps_;
}

}  // namespace jvb::bwe
