// The XMPP signaling plugins of the daemon (the brewery MUC client and the XEP-0114 component,
// as JVB's XmppConnection.kt): one MUC client per XMPP account, and the XEP-0114 component when
// enabled. They share the conference manager with the REST API and publish the bridge's load,
// drain and shutdown state in the brewery presence.
//
// Accounts come from the configuration and, at run time, from /colibri/muc-client/add and
// /remove (JVB's MucClient.java REST resource): an added client starts at once, a removed one
// leaves its rooms and closes its stream.
//
// Control thread only.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/daemon/bridge_statistics.hpp"
#include "bridge/health/health_checker.hpp"
#include "bridge/http/shutdown_manager.hpp"
#include "bridge/worker/media_workers.hpp"
#include "config/bridge_config.hpp"
#include "xmpp/bridge_iq.hpp"
#include "xmpp/component_signaling.hpp"
#include "xmpp/muc_client.hpp"
#include "xmpp/stats_presence.hpp"

namespace jvb::daemon {

class XmppSignaling {
 public:
  // Everything passed in must outlive this object. Nothing connects before start().
  XmppSignaling(const config::BridgeConfig& config, health::HealthChecker& checker,
                worker::MediaWorkers& media, const BridgeStatistics& statistics);
  ~XmppSignaling();
  XmppSignaling(const XmppSignaling&) = delete;
  XmppSignaling& operator=(const XmppSignaling&) = delete;

  void start();
  // Leaves the brewery rooms and closes every stream (Jicofo sees the bridge leave).
  void stop();

  enum class AddOutcome { kAdded, kUnchanged, kReplaced };
  // JVB's rule: an account whose id exists with the same hostname, port, domain and username
  // is left alone; with any of them different, the old client goes and the new one starts.
  AddOutcome add_client(const config::XmppAccount& account);
  // False when no client has this id.
  bool remove_client(std::string_view id);
  // In the order they were added, configured accounts first.
  std::vector<std::string> client_ids() const;

  // What the next presence will carry.
  xmpp::BridgeStats stats() const;
  // The connections and rooms, for the bridge's statistics.
  BridgeStatistics::XmppStatus status() const;
  // Every client's presence now, e.g. after a drain or shutdown state change.
  void publish_now();

 private:
  std::unique_ptr<xmpp::MucClient> make_client(const config::XmppAccount& account);

  const config::BridgeConfig& config_;
  health::HealthChecker& checker_;
  worker::MediaWorkers& media_;
  const BridgeStatistics& statistics_;
  xmpp::BridgeIqServices services_;
  std::vector<std::unique_ptr<xmpp::MucClient>> clients_;
  std::unique_ptr<xmpp::ComponentSignaling> component_;
  bool started_ = false;
};

}  // namespace jvb::daemon
