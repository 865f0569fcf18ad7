// The doctor's checks of the bridge's signaling: each XMPP client account of
// videobridge.apis.xmpp-client.configs (Prosody reachable, the credentials accepted, TLS as
// configured) and its brewery rooms (the account may join them; the running bridge is an
// occupant under its MUC_NICKNAME, with the stats Jicofo picks bridges by; nobody else uses
// that nickname).
//
// Sans-IO: the account, what the XMPP probe saw and whether a bridge runs here in, findings out.
#pragma once

#include <vector>

#include "bridge/doctor/finding.hpp"
#include "bridge/doctor/probe_results.hpp"
#include "config/bridge_config.hpp"

namespace jvb::doctor {

// Whether the bridge has any way to hear from Jicofo: no account, no component and no REST
// is a bridge nobody can use.
std::vector<Finding> check_signaling_configured(const config::BridgeConfig& config);

std::vector<Finding> check_xmpp_account(const config::XmppAccount& account, const XmppProbe& probe,
                                        BridgeState bridge);

}  // namespace jvb::doctor
