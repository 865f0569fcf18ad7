// See port_checks.hpp.
#include "bridge/doctor/port_checks.hpp"

#include <algorithm>

namespace jvb::doctor {
namespace {

bool is_this_bridge(const std::optional<PortOwner>& owner) { return owner && owner->name == "videobridge"; }
bool is_java(const std::optional<PortOwner>& owner) { return owner && owner->name == "java"; }

std::string owner_text(const PortOwner& owner) {
  return owner.name + " (pid " + std::to_string(owner.pid) + ")";
}

// The three firewalls an admin is likely to have, in the order they are likely to have them.
std::vector<std::string> open_udp_fixes(const std::string& port) {
  return {"allow it in the firewall: nft add rule inet filter input udp dport " + port +
              " accept, or iptables -I INPUT -p udp --dport " + port + " -j ACCEPT, or ufw allow " + port +
              "/udp",
          "open UDP " + port + " in the cloud provider's firewall (security group) too"};
}

std::string joined_targets(const std::vector<RoundTrip>& trips) {
  std::string out;
  for (const auto& t : trips) out += (out.empty() ? "" : ", ") + t.target;
  return out;
}

}  // namespace

BridgeState bridge_state(const MediaPortProbe& probe) {
  if (probe.bind.outcome == BindOutcome::kFree) return BridgeState::kNotRunning;
  if (probe.bind.outcome != BindOutcome::kInUse) return BridgeState::kUnknown;
  if (is_this_bridge(probe.bind.owner) || is_java(probe.bind.owner)) return BridgeState::kRunning;
  if (probe.health && probe.health->status != 0 && probe.health->status != 404) return BridgeState::kRunning;
  return BridgeState::kUnknown;
}

std::vector<Finding> check_media_port(const MediaPortProbe& probe) {
  const std::string check = "media port";
  const std::string port = std::to_string(probe.port);
  const std::string udp = "UDP " + port;
  std::vector<Finding> out;
  switch (probe.bind.outcome) {
    case BindOutcome::kFree:
      break;
    case BindOutcome::kDenied:
      out.push_back(fail(check, "cannot bind " + udp + ": " + probe.bind.error,
                         {"ports below 1024 need CAP_NET_BIND_SERVICE: use the default 10000 "
                          "(videobridge.ice.udp.port)"}));
      return out;
    case BindOutcome::kAddressNotAvailable:
    case BindOutcome::kError:
      out.push_back(fail(check, "cannot bind " + udp + ": " + probe.bind.error, {}));
      return out;
    case BindOutcome::kInUse: {
      const auto& owner = probe.bind.owner;
      const bool answers = probe.health && probe.health->status != 0;
      if (is_java(owner)) {
        out.push_back(
            fail(check,
                 udp + " is held by " + owner_text(*owner) +
                     ", most likely Jitsi Videobridge: two bridges cannot share the port",
                 {"stop and disable JVB (systemctl disable --now jitsi-videobridge2) before starting "
                  "this bridge, or give one of them another videobridge.ice.udp.port"}));
        return out;
      }
      if (owner && !is_this_bridge(owner)) {
        out.push_back(fail(check, udp + " is held by " + owner_text(*owner) + ": the bridge cannot bind it",
                           {"stop " + owner->name +
                            ", or set videobridge.ice.udp.port to a free port (and open "
                            "that one in the firewall instead)"}));
        return out;
      }
      if (!is_this_bridge(owner) && !answers) {
        out.push_back(
            fail(check,
                 udp + " is in use, and no bridge answers on the private HTTP server (run the doctor "
                       "as root to see which process holds the port)",
                 {"stop the process that holds it, or set videobridge.ice.udp.port to a free port"}));
        return out;
      }
      std::string who = owner ? "the running bridge, " + owner_text(*owner) : "a running bridge";
      if (!answers) {
        out.push_back(warn(check,
                           udp + " is held by " + who +
                               ", but its private HTTP server did not answer, so its health is unknown" +
                               (probe.health ? " (" + probe.health->error + ")" : ""),
                           {"enable the private server (videobridge.http-servers.private.port) to monitor "
                            "/about/health"}));
      } else if (probe.health->status == 200) {
        Finding f = ok(check, udp + " is held by " + who + ", which reports healthy on /about/health");
        f.details.push_back(
            "the round trip through the advertised addresses needs the port free: stop the "
            "bridge and run the doctor again to test it");
        out.push_back(std::move(f));
      } else {
        std::string body = probe.health->body.empty() ? "no reason given" : probe.health->body;
        out.push_back(fail(check,
                           udp + " is held by " + who + ", which reports unhealthy on /about/health (" +
                               std::to_string(probe.health->status) + "): " + body,
                           {"see the bridge's log (/var/log/jitsi/jvb.log); 'No valid IP addresses' is the "
                            "advertised addresses above"}));
      }
      return out;
    }
  }

  if (probe.round_trips.empty()) {
    out.push_back(warn(check, udp + " is free, but no address is advertised to test it through",
                       {"see advertised addresses"}));
    return out;
  }
  std::vector<RoundTrip> good;
  for (const auto& t : probe.round_trips) {
    if (t.answered) {
      good.push_back(t);
      continue;
    }
    if (!t.error.empty() && !t.request_arrived) {
      auto s = t.target_is_local ? Severity::kFail : Severity::kWarn;
      Finding f{check, s, "cannot send to " + t.target + " (" + t.candidate_type + "): " + t.error, {}, {}};
      f.fixes.push_back(t.target_is_local ? "check the routes and firewall of this machine"
                                          : "this machine has no route to " + t.target +
                                                " itself, so only a client outside the network can tell "
                                                "(a phone on mobile data joining a call)");
      out.push_back(std::move(f));
    } else if (t.request_arrived) {
      out.push_back(
          fail(check,
               "a STUN request through " + t.target + " reached " + udp +
                   ", but the answer from it never came back: outgoing UDP from port " + port + " is dropped",
               {"allow outgoing UDP from port " + port + ": nft add rule inet filter output udp sport " +
                port + " accept, or iptables -I OUTPUT -p udp --sport " + port + " -j ACCEPT"}));
    } else if (t.target_is_local) {
      Finding f =
          fail(check,
               udp + " does not receive: a STUN request sent to " + t.target + " (" + t.candidate_type +
                   ") never arrived, so a firewall on this machine drops it; clients cannot connect, and "
                   "calls of three or more fail",
               open_udp_fixes(port));
      out.push_back(std::move(f));
    } else {
      Finding f =
          warn(check,
               "a STUN request sent to the public address " + t.target + " did not come back to " + udp +
                   ": the NAT does not forward UDP " + port +
                   " to this machine, or does not loop traffic from inside back in (many routers do not)",
               {"forward UDP " + port + " on the NAT/router to this machine's port " + port,
                "then test from outside the network: a phone on mobile data in a call of three"});
      auto more = open_udp_fixes(port);
      f.fixes.push_back(more.back());
      out.push_back(std::move(f));
    }
  }
  if (!good.empty()) {
    out.insert(out.begin(), ok(check, udp + " is free and receives: a STUN round trip through " +
                                          joined_targets(good) + " came back"));
  }
  return out;
}

std::vector<Finding> check_http_server(const HttpServerProbe& probe, const config::HttpServerConfig& server,
                                       bool started, BridgeState bridge) {
  const std::string check = "http " + probe.name;
  const std::string key = "videobridge.http-servers." + probe.name;
  std::vector<Finding> out;
  if (server.port == -1) {
    out.push_back(ok(check, "off (" + key + ".port = -1)"));
    return out;
  }
  if (!started) {
    out.push_back(ok(check,
                     "off: the bridge serves only colibri-ws there, and videobridge.websockets.enabled "
                     "is false"));
    return out;
  }
  const std::string where =
      "TCP " + (probe.host.empty() ? std::string("*") : probe.host) + ":" + std::to_string(probe.port);
  switch (probe.bind.outcome) {
    case BindOutcome::kFree:
      out.push_back(ok(check, where + " is free: the bridge will listen there"));
      break;
    case BindOutcome::kDenied:
      out.push_back(
          fail(check, "cannot listen on " + where + ": " + probe.bind.error,
               {"ports below 1024 need CAP_NET_BIND_SERVICE: set " + key + ".port to 1024 or above"}));
      break;
    case BindOutcome::kAddressNotAvailable:
      out.push_back(
          fail(check, "cannot listen on " + where + ": " + probe.host + " is not an address of this machine",
               {"set " + key + ".host to 127.0.0.1 or an address of this machine"}));
      break;
    case BindOutcome::kError:
      out.push_back(fail(check, "cannot listen on " + where + ": " + probe.bind.error, {}));
      break;
    case BindOutcome::kInUse: {
      const auto& owner = probe.bind.owner;
      const bool answered = probe.answer && probe.answer->status != 0;
      if (is_this_bridge(owner)) {
        out.push_back(ok(check, where + " is served by the running bridge, " + owner_text(*owner)));
      } else if (owner) {
        std::string who = owner_text(*owner) + (is_java(owner) ? ", perhaps Jitsi Videobridge" : "");
        out.push_back(fail(check, where + " is taken by " + who + ": the bridge will not start",
                           {"stop " + owner->name + ", or set " + key + ".port to a free port"}));
      } else if (bridge == BridgeState::kRunning && answered) {
        out.push_back(ok(check, where + " is served by the running bridge"));
      } else {
        out.push_back(fail(
            check, where + " is taken by another process: the bridge will not start",
            {"stop it (run the doctor as root to see which it is), or set " + key + ".port to a free port"}));
      }
      break;
    }
  }
  if (server.key_store_path) {
    out.push_back(warn(check,
                       key +
                           ".key-store-path is set, but Java key stores are not supported: the server "
                           "speaks plain HTTP on port " +
                           std::to_string(server.port),
                       {"terminate TLS in a proxy (nginx) in front of it and remove key-store-path"}));
  }
  if (probe.name == "private") {
    const std::string host = server.host.value_or("");
    if (host.empty() || host == "0.0.0.0" || host == "::") {
      out.push_back(warn(check,
                         "listens on every address: anyone who reaches port " + std::to_string(server.port) +
                             " may drain or shut down the bridge and read /debug",
                         {"set " + key + ".host = 127.0.0.1 unless a monitor on another machine needs it"}));
    }
  }
  return out;
}

}  // namespace jvb::doctor
