// The results of a run: totals over every endpoint (packets and bytes each way, loss after and
// before RTX repair, added latency percentiles, RFC 3550 jitter, the video layers sampled
// receivers got, feedback counts, CPU), per-endpoint details for scripts (what each received
// from whom), and the verdict: every endpoint connected, opened its bridge channel, sent media,
// and got audio from every other participant of its conference and, when the scenario makes
// the bridge forward video to it, video from someone.
//
// Pure: endpoint state in, a Report out, text and JSON from it. Control thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tools/loadgen/options.hpp"
#include "tools/loadgen/scenario.hpp"
#include "tools/loadgen/synthetic_endpoint.hpp"

namespace jvb::loadgen {

struct RunInfo {
  const Options* options = nullptr;
  const Plan* plan = nullptr;
  // By plan index; null when the bridge never allocated it (allocation_errors says why).
  std::vector<const SyntheticEndpoint*> endpoints;
  std::vector<bool> channel_open;
  std::vector<std::string> allocation_errors;
  double measured_s = 0;
  double cpu_s = 0;                    // the generator, during the measurement
  std::optional<double> bridge_cpu_s;  // with --bridge-pid
  // Datagrams the kernel dropped for a full receive buffer on this machine (every process: the
  // bridge's media port included) during the measurement, from /proc/net/snmp.
  std::optional<std::uint64_t> udp_receive_buffer_errors;
  std::uint64_t send_failures = 0;  // the generator's sendmmsg refusals (full send buffer)
};

struct LatencySummary {
  std::uint64_t samples = 0;
  std::optional<double> p50_ms, p99_ms, max_ms;
};

struct LayerReport {
  int height = 0;  // 0: before the first keyframe told
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;  // RTP payload
  std::size_t streams = 0;  // sampled (receiver, sender) pairs that ended on this layer
  double kbps = 0;          // all sampled receivers together
};

struct FromReport {
  std::uint64_t audio_packets = 0;
  std::uint64_t video_packets = 0;
};

struct EndpointReport {
  std::string id;
  std::size_t conference = 0;
  bool connected = false;
  bool channel_open = false;
  bool sampled = false;
  std::uint64_t rtp_sent = 0, rtp_received = 0;
  std::int64_t expected = 0, lost = 0;
  std::vector<std::pair<std::string, FromReport>> from;  // by sender id, join order
  std::string error;
};

struct Report {
  double measured_s = 0;
  std::size_t endpoints = 0, connected = 0, channels_open = 0, sampled = 0;
  int sample_every = 1;
  std::uint64_t rtp_sent = 0, rtp_bytes_sent = 0, audio_sent = 0, video_sent = 0, rtx_sent = 0, rtcp_sent = 0;
  std::uint64_t rtp_received = 0, rtp_bytes_received = 0, rtcp_received = 0, decrypted = 0;
  std::int64_t expected = 0, lost = 0, lost_before_repair = 0;
  std::uint64_t repaired = 0, duplicates = 0, reordered = 0;
  double loss_pct = 0, loss_before_repair_pct = 0;
  LatencySummary audio_latency, video_latency;
  std::optional<double> audio_jitter_ms, video_jitter_ms;
  std::vector<LayerReport> layers;
  std::uint64_t plis_received = 0, firs_received = 0, nacks_received = 0, nacks_sent = 0, rtx_unavailable = 0;
  std::uint64_t keyframes_received = 0, tcc_feedback_received = 0, tcc_feedback_sent = 0;
  std::uint64_t unknown_ssrc = 0, malformed = 0;
  std::uint64_t audio_frames_late = 0, video_frames_late = 0;  // the generator was overloaded
  double cpu_s = 0;
  std::optional<double> bridge_cpu_s;
  std::optional<double> bridge_ns_per_received_packet;
  std::optional<std::uint64_t> udp_receive_buffer_errors;
  std::uint64_t send_failures = 0;
  std::vector<EndpointReport> per_endpoint;
  std::vector<std::string> failures;  // empty: the run passed

  bool ok() const { return failures.empty(); }
};

Report make_report(const RunInfo& run);
// Adds what `c` counts on the sending side, with the feedback and RTCP it received, to the
// totals: everything but the media it received and the feedback it sent about that. The Janus
// generator adds its publishers' counters so (their subscribers' are in make_report's totals).
void add_sender_counters(Report& r, const EndpointCounters& c);
std::string format_text(const Report& report, const Options& options);
nlohmann::json to_json(const Report& report, const Options& options);

}  // namespace jvb::loadgen
