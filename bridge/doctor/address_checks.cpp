// See address_checks.hpp.
#include "bridge/doctor/address_checks.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "bridge/core/socket_address.hpp"

namespace jvb::doctor {
namespace {

constexpr const char* kAdvertised = "advertised addresses";
constexpr const char* kStun = "nat (stun)";
constexpr const char* kMappingsKey = "ice4j.harvest.mapping.static-mappings";

// The canonical text of an address ("::1" for "0:0:0:0:0:0:0:1"), or nullopt.
std::optional<std::string> canonical(std::string_view ip) {
  auto a = SocketAddress::parse(ip, 0);
  if (!a) return std::nullopt;
  return a->ip();
}

bool same_address(std::string_view a, std::string_view b) {
  auto ca = canonical(a), cb = canonical(b);
  return ca && cb && *ca == *cb;
}

std::string mapping_label(std::size_t index, const config::StaticMapping& m) {
  std::string label = "static-mappings[" + std::to_string(index) + "]";
  if (!m.name.empty()) label += " (" + m.name + ")";
  return label;
}

std::string mapping_text(std::string_view local, std::string_view public_address) {
  return std::string(kMappingsKey) + " = [ { local-address = \"" + std::string(local) +
         "\", public-address = \"" + std::string(public_address) + "\" } ]";
}

// "10.0.0.5 (eth0), 2001:db8::5 (eth0)": what an admin may pick from.
std::string list_addresses(const std::vector<ice::HostAddress>& host_addresses) {
  std::string out;
  for (const auto& a : host_addresses) {
    auto c = ice::classify_address(a.address);
    if (c == ice::AddressClass::kLoopback || c == ice::AddressClass::kLinkLocal) continue;
    out += (out.empty() ? "" : ", ") + a.address + " (" + a.interface_name + ")";
  }
  return out.empty() ? "none but loopback" : out;
}

const ice::HostAddress* find_host(const std::vector<ice::HostAddress>& host_addresses, std::string_view ip) {
  for (const auto& a : host_addresses) {
    if (same_address(a.address, ip)) return &a;
  }
  return nullptr;
}

// What a STUN server said the local address looks like from outside.
const StunAnswer* stun_view(const std::vector<StunAnswer>& stun, std::string_view local) {
  for (const auto& s : stun) {
    if (s.mapped_address && same_address(s.local_address, local)) return &s;
  }
  return nullptr;
}

bool in_v4_prefix(const in_addr& a, std::uint32_t prefix, int bits) {
  std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return (ntohl(a.s_addr) & mask) == prefix;
}

std::string public_fixes_tail(const config::BridgeConfig& config) {
  return "and forward UDP " + std::to_string(config.ice.udp_port) +
         " from that public address to this machine";
}

void check_mapping(std::size_t index, const config::StaticMapping& m,
                   const std::vector<ice::HostAddress>& host_addresses, const config::BridgeConfig& config,
                   const std::vector<StunAnswer>& stun, std::vector<Finding>& out) {
  const std::string label = mapping_label(index, m);
  const std::string key = std::string(kMappingsKey) + "[" + std::to_string(index) + "]";
  auto local = canonical(m.local_address);
  auto public_address = canonical(m.public_address);
  if (!local) {
    out.push_back(fail(
        label, "local-address '" + m.local_address + "' is not an IP address, so the mapping is never used",
        {"write the address as an IP literal in " + key + ".local-address (names are not resolved)"}));
    return;
  }
  if (!public_address) {
    out.push_back(fail(
        label, "public-address '" + m.public_address + "' is not an IP address, so the mapping is never used",
        {"write the address as an IP literal in " + key + ".public-address (names are not resolved)"}));
    return;
  }
  if ((local->find(':') == std::string::npos) != (public_address->find(':') == std::string::npos)) {
    out.push_back(fail(label,
                       "maps " + *local + " to " + *public_address + ", an address of the other IP family",
                       {"map an IPv4 address to an IPv4 address, and IPv6 to IPv6"}));
    return;
  }
  const ice::HostAddress* host = find_host(host_addresses, *local);
  if (!host) {
    out.push_back(
        fail(label,
             "local-address " + *local + " is not an address of this machine, so " + *public_address +
                 " is never advertised",
             {"set " + key + ".local-address to the address the NAT forwards to; this machine has " +
              list_addresses(host_addresses)}));
    return;
  }
  if (!ice::harvest_allows(candidate_options(config).filter, *host)) {
    out.push_back(fail(label,
                       "local-address " + *local + " (" + host->interface_name +
                           ") is excluded by the harvest filters, so " + *public_address +
                           " is never advertised",
                       {"let ICE use it: check ice4j.harvest.allowed-addresses, blocked-addresses, "
                        "allowed-interfaces, blocked-interfaces, use-ipv6 and use-link-local-addresses"}));
    return;
  }
  if (m.local_port && *m.local_port != config.ice.udp_port) {
    out.push_back(fail(label,
                       "local-port " + std::to_string(*m.local_port) + " is not the media port " +
                           std::to_string(config.ice.udp_port) + ", so the mapping is never used",
                       {"set " + key + ".local-port = " + std::to_string(config.ice.udp_port) +
                        " (or remove local-port and public-port)"}));
    return;
  }
  const StunAnswer* seen = stun_view(stun, *local);
  if (auto why = why_not_public(*public_address)) {
    std::vector<std::string> fixes;
    if (seen && !why_not_public(*seen->mapped_address)) {
      fixes.push_back("set " + key + ".public-address = \"" + *seen->mapped_address +
                      "\" (what STUN server " + seen->server + " sees), " + public_fixes_tail(config));
    } else {
      fixes.push_back("set " + key + ".public-address to the address the internet sees this machine at, " +
                      public_fixes_tail(config));
    }
    out.push_back(fail(
        label,
        "public-address " + *public_address + " is " + *why + ": clients on the internet cannot reach it",
        std::move(fixes)));
    return;
  }
  if (*local == *public_address) {
    out.push_back(warn(label, "maps " + *local + " to itself, which adds nothing",
                       {"remove " + key + ", or set its public-address to the NAT's public address"}));
    return;
  }
  if (seen && !same_address(*seen->mapped_address, *public_address) &&
      !find_host(host_addresses, *public_address)) {
    out.push_back(
        fail(label,
             "advertises " + *public_address + " for " + *local + ", but STUN server " + seen->server +
                 " sees " + *local + " as " + *seen->mapped_address +
                 " (the public address changed, or the mapping names another machine's)",
             {"set " + key + ".public-address = \"" + *seen->mapped_address + "\"",
              "only if this machine has several public addresses and the NAT forwards " + *public_address +
                  " to it while sending from " + *seen->mapped_address + ", the mapping is right"}));
    return;
  }
  Finding f = ok(label, *local + " is advertised as " + *public_address +
                            (m.public_port ? ":" + std::to_string(*m.public_port) : std::string()));
  if (seen) f.details.push_back("STUN server " + seen->server + " confirms it");
  out.push_back(std::move(f));
}

}  // namespace

ice::LocalCandidateOptions candidate_options(const config::BridgeConfig& c) {
  ice::LocalCandidateOptions options;
  options.port = static_cast<std::uint16_t>(c.ice.udp_port);
  options.filter = {c.harvest.use_ipv6,           c.harvest.use_link_local_addresses,
                    c.harvest.allowed_addresses,  c.harvest.blocked_addresses,
                    c.harvest.allowed_interfaces, c.harvest.blocked_interfaces};
  options.advertise_private_candidates = c.ice.advertise_private_candidates;
  for (const auto& m : c.harvest.static_mappings) {
    ice::NatMapping n{m.local_address, m.public_address, std::nullopt, std::nullopt};
    if (m.local_port) n.local_port = static_cast<std::uint16_t>(*m.local_port);
    if (m.public_port) n.public_port = static_cast<std::uint16_t>(*m.public_port);
    options.mappings.push_back(std::move(n));
  }
  return options;
}

std::optional<std::string> why_not_public(std::string_view ip) {
  switch (ice::classify_address(ip)) {
    case ice::AddressClass::kInvalid:
      return "not an IP address";
    case ice::AddressClass::kLoopback:
      return "a loopback address";
    case ice::AddressClass::kLinkLocal:
      return "a link-local address";
    case ice::AddressClass::kSiteLocal:
      return ip.find(':') == std::string_view::npos ? "a private address (RFC 1918)"
                                                    : "a site-local address (fec0::/10)";
    case ice::AddressClass::kOther:
      break;
  }
  std::string text(ip);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    if (in_v4_prefix(v4, 0x64400000, 10)) return "a carrier-grade NAT address (100.64.0.0/10, RFC 6598)";
    if (in_v4_prefix(v4, 0, 8)) return "an unspecified address";
    if (in_v4_prefix(v4, 0xE0000000, 4)) return "a multicast address";
    return std::nullopt;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if ((v6.s6_addr[0] & 0xFE) == 0xFC) return "a unique local address (fc00::/7, RFC 4193)";
    if (IN6_IS_ADDR_UNSPECIFIED(&v6)) return "an unspecified address";
    if (IN6_IS_ADDR_MULTICAST(&v6)) return "a multicast address";
  }
  return std::nullopt;
}

std::vector<std::string> stun_query_addresses(const std::vector<ice::HostAddress>& host_addresses,
                                              const config::BridgeConfig& config) {
  std::vector<std::string> out;
  auto filter = candidate_options(config).filter;
  for (const auto& a : host_addresses) {
    if (a.ipv6 || !ice::harvest_allows(filter, a) || !why_not_public(a.address)) continue;
    if (ice::classify_address(a.address) == ice::AddressClass::kLoopback) continue;
    if (std::find(out.begin(), out.end(), a.address) == out.end()) out.push_back(a.address);
  }
  return out;
}

std::vector<Finding> check_addresses(const std::vector<ice::HostAddress>& host_addresses,
                                     const config::BridgeConfig& config,
                                     const std::vector<StunAnswer>& stun) {
  std::vector<Finding> out;
  const std::string port = std::to_string(config.ice.udp_port);
  auto candidates = ice::local_candidates(host_addresses, candidate_options(config));

  // What is advertised, and whether any of it is reachable from the internet.
  std::string listed;
  bool any_public = false;
  for (const auto& c : candidates) {
    listed += (listed.empty() ? "" : ", ") + c.address.to_string() + " (" +
              std::string(ice::to_string(c.type)) + ")";
    any_public = any_public || !why_not_public(c.address.ip());
  }
  if (candidates.empty()) {
    out.push_back(fail(kAdvertised,
                       "nothing to advertise: no address of this machine passes the harvest filters, so no "
                       "client can connect",
                       {"check ice4j.harvest.allowed-addresses, blocked-addresses, allowed-interfaces, "
                        "blocked-interfaces and use-ipv6; this machine has " +
                        list_addresses(host_addresses)}));
  } else if (!any_public) {
    // Which private address a NAT is in front of, and its public side, if a STUN server told.
    const StunAnswer* nat = nullptr;
    for (const auto& s : stun) {
      if (s.mapped_address && !why_not_public(*s.mapped_address)) {
        nat = &s;
        break;
      }
    }
    if (nat) {
      std::vector<std::string> fixes = {
          "advertise the public address: " + mapping_text(nat->local_address, *nat->mapped_address) +
              " (or NAT_HARVESTER_LOCAL_ADDRESS / NAT_HARVESTER_PUBLIC_ADDRESS in "
              "sip-communicator.properties)",
          "forward UDP " + port + " on the NAT from " + *nat->mapped_address + " to " + nat->local_address +
              ":" + port};
      if (!config.harvest.stun_addresses.empty()) {
        fixes.push_back(
            "JVB learns this address from ice4j.harvest.mapping.stun.addresses by itself; this bridge does "
            "not, it needs the static mapping");
      }
      Finding f = fail(kAdvertised,
                       "only private addresses are advertised (" + listed +
                           "), but this machine is behind a NAT: " + "STUN server " + nat->server + " sees " +
                           nat->local_address + " as " + *nat->mapped_address +
                           "; participants outside this network cannot connect",
                       std::move(fixes));
      out.push_back(std::move(f));
    } else {
      std::string local = "<this machine's address>";
      for (const auto& c : candidates) {
        if (c.type == ice::CandidateType::kHost) {
          local = c.address.ip();
          break;
        }
      }
      std::vector<std::string> fixes = {"if this machine is behind a NAT, advertise its public address: " +
                                        mapping_text(local, "<public address>") + ", and forward UDP " +
                                        port + " from it to " + local};
      if (config.harvest.stun_addresses.empty()) {
        fixes.push_back(
            "to let the doctor find the public address, list a STUN server in "
            "ice4j.harvest.mapping.stun.addresses");
      }
      std::string what = "only private addresses are advertised (" + listed +
                         "): participants outside this network cannot connect";
      if (config.health.require_valid_address) {
        what += ", and the bridge reports itself unhealthy (No valid IP addresses available for harvesting.)";
        out.push_back(fail(kAdvertised, std::move(what), std::move(fixes)));
      } else {
        fixes.push_back("nothing to do if every participant is on this network");
        out.push_back(warn(kAdvertised, std::move(what), std::move(fixes)));
      }
    }
  } else {
    out.push_back(ok(kAdvertised, listed));
  }

  for (std::size_t i = 0; i < config.harvest.static_mappings.size(); ++i) {
    check_mapping(i, config.harvest.static_mappings[i], host_addresses, config, stun, out);
  }

  // The STUN servers themselves: an answer from none means the NAT was not checked.
  if (!config.harvest.stun_addresses.empty() && !stun.empty()) {
    std::vector<std::string> seen, failed;
    for (const auto& s : stun) {
      if (s.mapped_address) {
        seen.push_back(s.server + " sees " + s.local_address + " as " + *s.mapped_address);
      } else {
        failed.push_back(s.server + " from " + s.local_address + ": " + s.error);
      }
    }
    if (seen.empty()) {
      Finding f = warn(kStun, "no STUN server answered, so the NAT in front of this machine was not checked",
                       {"allow outgoing UDP to the servers in ice4j.harvest.mapping.stun.addresses, or list "
                        "one that answers"});
      f.details = failed;
      out.push_back(std::move(f));
    } else {
      Finding f = ok(kStun, seen.front());
      f.details.assign(seen.begin() + 1, seen.end());
      f.details.insert(f.details.end(), failed.begin(), failed.end());
      out.push_back(std::move(f));
    }
  }
  if (config.harvest.aws_force) {
    out.push_back(warn("nat (aws)",
                       "ice4j.harvest.mapping.aws.force is set, but this bridge does not ask EC2's metadata "
                       "service for the public address",
                       {"add the instance's public address as a static mapping: " +
                        mapping_text("<private address>", "<public address>")}));
  }
  return out;
}

}  // namespace jvb::doctor
