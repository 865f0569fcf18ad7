// The scenario a run plays: which conferences exist, who is in them, who sends video, who speaks,
// which endpoints are sampled (decrypt and parse everything), every SSRC in the run, the
// Colibri2 sources each endpoint announces (as tools/focus/sdp.cpp reads them from a browser's
// answer: one audio source "<ep>-a0", one camera "<ep>-v0" with three simulcast SSRCs in a SIM
// group and one FID group per layer; RFC 5576 groups, RFC 4588 RTX), and the bridge-channel
// message each receiver sends (ReceiverVideoConstraints, JVB's BridgeChannelMessage.kt).
//
// Pure: options in, a plan out; no I/O, no clock, no global state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/signaling/colibri2.hpp"
#include "tools/loadgen/options.hpp"

namespace jvb::loadgen {

inline constexpr std::size_t kLayers = 3;  // VP8 simulcast: 180p, 360p, 720p

struct EndpointPlan {
  std::size_t index = 0;  // in Plan::endpoints
  std::size_t conference = 0;
  std::size_t position = 0;  // in its conference, join order
  std::string id;            // the Colibri2 endpoint id (8 hex digits, as Jitsi Meet's)
  bool sends_video = false;
  bool speaking = false;
  bool sampled = false;
  std::uint32_t audio_ssrc = 0;
  std::array<std::uint32_t, kLayers> video_ssrcs{};  // lowest layer first
  std::array<std::uint32_t, kLayers> rtx_ssrcs{};    // the FID partner of each layer

  std::string audio_source() const { return id + "-a0"; }
  std::string video_source() const { return id + "-v0"; }
};

struct ConferencePlan {
  std::string meeting_id;
  std::string name;                    // the room JID Jicofo would send
  std::vector<std::size_t> endpoints;  // indexes into Plan::endpoints, join order
};

// What an SSRC of the run is, for receivers to attribute what the bridge forwards.
struct SsrcInfo {
  enum class Kind : std::uint8_t { kAudio, kVideo, kRtx };
  std::size_t endpoint = 0;  // the sender, an index into Plan::endpoints
  Kind kind = Kind::kAudio;
  int layer = -1;             // video and RTX
  std::uint32_t primary = 0;  // RTX: the SSRC it repairs; otherwise the SSRC itself
};
using SsrcDirectory = std::unordered_map<std::uint32_t, SsrcInfo>;

struct Plan {
  std::vector<ConferencePlan> conferences;
  std::vector<EndpointPlan> endpoints;
  SsrcDirectory ssrcs;
  int sample_every = 1;
};

// `run_id` makes meeting ids unique per run (the shell passes a random number).
Plan make_plan(const Options& options, std::uint32_t run_id);

// 1 (every endpoint) up to 20 endpoints, then one in ceil(total / 20).
int default_sample_every(int total_endpoints);

// The sources the endpoint announces in its Colibri2 update: audio always, video when it sends.
std::vector<signaling::MediaSource> media_sources(const EndpointPlan& endpoint);

// The ReceiverVideoConstraints `receiver` sends on its bridge channel: lastN, the default
// maxHeight and, with --on-stage, the first other video sender of its conference at 720p.
std::string receiver_constraints(const Options& options, const Plan& plan, const EndpointPlan& receiver);

}  // namespace jvb::loadgen
