// GET /debug on the private server (JVB's rest/root/debug/Debug.java): the bridge summary JVB
// gives, with each conference keyed by the bridge's own conference id and each endpoint's
// media counters (the demo page's bitrate panel reads them). The full contents are free-form.
#pragma once

#include "bridge/conference/conference_manager.hpp"
#include "bridge/conference/forwarding_controller.hpp"
#include "bridge/conference/router.hpp"
#include "bridge/http/http_server.hpp"
#include "bridge/http/shutdown_manager.hpp"

namespace jvb::http {

// `shutdown` gives the summary's shutdown_state and drain.
void add_debug_routes(HttpServer& server, const conference::ConferenceManager& conferences,
                      conference::Router& router, const conference::ForwardingController& forwarding,
                      const ShutdownManager& shutdown);

}  // namespace jvb::http
