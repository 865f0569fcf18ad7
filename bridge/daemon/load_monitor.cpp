// See load_monitor.hpp.
#include "bridge/daemon/load_monitor.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace jvb::daemon {
namespace {

std::optional<CpuTimes> read_proc_stat() {
  std::ifstream in("/proc/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  return parse_proc_stat(line);
}

}  // namespace

// "cpu  user nice system idle iowait irq softirq steal ...": idle, iowait and steal are not busy.
std::optional<CpuTimes> parse_proc_stat(std::string_view text) {
  if (text.substr(0, 4) != "cpu ") return std::nullopt;
  text.remove_prefix(4);
  CpuTimes t;
  int field = 0;
  while (!text.empty() && field < 8) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc()) break;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    t.total += value;
    if (field == 7) t.steal = value;
    if (field != 3 && field != 4 && field != 7) t.busy += value;
    ++field;
  }
  if (field < 4) return std::nullopt;
  return t;
}

LoadMonitor::LoadMonitor(const config::BridgeConfig::Load& config, std::function<std::uint64_t()> datagrams,
                         std::function<std::optional<CpuTimes>()> cpu)
    : use_cpu_(config.load_measurement == "cpu-usage"),
      detect_steal_(config.detect_cpu_steal),
      threshold_(use_cpu_ ? config.cpu_usage_load_threshold : config.packet_rate_load_threshold),
      datagrams_(std::move(datagrams)),
      cpu_(cpu ? std::move(cpu) : read_proc_stat) {}

void LoadMonitor::sample(Clock::time_point now) {
  std::uint64_t datagrams = datagrams_();
  std::optional<CpuTimes> cpu = cpu_();
  if (last_time_ && now > *last_time_) {
    double seconds = std::chrono::duration<double>(now - *last_time_).count();
    packet_rate_ = static_cast<double>(datagrams - last_datagrams_) / seconds;
    double load = packet_rate_;
    steal_ = 0;
    double usage = 0;
    if (cpu && last_cpu_ && cpu->total > last_cpu_->total) {
      const auto total = static_cast<double>(cpu->total - last_cpu_->total);
      usage = static_cast<double>(cpu->busy - last_cpu_->busy) / total;
      steal_ = static_cast<double>(cpu->steal - last_cpu_->steal) / total;
    }
    if (use_cpu_) load = usage + (detect_steal_ ? steal_ : 0);
    stress_ = threshold_ > 0 ? load / threshold_ : 0;
  }
  last_time_ = now;
  last_datagrams_ = datagrams;
  last_cpu_ = cpu;
}

}  // namespace jvb::daemon
