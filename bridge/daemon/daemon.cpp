// See daemon.hpp.
#include "bridge/daemon/daemon.hpp"

#include <glib-unix.h>
#include <glib.h>
#include <sched.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>

#include <thread>

#include "bridge/conference/conference_manager.hpp"
#include "bridge/core/log.hpp"
#include "bridge/core/version.hpp"
#include "bridge/daemon/bridge_statistics.hpp"
#include "bridge/daemon/xmpp_signaling.hpp"
#include "bridge/health/health_checker.hpp"
#include "bridge/http/about_api.hpp"
#include "bridge/http/colibri2_rest.hpp"
#include "bridge/http/colibri_ws.hpp"
#include "bridge/http/debug_api.hpp"
#include "bridge/http/http_server.hpp"
#include "bridge/http/ops_api.hpp"
#include "bridge/http/shutdown_manager.hpp"
#include "bridge/http/stats_api.hpp"
#include "bridge/io/media_service.hpp"
#include "bridge/worker/media_workers.hpp"
#include "ice/host_addresses.hpp"
#include "ice/local_candidates.hpp"

namespace jvb::daemon {
namespace {

constexpr log::Logger kLog{"Videobridge"};
// A media worker runs its timers at least once a second; one that has not for this long is
// stuck (a loop that never returns, a deadlock), and the bridge reports itself unhealthy.
constexpr Duration kWorkerStallLimit = std::chrono::seconds(5);

ice::HarvestFilter harvest_filter(const config::BridgeConfig& c) {
  return {c.harvest.use_ipv6,          c.harvest.use_link_local_addresses, c.harvest.allowed_addresses,
          c.harvest.blocked_addresses, c.harvest.allowed_interfaces,       c.harvest.blocked_interfaces};
}

std::vector<health::HealthChecker::Check> health_checks(const config::BridgeConfig& c) {
  std::vector<health::HealthChecker::Check> checks;
  if (c.health.require_valid_address) {
    ice::HarvestFilter filter = harvest_filter(c);
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

// What the bridge tells endpoints to connect to: its host addresses on the media port, and
// the public side of each configured NAT mapping.
std::vector<ice::Candidate> advertised_candidates(const config::BridgeConfig& c, std::uint16_t port) {
  ice::LocalCandidateOptions options;
  options.port = port;
  options.filter = harvest_filter(c);
  options.advertise_private_candidates = c.ice.advertise_private_candidates;
  for (const auto& m : c.harvest.static_mappings) {
    ice::NatMapping n{m.local_address, m.public_address, std::nullopt, std::nullopt};
    if (m.local_port) n.local_port = static_cast<std::uint16_t>(*m.local_port);
    if (m.public_port) n.public_port = static_cast<std::uint16_t>(*m.public_port);
    options.mappings.push_back(std::move(n));
  }
  auto candidates = ice::local_candidates(ice::enumerate_host_addresses(), options);
  if (candidates.empty()) kLog.warn("No local address to advertise as an ICE candidate");
  for (const auto& candidate : candidates) kLog.info("Advertising ICE candidate {}", candidate.to_sdp());
  return candidates;
}

conference::ConferenceOptions conference_options(const config::BridgeConfig& c, std::uint16_t port) {
  conference::ConferenceOptions o;
  o.transport.ice.consent_interval = c.consent_freshness.interval;
  o.transport.ice.randomize_consent_interval = c.consent_freshness.randomize_interval;
  o.transport.dtls.handshake_timeout = c.media.dtls_handshake_timeout;
  o.transport.dtls.profiles.clear();
  for (const auto& name : c.media.srtp_protection_profiles) {
    if (auto p = srtp::profile_from_name(name)) {
      o.transport.dtls.profiles.push_back(*p);
    } else {
      kLog.warn("Ignoring unknown SRTP protection profile {}", name);
    }
  }
  if (o.transport.dtls.profiles.empty()) o.transport.dtls.profiles = dtls::DtlsTransport::Options{}.profiles;
  o.local_candidates = advertised_candidates(c, port);
  o.ufrag_prefix = c.ice.ufrag_prefix.value_or("");
  o.sctp_enabled = c.sctp.enabled;
  o.sctp_max_channels = static_cast<std::size_t>(std::max(c.sctp.max_channels, 0));
  o.ssrc_limit_video = static_cast<std::size_t>(std::max(c.ssrc_limit.video, 1));
  o.ssrc_limit_audio = static_cast<std::size_t>(std::max(c.ssrc_limit.audio, 1));
  o.relays_enabled = c.relay.enabled;
  if (c.relay.enabled) {
    kLog.warn(
        "videobridge.relay.enabled is set, but this bridge has no relays (Octo) yet: relay requests are "
        "refused with feature-not-implemented");
  }
  o.endpoint_idle_timeout = c.expiration.timeout;
  // colibri-ws needs the public server too (JVB's WebsocketServiceConfig.kt).
  if (c.websockets.enabled && c.http.public_server.port != -1) {
    conference::ConferenceOptions::ColibriWs ws;
    ws.domains = c.websockets.domains;
    ws.tls = c.websockets.tls.value_or(c.http.public_server.key_store_path.has_value());
    ws.server_id = c.websockets.server_id;
    o.colibri_ws = std::move(ws);
  }
  return o;
}

// colibri-ws connections, checked against the conferences and handed to their media worker.
class ColibriWsOwner : public http::ColibriWebSocketServer::Owner {
 public:
  explicit ColibriWsOwner(worker::MediaWorkers& workers) : workers_(workers) {}
  std::optional<std::uint64_t> authenticate(std::string_view conference_id, std::string_view endpoint_id,
                                            std::string_view password) override {
    return workers_.authenticate_ws(conference_id, endpoint_id, password);
  }
  void on_open(std::uint64_t endpoint) override { workers_.channel_opened(endpoint); }
  void on_message(std::uint64_t endpoint, std::string_view text) override {
    workers_.channel_message(endpoint, text);
  }
  void on_closed(std::uint64_t endpoint) override { workers_.channel_closed(endpoint); }

 private:
  worker::MediaWorkers& workers_;
};

conference::ForwardingOptions forwarding_options(const config::BridgeConfig& c) {
  conference::ForwardingOptions o;
  o.settings.initial_last_n = c.cc.initial_last_n;
  o.settings.initial_max_height_px = c.cc.initial_max_height_px;
  o.settings.default_max_height_px = c.cc.default_max_height_px;
  if (c.cc.assumed_bandwidth_limit)
    o.settings.assumed_bandwidth_limit_bps = c.cc.assumed_bandwidth_limit->bps;
  o.allocator.onstage_preferred_height_px = c.cc.onstage_preferred_height_px;
  o.allocator.onstage_preferred_framerate = c.cc.onstage_preferred_framerate;
  o.allocator.allow_oversend_onstage = c.cc.allow_oversend_onstage;
  o.allocator.max_oversend_bitrate_bps = c.cc.max_oversend_bitrate.bps;
  o.conference_last_n_limits = allocation::LastNLimits(c.cc.conference_last_n_limits);
  o.jvb_last_n = c.cc.jvb_last_n;
  o.ssrc_limit_video = c.ssrc_limit.video;
  o.speech.recent_speakers_count = std::max(c.speech_activity.recent_speakers_count, 1);
  o.speech.dominant_speaker.enable_silence_detection = c.speech_activity.enable_silence_detection;
  o.speech.dominant_speaker.silence_timeout = c.speech_activity.silence_detection_timeout;
  if (c.version_announce) o.announced_version = std::string(bridge_version());
  o.stats_filter_threshold = static_cast<std::size_t>(std::max(c.stats_filter_threshold, 0));
  o.max_inactivity = c.ep_connection_status.max_inactivity_limit;
  o.first_transfer_timeout = c.ep_connection_status.first_transfer_timeout;
  o.connectivity_check_interval = c.ep_connection_status.check_interval;
  o.trust_bwe = c.cc.trust_bwe;
  o.bwe_change_threshold = c.cc.bwe_change_threshold;
  o.connection_stats_interval = std::nullopt;
  if (c.connection_stats.enabled) o.connection_stats_interval = c.connection_stats.interval;
  return o;
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
    const config::BridgeConfig& config, health::HealthChecker& checker, worker::MediaWorkers& workers,
    const http::ShutdownManager& shutdown, const BridgeStatistics& statistics, http::OpsApi ops) {
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
  http::add_stats_routes(**server, {config.apis.rest_enabled, config.rest.prometheus},
                         [&statistics] { return statistics.current(); });
  if (config.rest.debug) {
    http::add_debug_routes(
        **server, [&workers](conference::DebugView view) { return workers.debug_state(view); }, shutdown,
        [&statistics, &checker] {
          auto health = checker.status(health::Clock::now());
          return nlohmann::json{
              {"load_management", {{"stress", statistics.current().control.stress_level}}},
              {"health",
               {{"success", health.healthy},
                {"responseCode", health.healthy ? nlohmann::json() : nlohmann::json(health.http_status)},
                {"message", health.healthy ? nlohmann::json() : nlohmann::json(health.message)}}}};
        });
  }
  if (config.rest.rtcstats) {
    http::add_rtcstats_route(**server,
                             [&workers](conference::DebugView view) { return workers.debug_state(view); });
  }
  // config.rest.shutdown already includes the COLIBRI API switch (JVB's RestConfig.kt: the
  // shutdown API needs the COLIBRI API).
  http::add_ops_routes(**server, {config.rest.drain, config.rest.shutdown, config.apis.rest_enabled},
                       std::move(ops));
  // A test hook, never on in production: the environment of the test that starts the daemon
  // turns it on. It holds the control thread (signaling, HTTP, colibri-ws) for `ms`, as a
  // blocking gloox send() or a slow handler would, to show that media does not wait for it.
  if (const char* hooks = std::getenv("JVB_TEST_HOOKS"); hooks && std::string_view(hooks) == "1") {
    kLog.warn("JVB_TEST_HOOKS=1: POST /test/stall-control is enabled");
    (*server)->route("POST", "/test/stall-control", [](const http::Request& r) {
      auto ms = r.query.find("ms");
      int hold = ms == r.query.end() ? 0 : std::atoi(ms->second.c_str());
      if (hold <= 0 || hold > 10'000) return http::Response{400, "text/plain", "ms: 1-10000\n", {}};
      std::this_thread::sleep_for(std::chrono::milliseconds(hold));
      return http::Response{200, "text/plain", "held\n", {}};
    });
    // Holds media worker 0 for `ms` (the worker does nothing else meanwhile), as a worker stuck
    // in a loop would be: for the health watchdog's test.
    (*server)->route("POST", "/test/stall-worker", [&workers](const http::Request& r) {
      auto ms = r.query.find("ms");
      int hold = ms == r.query.end() ? 0 : std::atoi(ms->second.c_str());
      if (hold <= 0 || hold > 60'000) return http::Response{400, "text/plain", "ms: 1-60000\n", {}};
      auto release = std::make_shared<std::promise<void>>();
      workers.post(0, worker::command::Hold{release->get_future().share()});
      g_timeout_add_full(
          G_PRIORITY_DEFAULT, static_cast<guint>(hold),
          [](gpointer p) -> gboolean {
            (*static_cast<std::shared_ptr<std::promise<void>>*>(p))->set_value();
            return G_SOURCE_REMOVE;
          },
          new std::shared_ptr<std::promise<void>>(release),
          [](gpointer p) { delete static_cast<std::shared_ptr<std::promise<void>>*>(p); });
      return http::Response{200, "text/plain", "holding\n", {}};
    });
  }
  if (config.apis.rest_enabled) {
    http::add_colibri2_routes(
        **server, {[&workers](const signaling::ConferenceModify& r) { return workers.handle(r); },
                   [&workers](const signaling::MeetingId& id) { return workers.has_conference(id); }});
    kLog.info("Colibri2 REST API enabled on the private server");
  }
  kLog.info("Private HTTP server listening on {}", (*server)->url());
  return server;
}

// Drives the ShutdownManager on the main loop: one GLib timer at the manager's next deadline,
// re-armed after every step, and the loop quit when the manager says exit.
class ShutdownDriver {
 public:
  ShutdownDriver(http::ShutdownManager& manager, worker::MediaWorkers& conferences, GMainLoop* loop)
      : manager_(manager), conferences_(conferences), loop_(loop) {}
  ~ShutdownDriver() {
    if (timer_ != 0) g_source_remove(timer_);
  }
  ShutdownDriver(const ShutdownDriver&) = delete;
  ShutdownDriver& operator=(const ShutdownDriver&) = delete;

  void begin(bool graceful) { apply(manager_.begin(graceful, Clock::now(), conferences_.endpoint_count())); }

  // Runs on every state change, before an exit.
  std::function<void()> on_change;

 private:
  void apply(http::ShutdownManager::Decision decision) {
    if (manager_.refuses_new_conferences()) conferences_.set_graceful_shutdown(true);
    if (manager_.state() != last_state_) {
      last_state_ = manager_.state();
      if (on_change) on_change();
    }
    if (timer_ != 0) g_source_remove(timer_);
    timer_ = 0;
    if (decision == http::ShutdownManager::Decision::kExit) {
      g_main_loop_quit(loop_);
      return;
    }
    auto deadline = manager_.next_deadline();
    if (!deadline) return;
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
    timer_ = g_timeout_add(
        static_cast<guint>(std::clamp<std::int64_t>(wait.count(), 0, G_MAXUINT)),
        [](gpointer data) -> gboolean {
          auto* self = static_cast<ShutdownDriver*>(data);
          self->timer_ = 0;
          self->apply(self->manager_.on_timer(Clock::now(), self->conferences_.endpoint_count()));
          return G_SOURCE_REMOVE;
        },
        this);
  }

  http::ShutdownManager& manager_;
  worker::MediaWorkers& conferences_;
  GMainLoop* loop_;
  guint timer_ = 0;
  http::ShutdownState last_state_ = http::ShutdownState::kRunning;
};

http::OpsApi ops_api(http::ShutdownManager& shutdown, ShutdownDriver& driver, XmppSignaling& xmpp) {
  http::OpsApi api;
  api.drain = [&shutdown] { return shutdown.drain(); };
  api.set_drain = [&shutdown, &xmpp](bool on) {
    bool changed = shutdown.drain() != on;
    shutdown.set_drain(on);
    if (changed) xmpp.publish_now();
  };
  api.shutdown = [&driver](bool graceful) { driver.begin(graceful); };
  api.add_muc_client = [&xmpp](const config::XmppAccount& account) {
    switch (xmpp.add_client(account)) {
      case XmppSignaling::AddOutcome::kUnchanged:
        return http::OpsApi::AddOutcome::kUnchanged;
      case XmppSignaling::AddOutcome::kReplaced:
        return http::OpsApi::AddOutcome::kReplaced;
      case XmppSignaling::AddOutcome::kAdded:
        break;
    }
    return http::OpsApi::AddOutcome::kAdded;
  };
  api.remove_muc_client = [&xmpp](const std::string& id) { return xmpp.remove_client(id); };
  api.muc_client_ids = [&xmpp] { return xmpp.client_ids(); };
  return api;
}

// The cores this process may run on (its affinity mask: a container's cpuset or a taskset), not
// every core of the machine.
std::size_t usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return static_cast<std::size_t>(CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

// The media port, bound once per worker, and the workers on it.
Result<std::unique_ptr<worker::MediaWorkers>, std::string> start_media_workers(
    const config::BridgeConfig& config) {
  std::size_t count =
      config.media.workers > 0 ? static_cast<std::size_t>(config.media.workers) : usable_cores();
  int buffer = static_cast<int>(std::min<std::int64_t>(config.harvest.udp_receive_buffer_size, 1 << 30));
  auto sockets = io::bind_port_sockets(static_cast<std::uint16_t>(config.ice.udp_port),
                                       config.harvest.use_ipv6, buffer, count);
  if (!sockets) return unexpected(sockets.error());
  for (const auto& s : sockets->per_worker.front()) {
    kLog.info("Media port listening on UDP {}", s.local_address().to_string());
    // The kernel reports twice the size it granted; less than the request means it was capped.
    if (buffer > 0 && s.receive_buffer_size() / 2 < buffer) {
      kLog.warn(
          "The media port's receive buffer is {} bytes, less than the {} configured "
          "(ice4j.harvest.udp.receive-buffer-size): bursts will be dropped under load. Raise "
          "net.core.rmem_max (JVB's package sets 10485760 in /etc/sysctl.d) or grant CAP_NET_ADMIN.",
          s.receive_buffer_size() / 2, buffer);
    }
  }
  auto certificate = dtls::DtlsCertificate::generate();
  if (!certificate) return unexpected("cannot make the DTLS certificate: " + certificate.error());
  worker::WorkerSetup setup;
  setup.conferences = conference_options(config, sockets->port);
  setup.forwarding = forwarding_options(config);
  setup.bwe.start_bps = config.bwe.initial_bw.bps;
  setup.bwe.min_bps = config.bwe.min_bw.bps;
  setup.bwe.max_bps = config.bwe.max_bw.bps;
  setup.certificate = std::move(*certificate);
  setup.expire_interval = config.expiration.check_interval;
  return worker::MediaWorkers::start(std::move(*sockets), setup);
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

  // The watchdog's workers: set once they run (the checks start before them).
  const worker::MediaWorkers* watched = nullptr;
  auto checks = health_checks(config);
  checks.push_back([&watched]() -> std::optional<std::string> {
    if (!watched) return std::nullopt;
    auto stalled = watched->stalled_worker(Clock::now(), kWorkerStallLimit);
    if (!stalled) return std::nullopt;
    return fmt::format("Media worker {} has made no progress for more than {} s", *stalled,
                       std::chrono::duration_cast<std::chrono::seconds>(kWorkerStallLimit).count());
  });
  health::HealthChecker checker(
      {config.health.timeout, config.health.max_check_duration, config.health.sticky_failures},
      std::move(checks), health::Clock::now());
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

  auto workers = start_media_workers(config);
  if (!workers) {
    kLog.severe("Cannot start the media port: {}", workers.error());
    return 1;
  }
  worker::MediaWorkers& media = **workers;
  watched = &media;

  http::ShutdownManager shutdown(
      {config.shutdown.graceful_shutdown_max_duration, config.shutdown.graceful_shutdown_min_participants,
       config.shutdown.shutting_down_delay},
      config.initial_drain_mode);
  ShutdownDriver shutdown_driver(shutdown, media, r.loop);
  BridgeStatistics statistics(config, checker, media, shutdown);
  // Built before the HTTP server, whose muc-client routes change its accounts; connects below.
  XmppSignaling xmpp_signaling(config, checker, media, statistics);
  statistics.set_xmpp_status([&xmpp_signaling] { return xmpp_signaling.status(); });
  statistics.start();
  shutdown_driver.on_change = [&xmpp_signaling] { xmpp_signaling.publish_now(); };

  std::unique_ptr<http::HttpServer> private_server;
  if (config.http.private_server.port != -1) {
    auto started = start_private_server(config, checker, media, shutdown, statistics,
                                        ops_api(shutdown, shutdown_driver, xmpp_signaling));
    if (!started) {
      kLog.severe("Cannot start the private HTTP server: {}", started.error());
      return 1;
    }
    private_server = std::move(*started);
  }
  // The public server carries colibri-ws only (JVB serves nothing else there by default).
  std::unique_ptr<http::HttpServer> public_server;
  std::unique_ptr<http::ColibriWebSocketServer> colibri_ws;
  ColibriWsOwner ws_owner(media);
  if (config.http.public_server.port != -1 && config.websockets.enabled) {
    const auto& ps = config.http.public_server;
    auto started = http::HttpServer::start(
        {"public", ps.host.value_or(""), ps.port, ps.send_server_version, "jitsi-native-bridge", false});
    if (!started) {
      kLog.severe("Cannot start the public HTTP server: {}", started.error());
      return 1;
    }
    public_server = std::move(*started);
    http::ColibriWsOptions ws;
    ws.server_id = config.websockets.server_id;
    colibri_ws = std::make_unique<http::ColibriWebSocketServer>(*public_server, ws, ws_owner);
    kLog.info("colibri-ws on {}colibri-ws/{}/", public_server->url(), ws.server_id);
    media.set_websocket_output(
        [&colibri_ws](transport::EndpointHandle to, const std::string& message) {
          return colibri_ws && colibri_ws->send(to, message);
        },
        [&colibri_ws](transport::EndpointHandle id) {
          if (colibri_ws) colibri_ws->close(id);
        });
  } else if (config.websockets.enabled) {
    kLog.warn("videobridge.websockets.enabled is set, but the public HTTP server is off: no colibri-ws");
  }
  xmpp_signaling.start();

  // Until a stop signal, or the end of a shutdown requested over HTTP.
  g_main_loop_run(r.loop);
  xmpp_signaling.stop();
  media.set_websocket_output({}, {});
  colibri_ws.reset();
  kLog.info("Stopped");
  return 0;
}

}  // namespace jvb::daemon
