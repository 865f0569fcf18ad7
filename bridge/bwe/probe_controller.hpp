// Decides when to probe the path with a burst above the current estimate (libwebrtc's
// ProbeController, goog_cc/probe_controller.h, with the defaults JVB's port runs with).
//
//  * Start: once the first process tick sets the bitrates, two clusters at 3x and 6x the start
//    rate; while results come back above 70 % of the last probe, another at 2x the new estimate
//    (waiting at most 1 s for each result).
//  * Allocation: when the bridge's wanted bitrate (set_max_total_allocated_bitrate) changes while
//    application-limited and above the estimate, probes at 1x and 2x it (at most 2x the
//    estimate), continuing exponentially if that limit cut them.
//  * Large drop: when the estimate fell under 66 % of what it was and the delay detector then
//    recovered, within 5 s, while or just after (3 s) being application-limited, one probe at
//    85 % of the rate before the drop, at most every 5 s.
//  * Periodic: every 5 s while application-limited, at 2x the estimate, if enabled (JVB does not
//    enable it).
// Every probe is capped at the maximum probing rate (min of the configured maximum and
// max_probe_bps) and, when a wanted bitrate is known, at twice it; a capped probe ends the
// exponential series. No probe is started while the delay detector sees over- or underuse or
// the RTT back-off is active.
//
// Part of one receiver's estimator; not thread-safe. Probes wait in a fixed queue of
// kMaxPending until taken (the oldest is dropped when it overflows).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

#include "bridge/bwe/bwe_types.hpp"

namespace jvb::bwe {

// One probe the send path should make: `bitrate_bps` for at least `min_duration` and
// `min_packets` packets (so at least bitrate x duration bytes), each packet tagged with `id` when
// reported to on_packet_sent.
struct ProbeCluster {
  std::int32_t id = kNotAProbe;
  std::int64_t bitrate_bps = 0;
  std::int32_t min_packets = 0;
  Duration min_duration{};
  Duration min_probe_delta{};  // the spacing libwebrtc's pacer keeps between probe bursts
  Timestamp created{};
  std::int64_t min_bytes() const;
};

// Why the estimate is where it is; some causes forbid probing.
enum class BandwidthLimitedCause : std::uint8_t {
  kLossLimitedIncreasing,
  kLossLimited,
  kDelayBasedLimited,
  kDelayBasedLimitedDelayIncreased,
  kRttBasedBackOffHighRtt,
};

class ProbeController {
 public:
  static constexpr double kFirstExponentialProbeScale = 3.0;
  static constexpr double kSecondExponentialProbeScale = 6.0;
  static constexpr double kFurtherExponentialProbeScale = 2.0;
  static constexpr double kFurtherProbeThreshold = 0.7;
  static constexpr Duration kAlrProbingInterval = std::chrono::seconds(5);
  static constexpr double kAlrProbeScale = 2.0;
  static constexpr double kFirstAllocationProbeScale = 1.0;
  static constexpr double kSecondAllocationProbeScale = 2.0;
  static constexpr double kAllocationProbeLimitByCurrentScale = 2.0;
  static constexpr int kMinProbePackets = 5;
  static constexpr Duration kMinProbeDuration = std::chrono::milliseconds(15);
  static constexpr Duration kMinProbeDelta = std::chrono::milliseconds(2);
  static constexpr double kLossLimitedProbeScale = 1.5;
  static constexpr Duration kMaxWaitingTimeForProbingResult = std::chrono::seconds(1);
  static constexpr double kBitrateDropThreshold = 0.66;
  static constexpr Duration kBitrateDropTimeout = std::chrono::seconds(5);
  static constexpr double kProbeFractionAfterDrop = 0.85;
  static constexpr Duration kAlrEndedTimeout = std::chrono::seconds(3);
  static constexpr Duration kMinTimeBetweenAlrProbes = std::chrono::seconds(5);
  static constexpr double kProbeUncertainty = 0.05;
  static constexpr std::int64_t kDefaultMaxProbingBps = 5'000'000;
  static constexpr std::size_t kMaxPending = 8;

  explicit ProbeController(std::int64_t max_probe_bps = kDefaultMaxProbingBps)
      : max_probe_cap_bps_(max_probe_bps) {}

  // Starts the exponential probes when first called (and the network is available).
  void set_bitrates(std::int64_t min_bps, std::int64_t start_bps, std::int64_t max_bps, Timestamp now);
  void set_network_available(bool available, Timestamp now);
  void set_max_total_allocated_bitrate(std::int64_t bps, Timestamp now);
  void set_estimated_bitrate(std::int64_t bps, BandwidthLimitedCause cause, Timestamp now);
  // The cause alone, when the estimate did not change.
  void set_limited_cause(BandwidthLimitedCause cause) { cause_ = cause; }
  void enable_periodic_alr_probing(bool enable) { periodic_alr_probing_ = enable; }
  void set_alr_start_time(std::optional<Timestamp> start) { alr_start_ = start; }
  void set_alr_end_time(Timestamp end) { alr_end_ = end; }
  // The delay detector recovered after an overuse.
  void request_probe(Timestamp now);
  void process(Timestamp now);

  std::optional<ProbeCluster> take_probe();
  bool has_pending_probe() const { return pending_count_ > 0; }

  bool waiting_for_result() const { return state_ == State::kWaitingForProbingResult; }
  std::int64_t max_probe_bps() const { return max_bitrate_bps_; }
  std::uint64_t clusters_created() const { return clusters_created_; }
  std::uint64_t clusters_dropped() const { return clusters_dropped_; }
  std::uint64_t drop_probes() const { return drop_probes_; }

 private:
  enum class State : std::uint8_t { kInit, kWaitingForProbingResult, kProbingComplete };

  static constexpr std::int64_t kInfinite = std::numeric_limits<std::int64_t>::max();

  void initiate_exponential_probing(Timestamp now);
  // Up to two bitrates per call; returns how many clusters it queued.
  int initiate_probing(Timestamp now, std::int64_t first_bps, std::optional<std::int64_t> second_bps,
                       bool probe_further);
  void push(const ProbeCluster& cluster);

  std::int64_t max_probe_cap_bps_;
  bool network_available_ = false;
  BandwidthLimitedCause cause_ = BandwidthLimitedCause::kDelayBasedLimited;
  State state_ = State::kInit;
  std::int64_t min_bitrate_to_probe_further_bps_ = kInfinite;
  std::optional<Timestamp> time_last_probing_initiated_;
  std::int64_t estimated_bps_ = 0;
  std::int64_t start_bps_ = 0;
  std::int64_t max_bitrate_bps_ = kDefaultMaxProbingBps;
  std::optional<Timestamp> last_bwe_drop_probing_time_;
  std::optional<Timestamp> alr_start_;
  std::optional<Timestamp> alr_end_;
  bool periodic_alr_probing_ = false;
  std::optional<Timestamp> time_of_last_large_drop_;
  std::int64_t bitrate_before_last_large_drop_bps_ = 0;
  std::int64_t max_total_allocated_bps_ = 0;
  std::int32_t next_cluster_id_ = 1;

  std::array<ProbeCluster, kMaxPending> pending_{};
  std::size_t pending_head_ = 0;
  std::size_t pending_count_ = 0;

  std::uint64_t clusters_created_ = 0;
  std::uint64_t clusters_dropped_ = 0;
  std::uint64_t drop_probes_ = 0;
};

}  // namespace jvb::bwe
