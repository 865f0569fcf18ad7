// See xmpp_signaling.hpp.
#include "bridge/daemon/xmpp_signaling.hpp"

#include <glib.h>

#include <fmt/ranges.h>

#include <algorithm>
#include <set>
#include <variant>

#include "bridge/core/log.hpp"
#include "bridge/core/version.hpp"

namespace jvb::daemon {
namespace {

constexpr log::Logger kLog{"Videobridge"};

// The fields JVB compares to decide whether an add is a repeat of what is already running.
bool same_connection(const config::XmppAccount& a, const config::XmppAccount& b) {
  return a.hostname == b.hostname && a.port == b.port && a.domain == b.domain && a.username == b.username;
}

}  // namespace

XmppSignaling::XmppSignaling(const config::BridgeConfig& config, health::HealthChecker& checker,
                             worker::MediaWorkers& media, const BridgeStatistics& statistics)
    : config_(config), checker_(checker), media_(media), statistics_(statistics) {
  services_.conference_modify = [&media](const signaling::ConferenceModify& request) {
    return media.handle(request);
  };
  services_.health = [&checker] {
    auto status = checker.status(health::Clock::now());
    return xmpp::HealthReport{status.healthy, status.message};
  };
  services_.software_name = "JVB";
  services_.software_version = std::string(bridge_version());

  for (const auto& account : config.apis.xmpp_accounts) clients_.push_back(make_client(account));
  const auto& c = config.apis.xmpp_component;
  if (c.enabled) {
    component_ = std::make_unique<xmpp::ComponentSignaling>(c, services_);
    kLog.info("XMPP component {} via {}:{}{}", c.domain, c.hostname, c.port,
              c.allowed_jids.empty() ? " (requests accepted from any JID)" : "");
  }
}

XmppSignaling::~XmppSignaling() = default;

std::unique_ptr<xmpp::MucClient> XmppSignaling::make_client(const config::XmppAccount& account) {
  kLog.info("XMPP account {}: {}@{} via {}:{}, brewery {}", account.id, account.username, account.domain,
            account.hostname, account.port, fmt::join(account.muc_jids, ", "));
  return std::make_unique<xmpp::MucClient>(account, config_.apis.presence_interval, services_,
                                           [this] { return stats(); });
}

void XmppSignaling::start() {
  if (started_) return;
  started_ = true;
  for (auto& client : clients_) client->start();
  if (component_) component_->start();
}

void XmppSignaling::stop() {
  for (auto& client : clients_) client->stop();
  if (component_) component_->stop();
  started_ = false;
}

XmppSignaling::AddOutcome XmppSignaling::add_client(const config::XmppAccount& account) {
  auto it = std::find_if(clients_.begin(), clients_.end(),
                         [&](const auto& client) { return client->account().id == account.id; });
  AddOutcome outcome = AddOutcome::kAdded;
  if (it != clients_.end()) {
    if (same_connection((*it)->account(), account)) return AddOutcome::kUnchanged;
    kLog.info("XMPP account {} changed; replacing its connection", account.id);
    (*it)->stop();
    *it = make_client(account);
    outcome = AddOutcome::kReplaced;
  } else {
    clients_.push_back(make_client(account));
    it = std::prev(clients_.end());
  }
  // Once stopped, the bridge is on its way out: the client would only join to leave again.
  if (started_) (*it)->start();
  return outcome;
}

bool XmppSignaling::remove_client(std::string_view id) {
  auto it = std::find_if(clients_.begin(), clients_.end(),
                         [&](const auto& client) { return client->account().id == id; });
  if (it == clients_.end()) return false;
  kLog.info("Removing XMPP account {}", id);
  // stop() sends the unavailable presences before the stream closes, so the rooms see the
  // bridge leave rather than time out.
  (*it)->stop();
  clients_.erase(it);
  return true;
}

std::vector<std::string> XmppSignaling::client_ids() const {
  std::vector<std::string> ids;
  for (const auto& client : clients_) ids.push_back(client->account().id);
  return ids;
}

void XmppSignaling::publish_now() {
  for (auto& client : clients_) client->publish_now();
}

xmpp::BridgeStats XmppSignaling::stats() const {
  const stats::BridgeStats all = statistics_.current();
  const stats::ControlState& c = all.control;
  xmpp::BridgeStats s;
  s.stress_level = c.stress_level;
  s.average_participant_stress = c.average_participant_stress;
  s.drain = c.drain;
  s.graceful_shutdown = c.graceful_shutdown;
  s.shutting_down = c.shutting_down;
  s.healthy = c.healthy;
  s.version = c.version;
  s.release = c.release;
  s.region = c.region;
  s.relay_id = c.relay_id;
  // Counted now, not at the last interval: Jicofo places conferences by them.
  s.conferences = static_cast<int>(media_.conference_count());
  s.participants = static_cast<int>(media_.endpoint_count());
  s.mucs_joined = static_cast<int>(c.mucs_joined);
  s.muc_clients_connected = static_cast<int>(c.muc_clients_connected);
  s.now = c.now;
  // Everything else /colibri/stats has, in its order, as strings.
  static const std::set<std::string, std::less<>> kAbove = {"stress_level",
                                                            "average_participant_stress",
                                                            "drain",
                                                            "graceful_shutdown",
                                                            "shutting_down",
                                                            "healthy",
                                                            "version",
                                                            "release",
                                                            "region",
                                                            "relay_id",
                                                            "conferences",
                                                            "participants",
                                                            "mucs_joined",
                                                            "muc_clients_connected",
                                                            "current_timestamp"};
  for (auto& [name, value] : stats::colibri_stats(all)) {
    if (kAbove.contains(name)) continue;
    std::string text = std::visit(
        [](const auto& v) -> std::string {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
          if constexpr (std::is_same_v<T, std::int64_t>) return std::to_string(v);
          if constexpr (std::is_same_v<T, double>) return xmpp::stat_double(v);
          if constexpr (std::is_same_v<T, std::string>) return v;
        },
        value);
    s.extra.emplace_back(name, std::move(text));
  }
  if (config_.apis.stats_filter_enabled) s.whitelist = config_.apis.stats_whitelist;
  return s;
}

BridgeStatistics::XmppStatus XmppSignaling::status() const {
  BridgeStatistics::XmppStatus x;
  x.clients_configured = clients_.size();
  for (const auto& client : clients_) {
    x.clients_connected += client->online() ? 1 : 0;
    x.mucs_joined += static_cast<std::uint64_t>(client->rooms_joined());
    x.mucs_configured += client->account().muc_jids.size();
  }
  return x;
}

}  // namespace jvb::daemon
