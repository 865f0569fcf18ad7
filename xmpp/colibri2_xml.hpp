// Colibri2 over XMPP (jitsi-xmpp-extensions' colibri2 package; JVB's Colibri2ConferenceHandler.kt):
// the XML form of conference-modify / conference-modified and of the stanza error the bridge
// answers with, on gloox::Tag as the DOM. The XMPP plugin parses the <conference-modify> child of
// Jicofo's IQ and writes the <conference-modified> (or <error>) child of its reply; the Jicofo
// stand-in in tools/ uses the reverse pair.
//
// Parsing rules: namespace-aware (default namespaces are inherited from ancestors, gloox's
// Tag::xmlns() does not do that by itself), unknown elements and attributes are ignored anywhere,
// booleans are true/false (also 1/0) in any case, numbers are strict unsigned decimal. Element
// order is not significant. <connects> (exporter connections) is parsed as well.
//
// The parsers never throw and never crash on any Tag: malformed input gives a Colibri2Error with
// condition bad-request, stage kDecode, and a text naming the element path and attribute, e.g.
// "conference-modify/endpoint[0]/media[1]/payload-type[2]@id: expected an integer 0..127".
// The same size limits as the JSON codec apply (bridge/signaling/colibri2_json.hpp).
// The serializers never throw (gloox escapes text and attribute values).
//
// Thread-safety: free functions without shared state; call from any thread.
#pragma once

#include <memory>
#include <string>

#include <gloox/tag.h>

#include "bridge/core/result.hpp"
#include "bridge/signaling/colibri2.hpp"
#include "bridge/signaling/colibri2_error.hpp"

namespace jvb::xmpp {

// The namespaces of Colibri2 and of the Jingle elements it embeds.
inline constexpr const char* kNsColibri2 = "jitsi:colibri2";
inline constexpr const char* kNsJingleRtp = "urn:xmpp:jingle:apps:rtp:1";
inline constexpr const char* kNsRtcpFb = "urn:xmpp:jingle:apps:rtp:rtcp-fb:0";
inline constexpr const char* kNsRtpHdrExt = "urn:xmpp:jingle:apps:rtp:rtp-hdrext:0";
inline constexpr const char* kNsSsma = "urn:xmpp:jingle:apps:rtp:ssma:0";
inline constexpr const char* kNsIceUdp = "urn:xmpp:jingle:transports:ice-udp:1";
inline constexpr const char* kNsDtls = "urn:xmpp:jingle:apps:dtls:0";
inline constexpr const char* kNsColibri = "http://jitsi.org/protocol/colibri";
inline constexpr const char* kNsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";

// The namespace an element is in: the one its prefix is bound to,
// else the nearest default namespace declared on it or on an ancestor; "" when there is none.
// Needed because gloox's Tag::xmlns() does not inherit default namespaces. Also used by the IQ
// dispatcher (xmpp/bridge_iq.hpp) for the payload of an <iq>.
std::string effective_namespace(const gloox::Tag& tag);

// Parses a <conference-modify xmlns='jitsi:colibri2'> element. The element's namespace
// may be declared on it or inherited from its parent; a different name or namespace is a
// bad-request. `meeting-id` is required and non-blank.
Result<signaling::ConferenceModify, signaling::Colibri2Error> parse_conference_modify(
    const gloox::Tag& conference_modify);

// Writes <conference-modified xmlns='jitsi:colibri2'> as JVB does (vectors/colibri2/*.resp.xml):
// endpoints, then relays, then the feedback <sources>.
std::unique_ptr<gloox::Tag> serialize_conference_modified(const signaling::ConferenceModified& response);

// Writes the <error type='...'> child of an IQ error (RFC 6120 §8.3): the condition element,
// <text xml:lang='en'> when the text is not empty, <error xmlns='jitsi:colibri2' reason/> unless
// the reason is kNone, and <endpoint xmlns='jitsi:colibri2' id/> when an endpoint is set. The
// type is default_error_type(condition), as JVB (Smack) writes it.
std::unique_ptr<gloox::Tag> serialize_error(const signaling::Colibri2Error& error);

// ---- The Jicofo side ----

// Writes <conference-modify xmlns='jitsi:colibri2'> with every field of the model.
std::unique_ptr<gloox::Tag> serialize_conference_modify(const signaling::ConferenceModify& request);

// Parses a <conference-modified xmlns='jitsi:colibri2'> element.
Result<signaling::ConferenceModified, signaling::Colibri2Error> parse_conference_modified(
    const gloox::Tag& conference_modified);

}  // namespace jvb::xmpp
