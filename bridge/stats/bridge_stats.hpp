// The bridge's statistics as JVB publishes them: one record, and the forms it is read in.
//  * /colibri/stats and the stats of the brewery presence: JVB's key set, JSON types and units
//    (jitsi-videobridge's VideobridgeStatisticsShim.kt: bit rates in kbit/s, loss as a fraction,
//    current_timestamp as UTC "yyyy-MM-dd HH:mm:ss.SSS");
//  * /metrics: the same figures under JVB's `jitsi_jvb_` metric names (its metrics/*.kt and
//    jicoco-metrics), in Prometheus text 0.0.4, OpenMetrics 1.0.0 or a flat JSON object, chosen
//    from the request's Accept header as JVB's MetricsHandler chooses.
//
// The media workers measure (WorkerStats: gauges now, counters since the worker started); the
// control thread sums them once per videobridge.stats.interval with its own state (health,
// shutdown, XMPP) into a BridgeStats, which every reader then sees until the next update. Loss
// is a fraction over the last interval, from the counters' differences.
//
// Pure: no clock, no threads; the caller passes times and figures in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace jvb::stats {

// What one media worker measured.
struct WorkerStats {
  // Gauges, now.
  std::uint64_t conferences = 0, endpoints = 0;
  std::uint64_t largest_conference = 0;
  std::uint64_t inactive_conferences = 0;     // nobody in it sends media
  std::uint64_t active_endpoints = 0;         // in conferences where somebody sends media
  std::uint64_t endpoints_sending_audio = 0;  // RTP of that kind within the router's window
  std::uint64_t endpoints_sending_video = 0;
  std::uint64_t receive_only_endpoints = 0;  // connected, sending nothing
  std::uint64_t inactive_endpoints = 0;      // announced inactive (media stopped)
  std::uint64_t p2p_conferences = 0;         // inactive with two endpoints
  std::uint64_t visitors = 0;                // endpoints that joined as visitors
  // Endpoints in active conferences whose reports said they lost over 10 % of what they were sent.
  std::uint64_t endpoints_with_high_outgoing_loss = 0;
  // Receivers whose allocation left out a source that is sending, for lack of bandwidth; and
  // those whose allocation adds up to more than their bandwidth (the on-stage oversending).
  std::uint64_t endpoints_with_suspended_sources = 0, endpoints_oversending = 0;
  // Transport-cc feedback entries of the current receivers naming packets never sent (or forgotten).
  std::uint64_t tcc_unmatched_feedback = 0;
  // The endpoints' latest round trips (rtt_aggregate is their mean).
  double rtt_sum_ms = 0;
  std::uint64_t endpoints_with_rtt = 0;
  std::uint64_t incoming_bps = 0, outgoing_bps = 0, incoming_pps = 0, outgoing_pps = 0;
  std::vector<std::uint32_t> conference_sizes;  // endpoints of each conference

  // Counters, since the worker started.
  std::uint64_t conferences_created = 0, conferences_completed = 0, conference_seconds = 0;
  std::uint64_t endpoints_created = 0, visitors_created = 0;
  // Endpoints whose bridge channel was not open 30 s after their transport connected.
  std::uint64_t endpoints_without_message_transport = 0;
  std::uint64_t video_milliseconds_received = 0;
  std::uint64_t bytes_received = 0, bytes_sent = 0, packets_received = 0, packets_sent = 0;
  // Loss: what senders' streams should have delivered and lost (RFC 3550 A.3), and the fraction
  // lost receivers reported for what the bridge sent them (sum of RR fractions, and how many).
  std::uint64_t incoming_expected = 0, incoming_lost = 0;
  double outgoing_loss_sum = 0;
  std::uint64_t outgoing_loss_reports = 0;
  std::uint64_t keyframes_received = 0;
  std::uint64_t dominant_speaker_changes = 0;
  std::uint64_t data_channel_messages_received = 0, data_channel_messages_sent = 0;
  std::uint64_t colibri_ws_messages_received = 0, colibri_ws_messages_sent = 0;
  std::uint64_t ice_succeeded = 0, ice_succeeded_relayed = 0, ice_failed = 0, dtls_failed = 0;
  std::uint64_t endpoints_disconnected = 0, endpoints_reconnected = 0;

  // Adds `other` to this (gauges and counters alike; sizes are appended).
  void add(const WorkerStats& other);
};

// What only the control thread knows.
struct ControlState {
  double stress_level = 0;
  double average_participant_stress = 0;
  double cpu_steal = 0;  // fraction of the host's CPU time stolen over the last load sample
  bool healthy = true, graceful_shutdown = false, shutting_down = false, drain = false;
  std::uint64_t muc_clients_configured = 0, muc_clients_connected = 0, mucs_configured = 0, mucs_joined = 0;
  std::string version;
  std::optional<std::string> release, region, relay_id;
  std::uint64_t threads = 0;
  std::chrono::system_clock::time_point now;  // current_timestamp
  std::chrono::system_clock::time_point started;
};

struct BridgeStats {
  WorkerStats media;  // every worker's, summed
  ControlState control;
  // Over the last interval: 0 when nothing was expected.
  double incoming_loss = 0, outgoing_loss = 0, overall_loss = 0;
};

// Sums the workers' figures and computes the interval's loss against the previous update.
class StatsAggregator {
 public:
  const BridgeStats& update(const std::vector<WorkerStats>& workers, ControlState control);
  const BridgeStats& current() const { return current_; }

 private:
  BridgeStats current_;
  WorkerStats previous_;
};

// One key of /colibri/stats and the presence, with its JSON type.
using StatValue = std::variant<bool, std::int64_t, double, std::string>;
struct Stat {
  std::string name;
  StatValue value;
};
// JVB's key set, in one fixed order; release, region and relay_id only when set.
std::vector<Stat> colibri_stats(const BridgeStats& stats);
nlohmann::json colibri_stats_json(const BridgeStats& stats);

// A finite double in the shortest decimal that reads back as the same double, whole numbers
// with ".0" as Java writes them: "0.0", "0.046875", "1e-05".
std::string decimal(double value);
// "2026-08-19 14:02:11.473": UTC, milliseconds truncated, as JVB's SimpleDateFormat writes it.
std::string utc_timestamp(std::chrono::system_clock::time_point time);

// /metrics.
enum class MetricsFormat { kPrometheusText, kOpenMetrics, kJson };
// The format for an Accept header (nullopt: no header at all), or nullopt when it names only
// types /metrics cannot give (answered 406).
std::optional<MetricsFormat> choose_metrics_format(std::optional<std::string_view> accept);
std::string_view content_type(MetricsFormat format);
std::string render_metrics(const BridgeStats& stats, MetricsFormat format);

}  // namespace jvb::stats
