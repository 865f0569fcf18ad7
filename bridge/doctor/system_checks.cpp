// See system_checks.hpp.
#include "bridge/doctor/system_checks.hpp"

#include <algorithm>

namespace jvb::doctor {
namespace {

std::string sysctl_fixes_line(const std::string& name, std::int64_t value) {
  return "sysctl -w " + name + "=" + std::to_string(value) + ", and keep it across reboots: echo '" + name +
         "=" + std::to_string(value) + "' >> " + kSysctlFile;
}

}  // namespace

std::vector<Finding> check_configuration(const std::vector<std::string>& sources,
                                         const std::vector<std::string>& notes,
                                         const std::vector<std::string>& warnings) {
  std::string from;
  for (const auto& s : sources) from += (from.empty() ? "" : ", ") + s;
  if (from.empty()) from = "built-in defaults only";
  Finding f = warnings.empty() ? ok("configuration", "read " + from)
                               : warn("configuration",
                                      "read " + from + " with " + std::to_string(warnings.size()) +
                                          (warnings.size() == 1 ? " warning" : " warnings"),
                                      {"correct or remove the keys named above (unknown keys are ignored, "
                                       "incomplete XMPP accounts dropped)"});
  f.details = notes;
  f.details.insert(f.details.end(), warnings.begin(), warnings.end());
  return {std::move(f)};
}

std::vector<Finding> check_udp_buffers(const config::BridgeConfig& config,
                                       std::optional<std::int64_t> rmem_max,
                                       std::optional<std::int64_t> netdev_max_backlog) {
  std::vector<Finding> out;
  const std::int64_t wanted = config.harvest.udp_receive_buffer_size;
  const std::string rmem = "net.core.rmem_max";
  if (!rmem_max) {
    out.push_back(
        warn(rmem, "cannot read it here (a container?), so the media port's receive buffer is unknown",
             {"set it on the host: " + sysctl_fixes_line(rmem, std::max(wanted, kAdvisedRmemMax))}));
  } else if (wanted > 0 && *rmem_max < wanted) {
    out.push_back(
        warn(rmem,
             std::to_string(*rmem_max) + " is below the " + std::to_string(wanted) +
                 " bytes the media port asks for (ice4j.harvest.udp.receive-buffer-size): bursts of "
                 "video are dropped under load, unless the bridge runs with CAP_NET_ADMIN",
             {sysctl_fixes_line(rmem, wanted)}));
  } else {
    out.push_back(
        ok(rmem, std::to_string(*rmem_max) + (wanted > 0 ? ", enough for the " + std::to_string(wanted) +
                                                               " bytes the media port asks for"
                                                         : std::string())));
  }
  const std::string backlog = "net.core.netdev_max_backlog";
  if (!netdev_max_backlog) {
    out.push_back(warn(backlog, "cannot read it here (a container?)",
                       {"set it on the host: " + sysctl_fixes_line(backlog, kAdvisedNetdevMaxBacklog)}));
  } else if (*netdev_max_backlog < kAdvisedNetdevMaxBacklog) {
    out.push_back(warn(backlog,
                       std::to_string(*netdev_max_backlog) +
                           " packets may wait for the kernel per core, below "
                           "the " +
                           std::to_string(kAdvisedNetdevMaxBacklog) +
                           " JVB's package sets: a burst of many participants' media is dropped before the "
                           "bridge sees it",
                       {sysctl_fixes_line(backlog, kAdvisedNetdevMaxBacklog)}));
  } else {
    out.push_back(ok(backlog, std::to_string(*netdev_max_backlog)));
  }
  return out;
}

std::vector<Finding> check_clock(const ClockProbe& clock) {
  const std::string check = "clock";
  const std::vector<std::string> fixes = {
      "run an NTP client: apt-get install chrony (or systemd-timesyncd), and allow outgoing UDP 123"};
  if (!clock.available) return {warn(check, "adjtimex() failed, so synchronization is unknown", fixes)};
  constexpr int kTimeError = 5;  // TIME_ERROR: the kernel's clock is not synchronized
  if (clock.unsynchronized || clock.state == kTimeError) {
    return {warn(check,
                 "not synchronized (STA_UNSYNC): timestamps in RTCP sender reports, logs and TLS validity "
                 "checks drift from other machines'",
                 fixes)};
  }
  if (clock.max_error_us > kMaxClockErrorUs) {
    return {warn(check,
                 "synchronized, but the kernel estimates its error at up to " +
                     std::to_string(clock.max_error_us / 1000) + " ms",
                 {"check the NTP client's sources (chronyc sources)"})};
  }
  return {ok(check, "synchronized (maximum error " + std::to_string(clock.max_error_us / 1000) + " ms)")};
}

}  // namespace jvb::doctor
