// See about_api.hpp.
#include "bridge/http/about_api.hpp"

#include <sys/utsname.h>

#include <nlohmann/json.hpp>

#include "bridge/core/version.hpp"

namespace jvb::http {

void add_health_route(HttpServer& server, std::function<health::HealthStatus()> current) {
  server.route("GET", "/about/health", [current = std::move(current)](const Request&) {
    health::HealthStatus s = current();
    if (s.healthy) return Response{200, "application/json", "", {}};
    return Response{s.http_status, "text/plain", s.message, {}};
  });
}

void add_version_route(HttpServer& server) {
  utsname u{};
  std::string os = uname(&u) == 0 ? u.sysname : "Linux";
  std::string body = nlohmann::json{{"name", "JVB"}, {"version", bridge_version()}, {"os", os}}.dump();
  server.route("GET", "/about/version", [body](const Request&) {
    return Response{200, "application/json", body, {}};
  });
}

}  // namespace jvb::http
