// The bridge's stress, published in the brewery presence for Jicofo's bridge selection
// (the stress_level stat Jicofo's Bridge.kt reads): like JVB's load manager, either the packet rate
// through the media port (both directions) over
// videobridge.load-management.load-measurements.packet-rate.load-threshold, or the host's CPU
// usage (from /proc/stat) over the cpu-usage load threshold, with the time the hypervisor stole
// added to the usage when detect-cpu-steal is on (JVB's CpuUsageLoadManager and StealDetection.kt).
// 0 is idle, 1 is full; it may exceed 1. The steal is measured whatever the measurement, for
// the cpu_steal metric.
//
// Control thread only; sample() is called periodically by the daemon.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "config/bridge_config.hpp"

namespace jvb::daemon {

// Jiffies from the aggregate "cpu" line of /proc/stat.
struct CpuTimes {
  std::uint64_t busy = 0;  // not idle, not waiting for I/O, not stolen
  std::uint64_t total = 0;
  std::uint64_t steal = 0;
};
std::optional<CpuTimes> parse_proc_stat(std::string_view text);

class LoadMonitor {
 public:
  using Clock = std::chrono::steady_clock;

  // `datagrams` counts every datagram through the media port so far; `cpu` reads the CPU times
  // (/proc/stat by default).
  LoadMonitor(const config::BridgeConfig::Load& config, std::function<std::uint64_t()> datagrams,
              std::function<std::optional<CpuTimes>()> cpu = {});

  // Takes a measurement covering the time since the previous one.
  void sample(Clock::time_point now);
  double stress() const { return stress_; }
  double packet_rate() const { return packet_rate_; }  // datagrams per second, last sample
  double cpu_steal() const { return steal_; }          // fraction of the CPU time, last sample

 private:
  bool use_cpu_;
  bool detect_steal_;
  double threshold_;
  std::function<std::uint64_t()> datagrams_;
  std::function<std::optional<CpuTimes>()> cpu_;
  std::optional<Clock::time_point> last_time_;
  std::uint64_t last_datagrams_ = 0;
  std::optional<CpuTimes> last_cpu_;
  double stress_ = 0;
  double packet_rate_ = 0;
  double steal_ = 0;
};

}  // namespace jvb::daemon
