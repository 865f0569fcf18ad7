// See scenario.hpp.
#include "tools/loadgen/scenario.hpp"

#include <fmt/format.h>

#include "bridge/channel/bridge_channel_message.hpp"

namespace jvb::loadgen {
namespace {

// SSRCs are laid out per endpoint, 8 apart, so a packet capture names its sender at a glance;
// the base keeps them clear of 0 and of small values some stacks treat specially.
constexpr std::uint32_t kSsrcBase = 0x10000000;
constexpr std::uint32_t kSsrcStride = 8;
constexpr int kTargetSampled = 20;

}  // namespace

int default_sample_every(int total_endpoints) {
  if (total_endpoints <= kTargetSampled) return 1;
  return (total_endpoints + kTargetSampled - 1) / kTargetSampled;
}

Plan make_plan(const Options& options, std::uint32_t run_id) {
  Plan plan;
  plan.sample_every = options.sample > 0 ? options.sample : default_sample_every(options.total_endpoints());
  for (int c = 0; c < options.conferences; ++c) {
    ConferencePlan conference;
    // UUID-shaped, as Jicofo's meeting ids are.
    conference.meeting_id = fmt::format("{:08x}-10ad-4000-8000-{:012x}", run_id, c);
    conference.name = fmt::format("loadgen{:08x}-{}@conference.loadgen.invalid", run_id, c);
    for (int p = 0; p < options.participants; ++p) {
      EndpointPlan e;
      e.index = plan.endpoints.size();
      e.conference = static_cast<std::size_t>(c);
      e.position = static_cast<std::size_t>(p);
      e.id = fmt::format("{:04x}{:04x}", c & 0xFFFF, p & 0xFFFF);
      e.sends_video = p < options.video_senders();
      e.speaking = p < options.speakers;
      e.sampled = e.index % static_cast<std::size_t>(plan.sample_every) == 0;
      std::uint32_t base = kSsrcBase + static_cast<std::uint32_t>(e.index) * kSsrcStride;
      e.audio_ssrc = base;
      plan.ssrcs[e.audio_ssrc] = {e.index, SsrcInfo::Kind::kAudio, -1, e.audio_ssrc};
      for (std::size_t l = 0; l < kLayers; ++l) {
        e.video_ssrcs[l] = base + 1 + static_cast<std::uint32_t>(l);
        e.rtx_ssrcs[l] = base + 4 + static_cast<std::uint32_t>(l);
        if (!e.sends_video) continue;
        plan.ssrcs[e.video_ssrcs[l]] = {e.index, SsrcInfo::Kind::kVideo, static_cast<int>(l),
                                        e.video_ssrcs[l]};
        plan.ssrcs[e.rtx_ssrcs[l]] = {e.index, SsrcInfo::Kind::kRtx, static_cast<int>(l), e.video_ssrcs[l]};
      }
      conference.endpoints.push_back(e.index);
      plan.endpoints.push_back(std::move(e));
    }
    plan.conferences.push_back(std::move(conference));
  }
  return plan;
}

std::vector<signaling::MediaSource> media_sources(const EndpointPlan& e) {
  std::vector<signaling::MediaSource> out;
  signaling::MediaSource audio;
  audio.type = signaling::MediaType::kAudio;
  audio.id = signaling::SourceName(e.audio_source());
  audio.sources.push_back({signaling::Ssrc(e.audio_ssrc), audio.id, "", "", {}});
  out.push_back(std::move(audio));
  if (!e.sends_video) return out;

  signaling::MediaSource video;
  video.type = signaling::MediaType::kVideo;
  video.id = signaling::SourceName(e.video_source());
  signaling::SsrcGroup sim{"SIM", {}};
  for (std::size_t l = 0; l < kLayers; ++l) {
    video.sources.push_back({signaling::Ssrc(e.video_ssrcs[l]), video.id, "camera", "", {}});
    video.sources.push_back({signaling::Ssrc(e.rtx_ssrcs[l]), video.id, "camera", "", {}});
    sim.ssrcs.push_back(signaling::Ssrc(e.video_ssrcs[l]));
  }
  video.ssrc_groups.push_back(std::move(sim));
  for (std::size_t l = 0; l < kLayers; ++l) {
    video.ssrc_groups.push_back(
        {"FID", {signaling::Ssrc(e.video_ssrcs[l]), signaling::Ssrc(e.rtx_ssrcs[l])}});
  }
  out.push_back(std::move(video));
  return out;
}

std::string receiver_constraints(const Options& options, const Plan& plan, const EndpointPlan& receiver) {
  channel::ReceiverVideoConstraints message;
  message.last_n = options.last_n;
  message.default_constraints = channel::VideoConstraints{options.max_height, std::nullopt};
  if (options.on_stage) {
    for (std::size_t index : plan.conferences[receiver.conference].endpoints) {
      const EndpointPlan& other = plan.endpoints[index];
      if (other.index == receiver.index || !other.sends_video) continue;
      message.on_stage_sources = std::vector<std::string>{other.video_source()};
      message.constraints = std::map<std::string, channel::VideoConstraints, std::less<>>{
          {other.video_source(), channel::VideoConstraints{720, std::nullopt}}};
      break;
    }
  }
  return channel::serialize(message);
}

}  // namespace jvb::loadgen
