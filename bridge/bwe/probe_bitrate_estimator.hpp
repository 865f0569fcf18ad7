// Reads the result of a probe cluster from transport-cc feedback (libwebrtc's
// ProbeBitrateEstimator, goog_cc/probe_bitrate_estimator.h).
//
// Once at least 80 % of a cluster's packets and bytes are acknowledged, its send rate (bytes
// but the last sent, over the send span) and receive rate (bytes but the first received, over
// the receive span) are compared. Spans must be in (0, 1 s] and the receive rate at most twice
// the send rate. The result is the smaller of the two, or 95 % of the receive rate when that is
// under 90 % of the send rate (the probe found the bottleneck).
//
// Part of one receiver's estimator; not thread-safe. Keeps up to kMaxClusters clusters in a
// fixed table (the oldest is evicted), and forgets a cluster 1 s after its last receive.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "bridge/bwe/bwe_types.hpp"

namespace jvb::bwe {

class ProbeBitrateEstimator {
 public:
  static constexpr std::size_t kMaxClusters = 8;
  static constexpr double kMinReceivedProbesRatio = 0.80;
  static constexpr double kMinReceivedBytesRatio = 0.80;
  static constexpr double kMaxValidRatio = 2.0;
  static constexpr double kMinRatioForUnsaturatedLink = 0.9;
  static constexpr double kTargetUtilizationFraction = 0.95;
  static constexpr Duration kMaxClusterHistory = std::chrono::seconds(1);
  static constexpr Duration kMaxProbeInterval = std::chrono::seconds(1);

  // One acknowledged probe packet (probe_cluster_id set, with its cluster's thresholds). Returns
  // the cluster's rate once it can be measured.
  std::optional<std::int64_t> on_probe_packet(const PacketResult& packet);

  // The last result since the previous call, once.
  std::optional<std::int64_t> fetch_and_reset_estimate() {
    auto out = estimate_bps_;
    estimate_bps_.reset();
    return out;
  }

  std::uint64_t results() const { return results_; }
  std::uint64_t invalid() const { return invalid_; }

 private:
  struct Cluster {
    std::int32_t id = kNotAProbe;
    int packets = 0;
    Timestamp first_send = Timestamp::max();
    Timestamp last_send = Timestamp::min();
    Timestamp first_receive = Timestamp::max();
    Timestamp last_receive = Timestamp::min();
    std::int64_t size_last_send = 0;
    std::int64_t size_first_receive = 0;
    std::int64_t size_total = 0;
  };

  Cluster& find_or_add(std::int32_t id);
  void erase_old(Timestamp now);

  std::array<Cluster, kMaxClusters> clusters_{};
  std::optional<std::int64_t> estimate_bps_;
  std::uint64_t results_ = 0;
  std::uint64_t invalid_ = 0;
};

}  // namespace jvb::bwe
