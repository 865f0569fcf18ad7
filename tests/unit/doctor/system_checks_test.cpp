// Tests of bridge/doctor/system_checks.hpp: the configuration line, the kernel's UDP limits
// against JVB's sysctl file, and the clock.
#include "bridge/doctor/system_checks.hpp"

#include <doctest/doctest.h>

#include "tests/unit/doctor/findings_util.hpp"

namespace jvb::doctor {
namespace {

using test::contains;
using test::fix_says;
using test::only;

TEST_CASE("the configuration: OK with its sources, WARN with its warnings listed") {
  const auto& good =
      only(check_configuration({"/etc/jitsi/videobridge/jvb.conf"}, {"note"}, {}), "configuration");
  CHECK(good.severity == Severity::kOk);
  CHECK(good.what == "read /etc/jitsi/videobridge/jvb.conf");
  CHECK(good.details == std::vector<std::string>{"note"});
  const auto& none = only(check_configuration({}, {}, {}), "configuration");
  CHECK(none.what == "read built-in defaults only");
  const auto& bad =
      only(check_configuration({"jvb.conf"}, {}, {"XMPP account 'shard' is incomplete (missing PASSWORD)"}),
           "configuration");
  CHECK(bad.severity == Severity::kWarn);
  CHECK(bad.what == "read jvb.conf with 1 warning");
  CHECK(test::detail_says(bad, "missing PASSWORD"));
}

TEST_CASE("net.core.rmem_max below the media port's buffer: WARN with the sysctl") {
  config::BridgeConfig c;
  c.harvest.udp_receive_buffer_size = 10485760;
  auto findings = check_udp_buffers(c, 212992, 100000);
  const auto& f = only(findings, "net.core.rmem_max");
  CHECK(f.severity == Severity::kWarn);
  CHECK(contains(f.what, "212992 is below the 10485760 bytes"));
  CHECK(fix_says(f, "sysctl -w net.core.rmem_max=10485760"));
  CHECK(fix_says(f, "/etc/sysctl.d/20-jvb-udp-buffers.conf"));
  CHECK(only(findings, "net.core.netdev_max_backlog").severity == Severity::kOk);
  CHECK(exit_status(findings) == 0);
}

TEST_CASE("enough buffer, or none asked for: OK; unreadable: WARN") {
  config::BridgeConfig c;
  c.harvest.udp_receive_buffer_size = 10485760;
  CHECK(only(check_udp_buffers(c, 10485760, 100000), "net.core.rmem_max").severity == Severity::kOk);
  c.harvest.udp_receive_buffer_size = 0;
  CHECK(only(check_udp_buffers(c, 212992, 100000), "net.core.rmem_max").severity == Severity::kOk);
  auto unreadable = check_udp_buffers(c, std::nullopt, std::nullopt);
  CHECK(only(unreadable, "net.core.rmem_max").severity == Severity::kWarn);
  CHECK(fix_says(only(unreadable, "net.core.rmem_max"), "net.core.rmem_max=10485760"));
  CHECK(only(unreadable, "net.core.netdev_max_backlog").severity == Severity::kWarn);
}

TEST_CASE("net.core.netdev_max_backlog below JVB's 100000: WARN with the sysctl") {
  config::BridgeConfig c;
  const auto& f = only(check_udp_buffers(c, 10485760, 1000), "net.core.netdev_max_backlog");
  CHECK(f.severity == Severity::kWarn);
  CHECK(contains(f.what, "1000 packets"));
  CHECK(fix_says(f, "sysctl -w net.core.netdev_max_backlog=100000"));
}

TEST_CASE("the clock") {
  ClockProbe synced{true, 0, false, 20'000, 1'000};
  const auto& good = only(check_clock(synced), "clock");
  CHECK(good.severity == Severity::kOk);
  CHECK(good.what == "synchronized (maximum error 20 ms)");

  ClockProbe unsynced{true, 5, true, 16'000'000, 16'000'000};
  const auto& bad = only(check_clock(unsynced), "clock");
  CHECK(bad.severity == Severity::kWarn);
  CHECK(contains(bad.what, "not synchronized"));
  CHECK(fix_says(bad, "chrony"));

  ClockProbe error_state{true, 5, false, 1'000, 1'000};  // TIME_ERROR without STA_UNSYNC
  CHECK(only(check_clock(error_state), "clock").severity == Severity::kWarn);

  ClockProbe drifting{true, 0, false, 900'000, 10'000};
  const auto& drift = only(check_clock(drifting), "clock");
  CHECK(drift.severity == Severity::kWarn);
  CHECK(contains(drift.what, "900 ms"));

  CHECK(only(check_clock(ClockProbe{}), "clock").severity == Severity::kWarn);
}

}  // namespace
}  // namespace jvb::doctor
