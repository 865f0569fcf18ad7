// See xmpp_checks.hpp.
#include "bridge/doctor/xmpp_checks.hpp"

namespace jvb::doctor {
namespace {

std::string account_key(const config::XmppAccount& a) {
  return "videobridge.apis.xmpp-client.configs." + (a.id.empty() ? std::string("<id>") : a.id);
}

std::string stat(const BreweryVisit& v, const std::string& name) {
  auto it = v.bridge_stats.find(name);
  return it == v.bridge_stats.end() ? std::string() : it->second;
}

void add_log(Finding& f, const XmppLogin& login) {
  for (const auto& line : login.log) f.details.push_back(line);
}

Finding check_login(const config::XmppAccount& a, const XmppProbe& p) {
  const std::string check = "xmpp " + a.id;
  const std::string key = account_key(a);
  const std::string server = a.hostname + ":" + std::to_string(a.port);
  const std::string jid = a.username + "@" + a.domain;
  switch (p.tcp.outcome) {
    case TcpOutcome::kConnected:
      break;
    case TcpOutcome::kRefused:
      return fail(check, "Prosody is not reachable at " + server + ": connection refused",
                  {"start Prosody (systemctl start prosody) and check that it listens for clients on port " +
                       std::to_string(a.port),
                   "or set HOSTNAME and PORT in " + key + " to where it listens"});
    case TcpOutcome::kUnresolved:
      return fail(check, "Prosody's host name " + a.hostname + " does not resolve: " + p.tcp.error,
                  {"set HOSTNAME in " + key +
                   " to a name that resolves, or an IP address (localhost when "
                   "Prosody runs on this machine)"});
    case TcpOutcome::kTimeout:
      return fail(check,
                  "Prosody did not answer at " + server + " in time: a firewall drops TCP " +
                      std::to_string(a.port) + ", or the host is down",
                  {"allow TCP " + std::to_string(a.port) + " from this machine to " + a.hostname,
                   "or set HOSTNAME and PORT in " + key});
    case TcpOutcome::kUnreachable:
    case TcpOutcome::kError:
      return fail(check, "cannot connect to Prosody at " + server + ": " + p.tcp.error,
                  {"set HOSTNAME and PORT in " + key + " to where Prosody listens"});
  }
  Finding f;
  switch (p.login.outcome) {
    case LoginOutcome::kOnline:
      return ok(check, "logged in to " + server + " as " + jid);
    case LoginOutcome::kNotTried:
      f = fail(check, "the XMPP login was not attempted", {});
      break;
    case LoginOutcome::kAuthFailed:
      f = fail(check,
               "Prosody refused the credentials of " + jid +
                   (p.login.detail.empty() ? std::string() : " (" + p.login.detail + ")"),
               {"USERNAME, PASSWORD and DOMAIN in " + key +
                    " must match the account in Prosody; to set the "
                    "password there: prosodyctl register " +
                    a.username + " " + a.domain + " '<PASSWORD from the configuration>'",
                "DOMAIN is the XMPP domain of the account (auth.<your domain> in a Jitsi Meet install), not "
                "the machine's name"});
      break;
    case LoginOutcome::kTlsFailed:
      f = fail(check,
               "TLS with " + server + " failed" + (p.login.detail.empty() ? "" : ": " + p.login.detail),
               {"make this machine trust Prosody's certificate for " + a.domain +
                " (copy it to /usr/local/share/ca-certificates/ and run update-ca-certificates), or set "
                "DISABLE_CERTIFICATE_VERIFICATION = true in " +
                key});
      break;
    case LoginOutcome::kTlsNotOffered:
      f = fail(check, server + " does not offer TLS, and SECURITY_MODE is '" + a.security_mode + "'",
               {"enable TLS for clients in Prosody, or set SECURITY_MODE = \"ifpossible\" in " + key +
                " when Prosody is on this machine"});
      break;
    case LoginOutcome::kNoMechanism:
      f = fail(check, server + " offers no SASL mechanism the bridge supports",
               {"enable SCRAM-SHA-1 or PLAIN (over TLS) for " + a.domain + " in Prosody"});
      break;
    case LoginOutcome::kStreamError:
      f = fail(check, server + " ended the stream: " + p.login.detail,
               {"DOMAIN in " + key +
                " must be a VirtualHost of this Prosody (auth.<your domain> in a "
                "Jitsi Meet install)"});
      break;
    case LoginOutcome::kTimeout:
      f = fail(check,
               "no XMPP session with " + server + " in time" +
                   (p.login.detail.empty() ? "" : ": " + p.login.detail),
               {"check Prosody's log (/var/log/prosody/prosody.log) for this connection"});
      break;
    case LoginOutcome::kClosed:
      f = fail(check, "the connection to " + server + " ended during the login: " + p.login.detail,
               {"check Prosody's log (/var/log/prosody/prosody.log) for this connection"});
      break;
  }
  add_log(f, p.login);
  return f;
}

Finding check_room(const config::XmppAccount& a, const BreweryVisit& v, BridgeState bridge) {
  const std::string check = "brewery " + a.id;
  const std::string key = account_key(a);
  const std::string room = v.room;
  const std::string nick = a.muc_nickname;
  if (!v.joined) {
    std::vector<std::string> fixes;
    if (v.error == "item-not-found" || v.error == "remote-server-not-found" ||
        v.error == "service-unavailable") {
      fixes.push_back(
          "MUC_JIDS in " + key +
          " must name the brewery on Prosody's internal MUC component "
          "(jvbbrewery@internal.auth.<your domain>), the room Jicofo uses (jicofo.bridge.brewery-jid)");
    } else if (v.error == "forbidden" || v.error == "not-allowed" || v.error == "registration-required" ||
               v.error == "not-authorized") {
      fixes.push_back("Prosody's MUC component for " + room + " must let " + a.username + "@" + a.domain +
                      " join (its access and room-creation rules)");
    } else if (v.error == "conflict") {
      fixes.push_back("another occupant uses the doctor's nickname " + v.doctor_nickname + "; run it again");
    } else {
      fixes.push_back("check MUC_JIDS in " + key + " and Prosody's log");
    }
    return fail(check,
                "cannot join " + room + ": " + (v.error.empty() ? "no answer" : v.error) +
                    (v.error_text.empty() ? "" : " (" + v.error_text + ")"),
                std::move(fixes));
  }
  std::string others =
      v.other_occupants == 1 ? "1 other occupant" : std::to_string(v.other_occupants) + " other occupants";
  if (v.bridge_present) {
    if (bridge == BridgeState::kNotRunning) {
      return fail(check,
                  "an occupant of " + room + " already uses this bridge's nickname " + nick +
                      ", but no bridge runs here: another bridge has the same MUC_NICKNAME (or one that "
                      "stopped without leaving, until Prosody notices)",
                  {"give every bridge its own MUC_NICKNAME in " + key +
                   " (uuidgen makes one): Jicofo tells "
                   "bridges apart by it, and a second bridge with the same one cannot join"});
    }
    if (stat(v, "healthy") == "false") {
      return fail(check, "the bridge is in " + room + " as " + nick + ", but tells Jicofo it is unhealthy",
                  {"see media port and advertised addresses above, and /about/health"});
    }
    if (stat(v, "drain") == "true" || stat(v, "graceful_shutdown") == "true" ||
        stat(v, "shutting_down") == "true") {
      return warn(check,
                  "the bridge is in " + room + " as " + nick +
                      ", but draining or shutting down: Jicofo sends it no new conferences",
                  {"to take conferences again: POST /colibri/drain/disable on the private HTTP server "
                   "(curl -X POST http://127.0.0.1:8080/colibri/drain/disable with the default port), and "
                   "check videobridge.initial-drain-mode"});
    }
    Finding f = ok(check, "the bridge is in " + room + " as " + nick + " (" + others + ")");
    if (v.bridge_stats.empty()) {
      f = warn(check,
               "an occupant " + nick + " is in " + room +
                   ", but its presence carries no stats, so Jicofo "
                   "does not take it for a bridge",
               {"check that the process using MUC_NICKNAME " + nick + " is this bridge"});
    }
    return f;
  }
  if (bridge == BridgeState::kRunning) {
    return fail(check, "the running bridge is not in " + room + " as " + nick + ": Jicofo cannot find it",
                {"look in the bridge's log for 'cannot join' or 'XMPP connection lost'",
                 "MUC_JIDS and MUC_NICKNAME in " + key +
                     " must be what the running bridge was started with "
                     "(restart it after changing them)"});
  }
  if (v.created) {
    return warn(check,
                "the account may join " + room +
                    ", but the room did not exist: Jicofo is not in it, so it "
                    "cannot find this bridge there",
                {"MUC_JIDS in " + key +
                 " must equal Jicofo's jicofo.bridge.brewery-jid, and Jicofo must be "
                 "running"});
  }
  if (bridge == BridgeState::kUnknown) {
    return warn(check, "the account may join " + room + " (" + others + "), but no occupant is named " + nick,
                {"start the bridge, then run the doctor again to see it join"});
  }
  return ok(check, "the account may join " + room + " (" + others +
                       "); the bridge is not running, so its own "
                       "join was not checked");
}

}  // namespace

std::vector<Finding> check_signaling_configured(const config::BridgeConfig& config) {
  std::vector<Finding> out;
  const auto& apis = config.apis;
  if (!apis.xmpp_accounts.empty()) return out;
  if (apis.xmpp_component.enabled) {
    out.push_back(ok("signaling",
                     "no XMPP client account; Jicofo reaches the bridge through the XEP-0114 "
                     "component " +
                         apis.xmpp_component.domain + " (not checked by the doctor)"));
  } else if (apis.rest_enabled) {
    out.push_back(
        ok("signaling", "no XMPP client account; Colibri2 over REST is on (videobridge.apis.rest.enabled)"));
  } else {
    out.push_back(
        fail("signaling", "no XMPP client account and no other way in: Jicofo cannot find or use this bridge",
             {"add the account Jicofo's brewery expects under videobridge.apis.xmpp-client.configs "
              "(HOSTNAME, DOMAIN, USERNAME, PASSWORD, MUC_JIDS, MUC_NICKNAME); an incomplete account "
              "is dropped with a warning, see configuration above"}));
  }
  return out;
}

std::vector<Finding> check_xmpp_account(const config::XmppAccount& account, const XmppProbe& probe,
                                        BridgeState bridge) {
  std::vector<Finding> out;
  out.push_back(check_login(account, probe));
  if (probe.login.outcome != LoginOutcome::kOnline) return out;
  for (const auto& room : probe.rooms) out.push_back(check_room(account, room, bridge));
  return out;
}

}  // namespace jvb::doctor
