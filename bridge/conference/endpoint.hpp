// One endpoint of a conference, the one record the conference layer keeps of it: what Colibri2
// signaled (JVB's Endpoint.kt keeps the same), and the parts the router and the forwarding
// controller hang on it for its media and its bridge channel. The conference manager owns the
// record; the router and the controller create their part when told of the endpoint and drop it
// when told it left, so an endpoint's state lives and dies in one place.
//
// Everything here belongs to the media worker that owns the endpoint's conference.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/time.hpp"
#include "bridge/signaling/colibri2.hpp"
#include "bridge/transport/media_port.hpp"

namespace jvb::conference {

// The parts, each defined in the one file that uses it.
struct EndpointRouting;     // router.cpp: streams, projections, feedback, the send cache
struct EndpointForwarding;  // forwarding_controller.cpp: allocation, the bridge channel, activity
struct EndpointPartDeleter {
  void operator()(EndpointRouting* part) const;
  void operator()(EndpointForwarding* part) const;
};

struct Endpoint {
  signaling::EndpointId id;
  transport::EndpointHandle handle = 0;  // its transport on the worker's media port
  std::string conference;                // the bridge's id of its conference
  Timestamp created{};

  // As signaled.
  std::optional<std::string> stats_id;
  std::optional<signaling::MucRole> muc_role;
  std::vector<signaling::Media> medias;
  std::vector<signaling::MediaSource> sources;
  signaling::ForceMute force_mute;
  std::optional<std::int32_t> initial_last_n;
  std::vector<std::string> capabilities;
  bool sctp = false;
  std::string ws_password;  // colibri-ws pwd: 24 random [A-Za-z0-9], stable for the endpoint's life

  bool has_capability(std::string_view capability) const {
    for (const auto& c : capabilities)
      if (c == capability) return true;
    return false;
  }

  std::unique_ptr<EndpointRouting, EndpointPartDeleter> routing;
  std::unique_ptr<EndpointForwarding, EndpointPartDeleter> forwarding;
};

}  // namespace jvb::conference
