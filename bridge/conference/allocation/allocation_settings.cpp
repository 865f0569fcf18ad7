// ReceiverVideoConstraints state of one receiver (JVB's AllocationSettings.kt).
#include "bridge/conference/allocation/allocation_settings.hpp"

#include <algorithm>
#include <utility>

namespace jvb::allocation {

namespace {

// Replaces `stored` with `value` if they differ; returns whether it did.
template <typename T>
bool replace(T& stored, const T& value) {
  if (stored == value) return false;
  stored = value;
  return true;
}

}  // namespace

std::vector<std::string> endpoint_source_names(std::span<const std::string> endpoint_ids) {
  std::vector<std::string> names;
  names.reserve(endpoint_ids.size());
  for (const std::string& id : endpoint_ids) names.push_back(id + "-v0");
  return names;
}

AllocationSettings::AllocationSettings(const AllocationSettingsConfig& config)
    : config_(config),
      last_n_(config.initial_last_n),
      default_constraints_{config.initial_max_height_px, kUnlimitedFrameRate} {}

bool AllocationSettings::apply(const ConstraintsUpdate& update) {
  bool changed = false;
  if (update.last_n) changed |= replace(last_n_, *update.last_n);

  if (update.selected_sources) {
    changed |= replace(selected_sources_, *update.selected_sources);
  } else if (update.selected_endpoints) {
    changed |= replace(selected_sources_, endpoint_source_names(*update.selected_endpoints));
  }
  if (update.on_stage_sources) {
    changed |= replace(on_stage_sources_, *update.on_stage_sources);
  } else if (update.on_stage_endpoints) {
    changed |= replace(on_stage_sources_, endpoint_source_names(*update.on_stage_endpoints));
  }

  // Only the first message fills in the configured default; so a first message that repeats
  // the initial value (maxHeight 0) is no change, while an empty first message is one.
  if (update.default_constraints) {
    changed |= replace(default_constraints_, *update.default_constraints);
  } else if (!ever_applied_) {
    changed |= replace(default_constraints_, VideoConstraints{config_.default_max_height_px});
  }

  if (update.constraints) changed |= replace(constraints_, *update.constraints);

  // Without a configured limit the override is ignored (LJM sends -1 by default anyway).
  if (update.assumed_bandwidth_bps && config_.assumed_bandwidth_limit_bps) {
    changed |= replace(assumed_bandwidth_bps_,
                       std::min(*update.assumed_bandwidth_bps, *config_.assumed_bandwidth_limit_bps));
  }

  ever_applied_ = true;
  return changed;
}

bool AllocationSettings::set_last_n(int last_n) { return replace(last_n_, last_n); }

std::optional<std::int64_t> AllocationSettings::assumed_bandwidth_bps() const {
  if (assumed_bandwidth_bps_ < 0) return std::nullopt;
  return assumed_bandwidth_bps_;
}

VideoConstraints AllocationSettings::constraints_for(std::string_view source_name) const {
  auto it = constraints_.find(source_name);
  return it != constraints_.end() ? it->second : default_constraints_;
}

bool AllocationSettings::is_on_stage(std::string_view source_name) const {
  return std::find(on_stage_sources_.begin(), on_stage_sources_.end(), source_name) !=
         on_stage_sources_.end();
}

std::vector<std::string> AllocationSettings::selection_order() const {
  std::vector<std::string> order = on_stage_sources_;
  for (const std::string& name : selected_sources_) {
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  }
  return order;
}

}  // namespace jvb::allocation
