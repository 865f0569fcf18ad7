// The doctor's checks of what the bridge advertises to clients (ICE candidates on the media
// port): the static NAT mappings (ice4j.harvest.mapping.static-mappings and the legacy
// NAT_HARVESTER_* pair) against this machine's interfaces and against what the configured STUN
// servers see (RFC 5389 Binding), and whether anything reachable from the internet is advertised
// at all. The most common self-hosting failure is here: a NAT with no public address
// configured, or a private address configured as the public one.
//
// Sans-IO: the interface list, the configuration and the STUN answers in, findings out.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/doctor/finding.hpp"
#include "bridge/doctor/probe_results.hpp"
#include "config/bridge_config.hpp"
#include "ice/host_addresses.hpp"
#include "ice/local_candidates.hpp"

namespace jvb::doctor {

// ICE's candidate options from the configuration, as the daemon builds them, so the doctor
// checks exactly the candidates the bridge advertises.
ice::LocalCandidateOptions candidate_options(const config::BridgeConfig& config);

// Why clients on the internet cannot reach `ip` ("a private address (RFC 1918)"), or nullopt
// when nothing about the address itself says so. Stricter than the health check's
// ice::is_public_address: shared address space (RFC 6598, carrier-grade NAT), unique local
// IPv6 (RFC 4193), unspecified and multicast addresses are not reachable either.
std::optional<std::string> why_not_public(std::string_view ip);

// The local addresses worth asking a STUN server about: the IPv4 addresses ICE may use that are
// not public themselves (a NAT can only be in front of those).
std::vector<std::string> stun_query_addresses(const std::vector<ice::HostAddress>& host_addresses,
                                              const config::BridgeConfig& config);

std::vector<Finding> check_addresses(const std::vector<ice::HostAddress>& host_addresses,
                                     const config::BridgeConfig& config, const std::vector<StunAnswer>& stun);

}  // namespace jvb::doctor
