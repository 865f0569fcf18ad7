// Address classes and ice4j's harvest filters.
#include "ice/host_addresses.hpp"

#include <doctest/doctest.h>

namespace jvb::ice {
namespace {

TEST_CASE("address classes follow java.net.InetAddress") {
  CHECK(classify_address("127.0.0.1") == AddressClass::kLoopback);
  CHECK(classify_address("::1") == AddressClass::kLoopback);
  CHECK(classify_address("10.1.2.3") == AddressClass::kSiteLocal);
  CHECK(classify_address("172.16.0.1") == AddressClass::kSiteLocal);
  CHECK(classify_address("172.31.255.255") == AddressClass::kSiteLocal);
  CHECK(classify_address("172.32.0.1") == AddressClass::kOther);
  CHECK(classify_address("192.168.1.1") == AddressClass::kSiteLocal);
  CHECK(classify_address("169.254.10.1") == AddressClass::kLinkLocal);
  CHECK(classify_address("fe80::1") == AddressClass::kLinkLocal);
  CHECK(classify_address("fec0::1") == AddressClass::kSiteLocal);
  CHECK(classify_address("::ffff:10.0.0.1") == AddressClass::kSiteLocal);
  CHECK(classify_address("203.0.113.10") == AddressClass::kOther);
  CHECK(classify_address("2001:db8::1") == AddressClass::kOther);
  CHECK(classify_address("not an address") == AddressClass::kInvalid);
  CHECK(classify_address("") == AddressClass::kInvalid);
  CHECK(is_public_address("203.0.113.10"));
  CHECK_FALSE(is_public_address("192.168.0.1"));
}

TEST_CASE("harvest filters") {
  HarvestFilter f;
  HostAddress eth0{"eth0", "203.0.113.10", false};
  HostAddress eth0v6{"eth0", "2001:db8::1", true};
  HostAddress link{"eth0", "fe80::1", true};
  HostAddress lo{"lo", "127.0.0.1", false};
  CHECK(harvest_allows(f, eth0));
  CHECK(harvest_allows(f, eth0v6));
  CHECK_FALSE(harvest_allows(f, link));
  CHECK_FALSE(harvest_allows(f, lo));
  HarvestFilter loopback_named;
  loopback_named.allowed_addresses = {"127.0.0.1"};
  CHECK(harvest_allows(loopback_named, lo));

  f.use_link_local_addresses = true;
  CHECK(harvest_allows(f, link));
  f.use_ipv6 = false;
  CHECK_FALSE(harvest_allows(f, eth0v6));

  HarvestFilter by_interface;
  by_interface.blocked_interfaces = {"eth0"};
  CHECK_FALSE(harvest_allows(by_interface, eth0));
  by_interface.allowed_interfaces = {"eth0"};  // allowed-interfaces makes blocked irrelevant
  CHECK(harvest_allows(by_interface, eth0));

  HarvestFilter by_address;
  by_address.allowed_addresses = {"203.0.113.11"};
  CHECK_FALSE(harvest_allows(by_address, eth0));
  by_address.allowed_addresses = {"203.0.113.10"};
  CHECK(harvest_allows(by_address, eth0));
  by_address.blocked_addresses = {"203.0.113.10"};
  CHECK_FALSE(harvest_allows(by_address, eth0));
}

TEST_CASE("enumeration finds at least the loopback address") {
  auto all = enumerate_host_addresses();
  bool loopback = false;
  for (const auto& a : all) loopback |= classify_address(a.address) == AddressClass::kLoopback;
  CHECK(loopback);
}

}  // namespace
}  // namespace jvb::ice
