// See component_signaling.hpp.
#include "xmpp/component_signaling.hpp"

#include <gloox/component.h>
#include <gloox/disco.h>

#include <algorithm>

#include "bridge/core/strings.hpp"
#include "xmpp/iq_router.hpp"
#include "xmpp/xmpp_session.hpp"

namespace jvb::xmpp {

ComponentSignaling::ComponentSignaling(const config::BridgeConfig::Apis::XmppComponent& account,
                                       const BridgeIqServices& services) {
  auto component = std::make_unique<gloox::Component>(gloox::XMLNS_COMPONENT_ACCEPT, account.hostname,
                                                      account.domain, account.secret, account.port);
  // XEP-0114 has no TLS; without this gloox would still load the CA bundle for nothing.
  component->setTls(gloox::TLSDisabled);
  // What component bridges announced before the brewery existed (JVB's removed ComponentImpl).
  component->disco()->setIdentity("conference", "bridge", "Videobridge");
  SessionOptions options;
  options.name = "component " + account.domain;
  options.host = account.hostname;
  options.port = account.port;
  session_ = std::make_unique<XmppSession>(std::move(options), std::move(component));
  router_ = std::make_unique<IqRouter>(
      session_->stream(), services,
      [allowed = account.allowed_jids](const gloox::JID& sender) {
        return allowed.empty() ||
               std::any_of(allowed.begin(), allowed.end(),
                           [&sender](const std::string& jid) { return iequals(jid, sender.bare()); });
      },
      account.domain);
}

ComponentSignaling::~ComponentSignaling() { router_.reset(); }

void ComponentSignaling::start() { session_->start(); }
void ComponentSignaling::stop() { session_->stop(); }
bool ComponentSignaling::online() const { return session_->online(); }

}  // namespace jvb::xmpp
