// Tests of bridge/conference/allocation/allocator.hpp under a swept BWE: the allocation
// histories of JVB's BitrateControllerTest (stage view, screen share, lastN, tile view), with four
// senders A, B, C, D and JVB's 9-layer bitrates.
#include <doctest/doctest.h>

#include "tests/unit/allocation/allocation_fixtures.hpp"

using namespace alloc_test;

namespace {

void check_history(const std::vector<Event>& actual, const std::vector<Event>& expected) {
  INFO("actual:\n" << to_string(actual) << "expected:\n" << to_string(expected));
  CHECK(actual == expected);
}

const std::vector<Event> kStageViewCamera = {
    {50, "A:ld7_5 B:- C:- D:-"},
    {100, "A:ld15 B:- C:- D:-"},
    {150, "A:ld30 B:- C:- D:-"},
    // Nothing for the thumbnails until the stage video reaches 360p/30.
    {500, "A:sd30 B:- C:- D:-"},
    {550, "A:sd30 B:ld7_5 C:- D:-"},
    {600, "A:sd30 B:ld7_5 C:ld7_5 D:-"},
    {650, "A:sd30 B:ld7_5 C:ld7_5 D:ld7_5"},
    {700, "A:sd30 B:ld15 C:ld7_5 D:ld7_5"},
    {750, "A:sd30 B:ld15 C:ld15 D:ld7_5"},
    {800, "A:sd30 B:ld15 C:ld15 D:ld15"},
    {850, "A:sd30 B:ld30 C:ld15 D:ld15"},
    {900, "A:sd30 B:ld30 C:ld30 D:ld15"},
    {960, "A:sd30 B:ld30 C:ld30 D:ld30"},
    // The stage video goes to 720p and the thumbnails start over.
    {2150, "A:hd30 B:ld7_5 C:ld7_5 D:ld7_5"},
    {2200, "A:hd30 B:ld15 C:ld7_5 D:ld7_5"},
    {2250, "A:hd30 B:ld15 C:ld15 D:ld7_5"},
    {2300, "A:hd30 B:ld15 C:ld15 D:ld15"},
    {2350, "A:hd30 B:ld30 C:ld15 D:ld15"},
    {2400, "A:hd30 B:ld30 C:ld30 D:ld15"},
    {2460, "A:hd30 B:ld30 C:ld30 D:ld30"},
};

const std::vector<Event> kTileView180 = {
    {50, "A:ld7_5 B:- C:- D:-"},
    {100, "A:ld7_5 B:ld7_5 C:- D:-"},
    {150, "A:ld7_5 B:ld7_5 C:ld7_5 D:-"},
    {200, "A:ld7_5 B:ld7_5 C:ld7_5 D:ld7_5"},
    {250, "A:ld15 B:ld7_5 C:ld7_5 D:ld7_5"},
    {300, "A:ld15 B:ld15 C:ld7_5 D:ld7_5"},
    {350, "A:ld15 B:ld15 C:ld15 D:ld7_5"},
    {400, "A:ld15 B:ld15 C:ld15 D:ld15"},
    {450, "A:ld30 B:ld15 C:ld15 D:ld15"},
    {500, "A:ld30 B:ld30 C:ld15 D:ld15"},
    {550, "A:ld30 B:ld30 C:ld30 D:ld15"},
    {610, "A:ld30 B:ld30 C:ld30 D:ld30"},
};

std::vector<std::string> forwarded_at(const AllocationSettings& settings,
                                      const std::vector<VideoSource>& sources, std::int64_t bwe) {
  return allocate(settings, sources, {}, bwe).forwarded_sources;
}

}  // namespace

TEST_CASE("stage view, camera, dominant speaker on stage") {
  AllocationSettings settings = settings_after(stage_view("A-v0"));
  CHECK(settings.last_n() == -1);
  CHECK(settings.selected_sources().empty());
  check_history(bwe_sweep(settings, cameras({"A", "B", "C", "D"})), kStageViewCamera);

  // The effective constraints at the end: 720 on stage, the 180 default for the others.
  Allocation a = allocate(settings, cameras({"A", "B", "C", "D"}), {}, 5'000'000);
  CHECK(a.effective_constraints() == ConstraintsMap{{"A-v0", VideoConstraints{720}},
                                                    {"B-v0", VideoConstraints{180}},
                                                    {"C-v0", VideoConstraints{180}},
                                                    {"D-v0", VideoConstraints{180}}});
}

TEST_CASE("stage view, camera, a non-dominant speaker on stage") {
  AllocationSettings settings = settings_after(stage_view("A-v0"));
  check_history(bwe_sweep(settings, cameras({"B", "A", "C", "D"})), kStageViewCamera);
}

TEST_CASE("forwarded sources grow one thumbnail at a time") {
  AllocationSettings settings = settings_after(stage_view("A-v0"));
  auto sources = cameras({"A", "B", "C", "D"});
  CHECK(forwarded_at(settings, sources, 40'000).empty());
  CHECK(forwarded_at(settings, sources, 490'000) == std::vector<std::string>{"A-v0"});
  CHECK(forwarded_at(settings, sources, 550'000) == std::vector<std::string>{"A-v0", "B-v0"});
  CHECK(forwarded_at(settings, sources, 600'000) == std::vector<std::string>{"A-v0", "B-v0", "C-v0"});
  CHECK(forwarded_at(settings, sources, 650'000) == std::vector<std::string>{"A-v0", "B-v0", "C-v0", "D-v0"});
  // Totals: at 960 kbps A 360p/30 and three 180p/30 thumbnails, ideal is 720p + 3 x 180p/30.
  Allocation a = allocate(settings, sources, {}, 960'000);
  CHECK(a.target_bps == 500'000 + 3 * 150'000);
  CHECK(a.ideal_bps == 2'000'000 + 3 * 150'000);
  CHECK_FALSE(a.oversending);
}

TEST_CASE("stage view, screen share on stage oversends") {
  AllocationSettings settings = settings_after(stage_view("A-v0"));
  auto sources = cameras({"A", "B", "C", "D"});
  sources[0].video_type = VideoType::kDesktop;
  check_history(bwe_sweep(settings, sources), {
                                                  {0, "A:sd30 B:- C:- D:- oversending"},
                                                  {160, "A:hd7_5 B:- C:- D:- oversending"},
                                                  {660, "A:hd7_5 B:- C:- D:-"},
                                                  {1320, "A:hd15 B:- C:- D:-"},
                                                  {2000, "A:hd30 B:- C:- D:-"},
                                                  {2050, "A:hd30 B:ld7_5 C:- D:-"},
                                                  {2100, "A:hd30 B:ld7_5 C:ld7_5 D:-"},
                                                  {2150, "A:hd30 B:ld7_5 C:ld7_5 D:ld7_5"},
                                                  {2200, "A:hd30 B:ld15 C:ld7_5 D:ld7_5"},
                                                  {2250, "A:hd30 B:ld15 C:ld15 D:ld7_5"},
                                                  {2300, "A:hd30 B:ld15 C:ld15 D:ld15"},
                                                  {2350, "A:hd30 B:ld30 C:ld15 D:ld15"},
                                                  {2400, "A:hd30 B:ld30 C:ld30 D:ld15"},
                                                  {2460, "A:hd30 B:ld30 C:ld30 D:ld30"},
                                              });
}

TEST_CASE("without allow-oversend-onstage the screen share waits for bandwidth") {
  AllocationSettings settings = settings_after(stage_view("A-v0"));
  auto sources = cameras({"A", "B", "C", "D"});
  sources[0].video_type = VideoType::kDesktop;
  AllocatorConfig config;
  config.allow_oversend_onstage = false;
  Allocation a = allocate(settings, sources, {}, 0, config);
  CHECK(summary(a) == "A:- B:- C:- D:-");
  a = allocate(settings, sources, {}, 160'000, config);
  CHECK(summary(a) == "A:ld30 B:- C:- D:-");
}

TEST_CASE("lastN 0 forwards nothing at any BWE") {
  SUBCASE("stage view") {
    // JVB's test puts the endpoint id on stage here; it makes no difference with lastN 0.
    AllocationSettings settings = settings_after(stage_view("A", 0));
    CHECK(bwe_sweep(settings, cameras({"A", "B", "C", "D"})).empty());
    CHECK(allocate(settings, cameras({"A", "B", "C", "D"}), {}, std::nullopt).forwarded_sources.empty());
  }
  SUBCASE("tile view") {
    AllocationSettings settings = settings_after(tile_view({"A-v0", "B-v0", "C-v0", "D-v0"}, 180, 0));
    CHECK(bwe_sweep(settings, cameras({"A", "B", "C", "D"})).empty());
    Allocation a = allocate(settings, cameras({"A", "B", "C", "D"}), {}, std::nullopt);
    CHECK(a.forwarded_sources.empty());
    for (const auto& entry : a.effective_constraints()) {
      INFO(entry.first);
      CHECK(entry.second == kNothing);
    }
  }
}

TEST_CASE("lastN 1 with A on stage forwards only A") {
  const std::vector<Event> expected = {
      {50, "A:ld7_5 B:- C:- D:-"}, {100, "A:ld15 B:- C:- D:-"},  {150, "A:ld30 B:- C:- D:-"},
      {500, "A:sd30 B:- C:- D:-"}, {2010, "A:hd30 B:- C:- D:-"},
  };
  AllocationSettings settings = settings_after(stage_view("A-v0", 1));
  SUBCASE("A is the dominant speaker") {
    check_history(bwe_sweep(settings, cameras({"A", "B", "C", "D"})), expected);
  }
  SUBCASE("B is the dominant speaker") {
    check_history(bwe_sweep(settings, cameras({"B", "A", "C", "D"})), expected);
  }
  Allocation a = allocate(settings, cameras({"B", "A", "C", "D"}), {}, 5'000'000);
  CHECK(a.forwarded_sources == std::vector<std::string>{"A-v0"});
  CHECK(a.effective_constraints() ==
        ConstraintsMap{
            {"A-v0", VideoConstraints{720}}, {"B-v0", kNothing}, {"C-v0", kNothing}, {"D-v0", kNothing}});
}

TEST_CASE("tile view 180p: all four climb evenly") {
  AllocationSettings settings = settings_after(tile_view({"A-v0", "B-v0", "C-v0", "D-v0"}, 180));
  check_history(bwe_sweep(settings, cameras({"A", "B", "C", "D"})), kTileView180);
}

TEST_CASE("tile view 360p: up to 360p, and 360p only at 30 fps") {
  AllocationSettings settings = settings_after(tile_view({"A-v0", "B-v0", "C-v0", "D-v0"}, 360));
  std::vector<Event> expected = kTileView180;
  expected.push_back({960, "A:sd30 B:ld30 C:ld30 D:ld30"});
  expected.push_back({1310, "A:sd30 B:sd30 C:ld30 D:ld30"});
  expected.push_back({1660, "A:sd30 B:sd30 C:sd30 D:ld30"});
  expected.push_back({2010, "A:sd30 B:sd30 C:sd30 D:sd30"});
  check_history(bwe_sweep(settings, cameras({"A", "B", "C", "D"})), expected);
}

TEST_CASE("tile view with lastN 1") {
  std::vector<Event> expected = {
      {50, "A:ld7_5 B:- C:- D:-"},
      {100, "A:ld15 B:- C:- D:-"},
      // A step needs strictly more than the next layer's bitrate: 150 kbps is not enough.
      {160, "A:ld30 B:- C:- D:-"},
  };
  SUBCASE("180p") {
    AllocationSettings settings = settings_after(tile_view({"A-v0", "B-v0", "C-v0", "D-v0"}, 180, 1));
    check_history(bwe_sweep(settings, cameras({"A", "B", "C", "D"})), expected);
  }
  SUBCASE("360p") {
    AllocationSettings settings = settings_after(tile_view({"A-v0", "B-v0", "C-v0", "D-v0"}, 360, 1));
    expected.push_back({510, "A:sd30 B:- C:- D:-"});
    check_history(bwe_sweep(settings, cameras({"A", "B", "C", "D"})), expected);
  }
}

TEST_CASE("stage view with encoding-only layers (one layer per encoding)") {
  AllocationSettings settings = settings_after(stage_view("A-v0"));
  std::vector<VideoSource> sources;
  for (const char* id : {"A", "B", "C", "D"})
    sources.push_back(camera(id, encoding_layers(30, 150'000, 500'000, 2'000'000)));
  // Same indices as layer_name() would give for 0..2, so read "ld7_5" as 180p, "ld15" as 360p,
  // "ld30" as 720p here.
  check_history(bwe_sweep(settings, sources), {
                                                  {150, "A:ld7_5 B:- C:- D:-"},
                                                  {500, "A:ld15 B:- C:- D:-"},
                                                  {660, "A:ld15 B:ld7_5 C:- D:-"},
                                                  {810, "A:ld15 B:ld7_5 C:ld7_5 D:-"},
                                                  {960, "A:ld15 B:ld7_5 C:ld7_5 D:ld7_5"},
                                                  {2460, "A:ld30 B:ld7_5 C:ld7_5 D:ld7_5"},
                                              });
}
