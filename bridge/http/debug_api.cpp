// See debug_api.hpp.
#include "bridge/http/debug_api.hpp"

namespace jvb::http {
namespace {

conference::DebugView full_unless(const Request& r, bool by_default) {
  auto full = r.query.find("full");
  bool on = full == r.query.end() ? by_default : full->second == "true";
  return on ? conference::DebugView::kFull : conference::DebugView::kSummary;
}

}  // namespace

void add_debug_routes(HttpServer& server, MediaState media_state, const ShutdownManager& shutdown,
                      std::function<nlohmann::json()> summary) {
  auto state = [media_state = std::move(media_state), &shutdown,
                summary = std::move(summary)](conference::DebugView view) {
    nlohmann::json out = {{"shutdown_state", shutdown_state_name(shutdown.state())},
                          {"drain", shutdown.drain()},
                          {"time", std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count()},
                          {"conferences", nlohmann::json::object()}};
    if (summary) out.update(summary());
    out.update(media_state(view));
    return out;
  };
  server.route("GET", "/debug", [state](const Request& r) {
    return Response{200, "application/json", state(full_unless(r, false)).dump(), {}};
  });
  // One conference (by the bridge's conference id, not the meeting id), full by default; an
  // unknown one is the string "null", as JVB answers.
  server.route("GET", "/debug/{conference}", [state](const Request& r) {
    nlohmann::json out = state(full_unless(r, true));
    const std::string& id = r.params.at("conference");
    auto& conferences = out["conferences"];
    nlohmann::json one = conferences.contains(id) ? conferences[id] : nlohmann::json("null");
    conferences = {{id, std::move(one)}};
    return Response{200, "application/json", out.dump(), {}};
  });
  // One endpoint of one conference.
  server.route("GET", "/debug/{conference}/{endpoint}", [state](const Request& r) {
    nlohmann::json out = state(full_unless(r, true));
    const std::string& id = r.params.at("conference");
    const std::string& endpoint = r.params.at("endpoint");
    auto& conferences = out["conferences"];
    nlohmann::json one = conferences.contains(id) ? conferences[id] : nlohmann::json("null");
    if (one.is_object()) {
      auto& endpoints = one["endpoints"];
      nlohmann::json ep = endpoints.contains(endpoint) ? endpoints[endpoint] : nlohmann::json("null");
      endpoints = {{endpoint, std::move(ep)}};
    }
    conferences = {{id, std::move(one)}};
    return Response{200, "application/json", out.dump(), {}};
  });
}

void add_rtcstats_route(HttpServer& server, MediaState media_state) {
  server.route("GET", "/stats", [media_state = std::move(media_state)](const Request&) {
    nlohmann::json state = media_state(conference::DebugView::kRtcStats);
    nlohmann::json out = {{"conferences", std::move(state["conferences"])}};
    return Response{200, "application/json", out.dump(), {}};
  });
}

}  // namespace jvb::http
