// Colibri2 requests as Jicofo shapes them, for the tests of the conference manager and the
// media workers: an endpoint with source names and an ICE transport the bridge controls.
#pragma once

#include <string>
#include <utility>

#include "bridge/signaling/colibri2.hpp"

namespace jvb::test {

inline signaling::Endpoint new_endpoint(const std::string& id) {
  signaling::Endpoint e;
  e.id = signaling::EndpointId(id);
  e.create = true;
  e.capabilities = {std::string(signaling::kCapabilitySourceNames)};
  e.transport = signaling::Transport{};
  e.transport->ice_controlling = true;
  return e;
}

// Creates `meeting` with one endpoint.
inline signaling::ConferenceModify create_conference(const std::string& meeting,
                                                     const std::string& endpoint) {
  signaling::ConferenceModify r;
  r.meeting_id = signaling::MeetingId(meeting);
  r.name = "room@conference.example.org";
  r.create = true;
  r.endpoints.push_back(new_endpoint(endpoint));
  return r;
}

}  // namespace jvb::test
