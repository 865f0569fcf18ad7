// See bridge_statistics.hpp.
#include "bridge/daemon/bridge_statistics.hpp"

#include <glib.h>

#include <algorithm>
#include <filesystem>

#include "bridge/core/version.hpp"

namespace jvb::daemon {
namespace {

// How often the stress is measured (the load over the last period).
constexpr guint kLoadSampleIntervalMs = 5000;

// The process's threads: the control thread, the media workers, usrsctp's, GLib's and
// libsoup's helpers.
std::uint64_t thread_count() {
  std::error_code error;
  std::uint64_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/task", error), end; !error && it != end;
       it.increment(error))
    ++n;
  return n;
}

}  // namespace

BridgeStatistics::BridgeStatistics(const config::BridgeConfig& config, const health::HealthChecker& checker,
                                   const worker::MediaWorkers& media, const http::ShutdownManager& shutdown)
    : config_(config),
      checker_(checker),
      media_(media),
      shutdown_(shutdown),
      load_(config.load, [&media] { return media.datagrams(); }),
      started_(std::chrono::system_clock::now()) {
  load_.sample(LoadMonitor::Clock::now());
}

BridgeStatistics::~BridgeStatistics() {
  if (load_timer_ != 0) g_source_remove(load_timer_);
  if (stats_timer_ != 0) g_source_remove(stats_timer_);
}

void BridgeStatistics::start() {
  if (load_timer_ != 0) return;
  // Its own period: the stress must stay current whatever the statistics interval.
  load_timer_ = g_timeout_add(
      kLoadSampleIntervalMs,
      [](gpointer load) -> gboolean {
        static_cast<LoadMonitor*>(load)->sample(LoadMonitor::Clock::now());
        return G_SOURCE_CONTINUE;
      },
      &load_);
  update();
  auto interval = static_cast<guint>(std::max<std::int64_t>(config_.stats.interval.count(), 100));
  stats_timer_ = g_timeout_add(
      interval,
      [](gpointer self) -> gboolean {
        static_cast<BridgeStatistics*>(self)->update();
        return G_SOURCE_CONTINUE;
      },
      this);
}

void BridgeStatistics::update() { aggregator_.update(media_.statistics(), control_state()); }

stats::BridgeStats BridgeStatistics::current() const {
  stats::BridgeStats out = aggregator_.current();
  out.control = control_state();
  return out;
}

stats::ControlState BridgeStatistics::control_state() const {
  stats::ControlState c;
  c.stress_level = load_.stress();
  c.cpu_steal = load_.cpu_steal();
  c.average_participant_stress = config_.load.average_participant_stress;
  c.healthy = checker_.status(health::Clock::now()).healthy;
  c.drain = shutdown_.drain();
  // As JVB publishes them: graceful_shutdown only while in that state, shutting_down after it.
  // Jicofo keeps both once seen, so the bridge never looks "back to normal" to it.
  c.graceful_shutdown = shutdown_.state() == http::ShutdownState::kGracefulShutdown;
  c.shutting_down = shutdown_.state() == http::ShutdownState::kShuttingDown;
  if (xmpp_status_) {
    auto x = xmpp_status_();
    c.muc_clients_configured = x.clients_configured;
    c.muc_clients_connected = x.clients_connected;
    c.mucs_configured = x.mucs_configured;
    c.mucs_joined = x.mucs_joined;
  }
  c.version = std::string(bridge_version());
  c.release = config_.version_release;
  c.region = config_.relay.region;
  c.relay_id = config_.relay.relay_id;
  c.threads = thread_count();
  c.now = std::chrono::system_clock::now();
  c.started = started_;
  return c;
}

}  // namespace jvb::daemon
