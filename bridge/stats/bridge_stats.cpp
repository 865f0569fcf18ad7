// See bridge_stats.hpp.
#include "bridge/stats/bridge_stats.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

namespace jvb::stats {
namespace {

// Samples are doubles in the text formats.
std::string sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return decimal(value);
}

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }

double fraction(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

// The mean of the endpoints' round trips, in ms (0 when none has one), as rtt_aggregate.
double rtt_aggregate(const WorkerStats& m) {
  return m.endpoints_with_rtt == 0 ? 0.0 : m.rtt_sum_ms / static_cast<double>(m.endpoints_with_rtt);
}

// One metric of /metrics: its name without the prefix (and without _total for counters), its
// help, its kind, and how its value is read. Booleans are 0/1 gauges (true/false in JSON);
// `integral` values are integers in JSON.
enum class Kind { kGauge, kCounter };
struct Metric {
  std::string_view name;
  std::string_view help;
  Kind kind;
  enum class Json { kInteger, kDouble, kBoolean } json;
  std::function<double(const BridgeStats&)> value;
};

const std::vector<Metric>& metrics() {
  using J = Metric::Json;
  auto u = [](std::uint64_t WorkerStats::*f) {
    return [f](const BridgeStats& s) { return static_cast<double>(s.media.*f); };
  };
  auto flag = [](bool ControlState::*f) {
    return [f](const BridgeStats& s) { return s.control.*f ? 1.0 : 0.0; };
  };
  auto count = [](std::uint64_t ControlState::*f) {
    return [f](const BridgeStats& s) { return static_cast<double>(s.control.*f); };
  };
  auto zero = [](const BridgeStats&) { return 0.0; };  // relays: this bridge has none yet
  static const std::vector<Metric> kMetrics = {
      {"conferences", "Current number of conferences.", Kind::kGauge, J::kInteger,
       u(&WorkerStats::conferences)},
      {"current_endpoints", "Current number of endpoints, local and relayed.", Kind::kGauge, J::kInteger,
       u(&WorkerStats::endpoints)},
      {"local_endpoints", "Current number of local endpoints.", Kind::kGauge, J::kInteger,
       u(&WorkerStats::endpoints)},
      {"active_endpoints", "Local endpoints in conferences where someone sends audio or video.", Kind::kGauge,
       J::kInteger, u(&WorkerStats::active_endpoints)},
      {"endpoints_sending_audio", "Endpoints sending audio.", Kind::kGauge, J::kInteger,
       u(&WorkerStats::endpoints_sending_audio)},
      {"endpoints_sending_video", "Endpoints sending video.", Kind::kGauge, J::kInteger,
       u(&WorkerStats::endpoints_sending_video)},
      {"endpoints_recvonly", "Endpoints connected and sending nothing.", Kind::kGauge, J::kInteger,
       u(&WorkerStats::receive_only_endpoints)},
      {"endpoints_inactive", "Endpoints whose media stopped.", Kind::kGauge, J::kInteger,
       u(&WorkerStats::inactive_endpoints)},
      {"endpoints_relayed", "Current number of relayed endpoints.", Kind::kGauge, J::kInteger, zero},
      {"conferences_inactive", "Conferences where nobody sends media.", Kind::kGauge, J::kInteger,
       u(&WorkerStats::inactive_conferences)},
      {"conferences_p2p", "Inactive conferences of two endpoints (peer to peer).", Kind::kGauge, J::kInteger,
       u(&WorkerStats::p2p_conferences)},
      {"current_visitors", "Current number of visitor endpoints.", Kind::kGauge, J::kInteger,
       u(&WorkerStats::visitors)},
      {"endpoints_with_high_outgoing_loss",
       "Endpoints in active conferences losing over 10 % of what they are sent.", Kind::kGauge, J::kInteger,
       u(&WorkerStats::endpoints_with_high_outgoing_loss)},
      {"endpoints_with_suspended_sources",
       "Endpoints whose allocation left out a sending source for lack of bandwidth.", Kind::kGauge,
       J::kInteger, u(&WorkerStats::endpoints_with_suspended_sources)},
      {"endpoints_oversending", "Endpoints sent more than their bandwidth estimate (on-stage oversending).",
       Kind::kGauge, J::kInteger, u(&WorkerStats::endpoints_oversending)},
      {"tcc_unmatched_feedback", "Transport-cc feedback entries naming packets the bridge did not send.",
       Kind::kGauge, J::kInteger, u(&WorkerStats::tcc_unmatched_feedback)},
      {"average_rtt", "The mean of the endpoints' round trip times, in milliseconds.", Kind::kGauge,
       J::kDouble, [](const BridgeStats& s) { return rtt_aggregate(s.media); }},
      {"largest_conference", "Endpoints in the largest conference.", Kind::kGauge, J::kInteger,
       u(&WorkerStats::largest_conference)},
      {"incoming_bitrate", "Incoming RTP bitrate in bits per second.", Kind::kGauge, J::kInteger,
       u(&WorkerStats::incoming_bps)},
      {"outgoing_bitrate", "Outgoing RTP bitrate in bits per second.", Kind::kGauge, J::kInteger,
       u(&WorkerStats::outgoing_bps)},
      {"incoming_packet_rate", "Incoming RTP packets per second.", Kind::kGauge, J::kInteger,
       u(&WorkerStats::incoming_pps)},
      {"outgoing_packet_rate", "Outgoing RTP packets per second.", Kind::kGauge, J::kInteger,
       u(&WorkerStats::outgoing_pps)},
      {"incoming_loss_fraction", "Fraction of incoming RTP packets lost over the last interval.",
       Kind::kGauge, J::kDouble, [](const BridgeStats& s) { return s.incoming_loss; }},
      {"outgoing_loss_fraction", "Fraction of outgoing RTP packets lost, as receivers report it.",
       Kind::kGauge, J::kDouble, [](const BridgeStats& s) { return s.outgoing_loss; }},
      {"loss_fraction", "Fraction of RTP packets lost, both directions.", Kind::kGauge, J::kDouble,
       [](const BridgeStats& s) { return s.overall_loss; }},
      {"stress", "Current stress (load over the load threshold).", Kind::kGauge, J::kDouble,
       [](const BridgeStats& s) { return s.control.stress_level; }},
      {"cpu_steal", "Fraction of CPU time stolen by the hypervisor over the last load sample.", Kind::kGauge,
       J::kDouble, [](const BridgeStats& s) { return s.control.cpu_steal; }},
      {"healthy", "Whether the Videobridge instance is healthy or not.", Kind::kGauge, J::kBoolean,
       flag(&ControlState::healthy)},
      {"graceful_shutdown", "Whether the bridge is in graceful shutdown.", Kind::kGauge, J::kBoolean,
       flag(&ControlState::graceful_shutdown)},
      {"shutting_down", "Whether the bridge is shutting down.", Kind::kGauge, J::kBoolean,
       flag(&ControlState::shutting_down)},
      {"drain_mode", "Whether the bridge is in drain mode.", Kind::kGauge, J::kBoolean,
       flag(&ControlState::drain)},
      {"startup_time", "When the bridge started, in milliseconds since the epoch.", Kind::kGauge, J::kInteger,
       [](const BridgeStats& s) {
         return static_cast<double>(
             std::chrono::duration_cast<std::chrono::milliseconds>(s.control.started.time_since_epoch())
                 .count());
       }},
      {"muc_clients_configured", "XMPP connections configured.", Kind::kGauge, J::kInteger,
       count(&ControlState::muc_clients_configured)},
      {"muc_clients_connected", "XMPP connections connected.", Kind::kGauge, J::kInteger,
       count(&ControlState::muc_clients_connected)},
      // (JVB's name for the number of MUCs configured.)
      {"mucs_connected", "MUCs configured.", Kind::kGauge, J::kInteger,
       count(&ControlState::mucs_configured)},
      {"mucs_joined", "MUCs joined.", Kind::kGauge, J::kInteger, count(&ControlState::mucs_joined)},
      {"thread_count", "Threads of the bridge process.", Kind::kGauge, J::kInteger,
       count(&ControlState::threads)},
      {"conferences_created", "The total number of conferences created on the Videobridge.", Kind::kCounter,
       J::kInteger, u(&WorkerStats::conferences_created)},
      {"conferences_completed", "The total number of conferences completed.", Kind::kCounter, J::kInteger,
       u(&WorkerStats::conferences_completed)},
      {"conference_seconds", "The total duration of completed conferences, in seconds.", Kind::kCounter,
       J::kInteger, u(&WorkerStats::conference_seconds)},
      {"endpoints", "The total number of endpoints created.", Kind::kCounter, J::kInteger,
       u(&WorkerStats::endpoints_created)},
      {"visitors", "The total number of visitor endpoints created.", Kind::kCounter, J::kInteger,
       u(&WorkerStats::visitors_created)},
      {"endpoints_no_message_transport_after_delay",
       "Endpoints without a bridge channel 30 s after their transport connected.", Kind::kCounter,
       J::kInteger, u(&WorkerStats::endpoints_without_message_transport)},
      {"relays_no_message_transport_after_delay",
       "Relays without a bridge channel 30 s after their transport connected.", Kind::kCounter, J::kInteger,
       zero},
      {"video_milliseconds_received", "The time video streams were received, in milliseconds.",
       Kind::kCounter, J::kInteger, u(&WorkerStats::video_milliseconds_received)},
      {"relays", "The total number of relays created.", Kind::kCounter, J::kInteger, zero},
      {"bytes_received", "RTP and RTCP bytes received.", Kind::kCounter, J::kInteger,
       u(&WorkerStats::bytes_received)},
      {"bytes_sent", "RTP and RTCP bytes sent.", Kind::kCounter, J::kInteger, u(&WorkerStats::bytes_sent)},
      {"packets_received", "RTP and RTCP packets received.", Kind::kCounter, J::kInteger,
       u(&WorkerStats::packets_received)},
      {"packets_sent", "RTP and RTCP packets sent.", Kind::kCounter, J::kInteger,
       u(&WorkerStats::packets_sent)},
      {"data_channel_messages_received", "Bridge-channel messages received on data channels.", Kind::kCounter,
       J::kInteger, u(&WorkerStats::data_channel_messages_received)},
      {"data_channel_messages_sent", "Bridge-channel messages sent on data channels.", Kind::kCounter,
       J::kInteger, u(&WorkerStats::data_channel_messages_sent)},
      {"colibri_web_socket_messages_received", "Bridge-channel messages received on colibri-ws.",
       Kind::kCounter, J::kInteger, u(&WorkerStats::colibri_ws_messages_received)},
      {"colibri_web_socket_messages_sent", "Bridge-channel messages sent on colibri-ws.", Kind::kCounter,
       J::kInteger, u(&WorkerStats::colibri_ws_messages_sent)},
      {"ice_succeeded", "Endpoints whose ICE succeeded.", Kind::kCounter, J::kInteger,
       u(&WorkerStats::ice_succeeded)},
      {"ice_succeeded_relayed", "Endpoints whose ICE succeeded through a TURN relay.", Kind::kCounter,
       J::kInteger, u(&WorkerStats::ice_succeeded_relayed)},
      {"ice_failed", "Endpoints whose ICE failed.", Kind::kCounter, J::kInteger, u(&WorkerStats::ice_failed)},
      {"endpoints_ice_failed", "Endpoints whose ICE failed.", Kind::kCounter, J::kInteger,
       u(&WorkerStats::ice_failed)},
      {"endpoints_dtls_failed", "Endpoints whose DTLS failed.", Kind::kCounter, J::kInteger,
       u(&WorkerStats::dtls_failed)},
      {"endpoints_disconnected", "Endpoints whose media stopped.", Kind::kCounter, J::kInteger,
       u(&WorkerStats::endpoints_disconnected)},
      {"endpoints_reconnected", "Endpoints whose media resumed.", Kind::kCounter, J::kInteger,
       u(&WorkerStats::endpoints_reconnected)},
      {"dominant_speaker_changes", "Dominant speaker changes.", Kind::kCounter, J::kInteger,
       u(&WorkerStats::dominant_speaker_changes)},
      {"keyframes_received", "Video keyframes received.", Kind::kCounter, J::kInteger,
       u(&WorkerStats::keyframes_received)},
  };
  return kMetrics;
}

constexpr std::string_view kPrefix = "jitsi_jvb_";
constexpr int kSizeBuckets = 21;  // conferences_by_size: le 0 .. 20, then +Inf

// OpenMetrics and text 0.0.4 differ only in counters' family names, the info metric and the
// terminating # EOF.
std::string render_text(const BridgeStats& s, bool open_metrics) {
  std::string out;
  for (const Metric& m : metrics()) {
    const bool counter = m.kind == Kind::kCounter;
    std::string family = fmt::format("{}{}{}", kPrefix, m.name, counter && !open_metrics ? "_total" : "");
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n{}{} {}\n", family, m.help, family,
                   counter ? "counter" : "gauge", family, counter && open_metrics ? "_total" : "",
                   sample_value(m.value(s)));
  }
  std::string family = fmt::format("{}conferences_by_size", kPrefix);
  fmt::format_to(std::back_inserter(out),
                 "# HELP {} Conferences by number of endpoints.\n# TYPE {} histogram\n", family, family);
  std::uint64_t sum = 0;
  for (int le = 0; le < kSizeBuckets; ++le) {
    auto n = std::count_if(s.media.conference_sizes.begin(), s.media.conference_sizes.end(),
                           [le](std::uint32_t size) { return size <= static_cast<std::uint32_t>(le); });
    fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"{}\"}} {}\n", family, sample_value(le),
                   sample_value(static_cast<double>(n)));
  }
  for (auto size : s.media.conference_sizes) sum += size;
  const double total = static_cast<double>(s.media.conference_sizes.size());
  fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"+Inf\"}} {}\n{}_count {}\n{}_sum {}\n", family,
                 sample_value(total), family, sample_value(total), family,
                 sample_value(static_cast<double>(sum)));
  if (s.control.region) {
    std::string region;  // a label value escapes backslashes, quotes and line feeds
    for (char c : *s.control.region) {
      if (c == '\n') {
        region += "\\n";
        continue;
      }
      if (c == '\\' || c == '"') region += '\\';
      region += c;
    }
    if (open_metrics) {
      fmt::format_to(std::back_inserter(out),
                     "# HELP {0}region The bridge's region.\n# TYPE {0}region info\n", kPrefix);
    } else {
      fmt::format_to(std::back_inserter(out),
                     "# HELP {0}region_info The bridge's region.\n# TYPE {0}region_info gauge\n", kPrefix);
    }
    fmt::format_to(std::back_inserter(out), "{}region_info{{region=\"{}\"}} 1{}\n", kPrefix, region,
                   open_metrics ? "" : ".0");
  }
  if (open_metrics) out += "# EOF\n";
  return out;
}

std::string render_json(const BridgeStats& s) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const Metric& m : metrics()) {
    std::string key = std::string(m.name) + (m.kind == Kind::kCounter ? "_total" : "");
    double v = m.value(s);
    switch (m.json) {
      case Metric::Json::kBoolean:
        out[key] = v != 0;
        break;
      case Metric::Json::kInteger:
        out[key] = static_cast<std::int64_t>(v);
        break;
      case Metric::Json::kDouble:
        out[key] = v;
        break;
    }
  }
  nlohmann::ordered_json sizes = nlohmann::ordered_json::object();
  std::uint64_t sum = 0;
  for (int le = 0; le < kSizeBuckets; ++le) {
    auto n = std::count_if(s.media.conference_sizes.begin(), s.media.conference_sizes.end(),
                           [le](std::uint32_t size) { return size <= static_cast<std::uint32_t>(le); });
    sizes["bucket_le_" + sample_value(le)] = static_cast<double>(n);
  }
  for (auto size : s.media.conference_sizes) sum += size;
  sizes["bucket_le_+Inf"] = static_cast<double>(s.media.conference_sizes.size());
  sizes["count"] = static_cast<double>(s.media.conference_sizes.size());
  sizes["sum"] = static_cast<double>(sum);
  out["conferences_by_size"] = std::move(sizes);
  if (s.control.region) out["region"] = *s.control.region;
  return out.dump();
}

}  // namespace

std::string decimal(double value) {
  std::string out = fmt::format("{}", value);
  // fmt writes whole numbers without a fraction ("3"); Java's Double.toString, whose output
  // JVB's consumers are used to, writes "3.0". Either parses.
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

std::string utc_timestamp(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  // floor, not truncation toward zero, so that instants before 1970 land on the right day.
  const auto ms = floor<milliseconds>(time);
  const auto day = floor<days>(ms);
  const year_month_day date{day};
  const hh_mm_ss clock{ms - day};
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count(),
                     clock.subseconds().count());
}

void WorkerStats::add(const WorkerStats& o) {
  conferences += o.conferences;
  endpoints += o.endpoints;
  largest_conference = std::max(largest_conference, o.largest_conference);
  inactive_conferences += o.inactive_conferences;
  active_endpoints += o.active_endpoints;
  endpoints_sending_audio += o.endpoints_sending_audio;
  endpoints_sending_video += o.endpoints_sending_video;
  receive_only_endpoints += o.receive_only_endpoints;
  inactive_endpoints += o.inactive_endpoints;
  p2p_conferences += o.p2p_conferences;
  visitors += o.visitors;
  endpoints_with_high_outgoing_loss += o.endpoints_with_high_outgoing_loss;
  endpoints_with_suspended_sources += o.endpoints_with_suspended_sources;
  endpoints_oversending += o.endpoints_oversending;
  tcc_unmatched_feedback += o.tcc_unmatched_feedback;
  rtt_sum_ms += o.rtt_sum_ms;
  endpoints_with_rtt += o.endpoints_with_rtt;
  incoming_bps += o.incoming_bps;
  outgoing_bps += o.outgoing_bps;
  incoming_pps += o.incoming_pps;
  outgoing_pps += o.outgoing_pps;
  conference_sizes.insert(conference_sizes.end(), o.conference_sizes.begin(), o.conference_sizes.end());
  conferences_created += o.conferences_created;
  conferences_completed += o.conferences_completed;
  conference_seconds += o.conference_seconds;
  endpoints_created += o.endpoints_created;
  visitors_created += o.visitors_created;
  endpoints_without_message_transport += o.endpoints_without_message_transport;
  video_milliseconds_received += o.video_milliseconds_received;
  bytes_received += o.bytes_received;
  bytes_sent += o.bytes_sent;
  packets_received += o.packets_received;
  packets_sent += o.packets_sent;
  incoming_expected += o.incoming_expected;
  incoming_lost += o.incoming_lost;
  outgoing_loss_sum += o.outgoing_loss_sum;
  outgoing_loss_reports += o.outgoing_loss_reports;
  keyframes_received += o.keyframes_received;
  dominant_speaker_changes += o.dominant_speaker_changes;
  data_channel_messages_received += o.data_channel_messages_received;
  data_channel_messages_sent += o.data_channel_messages_sent;
  colibri_ws_messages_received += o.colibri_ws_messages_received;
  colibri_ws_messages_sent += o.colibri_ws_messages_sent;
  ice_succeeded += o.ice_succeeded;
  ice_succeeded_relayed += o.ice_succeeded_relayed;
  ice_failed += o.ice_failed;
  dtls_failed += o.dtls_failed;
  endpoints_disconnected += o.endpoints_disconnected;
  endpoints_reconnected += o.endpoints_reconnected;
}

const BridgeStats& StatsAggregator::update(const std::vector<WorkerStats>& workers, ControlState control) {
  WorkerStats sum;
  for (const auto& w : workers) sum.add(w);
  // Counters only grow (workers live as long as the process), so the differences are this
  // interval's.
  auto delta = [](std::uint64_t now, std::uint64_t before) { return now >= before ? now - before : 0; };
  const std::uint64_t expected = delta(sum.incoming_expected, previous_.incoming_expected);
  const std::uint64_t lost = std::min(delta(sum.incoming_lost, previous_.incoming_lost), expected);
  const std::uint64_t reports = delta(sum.outgoing_loss_reports, previous_.outgoing_loss_reports);
  const double reported = std::max(sum.outgoing_loss_sum - previous_.outgoing_loss_sum, 0.0);
  current_.incoming_loss = fraction(lost, expected);
  current_.outgoing_loss = reports == 0 ? 0.0 : std::min(reported / static_cast<double>(reports), 1.0);
  // Both directions, weighed by packets: what was sent is taken as lost at the reported rate.
  const double sent = static_cast<double>(delta(sum.packets_sent, previous_.packets_sent));
  const double total = static_cast<double>(expected) + sent;
  current_.overall_loss =
      total == 0 ? 0.0 : (static_cast<double>(lost) + current_.outgoing_loss * sent) / total;
  previous_ = sum;
  current_.media = std::move(sum);
  current_.control = std::move(control);
  return current_;
}

std::vector<Stat> colibri_stats(const BridgeStats& s) {
  const WorkerStats& m = s.media;
  const ControlState& c = s.control;
  std::vector<Stat> out = {
      {"incoming_loss", s.incoming_loss},
      {"outgoing_loss", s.outgoing_loss},
      {"overall_loss", s.overall_loss},
      {"local_active_endpoints", i64(m.active_endpoints)},
      {"bit_rate_download", i64(m.incoming_bps / 1000)},
      {"bit_rate_upload", i64(m.outgoing_bps / 1000)},
      {"packet_rate_download", i64(m.incoming_pps)},
      {"packet_rate_upload", i64(m.outgoing_pps)},
      {"octo_conferences", std::int64_t{0}},
      {"inactive_conferences", i64(m.inactive_conferences)},
      {"endpoints", i64(m.endpoints)},
      {"participants", i64(m.endpoints)},
      {"receive_only_endpoints", i64(m.receive_only_endpoints)},
      {"inactive_endpoints", i64(m.inactive_endpoints)},
      {"octo_endpoints", std::int64_t{0}},
      {"endpoints_sending_audio", i64(m.endpoints_sending_audio)},
      {"endpoints_sending_video", i64(m.endpoints_sending_video)},
      {"largest_conference", i64(m.largest_conference)},
      {"p2p_conferences", i64(m.p2p_conferences)},
      {"endpoints_with_high_outgoing_loss", i64(m.endpoints_with_high_outgoing_loss)},
      {"rtt_aggregate", rtt_aggregate(m)},
      {"endpoints_with_suspended_sources", i64(m.endpoints_with_suspended_sources)},
      {"num_eps_oversending", i64(m.endpoints_oversending)},
      {"tcc_unmatched_feedback", i64(m.tcc_unmatched_feedback)},
      {"octo_receive_bitrate", std::int64_t{0}},
      {"octo_receive_packet_rate", std::int64_t{0}},
      {"octo_send_bitrate", std::int64_t{0}},
      {"octo_send_packet_rate", std::int64_t{0}},
      {"total_conferences_created", i64(m.conferences_created)},
      {"total_conferences_completed", i64(m.conferences_completed)},
      {"total_conference_seconds", i64(m.conference_seconds)},
      {"total_participants", i64(m.endpoints_created)},
      {"total_visitors", i64(m.visitors_created)},
      {"visitors", i64(m.visitors)},
      {"num_eps_no_msg_transport_after_delay", i64(m.endpoints_without_message_transport)},
      {"num_relays_no_msg_transport_after_delay", std::int64_t{0}},
      {"total_video_stream_milliseconds_received", i64(m.video_milliseconds_received)},
      {"total_relays", std::int64_t{0}},
      {"total_keyframes_received", i64(m.keyframes_received)},
      {"stress_level", c.stress_level},
      {"conferences", i64(m.conferences)},
      {"local_endpoints", i64(m.endpoints)},
      {"total_data_channel_messages_received", i64(m.data_channel_messages_received)},
      {"total_data_channel_messages_sent", i64(m.data_channel_messages_sent)},
      {"total_colibri_web_socket_messages_received", i64(m.colibri_ws_messages_received)},
      {"total_colibri_web_socket_messages_sent", i64(m.colibri_ws_messages_sent)},
      {"total_bytes_received", i64(m.bytes_received)},
      {"endpoints_ice_failed", i64(m.ice_failed)},
      {"dtls_failed_endpoints", i64(m.dtls_failed)},
      {"relays_ice_failed", std::int64_t{0}},
      {"dtls_failed_relays", std::int64_t{0}},
      {"total_bytes_sent", i64(m.bytes_sent)},
      {"total_packets_received", i64(m.packets_received)},
      {"total_packets_sent", i64(m.packets_sent)},
      {"total_bytes_received_octo", std::int64_t{0}},
      {"total_bytes_sent_octo", std::int64_t{0}},
      {"total_packets_received_octo", std::int64_t{0}},
      {"total_packets_sent_octo", std::int64_t{0}},
      {"total_dominant_speaker_changes", i64(m.dominant_speaker_changes)},
      {"total_ice_failed", i64(m.ice_failed)},
      {"total_ice_succeeded", i64(m.ice_succeeded)},
      {"total_ice_succeeded_relayed", i64(m.ice_succeeded_relayed)},
      {"average_participant_stress", c.average_participant_stress},
      {"threads", i64(c.threads)},
      {"graceful_shutdown", c.graceful_shutdown},
      {"shutting_down", c.shutting_down},
      {"drain", c.drain},
      {"current_timestamp", utc_timestamp(c.now)},
      {"muc_clients_configured", i64(c.muc_clients_configured)},
      {"muc_clients_connected", i64(c.muc_clients_connected)},
      {"mucs_configured", i64(c.mucs_configured)},
      {"mucs_joined", i64(c.mucs_joined)},
      {"healthy", c.healthy},
      {"endpoints_disconnected", i64(m.endpoints_disconnected)},
      {"endpoints_reconnected", i64(m.endpoints_reconnected)},
      {"version", c.version},
  };
  if (c.release) out.push_back({"release", *c.release});
  if (c.region) out.push_back({"region", *c.region});
  if (c.relay_id) out.push_back({"relay_id", *c.relay_id});
  return out;
}

nlohmann::json colibri_stats_json(const BridgeStats& stats) {
  nlohmann::json out = nlohmann::json::object();
  for (auto& [name, value] : colibri_stats(stats)) {
    std::visit([&, &key = name](const auto& v) { out[key] = v; }, value);
  }
  return out;
}

std::optional<MetricsFormat> choose_metrics_format(std::optional<std::string_view> accept) {
  if (!accept) return MetricsFormat::kPrometheusText;
  struct Entry {
    std::string type;
    double q = 1;
  };
  std::vector<Entry> entries;
  bool named = false;
  std::string_view rest = *accept;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    Entry e;
    auto semicolon = item.find(';');
    std::string_view type = item.substr(0, semicolon);
    while (!type.empty() && type.front() == ' ') type.remove_prefix(1);
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    if (type.empty()) continue;
    for (char ch : type) e.type += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string_view params =
        semicolon == std::string_view::npos ? std::string_view{} : item.substr(semicolon);
    if (auto q = params.find("q="); q != std::string_view::npos) {
      std::string value(params.substr(q + 2, params.find(';', q) - q - 2));
      char* end = nullptr;
      double parsed = std::strtod(value.c_str(), &end);
      if (end != value.c_str()) e.q = parsed;
    }
    named = true;
    if (e.q > 0) entries.push_back(std::move(e));
  }
  if (!named) return MetricsFormat::kOpenMetrics;  // an empty list
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.q > b.q; });
  for (const auto& e : entries) {
    if (e.type == "application/openmetrics-text") return MetricsFormat::kOpenMetrics;
    if (e.type == "text/plain" || e.type == "text/*") return MetricsFormat::kPrometheusText;
    if (e.type == "application/json") return MetricsFormat::kJson;
    if (e.type == "*/*" || e.type == "application/*") return MetricsFormat::kOpenMetrics;
  }
  return std::nullopt;
}

std::string_view content_type(MetricsFormat format) {
  switch (format) {
    case MetricsFormat::kPrometheusText:
      return "text/plain; version=0.0.4; charset=utf-8";
    case MetricsFormat::kOpenMetrics:
      return "application/openmetrics-text; version=1.0.0; charset=utf-8";
    case MetricsFormat::kJson:
      return "application/json";
  }
  return "text/plain";
}

std::string render_metrics(const BridgeStats& stats, MetricsFormat format) {
  switch (format) {
    case MetricsFormat::kPrometheusText:
      return render_text(stats, false);
    case MetricsFormat::kOpenMetrics:
      return render_text(stats, true);
    case MetricsFormat::kJson:
      return render_json(stats);
  }
  return {};
}

}  // namespace jvb::stats
