// The doctor's checks of the machine under the bridge: the configuration as loaded (its warnings,
// the files it came from), the kernel's UDP receive limits against what JVB's package sets
// (/etc/sysctl.d/20-jvb-udp-buffers.conf: net.core.rmem_max = 10485760, netdev_max_backlog =
// 100000), and the clock's synchronization as adjtimex(2) reports it.
//
// Sans-IO: values in, findings out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bridge/doctor/finding.hpp"
#include "bridge/doctor/probe_results.hpp"
#include "config/bridge_config.hpp"

namespace jvb::doctor {

// JVB's sysctl file (its Debian package) and this bridge's default receive buffer.
inline constexpr std::int64_t kAdvisedRmemMax = 10485760;
inline constexpr std::int64_t kAdvisedNetdevMaxBacklog = 100000;
inline constexpr const char* kSysctlFile = "/etc/sysctl.d/20-jvb-udp-buffers.conf";

// A clock whose maximum error is above this is reported even when the kernel calls it synced.
inline constexpr std::int64_t kMaxClockErrorUs = 500'000;

// `sources` lists where the configuration came from, `notes` the launcher's decisions.
std::vector<Finding> check_configuration(const std::vector<std::string>& sources,
                                         const std::vector<std::string>& notes,
                                         const std::vector<std::string>& warnings);

// `rmem_max` and `netdev_max_backlog` are nullopt when /proc/sys does not have them (a
// container's network namespace shows only some of net.core).
std::vector<Finding> check_udp_buffers(const config::BridgeConfig& config,
                                       std::optional<std::int64_t> rmem_max,
                                       std::optional<std::int64_t> netdev_max_backlog);

std::vector<Finding> check_clock(const ClockProbe& clock);

}  // namespace jvb::doctor
