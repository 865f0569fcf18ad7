// The free-form part of GET /debug (JVB's rest/root/debug/Debug.java) for the conferences one
// media worker owns: each conference keyed by the bridge's own conference id with its endpoints'
// media counters (the demo page's bitrate panel reads them), and, in full, the packet path's and
// the bridge channel's counters. Built on the worker's thread from its own state; the control
// thread merges the workers' parts (merge_debug_state).
#pragma once

#include <nlohmann/json.hpp>

#include "bridge/conference/conference_manager.hpp"
#include "bridge/conference/debug_view.hpp"
#include "bridge/conference/forwarding_controller.hpp"
#include "bridge/conference/router.hpp"

namespace jvb::conference {

// {"conferences": {...}}: each endpoint's stats id in the summary, its whole state otherwise;
// the full view adds {"packet_path": {...}, "bridge_channel": {...}}, and the rtcstats view
// lists only the conferences created with rtcstats enabled.
nlohmann::json debug_state(const ConferenceManager& conferences, Router& router, transport::MediaPort& port,
                           const ForwardingController& forwarding, DebugView view, Timestamp now);

// Adds `part` (another worker's debug_state) into `total`: conferences side by side, counters summed.
void merge_debug_state(nlohmann::json& total, const nlohmann::json& part);

}  // namespace jvb::conference
