// See local_candidates.hpp.
#include "ice/local_candidates.hpp"

#include <algorithm>

namespace jvb::ice {

std::vector<Candidate> local_candidates(const std::vector<HostAddress>& host_addresses,
                                        const LocalCandidateOptions& options) {
  std::vector<Candidate> out;
  std::vector<Candidate> reflexive;
  // Local preference orders candidates of one type: IPv4 before IPv6, then the order in
  // which interfaces were found, so the list is stable from run to run.
  std::uint16_t preference = 65535;
  int index = 0;
  for (const HostAddress& host : host_addresses) {
    if (!harvest_allows(options.filter, host)) continue;
    auto address = SocketAddress::parse(host.address, options.port);
    if (!address) continue;
    std::uint16_t local_pref = static_cast<std::uint16_t>(preference - (host.ipv6 ? 32768 : 0) - index);
    ++index;
    Candidate h;
    h.foundation = std::to_string(index);
    h.type = CandidateType::kHost;
    h.address = *address;
    h.priority = candidate_priority(CandidateType::kHost, local_pref, 1);
    bool private_address = classify_address(host.address) == AddressClass::kSiteLocal;
    if (!private_address || options.advertise_private_candidates) out.push_back(h);

    for (const NatMapping& m : options.mappings) {
      if (m.local_address != host.address) continue;
      if (m.local_port && *m.local_port != options.port) continue;
      auto public_address = SocketAddress::parse(m.public_address, m.public_port.value_or(options.port));
      if (!public_address || public_address->is_ipv6() != address->is_ipv6()) continue;
      Candidate r;
      r.foundation = std::to_string(100 + index);
      r.type = CandidateType::kServerReflexive;
      r.address = *public_address;
      r.related = *address;
      r.priority = candidate_priority(CandidateType::kServerReflexive, local_pref, 1);
      bool duplicate = std::any_of(reflexive.begin(), reflexive.end(),
                                   [&](const Candidate& c) { return c.address == r.address; });
      if (!duplicate) reflexive.push_back(r);
    }
  }
  out.insert(out.end(), reflexive.begin(), reflexive.end());
  return out;
}

}  // namespace jvb::ice
