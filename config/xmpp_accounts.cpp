// The XMPP accounts of JVB's MUC client (jicoco's MucClientConfiguration): from
// videobridge.apis.xmpp-client.configs, or from the legacy org.jitsi.videobridge.xmpp.user.*
// properties, which replace jvb.conf's accounts entirely when any of them is complete.
#include "config/xmpp_accounts.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

#include "config/config_text.hpp"

namespace jvb::config {
namespace {

using AccountProps = std::map<std::string, std::string>;  // upper-cased name -> value

constexpr std::string_view kLegacyAccountPrefix = "org.jitsi.videobridge.xmpp.user.";
constexpr std::array<std::string_view, 5> kRequiredAccountProps = {"HOSTNAME", "USERNAME", "PASSWORD",
                                                                   "MUC_JIDS", "MUC_NICKNAME"};
const std::set<std::string, std::less<>> kKnownAccountProps = {
    "HOSTNAME",      "PORT",           "DOMAIN",       "USERNAME",
    "PASSWORD",      "MUC_JIDS",       "MUC_NICKNAME", "DISABLE_CERTIFICATE_VERIFICATION",
    "SECURITY_MODE", "IQ_HANDLER_MODE"};

bool account_complete(const AccountProps& props) {
  return std::all_of(kRequiredAccountProps.begin(), kRequiredAccountProps.end(), [&](auto name) {
    auto it = props.find(std::string(name));
    return it != props.end() && !trim(it->second).empty();
  });
}

std::map<std::string, AccountProps> legacy_accounts(const std::map<std::string, std::string>& legacy) {
  std::map<std::string, AccountProps> accounts;
  for (const auto& [key, value] : legacy) {
    if (key.rfind(kLegacyAccountPrefix, 0) != 0) continue;
    std::string_view rest = std::string_view(key).substr(kLegacyAccountPrefix.size());
    size_t dot = rest.rfind('.');
    std::string id = dot == std::string_view::npos ? "" : std::string(rest.substr(0, dot));
    std::string prop = to_upper(dot == std::string_view::npos ? rest : rest.substr(dot + 1));
    accounts[id][prop] = value;
  }
  return accounts;
}

std::map<std::string, AccountProps> hocon_accounts(const hocon::Value* configs,
                                                   std::vector<std::string>& warnings) {
  std::map<std::string, AccountProps> accounts;
  const hocon::Object* ids = configs ? configs->as_object() : nullptr;
  if (!ids) return accounts;
  for (const auto& [id, body] : *ids) {
    const hocon::Object* props = body.as_object();
    if (!props) {
      warnings.push_back("videobridge.apis.xmpp-client.configs." + id +
                         ": an XMPP account must be an object; skipped");
      continue;
    }
    AccountProps& out = accounts[id];
    for (const auto& [name, value] : *props) {
      if (value.is_null()) continue;
      if (auto s = value.to_string()) {
        out[to_upper(name)] = *s;
      } else if (const hocon::Array* items = value.as_array()) {
        // JVB expects MUC_JIDS as one comma-separated string; accept a list as well.
        std::string joined;
        for (const hocon::Value& item : *items) {
          if (auto s2 = item.to_string()) joined += (joined.empty() ? "" : ",") + *s2;
        }
        out[to_upper(name)] = joined;
      }
    }
  }
  return accounts;
}

std::optional<XmppAccount> make_account(const std::string& id, const AccountProps& props,
                                        std::string_view where, std::vector<std::string>& warnings) {
  std::string label = std::string(where) + " XMPP account '" + id + "'";
  for (const auto& [name, value] : props) {
    if (!kKnownAccountProps.count(name)) warnings.push_back(label + ": unknown property " + name);
  }
  auto account = xmpp_account_from_properties(id, props);
  if (!account) {
    warnings.push_back(std::string(where) + " " + account.error() + "; skipped");
    return std::nullopt;
  }
  return std::move(*account);
}

}  // namespace

Result<XmppAccount, std::string> xmpp_account_from_properties(
    const std::string& id, const std::map<std::string, std::string>& properties) {
  AccountProps props;
  for (const auto& [name, value] : properties) props[to_upper(name)] = value;
  const std::string label = "XMPP account '" + id + "'";
  std::vector<std::string> missing;
  for (auto name : kRequiredAccountProps) {
    auto it = props.find(std::string(name));
    if (it == props.end() || trim(it->second).empty()) missing.emplace_back(name);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return unexpected(label + " is incomplete (missing " + list + ")");
  }
  auto get = [&](std::string_view name) -> std::string {
    auto it = props.find(std::string(name));
    return it == props.end() ? std::string() : trim(it->second);
  };
  XmppAccount a;
  a.id = id;
  a.hostname = get("HOSTNAME");
  a.domain = get("DOMAIN").empty() ? a.hostname : get("DOMAIN");
  a.username = get("USERNAME");
  a.password = props.at("PASSWORD");  // passwords are taken verbatim
  a.muc_nickname = get("MUC_NICKNAME");
  std::string jids = get("MUC_JIDS");
  if (jids.size() >= 2 && jids.front() == '[' && jids.back() == ']') jids = jids.substr(1, jids.size() - 2);
  a.muc_jids = split_list(jids, ',');
  if (a.muc_jids.empty()) return unexpected(label + ": MUC_JIDS names no room");
  if (std::string port = get("PORT"); !port.empty()) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p <= 0 || p > 65535) {
      return unexpected(label + ": PORT \"" + port + "\" is not a port number");
    }
    a.port = p;
  }
  a.disable_certificate_verification = java_parse_boolean(get("DISABLE_CERTIFICATE_VERIFICATION"));
  std::string mode = ascii_lowercase(get("SECURITY_MODE"));
  if (mode.empty()) {
    bool local = a.hostname == "localhost" || a.hostname == "127.0.0.1" || a.hostname == "::1";
    mode = local ? "ifpossible" : "required";
  } else if (mode != "required" && mode != "ifpossible" && mode != "disabled") {
    return unexpected(label + ": SECURITY_MODE \"" + get("SECURITY_MODE") +
                      "\" is not one of required, ifpossible, disabled");
  }
  a.security_mode = mode;
  return a;
}

std::vector<XmppAccount> read_xmpp_accounts(const hocon::Value* configs,
                                            const std::map<std::string, std::string>& legacy,
                                            std::vector<std::string>& warnings) {
  std::vector<XmppAccount> out;
  auto from_legacy = legacy_accounts(legacy);
  bool legacy_wins = std::any_of(from_legacy.begin(), from_legacy.end(),
                                 [](const auto& kv) { return account_complete(kv.second); });
  if (legacy_wins) {
    if (configs && configs->as_object() && !configs->as_object()->empty()) {
      warnings.push_back(
          "sip-communicator.properties defines XMPP accounts, so videobridge.apis.xmpp-client.configs "
          "is ignored (as JVB does)");
    }
    for (const auto& [id, props] : from_legacy) {
      if (auto a = make_account(id, props, "legacy", warnings)) out.push_back(std::move(*a));
    }
    return out;
  }
  for (const auto& [id, props] : hocon_accounts(configs, warnings)) {
    if (auto a = make_account(id, props, "jvb.conf", warnings)) out.push_back(std::move(*a));
  }
  return out;
}

}  // namespace jvb::config
