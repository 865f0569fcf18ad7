// Reading the bridge's XMPP accounts; see xmpp_accounts.cpp.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/bridge_config.hpp"
#include "config/hocon/value.hpp"

namespace jvb::config {

// `configs` is the resolved videobridge.apis.xmpp-client.configs object (or null), `legacy`
// the legacy properties. Property names are case-insensitive; incomplete or invalid
// accounts are skipped with a warning naming what is wrong.
std::vector<XmppAccount> read_xmpp_accounts(const hocon::Value* configs,
                                            const std::map<std::string, std::string>& legacy,
                                            std::vector<std::string>& warnings);

}  // namespace jvb::config
