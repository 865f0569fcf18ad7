// GET /debug on the private server (JVB's rest/root/debug/Debug.java): the bridge summary JVB
// gives, with each conference keyed by the bridge's own conference id and each endpoint's
// media counters (the demo page's bitrate panel reads them), its transport (ICE, the selected
// pair, DTLS, SRTP, why it failed), what it gets and why (projections, allocation) and its
// bridge channel. The full contents are free-form. Also GET /stats (JVB's RTCSTATS API,
// rest/root/stats): the same conference objects, for rtcstats collectors, without the summary.
#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "bridge/conference/debug_view.hpp"
#include "bridge/http/http_server.hpp"
#include "bridge/http/shutdown_manager.hpp"

namespace jvb::http {

// The media workers' merged state in one view (conference::debug_state's shape).
using MediaState = std::function<nlohmann::json(conference::DebugView)>;

// GET /debug, /debug/{conference} and /debug/{conference}/{endpoint}.
// `shutdown` gives the summary's shutdown_state and drain; `summary` the rest of JVB's summary
// (load_management, health).
void add_debug_routes(HttpServer& server, MediaState media_state, const ShutdownManager& shutdown,
                      std::function<nlohmann::json()> summary = {});

// GET /stats: {"conferences": {...}} with only the conferences that have rtcstats enabled.
void add_rtcstats_route(HttpServer& server, MediaState media_state);

}  // namespace jvb::http
