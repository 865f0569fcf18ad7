// The delay-based estimate (libwebrtc's DelayBasedBwe, goog_cc/delay_based_bwe.h;
// draft-ietf-rmcat-gcc-02 §5): acknowledged packets go through send-time grouping and the
// trendline detector; the detector's state drives the AIMD rate controller once per feedback.
//
// Per feedback: while overusing, the rate drops to 0.85 x the acknowledged bitrate, at most once
// per RTT (or halves every 200 ms before any acknowledged bitrate exists); otherwise a probe
// result, if one completed, replaces the estimate, else the controller increases or holds. The
// grouping and detector restart when no feedback came for 2 s. "Recovered from overuse" (the
// detector went from underuse back to normal) lets the probe controller probe after a drop.
//
// Part of one receiver's estimator; not thread-safe; no allocation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "bridge/bwe/aimd_rate_control.hpp"
#include "bridge/bwe/bwe_types.hpp"
#include "bridge/bwe/inter_arrival.hpp"
#include "bridge/bwe/trendline_estimator.hpp"

namespace jvb::bwe {

class DelayBasedBwe {
 public:
  static constexpr Duration kStreamTimeout = std::chrono::seconds(2);
  static constexpr Duration kSendTimeGroupLength = std::chrono::milliseconds(5);

  struct Result {
    bool updated = false;
    bool probe = false;  // the estimate was set from a probe result
    std::int64_t target_bps = 0;
    bool recovered_from_overuse = false;
    BandwidthUsage state = BandwidthUsage::kNormal;
  };

  // One feedback's received packets, sorted by receive time, with what was measured alongside.
  Result on_feedback(std::span<const PacketResult> sorted_by_receive_time,
                     std::optional<std::int64_t> acked_bps, std::optional<std::int64_t> probe_bps,
                     bool in_alr, Timestamp feedback_time);

  void on_rtt(Duration rtt) { rate_control_.set_rtt(rtt); }
  void set_start_bitrate(std::int64_t bps) { rate_control_.set_start_bitrate(bps); }
  void set_min_bitrate(std::int64_t bps) { rate_control_.set_min_bitrate(bps); }

  std::optional<std::int64_t> latest_estimate() const;
  std::int64_t last_estimate() const { return prev_bps_; }
  BandwidthUsage last_state() const { return prev_state_; }
  Duration expected_bwe_period() const { return rate_control_.expected_bandwidth_period(); }

  const TrendlineEstimator& detector() const { return detector_; }
  const AimdRateControl& rate_control() const { return rate_control_; }
  const InterArrivalDelta& inter_arrival() const { return inter_arrival_; }
  std::uint64_t stream_restarts() const { return stream_restarts_; }

 private:
  void on_packet(const PacketResult& packet, Timestamp feedback_time);
  Result maybe_update(std::optional<std::int64_t> acked_bps, std::optional<std::int64_t> probe_bps,
                      bool recovered_from_overuse, Timestamp now);
  bool update_estimate(Timestamp now, std::optional<std::int64_t> acked_bps, std::int64_t& target_bps);

  InterArrivalDelta inter_arrival_{kSendTimeGroupLength};
  TrendlineEstimator detector_;
  AimdRateControl rate_control_;
  std::optional<Timestamp> last_seen_;
  std::int64_t prev_bps_ = 0;
  BandwidthUsage prev_state_ = BandwidthUsage::kNormal;
  std::uint64_t stream_restarts_ = 0;
};

}  // namespace jvb::bwe
