// The four allocation phases of allocator.hpp (JVB: Prioritize.kt, BandwidthAllocator.kt,
// SingleSourceAllocation.kt; described in JVB's doc/allocation.md).
#include "bridge/conference/allocation/allocator.hpp"

#include <algorithm>
#include <limits>
#include <unordered_set>

namespace jvb::allocation {

namespace {

constexpr std::int64_t kInfiniteBps = std::numeric_limits<std::int64_t>::max();

// JVB's getPreferred(): the camera preference applies only above this height. It is a literal
// 180 in JVB, not cc.default-max-height-px.
constexpr int kCameraPreferenceThreshold = 180;

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  if (b > 0 && a > kInfiniteBps - b) return kInfiniteBps;
  if (b < 0 && a < std::numeric_limits<std::int64_t>::min() - b)
    return std::numeric_limits<std::int64_t>::min();
  return a + b;
}

bool contains(std::span<const std::string> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Phase 3, camera (SingleSourceAllocation.selectLayersForCamera): favour frame rate once the
// preferred height is reached, never oversend.
CandidateLayers select_for_camera(std::span<const Layer> layers, const VideoConstraints& constraints,
                                  const AllocatorConfig& config) {
  int min_height = layers.front().height;
  double max_fps = layers.front().frame_rate;
  bool any_active = false;
  for (const Layer& l : layers) {
    min_height = std::min(min_height, l.height);
    max_fps = std::max(max_fps, l.frame_rate);
    any_active = any_active || l.bitrate_bps > 0;
  }

  // A receiver that asks for more than thumbnail size (or for anything) gets frame rate before
  // resolution from the preferred height on; at or below 180 p there is no preference.
  int preferred_height = -1;
  double preferred_fps = -1;
  if (constraints.max_height > kCameraPreferenceThreshold || !constraints.height_is_limited()) {
    preferred_height = config.onstage_preferred_height_px;
    preferred_fps = config.onstage_preferred_framerate;
  }
  // A sender that never reaches the preferred frame rate is judged by its best one.
  double effective_preferred_fps = max_fps > 0 ? std::min(max_fps, preferred_fps) : preferred_fps;

  CandidateLayers out;
  for (const Layer& l : layers) {
    bool below_preferred_height = l.height < preferred_height;
    bool within_max_height = !constraints.height_is_limited() || l.height <= constraints.max_height;
    bool enough_fps = l.frame_rate < 0 || l.frame_rate >= effective_preferred_fps;  // unknown is enough
    // The lowest resolution always qualifies: a positive maxHeight is soft.
    bool lowest = l.height == min_height;
    // A freshly signaled source has no measured bitrate yet: consider everything so that
    // forwarding can start at once.
    bool usable = !any_active || l.bitrate_bps > 0;
    if ((below_preferred_height || (within_max_height && enough_fps) || lowest) && usable) {
      out.layers.push_back(l);
    }
  }

  int effective_preferred_height = std::max(preferred_height, min_height);
  for (std::size_t i = 0; i < out.layers.size(); ++i) {
    if (out.layers[i].height <= effective_preferred_height) out.preferred_index = static_cast<int>(i);
  }
  return out;
}

// Phase 3, screen share (selectLayersForScreensharing): resolution before frame rate; the highest
// candidate is preferred, so on stage it is allocated before any thumbnail; on stage it may
// oversend up to full resolution.
CandidateLayers select_for_screen_share(std::span<const Layer> layers, const VideoConstraints& constraints,
                                        bool on_stage, const AllocatorConfig& config) {
  std::vector<Layer> active;
  for (const Layer& l : layers) {
    if (l.bitrate_bps > 0) active.push_back(l);
  }
  if (active.empty()) active.assign(layers.begin(), layers.end());  // freshly signaled

  CandidateLayers out;
  for (const Layer& l : active) {
    if (!constraints.height_is_limited() || l.height <= constraints.max_height) out.layers.push_back(l);
  }
  if (out.layers.empty()) {
    // Nothing satisfies the (soft) height limit: fall back to the lowest resolution.
    int min_height = active.front().height;
    for (const Layer& l : active) min_height = std::min(min_height, l.height);
    for (const Layer& l : active) {
      if (l.height == min_height) out.layers.push_back(l);
    }
    // VP9 signals several layers of one resolution with unknown frame rate; off stage only the
    // cheapest of them is wanted.
    if (!on_stage && out.layers.front().frame_rate < 0) out.layers.resize(1);
  }

  out.preferred_index = static_cast<int>(out.layers.size()) - 1;
  if (on_stage && config.allow_oversend_onstage) {
    // The cheapest layer of the highest resolution (with VP9 the layers are not ordered by
    // bitrate); the first one on a tie.
    int max_height = out.layers.front().height;
    for (const Layer& l : out.layers) max_height = std::max(max_height, l.height);
    for (std::size_t i = 0; i < out.layers.size(); ++i) {
      const Layer& l = out.layers[i];
      if (l.height != max_height) continue;
      if (out.oversend_index < 0 ||
          l.bitrate_bps < out.layers[static_cast<std::size_t>(out.oversend_index)].bitrate_bps) {
        out.oversend_index = static_cast<int>(i);
      }
    }
  }
  return out;
}

// One source during phase 4 (JVB's SingleSourceAllocation).
struct Work {
  const VideoSource* source = nullptr;
  VideoConstraints constraints;
  bool on_stage = false;
  CandidateLayers candidates;
  int target = -1;  // index into candidates.layers

  std::int64_t bitrate(int i) const { return candidates.layers[static_cast<std::size_t>(i)].bitrate_bps; }
  std::int64_t target_bitrate() const { return target < 0 ? 0 : bitrate(target); }
  int size() const { return static_cast<int>(candidates.layers.size()); }
  bool reached_preferred() const { return target >= candidates.preferred_index; }
};

// Phase 4, "improve" (SingleSourceAllocation.improve): one step up for one source. `available` is
// what this source may use in total (its current bitrate plus what is left of the budget; may be
// negative after oversending). Returns the increase of its bitrate.
std::int64_t improve(Work& w, std::int64_t available, bool allow_oversend, const AllocatorConfig& config) {
  if (w.candidates.empty()) return 0;
  const std::int64_t before = w.target_bitrate();

  if (w.target == -1 && w.candidates.preferred_index > -1 && w.on_stage) {
    // On stage and nothing yet: straight up to the preferred layer, as far as it fits.
    for (int i = 0; i < w.size(); ++i) {
      if (i > w.candidates.preferred_index || available < w.bitrate(i)) break;
      w.target = i;
    }
  } else if (w.target + 1 < w.size() && w.bitrate(w.target + 1) < available) {
    // Otherwise one candidate at a time (tile view climbs evenly), if it fits strictly.
    ++w.target;
  }

  if (w.target > -1) {
    // A better candidate that costs no more than the chosen one is taken at once (e.g. a
    // higher layer measured cheaper, or every layer still at 0). JVB's loop compares with the
    // target it is moving, so it can stop below the highest such layer; passes repeat until
    // nothing changes, so this only saves passes.
    const std::int64_t chosen = w.bitrate(w.target);
    for (int i = w.size() - 1; i > w.target; --i) {
      if (w.bitrate(i) <= chosen) {
        w.target = i;
        break;
      }
    }
  }

  // Only the first source may oversend, and only up to max-oversend-bitrate over the budget.
  // Like JVB this moves to the lowest such layer above the current one per call; the repeated
  // passes carry it to the highest one that satisfies the limit (BitrateControllerTest's screen
  // share on stage).
  if (allow_oversend && w.candidates.oversend_index >= 0 && w.target < w.candidates.oversend_index) {
    const std::int64_t limit = saturating_add(available, config.max_oversend_bitrate_bps);
    const int current = w.target;
    for (int i = w.candidates.oversend_index; i > current; --i) {
      if (w.bitrate(i) <= limit) w.target = i;
    }
  }
  return w.target_bitrate() - before;
}

}  // namespace

// ---- Phase 1 ---------------------------------------------------------------------------------

std::vector<const VideoSource*> prioritize(std::span<const VideoSource> sources,
                                           std::span<const std::string> selection) {
  std::vector<const VideoSource*> selected;
  std::vector<const VideoSource*> others;
  std::vector<const VideoSource*> disabled;
  for (const VideoSource& s : sources) {
    if (!is_enabled(s.video_type)) {
      disabled.push_back(&s);
    } else if (contains(selection, s.name)) {
      selected.push_back(&s);
    } else {
      others.push_back(&s);
    }
  }
  auto rank = [&](const VideoSource* s) {
    return std::find(selection.begin(), selection.end(), s->name) - selection.begin();
  };
  std::stable_sort(selected.begin(), selected.end(),
                   [&](const VideoSource* a, const VideoSource* b) { return rank(a) < rank(b); });
  selected.insert(selected.end(), others.begin(), others.end());
  selected.insert(selected.end(), disabled.begin(), disabled.end());
  return selected;
}

// ---- Phase 2 ---------------------------------------------------------------------------------

std::vector<VideoConstraints> effective_constraints(std::span<const VideoSource* const> prioritized,
                                                    const AllocationSettings& settings,
                                                    int effective_last_n) {
  std::vector<VideoConstraints> out;
  out.reserve(prioritized.size());
  // Only sources the receiver actually wants use up last-N slots: a source it set to 0 does not
  // keep a later one from being forwarded (as JVB's EffectiveConstraintsTest expects).
  int non_zero = 0;
  for (const VideoSource* s : prioritized) {
    if (!is_enabled(s->video_type) || (effective_last_n >= 0 && non_zero >= effective_last_n)) {
      out.push_back(kNothing);
      continue;
    }
    VideoConstraints c = settings.constraints_for(s->name);
    if (!c.is_disabled()) ++non_zero;
    out.push_back(c);
  }
  return out;
}

// ---- Phase 3 ---------------------------------------------------------------------------------

CandidateLayers select_candidate_layers(const VideoSource& source, const VideoConstraints& constraints,
                                        bool on_stage, const AllocatorConfig& config) {
  // Like JVB only maxHeight 0 empties the list here; maxFrameRate 0 is handled by phase 4
  // skipping the source (so such a source still reports an ideal layer).
  if (constraints.max_height == 0 || source.layers.empty()) return {};
  if (source.video_type == VideoType::kCamera) return select_for_camera(source.layers, constraints, config);
  if (is_screen_share(source.video_type)) {
    return select_for_screen_share(source.layers, constraints, on_stage, config);
  }
  return {};
}

// ---- Phase 4 ---------------------------------------------------------------------------------

Allocation allocate(const AllocationSettings& settings, std::span<const VideoSource> sources,
                    const LastNCaps& caps, std::optional<std::int64_t> budget_bps,
                    const AllocatorConfig& config) {
  const std::vector<std::string> selection = settings.selection_order();
  const std::vector<const VideoSource*> order = prioritize(sources, selection);
  const std::vector<VideoConstraints> constraints =
      effective_constraints(order, settings, effective_last_n(settings.last_n(), caps));

  std::vector<Work> work(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    Work& w = work[i];
    w.source = order[i];
    w.constraints = constraints[i];
    w.on_stage = settings.is_on_stage(order[i]->name);
    w.candidates = select_candidate_layers(*order[i], w.constraints, w.on_stage, config);
  }

  if (auto assumed = settings.assumed_bandwidth_bps()) budget_bps = *assumed;
  const bool infinite = !budget_bps.has_value();
  std::int64_t remaining = budget_bps.value_or(0);
  bool oversending = false;

  // Passes over the sources in priority order until one changes nothing. (JVB stops when a
  // pass leaves the remaining budget unchanged; that also ends the loop after a pass of
  // zero-cost moves, e.g. sources whose layers all measure 0, before they reach their ideal
  // layer, and an infinite budget never changes. Targets only go up, so this terminates.)
  bool changed = true;
  while (changed) {
    changed = false;
    for (std::size_t i = 0; i < work.size(); ++i) {
      Work& w = work[i];
      if (w.constraints.is_disabled()) continue;
      const int before = w.target;
      const std::int64_t available = infinite ? kInfiniteBps : remaining + w.target_bitrate();
      // Oversending is for the first source in the list only (the on-stage or top one).
      const std::int64_t used = improve(w, available, i == 0, config);
      if (!infinite) {
        remaining -= used;
        if (remaining < 0) oversending = true;
      }
      changed = changed || w.target != before;
      // Stage view: thumbnails get nothing until the on-stage video reaches its preferred
      // layer, so they are not switched on only to be switched off as the BWE grows.
      if (w.on_stage && !w.reached_preferred()) break;
    }
  }

  Allocation result;
  result.oversending = oversending;
  result.sources.reserve(work.size());
  for (const Work& w : work) {
    SourceAllocation a;
    a.name = w.source->name;
    a.owner = w.source->owner;
    a.video_type = w.source->video_type;
    a.on_stage = w.on_stage;
    a.effective_constraints = w.constraints;
    if (w.target >= 0) {
      a.target_layer = w.candidates.layers[static_cast<std::size_t>(w.target)].index;
      a.target_bps = w.target_bitrate();
    }
    if (const Layer* ideal = w.candidates.ideal()) {
      a.ideal_layer = ideal->index;
      a.ideal_bps = ideal->bitrate_bps;
    }
    a.suspended = w.target < 0 && !w.candidates.empty() && w.candidates.layers.front().bitrate_bps > 0;
    result.target_bps += a.target_bps;
    result.ideal_bps += a.ideal_bps;
    if (a.forwarded()) result.forwarded_sources.push_back(a.name);
    result.sources.push_back(std::move(a));
  }
  return result;
}

// ---- Allocation ------------------------------------------------------------------------------

const SourceAllocation* Allocation::find(std::string_view name) const {
  for (const SourceAllocation& s : sources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

ConstraintsMap Allocation::effective_constraints() const {
  ConstraintsMap out;
  for (const SourceAllocation& s : sources) out.emplace(s.name, s.effective_constraints);
  return out;
}

std::vector<std::string> Allocation::suspended_sources() const {
  std::vector<std::string> out;
  for (const SourceAllocation& s : sources) {
    if (s.suspended) out.push_back(s.name);
  }
  return out;
}

bool Allocation::same_targets_as(const Allocation& other) const {
  if (sources.size() != other.sources.size() || oversending != other.oversending) return false;
  for (const SourceAllocation& s : sources) {
    const SourceAllocation* o = other.find(s.name);
    if (o == nullptr || o->owner != s.owner || o->video_type != s.video_type ||
        o->target_layer != s.target_layer) {
      return false;
    }
  }
  return true;
}

// ---- Effects ---------------------------------------------------------------------------------

bool same_source_set(std::span<const std::string> a, std::span<const std::string> b) {
  std::unordered_set<std::string_view> sa(a.begin(), a.end());
  std::unordered_set<std::string_view> sb(b.begin(), b.end());
  return sa == sb;
}

AllocationChanges AllocationTracker::update(Allocation next) {
  AllocationChanges changes;
  changes.targets = !current_.same_targets_as(next);
  changes.forwarded_sources = !same_source_set(current_.forwarded_sources, next.forwarded_sources);
  changes.effective_constraints = current_.effective_constraints() != next.effective_constraints();
  current_ = std::move(next);
  return changes;
}

int sender_max_height(std::span<const VideoConstraints> per_receiver) {
  int max_height = 0;
  for (const VideoConstraints& c : per_receiver) {
    if (c.max_height == kUnlimitedHeight) return kUnlimitedHeight;
    max_height = std::max(max_height, c.max_height);
  }
  return max_height;
}

}  // namespace jvb::allocation
