// How the daemon finds its configuration, the way JVB's launcher does (JVB's jvb.sh, started by
// debian/jitsi-videobridge2.service with EnvironmentFile=): the Debian `config` environment file
// carries JAVA_SYS_PROPS with -Dconfig.file=..., -Dnet.java.sip.communicator.SC_HOME_DIR_*=... and
// -Djava.util.logging.config.file=...; the SC_HOME_DIR_* environment variables win over those
// properties; any other -Dkey=value is a low-priority configuration override. Command-line options
// of our own (--config, --env-file, ...) win over all of that.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"
#include "config/bridge_config.hpp"

namespace jvb::config {

inline constexpr std::string_view kDefaultEnvFile = "/etc/jitsi/videobridge/config";
inline constexpr std::string_view kDefaultConfigFile = "/etc/jitsi/videobridge/jvb.conf";
inline constexpr std::string_view kDefaultScHomeLocation = "/etc/jitsi";
inline constexpr std::string_view kDefaultScHomeName = "videobridge";

// What the executable does once the configuration is found.
enum class Command {
  kRun,     // the daemon
  kDoctor,  // `videobridge doctor`: check this machine with that configuration and exit
};

struct LaunchOptions {
  Command command = Command::kRun;
  ConfigSources sources;
  std::optional<std::filesystem::path> logging_config_file;
  bool print_config = false;
  bool show_help = false;
  bool show_version = false;
  // What was decided and why, for the start-up log ("using jvb.conf from -Dconfig.file").
  std::vector<std::string> notes;
};

// The file system as seen by the launcher, so tests need no real /etc.
struct LaunchEnvironment {
  std::function<std::optional<std::string>(std::string_view name)> getenv;
  std::function<std::optional<std::string>(const std::filesystem::path&)> read_file;
  std::function<bool(const std::filesystem::path&)> exists;
};
LaunchEnvironment process_launch_environment();

// Parses argv (without argv[0]): options, -D properties, and the `doctor` command anywhere among
// them. A usage error is returned as its message.
Result<LaunchOptions, std::string> parse_launch(std::span<const char* const> args,
                                                const LaunchEnvironment& env);

// `KEY=value` lines as systemd's EnvironmentFile reads them: comments, blank lines, single
// and double quotes, backslash continuations.
std::map<std::string, std::string> parse_env_file(std::string_view text);

// Splits JAVA_SYS_PROPS into words: whitespace separates, quotes group.
std::vector<std::string> split_words(std::string_view text);

std::string_view usage_text();

}  // namespace jvb::config
