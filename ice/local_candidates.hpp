// The candidates the bridge advertises for the shared media port (ice4j's HarvestConfig.kt):
// one host candidate per harvested local address, and for every static mapping
// (ice4j.harvest.mapping.static-mappings, the legacy NAT_HARVESTER pair, docker's
// JVB_ADVERTISE_IPS) whose local side matches a host candidate, a server-reflexive candidate
// with the public address, related to that host candidate. Priorities per RFC 8445 §5.1.2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ice/candidate.hpp"
#include "ice/host_addresses.hpp"

namespace jvb::ice {

struct NatMapping {
  std::string local_address;
  std::string public_address;
  std::optional<std::uint16_t> local_port;  // both ports or neither
  std::optional<std::uint16_t> public_port;
};

struct LocalCandidateOptions {
  std::uint16_t port = 10000;
  HarvestFilter filter;
  std::vector<NatMapping> mappings;
  // When false, host candidates on site-local addresses are not offered (their mapped
  // public candidates still are): ice.advertise-private-candidates.
  bool advertise_private_candidates = true;
};

std::vector<Candidate> local_candidates(const std::vector<HostAddress>& host_addresses,
                                        const LocalCandidateOptions& options);

}  // namespace jvb::ice
