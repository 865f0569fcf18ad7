// GET /debug on the private server (JVB's rest/root/debug/Debug.java): the bridge summary JVB
// gives, with each conference keyed by the bridge's own conference id and each endpoint's
// media counters (the demo page's bitrate panel reads them), its transport (ICE, the selected
// pair, DTLS, SRTP, why it failed), what it gets and why (projections, allocation) and its
// bridge channel. The full contents are free-form.
#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "bridge/http/http_server.hpp"
#include "bridge/http/shutdown_manager.hpp"

namespace jvb::http {

// GET /debug, /debug/{conference} and /debug/{conference}/{endpoint}.
// `media_state(full)`: the media workers' merged state (conference::debug_state's shape).
// `shutdown` gives the summary's shutdown_state and drain; `summary` the rest of JVB's summary
// (load_management, health).
void add_debug_routes(HttpServer& server, std::function<nlohmann::json(bool full)> media_state,
                      const ShutdownManager& shutdown, std::function<nlohmann::json()> summary = {});

}  // namespace jvb::http
