// See brewery.hpp.
#include "tools/focus/brewery.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <tuple>

#include "bridge/core/strings.hpp"

namespace jvb::focus {
namespace {

std::optional<bool> parse_bool(const std::string& value) {
  std::string lower = ascii_lowercase(value);
  if (lower == "true" || lower == "1") return true;
  if (lower == "false" || lower == "0") return false;
  return std::nullopt;
}

std::optional<double> parse_double(const std::string& value) {
  double number = 0.0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, number);
  if (ec != std::errc() || ptr != end || !std::isfinite(number)) return std::nullopt;
  return number;
}

}  // namespace

BridgeStatsUpdate parse_bridge_stats(const gloox::Tag& stats) {
  BridgeStatsUpdate update;
  for (const gloox::Tag* stat : stats.children()) {
    if (stat == nullptr || stat->name() != "stat" || !stat->hasAttribute("name")) continue;
    const std::string name = stat->findAttribute("name");
    const std::string value = stat->findAttribute("value");
    if (name == "stress_level") {
      if (auto number = parse_double(value)) update.stress_level = *number;
    } else if (name == "drain") {
      if (auto flag = parse_bool(value)) update.drain = *flag;
    } else if (name == "graceful_shutdown") {
      if (auto flag = parse_bool(value)) update.graceful_shutdown = *flag;
    } else if (name == "shutting_down") {
      if (auto flag = parse_bool(value)) update.shutting_down = *flag;
    } else if (name == "version") {
      update.version = value;
    }
  }
  return update;
}

std::string normalize_occupant_jid(const std::string& jid) {
  auto slash = jid.find('/');
  if (slash == std::string::npos) return ascii_lowercase(jid);
  return ascii_lowercase(jid.substr(0, slash)) + jid.substr(slash);
}

BreweryChange Brewery::on_stats(const std::string& occupant, const BridgeStatsUpdate& stats) {
  std::string key = normalize_occupant_jid(occupant);
  auto [it, inserted] = bridges_.try_emplace(key);
  BridgeInfo& bridge = it->second;
  if (inserted) bridge.occupant = key;
  if (stats.stress_level) bridge.stress_level = *stats.stress_level;
  if (stats.drain) bridge.drain = *stats.drain;
  // Sticky as in Jicofo: a bridge does not come back from shutting down without leaving.
  if (stats.graceful_shutdown.value_or(false)) bridge.graceful_shutdown = true;
  if (stats.shutting_down.value_or(false)) bridge.shutting_down = true;
  if (stats.version) bridge.version = *stats.version;
  return inserted ? BreweryChange::kJoined : BreweryChange::kUpdated;
}

BreweryChange Brewery::on_unavailable(const std::string& occupant) {
  return bridges_.erase(normalize_occupant_jid(occupant)) ? BreweryChange::kLeft : BreweryChange::kNone;
}

const BridgeInfo* Brewery::find(const std::string& occupant) const {
  auto it = bridges_.find(normalize_occupant_jid(occupant));
  return it == bridges_.end() ? nullptr : &it->second;
}

const BridgeInfo* Brewery::select() const {
  const BridgeInfo* best = nullptr;
  auto rank = [](const BridgeInfo& b) { return std::tuple(b.drain, b.graceful_shutdown, b.stress_level); };
  for (const auto& [key, bridge] : bridges_) {
    if (bridge.shutting_down) continue;
    // Strictly better only: ties keep the first in JID order, so the choice is deterministic.
    if (best == nullptr || rank(bridge) < rank(*best)) best = &bridge;
  }
  return best;
}

}  // namespace jvb::focus
