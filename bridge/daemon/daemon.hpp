// The running bridge process: the control thread's GLib main loop, the private HTTP server,
// the health checker, and a clean stop on SIGINT, SIGTERM or SIGHUP, or at the end of a shutdown
// requested over HTTP (POST /colibri/shutdown, JVB's Shutdown.java).
#pragma once

#include "config/bridge_config.hpp"

namespace jvb::daemon {

// Runs until a stop signal or the end of a requested shutdown; returns the process exit status
// (0 after a clean stop, 1 when start-up failed, e.g. the HTTP port is taken).
int run(const config::BridgeConfig& config);

}  // namespace jvb::daemon
