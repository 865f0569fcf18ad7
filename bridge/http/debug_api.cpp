// See debug_api.hpp.
#include "bridge/http/debug_api.hpp"

namespace jvb::http {

void add_debug_routes(HttpServer& server, std::function<nlohmann::json(bool full)> media_state,
                      const ShutdownManager& shutdown) {
  server.route("GET", "/debug", [media_state = std::move(media_state), &shutdown](const Request& r) {
    auto full = r.query.find("full");
    bool is_full = full != r.query.end() && full->second == "true";
    nlohmann::json out = {{"shutdown_state", shutdown_state_name(shutdown.state())},
                          {"drain", shutdown.drain()},
                          {"time", std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count()},
                          {"conferences", nlohmann::json::object()}};
    out.update(media_state(is_full));
    return Response{200, "application/json", out.dump(), {}};
  });
}

}  // namespace jvb::http
