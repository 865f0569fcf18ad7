// The bridge's own addresses, and which of them ICE may use as host candidates, with the
// filters of ice4j's harvest configuration (ice4j's HarvestConfig.kt: use-ipv6,
// use-link-local-addresses, allowed/blocked addresses and interfaces). Address classes follow
// java.net.InetAddress, which JVB's "valid address" health check uses: site-local is
// 10/8, 172.16/12, 192.168/16 and fec0::/10.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jvb::ice {

struct HostAddress {
  std::string interface_name;
  std::string address;  // textual IPv4 or IPv6 (without zone)
  bool ipv6 = false;
};

// Every address of every interface that is up (getifaddrs). An empty list if the
// system call fails.
std::vector<HostAddress> enumerate_host_addresses();

struct HarvestFilter {
  bool use_ipv6 = true;
  bool use_link_local_addresses = false;
  std::vector<std::string> allowed_addresses, blocked_addresses;
  std::vector<std::string> allowed_interfaces, blocked_interfaces;
};

// Whether ICE may offer `a` as a host candidate. Loopback is offered only when it is listed
// in allowed-addresses (ice4j skips loopback interfaces; a bridge on one machine for tests
// or a demo needs it). allowed-interfaces, when set, makes blocked-interfaces irrelevant.
bool harvest_allows(const HarvestFilter& filter, const HostAddress& a);

enum class AddressClass { kInvalid, kLoopback, kLinkLocal, kSiteLocal, kOther };
AddressClass classify_address(std::string_view ip);

// Reachable from elsewhere, as far as the address alone can tell: not loopback, link-local,
// site-local, or unparseable.
bool is_public_address(std::string_view ip);

}  // namespace jvb::ice
