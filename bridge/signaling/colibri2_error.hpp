// The typed error of a rejected Colibri2 request (as JVB's Colibri2ConferenceHandler raises it),
// and how each signaling plugin renders it: the XMPP stanza error (condition, type, text, optional
// jitsi:colibri2 <error reason>) and the HTTP status of JVB's private REST API (Conferences.java).
//
// Decoders and the conference layer return a Colibri2Error instead of throwing; plugins only
// translate it. Jicofo reacts to the exact condition and reason (ColibriV2SessionManager and
// Colibri2Session), so the factories below carry the combinations JVB uses and plugins must not
// invent others.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bridge/signaling/colibri2.hpp"

namespace jvb::signaling {

// RFC 6120 §8.3.3 defined conditions that the bridge uses.
enum class StanzaErrorCondition {
  kBadRequest,
  kConflict,
  kFeatureNotImplemented,
  kForbidden,
  kInternalServerError,
  kItemNotFound,
  kNotAcceptable,
  kNotAllowed,
  kServiceUnavailable,
  kUnexpectedRequest,
};

// RFC 6120 §8.3.2 error types.
enum class StanzaErrorType { kAuth, kCancel, kContinue, kModify, kWait };

// The reason attribute of <error xmlns='jitsi:colibri2'>. kNone = no colibri2 extension at all,
// which Jicofo treats differently from kUnspecified (as an error not from a bridge).
enum class Colibri2ErrorReason {
  kNone,
  kConferenceNotFound,
  kConferenceAlreadyExists,
  kFeatureNotImplemented,
  kGracefulShutdown,
  kUnknownEndpoint,
  kUnspecified,
};

// Where a REST request failed; JVB's REST handler words each stage differently. The XMPP
// plugin ignores it.
enum class Colibri2ErrorStage {
  kJsonSyntax,  // the body is not a JSON object
  kDecode,      // valid JSON that is not a valid conference-modify
  kProcessing,  // the conference layer rejected the request
};

struct Colibri2Error {
  StanzaErrorCondition condition = StanzaErrorCondition::kBadRequest;
  Colibri2ErrorReason reason = Colibri2ErrorReason::kNone;
  std::string text;
  // Only for unknown_endpoint: the <endpoint id> that Jicofo uses to re-invite just that
  // participant.
  std::optional<EndpointId> endpoint;
  Colibri2ErrorStage stage = Colibri2ErrorStage::kProcessing;

  bool operator==(const Colibri2Error&) const = default;

  // The combinations JVB uses (texts as JVB writes them).
  static Colibri2Error bad_request(std::string text);
  static Colibri2Error conference_not_found(const MeetingId& id);
  static Colibri2Error conference_already_exists(const MeetingId& id);
  static Colibri2Error graceful_shutdown();
  static Colibri2Error unknown_endpoint(const EndpointId& id);
  static Colibri2Error endpoint_already_exists(const EndpointId& id);
  static Colibri2Error relay_already_exists(const RelayId& id);
  static Colibri2Error unknown_relay(const RelayId& id);  // bad-request, deliberately (as JVB)
  // Unsupported request shape (endpoints and relays mixed, several relays, or several endpoints
  // with more than expire/force-mute): carries reason feature_not_implemented.
  static Colibri2Error unsupported_request(std::string text);
  // A feature this bridge has turned off (SCTP, relays, ...): no colibri2 reason.
  static Colibri2Error feature_not_implemented(std::string text);
  static Colibri2Error invalid_conference_name();
  static Colibri2Error internal_error(std::string text);
};

// "bad-request", "item-not-found", ...
std::string_view to_string(StanzaErrorCondition condition);
std::optional<StanzaErrorCondition> parse_stanza_error_condition(std::string_view text);
// "cancel", "modify", ...
std::string_view to_string(StanzaErrorType type);
// "conference_not_found", ...; "" for kNone.
std::string_view to_string(Colibri2ErrorReason reason);
// Accepts any case; nullopt for unknown values (kNone is never returned).
std::optional<Colibri2ErrorReason> parse_colibri2_error_reason(std::string_view text);

// The error type Smack gives each condition by default, which is what JVB sends.
StanzaErrorType default_error_type(StanzaErrorCondition condition);

// ---- REST (JVB's rest/root/colibri/v2/conferences/Conferences.java) ----

enum class RestMethod { kPost, kPatch };

// What the REST plugin answers for a failed request. JVB puts `text` in the HTTP reason phrase
// (Jersey's Response.status(code, reason)) with an empty body; we also send it as a text/plain
// body so that clients which ignore reason phrases can see it.
struct RestErrorResponse {
  int status = 400;
  std::string text;
  bool operator==(const RestErrorResponse&) const = default;
};

// Maps a decoding or processing error of POST /colibri/v2/conferences or
// PATCH /colibri/v2/conferences/{meetingId} to JVB's answer:
//   kJsonSyntax  POST -> 400 "Failed to create conference, could not parse JSON: <text>";
//                PATCH -> 400 with no text
//   kDecode      400 "Failed to parse ConferenceModify JSON:<text>" (JVB writes no space)
//   kProcessing  400 "Failed to create conference: <text>" (also for PATCH: JVB shares the code)
RestErrorResponse rest_error_response(const Colibri2Error& error, RestMethod method);

// PATCH for a meeting-id that has no conference: checked before the body is parsed.
RestErrorResponse rest_conference_not_found();
// GET /colibri/v2/conferences[/{id}]: JVB answers 501 (for an unknown {id}: 404 first).
RestErrorResponse rest_not_implemented();

}  // namespace jvb::signaling
