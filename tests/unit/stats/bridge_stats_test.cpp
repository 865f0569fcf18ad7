// The bridge's statistics record and its forms: /colibri/stats' keys, JSON types and units as
// JVB's VideobridgeStatisticsShim.kt writes them, the interval's loss, /metrics' format chosen
// from Accept, and the text forms line by line (the interop test parses them with the Prometheus
// client's strict parsers).
#include "bridge/stats/bridge_stats.hpp"

#include <doctest/doctest.h>

#include <map>
#include <regex>
#include <sstream>

namespace jvb::stats {
namespace {

using namespace std::chrono;

BridgeStats example() {
  WorkerStats a, b;
  a.conferences = 2;
  a.endpoints = 7;
  a.largest_conference = 5;
  a.conference_sizes = {5, 2};
  a.incoming_bps = 1'500'000;
  a.outgoing_bps = 4'200'999;
  a.incoming_pps = 300;
  a.conferences_created = 4;
  a.bytes_received = 1000;
  a.rtt_sum_ms = 30;  // one endpoint at 30 ms
  a.endpoints_with_rtt = 1;
  a.visitors = 1;
  a.visitors_created = 2;
  a.video_milliseconds_received = 61'000;
  b.conferences = 1;
  b.rtt_sum_ms = 150;  // two at 70 and 80 ms
  b.endpoints_with_rtt = 2;
  b.p2p_conferences = 1;
  b.endpoints_with_high_outgoing_loss = 1;
  b.endpoints_without_message_transport = 3;
  b.endpoints = 3;
  b.largest_conference = 3;
  b.conference_sizes = {3};
  b.incoming_bps = 500'000;
  b.conferences_created = 1;
  b.ice_succeeded = 3;
  ControlState c;
  c.stress_level = 0.25;
  c.average_participant_stress = 0.01;
  c.healthy = true;
  c.drain = true;
  c.version = "1.2.3";
  c.now = sys_days{year{2026} / 12 / 7} + hours{14} + minutes{3} + seconds{11} + milliseconds{457};
  StatsAggregator aggregator;
  return aggregator.update({a, b}, c);
}

TEST_CASE("/colibri/stats: JVB's keys with their JSON types and units, summed over the workers") {
  auto json = colibri_stats_json(example());
  // Integers.
  for (const char* key : {"endpoints",
                          "participants",
                          "conferences",
                          "local_endpoints",
                          "largest_conference",
                          "bit_rate_download",
                          "bit_rate_upload",
                          "packet_rate_download",
                          "packet_rate_upload",
                          "total_conferences_created",
                          "total_participants",
                          "total_bytes_received",
                          "total_ice_succeeded",
                          "octo_endpoints",
                          "threads",
                          "mucs_joined",
                          "muc_clients_connected",
                          "inactive_conferences",
                          "endpoints_sending_audio",
                          "p2p_conferences",
                          "endpoints_with_high_outgoing_loss",
                          "visitors",
                          "total_visitors",
                          "num_eps_no_msg_transport_after_delay",
                          "num_relays_no_msg_transport_after_delay",
                          "total_video_stream_milliseconds_received",
                          "endpoints_with_suspended_sources",
                          "num_eps_oversending",
                          "tcc_unmatched_feedback"}) {
    INFO(key);
    REQUIRE(json.contains(key));
    CHECK(json[key].is_number_integer());
  }
  // Doubles, booleans, strings.
  for (const char* key : {"stress_level", "average_participant_stress", "incoming_loss", "outgoing_loss",
                          "overall_loss", "rtt_aggregate"}) {
    INFO(key);
    CHECK(json.at(key).is_number_float());
  }
  for (const char* key : {"healthy", "drain", "graceful_shutdown", "shutting_down"})
    CHECK(json.at(key).is_boolean());
  CHECK(json.at("version") == "1.2.3");
  CHECK(json.at("current_timestamp") == "2026-12-07 14:03:11.457");
  // Sums, the largest conference of all, and kbit/s (integer division, as JVB does).
  CHECK(json["conferences"] == 3);
  CHECK(json["endpoints"] == 10);
  CHECK(json["participants"] == 10);
  CHECK(json["largest_conference"] == 5);
  CHECK(json["bit_rate_download"] == 2000);
  CHECK(json["bit_rate_upload"] == 4200);
  CHECK(json["total_conferences_created"] == 5);
  CHECK(json["drain"] == true);
  // The mean round trip over the endpoints that have one, not over the workers.
  CHECK(json["rtt_aggregate"].get<double>() == doctest::Approx(60.0));
  CHECK(json["p2p_conferences"] == 1);
  CHECK(json["endpoints_with_high_outgoing_loss"] == 1);
  CHECK(json["visitors"] == 1);
  CHECK(json["total_visitors"] == 2);
  CHECK(json["num_eps_no_msg_transport_after_delay"] == 3);
  CHECK(json["total_video_stream_milliseconds_received"] == 61'000);
  // Optional strings only when set.
  CHECK_FALSE(json.contains("release"));
  CHECK_FALSE(json.contains("region"));
  CHECK_FALSE(json.contains("relay_id"));
}

TEST_CASE("loss is a fraction over the last interval, from the counters' differences") {
  StatsAggregator aggregator;
  WorkerStats w;
  w.incoming_expected = 1000;
  w.incoming_lost = 10;
  w.packets_sent = 2000;
  w.outgoing_loss_sum = 0.5;  // two reports of 25 %
  w.outgoing_loss_reports = 2;
  auto first = aggregator.update({w}, {});
  CHECK(first.incoming_loss == doctest::Approx(0.01));
  CHECK(first.outgoing_loss == doctest::Approx(0.25));
  CHECK(first.overall_loss == doctest::Approx((10 + 0.25 * 2000) / 3000.0));
  // Next interval: 1000 more expected, none lost; no reports.
  w.incoming_expected = 2000;
  w.packets_sent = 2000;
  auto second = aggregator.update({w}, {});
  CHECK(second.incoming_loss == 0);
  CHECK(second.outgoing_loss == 0);
  CHECK(second.overall_loss == 0);
  // Nothing expected at all: no division by zero.
  auto third = aggregator.update({w}, {});
  CHECK(third.incoming_loss == 0);
}

TEST_CASE("/metrics: the format from the Accept header, as JVB chooses it") {
  using F = MetricsFormat;
  CHECK(choose_metrics_format(std::nullopt) == F::kPrometheusText);
  CHECK(choose_metrics_format("") == F::kOpenMetrics);
  CHECK(choose_metrics_format("*/*") == F::kOpenMetrics);
  CHECK(choose_metrics_format("text/plain") == F::kPrometheusText);
  CHECK(choose_metrics_format("application/json") == F::kJson);
  CHECK(choose_metrics_format("Application/JSON; charset=utf-8") == F::kJson);
  // What Prometheus sends: OpenMetrics first.
  CHECK(choose_metrics_format("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                              "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1") ==
        F::kOpenMetrics);
  // Ordered by q, not by position.
  CHECK(choose_metrics_format("text/plain;q=0.2, application/json;q=0.9") == F::kJson);
  CHECK(choose_metrics_format("text/html, application/json;q=0.1") == F::kJson);
  CHECK_FALSE(choose_metrics_format("text/html"));
  CHECK_FALSE(choose_metrics_format("application/json;q=0"));
}

// Each family: # HELP, # TYPE, then its samples; names are the jitsi_jvb_ ones.
std::map<std::string, std::string> families(const std::string& text) {
  std::map<std::string, std::string> types;
  std::istringstream in(text);
  std::string line;
  const std::regex type_line(R"(# TYPE (jitsi_jvb_[a-z0-9_]+) (gauge|counter|histogram|info))");
  const std::regex sample(
      R"((jitsi_jvb_[a-z0-9_]+)(\{[a-z]+="(?:[^"\\]|\\.)*"\})? (-?[0-9.e+]+|[+-]Inf|NaN))");
  std::smatch m;
  while (std::getline(in, line)) {
    if (line.starts_with("# HELP ") || line == "# EOF") continue;
    if (std::regex_match(line, m, type_line)) {
      types[m[1]] = m[2];
      continue;
    }
    INFO(line);
    CHECK(std::regex_match(line, m, sample));
  }
  return types;
}

TEST_CASE("/metrics in text 0.0.4 and OpenMetrics: JVB's names, counters with _total, the size histogram") {
  BridgeStats s = example();
  s.control.region = "eu \"west\"";
  const std::string text = render_metrics(s, MetricsFormat::kPrometheusText);
  auto types = families(text);
  CHECK(types["jitsi_jvb_conferences"] == "gauge");
  CHECK(types["jitsi_jvb_conferences_created_total"] == "counter");
  CHECK(types["jitsi_jvb_conferences_by_size"] == "histogram");
  CHECK(types["jitsi_jvb_region_info"] == "gauge");
  CHECK(text.find("\njitsi_jvb_conferences 3.0\n") != std::string::npos);
  CHECK(text.find("\njitsi_jvb_healthy 1.0\n") != std::string::npos);
  CHECK(text.find("\njitsi_jvb_stress 0.25\n") != std::string::npos);
  CHECK(text.find("\njitsi_jvb_conferences_created_total 5.0\n") != std::string::npos);
  CHECK(text.find("\njitsi_jvb_average_rtt 60.0\n") != std::string::npos);
  CHECK(text.find("\njitsi_jvb_conferences_p2p 1.0\n") != std::string::npos);
  CHECK(text.find("\njitsi_jvb_visitors_total 2.0\n") != std::string::npos);
  CHECK(text.find("\njitsi_jvb_current_visitors 1.0\n") != std::string::npos);
  CHECK(text.find("\njitsi_jvb_endpoints_no_message_transport_after_delay_total 3.0\n") != std::string::npos);
  CHECK(text.find("\njitsi_jvb_video_milliseconds_received_total 61000.0\n") != std::string::npos);
  // Cumulative buckets: sizes 2, 3 and 5.
  CHECK(text.find("jitsi_jvb_conferences_by_size_bucket{le=\"1.0\"} 0.0\n") != std::string::npos);
  CHECK(text.find("jitsi_jvb_conferences_by_size_bucket{le=\"3.0\"} 2.0\n") != std::string::npos);
  CHECK(text.find("jitsi_jvb_conferences_by_size_bucket{le=\"+Inf\"} 3.0\n") != std::string::npos);
  CHECK(text.find("jitsi_jvb_conferences_by_size_sum 10.0\n") != std::string::npos);
  CHECK(text.find("jitsi_jvb_region_info{region=\"eu \\\"west\\\"\"} 1.0\n") != std::string::npos);
  CHECK(text.find("# EOF") == std::string::npos);

  const std::string om = render_metrics(s, MetricsFormat::kOpenMetrics);
  auto om_types = families(om);
  CHECK(om_types["jitsi_jvb_conferences_created"] == "counter");  // the family, without _total
  CHECK(om.find("\njitsi_jvb_conferences_created_total 5.0\n") != std::string::npos);
  CHECK(om_types["jitsi_jvb_region"] == "info");
  CHECK(om.ends_with("# EOF\n"));
}

TEST_CASE("/metrics as JSON: one flat object, counters keep _total, the histogram nested") {
  BridgeStats s = example();
  s.control.region = "eu-west";
  auto json = nlohmann::json::parse(render_metrics(s, MetricsFormat::kJson));
  CHECK(json["conferences"] == 3);
  CHECK(json["conferences_created_total"] == 5);
  CHECK(json["healthy"] == true);
  CHECK(json["stress"] == 0.25);
  CHECK(json["region"] == "eu-west");
  CHECK(json["conferences_by_size"]["bucket_le_3.0"] == 2.0);
  CHECK(json["conferences_by_size"]["bucket_le_+Inf"] == 3.0);
  CHECK(json["conferences_by_size"]["count"] == 3.0);
  CHECK(json["conferences_by_size"]["sum"] == 10.0);
  CHECK_FALSE(json.contains("jitsi_jvb_conferences"));
}

}  // namespace
}  // namespace jvb::stats
