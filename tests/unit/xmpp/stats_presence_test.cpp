// Tests of xmpp/stats_presence.hpp (the join and stats presence, with the shutdown flags): the
// presences built from the values of vectors/xmpp/presence-*.xml carry the same stats with the same
// values in the same order (the vectors also show stats we do not publish, such as
// bit_rate_download; those are left out of the comparison), the MUC <x/> only on the join, the
// value forms (doubles as Jicofo's Double.parseDouble reads them, booleans, the UTC timestamp), and
// that unset or unwritable strings are left out. Vector cases are skipped (with a message) without
// JVB_SHARED_DIR.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gloox/parser.h>
#include <gloox/tag.h>
#include <gloox/taghandler.h>

#include "tests/unit/test_util.hpp"
#include "tests/unit/xml_text.hpp"
#include "xmpp/colibri2_xml.hpp"
#include "xmpp/stats_presence.hpp"

using namespace jvb::xmpp;
using jvb::test::parse_xml;
using jvb::test::read_file;
using namespace std::chrono;

namespace {

std::optional<std::filesystem::path> vectors() {
  auto shared = jvb::test::shared_dir();
  if (!shared) return std::nullopt;
  auto dir = *shared / "docs" / "protocol" / "vectors" / "xmpp";
  if (!std::filesystem::is_directory(dir)) return std::nullopt;
  return dir;
}

std::unique_ptr<gloox::Tag> load(const std::filesystem::path& p) {
  auto tag = parse_xml(read_file(p));
  REQUIRE_MESSAGE(tag, p.string());
  return tag;
}

using Stats = std::vector<std::pair<std::string, std::string>>;

// The (name, value) pairs of the <stats> child of `presence`, in document order.
Stats stats_of(const gloox::Tag& presence) {
  const gloox::Tag* stats = presence.findChild("stats");
  REQUIRE(stats);
  CHECK(effective_namespace(*stats) == kNsColibri);
  Stats out;
  for (const gloox::Tag* stat : stats->children()) {
    CHECK(stat->name() == "stat");
    CHECK(effective_namespace(*stat) == kNsColibri);
    CHECK_FALSE(stat->hasAttribute("xmlns"));  // the stats inherit the namespace, as JVB writes them
    out.emplace_back(stat->findAttribute("name"), stat->findAttribute("value"));
  }
  return out;
}

Stats only(const Stats& stats, const std::set<std::string>& names) {
  Stats out;
  for (const auto& s : stats) {
    if (names.count(s.first)) out.push_back(s);
  }
  return out;
}

std::set<std::string> names(const Stats& stats) {
  std::set<std::string> out;
  for (const auto& s : stats) out.insert(s.first);
  return out;
}

// Every stat name the bridge can publish.
const std::set<std::string> kPublished = {"stress_level",
                                          "average_participant_stress",
                                          "drain",
                                          "graceful_shutdown",
                                          "shutting_down",
                                          "healthy",
                                          "version",
                                          "release",
                                          "region",
                                          "relay_id",
                                          "conferences",
                                          "participants",
                                          "mucs_joined",
                                          "muc_clients_connected",
                                          "current_timestamp"};

system_clock::time_point at(int y, unsigned mo, unsigned d, int h, int mi, int s, int ms) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s} + milliseconds{ms};
}

// The values of vectors/xmpp/presence-stats.xml and presence-join.xml.
BridgeStats vector_stats() {
  BridgeStats s;
  s.stress_level = 0.046875;
  s.average_participant_stress = 0.01;
  s.version = "2.3.231-g4c1c7ad3";
  s.region = "us-east-1";
  s.relay_id = "jvb-use1-07";
  s.conferences = 3;
  s.participants = 11;
  s.now = at(2026, 8, 19, 14, 2, 11, 473);
  return s;
}

// Our presence and the vector agree on every stat both have (same values, same order), and
// what only we publish is one of the dashboard extras.
void check_against(const gloox::Tag& ours, const gloox::Tag& vector) {
  const Stats our_stats = stats_of(ours);
  const Stats vector_stats = stats_of(vector);
  CHECK(only(our_stats, names(vector_stats)) == only(vector_stats, kPublished));
  for (const auto& name : names(our_stats)) CHECK(kPublished.count(name));
  CHECK(ours.findAttribute("to") == vector.findAttribute("to"));
  CHECK(ours.findAttribute("type") == vector.findAttribute("type"));
  // Same children (x, stats) in the same order, with the same namespaces.
  std::vector<std::string> our_children, vector_children;
  for (const auto* c : ours.children()) our_children.push_back(c->name() + " " + effective_namespace(*c));
  for (const auto* c : vector.children())
    vector_children.push_back(c->name() + " " + effective_namespace(*c));
  CHECK(our_children == vector_children);
}

const std::string kOccupant =
    "jvbbrewery@internal.auth.meet.example.org/9a3f6c1e-2b7d-4e8a-b5c4-0f1d2e3a4b5c";

}  // namespace

// ---- Vectors ----

TEST_CASE("stats_presence: vectors/xmpp/presence-*.xml") {
  auto dir = vectors();
  if (!dir) {
    MESSAGE("JVB_SHARED_DIR not set or without docs/protocol/vectors: vector cases skipped");
    return;
  }
  SUBCASE("join: the MUC <x/> first, then the stats") {
    auto ours = brewery_presence(kOccupant, vector_stats(), true);
    check_against(*ours, *load(*dir / "presence-join.xml"));
    CHECK(ours->children().front()->name() == "x");
  }
  SUBCASE("periodic update: no MUC <x/>") {
    auto ours = brewery_presence(kOccupant, vector_stats(), false);
    check_against(*ours, *load(*dir / "presence-stats.xml"));
    CHECK_FALSE(ours->findChild("x"));
  }
  SUBCASE("minimal: an idle bridge writes stress 0.0") {
    BridgeStats s;
    s.version = "0.1.0-cpp";
    check_against(*brewery_presence(kOccupant, s, false), *load(*dir / "presence-stats-minimal.xml"));
  }
  SUBCASE("graceful shutdown and shutting down") {
    BridgeStats s;
    s.stress_level = 0.21;
    s.average_participant_stress = 0.01;
    s.graceful_shutdown = true;
    s.version = "2.3.231-g4c1c7ad3";
    check_against(*brewery_presence(kOccupant, s, false), *load(*dir / "presence-graceful-shutdown.xml"));
    s.stress_level = 0.02;
    s.shutting_down = true;
    check_against(*brewery_presence(kOccupant, s, false), *load(*dir / "presence-shutting-down.xml"));
  }
}

// ---- Structure ----

TEST_CASE("stats_presence: every stat, in order, with its value") {
  BridgeStats s = vector_stats();
  s.drain = true;
  s.healthy = false;
  s.release = "42";
  s.mucs_joined = 2;
  s.muc_clients_connected = 1;
  auto stats = stats_element(s);
  REQUIRE(stats);
  CHECK(stats->name() == "stats");
  CHECK(stats->findAttribute("xmlns") == kNsColibri);
  auto presence = brewery_presence(kOccupant, s, false);
  const Stats expected = {
      {"stress_level", "0.046875"},
      {"average_participant_stress", "0.01"},
      {"drain", "true"},
      {"graceful_shutdown", "false"},
      {"shutting_down", "false"},
      {"healthy", "false"},
      {"version", "2.3.231-g4c1c7ad3"},
      {"release", "42"},
      {"region", "us-east-1"},
      {"relay_id", "jvb-use1-07"},
      {"conferences", "3"},
      {"participants", "11"},
      {"mucs_joined", "2"},
      {"muc_clients_connected", "1"},
      {"current_timestamp", "2026-08-19 14:02:11.473"},
  };
  CHECK(stats_of(*presence) == expected);
}

TEST_CASE("stats_presence: with a whitelist (stats-filter), only the stats it names") {
  BridgeStats s = vector_stats();
  s.whitelist = std::vector<std::string>{"drain", "stress_level", "version", "no_such_stat"};
  const Stats expected = {{"stress_level", "0.046875"}, {"drain", "false"}, {"version", "2.3.231-g4c1c7ad3"}};
  CHECK(stats_of(*brewery_presence(kOccupant, s, false)) == expected);
  s.whitelist = std::vector<std::string>{};
  CHECK(stats_element(s)->children().empty());
}

TEST_CASE("stats_presence: the presence envelope") {
  auto presence = brewery_presence(kOccupant, BridgeStats{}, true);
  CHECK(presence->name() == "presence");
  CHECK(presence->findAttribute("to") == kOccupant);
  CHECK_FALSE(presence->hasAttribute("xmlns"));  // written inside the jabber:client stream
  CHECK_FALSE(presence->hasAttribute("type"));
  REQUIRE(presence->children().size() == 2);
  const gloox::Tag* x = presence->children().front();
  CHECK(x->name() == "x");
  CHECK(effective_namespace(*x) == kNsMuc);
  CHECK(x->children().empty());
  CHECK(brewery_presence(kOccupant, BridgeStats{}, false)->children().size() == 1);

  // Through text and gloox again, as the connection sends it.
  auto again = parse_xml(presence->xml());
  REQUIRE(again);
  CHECK(stats_of(*again) == stats_of(*presence));
}

TEST_CASE("stats_presence: unset, empty or unwritable strings are left out") {
  BridgeStats s;
  auto ours = stats_of(*brewery_presence(kOccupant, s, false));
  for (const char* name : {"version", "release", "region", "relay_id"}) CHECK_FALSE(names(ours).count(name));
  s.release = "";
  s.region = std::string("eu\x01");  // a control character XML 1.0 cannot carry
  s.relay_id = "jvb-1";
  s.version = "\xff\xfe";  // not UTF-8
  ours = stats_of(*brewery_presence(kOccupant, s, false));
  CHECK_FALSE(names(ours).count("release"));
  CHECK_FALSE(names(ours).count("region"));
  CHECK_FALSE(names(ours).count("version"));
  CHECK(names(ours).count("relay_id"));
  for (const auto& stat : ours) CHECK_FALSE(stat.second.empty());
}

// ---- Value forms ----

TEST_CASE("stats_presence: doubles as Double.parseDouble reads them") {
  CHECK(stat_double(0) == "0.0");
  CHECK(stat_double(-0.0) == "-0.0");
  CHECK(stat_double(1) == "1.0");
  CHECK(stat_double(-2) == "-2.0");
  CHECK(stat_double(0.046875) == "0.046875");
  CHECK(stat_double(0.01) == "0.01");
  CHECK(stat_double(0.1 + 0.2) == "0.30000000000000004");  // shortest form that reads back exactly
  CHECK(stat_double(1e-5) == "1e-05");
  CHECK(stat_double(1e20) == "1e+20");
  CHECK(stat_double(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(stat_double(std::numeric_limits<double>::infinity()) == "Infinity");
  CHECK(stat_double(-std::numeric_limits<double>::infinity()) == "-Infinity");
  for (double v : {0.046875, 0.01, 1.0 / 3, 12345.678, 5e-324, 1.7976931348623157e308}) {
    CHECK(std::strtod(stat_double(v).c_str(), nullptr) == v);
  }
}

TEST_CASE("stats_presence: current_timestamp is UTC yyyy-MM-dd HH:mm:ss.SSS") {
  CHECK(stat_timestamp(at(2026, 8, 19, 14, 2, 11, 473)) == "2026-08-19 14:02:11.473");
  CHECK(stat_timestamp(system_clock::time_point{}) == "1970-01-01 00:00:00.000");
  CHECK(stat_timestamp(at(2024, 2, 29, 23, 59, 59, 999)) == "2024-02-29 23:59:59.999");
  // Sub-millisecond parts are cut, never rounded up into the next second.
  CHECK(stat_timestamp(at(2026, 12, 31, 23, 59, 59, 999) + microseconds{999}) == "2026-12-31 23:59:59.999");
  // Before the epoch, floor keeps the day and time of day right.
  CHECK(stat_timestamp(system_clock::time_point{} - milliseconds{1}) == "1969-12-31 23:59:59.999");
  CHECK(stat_timestamp(system_clock::time_point{} - microseconds{1}) == "1969-12-31 23:59:59.999");
}
