// See daemon.hpp.
#include "bridge/daemon/daemon.hpp"

#include <glib-unix.h>
#include <glib.h>

#include <csignal>
#include <memory>

#include "bridge/core/log.hpp"
#include "bridge/core/version.hpp"
#include "bridge/daemon/media_service.hpp"
#include "bridge/health/health_checker.hpp"
#include "bridge/http/about_api.hpp"
#include "bridge/http/http_server.hpp"
#include "ice/host_addresses.hpp"

namespace jvb::daemon {
namespace {

constexpr log::Logger kLog{"Videobridge"};

std::vector<health::HealthChecker::Check> health_checks(const config::BridgeConfig& c) {
  std::vector<health::HealthChecker::Check> checks;
  if (c.health.require_valid_address) {
    ice::HarvestFilter filter{c.harvest.use_ipv6,           c.harvest.use_link_local_addresses,
                              c.harvest.allowed_addresses,  c.harvest.blocked_addresses,
                              c.harvest.allowed_interfaces, c.harvest.blocked_interfaces};
    std::vector<std::string> mapped;
    for (const auto& m : c.harvest.static_mappings) mapped.push_back(m.public_address);
    checks.push_back([filter, mapped]() -> std::optional<std::string> {
      for (const auto& a : mapped) {
        if (ice::is_public_address(a)) return std::nullopt;
      }
      for (const auto& a : ice::enumerate_host_addresses()) {
        if (ice::harvest_allows(filter, a) && ice::is_public_address(a.address)) return std::nullopt;
      }
      return "No valid IP addresses available for harvesting.";
    });
  }
  return checks;
}

struct StopContext {
  GMainLoop* loop;
  int signal;
};

gboolean on_stop_signal(gpointer data) {
  auto* ctx = static_cast<StopContext*>(data);
  kLog.info("Received signal {}, shutting down", strsignal(ctx->signal));
  g_main_loop_quit(ctx->loop);
  return G_SOURCE_CONTINUE;
}

// GLib sources and the loop, released on every way out of run().
struct LoopResources {
  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  std::vector<guint> sources;
  ~LoopResources() {
    for (guint id : sources) g_source_remove(id);
    g_main_loop_unref(loop);
  }
};

Result<std::unique_ptr<http::HttpServer>, std::string> start_private_server(
    const config::BridgeConfig& config, health::HealthChecker& checker) {
  const auto& ps = config.http.private_server;
  if (ps.key_store_path) {
    kLog.warn(
        "videobridge.http-servers.private.key-store-path is set, but "
        "Java key stores are not "
        "supported; serving plain HTTP on port {}",
        ps.port);
  }
  http::ServerOptions options{"private",
                              ps.host.value_or(""),
                              ps.port,
                              ps.send_server_version,
                              "jitsi-native-bridge/" + std::string(bridge_version()) + " ",
                              true};
  auto server = http::HttpServer::start(options);
  if (!server) return server;
  if (config.rest.health) {
    http::add_health_route(**server, [&checker] { return checker.status(health::Clock::now()); });
  }
  if (config.rest.version) http::add_version_route(**server);
  kLog.info("Private HTTP server listening on {}", (*server)->url());
  return server;
}

}  // namespace

int run(const config::BridgeConfig& config) {
  kLog.info("Starting the bridge, version {}", bridge_version());
  LoopResources r;
  // Before anything announces that we are up: a signal that arrives later must
  // stop us cleanly, not kill us.
  StopContext stop_int{r.loop, SIGINT}, stop_term{r.loop, SIGTERM}, stop_hup{r.loop, SIGHUP};
  r.sources = {g_unix_signal_add(SIGINT, on_stop_signal, &stop_int),
               g_unix_signal_add(SIGTERM, on_stop_signal, &stop_term),
               g_unix_signal_add(SIGHUP, on_stop_signal, &stop_hup)};

  health::HealthChecker checker(
      {config.health.timeout, config.health.max_check_duration, config.health.sticky_failures},
      health_checks(config), health::Clock::now());
  auto run_checks = [&checker] {
    checker.run_checks([] { return health::Clock::now(); });
    auto s = checker.status(health::Clock::now());
    if (!s.healthy) kLog.warn("Health check failed: {}", s.message);
  };
  run_checks();
  auto interval = static_cast<guint>(std::max<std::int64_t>(config.health.interval.count(), 1));
  r.sources.push_back(g_timeout_add(
      interval,
      [](gpointer f) -> gboolean {
        (*static_cast<decltype(run_checks)*>(f))();
        return G_SOURCE_CONTINUE;
      },
      &run_checks));

  auto media = MediaService::start(config);
  if (!media) {
    kLog.severe("Cannot start the media port: {}", media.error());
    return 1;
  }
  std::unique_ptr<http::HttpServer> private_server;
  if (config.http.private_server.port != -1) {
    auto started = start_private_server(config, checker);
    if (!started) {
      kLog.severe("Cannot start the private HTTP server: {}", started.error());
      return 1;
    }
    private_server = std::move(*started);
  }

  g_main_loop_run(r.loop);
  kLog.info("Stopped");
  return 0;
}

}  // namespace jvb::daemon
