// The bridge's version, stamped at build time from the project version and the git commit
// (e.g. "0.1.0-g1a2b3c4"). One stable string per build: Jicofo compares it across bridges.
#pragma once

#include <string_view>

namespace jvb {

std::string_view bridge_version();

}  // namespace jvb
