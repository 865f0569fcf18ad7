// The stress the bridge publishes for Jicofo (the stress_level stat): packet rate or CPU usage over
// the configured threshold.
#include "bridge/daemon/load_monitor.hpp"

#include <doctest/doctest.h>

namespace jvb::daemon {
namespace {

using namespace std::chrono_literals;

config::BridgeConfig::Load load_config(const char* measurement) {
  config::BridgeConfig::Load c;
  c.load_measurement = measurement;
  c.packet_rate_load_threshold = 50000;
  c.cpu_usage_load_threshold = 0.9;
  c.average_participant_stress = 0.01;
  return c;
}

TEST_CASE("packet rate: datagrams per second over the threshold") {
  std::uint64_t datagrams = 1000;
  LoadMonitor monitor(load_config("packet-rate"), [&] { return datagrams; });
  LoadMonitor::Clock::time_point t0{};
  monitor.sample(t0);
  CHECK(monitor.stress() == 0);  // nothing to compare with yet
  datagrams += 125000;           // 25000 per second over 5 s
  monitor.sample(t0 + 5s);
  CHECK(monitor.packet_rate() == doctest::Approx(25000));
  CHECK(monitor.stress() == doctest::Approx(0.5));
  datagrams += 600000;  // overloaded: above 1
  monitor.sample(t0 + 10s);
  CHECK(monitor.stress() == doctest::Approx(2.4));
  monitor.sample(t0 + 15s);  // idle again
  CHECK(monitor.stress() == 0);
}

TEST_CASE("cpu usage: busy share of the jiffies over the threshold") {
  CpuTimes now{100, 1000};
  LoadMonitor monitor(
      load_config("cpu-usage"), [] { return std::uint64_t{0}; }, [&] { return std::optional(now); });
  LoadMonitor::Clock::time_point t0{};
  monitor.sample(t0);
  now = {100 + 450, 1000 + 1000};  // 45 % busy
  monitor.sample(t0 + 5s);
  CHECK(monitor.stress() == doctest::Approx(0.5));
}

TEST_CASE("cpu usage with steal detection: stolen time counts as load, and is reported alone") {
  CpuTimes now{100, 1000, 0};
  auto config = load_config("cpu-usage");
  LoadMonitor monitor(
      config, [] { return std::uint64_t{0}; }, [&] { return std::optional(now); });
  config.detect_cpu_steal = false;
  LoadMonitor without(
      config, [] { return std::uint64_t{0}; }, [&] { return std::optional(now); });
  LoadMonitor::Clock::time_point t0{};
  monitor.sample(t0);
  without.sample(t0);
  now = {100 + 360, 1000 + 1000, 90};  // 36 % busy, 9 % stolen
  monitor.sample(t0 + 5s);
  without.sample(t0 + 5s);
  CHECK(monitor.stress() == doctest::Approx(0.5));
  CHECK(without.stress() == doctest::Approx(0.4));
  CHECK(monitor.cpu_steal() == doctest::Approx(0.09));
  CHECK(without.cpu_steal() == doctest::Approx(0.09));
}

TEST_CASE("/proc/stat's cpu line: idle, iowait and steal are not busy") {
  auto t = parse_proc_stat("cpu  10 20 30 400 50 6 7 8 0 0");
  REQUIRE(t);
  CHECK(t->total == 531);
  CHECK(t->busy == 73);
  CHECK(t->steal == 8);
  CHECK_FALSE(parse_proc_stat("cpu0 1 2 3 4"));
  CHECK_FALSE(parse_proc_stat("intr 1 2 3"));
  CHECK_FALSE(parse_proc_stat("cpu  1 2"));
}

}  // namespace
}  // namespace jvb::daemon
