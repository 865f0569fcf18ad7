// One receiver's allocation settings, built from its ReceiverVideoConstraints and LastNChangedEvent
// messages (JVB's AllocationSettings.kt and doc/constraints.md; the videobridge.cc.* keys of JVB's
// reference.conf).
//
// Every field of a ReceiverVideoConstraints message is optional: a present field replaces the
// stored value, an absent one keeps it. Before the first message the default constraints are
// {maxHeight: initial-max-height-px} (0, so no video flows until the client speaks); the first
// message that omits defaultConstraints sets them to {maxHeight: default-max-height-px} (180),
// later messages that omit them leave them alone.
//
// Owned by one receiver; called by whoever handles that receiver's bridge channel. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/conference/allocation/video_constraints.hpp"

namespace jvb::allocation {

// The videobridge.cc keys that shape the settings (defaults from JVB's reference.conf).
struct AllocationSettingsConfig {
  int initial_last_n = -1;          // cc.initial-last-n
  int initial_max_height_px = 0;    // cc.initial-max-height-px
  int default_max_height_px = 180;  // cc.default-max-height-px
  // cc.assumed-bandwidth-limit: receivers may override the BWE only when it is set, and are
  // capped at it.
  std::optional<std::int64_t> assumed_bandwidth_limit_bps;
};

// A parsed ReceiverVideoConstraints message. nullopt = the field was absent.
struct ConstraintsUpdate {
  std::optional<int> last_n;
  std::optional<std::vector<std::string>> selected_sources;
  std::optional<std::vector<std::string>> on_stage_sources;
  // The old endpoint-id format; used only when the matching *_sources field is absent. Each
  // endpoint id stands for its first camera source `<endpoint>-v0` (see endpoint_source_names).
  std::optional<std::vector<std::string>> selected_endpoints;
  std::optional<std::vector<std::string>> on_stage_endpoints;
  std::optional<VideoConstraints> default_constraints;
  std::optional<ConstraintsMap> constraints;
  std::optional<std::int64_t> assumed_bandwidth_bps;
};

// `<endpoint>-v0` for each endpoint id: the source name jitsi-meet gives an endpoint's first video
// source (source names are `<endpointId>-v<index>`). JVB mapped the old selectedEndpoints /
// onStageEndpoints fields this way before it dropped them.
std::vector<std::string> endpoint_source_names(std::span<const std::string> endpoint_ids);

class AllocationSettings {
 public:
  explicit AllocationSettings(const AllocationSettingsConfig& config = {});

  // Applies one ReceiverVideoConstraints message. Returns whether any setting changed (the
  // caller then re-runs the allocation, as JVB's BitrateController does).
  bool apply(const ConstraintsUpdate& update);

  // LastNChangedEvent. Returns whether lastN changed.
  bool set_last_n(int last_n);

  int last_n() const { return last_n_; }
  const std::vector<std::string>& selected_sources() const { return selected_sources_; }
  const std::vector<std::string>& on_stage_sources() const { return on_stage_sources_; }
  const VideoConstraints& default_constraints() const { return default_constraints_; }
  const ConstraintsMap& constraints() const { return constraints_; }
  // The receiver's override of the BWE, only when allowed by config; nullopt = use the BWE.
  std::optional<std::int64_t> assumed_bandwidth_bps() const;
  // Whether a ReceiverVideoConstraints message has been applied yet.
  bool received_constraints() const { return ever_applied_; }

  // The receiver's constraints for a source: the explicit ones, else the default ones.
  VideoConstraints constraints_for(std::string_view source_name) const;
  bool is_on_stage(std::string_view source_name) const;

  // On-stage sources first, then selected sources, without duplicates: the "selected" order of
  // phase 1 (JVB's BandwidthAllocator.selectedSources).
  std::vector<std::string> selection_order() const;

 private:
  AllocationSettingsConfig config_;
  int last_n_;
  std::vector<std::string> selected_sources_;
  std::vector<std::string> on_stage_sources_;
  VideoConstraints default_constraints_;
  ConstraintsMap constraints_;
  std::int64_t assumed_bandwidth_bps_ = -1;  // negative = none, as on the wire
  bool ever_applied_ = false;
};

}  // namespace jvb::allocation
