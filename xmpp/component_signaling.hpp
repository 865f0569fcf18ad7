// The XEP-0114 component signaling plugin: the bridge connects to the XMPP server's component
// port as its own domain (e.g. jvb.meet.example.org) with a shared secret, and answers the same
// Colibri2, health-check and version requests as the MUC client (a stock Jicofo cannot use this:
// it finds bridges only in the brewery MUC since it removed component bridge discovery in 2020,
// jitsi/jicofo PR #548; older stacks and custom focus services can). Requests may come
// from any JID unless `allowed_jids` names bare JIDs; everything else gets `forbidden`.
//
// Control thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/bridge_config.hpp"
#include "xmpp/bridge_iq.hpp"

namespace jvb::xmpp {

class IqRouter;
class XmppSession;

class ComponentSignaling {
 public:
  ComponentSignaling(const config::BridgeConfig::Apis::XmppComponent& account,
                     const BridgeIqServices& services);
  ~ComponentSignaling();
  ComponentSignaling(const ComponentSignaling&) = delete;
  ComponentSignaling& operator=(const ComponentSignaling&) = delete;

  void start();
  void stop();
  bool online() const;

 private:
  std::unique_ptr<XmppSession> session_;
  std::unique_ptr<IqRouter> router_;
};

}  // namespace jvb::xmpp
