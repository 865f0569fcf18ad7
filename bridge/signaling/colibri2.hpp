// The typed Colibri2 model: what Jicofo asks of the bridge in a conference-modify and what the
// bridge answers in a conference-modified (jitsi-xmpp-extensions' colibri2 package: endpoints and
// relays). Every signaling plugin decodes into these types (REST JSON in colibri2_json.hpp, XMPP
// XML later), and the conference layer only ever sees them. Plain values: no I/O, no ownership
// tricks, comparable with == so codecs can be round-trip tested.
//
// Conventions: an std::optional member means "the element may be absent, and absent differs
// from empty" (e.g. `sources`: absent = unchanged, empty = clear them). Booleans default to the
// Colibri2 attribute default. Unknown elements, attributes and codecs are ignored by the
// decoders, so they never appear here.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jvb::signaling {

// ---- Small typed ids (so that the compiler catches mix-ups) ----

// A protocol identifier that is text. Tag makes ids of different kinds distinct types.
template <class Tag>
class StringId {
 public:
  StringId() = default;
  explicit StringId(std::string value) : value_(std::move(value)) {}

  const std::string& str() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend bool operator==(const StringId&, const StringId&) = default;
  friend std::strong_ordering operator<=>(const StringId& a, const StringId& b) {
    return a.value_.compare(b.value_) <=> 0;
  }

 private:
  std::string value_;
};

// A protocol identifier that is a number of type T.
template <class Tag, class T>
class IntId {
 public:
  constexpr IntId() = default;
  constexpr explicit IntId(T value) : value_(value) {}

  constexpr T value() const { return value_; }

  friend constexpr auto operator<=>(const IntId&, const IntId&) = default;

 private:
  T value_{};
};

struct MeetingIdTag {};
struct EndpointIdTag {};
struct RelayIdTag {};
struct SourceNameTag {};
struct SsrcTag {};
struct PayloadTypeIdTag {};

// Jicofo's meeting UUID (Prosody's muc_meeting_id): the key of a conference.
using MeetingId = StringId<MeetingIdTag>;
// A jitsi-meet endpoint id (the client's MUC nick).
using EndpointId = StringId<EndpointIdTag>;
// The relay_id of the peer bridge (the relay_id stat of its presence).
using RelayId = StringId<RelayIdTag>;
// A source name, e.g. "0ebd8a2c-v0": a media-source id and its sources' name.
using SourceName = StringId<SourceNameTag>;
// An RTP synchronisation source; the whole unsigned 32-bit range is valid.
using Ssrc = IntId<SsrcTag, std::uint32_t>;
// An RTP payload type, 0..127.
using PayloadTypeId = IntId<PayloadTypeIdTag, std::uint8_t>;

// ---- Enumerations with a fixed wire vocabulary ----

enum class MediaType { kAudio, kVideo };
enum class MucRole { kModerator, kParticipant, kVisitor, kNone };
enum class DtlsSetup { kActive, kPassive, kActpass, kHoldconn };
enum class CandidateType { kHost, kSrflx, kPrflx, kRelay };
enum class SctpRole { kServer, kClient };
enum class ConnectProtocol { kMediaJson };
enum class ConnectType { kRecorder, kTranscriber, kTranslator };
// The ssrc-group semantics the bridge acts on; anything else is kept as text but is kOther.
enum class SsrcGroupSemantics { kSim, kFid, kFecFr, kOther };

// Wire names, lower case as in the XML attributes ("audio", "actpass", "srflx", "server", ...).
std::string_view to_string(MediaType type);
std::string_view to_string(MucRole role);
std::string_view to_string(DtlsSetup setup);
std::string_view to_string(CandidateType type);
std::string_view to_string(SctpRole role);
std::string_view to_string(ConnectProtocol protocol);
std::string_view to_string(ConnectType type);

// Case-insensitive parsers of the names above; nullopt for anything else.
std::optional<MediaType> parse_media_type(std::string_view text);
std::optional<MucRole> parse_muc_role(std::string_view text);
std::optional<DtlsSetup> parse_dtls_setup(std::string_view text);
std::optional<CandidateType> parse_candidate_type(std::string_view text);
std::optional<SctpRole> parse_sctp_role(std::string_view text);
std::optional<ConnectProtocol> parse_connect_protocol(std::string_view text);
std::optional<ConnectType> parse_connect_type(std::string_view text);
// "SIM", "FID", "FEC-FR" in any case; everything else is kOther.
SsrcGroupSemantics classify_ssrc_group_semantics(std::string_view text);

// ---- Media description (<media>, as Jicofo sends it on create) ----

// A <parameter name value/>. `name` is empty for the nameless parameter `red` carries.
struct Parameter {
  std::string name;
  std::string value;
  bool operator==(const Parameter&) const = default;
};

struct RtcpFb {
  std::string type;     // "nack", "ccm", "transport-cc", ...
  std::string subtype;  // "pli", "fir", ...; empty = none
  bool operator==(const RtcpFb&) const = default;
};

struct PayloadType {
  PayloadTypeId id;
  std::string name;  // "opus", "VP8", "rtx", ...
  std::optional<std::uint32_t> clockrate;
  std::optional<std::uint32_t> channels;
  std::vector<Parameter> parameters;  // e.g. apt for rtx
  std::vector<RtcpFb> rtcp_fbs;
  bool operator==(const PayloadType&) const = default;
};

struct RtpHdrExt {
  std::uint8_t id = 0;  // 1..255
  std::string uri;
  std::string senders;     // optional; empty = absent
  std::string attributes;  // optional; empty = absent
  bool operator==(const RtpHdrExt&) const = default;
};

struct Media {
  MediaType type = MediaType::kAudio;
  std::vector<PayloadType> payload_types;
  std::vector<RtpHdrExt> rtp_hdrexts;
  bool extmap_allow_mixed = false;
  bool operator==(const Media&) const = default;
};

// ---- Transport (on create, on session-accept / transport-info, and for an ICE restart) ----

struct Fingerprint {
  std::string value;  // colon-separated hex
  std::string hash;   // "sha-256", ...
  std::optional<DtlsSetup> setup;
  bool cryptex = false;  // RFC 9335 offered
  bool operator==(const Fingerprint&) const = default;
};

// An XEP-0176 candidate. Optional attributes that Jicofo or clients may leave out are optional.
struct Candidate {
  std::string foundation;
  std::uint32_t component = 1;
  std::string protocol;  // "udp", "tcp"; kept as text so unusual values can be skipped, not rejected
  std::uint32_t priority = 0;
  std::string ip;
  std::uint16_t port = 0;
  CandidateType type = CandidateType::kHost;
  std::optional<std::uint32_t> generation;
  std::optional<std::string> rel_addr;
  std::optional<std::uint16_t> rel_port;
  std::optional<std::uint32_t> network;
  std::string id;       // optional; empty = absent
  std::string tcptype;  // optional; empty = absent
  bool operator==(const Candidate&) const = default;
};

// A colibri WebSocket: either the bridge's URL (responses) or "active" (the peer will connect).
struct WebSocket {
  bool active = false;
  std::string url;  // empty when active
  bool operator==(const WebSocket&) const = default;
};

// The ICE-UDP <transport> (urn:xmpp:jingle:transports:ice-udp:1).
struct IceUdpTransport {
  std::string ufrag;                            // empty = absent
  std::string pwd;                              // empty = absent
  std::optional<std::uint32_t> ice_generation;  // ICE restart; attribute name inferred from JVB/Jicofo
  bool rtcp_mux = false;
  std::vector<Fingerprint> fingerprints;
  std::vector<Candidate> candidates;
  std::vector<WebSocket> web_sockets;
  bool operator==(const IceUdpTransport&) const = default;
};

struct Sctp {
  std::optional<std::uint16_t> port;
  std::optional<SctpRole> role;
  bool operator==(const Sctp&) const = default;
};

// The colibri2 <transport>, which wraps the ICE transport.
struct Transport {
  bool ice_controlling = false;
  bool use_unique_port = false;
  bool ice_restart = false;  // Jicofo's in-place ICE restart request
  std::optional<IceUdpTransport> ice;
  std::optional<Sctp> sctp;  // present = an SCTP association is wanted / offered
  bool operator==(const Transport&) const = default;
};

// ---- Sources (an endpoint's complete set, and the bridge's feedback sources) ----

struct Source {
  Ssrc ssrc;
  SourceName name;         // empty = absent
  std::string video_type;  // "camera", "desktop"; empty = absent
  std::string rid;         // empty = absent
  std::vector<Parameter> parameters;
  bool operator==(const Source&) const = default;
};

struct SsrcGroup {
  std::string semantics;    // "SIM", "FID", "FEC-FR", as sent
  std::vector<Ssrc> ssrcs;  // SIM: low to high; FID: primary, then RTX
  SsrcGroupSemantics kind() const { return classify_ssrc_group_semantics(semantics); }
  bool operator==(const SsrcGroup&) const = default;
};

struct MediaSource {
  MediaType type = MediaType::kAudio;
  SourceName id;
  bool synthetic = false;
  std::vector<Source> sources;
  std::vector<SsrcGroup> ssrc_groups;
  bool operator==(const MediaSource&) const = default;
};

// ---- Entities (<endpoint>, <relay>) ----

// <force-mute audio video/>: the full state; an empty element un-mutes both.
struct ForceMute {
  bool audio = false;
  bool video = false;
  bool operator==(const ForceMute&) const = default;
};

// Capability names Jicofo sends.
inline constexpr std::string_view kCapabilitySourceNames = "source-names";
inline constexpr std::string_view kCapabilitySsrcRewriting = "ssrc-rewriting";
inline constexpr std::string_view kCapabilityRtpMidDemux = "rtp-mid-demux";
inline constexpr std::string_view kCapabilityPrivateAddressConnectivity = "private-address-connectivity";

// A local endpoint, or a remote endpoint inside a <relay>'s <endpoints>.
struct Endpoint {
  EndpointId id;
  bool create = false;
  bool expire = false;
  std::optional<std::string> stats_id;
  std::optional<MucRole> muc_role;
  bool diarize = false;  // attribute name inferred from JVB/Jicofo use
  std::vector<Media> medias;
  std::optional<Transport> transport;
  std::optional<std::vector<MediaSource>> sources;  // absent = unchanged; present = full set
  std::optional<ForceMute> force_mute;
  std::optional<std::int32_t> initial_last_n;
  std::vector<std::string> capabilities;

  bool has_capability(std::string_view name) const;
  bool operator==(const Endpoint&) const = default;
};

struct Relay {
  RelayId id;
  bool create = false;
  bool expire = false;
  std::optional<std::string> mesh_id;
  std::vector<Media> medias;
  std::optional<Transport> transport;
  std::optional<std::vector<MediaSource>> sources;
  std::optional<std::vector<Endpoint>> endpoints;  // remote endpoints behind the peer bridge
  bool operator==(const Relay&) const = default;
};

// An exporter connection (<connect>, for transcription and translation). id/create/expire are
// inferred from JVB/Jicofo call sites, not read from jitsi-xmpp-extensions.
struct Connect {
  std::optional<std::string> id;
  bool create = false;
  bool expire = false;
  std::string url;  // ws: or wss:
  ConnectProtocol protocol = ConnectProtocol::kMediaJson;
  ConnectType type = ConnectType::kTranscriber;
  bool audio = false;
  bool video = false;
  std::vector<std::pair<std::string, std::string>> http_headers;
  struct Ping {
    std::uint32_t interval_ms = 0;
    std::uint32_t timeout_ms = 0;
    bool operator==(const Ping&) const = default;
  };
  std::optional<Ping> ping;
  std::vector<std::string> exports;   // source names
  std::vector<std::string> requests;  // "srcName.lang"
  bool operator==(const Connect&) const = default;
};

// The rules every codec applies to a <connects> entry: a ws: or wss: URL, and HTTP header
// names made of letters, digits and '-'.
bool is_websocket_url(std::string_view url);
bool is_http_header_name(std::string_view name);

// ---- Top-level messages ----

// <conference-modify>.
struct ConferenceModify {
  MeetingId meeting_id;
  std::optional<std::string> name;  // the conference room JID; only sent with create
  bool create = false;
  bool expire = false;
  bool rtcstats_enabled = true;
  std::vector<Endpoint> endpoints;
  std::vector<Relay> relays;
  std::optional<std::vector<Connect>> connects;  // empty differs from absent
  bool operator==(const ConferenceModify&) const = default;
};

// <conference-modified>: the echo of endpoints/relays and the feedback sources (jvb-a0, jvb-v0).
struct ConferenceModified {
  std::vector<Endpoint> endpoints;
  std::vector<Relay> relays;
  std::optional<std::vector<MediaSource>> sources;
  bool operator==(const ConferenceModified&) const = default;
};

}  // namespace jvb::signaling

template <class Tag>
struct std::hash<jvb::signaling::StringId<Tag>> {
  std::size_t operator()(const jvb::signaling::StringId<Tag>& id) const {
    return std::hash<std::string>{}(id.str());
  }
};

template <class Tag, class T>
struct std::hash<jvb::signaling::IntId<Tag, T>> {
  std::size_t operator()(const jvb::signaling::IntId<Tag, T>& id) const { return std::hash<T>{}(id.value()); }
};
