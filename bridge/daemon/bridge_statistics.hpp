// The bridge's statistics on the control thread (JVB's VideobridgeStatisticsShim.kt and its
// periodic metrics update): every videobridge.stats.interval the media workers' latest figures
// are summed with the control thread's state (stats::StatsAggregator); /colibri/stats, /metrics
// and the brewery presence read that record. The state that changes on request (health, drain,
// shutdown, the XMPP connections, the stress) is read anew each time, so a drain shows at once,
// while the media figures are those of the last interval, as JVB's are.
//
// Also owns the load monitor (the stress and the CPU steal), sampled every five seconds.
//
// Control thread only.
#pragma once

#include <functional>
#include <memory>

#include "bridge/daemon/load_monitor.hpp"
#include "bridge/health/health_checker.hpp"
#include "bridge/http/shutdown_manager.hpp"
#include "bridge/stats/bridge_stats.hpp"
#include "bridge/worker/media_workers.hpp"
#include "config/bridge_config.hpp"

namespace jvb::daemon {

class BridgeStatistics {
 public:
  struct XmppStatus {
    std::uint64_t clients_configured = 0, clients_connected = 0, mucs_configured = 0, mucs_joined = 0;
  };
  // Everything passed in must outlive this object.
  BridgeStatistics(const config::BridgeConfig& config, const health::HealthChecker& checker,
                   const worker::MediaWorkers& media, const http::ShutdownManager& shutdown);
  ~BridgeStatistics();
  BridgeStatistics(const BridgeStatistics&) = delete;
  BridgeStatistics& operator=(const BridgeStatistics&) = delete;

  void set_xmpp_status(std::function<XmppStatus()> status) { xmpp_status_ = std::move(status); }
  // Starts the periodic updates (the first one now).
  void start();
  // Takes the workers' figures now and closes the interval (the timer calls it).
  void update();
  // The last interval's figures with the control state as of now.
  stats::BridgeStats current() const;

 private:
  stats::ControlState control_state() const;

  const config::BridgeConfig& config_;
  const health::HealthChecker& checker_;
  const worker::MediaWorkers& media_;
  const http::ShutdownManager& shutdown_;
  std::function<XmppStatus()> xmpp_status_;
  LoadMonitor load_;
  stats::StatsAggregator aggregator_;
  std::chrono::system_clock::time_point started_;
  unsigned load_timer_ = 0, stats_timer_ = 0;
};

}  // namespace jvb::daemon
