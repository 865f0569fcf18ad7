// GET /about/health and GET /about/version on the private server (as jicoco's Health.java and
// Version.java answer them for JVB).
#pragma once

#include <functional>

#include "bridge/health/health_checker.hpp"
#include "bridge/http/http_server.hpp"

namespace jvb::http {

// 200 with an empty JSON body while healthy; otherwise the failure's status with its
// message as plain text.
void add_health_route(HttpServer& server, std::function<health::HealthStatus()> current);

// {"name":"JVB","version":...,"os":...}. The name stays "JVB" because monitoring set up for
// JVB matches on it; the version string says which bridge this is.
void add_version_route(HttpServer& server);

}  // namespace jvb::http
