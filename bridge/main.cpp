// The videobridge executable: reads the launch options and configuration, then runs the
// daemon, or `videobridge doctor`. Only wiring lives here.
#include <cstdio>
#include <span>

#include "bridge/core/log.hpp"
#include "bridge/core/version.hpp"
#include "bridge/daemon/daemon.hpp"
#include "bridge/doctor/doctor.hpp"
#include "config/bridge_config.hpp"
#include "config/java_properties.hpp"
#include "config/launch.hpp"

namespace {

constexpr int kExitUsage = 64;   // EX_USAGE
constexpr int kExitConfig = 78;  // EX_CONFIG: systemd's unit does not restart on it

constexpr jvb::log::Logger kLog{"Main"};

// Honours the global `.level` of java.util.logging's logging.properties, which admins
// already use to make JVB more or less verbose.
void apply_logging_properties(const jvb::config::LaunchOptions& launch,
                              const jvb::config::LaunchEnvironment& env) {
  if (!launch.logging_config_file) return;
  auto text = env.read_file(*launch.logging_config_file);
  if (!text) {
    kLog.warn("Cannot read logging configuration {}", launch.logging_config_file->string());
    return;
  }
  for (const auto& entry : jvb::config::parse_java_properties(*text)) {
    if (entry.key != ".level") continue;
    if (auto level = jvb::log::level_from_name(entry.value)) {
      jvb::log::set_level(*level);
    } else {
      kLog.warn("{}:{}: unknown log level '{}'", launch.logging_config_file->string(), entry.line,
                entry.value);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto env = jvb::config::process_launch_environment();
  std::span<const char* const> args(const_cast<const char* const*>(argv) + 1, static_cast<size_t>(argc - 1));
  auto launch = jvb::config::parse_launch(args, env);
  if (!launch) {
    std::fprintf(stderr, "videobridge: %s\n\n%s", launch.error().c_str(), jvb::config::usage_text().data());
    return kExitUsage;
  }
  if (launch->show_help) {
    std::fputs(jvb::config::usage_text().data(), stdout);
    return 0;
  }
  if (launch->show_version) {
    std::printf("videobridge %s\n", jvb::bridge_version().data());
    return 0;
  }
  if (launch->command == jvb::config::Command::kDoctor) return jvb::doctor::run(*launch, stdout);
  if (launch->print_config) {
    // Keep standard output for the JSON alone.
    jvb::log::set_sink([](std::string_view line) { std::fwrite(line.data(), 1, line.size(), stderr); });
  }
  apply_logging_properties(*launch, env);
  for (const auto& note : launch->notes) kLog.info("{}", note);

  auto loaded = jvb::config::load_bridge_config(launch->sources, jvb::hocon::process_environment());
  if (!loaded) {
    std::fprintf(stderr, "%s\n", loaded.error().to_string().c_str());
    return kExitConfig;
  }
  for (const auto& warning : loaded->warnings) kLog.warn("{}", warning);

  if (launch->print_config) {
    std::printf("%s\n", jvb::config::to_value(loaded->config).to_pretty_json().c_str());
    return 0;
  }
  return jvb::daemon::run(loaded->config);
}
