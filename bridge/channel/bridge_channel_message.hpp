// The bridge-channel message codec (JVB's BridgeChannelMessage.kt; the allocation inputs of JVB's
// cc/allocation). One codec for both transports: a message is one JSON object, the payload of one
// SCTP user message (PPID 51) or one WebSocket text frame, and its string member `colibriClass`
// names its type.
//
// Parsing (client -> bridge) follows the JVB's required fields and types, and is as lenient as JVB:
//  * unknown members are ignored in every class, at every level;
//  * an explicit `null` counts as an absent member;
//  * integers must be JSON integers (no fraction, no exponent form, not strings) inside the
//    range of the field; floats are accepted only where the field is a number (maxFrameRate);
//  * enum names (videoType, the legacy audio `mode`) are matched case-insensitively;
//  * a member name that occurs twice in one object rejects the whole message, as the JVB
//    (Jackson STRICT_DUPLICATE_DETECTION) does: a relayed text whose meaning depends on which
//    duplicate the receiver's parser keeps would let a sender show different content to the
//    bridge and to other clients.
//
// Serializing (bridge -> client) writes compact JSON with the member names of the document, in
// the order of its examples; strings are escaped per RFC 8259 (never throws on bad UTF-8).
//
// Nothing here does I/O, reads the clock or keeps state; every function may be called from any
// thread. Parsing never throws; serializers only on allocation failure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bridge/channel/parse_error.hpp"
#include "bridge/channel/raw_json_object.hpp"
#include "bridge/core/result.hpp"

namespace jvb::channel {

// A video source's type (SourceVideoTypeMessage, VideoSourcesMap). The JVB writes the upper-case
// names; clients send lower case.
enum class VideoType : std::uint8_t { kCamera, kDesktop, kDesktopHighFps, kNone, kDisabled };

// "CAMERA", "DESKTOP", "DESKTOP_HIGH_FPS", "NONE", "DISABLED".
std::string_view to_string(VideoType type);
// The names above, in any letter case.
std::optional<VideoType> video_type_from_string(std::string_view name);

// -------------------------------------------------------------------------------------------
// Client -> bridge

// Per-source receive limits. maxHeight is the smaller video dimension: -1 = unlimited,
// 0 = send nothing. maxFrameRate -1.0 = unlimited; absent means the same to the JVB.
struct VideoConstraints {
  std::int32_t max_height = 0;
  std::optional<double> max_frame_rate;
  bool operator==(const VideoConstraints&) const = default;
};

// A receiver's video wishes. Every member is optional: a present one replaces the receiver's
// previous value, an absent one leaves it unchanged (and the first message without
// defaultConstraints means {maxHeight: 180}; that policy belongs to the caller).
struct ReceiverVideoConstraints {
  static constexpr std::string_view kColibriClass = "ReceiverVideoConstraints";
  std::optional<std::int32_t> last_n;  // -1 = unlimited
  std::optional<std::vector<std::string>> on_stage_sources;
  std::optional<std::vector<std::string>> selected_sources;
  std::optional<VideoConstraints> default_constraints;
  // Source name -> constraints. Clients of the endpoint-id era keyed this by endpoint id.
  std::optional<std::map<std::string, VideoConstraints, std::less<>>> constraints;
  std::optional<std::int64_t> assumed_bandwidth_bps;  // -1 = no override
  // The older endpoint-id form (selectedEndpoints / onStageEndpoints). Kept apart so the caller can
  // map each endpoint id to its "<id>-v0" source.
  std::optional<std::vector<std::string>> on_stage_endpoints;
  std::optional<std::vector<std::string>> selected_endpoints;
  bool operator==(const ReceiverVideoConstraints&) const = default;
};

struct LastNChangedEvent {
  static constexpr std::string_view kColibriClass = "LastNChangedEvent";
  std::int32_t last_n = -1;
  bool operator==(const LastNChangedEvent&) const = default;
};

// An endpoint-to-endpoint message. The bridge relays `raw` with relay_with_from(raw, sender).
struct EndpointMessage {
  static constexpr std::string_view kColibriClass = "EndpointMessage";
  std::string to;  // the target endpoint id; empty (or blank, as the JVB treats it) = broadcast
  RawJsonObject raw;
  // The JVB sends a message to everyone when `to` is blank (Kotlin isBlank()).
  bool is_broadcast() const { return to.find_first_not_of(" \t\n\r\f\v") == std::string::npos; }
  bool operator==(const EndpointMessage&) const = default;
};

// A client's free-form statistics; relayed like EndpointMessage.
struct EndpointStats {
  static constexpr std::string_view kColibriClass = "EndpointStats";
  RawJsonObject raw;
  bool operator==(const EndpointStats&) const = default;
};

struct SourceVideoTypeMessage {
  static constexpr std::string_view kColibriClass = "SourceVideoTypeMessage";
  std::string source_name;
  VideoType video_type = VideoType::kCamera;
  // Set by a bridge when it forwards the message to a relay; a client's value means nothing.
  std::optional<std::string> endpoint_id;
  bool operator==(const SourceVideoTypeMessage&) const = default;
};

// Deprecated form of SourceVideoTypeMessage: applies to the source "<endpointId>-v0".
struct VideoTypeMessage {
  static constexpr std::string_view kColibriClass = "VideoTypeMessage";
  VideoType video_type = VideoType::kCamera;
  std::optional<std::string> endpoint_id;
  bool operator==(const VideoTypeMessage&) const = default;
};

// Which audio sources the receiver gets: all (or none) of them, always those in `include`,
// never those in `exclude` (exclude wins). The legacy `mode` + `list` form is mapped on parse:
// All -> all; None -> nothing; Include -> all=false + include=list; Exclude -> all=true +
// exclude=list (and the JVB's older Custom -> all=false + include + exclude).
struct ReceiverAudioSubscription {
  static constexpr std::string_view kColibriClass = "ReceiverAudioSubscription";
  bool all = false;  // the JVB's default when absent
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  bool operator==(const ReceiverAudioSubscription&) const = default;
};

// Asks for a ServerHello on the same transport.
struct ClientHello {
  static constexpr std::string_view kColibriClass = "ClientHello";
  bool operator==(const ClientHello&) const = default;
};

using ClientMessage =
    std::variant<ReceiverVideoConstraints, LastNChangedEvent, EndpointMessage, EndpointStats,
                 SourceVideoTypeMessage, VideoTypeMessage, ReceiverAudioSubscription, ClientHello>;

// The colibriClass of a parsed message (for per-class counters).
std::string_view colibri_class(const ClientMessage& message);

// Parses one message received from a client. Input larger than kMaxMessageBytes or nested
// deeper than kMaxJsonDepth is rejected without building it. Classes that only the bridge sends
// come back as kUnexpectedClass, classes nobody defines as kUnknownClass.
Result<ClientMessage, ParseError> parse_client_message(std::string_view json);

// -------------------------------------------------------------------------------------------
// Bridge -> client and bridge -> relay

struct ServerHello {
  static constexpr std::string_view kColibriClass = "ServerHello";
  std::optional<std::string> version;  // only with videobridge.version.announce
};

// The complete set of video sources the bridge currently forwards to this receiver.
struct ForwardedSources {
  static constexpr std::string_view kColibriClass = "ForwardedSources";
  std::vector<std::string> forwarded_sources;
};

struct DominantSpeakerEndpointChangeEvent {
  static constexpr std::string_view kColibriClass = "DominantSpeakerEndpointChangeEvent";
  std::string dominant_speaker_endpoint;
  std::vector<std::string> previous_speakers;  // newest first
  bool silence = false;
};

// To a source's owner: the highest resolution anyone wants from it (0 = stop, -1 = unlimited).
struct SenderSourceConstraints {
  static constexpr std::string_view kColibriClass = "SenderSourceConstraints";
  std::string source_name;
  std::int32_t max_height = 0;
};

// `active` goes on the wire as the string "true" / "false", as the JVB writes it.
struct EndpointConnectivityStatusChangeEvent {
  static constexpr std::string_view kColibriClass = "EndpointConnectivityStatusChangeEvent";
  std::string endpoint;
  bool active = true;
};

struct ConnectionStats {
  static constexpr std::string_view kColibriClass = "ConnectionStats";
  std::int64_t estimated_downlink_bandwidth = 0;  // bit/s
};

// SSRC-rewriting slot assignments (VideoSourcesMap / AudioSourcesMap).
struct VideoSourceMapping {
  std::string source;
  std::optional<std::string> owner;  // written as null when absent
  std::uint32_t ssrc = 0;
  std::uint32_t rtx = 0;
  VideoType video_type = VideoType::kCamera;
  std::optional<std::string> mid;  // only with mid-based demux
};

struct VideoSourcesMap {
  static constexpr std::string_view kColibriClass = "VideoSourcesMap";
  std::vector<VideoSourceMapping> mapped_sources;
};

struct AudioSourceMapping {
  std::string source;
  std::optional<std::string> owner;
  std::uint32_t ssrc = 0;
  std::optional<std::string> mid;
};

struct AudioSourcesMap {
  static constexpr std::string_view kColibriClass = "AudioSourcesMap";
  std::vector<AudioSourceMapping> mapped_sources;
};

// A bridge-injected (translated) audio source started or stopped a talk-spurt.
struct SyntheticSourceSendingChangeEvent {
  static constexpr std::string_view kColibriClass = "SyntheticSourceSendingChangeEvent";
  std::string source_name;
  bool sending = false;
  std::uint32_t timestamp = 0;  // RTP timestamp at 48 kHz
};

std::string serialize(const ServerHello& message);
std::string serialize(const ForwardedSources& message);
std::string serialize(const DominantSpeakerEndpointChangeEvent& message);
std::string serialize(const SenderSourceConstraints& message);
std::string serialize(const EndpointConnectivityStatusChangeEvent& message);
std::string serialize(const ConnectionStats& message);
std::string serialize(const VideoSourcesMap& message);
std::string serialize(const AudioSourcesMap& message);
std::string serialize(const SyntheticSourceSendingChangeEvent& message);

// Client -> bridge classes, for tests, the relay side and bridge-to-bridge handshakes. Each
// reads back through parse_client_message() as an equal value. EndpointMessage and
// EndpointStats have no serializer: they are relayed with relay_with_from().
// SourceVideoTypeMessage is written as the JVB forwards it to relays (videoType upper case,
// endpointId when set).
std::string serialize(const ReceiverVideoConstraints& message);
std::string serialize(const LastNChangedEvent& message);
std::string serialize(const SourceVideoTypeMessage& message);
std::string serialize(const VideoTypeMessage& message);
std::string serialize(const ReceiverAudioSubscription& message);
std::string serialize(const ClientHello& message);

}  // namespace jvb::channel
