// Colibri2 over HTTP/JSON (JVB's /colibri/v2/conferences REST API): the JSON form of
// conference-modify and conference-modified, as JVB's Colibri2JSONSerializer/Deserializer write
// and read it. The bridge's REST plugin parses requests and serializes responses; the Jicofo
// stand-in in tools/ does the reverse, so both directions exist for both messages.
//
// Mapping notes: payload-type and candidate attributes are JSON strings (numbers are
// accepted on input); rtp-hdrext ids, SSRCs, the SCTP port and initial-last-n are numbers; a
// <source> with only an SSRC is a bare number; the SCTP role is written upper case and read in
// any case. Unknown keys are ignored, like unknown XML elements.
//
// The parsers never throw and never crash on any input: malformed input gives a Colibri2Error
// with condition bad-request, stage kJsonSyntax or kDecode, and a text naming the offending
// field (e.g. "endpoints[0].medias[1].payload-types[2].id: expected an integer 0..127").
// The serializers never throw either (invalid UTF-8 in model strings is replaced).
//
// Thread-safety: free functions without shared state; call from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/core/result.hpp"
#include "bridge/signaling/colibri2.hpp"
#include "bridge/signaling/colibri2_error.hpp"

namespace jvb::signaling {

// Limits on what a request may contain. Jicofo stays far below them; they bound the memory and
// time a hostile or broken client can make the bridge spend on one request.
inline constexpr std::size_t kMaxJsonBytes = 1 << 20;
inline constexpr std::size_t kMaxJsonDepth = 32;
inline constexpr std::size_t kMaxStringBytes = 4096;
inline constexpr std::size_t kMaxEntities = 1024;  // endpoints or relays of one message
inline constexpr std::size_t kMaxMedias = 16;
inline constexpr std::size_t kMaxPayloadTypes = 128;
inline constexpr std::size_t kMaxRtpHdrExts = 255;
inline constexpr std::size_t kMaxParameters = 64;
inline constexpr std::size_t kMaxRtcpFbs = 32;
inline constexpr std::size_t kMaxFingerprints = 16;
inline constexpr std::size_t kMaxCandidates = 128;
inline constexpr std::size_t kMaxWebSockets = 16;
inline constexpr std::size_t kMaxMediaSources = 64;
inline constexpr std::size_t kMaxSourcesPerMediaSource = 64;
inline constexpr std::size_t kMaxSsrcGroups = 64;
inline constexpr std::size_t kMaxSsrcsPerGroup = 16;
inline constexpr std::size_t kMaxCapabilities = 64;
inline constexpr std::size_t kMaxConnects = 64;

// Parses the body of POST /colibri/v2/conferences or PATCH /colibri/v2/conferences/{id}.
// `path_meeting_id` is the {id} of a PATCH: it replaces any meeting-id in the body, as JVB does.
// Without it the body must carry a non-blank "meeting-id".
Result<ConferenceModify, Colibri2Error> parse_conference_modify_json(
    std::string_view body, const std::optional<MeetingId>& path_meeting_id = std::nullopt);

// Writes a conference-modify. An empty meeting_id is left out (a PATCH body).
std::string serialize_conference_modify_json(const ConferenceModify& request);

// Writes the 200 body of a conference-modify: {"endpoints", "relays", "sources"}, each only
// when non-empty / present, so an empty response is "{}".
std::string serialize_conference_modified_json(const ConferenceModified& response);

// Parses a conference-modified body (the Jicofo side).
Result<ConferenceModified, Colibri2Error> parse_conference_modified_json(std::string_view body);

}  // namespace jvb::signaling
