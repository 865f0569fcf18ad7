// The doctor's checks of the bridge's ports: the media port (UDP, videobridge.ice.udp.port) free
// and receiving, as a STUN Binding round trip through every advertised address shows (RFC 5389;
// "works with two people, breaks at three" is a media port nobody outside can reach, because
// two people fall back to peer-to-peer), or held by a running bridge that answers healthy; and
// the HTTP servers' TCP ports (videobridge.http-servers.*) free or served by the bridge.
//
// Sans-IO: the probes' results and the configuration in, findings out.
#pragma once

#include <vector>

#include "bridge/doctor/finding.hpp"
#include "bridge/doctor/probe_results.hpp"
#include "config/bridge_config.hpp"

namespace jvb::doctor {

// Running: the media port is taken by this bridge (or JVB), or by something whose private HTTP
// server answers /about/health. Unknown: taken, by something the doctor cannot name.
BridgeState bridge_state(const MediaPortProbe& probe);

std::vector<Finding> check_media_port(const MediaPortProbe& probe);

// `server` is the configuration of the probed server; `started` whether the bridge starts it
// at all (the public server serves only colibri-ws, so it runs only with websockets enabled).
std::vector<Finding> check_http_server(const HttpServerProbe& probe, const config::HttpServerConfig& server,
                                       bool started, BridgeState bridge);

}  // namespace jvb::doctor
