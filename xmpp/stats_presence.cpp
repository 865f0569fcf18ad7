// The brewery stats presence of xmpp/stats_presence.hpp, written the way JVB's
// ColibriStatsExtension comes out (vectors/xmpp/presence-*.xml).
#include "xmpp/stats_presence.hpp"

#include "bridge/stats/bridge_stats.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "xmpp/colibri2_xml.hpp"  // kNsColibri

namespace jvb::xmpp {
namespace {

void add_stat(gloox::Tag* stats, std::string_view name, const std::string& value) {
  auto stat = std::make_unique<gloox::Tag>("stat");
  stat->addAttribute("name", std::string(name));
  // gloox refuses empty values and bytes XML cannot carry; a <stat> without value would be
  // malformed, so such a stat is left out like an unset one.
  if (!stat->addAttribute("value", value)) return;
  // The <stat> children inherit the colibri namespace (no xmlns of their own, as JVB writes them).
  stats->addChild(stat.release());
}

void add_stat(gloox::Tag* stats, std::string_view name, const std::optional<std::string>& value) {
  if (value) add_stat(stats, name, *value);
}

void add_stat(gloox::Tag* stats, std::string_view name, bool value) {
  add_stat(stats, name, std::string(value ? "true" : "false"));
}

}  // namespace

std::string stat_double(double value) {
  // Jicofo parses with Java's Double.parseDouble, which rejects fmt's "nan" and "inf".
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return stats::decimal(value);
}

std::string stat_timestamp(std::chrono::system_clock::time_point time) { return stats::utc_timestamp(time); }

std::unique_ptr<gloox::Tag> stats_element(const BridgeStats& s) {
  auto stats = std::make_unique<gloox::Tag>("stats");
  stats->setXmlns(kNsColibri);
  gloox::Tag* t = stats.get();
  add_stat(t, "stress_level", stat_double(s.stress_level));
  add_stat(t, "average_participant_stress", stat_double(s.average_participant_stress));
  add_stat(t, "drain", s.drain);
  add_stat(t, "graceful_shutdown", s.graceful_shutdown);
  add_stat(t, "shutting_down", s.shutting_down);
  add_stat(t, "healthy", s.healthy);
  add_stat(t, "version", s.version);
  // Absent, not empty, when unset: Jicofo compares release, and takes any relay_id as "can
  // cascade" (Jicofo's Bridge.setStats).
  add_stat(t, "release", s.release);
  add_stat(t, "region", s.region);
  add_stat(t, "relay_id", s.relay_id);
  add_stat(t, "conferences", std::to_string(s.conferences));
  add_stat(t, "participants", std::to_string(s.participants));
  add_stat(t, "mucs_joined", std::to_string(s.mucs_joined));
  add_stat(t, "muc_clients_connected", std::to_string(s.muc_clients_connected));
  add_stat(t, "current_timestamp", stat_timestamp(s.now));
  for (const auto& [name, value] : s.extra) add_stat(t, name, value);
  if (!s.whitelist) return stats;
  auto filtered = std::make_unique<gloox::Tag>("stats");
  filtered->setXmlns(kNsColibri);
  for (const gloox::Tag* stat : stats->children()) {
    if (std::find(s.whitelist->begin(), s.whitelist->end(), stat->findAttribute("name")) !=
        s.whitelist->end())
      filtered->addChild(stat->clone());
  }
  return filtered;
}

std::unique_ptr<gloox::Tag> brewery_presence(const std::string& occupant_jid, const BridgeStats& stats,
                                             bool join) {
  auto presence = std::make_unique<gloox::Tag>("presence");
  presence->addAttribute("to", occupant_jid);
  if (join) {
    auto* muc = new gloox::Tag(presence.get(), "x");  // owned by the presence
    muc->setXmlns(kNsMuc);
  }
  presence->addChild(stats_element(stats).release());
  return presence;
}

}  // namespace jvb::xmpp
