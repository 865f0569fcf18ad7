// When, and how much, the bridge pads towards one receiver so that its bandwidth estimate can
// grow: the send path's half of bandwidth probing (the estimator's half is ProbeController).
//
// Two sources of padding, both sent as whatever the caller can send (the bridge: RTX copies of
// packets it recently sent that receiver, RFC 4588), each packet numbered with transport-cc so
// the estimator sees it:
//   - Filling (JVB's BandwidthProbing): every 15 ms, while the allocation would send more than it
//     does (ideal above target) and more than the estimate allows, pad at
//     min(ideal - target, estimate - target): the receiver's link carries the estimate, so the
//     delay-based estimator can find out whether it takes more. Fractions of a packet carry over
//     to the next round; nothing is owed while the condition does not hold.
//   - Probe clusters the estimator asks for (libwebrtc's BitrateProber): a cluster is sent at its
//     bitrate, a burst every min_probe_delta (2 ms), until it has both min_bytes and
//     min_packets. A cluster waits its turn behind the one being sent, and waits (up to 5 s, as
//     libwebrtc's) while the caller has nothing to send it with: the estimator asks for its
//     first probes before any video flows. No filling while a cluster is on.
//
// Pure: time and the estimate passed in, no I/O. One per receiver, on its media worker thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "bridge/bwe/bwe_types.hpp"
#include "bridge/bwe/probe_controller.hpp"
#include "bridge/core/time.hpp"

namespace jvb::bwe {

struct ProbingCounters {
  std::uint64_t padding_packets = 0, padding_bytes = 0;  // filling
  std::uint64_t probe_packets = 0, probe_bytes = 0;      // for probe clusters
  std::uint64_t clusters_started = 0, clusters_completed = 0;
  std::uint64_t clusters_dropped = 0;  // nothing to send them with, queue full, or too old
  std::uint64_t nothing_to_send = 0;   // rounds the caller had no packet for
};

class ProbingPacer {
 public:
  static constexpr Duration kFillInterval = std::chrono::milliseconds(15);
  // A cluster not started this long after it was asked for is stale (libwebrtc's
  // kProbeClusterTimeout); while it waits for something to send, it is retried this often.
  static constexpr Duration kMaxClusterWait = std::chrono::seconds(5);
  static constexpr Duration kUnsendableRetry = std::chrono::milliseconds(20);
  static constexpr std::size_t kMaxQueuedClusters = 4;

  // What the allocation sends (target) and would send without a limit (ideal), bit/s.
  void set_allocation(std::int64_t target_bps, std::int64_t ideal_bps);

  void add_cluster(const ProbeCluster& cluster, Timestamp now);

  // What to send now: at least `bytes` (a cluster: the burst may overshoot by one packet) or at
  // most `bytes` in whole packets (filling), each packet tagged with `cluster_id`.
  struct Burst {
    std::int64_t bytes = 0;
    std::int32_t cluster_id = kNotAProbe;
    bool whole_packets_only = false;
  };
  // Nothing when nothing is due; then next_due() says when to ask again. `estimate_bps` is the
  // current estimate (0: none yet, no filling).
  std::optional<Burst> poll(Timestamp now, std::int64_t estimate_bps);
  // What the caller sent for the burst poll() gave. For filling, no packet may have fit yet:
  // what is owed carries over.
  void on_sent(const Burst& burst, std::int64_t bytes, std::int64_t packets, Timestamp now);
  // The caller had no packet at all to pad with: a cluster not yet started waits, one started
  // is dropped; nothing stays owed for filling.
  void on_unsendable(const Burst& burst, Timestamp now);

  std::optional<Timestamp> next_due() const;
  bool probing() const { return active_.has_value(); }
  const ProbingCounters& counters() const { return counters_; }

 private:
  struct ActiveCluster {
    ProbeCluster cluster;
    Timestamp started{};
    std::int64_t bytes_sent = 0;
    std::int64_t packets_sent = 0;
    Timestamp next_burst{};
  };
  void start_next_cluster(Timestamp now);

  std::int64_t target_bps_ = 0, ideal_bps_ = 0;
  std::array<ProbeCluster, kMaxQueuedClusters> queue_{};
  std::size_t queued_ = 0;
  std::optional<ActiveCluster> active_;
  std::optional<Timestamp> next_fill_;
  double fill_owed_bytes_ = 0;
  ProbingCounters counters_;
};

}  // namespace jvb::bwe
