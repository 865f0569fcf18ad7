// See xmpp_signaling.hpp.
#include "bridge/daemon/xmpp_signaling.hpp"

#include <glib.h>

#include <fmt/ranges.h>

#include <algorithm>

#include "bridge/core/log.hpp"
#include "bridge/core/version.hpp"

namespace jvb::daemon {
namespace {

// How often the stress is measured (the load over the last period).
constexpr guint kLoadSampleIntervalMs = 5000;

constexpr log::Logger kLog{"Videobridge"};

// The fields JVB compares to decide whether an add is a repeat of what is already running.
bool same_connection(const config::XmppAccount& a, const config::XmppAccount& b) {
  return a.hostname == b.hostname && a.port == b.port && a.domain == b.domain && a.username == b.username;
}

}  // namespace

XmppSignaling::XmppSignaling(const config::BridgeConfig& config, health::HealthChecker& checker,
                             worker::MediaWorkers& media, const http::ShutdownManager& shutdown)
    : config_(config), checker_(checker), media_(media), shutdown_(shutdown) {
  services_.conference_modify = [&media](const signaling::ConferenceModify& request) {
    return media.handle(request);
  };
  services_.health = [&checker] {
    auto status = checker.status(health::Clock::now());
    return xmpp::HealthReport{status.healthy, status.message};
  };
  services_.software_name = "JVB";
  services_.software_version = std::string(bridge_version());
  load_ = std::make_unique<LoadMonitor>(config.load, [&media] { return media.datagrams(); });
  load_->sample(LoadMonitor::Clock::now());

  for (const auto& account : config.apis.xmpp_accounts) clients_.push_back(make_client(account));
  const auto& c = config.apis.xmpp_component;
  if (c.enabled) {
    component_ = std::make_unique<xmpp::ComponentSignaling>(c, services_);
    kLog.info("XMPP component {} via {}:{}{}", c.domain, c.hostname, c.port,
              c.allowed_jids.empty() ? " (requests accepted from any JID)" : "");
  }
}

XmppSignaling::~XmppSignaling() {
  if (load_timer_ != 0) g_source_remove(load_timer_);
}

std::unique_ptr<xmpp::MucClient> XmppSignaling::make_client(const config::XmppAccount& account) {
  kLog.info("XMPP account {}: {}@{} via {}:{}, brewery {}", account.id, account.username, account.domain,
            account.hostname, account.port, fmt::join(account.muc_jids, ", "));
  return std::make_unique<xmpp::MucClient>(account, config_.apis.presence_interval, services_,
                                           [this] { return stats(); });
}

void XmppSignaling::start() {
  if (started_) return;
  started_ = true;
  // Its own period: the stress must stay current whatever the presence interval.
  load_timer_ = g_timeout_add(
      kLoadSampleIntervalMs,
      [](gpointer load) -> gboolean {
        static_cast<LoadMonitor*>(load)->sample(LoadMonitor::Clock::now());
        return G_SOURCE_CONTINUE;
      },
      load_.get());
  for (auto& client : clients_) client->start();
  if (component_) component_->start();
}

void XmppSignaling::stop() {
  for (auto& client : clients_) client->stop();
  if (component_) component_->stop();
  if (load_timer_ != 0) g_source_remove(load_timer_);
  load_timer_ = 0;
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
  xmpp::BridgeStats s;
  s.stress_level = load_->stress();
  s.average_participant_stress = config_.load.average_participant_stress;
  s.drain = shutdown_.drain();
  // As JVB publishes them: graceful_shutdown only while in that state, shutting_down after it.
  // Jicofo keeps both once seen, so the bridge never looks "back to normal" to it.
  s.graceful_shutdown = shutdown_.state() == http::ShutdownState::kGracefulShutdown;
  s.shutting_down = shutdown_.state() == http::ShutdownState::kShuttingDown;
  s.healthy = checker_.status(health::Clock::now()).healthy;
  s.version = std::string(bridge_version());
  s.release = config_.version_release;
  s.region = config_.relay.region;
  s.relay_id = config_.relay.relay_id;
  s.conferences = static_cast<int>(media_.conference_count());
  s.participants = static_cast<int>(media_.endpoint_count());
  for (const auto& client : clients_) {
    s.muc_clients_connected += client->online() ? 1 : 0;
    s.mucs_joined += client->rooms_joined();
  }
  s.now = std::chrono::system_clock::now();
  if (config_.apis.stats_filter_enabled) s.whitelist = config_.apis.stats_whitelist;
  return s;
}

}  // namespace jvb::daemon
