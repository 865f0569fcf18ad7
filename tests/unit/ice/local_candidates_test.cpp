// The bridge's advertised candidates: host addresses through the harvest filters, and
// server-reflexive candidates from NAT mappings.
#include "ice/local_candidates.hpp"

#include <doctest/doctest.h>

namespace jvb::ice {
namespace {

const std::vector<HostAddress> kHost = {
    {"lo", "127.0.0.1", false}, {"eth0", "10.0.0.5", false},     {"eth0", "2001:db8::5", true},
    {"eth0", "fe80::5", true},  {"eth1", "198.51.100.7", false},
};

TEST_CASE("host candidates follow the harvest filters; loopback only when allowed by name") {
  LocalCandidateOptions o;
  auto c = local_candidates(kHost, o);
  REQUIRE(c.size() == 3);
  CHECK(c[0].address.to_string() == "10.0.0.5:10000");
  CHECK(c[1].address.to_string() == "[2001:db8::5]:10000");
  CHECK(c[2].address.to_string() == "198.51.100.7:10000");
  for (const auto& x : c) CHECK(x.type == CandidateType::kHost);
  CHECK(c[0].priority > c[1].priority);  // IPv4 before IPv6
  CHECK(c[2].priority > c[1].priority);

  o.filter.allowed_addresses = {"127.0.0.1"};
  o.port = 40000;
  auto lo = local_candidates(kHost, o);
  REQUIRE(lo.size() == 1);
  CHECK(lo[0].to_sdp().find("127.0.0.1 40000 typ host") != std::string::npos);
}

TEST_CASE("NAT mappings add server-reflexive candidates related to their host candidate") {
  LocalCandidateOptions o;
  o.mappings = {{"10.0.0.5", "203.0.113.10", std::nullopt, std::nullopt},
                {"10.0.0.5", "203.0.113.11", 10000, 30000},
                {"10.0.0.5", "203.0.113.12", 20000, 30000},  // another local port: not ours
                {"10.9.9.9", "203.0.113.13", std::nullopt, std::nullopt}};
  auto c = local_candidates(kHost, o);
  std::vector<std::string> srflx;
  for (const auto& x : c) {
    if (x.type == CandidateType::kServerReflexive) {
      srflx.push_back(x.address.to_string());
      REQUIRE(x.related);
      CHECK(x.related->to_string() == "10.0.0.5:10000");
      CHECK(x.to_sdp().find("raddr 10.0.0.5 rport 10000") != std::string::npos);
    }
  }
  CHECK(srflx == std::vector<std::string>{"203.0.113.10:10000", "203.0.113.11:30000"});
}

TEST_CASE("advertise-private-candidates = false hides private host candidates, not their mappings") {
  LocalCandidateOptions o;
  o.advertise_private_candidates = false;
  o.mappings = {{"10.0.0.5", "203.0.113.10", std::nullopt, std::nullopt}};
  auto c = local_candidates(kHost, o);
  for (const auto& x : c) CHECK(x.address.ip() != "10.0.0.5");
  bool mapped = false;
  for (const auto& x : c) mapped |= x.address.ip() == "203.0.113.10";
  CHECK(mapped);
}

}  // namespace
}  // namespace jvb::ice
