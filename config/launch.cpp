// Command line, environment file and JVM-style system properties -> LaunchOptions.
#include "config/launch.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace jvb::config {
namespace {

constexpr std::string_view kConfigFileProp = "config.file";
constexpr std::string_view kScHomeLocationProp = "net.java.sip.communicator.SC_HOME_DIR_LOCATION";
constexpr std::string_view kScHomeNameProp = "net.java.sip.communicator.SC_HOME_DIR_NAME";
constexpr std::string_view kLoggingConfigProp = "java.util.logging.config.file";
constexpr std::string_view kScPrefix = "net.java.sip.communicator.";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < text.size()) {
        current += text[++i];
      } else {
        current += c;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (is_space(c)) {
      if (in_word) words.push_back(std::move(current));
      current.clear();
      in_word = false;
    } else {
      current += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(current));
  return words;
}

std::map<std::string, std::string> parse_env_file(std::string_view text) {
  std::map<std::string, std::string> vars;
  // Join backslash-continued lines first.
  std::vector<std::string> lines;
  std::string line;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n') {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty() && line.back() == '\\' && i < text.size()) {
        line.pop_back();
        continue;
      }
      lines.push_back(std::move(line));
      line.clear();
    } else {
      line += text[i];
    }
  }
  for (const std::string& raw : lines) {
    size_t b = 0;
    while (b < raw.size() && is_space(raw[b])) ++b;
    std::string_view l = std::string_view(raw).substr(b);
    if (l.empty() || l[0] == '#' || l[0] == ';') continue;
    if (l.rfind("export ", 0) == 0) l.remove_prefix(7);
    size_t eq = l.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(l.substr(0, eq));
    while (!key.empty() && is_space(key.back())) key.pop_back();
    if (key.empty()) continue;
    std::string_view value = l.substr(eq + 1);
    while (!value.empty() && is_space(value.front())) value.remove_prefix(1);
    while (!value.empty() && is_space(value.back())) value.remove_suffix(1);
    // Quoted values keep inner whitespace; an unquoted value is taken as written.
    auto words = split_words(value);
    std::string joined;
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
      for (const auto& w : words) joined += (joined.empty() ? "" : " ") + w;
      if (words.size() == 1) joined = words[0];
    } else {
      joined = std::string(value);
    }
    vars[key] = joined;
  }
  return vars;
}

LaunchEnvironment process_launch_environment() {
  LaunchEnvironment env;
  env.getenv = [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  env.read_file = [](const std::filesystem::path& p) -> std::optional<std::string> {
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  env.exists = [](const std::filesystem::path& p) {
    std::error_code ec;
    return std::filesystem::exists(p, ec);
  };
  return env;
}

std::string_view usage_text() {
  return "Usage: videobridge [OPTIONS] [-Dkey=value ...]\n"
         "       videobridge doctor [OPTIONS] [-Dkey=value ...]\n"
         "\n"
         "A native media bridge for Jitsi Meet that reads Jitsi Videobridge's configuration.\n"
         "\n"
         "Commands:\n"
         "  (none)              run the bridge\n"
         "  doctor              check this machine with the bridge's configuration and print\n"
         "                      each problem with its fix: the advertised addresses against the\n"
         "                      interfaces and the NAT, the UDP media port free and receiving\n"
         "                      (or the running bridge healthy), the HTTP ports, Prosody and the\n"
         "                      XMPP credentials, the brewery, UDP buffers, the clock\n"
         "\n"
         "Options:\n"
         "  --config PATH       the HOCON configuration (jvb.conf); same as -Dconfig.file=PATH\n"
         "  --env-file PATH     read JAVA_SYS_PROPS from this environment file\n"
         "                      (default: $JAVA_SYS_PROPS, else /etc/jitsi/videobridge/config)\n"
         "  --legacy-properties PATH\n"
         "                      the legacy sip-communicator.properties (default: from\n"
         "                      SC_HOME_DIR_LOCATION/SC_HOME_DIR_NAME, as JVB finds it)\n"
         "  --print-config      print the effective configuration as JSON and exit\n"
         "  --version           print the version and exit\n"
         "  --help              print this text and exit\n"
         "  -Dkey=value         a configuration override below jvb.conf, as a JVM system\n"
         "                      property is for JVB (config.file, SC_HOME_DIR_* and\n"
         "                      java.util.logging.config.file are the launcher's own)\n"
         "\n"
         "Signaling, any combination:\n"
         "  videobridge.apis.xmpp-client.configs   log in to each XMPP server, join its brewery\n"
         "                                         room(s) and answer Jicofo there (JVB's way)\n"
         "  videobridge.apis.xmpp-component        an XEP-0114 component (ours; off by default)\n"
         "  videobridge.apis.rest.enabled          Colibri2 over HTTP on the private server\n"
         "\n"
         "Exit status: 0 after a clean stop (SIGINT/SIGTERM), 64 for a usage error,\n"
         "78 for a configuration error, 1 when start-up fails otherwise.\n"
         "doctor: 0 when no check failed (warnings allowed), 1 when one did, 64 for a usage error.\n";
}

Result<LaunchOptions, std::string> parse_launch(std::span<const char* const> args,
                                                const LaunchEnvironment& env) {
  LaunchOptions out;
  std::optional<std::string> config_arg, env_file_arg, legacy_arg;
  std::vector<std::pair<std::string, std::string>> cli_props;

  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    auto value_of = [&](std::string_view name) -> std::optional<std::string> {
      if (a == name) {
        if (i + 1 >= args.size()) return std::nullopt;
        return std::string(args[++i]);
      }
      return std::string(a.substr(name.size() + 1));  // --name=value
    };
    auto matches = [&](std::string_view name) {
      return a == name ||
             (a.size() > name.size() && a.substr(0, name.size()) == name && a[name.size()] == '=');
    };
    if (a == "--help" || a == "-h") {
      out.show_help = true;
    } else if (a == "--version") {
      out.show_version = true;
    } else if (a == "--print-config") {
      out.print_config = true;
    } else if (a == "doctor") {
      if (out.command == Command::kDoctor) return unexpected(std::string("doctor given twice"));
      out.command = Command::kDoctor;
    } else if (matches("--config") || matches("--env-file") || matches("--legacy-properties")) {
      std::string name(a.substr(0, a.find('=')));
      auto v = value_of(name);
      if (!v || v->empty()) return unexpected(name + " needs a path");
      (name == "--config" ? config_arg : name == "--env-file" ? env_file_arg : legacy_arg) = *v;
    } else if (a.rfind("-D", 0) == 0 && a.size() > 2) {
      std::string_view kv = a.substr(2);
      size_t eq = kv.find('=');
      if (eq == 0) return unexpected("malformed system property: " + std::string(a));
      cli_props.emplace_back(std::string(kv.substr(0, eq)),
                             eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1)));
    } else if (a.rfind("--apis=", 0) == 0) {
      // Old JVB command lines pass --apis=...; the current JVB ignores them, and so do we.
      out.notes.push_back("ignoring obsolete option " + std::string(a));
    } else {
      return unexpected("unknown option: " + std::string(a));
    }
  }

  if (out.command == Command::kDoctor && out.print_config) {
    return unexpected(std::string("doctor and --print-config do not go together"));
  }

  // JAVA_SYS_PROPS: from an explicit env file, else the environment (systemd's
  // EnvironmentFile), else the Debian default file when it exists.
  std::optional<std::string> sys_props;
  if (env_file_arg) {
    auto text = env.read_file(*env_file_arg);
    if (!text) return unexpected("cannot read environment file " + *env_file_arg);
    auto vars = parse_env_file(*text);
    if (auto it = vars.find("JAVA_SYS_PROPS"); it != vars.end()) sys_props = it->second;
    out.notes.push_back("read JAVA_SYS_PROPS from " + *env_file_arg);
  } else if (auto v = env.getenv("JAVA_SYS_PROPS")) {
    sys_props = v;
  } else if (!config_arg && env.exists(kDefaultEnvFile)) {
    if (auto text = env.read_file(kDefaultEnvFile)) {
      auto vars = parse_env_file(*text);
      if (auto it = vars.find("JAVA_SYS_PROPS"); it != vars.end()) sys_props = it->second;
      out.notes.push_back("read JAVA_SYS_PROPS from " + std::string(kDefaultEnvFile));
    }
  }

  std::map<std::string, std::string, std::less<>> launcher;  // the launcher's own properties
  auto take = [&](const std::string& key, const std::string& value) {
    if (key == kConfigFileProp || key == kLoggingConfigProp || key.rfind(kScPrefix, 0) == 0) {
      launcher[key] = value;
    } else {
      out.sources.system_properties.emplace_back(key, value);
    }
  };
  if (sys_props) {
    for (const std::string& word : split_words(*sys_props)) {
      if (word.rfind("-D", 0) != 0 || word.size() <= 2) {
        out.notes.push_back("ignoring JAVA_SYS_PROPS word '" + word + "' (only -Dkey=value is used)");
        continue;
      }
      size_t eq = word.find('=');
      if (eq == 2) {
        out.notes.push_back("ignoring JAVA_SYS_PROPS word '" + word + "' (no property name)");
        continue;
      }
      take(word.substr(2, eq == std::string::npos ? std::string::npos : eq - 2),
           eq == std::string::npos ? "" : word.substr(eq + 1));
    }
  }
  for (const auto& [k, v] : cli_props) take(k, v);

  auto launcher_prop = [&](std::string_view key) -> std::optional<std::string> {
    auto it = launcher.find(key);
    return it == launcher.end() ? std::nullopt : std::optional<std::string>(it->second);
  };

  if (config_arg) {
    out.sources.application_file = *config_arg;
  } else if (auto f = launcher_prop(kConfigFileProp)) {
    out.sources.application_file = *f;
    out.notes.push_back("configuration file from -Dconfig.file: " + *f);
  } else if (env.exists(kDefaultConfigFile)) {
    out.sources.application_file = std::string(kDefaultConfigFile);
    out.notes.push_back("configuration file: " + std::string(kDefaultConfigFile));
  } else {
    out.notes.push_back("no configuration file given and " + std::string(kDefaultConfigFile) +
                        " does not exist; running on built-in defaults");
  }

  // The legacy properties file: explicit, else SC_HOME_DIR_* (environment variables win
  // over system properties, as in JVB), else the Debian location when we are running on
  // the Debian layout rather than an explicit --config.
  auto env_location = env.getenv("SC_HOME_DIR_LOCATION");
  auto env_name = env.getenv("SC_HOME_DIR_NAME");
  auto location = env_location ? env_location : launcher_prop(kScHomeLocationProp);
  auto name = env_name ? env_name : launcher_prop(kScHomeNameProp);
  if (legacy_arg) {
    out.sources.legacy_properties_file = *legacy_arg;
  } else if (location || name) {
    out.sources.legacy_properties_file =
        std::filesystem::path(location.value_or(std::string(kDefaultScHomeLocation))) /
        name.value_or(std::string(kDefaultScHomeName)) / "sip-communicator.properties";
  } else if (!config_arg) {
    out.sources.legacy_properties_file =
        std::filesystem::path(kDefaultScHomeLocation) / kDefaultScHomeName / "sip-communicator.properties";
  }
  if (auto f = launcher_prop(kLoggingConfigProp)) out.logging_config_file = *f;
  return out;
}

}  // namespace jvb::config
