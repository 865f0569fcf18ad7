// The bridges the focus knows from the brewery MUC, and which one gets a new conference, the way
// Jicofo's BaseBrewery and BridgeSelector do it (and its Bridge.setStats reads the stats):
//   - an occupant is a bridge once one of its presences carried <stats xmlns=colibri>; presences
//     without stats are ignored (Jicofo itself, other clients);
//   - stats update the bridge; an absent stress_level keeps the last value, drain counts as true
//     until the bridge says otherwise, graceful_shutdown and shutting_down are sticky until the
//     bridge leaves the room;
//   - selection excludes shutting_down bridges and prefers, in this order, non-draining ones, ones
//     not in graceful shutdown, and the lowest stress level.
// Pure bookkeeping: no I/O, no clock. Control thread only.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>

#include <gloox/tag.h>

namespace jvb::focus {

// What one <stats/> element says; a stat the presence does not carry stays empty.
struct BridgeStatsUpdate {
  std::optional<double> stress_level;
  std::optional<bool> drain;
  std::optional<bool> graceful_shutdown;
  std::optional<bool> shutting_down;
  std::optional<std::string> version;
};

// Reads the <stat name value/> children of a <stats xmlns='http://jitsi.org/protocol/colibri'>
// element. Tolerant: unknown stats, malformed values and other children are skipped.
BridgeStatsUpdate parse_bridge_stats(const gloox::Tag& stats);

struct BridgeInfo {
  std::string occupant;  // e.g. jvbbrewery@internal.auth.meet.test/jvb-1, the IQ target
  double stress_level = 0.0;
  bool drain = true;  // Jicofo assumes draining until the bridge reports drain=false
  bool graceful_shutdown = false;
  bool shutting_down = false;
  std::string version;
};

enum class BreweryChange { kNone, kJoined, kUpdated, kLeft };

// The occupant JID with the room part lowercased: Prosody lowercases room names, so the same room
// may be spelled differently in our configuration and in the stanzas (replies come from
// jvbbrewery@... for a configured JvbBrewery@...). The nick keeps its case (nicks are
// case-sensitive).
std::string normalize_occupant_jid(const std::string& jid);

class Brewery {
 public:
  // A presence with <stats/> from `occupant`.
  BreweryChange on_stats(const std::string& occupant, const BridgeStatsUpdate& stats);
  // An unavailable presence from `occupant` (a bridge or not).
  BreweryChange on_unavailable(const std::string& occupant);
  // The focus left the room (stream lost): every bridge is relearned after the re-join.
  void clear() { bridges_.clear(); }

  const BridgeInfo* find(const std::string& occupant) const;
  // The bridge for a new conference, or nullptr when no bridge may take one.
  const BridgeInfo* select() const;
  std::size_t size() const { return bridges_.size(); }

 private:
  std::map<std::string, BridgeInfo> bridges_;  // by normalized occupant JID
};

}  // namespace jvb::focus
