// Tests of bridge/doctor/address_checks.hpp: every finding about what the bridge advertises,
// from hand-built interface lists, configurations and STUN answers.
#include "bridge/doctor/address_checks.hpp"

#include <doctest/doctest.h>

#include "tests/unit/doctor/findings_util.hpp"

namespace jvb::doctor {
namespace {

using test::contains;
using test::fix_says;
using test::only;

const std::vector<ice::HostAddress> kBehindNat = {
    {"lo", "127.0.0.1", false}, {"eth0", "10.0.0.5", false}, {"eth0", "fe80::1", true}};
const std::vector<ice::HostAddress> kPublicHost = {{"lo", "127.0.0.1", false},
                                                   {"eth0", "198.51.100.20", false}};

config::BridgeConfig base_config() {
  config::BridgeConfig c;
  c.ice.udp_port = 10000;
  c.health.require_valid_address = true;
  c.harvest.aws_enabled = false;
  return c;
}

config::StaticMapping mapping(std::string local, std::string public_address) {
  config::StaticMapping m;
  m.local_address = std::move(local);
  m.public_address = std::move(public_address);
  return m;
}

StunAnswer answer(std::string local, std::optional<std::string> mapped, std::string error = {}) {
  return {"stun.example.org:3478", std::move(local), std::move(mapped), std::move(error)};
}

TEST_CASE("a machine with a public address advertises it: OK") {
  auto findings = check_addresses(kPublicHost, base_config(), {});
  const auto& f = only(findings, "advertised addresses");
  CHECK(f.severity == Severity::kOk);
  CHECK(f.what == "198.51.100.20:10000 (host)");
  CHECK(exit_status(findings) == 0);
}

TEST_CASE("nothing passes the harvest filters: FAIL, naming the filters and the addresses") {
  auto c = base_config();
  c.harvest.allowed_interfaces = {"eth9"};
  const auto& f = only(check_addresses(kBehindNat, c, {}), "advertised addresses");
  CHECK(f.severity == Severity::kFail);
  CHECK(contains(f.what, "nothing to advertise"));
  CHECK(fix_says(f, "allowed-interfaces"));
  CHECK(fix_says(f, "10.0.0.5 (eth0)"));
}

TEST_CASE("only private addresses and no STUN: FAIL with the static mapping to write") {
  const auto& f = only(check_addresses(kBehindNat, base_config(), {}), "advertised addresses");
  CHECK(f.severity == Severity::kFail);
  CHECK(contains(f.what, "only private addresses are advertised (10.0.0.5:10000 (host))"));
  CHECK(contains(f.what, "No valid IP addresses"));
  CHECK(fix_says(f,
                 "ice4j.harvest.mapping.static-mappings = [ { local-address = \"10.0.0.5\", public-address = "
                 "\"<public address>\" } ]"));
  CHECK(fix_says(f, "forward UDP 10000"));
  CHECK(fix_says(f, "ice4j.harvest.mapping.stun.addresses"));
}

TEST_CASE("only private addresses on a LAN-only bridge (require-valid-address off): WARN") {
  auto c = base_config();
  c.health.require_valid_address = false;
  const auto& f = only(check_addresses(kBehindNat, c, {}), "advertised addresses");
  CHECK(f.severity == Severity::kWarn);
  CHECK(fix_says(f, "every participant is on this network"));
}

TEST_CASE("behind a NAT that STUN reveals: FAIL with the exact mapping, and JVB's STUN harvester named") {
  auto c = base_config();
  c.harvest.stun_addresses = {"stun.example.org:3478"};
  auto findings = check_addresses(kBehindNat, c, {answer("10.0.0.5", "203.0.113.10")});
  const auto& f = only(findings, "advertised addresses");
  CHECK(f.severity == Severity::kFail);
  CHECK(contains(f.what, "sees 10.0.0.5 as 203.0.113.10"));
  CHECK(fix_says(f, "local-address = \"10.0.0.5\", public-address = \"203.0.113.10\""));
  CHECK(fix_says(f, "NAT_HARVESTER_LOCAL_ADDRESS"));
  CHECK(fix_says(f, "forward UDP 10000 on the NAT from 203.0.113.10 to 10.0.0.5:10000"));
  CHECK(fix_says(f, "this bridge does not"));
  const auto& stun = only(findings, "nat (stun)");
  CHECK(stun.severity == Severity::kOk);
  CHECK(stun.what == "stun.example.org:3478 sees 10.0.0.5 as 203.0.113.10");
}

TEST_CASE("a correct static mapping, confirmed by STUN: OK, and the srflx address is advertised") {
  auto c = base_config();
  c.harvest.static_mappings = {mapping("10.0.0.5", "203.0.113.10")};
  c.harvest.stun_addresses = {"stun.example.org:3478"};
  auto findings = check_addresses(kBehindNat, c, {answer("10.0.0.5", "203.0.113.10")});
  CHECK(exit_status(findings) == 0);
  CHECK(only(findings, "advertised addresses").what == "10.0.0.5:10000 (host), 203.0.113.10:10000 (srflx)");
  const auto& m = only(findings, "static-mappings[0]");
  CHECK(m.severity == Severity::kOk);
  CHECK(m.what == "10.0.0.5 is advertised as 203.0.113.10");
  CHECK(test::detail_says(m, "confirms"));
}

TEST_CASE("a mapping whose local address is not on this machine: FAIL, listing the real ones") {
  auto c = base_config();
  c.harvest.static_mappings = {mapping("10.9.9.9", "203.0.113.10")};
  c.harvest.static_mappings[0].name = "ip-0";
  auto findings = check_addresses(kBehindNat, c, {});
  const auto& f = only(findings, "static-mappings[0] (ip-0)");
  CHECK(f.severity == Severity::kFail);
  CHECK(contains(f.what, "local-address 10.9.9.9 is not an address of this machine"));
  CHECK(fix_says(f, "ice4j.harvest.mapping.static-mappings[0].local-address"));
  CHECK(fix_says(f, "10.0.0.5 (eth0)"));
  CHECK_FALSE(fix_says(f, "127.0.0.1"));
  // Nothing public is advertised either.
  CHECK(only(findings, "advertised addresses").severity == Severity::kFail);
}

TEST_CASE("a mapping whose local address the harvest filters exclude: FAIL") {
  auto c = base_config();
  c.harvest.static_mappings = {mapping("10.0.0.5", "203.0.113.10")};
  c.harvest.blocked_addresses = {"10.0.0.5"};
  const auto& f = only(check_addresses(kBehindNat, c, {}), "static-mappings[0]");
  CHECK(f.severity == Severity::kFail);
  CHECK(contains(f.what, "excluded by the harvest filters"));
  CHECK(fix_says(f, "blocked-addresses"));
}

TEST_CASE("a private address advertised as the public one: FAIL, with STUN's address when known") {
  auto c = base_config();
  c.harvest.static_mappings = {mapping("10.0.0.5", "192.168.1.5")};
  auto findings = check_addresses(kBehindNat, c, {});
  const auto& f = only(findings, "static-mappings[0]");
  CHECK(f.severity == Severity::kFail);
  CHECK(contains(f.what, "public-address 192.168.1.5 is a private address (RFC 1918)"));
  CHECK(fix_says(f, "static-mappings[0].public-address to the address the internet sees"));

  c.harvest.stun_addresses = {"stun.example.org:3478"};
  const auto& g =
      only(check_addresses(kBehindNat, c, {answer("10.0.0.5", "203.0.113.10")}), "static-mappings[0]");
  CHECK(g.severity == Severity::kFail);
  CHECK(fix_says(g, "public-address = \"203.0.113.10\""));
}

TEST_CASE("a carrier-grade NAT address as the public one: FAIL") {
  auto c = base_config();
  c.harvest.static_mappings = {mapping("10.0.0.5", "100.64.3.4")};
  const auto& f = only(check_addresses(kBehindNat, c, {}), "static-mappings[0]");
  CHECK(f.severity == Severity::kFail);
  CHECK(contains(f.what, "carrier-grade NAT"));
}

TEST_CASE("STUN sees another public address than the mapping's: FAIL") {
  auto c = base_config();
  c.harvest.static_mappings = {mapping("10.0.0.5", "203.0.113.10")};
  c.harvest.stun_addresses = {"stun.example.org:3478"};
  const auto& f =
      only(check_addresses(kBehindNat, c, {answer("10.0.0.5", "203.0.113.77")}), "static-mappings[0]");
  CHECK(f.severity == Severity::kFail);
  CHECK(contains(f.what, "sees 10.0.0.5 as 203.0.113.77"));
  CHECK(fix_says(f, "public-address = \"203.0.113.77\""));
}

TEST_CASE("a mapping to itself: WARN") {
  auto hosts = kPublicHost;
  auto c = base_config();
  c.harvest.static_mappings = {mapping("198.51.100.20", "198.51.100.20")};
  const auto& f = only(check_addresses(hosts, c, {}), "static-mappings[0]");
  CHECK(f.severity == Severity::kWarn);
  CHECK(contains(f.what, "to itself"));
}

TEST_CASE("a mapping on another port than the media port: FAIL") {
  auto c = base_config();
  c.harvest.static_mappings = {mapping("10.0.0.5", "203.0.113.10")};
  c.harvest.static_mappings[0].local_port = 10001;
  c.harvest.static_mappings[0].public_port = 443;
  const auto& f = only(check_addresses(kBehindNat, c, {}), "static-mappings[0]");
  CHECK(f.severity == Severity::kFail);
  CHECK(contains(f.what, "local-port 10001 is not the media port 10000"));
  CHECK(fix_says(f, "local-port = 10000"));
}

TEST_CASE("mappings that are not addresses or mix families: FAIL") {
  auto c = base_config();
  c.harvest.static_mappings = {mapping("eth0", "203.0.113.10"), mapping("10.0.0.5", "meet.example.org"),
                               mapping("10.0.0.5", "2001:db8::1")};
  auto findings = check_addresses(kBehindNat, c, {});
  CHECK(contains(only(findings, "static-mappings[0]").what, "local-address 'eth0' is not an IP address"));
  CHECK(
      contains(only(findings, "static-mappings[1]").what, "public-address 'meet.example.org' is not an IP"));
  CHECK(contains(only(findings, "static-mappings[2]").what, "other IP family"));
  CHECK(exit_status(findings) == 1);
}

TEST_CASE("no STUN server answered: WARN with the reasons") {
  auto c = base_config();
  c.harvest.stun_addresses = {"stun.example.org:3478"};
  auto findings =
      check_addresses(kBehindNat, c, {answer("10.0.0.5", std::nullopt, "no answer within 1500 ms")});
  const auto& f = only(findings, "nat (stun)");
  CHECK(f.severity == Severity::kWarn);
  CHECK(test::detail_says(f, "stun.example.org:3478 from 10.0.0.5: no answer within 1500 ms"));
  CHECK(fix_says(f, "allow outgoing UDP"));
}

TEST_CASE("aws.force set: WARN, the bridge does not ask EC2") {
  auto c = base_config();
  c.harvest.aws_force = true;
  const auto& f = only(check_addresses(kPublicHost, c, {}), "nat (aws)");
  CHECK(f.severity == Severity::kWarn);
}

TEST_CASE("why_not_public") {
  CHECK(why_not_public("10.1.2.3") == "a private address (RFC 1918)");
  CHECK(why_not_public("172.16.0.1").has_value());
  CHECK(why_not_public("192.168.0.1").has_value());
  CHECK(why_not_public("127.0.0.1") == "a loopback address");
  CHECK(why_not_public("169.254.1.1") == "a link-local address");
  CHECK(why_not_public("100.64.0.1").has_value());
  CHECK(why_not_public("100.128.0.1") == std::nullopt);
  CHECK(why_not_public("0.0.0.0").has_value());
  CHECK(why_not_public("224.0.0.1") == "a multicast address");
  CHECK(why_not_public("fd00::1") == "a unique local address (fc00::/7, RFC 4193)");
  CHECK(why_not_public("fe80::1").has_value());
  CHECK(why_not_public("::").has_value());
  CHECK(why_not_public("ff02::1").has_value());
  CHECK(why_not_public("not an address") == "not an IP address");
  CHECK(why_not_public("8.8.8.8") == std::nullopt);
  CHECK(why_not_public("203.0.113.10") == std::nullopt);
  CHECK(why_not_public("2001:db8::1") == std::nullopt);
}

TEST_CASE("STUN is asked about the private IPv4 addresses ICE may use") {
  std::vector<ice::HostAddress> hosts = {{"lo", "127.0.0.1", false},       {"eth0", "10.0.0.5", false},
                                         {"eth0", "198.51.100.20", false}, {"eth1", "192.168.1.2", false},
                                         {"eth0", "fd00::5", true},        {"eth0", "10.0.0.5", false}};
  auto c = base_config();
  CHECK(stun_query_addresses(hosts, c) == std::vector<std::string>{"10.0.0.5", "192.168.1.2"});
  c.harvest.blocked_interfaces = {"eth1"};
  CHECK(stun_query_addresses(hosts, c) == std::vector<std::string>{"10.0.0.5"});
}

}  // namespace
}  // namespace jvb::doctor
