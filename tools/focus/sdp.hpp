// The SDP the focus speaks with browsers, and the media it asks the bridge for. The focus is always
// the offerer: its offers put every m-line on the bridge's one ICE/DTLS transport (BUNDLE), carry
// the browser's own microphone and camera on mids "0" and "1", and one sendonly m-line per remote
// audio or video stream (a remote camera appears as its first simulcast SSRC plus that SSRC's RTX
// partner, which is what the bridge projects all layers onto, as lib-jitsi-meet's SdpSimulcast
// keeps only that pair). When the bridge allocated SCTP, the offer also has the bridge channel's
// data line (mid "data", as Jicofo's "data" content becomes in lib-jitsi-meet), on the same
// transport. Answers are read back into the Colibri2 shapes the bridge takes (the transport and
// sources of a session-accept).
//
// Codecs and header-extension ids are those Jicofo uses by default (its reference.conf). The same
// table feeds the Colibri2 endpoint create and the SDP, because the bridge forwards packets without
// rewriting payload types or extension ids: both must agree for every endpoint.
//
// Pure functions: no I/O, no clock, no global state; callable from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/signaling/colibri2.hpp"

namespace jvb::focus {

inline constexpr std::uint8_t kOpusPt = 111;
inline constexpr std::uint8_t kVp8Pt = 100;
inline constexpr std::uint8_t kVp8RtxPt = 96;
inline constexpr std::uint8_t kAudioLevelExtId = 1;
inline constexpr std::uint8_t kTransportCcExtId = 5;
// sdes:mid (RFC 8843 §15): with `rtp-mid-demux` the bridge stamps its slots' mids on rewritten media.
inline constexpr std::uint8_t kMidExtId = 10;

// The two m-lines every browser sends its own media on.
inline constexpr std::string_view kLocalAudioMid = "0";
inline constexpr std::string_view kLocalVideoMid = "1";

// The bridge channel's SCTP association (RFC 8841): the bridge listens on port 5000 and takes
// messages up to the size lib-jitsi-meet's SDP announces.
inline constexpr std::string_view kDataMid = "data";
inline constexpr std::uint16_t kSctpPort = 5000;
inline constexpr std::uint32_t kSctpMaxMessageSize = 262144;

// The <media> list of a Colibri2 endpoint create: opus and VP8 with RTX, audio-level,
// transport-cc and sdes:mid.
std::vector<signaling::Media> endpoint_medias();

// A stream the bridge forwards to a browser: one remote participant's audio or camera.
struct RemoteStream {
  std::string endpoint;
  signaling::MediaType type = signaling::MediaType::kAudio;
  std::uint32_t ssrc = 0;
  std::optional<std::uint32_t> rtx_ssrc;  // video only
  bool operator==(const RemoteStream&) const = default;
};

// One m-line of an offer. The local lines are sendrecv; a remote stream's line is sendonly (the
// bridge sends); a line whose participant left stays in place, inactive, until it is reused.
// The data line (`data` set) is the bridge channel's m=application; `type`, `local` and `stream`
// mean nothing for it.
struct OfferLine {
  std::string mid;
  signaling::MediaType type = signaling::MediaType::kAudio;
  bool local = false;
  std::optional<RemoteStream> stream;  // remote lines only; empty = inactive
  bool data = false;
};

struct OfferParams {
  signaling::IceUdpTransport bridge;  // the ICE transport from the bridge's endpoint create answer
  std::uint64_t session_id = 0;
  std::uint64_t version = 0;            // o= session version, increasing with each offer to one browser
  std::uint16_t sctp_port = kSctpPort;  // the bridge's, for the data line
};

std::string build_offer(const OfferParams& params, const std::vector<OfferLine>& lines);

// What a browser's answer tells the bridge.
struct Answer {
  signaling::IceUdpTransport transport;         // ufrag, pwd, fingerprints (with setup), IP candidates
  std::vector<signaling::MediaSource> sources;  // "<ep>-a0" and "<ep>-v0"; absent when not sending
  bool data = false;  // the data line was accepted (a non-zero port): the bridge channel can open
};

// One "a=candidate:" value (RFC 8839 §5.1), for any reader of an SDP; nullopt for a line that is
// not a complete candidate.
std::optional<signaling::Candidate> parse_sdp_candidate(std::string_view value);

// Reads an answer to build_offer(). `endpoint` names the sources. Errors say what is missing.
Result<Answer, std::string> parse_answer(std::string_view sdp, std::string_view endpoint);

// The stream other browsers receive for one media-source of a sender: its primary SSRC (the
// first of the SIM group, else the only non-RTX SSRC) and, for video, that SSRC's FID partner.
std::optional<RemoteStream> receive_stream(std::string_view endpoint, const signaling::MediaSource& source);

// The bridge's colibri-ws URL for the bridge channel (the <web-socket> of its transport), from its
// endpoint create answer: the first web-socket with a ws:// or wss:// URL. A page whose offer has
// no data line opens the channel there, as lib-jitsi-meet does. Empty when the bridge advertised
// none.
std::optional<std::string> bridge_websocket_url(const signaling::IceUdpTransport& bridge);

}  // namespace jvb::focus
