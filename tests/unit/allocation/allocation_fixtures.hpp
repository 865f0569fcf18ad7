// Shared fixtures of the allocation tests: the layer shapes and bitrates of JVB's allocation
// tests (BitrateControllerTest) and a compact text form of an allocation for readable checks.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "bridge/conference/allocation/allocator.hpp"

namespace alloc_test {

using namespace jvb::allocation;

// 3 simulcast encodings x 3 temporal layers, index = 3 * encoding + temporal layer.
// 180p 7.5/15/30 fps = 49.5/99/150 kbps; 360p = 165/330/500; 720p = 660/1320/2000.
enum : int { kLd7_5, kLd15, kLd30, kSd7_5, kSd15, kSd30, kHd7_5, kHd15, kHd30 };

inline const char* layer_name(int index) {
  static const char* const kNames[] = {"ld7_5", "ld15",  "ld30", "sd7_5", "sd15",
                                       "sd30",  "hd7_5", "hd15", "hd30"};
  return index >= 0 && index < 9 ? kNames[index] : "-";
}

inline std::vector<Layer> jvb_layers() {
  return {
      {kLd7_5, 180, 7.5, 49'500},  {kLd15, 180, 15, 99'000},    {kLd30, 180, 30, 150'000},
      {kSd7_5, 360, 7.5, 165'000}, {kSd15, 360, 15, 330'000},   {kSd30, 360, 30, 500'000},
      {kHd7_5, 720, 7.5, 660'000}, {kHd15, 720, 15, 1'320'000}, {kHd30, 720, 30, 2'000'000},
  };
}

// The shape whole-encoding projection uses: one layer per encoding, 180/360/720.
inline std::vector<Layer> encoding_layers(double fps, std::int64_t b0, std::int64_t b1, std::int64_t b2) {
  return {{0, 180, fps, b0}, {1, 360, fps, b1}, {2, 720, fps, b2}};
}

inline VideoSource camera(const std::string& endpoint, std::vector<Layer> layers = jvb_layers()) {
  return VideoSource{endpoint + "-v0", endpoint, VideoType::kCamera, std::move(layers)};
}

// Senders A, B, C, D with JVB's 9-layer camera sources, in the given speech order.
inline std::vector<VideoSource> cameras(std::initializer_list<const char*> order) {
  std::vector<VideoSource> out;
  for (const char* id : order) out.push_back(camera(id));
  return out;
}

// "A:sd30 B:ld7_5 C:- D:-", plus " oversending" when set. Sources listed in name order A..D
// so that the text does not depend on the priority order.
inline std::string summary(const Allocation& a) {
  std::string out;
  for (const char* id : {"A", "B", "C", "D"}) {
    const SourceAllocation* s = a.find(std::string(id) + "-v0");
    if (s == nullptr) continue;
    if (!out.empty()) out += ' ';
    out += std::string(id) + ":" + layer_name(s->target_layer);
  }
  if (a.oversending) out += " oversending";
  return out;
}

struct Event {
  int kbps;
  std::string allocation;
  friend bool operator==(const Event&, const Event&) = default;
};

inline std::string to_string(const std::vector<Event>& events) {
  std::string out;
  for (const Event& e : events) out += std::to_string(e.kbps) + " kbps: " + e.allocation + "\n";
  return out;
}

// JVB's BitrateControllerTest loop: BWE from 0 to 5 Mbps by 10 kbps, recording every allocation
// that differs from the previous one (same_targets_as), starting from "nothing forwarded".
inline std::vector<Event> bwe_sweep(const AllocationSettings& settings,
                                    const std::vector<VideoSource>& sources, const LastNCaps& caps = {}) {
  std::vector<Event> events;
  Allocation previous;
  for (const VideoSource& s : sources) {
    previous.sources.push_back(SourceAllocation{s.name, s.owner, s.video_type});
  }
  for (std::int64_t bwe = 0; bwe <= 5'000'000; bwe += 10'000) {
    Allocation now = allocate(settings, sources, caps, bwe);
    if (!now.same_targets_as(previous)) events.push_back({static_cast<int>(bwe / 1000), summary(now)});
    previous = std::move(now);
  }
  return events;
}

// The messages JVB's tests send: stage view puts one source on stage at 720p, tile view selects
// sources with one height.
inline ConstraintsUpdate stage_view(const std::string& on_stage, std::optional<int> last_n = std::nullopt) {
  ConstraintsUpdate u;
  u.last_n = last_n;
  u.on_stage_sources = std::vector<std::string>{on_stage};
  u.constraints = ConstraintsMap{{on_stage, VideoConstraints{720}}};
  return u;
}

inline ConstraintsUpdate tile_view(const std::vector<std::string>& selected, int max_height,
                                   std::optional<int> last_n = std::nullopt) {
  ConstraintsUpdate u;
  u.last_n = last_n;
  u.selected_sources = selected;
  ConstraintsMap c;
  for (const std::string& s : selected) c[s] = VideoConstraints{max_height};
  u.constraints = c;
  return u;
}

inline AllocationSettings settings_after(const ConstraintsUpdate& update) {
  AllocationSettings s;
  s.apply(update);
  return s;
}

}  // namespace alloc_test
