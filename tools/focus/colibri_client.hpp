// The focus's view of the bridge: one call to send a Colibri2 conference-modify and get its
// conference-modified back (as Jicofo's Colibri2Session sends them). Two transports implement it:
// REST to the bridge's private HTTP server (rest_colibri_client.hpp, JVB's /colibri/v2/conferences)
// and XMPP IQs through the brewery MUC as Jicofo sends them (xmpp_colibri_client.hpp). FocusServer
// only sees this interface, so the browser side behaves the same whichever transport is in use.
//
// Contract shared by both implementations:
//   - requests of one meeting id are applied in the order they were made (as the bridge requires);
//   - every request is answered exactly once, from the GLib main loop, never from inside modify(),
//     so a callback may call modify() again;
//   - no request waits forever: each transport bounds the wait and fails with a timeout.
// Control thread only (the thread-default GLib main context).
#pragma once

#include <functional>
#include <string>

#include "bridge/core/result.hpp"
#include "bridge/signaling/colibri2.hpp"
#include "bridge/signaling/colibri2_error.hpp"

namespace jvb::focus {

// Why a request failed, for logs and the page.
struct ColibriFailure {
  std::string text;  // readable, names the cause (bridge error text, timeout, no bridge, ...)
  // The stanza error condition when the bridge (or the XMPP server) answered with an error,
  // e.g. "item-not-found"; empty for timeouts, transport failures and HTTP errors.
  std::string condition;
  // The jitsi:colibri2 <error reason>; kNone when absent (then the error did not come from a
  // bridge: Jicofo tells bridge errors by this extension) or when the transport has no such thing
  // (REST).
  signaling::Colibri2ErrorReason reason = signaling::Colibri2ErrorReason::kNone;
};

using ColibriResult = Result<signaling::ConferenceModified, ColibriFailure>;

class ColibriClient {
 public:
  using Callback = std::function<void(const ColibriResult&)>;

  virtual ~ColibriClient() = default;

  // Sends `request` for the conference `meeting_id` (which equals request.meeting_id for a
  // create); `done` runs once with the bridge's answer or the failure.
  virtual void modify(const std::string& meeting_id, const signaling::ConferenceModify& request,
                      Callback done) = 0;

  // Where conferences go, for the log line at startup, e.g. "http://127.0.0.1:8080/".
  virtual std::string describe() const = 0;
};

}  // namespace jvb::focus
