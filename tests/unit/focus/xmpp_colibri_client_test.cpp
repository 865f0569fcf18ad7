// Tests of parse_stanza_error (tools/focus/xmpp_colibri_client.hpp): the Colibri2 error answers as
// JVB and Prosody write them, and tolerance of incomplete or unusual ones.
#include <doctest/doctest.h>

#include "tests/unit/xml_text.hpp"
#include "tools/focus/xmpp_colibri_client.hpp"

namespace jvb::focus {
namespace {

using signaling::Colibri2ErrorReason;

ColibriFailure parse(const std::string& xml) {
  auto tag = test::parse_xml(xml);
  REQUIRE(tag);
  return parse_stanza_error(*tag);
}

TEST_CASE("a bridge error: condition, text and colibri2 reason") {
  auto failure = parse(
      "<error type='cancel'>"
      "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
      "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>Conference not found for ID: m1</text>"
      "<error xmlns='jitsi:colibri2' reason='conference_not_found'/>"
      "</error>");
  CHECK(failure.condition == "item-not-found");
  CHECK(failure.reason == Colibri2ErrorReason::kConferenceNotFound);
  CHECK(failure.text ==
        "item-not-found: Conference not found for ID: m1 (colibri2 reason conference_not_found)");
}

TEST_CASE("unknown_endpoint names the endpoint") {
  auto failure = parse(
      "<error type='cancel'>"
      "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
      "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Endpoint not found for ID: ep1</text>"
      "<error xmlns='jitsi:colibri2' reason='unknown_endpoint'/>"
      "<endpoint xmlns='jitsi:colibri2' id='ep1'/>"
      "</error>");
  CHECK(failure.reason == Colibri2ErrorReason::kUnknownEndpoint);
  CHECK(failure.text.find("(endpoint ep1)") != std::string::npos);
}

TEST_CASE("a server error has no colibri2 reason") {
  auto failure = parse(
      "<error type='cancel' by='internal.auth.test'>"
      "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>");
  CHECK(failure.condition == "item-not-found");
  CHECK(failure.reason == Colibri2ErrorReason::kNone);
  CHECK(failure.text == "item-not-found");
}

TEST_CASE("an unknown colibri2 reason counts as unspecified") {
  auto failure = parse(
      "<error type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
      "<error xmlns='jitsi:colibri2' reason='brand_new_reason'/></error>");
  CHECK(failure.condition == "resource-constraint");
  CHECK(failure.reason == Colibri2ErrorReason::kUnspecified);
}

TEST_CASE("tolerant: no namespace on the condition, an empty error, unknown children") {
  CHECK(parse("<error type='modify'><bad-request/></error>").condition == "bad-request");
  auto empty = parse("<error/>");
  CHECK(empty.condition.empty());
  CHECK(empty.text == "error");
  auto odd = parse(
      "<error><app xmlns='urn:example'/><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>");
  CHECK(odd.condition == "conflict");
}

}  // namespace
}  // namespace jvb::focus
