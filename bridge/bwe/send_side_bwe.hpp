// The bridge's estimate of the bandwidth towards one receiver, from that receiver's
// transport-cc feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01): send-side
// bandwidth estimation as libwebrtc's GoogCC network controller
// (modules/congestion_controller/goog_cc/goog_cc_network_control.h) does it, with the
// defaults JVB's "GoogleCc2" engine runs it with (start 2.5 Mbit/s, min 30 kbit/s, max
// 20 Mbit/s, a process tick every 25 ms).
//
// The parts, each in its own file: SendHistory (send times, matching feedback), the delay-based
// estimate (InterArrivalDelta -> TrendlineEstimator -> AimdRateControl), the acknowledged
// bitrate, the loss- and RTT-limited target (LossBasedBwe, classic loss rules from receiver
// reports), ProbeController with ProbeBitrateEstimator, and AlrDetector. What differs from
// libwebrtc and JVB is listed in bridge/bwe/README.md.
//
// Inputs: every packet sent with a transport-wide sequence number (media, RTX, padding, probes),
// every transport-cc feedback from the receiver, RTT samples, loss from its receiver reports,
// the bitrate the allocation would like (for probing), and on_process() every 25 ms. Outputs:
// target_bitrate() (changes at most once per input) and probe requests, which the send path
// turns into padding at the requested rate, tagging each probe packet with the cluster id.
//
// Time is passed in. Time that goes backwards is treated as the latest time seen (counted).
// Feedback that cannot be matched is counted and skipped; nothing here throws on input.
//
// One instance per receiver, owned and called by that receiver's media worker thread only; no
// callbacks. Fixed-size state, allocated at construction: about 300 KB with the default
// history_capacity (24 bytes per history slot, ~100 KB of per-feedback results, ~12 KB for the
// robust throughput window); nothing is allocated per packet or per feedback.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "bridge/bwe/acknowledged_bitrate.hpp"
#include "bridge/bwe/aimd_rate_control.hpp"
#include "bridge/bwe/alr_detector.hpp"
#include "bridge/bwe/bwe_types.hpp"
#include "bridge/bwe/delay_based_bwe.hpp"
#include "bridge/bwe/loss_based_bwe.hpp"
#include "bridge/bwe/probe_bitrate_estimator.hpp"
#include "bridge/bwe/probe_controller.hpp"
#include "bridge/bwe/send_history.hpp"
#include "bridge/core/time.hpp"
#include "bridge/rtcp/transport_cc.hpp"

namespace jvb::bwe {

struct BweConfig {
  std::int64_t start_bps = 2'500'000;
  std::int64_t min_bps = 30'000;
  std::int64_t max_bps = 20'000'000;
  // Probes never go above min(max_bps, max_probe_bps).
  std::int64_t max_probe_bps = ProbeController::kDefaultMaxProbingBps;
  // Probe at 2x the estimate every 5 s while application-limited (off in JVB).
  bool periodic_alr_probing = false;
  // The acknowledged bitrate from RobustThroughputEstimator (libwebrtc's and JVB's default) or
  // from the Bayesian AcknowledgedBitrateEstimator.
  bool robust_throughput = true;
  std::size_t history_capacity = SendHistory::kDefaultCapacity;
};

struct BweCounters {
  std::uint64_t packets_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t probe_packets_sent = 0;
  std::uint64_t probe_packets_unknown_cluster = 0;  // tagged with an id never handed out
  std::uint64_t feedbacks = 0;
  std::uint64_t feedback_packets_received = 0;
  std::uint64_t feedback_packets_lost = 0;
  std::uint64_t unmatched_feedback = 0;  // JVB's tcc_unmatched_feedback
  std::uint64_t feedback_results_dropped = 0;
  std::uint64_t feedback_reference_resets = 0;
  std::uint64_t feedback_nothing_matched = 0;
  std::uint64_t rtt_updates = 0;
  std::uint64_t rtt_rejected = 0;
  std::uint64_t loss_reports = 0;
  std::uint64_t loss_reports_rejected = 0;
  std::uint64_t time_went_backwards = 0;
  std::uint64_t overuse_events = 0;
  std::uint64_t inter_arrival_resets = 0;
  std::uint64_t stream_restarts = 0;
  std::uint64_t probe_clusters_requested = 0;
  std::uint64_t probe_clusters_dropped = 0;
  std::uint64_t probe_results = 0;
  std::uint64_t probe_results_invalid = 0;
  std::uint64_t probes_after_drop = 0;
  std::uint64_t loss_decreases = 0;
  std::uint64_t rtt_backoffs = 0;
  std::uint64_t target_updates = 0;
};

// The estimator's state, for /debug.
struct BweSnapshot {
  std::int64_t target_bps = 0;
  std::int64_t delay_based_bps = 0;
  std::optional<std::int64_t> acknowledged_bps;
  std::optional<std::int64_t> link_capacity_bps;
  double loss_fraction = 0;  // of the last receiver reports, 0..1
  Duration rtt{};
  double trend = 0;
  double modified_trend = 0;
  double threshold = 0;
  BandwidthUsage detector_state = BandwidthUsage::kNormal;
  AimdRateControl::State rate_control_state = AimdRateControl::State::kHold;
  bool in_alr = false;
  bool waiting_for_probe_result = false;
};

class SendSideBandwidthEstimator {
 public:
  static constexpr Duration kProcessInterval = std::chrono::milliseconds(25);
  // Below this, a probe result is considered implausible against the acknowledged rate.
  static constexpr double kProbeDropThroughputFraction = 0.85;

  explicit SendSideBandwidthEstimator(const BweConfig& config = {});

  // A packet carrying transport-wide sequence number `transport_seq` left at `now`.
  // `probe_cluster_id` is the id of the ProbeCluster it was sent for, or kNotAProbe.
  void on_packet_sent(std::uint16_t transport_seq, std::int64_t size_bytes, Timestamp now,
                      std::int32_t probe_cluster_id = kNotAProbe);

  // A transport-cc feedback from the receiver, arrived at `now`.
  void on_feedback(const rtcp::TransportFeedback& feedback, Timestamp now);
  // The same, from statuses and the feedback's reference time (see SendHistory).
  void on_feedback(std::span<const rtcp::TccPacketStatus> statuses, std::chrono::microseconds reference_time,
                   Timestamp now);

  // A round-trip time sample (from RTCP SR/RR); non-positive samples are refused (counted).
  void on_rtt(Duration rtt, Timestamp now);

  // From the receiver's reports: `lost` of `expected` packets since its previous report, summed
  // over its SSRCs. Refused (counted) unless at least one packet was received.
  void on_receiver_loss(std::int64_t lost, std::int64_t expected, Timestamp now);

  // Every kProcessInterval.
  void on_process(Timestamp now);

  // What the allocation would send with unlimited bandwidth; probes aim at (and stop at twice)
  // it. 0 means unknown.
  void set_desired_bitrate(std::int64_t bps, Timestamp now);

  // The estimate, bits per second.
  std::int64_t target_bitrate() const { return target_bps_; }
  // Incremented whenever target_bitrate() or the loss or RTT behind it changed.
  std::uint64_t target_updates() const { return target_updates_; }

  // The next probe cluster to send, oldest first.
  std::optional<ProbeCluster> take_probe_request();

  std::uint64_t unmatched_feedback() const { return history_.counters().unmatched; }
  BweCounters counters() const;
  BweSnapshot snapshot() const;

  const BweConfig& config() const { return config_; }

 private:
  struct IssuedCluster {
    std::int32_t id = kNotAProbe;
    std::int32_t min_packets = 0;
    std::int64_t min_bytes = 0;
  };
  static constexpr std::size_t kIssuedClusters = 16;

  Timestamp monotonic(Timestamp now);
  void ensure_started(Timestamp now);
  void process_feedback(FeedbackReport report, Timestamp now);
  void maybe_publish(Timestamp now, bool force = false);
  BandwidthLimitedCause limited_cause() const;
  std::optional<std::int64_t> acknowledged_bps() const;
  const IssuedCluster* find_issued(std::int32_t id) const;

  BweConfig config_;
  SendHistory history_;
  DelayBasedBwe delay_based_;
  AcknowledgedBitrateEstimator acknowledged_;
  RobustThroughputEstimator robust_;
  ProbeBitrateEstimator probe_estimator_;
  ProbeController probe_controller_;
  LossBasedBwe loss_based_;
  AlrDetector alr_;

  std::optional<Timestamp> last_now_;
  bool started_ = false;
  bool first_packet_sent_ = false;
  bool previously_in_alr_ = false;

  std::int64_t target_bps_ = 0;
  std::uint8_t published_fraction_loss_ = 0;
  Duration published_rtt_ = Duration::max();
  std::uint64_t target_updates_ = 0;

  std::array<IssuedCluster, kIssuedClusters> issued_{};
  std::size_t issued_next_ = 0;

  std::uint64_t bytes_sent_ = 0;
  std::uint64_t probe_packets_sent_ = 0;
  std::uint64_t probe_packets_unknown_cluster_ = 0;
  std::uint64_t feedback_nothing_matched_ = 0;
  std::uint64_t rtt_updates_ = 0;
  std::uint64_t rtt_rejected_ = 0;
  std::uint64_t loss_reports_ = 0;
  std::uint64_t loss_reports_rejected_ = 0;
  std::uint64_t time_went_backwards_ = 0;
};

}  // namespace jvb::bwe
