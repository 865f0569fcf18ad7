// Tests of tools/focus/brewery.hpp (Jicofo's BaseBrewery and BridgeSelector): <stats/> parsing,
// bridge tracking from brewery presences, and Jicofo's selection order for a new conference.
#include <doctest/doctest.h>

#include "tests/unit/xml_text.hpp"
#include "tools/focus/brewery.hpp"

namespace jvb::focus {
namespace {

BridgeStatsUpdate stats(double stress, bool drain, bool graceful = false, bool shutting_down = false) {
  BridgeStatsUpdate update;
  update.stress_level = stress;
  update.drain = drain;
  update.graceful_shutdown = graceful;
  update.shutting_down = shutting_down;
  return update;
}

TEST_CASE("parse_bridge_stats reads the stats Jicofo uses and skips the rest") {
  auto tag = test::parse_xml(
      "<stats xmlns='http://jitsi.org/protocol/colibri'>"
      "<stat name='stress_level' value='0.046875'/>"
      "<stat name='average_participant_stress' value='0.01'/>"
      "<stat name='drain' value='false'/>"
      "<stat name='graceful_shutdown' value='FALSE'/>"
      "<stat name='shutting_down' value='true'/>"
      "<stat name='version' value='2.3.231-g4c1c7ad3'/>"
      "<stat name='conferences' value='3'/>"
      "<other/></stats>");
  REQUIRE(tag);
  BridgeStatsUpdate update = parse_bridge_stats(*tag);
  CHECK(update.stress_level == doctest::Approx(0.046875));
  CHECK(update.drain == false);
  CHECK(update.graceful_shutdown == false);
  CHECK(update.shutting_down == true);
  CHECK(update.version == "2.3.231-g4c1c7ad3");
}

TEST_CASE("parse_bridge_stats leaves malformed or missing stats empty") {
  auto tag = test::parse_xml(
      "<stats xmlns='http://jitsi.org/protocol/colibri'>"
      "<stat name='stress_level' value='high'/>"
      "<stat name='drain' value='maybe'/>"
      "<stat value='true'/>"
      "<stat name='stress_level' value='nan'/></stats>");
  REQUIRE(tag);
  BridgeStatsUpdate update = parse_bridge_stats(*tag);
  CHECK_FALSE(update.stress_level);
  CHECK_FALSE(update.drain);
  CHECK_FALSE(update.graceful_shutdown);
  CHECK_FALSE(update.shutting_down);
  CHECK_FALSE(update.version);
}

TEST_CASE("occupant JIDs compare with the room part lowercased") {
  CHECK(normalize_occupant_jid("JvbBrewery@Internal.Auth.Test/Jvb-1") ==
        "jvbbrewery@internal.auth.test/Jvb-1");
  CHECK(normalize_occupant_jid("JvbBrewery@internal") == "jvbbrewery@internal");
  Brewery brewery;
  CHECK(brewery.on_stats("JvbBrewery@internal/a", stats(0.1, false)) == BreweryChange::kJoined);
  CHECK(brewery.on_stats("jvbbrewery@internal/a", stats(0.2, false)) == BreweryChange::kUpdated);
  REQUIRE(brewery.find("jvbbrewery@INTERNAL/a"));
  CHECK(brewery.find("jvbbrewery@internal/a")->stress_level == doctest::Approx(0.2));
  CHECK(brewery.find("jvbbrewery@internal/A") == nullptr);
  CHECK(brewery.size() == 1);
}

TEST_CASE("a bridge leaves with its unavailable presence; others' leaving is no change") {
  Brewery brewery;
  brewery.on_stats("room@muc/a", stats(0, false));
  CHECK(brewery.on_unavailable("room@muc/focus") == BreweryChange::kNone);
  CHECK(brewery.on_unavailable("room@muc/a") == BreweryChange::kLeft);
  CHECK(brewery.size() == 0);
  CHECK(brewery.select() == nullptr);
}

TEST_CASE("stats keep earlier values when absent; drain is assumed until reported") {
  Brewery brewery;
  brewery.on_stats("room@muc/a", BridgeStatsUpdate{});
  const BridgeInfo* a = brewery.find("room@muc/a");
  REQUIRE(a);
  CHECK(a->drain);
  CHECK(a->stress_level == 0.0);
  brewery.on_stats("room@muc/a", stats(0.5, false));
  brewery.on_stats("room@muc/a", BridgeStatsUpdate{});
  CHECK(a->stress_level == doctest::Approx(0.5));
  CHECK_FALSE(a->drain);
}

TEST_CASE("graceful_shutdown and shutting_down are sticky until the bridge leaves") {
  Brewery brewery;
  brewery.on_stats("room@muc/a", stats(0, false, true, true));
  brewery.on_stats("room@muc/a", stats(0, false, false, false));
  const BridgeInfo* a = brewery.find("room@muc/a");
  CHECK(a->graceful_shutdown);
  CHECK(a->shutting_down);
  brewery.on_unavailable("room@muc/a");
  brewery.on_stats("room@muc/a", stats(0, false));
  CHECK_FALSE(brewery.find("room@muc/a")->shutting_down);
}

TEST_CASE("selection: lowest stress among equals") {
  Brewery brewery;
  brewery.on_stats("room@muc/a", stats(0.4, false));
  brewery.on_stats("room@muc/b", stats(0.1, false));
  brewery.on_stats("room@muc/c", stats(0.3, false));
  REQUIRE(brewery.select());
  CHECK(brewery.select()->occupant == "room@muc/b");
}

TEST_CASE("selection: a draining bridge only when every bridge drains") {
  Brewery brewery;
  brewery.on_stats("room@muc/idle-draining", stats(0.0, true));
  brewery.on_stats("room@muc/busy", stats(0.9, false));
  CHECK(brewery.select()->occupant == "room@muc/busy");
  brewery.on_unavailable("room@muc/busy");
  CHECK(brewery.select()->occupant == "room@muc/idle-draining");
}

TEST_CASE("selection: graceful shutdown after draining, before stress") {
  Brewery brewery;
  brewery.on_stats("room@muc/graceful", stats(0.0, false, true));
  brewery.on_stats("room@muc/busy", stats(0.7, false));
  CHECK(brewery.select()->occupant == "room@muc/busy");
  // Non-draining in graceful shutdown beats draining.
  brewery.on_stats("room@muc/busy", stats(0.7, true));
  CHECK(brewery.select()->occupant == "room@muc/graceful");
}

TEST_CASE("selection: shutting_down bridges are never chosen") {
  Brewery brewery;
  brewery.on_stats("room@muc/down", stats(0.0, false, false, true));
  CHECK(brewery.select() == nullptr);
  brewery.on_stats("room@muc/draining", stats(0.9, true, true));
  CHECK(brewery.select()->occupant == "room@muc/draining");
}

TEST_CASE("selection: ties go to the first occupant in JID order") {
  Brewery brewery;
  brewery.on_stats("room@muc/b", stats(0.2, false));
  brewery.on_stats("room@muc/a", stats(0.2, false));
  CHECK(brewery.select()->occupant == "room@muc/a");
}

}  // namespace
}  // namespace jvb::focus
