// The JSON messages of Janus's HTTP API (the Janus API of janus.c: create, attach, message,
// keepalive, destroy, and the events a long poll returns) and of its VideoRoom plugin (room
// create, publisher joinandconfigure, multistream subscriber join and start), as the load
// generator uses them; and which SSRC of a subscriber offer carries which publisher's feed.
//
// Pure: values in, JSON text out; JSON text in, structures or an error out. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/result.hpp"
#include "tools/loadgen/janus_sdp.hpp"

namespace jvb::loadgen {

inline constexpr std::string_view kVideoRoomPlugin = "janus.plugin.videoroom";

// ---- requests ----
std::string janus_create_session(std::string_view transaction);
std::string janus_attach(std::string_view transaction);  // to the VideoRoom plugin
std::string janus_keepalive(std::string_view transaction);
std::string janus_destroy_session(std::string_view transaction);
// A room for `publishers` VP8/opus publishers; transport-cc and audio-level as Janus defaults.
std::string janus_create_room(std::string_view transaction, std::uint64_t room, int publishers);
// joinandconfigure: join as publisher `id` with the offer (no trickle: candidates are in it).
std::string janus_join_publisher(std::string_view transaction, std::uint64_t room, std::uint64_t id,
                                 std::string_view display, std::string_view offer_sdp);
// One subscriber PeerConnection for every feed of `feeds`, each on simulcast `substream`.
std::string janus_join_subscriber(std::string_view transaction, std::uint64_t room,
                                  std::span<const std::uint64_t> feeds, int substream);
// start: the subscriber's answer.
std::string janus_start(std::string_view transaction, std::uint64_t room, std::string_view answer_sdp);

// ---- replies and events ----
struct JanusStream {
  std::string mid;
  std::string type;  // "audio", "video", "data"
  std::uint64_t feed_id = 0;
};

struct JanusMessage {
  std::string janus;  // "success", "error", "ack", "event", "keepalive", "webrtcup", "media", "hangup", ...
  std::string transaction;
  std::uint64_t session_id = 0;
  std::uint64_t sender = 0;        // the handle an event is about
  std::uint64_t data_id = 0;       // success: data.id (the new session or handle)
  std::string error;               // the Janus error or the plugin's error_code/error, as text; empty = none
  std::string videoroom;           // plugindata.data.videoroom: "created", "joined", "attached", "event", ...
  std::uint64_t publisher_id = 0;  // "joined": data.id
  std::optional<std::string> jsep_type, jsep_sdp;
  std::vector<JanusStream> streams;  // "attached", "updated"
};

// A reply body, or what a long poll returned: one message or a JSON array of them.
Result<std::vector<JanusMessage>, std::string> parse_janus_messages(std::string_view body);

// What Janus sends on one SSRC of a subscriber PeerConnection.
struct SubscribedSsrc {
  std::uint32_t ssrc = 0;
  std::uint64_t feed_id = 0;
  bool video = false;
};
// The primary SSRC of every accepted m-line of `offer`, matched to its feed by mid through the
// "attached" event's streams. M-lines without an SSRC or a known feed are left out.
std::vector<SubscribedSsrc> subscribed_ssrcs(const SessionDescription& offer,
                                             std::span<const JanusStream> streams,
                                             std::span<const std::string> accepted_mids);

// Janus's simulcast substream for a receiver's maxHeight: 2 (720p) from 720, 1 from 360, else 0.
int substream_for_height(int max_height);

}  // namespace jvb::loadgen
