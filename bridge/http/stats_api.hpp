// The statistics on the private server: GET /colibri/stats (part of JVB's COLIBRI API, so only
// with videobridge.apis.rest.enabled) and GET /metrics (JVB's PROMETHEUS API, on by default;
// rest/prometheus/Prometheus.kt), both read from the bridge's statistics record
// (bridge/stats/bridge_stats.hpp). /metrics answers in the format the Accept header asks for,
// and 406 when it names only formats it cannot give.
#pragma once

#include <functional>

#include "bridge/http/http_server.hpp"
#include "bridge/stats/bridge_stats.hpp"

namespace jvb::http {

struct StatsRoutes {
  bool colibri_stats = false;  // videobridge.apis.rest.enabled
  bool metrics = true;         // videobridge.rest.prometheus.enabled
};

void add_stats_routes(HttpServer& server, StatsRoutes routes, std::function<stats::BridgeStats()> current);

}  // namespace jvb::http
