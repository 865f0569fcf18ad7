// See stats_api.hpp.
#include "bridge/http/stats_api.hpp"

namespace jvb::http {

void add_stats_routes(HttpServer& server, StatsRoutes routes, std::function<stats::BridgeStats()> current) {
  if (routes.colibri_stats) {
    server.route("GET", "/colibri/stats", [current](const Request&) {
      return Response{200, "application/json", stats::colibri_stats_json(current()).dump(), {}};
    });
  }
  if (routes.metrics) {
    server.route("GET", "/metrics", [current](const Request& request) {
      auto format = stats::choose_metrics_format(request.accept);
      if (!format) {
        return Response{406,
                        "text/plain",
                        "Not Acceptable: /metrics gives application/openmetrics-text, text/plain or "
                        "application/json\n",
                        {}};
      }
      return Response{200,
                      std::string(stats::content_type(*format)),
                      stats::render_metrics(current(), *format),
                      {{"Vary", "Accept"}}};
    });
  }
}

}  // namespace jvb::http
