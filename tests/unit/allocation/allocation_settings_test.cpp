// Tests of bridge/conference/allocation/allocation_settings.hpp (ReceiverVideoConstraints and
// LastNChangedEvent as JVB's AllocationSettings.kt applies them).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bridge/conference/allocation/allocation_settings.hpp"

using namespace jvb::allocation;
using Names = std::vector<std::string>;

TEST_CASE("initial state: no video until the client speaks") {
  AllocationSettings s;
  CHECK(s.last_n() == -1);
  CHECK(s.default_constraints() == VideoConstraints{0});
  CHECK(s.constraints_for("anything-v0") == VideoConstraints{0});
  CHECK(s.selected_sources().empty());
  CHECK(s.on_stage_sources().empty());
  CHECK_FALSE(s.assumed_bandwidth_bps());
  CHECK_FALSE(s.received_constraints());

  AllocationSettingsConfig config;
  config.initial_last_n = 5;
  config.initial_max_height_px = 90;
  AllocationSettings configured(config);
  CHECK(configured.last_n() == 5);
  CHECK(configured.default_constraints() == VideoConstraints{90});
}

TEST_CASE("the first message without defaultConstraints sets the 180p default") {
  AllocationSettings s;
  CHECK(s.apply(ConstraintsUpdate{}));
  CHECK(s.received_constraints());
  CHECK(s.default_constraints() == VideoConstraints{180});
  CHECK(s.constraints_for("x-v0") == VideoConstraints{180});
  // Later messages without it leave it alone.
  CHECK_FALSE(s.apply(ConstraintsUpdate{}));

  AllocationSettingsConfig config;
  config.default_max_height_px = 360;
  AllocationSettings configured(config);
  configured.apply(ConstraintsUpdate{});
  CHECK(configured.default_constraints() == VideoConstraints{360});
}

TEST_CASE("a first message repeating the initial default is no change") {
  AllocationSettings s;
  ConstraintsUpdate u;
  u.default_constraints = VideoConstraints{0};
  CHECK_FALSE(s.apply(u));
  CHECK(s.default_constraints() == VideoConstraints{0});
  // ... and the 180 default is not applied later either.
  CHECK_FALSE(s.apply(ConstraintsUpdate{}));
  CHECK(s.default_constraints() == VideoConstraints{0});

  AllocationSettings t;
  u.default_constraints = VideoConstraints{180};
  CHECK(t.apply(u));
}

TEST_CASE("an explicit default survives later messages that omit it") {
  AllocationSettings s;
  ConstraintsUpdate u;
  u.default_constraints = VideoConstraints{720};
  CHECK(s.apply(u));
  CHECK_FALSE(s.apply(ConstraintsUpdate{}));
  CHECK(s.default_constraints() == VideoConstraints{720});
}

TEST_CASE("present fields replace, absent fields keep") {
  AllocationSettings s;
  ConstraintsUpdate u;
  u.last_n = 20;
  u.on_stage_sources = Names{"a-v0"};
  u.selected_sources = Names{"b-v0", "c-v0"};
  u.constraints = ConstraintsMap{{"a-v0", VideoConstraints{720}}, {"e1", VideoConstraints{360, 15}}};
  CHECK(s.apply(u));
  CHECK(s.last_n() == 20);
  CHECK(s.on_stage_sources() == Names{"a-v0"});
  CHECK(s.selected_sources() == Names{"b-v0", "c-v0"});
  CHECK(s.constraints_for("a-v0") == VideoConstraints{720});
  CHECK(s.constraints_for("e1") == VideoConstraints{360, 15});
  CHECK(s.constraints_for("b-v0") == VideoConstraints{180});
  CHECK(s.is_on_stage("a-v0"));
  CHECK_FALSE(s.is_on_stage("b-v0"));

  // Only lastN: everything else stays.
  ConstraintsUpdate only_last_n;
  only_last_n.last_n = 3;
  CHECK(s.apply(only_last_n));
  CHECK(s.last_n() == 3);
  CHECK(s.on_stage_sources() == Names{"a-v0"});
  CHECK(s.constraints_for("a-v0") == VideoConstraints{720});

  // The same values again: no change.
  CHECK_FALSE(s.apply(only_last_n));
  CHECK(s.apply(u));  // lastN goes back to 20
  CHECK_FALSE(s.apply(u));

  // A present map replaces the whole map; an empty list clears the stage.
  ConstraintsUpdate replace;
  replace.constraints = ConstraintsMap{{"b-v0", VideoConstraints{0}}};
  replace.on_stage_sources = Names{};
  CHECK(s.apply(replace));
  CHECK(s.constraints_for("a-v0") == VideoConstraints{180});
  CHECK(s.constraints_for("b-v0") == VideoConstraints{0});
  CHECK(s.on_stage_sources().empty());
  CHECK(s.selected_sources() == Names{"b-v0", "c-v0"});
}

TEST_CASE("LastNChangedEvent") {
  AllocationSettings s;
  CHECK(s.set_last_n(2));
  CHECK_FALSE(s.set_last_n(2));
  CHECK(s.last_n() == 2);
  CHECK(s.set_last_n(-1));
}

TEST_CASE("selection order: on stage first, then selected, without duplicates") {
  AllocationSettings s;
  ConstraintsUpdate u;
  u.on_stage_sources = Names{"c", "a"};
  u.selected_sources = Names{"a", "b", "c", "d"};
  s.apply(u);
  CHECK(s.selection_order() == Names{"c", "a", "b", "d"});
}

TEST_CASE("legacy endpoint ids map to <endpoint>-v0") {
  CHECK(endpoint_source_names(Names{"79f0273d", "a1b2c3d4"}) == Names{"79f0273d-v0", "a1b2c3d4-v0"});
  CHECK(endpoint_source_names(Names{}).empty());

  AllocationSettings s;
  ConstraintsUpdate u;
  u.selected_endpoints = Names{"e1", "e2"};
  u.on_stage_endpoints = Names{"e3"};
  CHECK(s.apply(u));
  CHECK(s.selected_sources() == Names{"e1-v0", "e2-v0"});
  CHECK(s.on_stage_sources() == Names{"e3-v0"});

  // The source-name fields win when both are present.
  ConstraintsUpdate both;
  both.selected_sources = Names{"x-v1"};
  both.selected_endpoints = Names{"y"};
  CHECK(s.apply(both));
  CHECK(s.selected_sources() == Names{"x-v1"});
}

TEST_CASE("assumedBandwidthBps only with a configured limit, capped at it") {
  ConstraintsUpdate u;
  u.assumed_bandwidth_bps = 20'000'000;

  AllocationSettings no_limit;
  no_limit.apply(u);
  CHECK_FALSE(no_limit.assumed_bandwidth_bps());
  CHECK_FALSE(no_limit.apply(u));

  AllocationSettingsConfig config;
  config.assumed_bandwidth_limit_bps = 10'000'000;
  AllocationSettings limited(config);
  CHECK(limited.apply(u));
  CHECK(limited.assumed_bandwidth_bps() == 10'000'000);
  u.assumed_bandwidth_bps = 2'000'000;
  CHECK(limited.apply(u));
  CHECK(limited.assumed_bandwidth_bps() == 2'000'000);
  // -1 (LJM's default) turns the override off again; repeating it is no change.
  u.assumed_bandwidth_bps = -1;
  CHECK(limited.apply(u));
  CHECK_FALSE(limited.assumed_bandwidth_bps());
  CHECK_FALSE(limited.apply(u));
}

TEST_CASE("constraint validity as the message parser checks it") {
  CHECK(VideoConstraints{}.is_valid());
  CHECK(VideoConstraints{0}.is_valid());
  CHECK(VideoConstraints{720, 30}.is_valid());
  CHECK_FALSE(VideoConstraints{-2}.is_valid());
  CHECK_FALSE(VideoConstraints{180, -0.5}.is_valid());
  CHECK(VideoConstraints{180, 0}.is_disabled());
  CHECK(VideoConstraints{0}.is_disabled());
  CHECK_FALSE(VideoConstraints{}.is_disabled());
  CHECK_FALSE(VideoConstraints{}.height_is_limited());
}
