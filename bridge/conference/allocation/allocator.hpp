// Receiver-driven video allocation: which layer of which other endpoint's video source one receiver
// gets (following JVB's cc/allocation, described in its doc/allocation.md: Prioritize.kt,
// BandwidthAllocator.kt, SingleSourceAllocation.kt).
//
// One run takes the receiver's settings, the other endpoints' sources in speech order and a
// bandwidth budget, and goes through four phases:
//   1. prioritise: on-stage, then selected, then speech order; disabled sources last;
//   2. effective constraints: the receiver's constraints, cut to 0 outside last-N;
//   3. candidate layers per source: the camera and screen-share rules;
//   4. the allocation loop: spend the budget in passes over the sources.
// The phases are also exposed one by one for tests and for callers that need only part
// (SSRC-slot activation needs only phases 1-2).
//
// Layers: a source lists its layers as the sender describes them, lowest encoding first and
// inside an encoding lowest temporal layer first. That can be JVB's (encoding, temporal layer)
// pairs (9 layers at 7.5/15/30 fps for 3-encoding simulcast) or one layer per encoding with
// frame rate -1 or 30 (what whole-encoding projection switches between). Both work.
// A layer's bitrate is the measured one; 0 means the layer is inactive. Inactive layers are not
// candidates unless no layer of the source is active (a freshly signaled source), in which case
// all are.
//
// The budget is the receiver's BWE; nullopt means infinite (no estimate yet, or untrusted, as JVB's
// BitrateController treats an untrusted estimate): then every source with non-zero effective
// constraints gets its ideal layer.
//
// Everything here is pure: no clock, no I/O. Called on the receiver's worker thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/conference/allocation/allocation_settings.hpp"
#include "bridge/conference/allocation/last_n_limits.hpp"
#include "bridge/conference/allocation/video_constraints.hpp"

namespace jvb::allocation {

// A source's video type as signaled (SourceVideoTypeMessage, colibri2 sources).
enum class VideoType : std::uint8_t { kCamera, kDesktop, kDesktopHighFps, kNone, kDisabled };

constexpr bool is_enabled(VideoType t) { return t != VideoType::kNone && t != VideoType::kDisabled; }
constexpr bool is_screen_share(VideoType t) {
  return t == VideoType::kDesktop || t == VideoType::kDesktopHighFps;
}

struct Layer {
  int index = 0;                 // the caller's id for the layer; what target_layer reports
  int height = -1;               // -1 unknown
  double frame_rate = -1;        // -1 unknown
  std::int64_t bitrate_bps = 0;  // measured; 0 = inactive

  friend bool operator==(const Layer&, const Layer&) = default;
};

struct VideoSource {
  std::string name;   // e.g. "79f0273d-v0"
  std::string owner;  // endpoint id
  VideoType video_type = VideoType::kCamera;
  std::vector<Layer> layers;  // see the file comment for the order
};

// The videobridge.cc keys of the allocation (defaults from JVB's reference.conf).
struct AllocatorConfig {
  int onstage_preferred_height_px = 360;
  double onstage_preferred_framerate = 30;
  bool allow_oversend_onstage = true;
  std::int64_t max_oversend_bitrate_bps = 500'000;
};

// ---- Phase 1: prioritise (Prioritize.kt) -----------------------------------------------------

// Enabled sources named in `selection` (in selection order), then the other enabled sources in
// their given (speech) order, then every disabled source in its given order, selected or not.
// `selection` is AllocationSettings::selection_order(). Pointers into `sources`.
std::vector<const VideoSource*> prioritize(std::span<const VideoSource> sources,
                                           std::span<const std::string> selection);

// ---- Phase 2: effective constraints (Prioritize.kt) ------------------------------------------

// For each prioritised source, in the same order: 0 if its video is disabled or once
// `effective_last_n` sources with non-zero constraints have been counted, else the receiver's
// constraints for it. `effective_last_n` -1 = unlimited (see effective_last_n()).
std::vector<VideoConstraints> effective_constraints(std::span<const VideoSource* const> prioritized,
                                                    const AllocationSettings& settings, int effective_last_n);

// ---- Phase 3: candidate layers (SingleSourceAllocation.kt) -----------------------------------

// The layers the allocator may pick for one source, ascending by preference (not necessarily
// by bitrate). The ideal layer is the last one.
struct CandidateLayers {
  std::vector<Layer> layers;
  int preferred_index = -1;  // allocated eagerly up to this one when on stage
  int oversend_index = -1;   // the first source may oversend up to this one; -1 = never

  bool empty() const { return layers.empty(); }
  const Layer* ideal() const { return layers.empty() ? nullptr : &layers.back(); }
  const Layer* preferred() const { return at(preferred_index); }
  const Layer* oversend() const { return at(oversend_index); }

 private:
  const Layer* at(int i) const {
    return i >= 0 && static_cast<std::size_t>(i) < layers.size() ? &layers[static_cast<std::size_t>(i)]
                                                                 : nullptr;
  }
};

CandidateLayers select_candidate_layers(const VideoSource& source, const VideoConstraints& constraints,
                                        bool on_stage, const AllocatorConfig& config);

// ---- Phase 4: the allocation loop (BandwidthAllocator.kt) and the result ---------------------

struct SourceAllocation {
  std::string name;
  std::string owner;
  VideoType video_type = VideoType::kCamera;
  bool on_stage = false;
  VideoConstraints effective_constraints = kNothing;
  int target_layer = -1;  // Layer::index to forward; -1 = none
  int ideal_layer = -1;   // Layer::index the receiver would get with unlimited bandwidth
  std::int64_t target_bps = 0;
  std::int64_t ideal_bps = 0;
  // Wanted and sending (its first candidate is active) but got nothing: bandwidth ran out.
  bool suspended = false;

  bool forwarded() const { return target_layer >= 0; }
};

struct Allocation {
  std::vector<SourceAllocation> sources;       // every source, in priority order
  std::vector<std::string> forwarded_sources;  // those with a target layer, in priority order
  bool oversending = false;                    // the targets add up to more than the budget
  std::int64_t target_bps = 0;
  std::int64_t ideal_bps = 0;

  const SourceAllocation* find(std::string_view name) const;
  // Source name -> effective constraints, disabled and out-of-last-N sources included (as 0):
  // what SenderSourceConstraints and SSRC-slot activation are computed from.
  ConstraintsMap effective_constraints() const;
  std::vector<std::string> suspended_sources() const;

  // JVB's test for "the allocation changed" (BandwidthAllocation.isTheSameAs): the same sources
  // (name, owner, video type) with the same target layers, and the same oversending flag.
  // Priority order, ideal layers and totals do not count.
  bool same_targets_as(const Allocation& other) const;
};

// Runs the four phases. `sources` are the other endpoints' video sources in speech order (the
// endpoints with video ahead of those without, all sources of an endpoint at its position, as JVB
// orders them). `budget_bps` nullopt = infinite. The receiver's assumedBandwidthBps, when present,
// replaces the budget, as in JVB.
Allocation allocate(const AllocationSettings& settings, std::span<const VideoSource> sources,
                    const LastNCaps& caps, std::optional<std::int64_t> budget_bps,
                    const AllocatorConfig& config = {});

// ---- Effects of a new allocation -------------------------------------------------------------

// Whether two forwarded-source lists name the same set (order does not matter): a
// ForwardedSources message is due exactly when this is false between two runs.
bool same_source_set(std::span<const std::string> a, std::span<const std::string> b);

// What changed between two consecutive allocations of one receiver.
struct AllocationChanges {
  bool targets = false;                // re-program the projections (same_targets_as)
  bool forwarded_sources = false;      // send ForwardedSources
  bool effective_constraints = false;  // update sender constraints and SSRC slots
};

// Keeps a receiver's last allocation and says what each new one changes. Starts empty, as JVB
// does, so the first allocation with any source reports changes.
class AllocationTracker {
 public:
  AllocationChanges update(Allocation next);
  const Allocation& current() const { return current_; }

 private:
  Allocation current_;
};

// The SenderSourceConstraints maxHeight of one source, from the effective constraints every
// receiver has for it: the largest maxHeight, -1 (unlimited) beating everything, 0 when there
// are no receivers (which lets the sender stop encoding it).
int sender_max_height(std::span<const VideoConstraints> per_receiver);

}  // namespace jvb::allocation
