// ColibriClient over the bridge's private REST API (JVB's /colibri/v2/conferences): a create is
// POST /colibri/v2/conferences, everything else PATCH /colibri/v2/conferences/{meeting-id}, the
// bodies in the JSON form of bridge/signaling/colibri2_json.hpp. Ordering per conference and the
// timeout come from BridgeClient's queues.
//
// Control thread only; see colibri_client.hpp for the callback contract.
#pragma once

#include <string>

#include "tools/focus/bridge_client.hpp"
#include "tools/focus/colibri_client.hpp"

namespace jvb::focus {

class RestColibriClient : public ColibriClient {
 public:
  // `base_url`: the bridge's private HTTP server, e.g. "http://127.0.0.1:8080/".
  explicit RestColibriClient(std::string base_url);

  void modify(const std::string& meeting_id, const signaling::ConferenceModify& request,
              Callback done) override;
  std::string describe() const override { return http_.base_url(); }

 private:
  BridgeClient http_;
};

// The outcome of one REST exchange as a ColibriResult; public for the unit tests.
ColibriResult colibri_result_from_rest(const BridgeReply& reply);

}  // namespace jvb::focus
