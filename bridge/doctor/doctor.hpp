// `videobridge doctor`: checks this machine the way an admin needs it checked before (or while)
// the bridge runs, with the configuration the daemon would use (the same launch options, the
// JVB `config` environment file, jvb.conf, sip-communicator.properties), and prints one line per
// check, OK, WARN or FAIL, with what is wrong and how to fix it:
//   - the advertised addresses against the interfaces, the static NAT mappings and what STUN
//     servers see (address_checks.hpp);
//   - the media port free and receiving through every advertised address, or held by a running
//     bridge that reports healthy; the HTTP servers' ports (port_checks.hpp);
//   - Prosody reachable, the credentials accepted, the brewery joined (xmpp_checks.hpp);
//   - the kernel's UDP receive limits and the clock's synchronization (system_checks.hpp).
//
// It changes nothing: every socket it opens is closed when its probe ends, and in the brewery it
// stays only as long as it takes to see who is there.
#pragma once

#include <cstdio>

#include "config/launch.hpp"

namespace jvb::doctor {

// Runs every check, prints the findings and a summary to `out`, and returns the exit status: 0
// when nothing failed (warnings allowed), 1 otherwise.
int run(const config::LaunchOptions& launch, std::FILE* out);

}  // namespace jvb::doctor
