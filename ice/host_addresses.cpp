// Interface enumeration and the harvest filters; see host_addresses.hpp.
#include "ice/host_addresses.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace jvb::ice {
namespace {

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

std::vector<HostAddress> enumerate_host_addresses() {
  std::vector<HostAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !(i->ifa_flags & IFF_UP)) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (i->ifa_addr->sa_family == AF_INET) {
      auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      if (!inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text)) continue;
      out.push_back({i->ifa_name, text, false});
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      if (!inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text)) continue;
      out.push_back({i->ifa_name, text, true});
    }
  }
  freeifaddrs(list);
  return out;
}

AddressClass classify_address(std::string_view ip) {
  std::string s(ip);
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    std::uint32_t a = ntohl(v4.s_addr);
    if ((a >> 24) == 127) return AddressClass::kLoopback;
    if ((a >> 16) == 0xA9FE) return AddressClass::kLinkLocal;  // 169.254/16
    if ((a >> 24) == 10 || (a >> 20) == 0xAC1 || (a >> 16) == 0xC0A8) return AddressClass::kSiteLocal;
    return AddressClass::kOther;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    const std::uint8_t* b = v6.s6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return AddressClass::kLoopback;
    if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return AddressClass::kLinkLocal;  // fe80::/10
    if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return AddressClass::kSiteLocal;  // fec0::/10
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      char v4text[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, b + 12, v4text, sizeof v4text);
      return classify_address(v4text);
    }
    return AddressClass::kOther;
  }
  return AddressClass::kInvalid;
}

bool is_public_address(std::string_view ip) { return classify_address(ip) == AddressClass::kOther; }

bool harvest_allows(const HarvestFilter& f, const HostAddress& a) {
  AddressClass c = classify_address(a.address);
  if (c == AddressClass::kInvalid) return false;
  // Loopback only when an admin (or a test, or `make run`) names it in allowed-addresses.
  if (c == AddressClass::kLoopback && !contains(f.allowed_addresses, a.address)) return false;
  if (a.ipv6 && !f.use_ipv6) return false;
  if (c == AddressClass::kLinkLocal && !f.use_link_local_addresses) return false;
  if (!f.allowed_interfaces.empty()) {
    if (!contains(f.allowed_interfaces, a.interface_name)) return false;
  } else if (contains(f.blocked_interfaces, a.interface_name)) {
    return false;
  }
  if (!f.allowed_addresses.empty() && !contains(f.allowed_addresses, a.address)) return false;
  return !contains(f.blocked_addresses, a.address);
}

}  // namespace jvb::ice
