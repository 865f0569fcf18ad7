// Answers one IQ addressed to the bridge the way JVB's XmppConnection.kt does: the health check
// (Jicofo's JvbDoctor), version (XEP-0092), Colibri2 conference-modify (Jicofo's Colibri2Session),
// the errors Jicofo reacts to, and an error for anything else.
// Independent of any XMPP connection: the connection code hands in the received <iq> and whether
// its sender may use the colibri interface, and sends back what comes out. Keeping it a pure
// function makes every rule testable against the vectors without a server.
//
// Rules, in order:
//   - type result / error / anything but get and set: no reply (answering would loop).
//   - <ping xmlns='urn:xmpp:ping'> get: empty result from anyone (XEP-0199 hygiene;
//     pings come from the server, and Smack answers them ahead of JVB's access check).
//   - sender not allowed (from is not a brewery occupant, as JVB checks): forbidden, type auth, no
//     colibri2 reason, whatever else the payload is.
//   - <conference-modify xmlns='jitsi:colibri2'> (get or set): parsed; a parse error is answered
//     with its bad-request; else the conference_modify service's result or Colibri2Error.
//   - <healthcheck xmlns='http://jitsi.org/protocol/healthcheck'> (get or set): empty result when
//     healthy, else internal-server-error with the report's message (vectors/xmpp/health.*).
//   - <query xmlns='jabber:iq:version'> get: name, version and os (XEP-0092).
//   - anything else (unknown payload, no payload, version set, a service left unset):
//     service-unavailable "Unsupported IQ request <element>" as JVB words it.
// The payload is the first child element; its namespace may be declared on it or inherited from
// the <iq>, prefixed or not.
//
// Errors never escape: an exception thrown by a service becomes internal-server-error with the
// exception's text, as JVB answers an unexpected internal error, and answer_iq itself catches
// everything (if even the error reply cannot be built, it returns nullptr).
//
// Thread-safety: answer_iq has no state of its own; it calls the services on the caller's thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <gloox/tag.h>

#include "bridge/core/result.hpp"
#include "bridge/signaling/colibri2.hpp"
#include "bridge/signaling/colibri2_error.hpp"

namespace jvb::xmpp {

inline constexpr const char* kNsHealthCheck = "http://jitsi.org/protocol/healthcheck";
inline constexpr const char* kNsVersion = "jabber:iq:version";
inline constexpr const char* kNsPing = "urn:xmpp:ping";

// The outcome of the bridge's cached health check (JVB answers Jicofo from a cached result).
struct HealthReport {
  bool healthy = true;
  std::string message;  // why it is unhealthy; sent as the error text
};

// What answer_iq needs from the rest of the bridge. A service left empty is treated as not
// offered: its requests get service-unavailable, as an unregistered IQ handler does in JVB.
struct BridgeIqServices {
  std::function<Result<signaling::ConferenceModified, signaling::Colibri2Error>(
      const signaling::ConferenceModify&)>
      conference_modify;
  std::function<HealthReport()> health;
  std::string software_name;     // jabber:iq:version <name>
  std::string software_version;  // <version>
  std::string os = "Linux";
};

// `iq` is a whole <iq> element as received (attributes type, from, id; one payload child).
// Returns the reply <iq> (to = the request's from, id echoed, type result or error, no xmlns
// attribute since it is written inside a jabber:client or component stream), or nullptr when
// none is due.
std::unique_ptr<gloox::Tag> answer_iq(const gloox::Tag& iq, bool sender_allowed,
                                      const BridgeIqServices& services) noexcept;

// The type='error' reply to `iq` carrying `error` (as jicoco's ErrorUtil builds it): to = the
// request's from, the same id, and the <error> child written by serialize_error. For connection
// code that must refuse an IQ before it reaches answer_iq (e.g. while shutting down). May throw
// std::bad_alloc only.
std::unique_ptr<gloox::Tag> error_reply(const gloox::Tag& iq, const signaling::Colibri2Error& error);

// The empty type='result' reply to `iq`. May throw std::bad_alloc only.
std::unique_ptr<gloox::Tag> result_reply(const gloox::Tag& iq);

}  // namespace jvb::xmpp
