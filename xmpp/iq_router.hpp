// Routes the IQ requests the bridge answers (Colibri2 conference-modify, health check, XEP-0092
// version; the handlers JVB's XmppConnection.kt registers) from one gloox stream to
// answer_iq() (bridge_iq.hpp) and sends its reply. gloox itself answers disco#info and XEP-0199
// pings, and service-unavailable to IQs nobody handles (as Smack does for JVB).
//
// Each request is answered before the next stanza of the stream is read, so requests of one
// conference are applied and answered in arrival order however many Jicofo pipelines (JVB's
// Videobridge.handleColibriRequest does the same): the conference manager answers synchronously.
//
// Control thread only, like the stream.
#pragma once

#include <functional>
#include <string>

#include <gloox/clientbase.h>
#include <gloox/iqhandler.h>

#include "xmpp/bridge_iq.hpp"

namespace jvb::xmpp {

class IqRouter : gloox::IqHandler {
 public:
  // `allowed` decides whether a sender may use the bridge (JVB: only the brewery rooms);
  // `reply_from` is stamped on replies when not empty (a component must name itself).
  IqRouter(gloox::ClientBase& stream, const BridgeIqServices& services,
           std::function<bool(const gloox::JID& sender)> allowed, std::string reply_from = {});
  ~IqRouter() override;
  IqRouter(const IqRouter&) = delete;
  IqRouter& operator=(const IqRouter&) = delete;

 private:
  bool handleIq(const gloox::IQ& iq) override;
  void handleIqID(const gloox::IQ&, int) override {}

  gloox::ClientBase& stream_;
  const BridgeIqServices& services_;
  std::function<bool(const gloox::JID&)> allowed_;
  std::string reply_from_;
};

}  // namespace jvb::xmpp
