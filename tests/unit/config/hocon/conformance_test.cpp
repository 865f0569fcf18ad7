// Conformance against shared reference data: every input in the equivNN directories must
// resolve to the same value as that directory's original.json, and JVB's own reference
// files must parse, layer and resolve to the values JVB uses. The data directory comes from
// JVB_SHARED_DIR; without it these tests are skipped.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "config/hocon/hocon.hpp"
#include "config/hocon/units.hpp"

namespace {

namespace fs = std::filesystem;
using jvb::hocon::Value;

std::optional<fs::path> shared_dir() {
  const char* dir = std::getenv("JVB_SHARED_DIR");
  std::error_code ec;
  if (dir == nullptr || !fs::is_directory(dir, ec)) return std::nullopt;
  return fs::path(dir);
}

std::optional<std::string> no_env(std::string_view) { return std::nullopt; }

std::optional<Value> load(const fs::path& file) {
  auto doc = jvb::hocon::parse_file(file);
  if (!doc) {
    FAIL_CHECK("parse error: " << doc.error().to_string());
    return std::nullopt;
  }
  auto v = jvb::hocon::resolve(*doc, no_env);
  if (!v) {
    FAIL_CHECK("resolve error: " << v.error().to_string());
    return std::nullopt;
  }
  return *v;
}

}  // namespace

TEST_CASE("conformance: equivNN inputs equal their original.json") {
  auto shared = shared_dir();
  if (!shared) {
    MESSAGE("JVB_SHARED_DIR unset or missing; conformance test skipped");
    return;
  }
  fs::path root = *shared / "data" / "hocon";
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory() && entry.path().filename().string().rfind("equiv", 0) == 0) {
      dirs.push_back(entry.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  CHECK(dirs.size() >= 5);
  int compared = 0;
  for (const fs::path& dir : dirs) {
    auto expected = load(dir / "original.json");
    REQUIRE(expected);
    std::vector<fs::path> inputs;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      std::string ext = entry.path().extension().string();
      if ((ext == ".conf" || ext == ".json") && entry.path().filename() != "original.json") {
        inputs.push_back(entry.path());
      }
    }
    std::sort(inputs.begin(), inputs.end());
    CHECK(!inputs.empty());
    for (const fs::path& input : inputs) {
      CAPTURE(input.string());
      auto actual = load(input);
      REQUIRE(actual);
      CHECK_MESSAGE(*actual == *expected, actual->to_pretty_json());
      ++compared;
    }
  }
  CHECK(compared >= 15);
}

TEST_CASE("conformance: JVB reference files layer and resolve") {
  auto shared = shared_dir();
  if (!shared) {
    MESSAGE("JVB_SHARED_DIR unset or missing; JVB reference test skipped");
    return;
  }
  fs::path dir = *shared / "data" / "jvb";
  auto start = std::chrono::steady_clock::now();
  auto jvb = jvb::hocon::parse_file(dir / "jvb-reference.conf");
  auto jmt = jvb::hocon::parse_file(dir / "jmt-reference.conf");
  auto ice4j = jvb::hocon::parse_file(dir / "ice4j-reference.conf");
  REQUIRE_MESSAGE(jvb, jvb.error().to_string());
  REQUIRE_MESSAGE(jmt, jmt.error().to_string());
  REQUIRE_MESSAGE(ice4j, ice4j.error().to_string());
  auto merged = jvb->with_fallback(*jmt).with_fallback(*ice4j);
  auto config = jvb::hocon::resolve(merged, no_env);
  auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_MESSAGE(config, config.error().to_string());
  MESSAGE("parsed and resolved JVB reference files in "
          << std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count() << " us");

  const Value* check_interval = config->find("videobridge.entity-expiration.check-interval");
  REQUIRE(check_interval);
  CHECK(check_interval->text() == "1 minute");
  CHECK(jvb::hocon::to_duration(*check_interval) == std::chrono::seconds(60));
  const Value* low_loss = config->find("jmt.bwe.send-side.loss-experiment.low-loss-threshold");
  REQUIRE(low_loss);
  CHECK(low_loss->to_double() == doctest::Approx(0.02));
  CHECK(config->find("jmt.bwe.send-side.loss-experiment.bitrate-threshold")->text() == "100 kbps");
  CHECK(config->find("videobridge.ice.udp.port")->to_int() == 10000);
  CHECK(config->find("videobridge.apis.xmpp-client.presence-interval")->text() == "5 seconds");
  CHECK(config->find("videobridge.http-servers.private.host")->text() == "127.0.0.1");
  CHECK(config->find("videobridge.cc.jvb-last-n")->to_int() == -1);
  CHECK(config->find("videobridge.load-management.load-reducers.last-n.reduction-scale")->to_double() ==
        doctest::Approx(0.75));
  CHECK(config->find("ice4j.consent-freshness.max-retransmissions")->to_int() == 30);
  CHECK(config->find("jmt.dtls.cipher-suites")->as_array()->size() == 5);
  CHECK(jvb::hocon::to_duration(*config->find("videobridge.cc.padding-period")) ==
        std::chrono::milliseconds(15));

  // An admin override changes what the defaults refer to.
  auto admin = jvb::hocon::parse_string(
      "videobridge.stats.interval = 10 seconds\n"
      "videobridge.ice.udp.port = 10001\n");
  REQUIRE(admin);
  auto layered = jvb::hocon::resolve(admin->with_fallback(merged), no_env);
  REQUIRE(layered);
  CHECK(layered->find("videobridge.apis.xmpp-client.presence-interval")->text() == "10 seconds");
  CHECK(layered->find("videobridge.ice.udp.port")->to_int() == 10001);
}
