// Line formatting and output for bridge/core/log.hpp.
#include "bridge/core/log.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>

namespace jvb::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
Sink g_sink;  // empty: standard output

constexpr std::array<std::string_view, 9> kNames = {"OFF",  "SEVERE", "WARNING", "INFO", "CONFIG",
                                                    "FINE", "FINER",  "FINEST",  "ALL"};

void write_stdout(std::string_view line) {
  while (!line.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, line.data(), line.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report a failing log
    }
    line.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

std::optional<Level> level_from_name(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Level>(i);
  }
  return std::nullopt;
}

std::string_view level_name(Level level) { return kNames[static_cast<size_t>(level)]; }

void set_level(Level level) { g_level.store(level, std::memory_order_relaxed); }

bool enabled(Level level) {
  Level threshold = g_level.load(std::memory_order_relaxed);
  return level != Level::kOff && level != Level::kAll && level <= threshold;
}

void set_sink(Sink sink) { g_sink = std::move(sink); }

void write(Level level, std::string_view component, std::string_view context, std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t secs = system_clock::to_time_t(now);
  auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm local{};
  localtime_r(&secs, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);

  fmt::memory_buffer line;
  fmt::format_to(std::back_inserter(line), "JVB {}.{:03d} {}: [{}] ", stamp, millis, level_name(level),
                 static_cast<long>(::syscall(SYS_gettid)));
  if (!context.empty()) fmt::format_to(std::back_inserter(line), "[{}] ", context);
  fmt::format_to(std::back_inserter(line), "{}: {}\n", component, message);
  std::string_view text(line.data(), line.size());
  if (g_sink) {
    g_sink(text);
  } else {
    write_stdout(text);
  }
}

}  // namespace jvb::log
