// GET /about/health and GET /about/version on the private server
// (shared/docs/ops/http-api.md §2.1-2.2).
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
