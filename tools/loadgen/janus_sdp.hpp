// The SDP a synthetic participant exchanges with Janus's VideoRoom (SDP: RFC 8866; offer/answer
// in the JSEP shapes of RFC 8829): the publisher's offer (one BUNDLEd transport, RFC 8843; opus
// and VP8 with RTX, RFC 4588; its SSRCs with an RFC 5576 SIM group for simulcast and one FID
// group per layer; ICE attributes and a host candidate, RFC 8839; the DTLS fingerprint with
// setup:actpass, RFC 8122 / RFC 5763), the parser that reads Janus's answers and offers, and the
// subscriber's answer to Janus's multistream offer (recvonly on every live audio/video m-line,
// setup:active).
//
// Payload types and header-extension ids of the publisher's offer are those of
// tools/focus/sdp.hpp, because the synthetic endpoint writes them into every packet. The
// subscriber's answer accepts only what the synthetic endpoint reads correctly: opus or VP8
// without RTX (its fast path tells RTX apart by tools/focus's RTX payload type, which Janus need
// not use; without RTX Janus repairs by resending the original packet) and transport-cc only at
// tools/focus's extension id.
//
// Pure: strings in, strings or structures out; no I/O, no clock.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"
#include "bridge/signaling/colibri2.hpp"
#include "tools/loadgen/scenario.hpp"

namespace jvb::loadgen {

inline constexpr std::string_view kTransportCcUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
inline constexpr std::string_view kAudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

struct SdpCodec {
  std::uint8_t payload_type = 0;
  std::string name;  // as in a=rtpmap, e.g. "opus", "VP8", "rtx"
  std::uint32_t clock_rate = 0;
  std::optional<std::uint8_t> apt;  // a=fmtp apt= (RTX)
};

struct SdpExtension {
  std::uint8_t id = 0;
  std::string uri;
};

// One m= section.
struct SdpMedia {
  std::string kind;  // "audio", "video", "application"
  std::uint16_t port = 0;
  std::string protocol;
  std::vector<std::string> formats;  // the m= line's format list, as written
  std::string mid;
  std::string direction = "sendrecv";
  std::vector<SdpCodec> codecs;
  std::vector<SdpExtension> extensions;
  std::vector<std::uint32_t> ssrcs;                                 // in order of first a=ssrc
  std::vector<std::pair<std::uint32_t, std::uint32_t>> fid_groups;  // (primary, RTX)

  const SdpCodec* codec(std::string_view name) const;  // case-insensitive name
  std::optional<std::uint8_t> extension_id(std::string_view uri) const;
  // The SSRC the media goes on: the first that is no FID group's RTX.
  std::optional<std::uint32_t> primary_ssrc() const;
  std::optional<std::uint32_t> rtx_ssrc(std::uint32_t primary) const;
};

struct SessionDescription {
  // ICE and DTLS of the BUNDLE transport: session-level attributes, else the first m= section's.
  // The fingerprint carries the setup role; candidates are the UDP ones of every section.
  signaling::IceUdpTransport transport;
  std::vector<SdpMedia> media;
};

// Reads an SDP; an error names the first problem that makes it unusable (no ICE credentials,
// no fingerprint, a malformed m= line). Unknown attributes are ignored.
Result<SessionDescription, std::string> parse_sdp(std::string_view sdp);

struct PublisherOffer {
  // The endpoint's own transport (SyntheticEndpoint::local_transport()): ufrag, pwd, the
  // fingerprint and the host candidate. The offer says setup:actpass whatever it holds.
  signaling::IceUdpTransport transport;
  std::uint64_t session_id = 0;
  std::string cname;
  std::uint32_t audio_ssrc = 0;
  bool video = false;  // with an m=video section
  std::array<std::uint32_t, kLayers> video_ssrcs{};
  std::array<std::uint32_t, kLayers> rtx_ssrcs{};
};

// mids "0" (audio) and "1" (video, when sending), both sendonly.
std::string build_publisher_offer(const PublisherOffer& offer);

// The answer to a Janus subscriber offer: every audio/video section with a non-zero port, opus
// or VP8 and a sendonly/sendrecv direction is accepted recvonly; everything else is rejected
// (port 0). `local` is the endpoint's own transport; the answer says setup:active.
struct SubscriberAnswer {
  std::string sdp;
  std::vector<std::string> accepted_mids;
};
SubscriberAnswer build_subscriber_answer(const SessionDescription& offer,
                                         const signaling::IceUdpTransport& local, std::uint64_t session_id);

// The DTLS setup a description's fingerprint announces (absent: actpass).
signaling::DtlsSetup remote_setup(const SessionDescription& description);

}  // namespace jvb::loadgen
