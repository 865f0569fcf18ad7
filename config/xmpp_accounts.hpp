// Reading the bridge's XMPP accounts; see xmpp_accounts.cpp.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bridge/core/result.hpp"
#include "config/bridge_config.hpp"
#include "config/hocon/value.hpp"

namespace jvb::config {

// `configs` is the resolved videobridge.apis.xmpp-client.configs object (or null), `legacy`
// the legacy properties. Property names are case-insensitive; incomplete or invalid
// accounts are skipped with a warning naming what is wrong.
std::vector<XmppAccount> read_xmpp_accounts(const hocon::Value* configs,
                                            const std::map<std::string, std::string>& legacy,
                                            std::vector<std::string>& warnings);

// One account from its properties (names case-insensitive, values as written), with the rules the
// configured accounts follow: HOSTNAME, USERNAME, PASSWORD, MUC_JIDS and MUC_NICKNAME are required,
// PORT must be a port number, SECURITY_MODE one of required/ifpossible/disabled. Shared with POST
// /colibri/muc-client/add (JVB's rest/root/colibri/mucclient/MucClient.java), so an account added
// at run time is held to the same rules. Unknown names are ignored here. The error says what is
// wrong, e.g. `XMPP account 'shard' is incomplete (missing PASSWORD)`.
Result<XmppAccount, std::string> xmpp_account_from_properties(
    const std::string& id, const std::map<std::string, std::string>& properties);

}  // namespace jvb::config
