// ColibriClient over XMPP, as Jicofo talks to bridges (its BridgeMucDetector and Colibri2Session):
// the focus logs in as a client (e.g. focus@auth.meet.test), joins the brewery MUC with nick
// `focus`, learns the bridges from the occupants' <stats/> presences, and sends each Colibri2
// request as an IQ of type get to the chosen bridge's occupant JID; Prosody relays it and the
// answer between occupants. The bookkeeping (bridge choice, order, timeouts) is
// ColibriRequestQueue's; this class is the gloox shell around it: stream (through
// xmpp::XmppSession), presences, IQ matching by id, one GLib timer for the queue's deadlines.
//
// The join is a hand-built presence rather than gloox's MUCRoom, which would hide the other
// occupants' <stats/> children behind its own participant callbacks.
//
// Control thread only; see colibri_client.hpp for the callback contract.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gloox/iqhandler.h>
#include <gloox/presencehandler.h>
#include <gloox/tag.h>

#include "tools/focus/colibri_client.hpp"
#include "tools/focus/colibri_request_queue.hpp"

namespace jvb::xmpp {
class XmppSession;
}

namespace jvb::focus {

struct XmppColibriOptions {
  std::string host = "127.0.0.1";  // explicit: no SRV lookup
  int port = 5222;
  std::string domain;  // login domain, e.g. auth.meet.test
  std::string user = "focus";
  std::string password;
  std::string brewery;  // e.g. jvbbrewery@internal.auth.meet.test
  std::string nick = "focus";
  bool disable_certificate_verification = false;
  // Jicofo's IQ reply timeout; counted from modify(), so it also bounds the wait while the
  // stream is down.
  std::chrono::milliseconds request_timeout{15'000};
};

// The <error/> child of an IQ (or presence) error as a failure: the RFC 6120 condition,
// the <text>, and the jitsi:colibri2 <error reason> (an unknown reason counts as unspecified).
// Tolerant: missing pieces stay empty, unknown children are ignored.
ColibriFailure parse_stanza_error(const gloox::Tag& error);

class XmppColibriClient : public ColibriClient, gloox::PresenceHandler, gloox::IqHandler {
 public:
  explicit XmppColibriClient(XmppColibriOptions options);
  ~XmppColibriClient() override;
  XmppColibriClient(const XmppColibriClient&) = delete;
  XmppColibriClient& operator=(const XmppColibriClient&) = delete;

  // Connects, and keeps connected and in the brewery, until destroyed.
  void start();

  void modify(const std::string& meeting_id, const signaling::ConferenceModify& request,
              Callback done) override;
  std::string describe() const override;

 private:
  void on_online();
  void on_offline(const std::string& reason);
  void join_brewery();
  // Sends what the queue wants sent, re-arms the deadline timer, and schedules completions.
  void flush();
  void run_completions();

  // gloox::PresenceHandler
  void handlePresence(const gloox::Presence& presence) override;
  // gloox::IqHandler: answers to our IQs only (no IQ extension is registered for requests).
  bool handleIq(const gloox::IQ&) override { return false; }
  void handleIqID(const gloox::IQ& iq, int context) override;

  XmppColibriOptions options_;
  std::string brewery_;  // normalized room JID
  std::string nick_;     // changes when `focus` is taken in the room
  ColibriRequestQueue queue_;
  std::unique_ptr<xmpp::XmppSession> session_;
  std::vector<ColibriRequestQueue::Completion> completions_;
  unsigned deadline_timer_ = 0;
  unsigned completion_idle_ = 0;
};

}  // namespace jvb::focus
