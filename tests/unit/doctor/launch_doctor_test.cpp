// The `doctor` command in config/launch.hpp: found anywhere among the options, with the same
// configuration discovery as the daemon, and refused where it makes no sense.
#include <doctest/doctest.h>

#include <vector>

#include "config/launch.hpp"

namespace jvb::config {
namespace {

LaunchEnvironment empty_environment() {
  LaunchEnvironment e;
  e.getenv = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  e.read_file = [](const std::filesystem::path&) -> std::optional<std::string> { return std::nullopt; };
  e.exists = [](const std::filesystem::path&) { return false; };
  return e;
}

Result<LaunchOptions, std::string> launch(std::vector<const char*> args) {
  return parse_launch(std::span<const char* const>(args.data(), args.size()), empty_environment());
}

TEST_CASE("doctor is a command; without it the daemon runs") {
  auto run = launch({"--config", "/tmp/jvb.conf"});
  REQUIRE(run);
  CHECK(run->command == Command::kRun);
  for (auto args :
       {std::vector<const char*>{"doctor", "--config", "/tmp/jvb.conf"},
        std::vector<const char*>{"--config", "/tmp/jvb.conf", "doctor"},
        std::vector<const char*>{"--config=/tmp/jvb.conf", "doctor", "-Dvideobridge.ice.udp.port=10001"}}) {
    auto doctor = launch(args);
    REQUIRE(doctor);
    CHECK(doctor->command == Command::kDoctor);
    CHECK(doctor->sources.application_file == std::filesystem::path("/tmp/jvb.conf"));
  }
  auto with_property = launch({"doctor", "-Dvideobridge.ice.udp.port=10001"});
  REQUIRE(with_property);
  CHECK(with_property->sources.system_properties ==
        std::vector<std::pair<std::string, std::string>>{{"videobridge.ice.udp.port", "10001"}});
}

TEST_CASE("a path named doctor is a path") {
  auto named = launch({"--config", "doctor"});
  REQUIRE(named);
  CHECK(named->command == Command::kRun);
  CHECK(named->sources.application_file == std::filesystem::path("doctor"));
}

TEST_CASE("doctor twice, or with --print-config, is a usage error; --help still works") {
  CHECK(launch({"doctor", "doctor"}).error() == "doctor given twice");
  CHECK(launch({"doctor", "--print-config"}).error() == "doctor and --print-config do not go together");
  auto help = launch({"doctor", "--help"});
  REQUIRE(help);
  CHECK(help->show_help);
  CHECK(usage_text().find("videobridge doctor [OPTIONS]") != std::string_view::npos);
  CHECK(usage_text().find("doctor: 0 when no check failed") != std::string_view::npos);
}

}  // namespace
}  // namespace jvb::config
