// The bridge's presence in the brewery MUC (the join, the stats presence JVB's MucPublisher.kt
// sends, with the shutdown and drain flags Jicofo's Bridge.kt reads), compared against the shared
// protocol vectors' xmpp/presence-*.xml. Jicofo only registers a bridge once it has seen a presence
// with <stats>, and picks bridges by these values, so every presence carries the full set.
//
// Values are strings: doubles in the shortest decimal that reads back as the same double, with
// ".0" on whole numbers and NaN / Infinity spelled as Java's Double.toString does, because Jicofo
// reads them with Double.parseDouble (vectors: '0.0', '0.046875'); booleans true/false; counts
// in decimal. release, region and relay_id appear only when set. A string stat that is empty or
// holds bytes XML cannot carry is left out (gloox will not write such an attribute, and a <stat>
// without value would be malformed).
//
// Thread-safety: free functions without shared state.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gloox/tag.h>

namespace jvb::xmpp {

inline constexpr const char* kNsMuc = "http://jabber.org/protocol/muc";

// A snapshot of what the bridge publishes; the stat names are in stats_element().
struct BridgeStats {
  double stress_level = 0;                    // stress_level
  double average_participant_stress = 0;      // average_participant_stress
  bool drain = false;                         // drain (Jicofo assumes true until it sees false)
  bool graceful_shutdown = false;             // graceful_shutdown
  bool shutting_down = false;                 // shutting_down
  bool healthy = true;                        // healthy
  std::string version;                        // version
  std::optional<std::string> release;         // release
  std::optional<std::string> region;          // region
  std::optional<std::string> relay_id;        // relay_id
  int conferences = 0;                        // conferences
  int participants = 0;                       // participants
  int mucs_joined = 0;                        // mucs_joined
  int muc_clients_connected = 0;              // muc_clients_connected
  std::chrono::system_clock::time_point now;  // current_timestamp, "yyyy-MM-dd HH:mm:ss.SSS" UTC
  // The rest of the bridge's statistics (the keys of /colibri/stats), after the ones above.
  std::vector<std::pair<std::string, std::string>> extra;
  // Not a stat: when set, only the stats named here are published (JVB's
  // videobridge.apis.xmpp-client.stats-filter).
  std::optional<std::vector<std::string>> whitelist;
};

// <stats xmlns='http://jitsi.org/protocol/colibri'> with one <stat name value/> per key, in the
// order of the vectors: stress_level, average_participant_stress, drain, graceful_shutdown,
// shutting_down, healthy, version, release, region, relay_id, conferences, participants,
// mucs_joined, muc_clients_connected, current_timestamp, then `extra` in its order.
std::unique_ptr<gloox::Tag> stats_element(const BridgeStats& stats);

// <presence to='room@muc/nick'> carrying the stats. `join` adds <x xmlns=muc/> first; only the
// first presence into a room may carry it (Prosody takes a later one for a re-join). No
// xmlns on <presence>: it is written inside the jabber:client stream.
std::unique_ptr<gloox::Tag> brewery_presence(const std::string& occupant_jid, const BridgeStats& stats,
                                             bool join);

// The stat value forms, exposed for tests: "0.0", "0.046875", "1e-05", "NaN", "Infinity".
std::string stat_double(double value);
// "2026-08-19 14:02:11.473" (UTC, milliseconds truncated, as JVB's SimpleDateFormat writes it).
std::string stat_timestamp(std::chrono::system_clock::time_point time);

}  // namespace jvb::xmpp
