// The REST signaling plugin: Colibri2 as JSON on the private HTTP server, JVB's
// /colibri/v2/conferences API (rest/root/colibri/v2/conferences/Conferences.java, part of the
// COLIBRI API of JVB's RestConfig.kt), enabled by videobridge.apis.rest.enabled. It only
// translates: requests go to the same handler the XMPP plugin uses, answers and typed errors come
// back as JSON or HTTP statuses.
#pragma once

#include <functional>

#include "bridge/core/result.hpp"
#include "bridge/http/http_server.hpp"
#include "bridge/signaling/colibri2.hpp"
#include "bridge/signaling/colibri2_error.hpp"

namespace jvb::http {

struct Colibri2Api {
  // Applies one request; called on the control thread, strictly in arrival order.
  std::function<Result<signaling::ConferenceModified, signaling::Colibri2Error>(
      const signaling::ConferenceModify&)>
      handle;
  // Whether a conference with this meeting-id exists (PATCH answers 404 before parsing).
  std::function<bool(const signaling::MeetingId&)> exists;
};

void add_colibri2_routes(HttpServer& server, Colibri2Api api);

}  // namespace jvb::http
