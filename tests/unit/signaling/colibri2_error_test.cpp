// Tests of bridge/signaling/colibri2_error.hpp: the condition/reason/text combinations JVB
// answers with, their wire names, and the REST status mapping (JVB's Conferences.java).
#include <doctest/doctest.h>

#include "bridge/signaling/colibri2_error.hpp"
#include "bridge/signaling/colibri2_json.hpp"

using namespace jvb::signaling;

TEST_CASE("colibri2 error: the combinations JVB uses") {
  const MeetingId meeting("4340a148-a8cb-40a2-b0cb-2654e57ee90c");

  auto e = Colibri2Error::conference_not_found(meeting);
  CHECK(e.condition == StanzaErrorCondition::kItemNotFound);
  CHECK(e.reason == Colibri2ErrorReason::kConferenceNotFound);
  CHECK(e.text == "Conference not found for ID: 4340a148-a8cb-40a2-b0cb-2654e57ee90c");
  CHECK_FALSE(e.endpoint.has_value());

  e = Colibri2Error::conference_already_exists(meeting);
  CHECK(e.condition == StanzaErrorCondition::kConflict);
  CHECK(e.reason == Colibri2ErrorReason::kConferenceAlreadyExists);
  CHECK(e.text == "Conference already exists for ID: 4340a148-a8cb-40a2-b0cb-2654e57ee90c");

  e = Colibri2Error::graceful_shutdown();
  CHECK(e.condition == StanzaErrorCondition::kServiceUnavailable);
  CHECK(e.reason == Colibri2ErrorReason::kGracefulShutdown);
  CHECK(e.text == "In graceful shutdown");

  e = Colibri2Error::unknown_endpoint(EndpointId("f67653a0"));
  CHECK(e.condition == StanzaErrorCondition::kItemNotFound);
  CHECK(e.reason == Colibri2ErrorReason::kUnknownEndpoint);
  CHECK(e.text == "Endpoint not found for ID: f67653a0");
  CHECK(e.endpoint == std::optional(EndpointId("f67653a0")));  // Jicofo re-invites only it

  e = Colibri2Error::unsupported_request("Using both 'relay' and 'endpoint' in a request");
  CHECK(e.condition == StanzaErrorCondition::kFeatureNotImplemented);
  CHECK(e.reason == Colibri2ErrorReason::kFeatureNotImplemented);

  // Validation failures carry no colibri2 extension: Jicofo reacts differently to one.
  e = Colibri2Error::feature_not_implemented("SCTP support is not configured");
  CHECK(e.condition == StanzaErrorCondition::kFeatureNotImplemented);
  CHECK(e.reason == Colibri2ErrorReason::kNone);

  e = Colibri2Error::endpoint_already_exists(EndpointId("0ebd8a2c"));
  CHECK(e.condition == StanzaErrorCondition::kConflict);
  CHECK(e.reason == Colibri2ErrorReason::kNone);
  CHECK(e.text == "Endpoint with ID 0ebd8a2c already exists");

  e = Colibri2Error::relay_already_exists(RelayId("jvb-euc1-03"));
  CHECK(e.condition == StanzaErrorCondition::kConflict);
  CHECK(e.text == "Relay with ID jvb-euc1-03 already exists");

  e = Colibri2Error::unknown_relay(RelayId("jvb-euc1-03"));
  CHECK(e.condition == StanzaErrorCondition::kBadRequest);  // not item-not-found, as JVB
  CHECK(e.reason == Colibri2ErrorReason::kNone);
  CHECK(e.text == "Unknown relay jvb-euc1-03");

  e = Colibri2Error::invalid_conference_name();
  CHECK(e.condition == StanzaErrorCondition::kBadRequest);
  CHECK(e.reason == Colibri2ErrorReason::kNone);
  CHECK(e.text == "Invalid conference name (not a JID)");

  e = Colibri2Error::bad_request("Source name support is mandatory.");
  CHECK(e.condition == StanzaErrorCondition::kBadRequest);
  CHECK(e.stage == Colibri2ErrorStage::kProcessing);

  e = Colibri2Error::internal_error("boom");
  CHECK(e.condition == StanzaErrorCondition::kInternalServerError);
  CHECK(e.reason == Colibri2ErrorReason::kNone);
}

TEST_CASE("colibri2 error: wire names and default error types") {
  CHECK(to_string(StanzaErrorCondition::kBadRequest) == "bad-request");
  CHECK(to_string(StanzaErrorCondition::kItemNotFound) == "item-not-found");
  CHECK(to_string(StanzaErrorCondition::kFeatureNotImplemented) == "feature-not-implemented");
  CHECK(to_string(StanzaErrorCondition::kServiceUnavailable) == "service-unavailable");
  CHECK(to_string(StanzaErrorCondition::kInternalServerError) == "internal-server-error");
  for (auto c : {StanzaErrorCondition::kBadRequest, StanzaErrorCondition::kConflict,
                 StanzaErrorCondition::kFeatureNotImplemented, StanzaErrorCondition::kForbidden,
                 StanzaErrorCondition::kInternalServerError, StanzaErrorCondition::kItemNotFound,
                 StanzaErrorCondition::kNotAcceptable, StanzaErrorCondition::kNotAllowed,
                 StanzaErrorCondition::kServiceUnavailable, StanzaErrorCondition::kUnexpectedRequest}) {
    CHECK(parse_stanza_error_condition(to_string(c)) == std::optional(c));
  }
  CHECK_FALSE(parse_stanza_error_condition("no-such-condition").has_value());

  CHECK(to_string(Colibri2ErrorReason::kNone).empty());
  CHECK(to_string(Colibri2ErrorReason::kConferenceNotFound) == "conference_not_found");
  CHECK(to_string(Colibri2ErrorReason::kConferenceAlreadyExists) == "conference_already_exists");
  CHECK(to_string(Colibri2ErrorReason::kGracefulShutdown) == "graceful_shutdown");
  CHECK(to_string(Colibri2ErrorReason::kUnknownEndpoint) == "unknown_endpoint");
  CHECK(to_string(Colibri2ErrorReason::kFeatureNotImplemented) == "feature_not_implemented");
  CHECK(to_string(Colibri2ErrorReason::kUnspecified) == "unspecified");
  CHECK(parse_colibri2_error_reason("UNKNOWN_ENDPOINT") ==
        std::optional(Colibri2ErrorReason::kUnknownEndpoint));
  CHECK_FALSE(parse_colibri2_error_reason("").has_value());
  CHECK_FALSE(parse_colibri2_error_reason("unknown_relay").has_value());  // not a JVB reason

  CHECK(default_error_type(StanzaErrorCondition::kBadRequest) == StanzaErrorType::kModify);
  CHECK(default_error_type(StanzaErrorCondition::kItemNotFound) == StanzaErrorType::kCancel);
  CHECK(default_error_type(StanzaErrorCondition::kConflict) == StanzaErrorType::kCancel);
  CHECK(default_error_type(StanzaErrorCondition::kServiceUnavailable) == StanzaErrorType::kCancel);
  CHECK(default_error_type(StanzaErrorCondition::kFeatureNotImplemented) == StanzaErrorType::kCancel);
  CHECK(default_error_type(StanzaErrorCondition::kInternalServerError) == StanzaErrorType::kCancel);
  CHECK(default_error_type(StanzaErrorCondition::kForbidden) == StanzaErrorType::kAuth);
  CHECK(to_string(StanzaErrorType::kModify) == "modify");
  CHECK(to_string(StanzaErrorType::kCancel) == "cancel");
}

TEST_CASE("colibri2 error: REST status and text") {
  const MeetingId meeting("abc");
  const auto not_found = Colibri2Error::conference_not_found(meeting);
  CHECK(rest_error_response(not_found, RestMethod::kPost) ==
        RestErrorResponse{400, "Failed to create conference: Conference not found for ID: abc"});
  // JVB's PATCH shares the helper, wording included.
  CHECK(rest_error_response(Colibri2Error::unknown_endpoint(EndpointId("e1")), RestMethod::kPatch) ==
        RestErrorResponse{400, "Failed to create conference: Endpoint not found for ID: e1"});
  CHECK(rest_error_response(Colibri2Error::graceful_shutdown(), RestMethod::kPost).status == 400);
  CHECK(rest_error_response(Colibri2Error::internal_error("x"), RestMethod::kPost).status == 400);

  CHECK(rest_conference_not_found() == RestErrorResponse{404, ""});
  CHECK(rest_not_implemented().status == 501);

  // Errors of the JSON codec, per stage.
  auto syntax = parse_conference_modify_json("{");
  REQUIRE_FALSE(syntax.has_value());
  const auto post_syntax = rest_error_response(syntax.error(), RestMethod::kPost);
  CHECK(post_syntax.status == 400);
  CHECK(post_syntax.text.rfind("Failed to create conference, could not parse JSON: ", 0) == 0);
  CHECK(rest_error_response(syntax.error(), RestMethod::kPatch) == RestErrorResponse{400, ""});

  auto decode = parse_conference_modify_json(R"({"meeting-id": "m", "endpoints": [{}]})");
  REQUIRE_FALSE(decode.has_value());
  CHECK(rest_error_response(decode.error(), RestMethod::kPost) ==
        RestErrorResponse{400, "Failed to parse ConferenceModify JSON:endpoints[0].id: missing"});
  CHECK(rest_error_response(decode.error(), RestMethod::kPatch).status == 400);
}
