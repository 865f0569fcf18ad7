// Tests of bridge/conference/allocation/allocator.hpp: the phases one by one (the behaviours of
// JVB's BitrateControllerTest, EffectiveConstraintsTest and SingleSourceAllocationTest) and the
// infinite-budget allocation the bridge uses until it has a BWE.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/unit/allocation/allocation_fixtures.hpp"

using namespace alloc_test;

namespace {

std::vector<std::string> names(const std::vector<const VideoSource*>& sources) {
  std::vector<std::string> out;
  for (const VideoSource* s : sources) out.push_back(s->name);
  return out;
}

std::vector<VideoSource> named_sources(std::initializer_list<const char*> names_in_order) {
  std::vector<VideoSource> out;
  for (const char* n : names_in_order) out.push_back(VideoSource{n, n, VideoType::kCamera, {}});
  return out;
}

std::vector<int> indices(const CandidateLayers& c) {
  std::vector<int> out;
  for (const Layer& l : c.layers) out.push_back(l.index);
  return out;
}

int preferred(const CandidateLayers& c) { return c.preferred() ? c.preferred()->index : -1; }
int oversend(const CandidateLayers& c) { return c.oversend() ? c.oversend()->index : -1; }

const AllocatorConfig kConfig;

// A settings object after a first message with the given default and per-source constraints.
AllocationSettings settings_with(std::optional<int> last_n, VideoConstraints defaults,
                                 ConstraintsMap constraints = {}) {
  ConstraintsUpdate u;
  u.last_n = last_n;
  u.default_constraints = defaults;
  u.constraints = std::move(constraints);
  return settings_after(u);
}

std::vector<Layer> with_bitrates(std::vector<Layer> layers,
                                 std::initializer_list<std::pair<int, std::int64_t>> set) {
  for (auto [index, bps] : set) layers[static_cast<std::size_t>(index)].bitrate_bps = bps;
  return layers;
}

}  // namespace

// ---- Phase 1 ---------------------------------------------------------------------------------

TEST_CASE("prioritisation") {
  auto sources = named_sources({"s6", "s5", "s4", "s3", "s2", "s1"});
  SUBCASE("no selection: speech order") {
    CHECK(names(prioritize(sources, {})) == std::vector<std::string>{"s6", "s5", "s4", "s3", "s2", "s1"});
  }
  SUBCASE("one selected goes first") {
    std::vector<std::string> sel{"s2"};
    CHECK(names(prioritize(sources, sel)) == std::vector<std::string>{"s2", "s6", "s5", "s4", "s3", "s1"});
  }
  SUBCASE("several selected: selection order, then the rest in speech order") {
    std::vector<std::string> sel{"s2", "s1", "s5"};
    CHECK(names(prioritize(sources, sel)) == std::vector<std::string>{"s2", "s1", "s5", "s6", "s4", "s3"});
  }
  SUBCASE("disabled sources last, selected or not, in speech order") {
    sources[1].video_type = VideoType::kDisabled;  // s5
    sources[4].video_type = VideoType::kNone;      // s2
    std::vector<std::string> sel{"s2", "s1"};
    CHECK(names(prioritize(sources, sel)) == std::vector<std::string>{"s1", "s6", "s4", "s3", "s5", "s2"});
  }
  SUBCASE("selected names that match no source are ignored") {
    std::vector<std::string> sel{"gone", "s3"};
    CHECK(names(prioritize(sources, sel)) == std::vector<std::string>{"s3", "s6", "s5", "s4", "s2", "s1"});
  }
}

TEST_CASE("on-stage sources come before selected ones") {
  ConstraintsUpdate u;
  u.selected_sources = std::vector<std::string>{"B-v0", "C-v0"};
  u.on_stage_sources = std::vector<std::string>{"C-v0", "D-v0"};
  AllocationSettings settings = settings_after(u);
  CHECK(settings.selection_order() == std::vector<std::string>{"C-v0", "D-v0", "B-v0"});
  Allocation a = allocate(settings, cameras({"A", "B", "C", "D"}), {}, std::nullopt);
  std::vector<std::string> order;
  for (const SourceAllocation& s : a.sources) order.push_back(s.name);
  CHECK(order == std::vector<std::string>{"C-v0", "D-v0", "B-v0", "A-v0"});
  CHECK(a.find("C-v0")->on_stage);
  CHECK_FALSE(a.find("B-v0")->on_stage);
}

// ---- Phase 2 ---------------------------------------------------------------------------------

TEST_CASE("effective constraints") {
  // JVB's EffectiveConstraintsTest: s4 and s5 have video disabled, s6 has none.
  std::vector<VideoSource> all = named_sources({"s1", "s2", "s3", "s4", "s5", "s6"});
  all[3].video_type = VideoType::kDisabled;
  all[4].video_type = VideoType::kDisabled;
  all[5].video_type = VideoType::kNone;
  const VideoSource *s1 = &all[0], *s2 = &all[1], *s3 = &all[2], *s4 = &all[3], *s5 = &all[4], *s6 = &all[5];
  const std::vector<const VideoSource*> normal{s1, s2, s3, s4, s5, s6};
  const std::vector<const VideoSource*> disabled_first{s4, s5, s6, s1, s2, s3};
  const VideoConstraints k0 = kNothing, k180{180}, k360{360}, k720{720};
  using V = std::vector<VideoConstraints>;

  auto effective = [](const std::vector<const VideoSource*>& order, const AllocationSettings& s) {
    return effective_constraints(order, s, s.last_n());
  };

  CHECK(effective(normal, settings_with(0, k180)) == V{k0, k0, k0, k0, k0, k0});
  CHECK(effective(normal, settings_with(1, k180)) == V{k180, k0, k0, k0, k0, k0});
  CHECK(effective(normal, settings_with(1, k360)) == V{k360, k0, k0, k0, k0, k0});
  CHECK(effective(normal, settings_with(1, k0)) == V{k0, k0, k0, k0, k0, k0});
  CHECK(effective(normal, settings_with(1, k0, {{"s1", k720}})) == V{k720, k0, k0, k0, k0, k0});
  // A disabled source gets nothing whatever its constraints say.
  CHECK(effective(normal, settings_with(1, k0, {{"s4", k720}})) == V{k0, k0, k0, k0, k0, k0});

  SUBCASE("lastN 1, top sources with video disabled: the first enabled source gets the slot") {
    CHECK(effective(disabled_first, settings_with(1, k180)) == V{k0, k0, k0, k180, k0, k0});
    CHECK(effective(disabled_first, settings_with(1, k0, {{"s5", k180}})) == V{k0, k0, k0, k0, k0, k0});
    CHECK(effective(disabled_first, settings_with(1, k0, {{"s2", k180}})) == V{k0, k0, k0, k0, k180, k0});
    CHECK(effective(disabled_first, settings_with(1, k0, {{"s2", k180}, {"s3", k180}})) ==
          V{k0, k0, k0, k0, k180, k0});
  }
  SUBCASE("lastN 3") {
    CHECK(effective(normal, settings_with(3, k180)) == V{k180, k180, k180, k0, k0, k0});
    CHECK(effective(disabled_first, settings_with(3, k180)) == V{k0, k0, k0, k180, k180, k180});
    // Default 0 and non-zero constraints lower in the list: those get theirs.
    CHECK(effective(disabled_first, settings_with(3, k0, {{"s6", k180}, {"s2", k180}, {"s3", k180}})) ==
          V{k0, k0, k0, k0, k180, k180});
  }
  SUBCASE("unlimited lastN") {
    CHECK(effective(normal, settings_with(-1, k180)) == V{k180, k180, k180, k0, k0, k0});
  }
}

TEST_CASE("the bridge-side last-N caps apply to the allocation") {
  AllocationSettings settings = settings_with(-1, VideoConstraints{180});
  auto sources = cameras({"A", "B", "C", "D"});
  LastNCaps caps;
  caps.jvb_last_n = 2;
  CHECK(allocate(settings, sources, caps, std::nullopt).forwarded_sources ==
        std::vector<std::string>{"A-v0", "B-v0"});
  caps = {};
  caps.conference_size_limit =
      LastNLimits(std::map<int, int>{{5, 3}}).limit_for(static_cast<int>(sources.size()) + 1);
  CHECK(allocate(settings, sources, caps, std::nullopt).forwarded_sources ==
        std::vector<std::string>{"A-v0", "B-v0", "C-v0"});
  caps = {};
  caps.ssrc_limit_video = 1;
  CHECK(allocate(settings, sources, caps, std::nullopt).forwarded_sources ==
        std::vector<std::string>{"A-v0"});
}

TEST_CASE("selected sources override the dominant speaker") {
  ConstraintsUpdate first;
  first.selected_sources = std::vector<std::string>{"A-v0", "B-v0"};
  first.constraints = ConstraintsMap{{"A-v0", VideoConstraints{720}}, {"B-v0", VideoConstraints{720}}};
  AllocationSettings settings = settings_after(first);
  CHECK(allocate(settings, cameras({"A", "B", "C", "D"}), {}, 10'000'000).effective_constraints() ==
        ConstraintsMap{{"A-v0", VideoConstraints{720}},
                       {"B-v0", VideoConstraints{720}},
                       {"C-v0", VideoConstraints{180}},
                       {"D-v0", VideoConstraints{180}}});

  ConstraintsUpdate last_n_2;
  last_n_2.last_n = 2;
  CHECK(settings.apply(last_n_2));
  const ConstraintsMap expected{{"A-v0", VideoConstraints{720}},
                                {"B-v0", VideoConstraints{720}},
                                {"C-v0", kNothing},
                                {"D-v0", kNothing}};
  const std::vector<std::string> ab{"A-v0", "B-v0"};
  for (auto order : {cameras({"A", "B", "C", "D"}), cameras({"B", "A", "C", "D"}),
                     cameras({"C", "A", "B", "D"}), cameras({"D", "B", "A", "C"})}) {
    Allocation a = allocate(settings, order, {}, 10'000'000);
    CHECK(a.effective_constraints() == expected);
    CHECK(same_source_set(a.forwarded_sources, ab));
  }

  // Re-sending the same selection changes nothing; lastN -1 brings C and D back at 180.
  ConstraintsUpdate same;
  same.selected_sources = ab;
  CHECK_FALSE(settings.apply(same));
  CHECK(settings.set_last_n(-1));
  Allocation a = allocate(settings, cameras({"A", "B", "C", "D"}), {}, 10'000'000);
  CHECK(a.forwarded_sources == std::vector<std::string>{"A-v0", "B-v0", "C-v0", "D-v0"});
}

// ---- Phase 3 ---------------------------------------------------------------------------------

TEST_CASE("camera candidates, all layers active") {
  VideoSource s = camera("A");
  CandidateLayers c = select_candidate_layers(s, VideoConstraints{720}, false, kConfig);
  CHECK(indices(c) == std::vector<int>{kLd7_5, kLd15, kLd30, kSd30, kHd30});
  CHECK(preferred(c) == kSd30);
  CHECK(oversend(c) == -1);
  // Unlimited is the same as 720 here.
  CHECK(indices(select_candidate_layers(s, VideoConstraints{}, false, kConfig)) == indices(c));
  // On stage changes nothing for a camera.
  CHECK(oversend(select_candidate_layers(s, VideoConstraints{720}, true, kConfig)) == -1);
}

TEST_CASE("camera with constraints") {
  VideoSource s = camera("A");
  SUBCASE("360") {
    CandidateLayers c = select_candidate_layers(s, VideoConstraints{360}, false, kConfig);
    CHECK(indices(c) == std::vector<int>{kLd7_5, kLd15, kLd30, kSd30});
    CHECK(preferred(c) == kSd30);
    CHECK(c.ideal()->index == kSd30);
  }
  SUBCASE("180: no preference, all 180p layers") {
    CandidateLayers c = select_candidate_layers(s, VideoConstraints{180}, false, kConfig);
    CHECK(indices(c) == std::vector<int>{kLd7_5, kLd15, kLd30});
    CHECK(preferred(c) == kLd30);
  }
  SUBCASE("unmet by any layer: the lowest resolution is still allowed") {
    VideoSource hd{"A-v0", "A", VideoType::kCamera, {jvb_layers()[6], jvb_layers()[7], jvb_layers()[8]}};
    CandidateLayers c = select_candidate_layers(hd, VideoConstraints{360}, false, kConfig);
    CHECK(indices(c) == std::vector<int>{kHd7_5, kHd15, kHd30});
    CHECK(preferred(c) == kHd30);
    c = select_candidate_layers(s, VideoConstraints{1}, false, kConfig);
    CHECK(indices(c) == std::vector<int>{kLd7_5, kLd15, kLd30});
  }
  SUBCASE("0: nothing") {
    CandidateLayers c = select_candidate_layers(s, kNothing, false, kConfig);
    CHECK(c.empty());
    CHECK(c.ideal() == nullptr);
    CHECK(preferred(c) == -1);
  }
  SUBCASE("the preferred height and frame rate come from config") {
    AllocatorConfig config;
    config.onstage_preferred_height_px = 720;
    config.onstage_preferred_framerate = 15;
    CandidateLayers c = select_candidate_layers(s, VideoConstraints{720}, false, config);
    CHECK(indices(c) == std::vector<int>{kLd7_5, kLd15, kLd30, kSd7_5, kSd15, kSd30, kHd15, kHd30});
    CHECK(preferred(c) == kHd30);
  }
}

TEST_CASE("camera with inactive layers") {
  SUBCASE("only up to 360p/15 active: inactive layers are left out") {
    VideoSource s =
        camera("A", with_bitrates(jvb_layers(), {{kSd30, 0}, {kHd7_5, 0}, {kHd15, 0}, {kHd30, 0}}));
    CandidateLayers c = select_candidate_layers(s, VideoConstraints{720}, false, kConfig);
    CHECK(indices(c) == std::vector<int>{kLd7_5, kLd15, kLd30});
    CHECK(preferred(c) == kLd30);
  }
  SUBCASE("no layer active: all are considered") {
    std::vector<Layer> layers = jvb_layers();
    for (Layer& l : layers) l.bitrate_bps = 0;
    CandidateLayers c = select_candidate_layers(camera("A", layers), VideoConstraints{720}, false, kConfig);
    CHECK(indices(c) == std::vector<int>{kLd7_5, kLd15, kLd30, kSd30, kHd30});
    CHECK(preferred(c) == kSd30);
  }
}

TEST_CASE("screen-share candidates") {
  auto desktop = [](std::vector<Layer> layers) {
    return VideoSource{"A-v0", "A", VideoType::kDesktop, std::move(layers)};
  };
  SUBCASE("all active, on stage: everything, preferred the best, oversend 720p/7.5") {
    CandidateLayers c = select_candidate_layers(desktop(jvb_layers()), VideoConstraints{720}, true, kConfig);
    CHECK(indices(c) == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8});
    CHECK(preferred(c) == kHd30);
    CHECK(oversend(c) == kHd7_5);
  }
  SUBCASE("360p constraint") {
    CandidateLayers c = select_candidate_layers(desktop(jvb_layers()), VideoConstraints{360}, true, kConfig);
    CHECK(indices(c) == std::vector<int>{0, 1, 2, 3, 4, 5});
    CHECK(preferred(c) == kSd30);
    CHECK(oversend(c) == kSd7_5);
  }
  SUBCASE("off stage: no oversending") {
    CandidateLayers c = select_candidate_layers(desktop(jvb_layers()), VideoConstraints{720}, false, kConfig);
    CHECK(oversend(c) == -1);
    CHECK(preferred(c) == kHd30);
  }
  SUBCASE("high layers inactive (send-side BWE): only the active ones") {
    auto layers = with_bitrates(jvb_layers(), {{kHd7_5, 0}, {kHd15, 0}, {kHd30, 0}});
    CandidateLayers c = select_candidate_layers(desktop(layers), VideoConstraints{720}, true, kConfig);
    CHECK(indices(c) == std::vector<int>{0, 1, 2, 3, 4, 5});
    CHECK(preferred(c) == kSd30);
    CHECK(oversend(c) == kSd7_5);
  }
  SUBCASE("low layers inactive (simulcast signaled, unused): the high layer is used") {
    auto layers = with_bitrates(jvb_layers(), {{0, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0}});
    for (VideoConstraints max : {VideoConstraints{720}, VideoConstraints{180}}) {
      CandidateLayers c = select_candidate_layers(desktop(layers), max, true, kConfig);
      CHECK(indices(c) == std::vector<int>{kHd7_5, kHd15, kHd30});
      CHECK(preferred(c) == kHd30);
      CHECK(oversend(c) == kHd7_5);
    }
  }
  SUBCASE("VP9: one resolution, unknown frame rate") {
    std::vector<Layer> vp9{{0, 720, -1, 150'000}, {1, 720, -1, 370'000}, {2, 720, -1, 750'000}};
    CandidateLayers c = select_candidate_layers(desktop(vp9), VideoConstraints{720}, true, kConfig);
    CHECK(indices(c) == std::vector<int>{0, 1, 2});
    CHECK(preferred(c) == 2);
    CHECK(oversend(c) == 0);
    c = select_candidate_layers(desktop(vp9), VideoConstraints{180}, true, kConfig);
    CHECK(indices(c) == std::vector<int>{0, 1, 2});
    CHECK(oversend(c) == 0);
    // Off stage with an unmet constraint: only the first layer.
    c = select_candidate_layers(desktop(vp9), VideoConstraints{180}, false, kConfig);
    CHECK(indices(c) == std::vector<int>{0});
    CHECK(preferred(c) == 0);
    CHECK(oversend(c) == -1);
  }
  SUBCASE("oversend layer: the cheapest of the highest resolution") {
    std::vector<Layer> odd{{0, 360, -1, 100'000}, {1, 720, -1, 900'000}, {2, 720, -1, 600'000}};
    CHECK(oversend(select_candidate_layers(desktop(odd), VideoConstraints{}, true, kConfig)) == 2);
  }
}

TEST_CASE("sources without layers or with video disabled have no candidates") {
  VideoSource none{"A-v0", "A", VideoType::kNone, jvb_layers()};
  CHECK(select_candidate_layers(none, VideoConstraints{720}, false, kConfig).empty());
  VideoSource empty{"A-v0", "A", VideoType::kCamera, {}};
  CHECK(select_candidate_layers(empty, VideoConstraints{720}, false, kConfig).empty());
}

// ---- Phase 4 with an infinite budget (what the bridge uses until BWE exists) -----------------

TEST_CASE("infinite budget: each source gets its ideal layer") {
  for (double fps : {-1.0, 30.0}) {
    CAPTURE(fps);
    for (bool measured : {false, true}) {
      CAPTURE(measured);
      // Freshly signaled (all 0) or measured bitrates.
      std::vector<Layer> layers =
          measured ? encoding_layers(fps, 150'000, 500'000, 2'000'000) : encoding_layers(fps, 0, 0, 0);
      auto target_for = [&](VideoConstraints c) {
        ConstraintsUpdate u;
        u.default_constraints = c;
        return allocate(settings_after(u), std::vector<VideoSource>{camera("A", layers)}, {}, std::nullopt)
            .find("A-v0")
            ->target_layer;
      };
      CHECK(target_for(VideoConstraints{180}) == 0);
      CHECK(target_for(VideoConstraints{360}) == 1);
      CHECK(target_for(VideoConstraints{720}) == 2);
      CHECK(target_for(VideoConstraints{}) == 2);
      CHECK(target_for(VideoConstraints{1080}) == 2);
      CHECK(target_for(VideoConstraints{100}) == 0);  // soft: the lowest still goes
      CHECK(target_for(kNothing) == -1);
      CHECK(target_for(VideoConstraints{720, 0}) == -1);  // maxFrameRate 0 disables too
    }
  }
}

TEST_CASE("infinite budget: -1 picks the best active encoding") {
  // The 720p encoding is signaled but not sent (0 bps).
  auto s = std::vector<VideoSource>{camera("A", encoding_layers(-1, 150'000, 500'000, 0))};
  Allocation a = allocate(settings_with(-1, VideoConstraints{}), s, {}, std::nullopt);
  CHECK(a.find("A-v0")->target_layer == 1);
  CHECK(a.find("A-v0")->ideal_layer == 1);
  CHECK(a.target_bps == 500'000);
  CHECK_FALSE(a.oversending);
}

TEST_CASE("infinite budget with JVB's 9 layers, measured or all 0") {
  for (bool measured : {false, true}) {
    CAPTURE(measured);
    std::vector<Layer> layers = jvb_layers();
    if (!measured) {
      for (Layer& l : layers) l.bitrate_bps = 0;
    }
    std::vector<VideoSource> sources;
    for (const char* id : {"A", "B", "C", "D"}) sources.push_back(camera(id, layers));
    sources[3].video_type = VideoType::kDesktop;
    // D's screen share on stage at 720, the others at the 180 default.
    Allocation a = allocate(settings_after(stage_view("D-v0")), sources, {}, std::nullopt);
    CHECK(summary(a) == "A:ld30 B:ld30 C:ld30 D:hd30");
    CHECK(a.forwarded_sources == std::vector<std::string>{"D-v0", "A-v0", "B-v0", "C-v0"});
    for (const SourceAllocation& s : a.sources) CHECK(s.target_layer == s.ideal_layer);
    CHECK_FALSE(a.oversending);
    CHECK(a.suspended_sources().empty());
  }
}

TEST_CASE("infinite budget: lastN 1 keeps only the first-priority source, on stage first") {
  auto sources = cameras({"A", "B", "C", "D"});
  Allocation a = allocate(settings_with(1, VideoConstraints{180}), sources, {}, std::nullopt);
  CHECK(a.forwarded_sources == std::vector<std::string>{"A-v0"});
  a = allocate(settings_after(stage_view("C-v0", 1)), sources, {}, std::nullopt);
  CHECK(a.forwarded_sources == std::vector<std::string>{"C-v0"});
  CHECK(a.find("C-v0")->target_layer == kHd30);
}

TEST_CASE("the receiver's assumed bandwidth replaces the budget when config allows it") {
  AllocationSettingsConfig config;
  config.assumed_bandwidth_limit_bps = 10'000'000;
  AllocationSettings settings(config);
  ConstraintsUpdate u = stage_view("A-v0");
  u.assumed_bandwidth_bps = 160'000;
  settings.apply(u);
  CHECK(summary(allocate(settings, cameras({"A", "B", "C", "D"}), {}, std::nullopt)) == "A:ld30 B:- C:- D:-");
  Allocation a = allocate(settings, cameras({"A", "B", "C", "D"}), {}, std::nullopt);
  CHECK(a.suspended_sources() == std::vector<std::string>{"B-v0", "C-v0", "D-v0"});
}

// ---- Initial state and effects -----------------------------------------------------------------

TEST_CASE("nothing forwarded before the first ReceiverVideoConstraints") {
  AllocationSettings settings;
  auto sources = cameras({"A", "B", "C", "D"});
  Allocation a = allocate(settings, sources, {}, std::nullopt);
  CHECK(a.forwarded_sources.empty());
  CHECK(a.find("A-v0")->effective_constraints == kNothing);
  CHECK(a.ideal_bps == 0);

  // A first message without defaultConstraints: 180p for everyone.
  CHECK(settings.apply(ConstraintsUpdate{}));
  a = allocate(settings, sources, {}, std::nullopt);
  CHECK(summary(a) == "A:ld30 B:ld30 C:ld30 D:ld30");
  CHECK(a.find("A-v0")->effective_constraints == VideoConstraints{180});
}

TEST_CASE("sender constraints combine the receivers' effective constraints") {
  // Receivers B (720 for A) and C (180 for A).
  std::vector<VideoConstraints> receivers{VideoConstraints{720}, VideoConstraints{180}};
  CHECK(sender_max_height(receivers) == 720);
  receivers.erase(receivers.begin());  // B leaves
  CHECK(sender_max_height(receivers) == 180);
  receivers.clear();  // C leaves
  CHECK(sender_max_height(receivers) == 0);

  CHECK(sender_max_height(std::vector<VideoConstraints>{VideoConstraints{360}, VideoConstraints{}}) == -1);
  CHECK(sender_max_height(std::vector<VideoConstraints>{VideoConstraints{}, VideoConstraints{1080}}) == -1);
  CHECK(sender_max_height(std::vector<VideoConstraints>{kNothing, kNothing}) == 0);
}

TEST_CASE("ForwardedSources is due exactly when the forwarded set changes") {
  CHECK(same_source_set(std::vector<std::string>{"a", "b"}, std::vector<std::string>{"b", "a"}));
  CHECK_FALSE(same_source_set(std::vector<std::string>{"a", "b"}, std::vector<std::string>{"a"}));
  CHECK_FALSE(same_source_set(std::vector<std::string>{"a"}, std::vector<std::string>{"b"}));
  CHECK(same_source_set(std::vector<std::string>{}, std::vector<std::string>{}));

  AllocationSettings settings = settings_after(stage_view("A-v0"));
  auto sources = cameras({"A", "B", "C", "D"});
  AllocationTracker tracker;

  // The first run: constraints appear, nothing forwarded at 0 bps.
  AllocationChanges first = tracker.update(allocate(settings, sources, {}, 0));
  CHECK(first.effective_constraints);
  CHECK_FALSE(first.forwarded_sources);

  std::vector<std::pair<int, std::vector<std::string>>> messages;
  int target_changes = 0;
  for (std::int64_t bwe = 0; bwe <= 5'000'000; bwe += 10'000) {
    AllocationChanges c = tracker.update(allocate(settings, sources, {}, bwe));
    CHECK_FALSE(c.effective_constraints);
    if (c.targets) ++target_changes;
    if (c.forwarded_sources)
      messages.emplace_back(static_cast<int>(bwe / 1000), tracker.current().forwarded_sources);
  }
  CHECK(target_changes == 20);  // the stage-view camera history of allocator_bwe_test.cpp
  using Names = std::vector<std::string>;
  CHECK(messages == std::vector<std::pair<int, Names>>{{50, Names{"A-v0"}},
                                                       {550, Names{"A-v0", "B-v0"}},
                                                       {600, Names{"A-v0", "B-v0", "C-v0"}},
                                                       {650, Names{"A-v0", "B-v0", "C-v0", "D-v0"}}});

  // A new dominant speaker reorders the thumbnails: same targets, same set, nothing to send.
  AllocationChanges reorder =
      tracker.update(allocate(settings, cameras({"C", "B", "A", "D"}), {}, 5'000'000));
  CHECK_FALSE(reorder.targets);
  CHECK_FALSE(reorder.forwarded_sources);
  CHECK_FALSE(reorder.effective_constraints);

  // lastN 2: C and D drop out.
  settings.set_last_n(2);
  AllocationChanges cut = tracker.update(allocate(settings, sources, {}, 5'000'000));
  CHECK(cut.targets);
  CHECK(cut.forwarded_sources);
  CHECK(cut.effective_constraints);
  CHECK(tracker.current().forwarded_sources == Names{"A-v0", "B-v0"});
}
