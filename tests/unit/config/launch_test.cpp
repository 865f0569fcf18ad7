// Launch options: the command line, the Debian `config` environment file, JAVA_SYS_PROPS,
// and the SC_HOME_DIR_* rules for finding sip-communicator.properties.
#include "config/launch.hpp"

#include <doctest/doctest.h>

#include <vector>

namespace jvb::config {
namespace {

struct FakeSystem {
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> files;

  LaunchEnvironment environment() const {
    LaunchEnvironment e;
    e.getenv = [this](std::string_view n) -> std::optional<std::string> {
      auto it = env.find(std::string(n));
      return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    e.read_file = [this](const std::filesystem::path& p) -> std::optional<std::string> {
      auto it = files.find(p.string());
      return it == files.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    e.exists = [this](const std::filesystem::path& p) { return files.count(p.string()) > 0; };
    return e;
  }
};

Result<LaunchOptions, std::string> launch(const FakeSystem& sys, std::vector<const char*> args) {
  return parse_launch(std::span<const char* const>(args.data(), args.size()), sys.environment());
}

const char* kDebianConfig = R"(
# adds java system props that are passed to jvb (default are for home and logging config file)
JAVA_SYS_PROPS="-Dconfig.file=/etc/jitsi/videobridge/jvb.conf -Dnet.java.sip.communicator.SC_HOME_DIR_LOCATION=/etc/jitsi -Dnet.java.sip.communicator.SC_HOME_DIR_NAME=videobridge -Dnet.java.sip.communicator.SC_LOG_DIR_LOCATION=/var/log/jitsi -Djava.util.logging.config.file=/etc/jitsi/videobridge/logging.properties -Dvideobridge.ice.udp.port=10007"
JVB_OPTS="--apis=,"
)";

TEST_CASE("--config and -D on the command line") {
  FakeSystem sys;
  auto r = launch(sys, {"--config", "/tmp/a.conf", "-Dvideobridge.ice.udp.port=1", "--print-config"});
  REQUIRE(r);
  CHECK(r->sources.application_file == "/tmp/a.conf");
  CHECK(r->print_config);
  REQUIRE(r->sources.system_properties.size() == 1);
  CHECK(r->sources.system_properties[0].first == "videobridge.ice.udp.port");
  // An explicit --config does not pull in the Debian legacy file.
  CHECK_FALSE(r->sources.legacy_properties_file.has_value());

  auto eq = launch(sys, {"--config=/tmp/b.conf"});
  REQUIRE(eq);
  CHECK(eq->sources.application_file == "/tmp/b.conf");
}

TEST_CASE("usage errors") {
  FakeSystem sys;
  CHECK_FALSE(launch(sys, {"--config"}));
  CHECK_FALSE(launch(sys, {"--frobnicate"}));
  CHECK_FALSE(launch(sys, {"-D=x"}));
  auto missing = launch(sys, {"--env-file", "/nope"});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("/nope") != std::string::npos);
}

TEST_CASE("the Debian config file's JAVA_SYS_PROPS") {
  FakeSystem sys;
  sys.files["/etc/jitsi/videobridge/config"] = kDebianConfig;
  auto r = launch(sys, {});
  REQUIRE(r);
  CHECK(r->sources.application_file == "/etc/jitsi/videobridge/jvb.conf");
  CHECK(r->sources.legacy_properties_file == "/etc/jitsi/videobridge/sip-communicator.properties");
  CHECK(r->logging_config_file == "/etc/jitsi/videobridge/logging.properties");
  // The launcher's own properties are not configuration keys; the rest are.
  REQUIRE(r->sources.system_properties.size() == 1);
  CHECK(r->sources.system_properties[0] ==
        std::pair<std::string, std::string>{"videobridge.ice.udp.port", "10007"});
}

TEST_CASE("JAVA_SYS_PROPS from the environment (systemd's EnvironmentFile), SC_HOME_DIR_* variables win") {
  FakeSystem sys;
  sys.env["JAVA_SYS_PROPS"] =
      "-Dconfig.file=/run/jvb/config/jvb.conf -Dnet.java.sip.communicator.SC_HOME_DIR_LOCATION=/etc/jitsi "
      "-Dnet.java.sip.communicator.SC_HOME_DIR_NAME=videobridge";
  sys.env["SC_HOME_DIR_LOCATION"] = "/run/jvb";
  sys.env["SC_HOME_DIR_NAME"] = "config";
  auto r = launch(sys, {});
  REQUIRE(r);
  CHECK(r->sources.application_file == "/run/jvb/config/jvb.conf");
  CHECK(r->sources.legacy_properties_file == "/run/jvb/config/sip-communicator.properties");
}

TEST_CASE("--env-file, and --config beating -Dconfig.file") {
  FakeSystem sys;
  sys.files["/srv/config"] = kDebianConfig;
  auto r = launch(sys, {"--env-file", "/srv/config", "--config", "/srv/other.conf"});
  REQUIRE(r);
  CHECK(r->sources.application_file == "/srv/other.conf");
}

TEST_CASE("no configuration anywhere runs on built-in defaults") {
  FakeSystem sys;
  auto r = launch(sys, {});
  REQUIRE(r);
  CHECK_FALSE(r->sources.application_file.has_value());
}

TEST_CASE("environment file syntax") {
  auto vars = parse_env_file(
      "# comment\n"
      "; another\n"
      "A=plain value\n"
      "B=\"double \\\"quoted\\\"\"\n"
      "C='single quoted'\n"
      "export D=exported\n"
      "E=\"continued \\\n"
      "line\"\n"
      "  F = spaced  \n"
      "not a variable\n");
  CHECK(vars["A"] == "plain value");
  CHECK(vars["B"] == "double \"quoted\"");
  CHECK(vars["C"] == "single quoted");
  CHECK(vars["D"] == "exported");
  CHECK(vars["E"] == "continued line");
  CHECK(vars["F"] == "spaced");
  CHECK(vars.size() == 6);
}

TEST_CASE("JAVA_SYS_PROPS words") {
  CHECK(split_words("  -Da=1   -Db=\"x y\" -Dc='z'") ==
        std::vector<std::string>{"-Da=1", "-Db=x y", "-Dc=z"});
  CHECK(split_words("").empty());
}

}  // namespace
}  // namespace jvb::config
