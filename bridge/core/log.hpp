// Process-wide logging in JVB's line format, so that tools which parse jvb.log keep working:
//   JVB 2026-08-19 14:03:11.457 INFO: [57] [confId=7e44 epId=79f0] Component: message
// (program name, local time with milliseconds, java.util.logging level name, thread id,
// optional context, the component, the message), the layout of jitsi-utils' JitsiLogFormatter
// that log tools expect from JVB.
//
// Thread-safe: any thread may log. Each line is written with one write(2) so lines from
// different threads never interleave. The level and sink are set once at start-up, before
// other threads exist.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace jvb::log {

// java.util.logging's levels, most severe first. kOff disables everything; kAll everything.
enum class Level { kOff, kSevere, kWarning, kInfo, kConfig, kFine, kFiner, kFinest, kAll };

// JUL name ("SEVERE", "INFO", ...) to level; nullopt for anything else.
std::optional<Level> level_from_name(std::string_view name);
std::string_view level_name(Level level);

// Messages less severe than `level` are dropped. Default: kInfo.
void set_level(Level level);
bool enabled(Level level);

// Where finished lines (with trailing newline) go. Default: standard output, which the
// systemd unit appends to /var/log/jitsi/jvb.log.
using Sink = std::function<void(std::string_view line)>;
void set_sink(Sink sink);

// Formats and emits one line. `context` is "k=v k=v" or empty.
void write(Level level, std::string_view component, std::string_view context, std::string_view message);

// A named source of log lines, e.g. `const Logger kLog{"HttpServer"};`.
class Logger {
 public:
  explicit constexpr Logger(std::string_view component) : component_(component) {}

  template <class... Args>
  void log(Level level, fmt::format_string<Args...> format, Args&&... args) const {
    if (enabled(level)) write(level, component_, {}, fmt::format(format, std::forward<Args>(args)...));
  }
  template <class... Args>
  void severe(fmt::format_string<Args...> f, Args&&... a) const {
    log(Level::kSevere, f, std::forward<Args>(a)...);
  }
  template <class... Args>
  void warn(fmt::format_string<Args...> f, Args&&... a) const {
    log(Level::kWarning, f, std::forward<Args>(a)...);
  }
  template <class... Args>
  void info(fmt::format_string<Args...> f, Args&&... a) const {
    log(Level::kInfo, f, std::forward<Args>(a)...);
  }
  template <class... Args>
  void fine(fmt::format_string<Args...> f, Args&&... a) const {
    log(Level::kFine, f, std::forward<Args>(a)...);
  }

 private:
  std::string_view component_;
};

}  // namespace jvb::log
