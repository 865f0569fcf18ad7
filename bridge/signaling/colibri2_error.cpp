// Colibri2 errors: the combinations JVB uses, their wire names, and the REST mapping (as
// JVB's Conferences.java answers).
#include "bridge/signaling/colibri2_error.hpp"

#include "bridge/core/strings.hpp"

#include <array>
#include <utility>

namespace jvb::signaling {
namespace {

Colibri2Error make(StanzaErrorCondition condition, Colibri2ErrorReason reason, std::string text) {
  Colibri2Error e;
  e.condition = condition;
  e.reason = reason;
  e.text = std::move(text);
  return e;
}

constexpr std::array<std::pair<std::string_view, StanzaErrorCondition>, 10> kConditions{{
    {"bad-request", StanzaErrorCondition::kBadRequest},
    {"conflict", StanzaErrorCondition::kConflict},
    {"feature-not-implemented", StanzaErrorCondition::kFeatureNotImplemented},
    {"forbidden", StanzaErrorCondition::kForbidden},
    {"internal-server-error", StanzaErrorCondition::kInternalServerError},
    {"item-not-found", StanzaErrorCondition::kItemNotFound},
    {"not-acceptable", StanzaErrorCondition::kNotAcceptable},
    {"not-allowed", StanzaErrorCondition::kNotAllowed},
    {"service-unavailable", StanzaErrorCondition::kServiceUnavailable},
    {"unexpected-request", StanzaErrorCondition::kUnexpectedRequest},
}};

constexpr std::array<std::pair<std::string_view, Colibri2ErrorReason>, 6> kReasons{{
    {"conference_not_found", Colibri2ErrorReason::kConferenceNotFound},
    {"conference_already_exists", Colibri2ErrorReason::kConferenceAlreadyExists},
    {"feature_not_implemented", Colibri2ErrorReason::kFeatureNotImplemented},
    {"graceful_shutdown", Colibri2ErrorReason::kGracefulShutdown},
    {"unknown_endpoint", Colibri2ErrorReason::kUnknownEndpoint},
    {"unspecified", Colibri2ErrorReason::kUnspecified},
}};

}  // namespace

Colibri2Error Colibri2Error::bad_request(std::string text) {
  return make(StanzaErrorCondition::kBadRequest, Colibri2ErrorReason::kNone, std::move(text));
}

Colibri2Error Colibri2Error::conference_not_found(const MeetingId& id) {
  return make(StanzaErrorCondition::kItemNotFound, Colibri2ErrorReason::kConferenceNotFound,
              "Conference not found for ID: " + id.str());
}

Colibri2Error Colibri2Error::conference_already_exists(const MeetingId& id) {
  return make(StanzaErrorCondition::kConflict, Colibri2ErrorReason::kConferenceAlreadyExists,
              "Conference already exists for ID: " + id.str());
}

Colibri2Error Colibri2Error::graceful_shutdown() {
  return make(StanzaErrorCondition::kServiceUnavailable, Colibri2ErrorReason::kGracefulShutdown,
              "In graceful shutdown");
}

Colibri2Error Colibri2Error::unknown_endpoint(const EndpointId& id) {
  Colibri2Error e = make(StanzaErrorCondition::kItemNotFound, Colibri2ErrorReason::kUnknownEndpoint,
                         "Endpoint not found for ID: " + id.str());
  e.endpoint = id;
  return e;
}

Colibri2Error Colibri2Error::endpoint_already_exists(const EndpointId& id) {
  return make(StanzaErrorCondition::kConflict, Colibri2ErrorReason::kNone,
              "Endpoint with ID " + id.str() + " already exists");
}

Colibri2Error Colibri2Error::relay_already_exists(const RelayId& id) {
  return make(StanzaErrorCondition::kConflict, Colibri2ErrorReason::kNone,
              "Relay with ID " + id.str() + " already exists");
}

Colibri2Error Colibri2Error::unknown_relay(const RelayId& id) {
  return make(StanzaErrorCondition::kBadRequest, Colibri2ErrorReason::kNone, "Unknown relay " + id.str());
}

Colibri2Error Colibri2Error::unsupported_request(std::string text) {
  return make(StanzaErrorCondition::kFeatureNotImplemented, Colibri2ErrorReason::kFeatureNotImplemented,
              std::move(text));
}

Colibri2Error Colibri2Error::feature_not_implemented(std::string text) {
  return make(StanzaErrorCondition::kFeatureNotImplemented, Colibri2ErrorReason::kNone, std::move(text));
}

Colibri2Error Colibri2Error::invalid_conference_name() {
  return bad_request("Invalid conference name (not a JID)");
}

Colibri2Error Colibri2Error::internal_error(std::string text) {
  return make(StanzaErrorCondition::kInternalServerError, Colibri2ErrorReason::kNone, std::move(text));
}

std::string_view to_string(StanzaErrorCondition condition) {
  for (const auto& [name, value] : kConditions) {
    if (value == condition) return name;
  }
  return "undefined-condition";  // unreachable: every condition is in kConditions
}

std::optional<StanzaErrorCondition> parse_stanza_error_condition(std::string_view text) {
  for (const auto& [name, value] : kConditions) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string_view to_string(StanzaErrorType type) {
  switch (type) {
    case StanzaErrorType::kAuth:
      return "auth";
    case StanzaErrorType::kCancel:
      return "cancel";
    case StanzaErrorType::kContinue:
      return "continue";
    case StanzaErrorType::kModify:
      return "modify";
    case StanzaErrorType::kWait:
      return "wait";
  }
  return "cancel";
}

std::string_view to_string(Colibri2ErrorReason reason) {
  for (const auto& [name, value] : kReasons) {
    if (value == reason) return name;
  }
  return "";  // kNone
}

std::optional<Colibri2ErrorReason> parse_colibri2_error_reason(std::string_view text) {
  for (const auto& [name, value] : kReasons) {
    if (iequals(name, text)) return value;
  }
  return std::nullopt;
}

StanzaErrorType default_error_type(StanzaErrorCondition condition) {
  // Smack's StanzaError defaults (RFC 6120 §8.3.3 suggestions).
  switch (condition) {
    case StanzaErrorCondition::kBadRequest:
    case StanzaErrorCondition::kNotAcceptable:
      return StanzaErrorType::kModify;
    case StanzaErrorCondition::kForbidden:
      return StanzaErrorType::kAuth;
    case StanzaErrorCondition::kUnexpectedRequest:
      return StanzaErrorType::kWait;
    case StanzaErrorCondition::kConflict:
    case StanzaErrorCondition::kFeatureNotImplemented:
    case StanzaErrorCondition::kInternalServerError:
    case StanzaErrorCondition::kItemNotFound:
    case StanzaErrorCondition::kNotAllowed:
    case StanzaErrorCondition::kServiceUnavailable:
      return StanzaErrorType::kCancel;
  }
  return StanzaErrorType::kCancel;
}

RestErrorResponse rest_error_response(const Colibri2Error& error, RestMethod method) {
  switch (error.stage) {
    case Colibri2ErrorStage::kJsonSyntax:
      // JVB words only the POST case; PATCH answers a bare 400.
      if (method == RestMethod::kPost) {
        return {400, "Failed to create conference, could not parse JSON: " + error.text};
      }
      return {400, ""};
    case Colibri2ErrorStage::kDecode:
      return {400, "Failed to parse ConferenceModify JSON:" + error.text};
    case Colibri2ErrorStage::kProcessing:
      return {400, "Failed to create conference: " + error.text};
  }
  return {400, error.text};
}

RestErrorResponse rest_conference_not_found() { return {404, ""}; }

RestErrorResponse rest_not_implemented() { return {501, ""}; }

}  // namespace jvb::signaling
