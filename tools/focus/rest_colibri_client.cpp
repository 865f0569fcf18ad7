// See rest_colibri_client.hpp.
#include "tools/focus/rest_colibri_client.hpp"

#include <utility>

#include "bridge/signaling/colibri2_json.hpp"

namespace jvb::focus {

RestColibriClient::RestColibriClient(std::string base_url) : http_(std::move(base_url)) {}

void RestColibriClient::modify(const std::string& meeting_id, const signaling::ConferenceModify& request,
                               Callback done) {
  std::string path = request.create ? "colibri/v2/conferences" : "colibri/v2/conferences/" + meeting_id;
  http_.send(meeting_id, request.create ? "POST" : "PATCH", std::move(path),
             signaling::serialize_conference_modify_json(request),
             [done = std::move(done)](const BridgeReply& reply) { done(colibri_result_from_rest(reply)); });
}

ColibriResult colibri_result_from_rest(const BridgeReply& reply) {
  if (!reply.ok())
    return unexpected(ColibriFailure{reply.describe(), "", signaling::Colibri2ErrorReason::kNone});
  // An expire may be answered with an empty body; that is an empty conference-modified.
  if (reply.body.find_first_not_of(" \r\n\t") == std::string::npos) return signaling::ConferenceModified{};
  auto parsed = signaling::parse_conference_modified_json(reply.body);
  if (!parsed) {
    return unexpected(ColibriFailure{"the bridge's answer is not a conference-modified (" +
                                         parsed.error().text + "): " + reply.body.substr(0, 300),
                                     "", signaling::Colibri2ErrorReason::kNone});
  }
  return std::move(*parsed);
}

}  // namespace jvb::focus
