// Tests of tools/loadgen/options.hpp and scenario.hpp: the command line, the plan (ids, roles,
// SSRCs, sampling), the Colibri2 sources and the receiver's constraints message.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <vector>

#include "bridge/channel/bridge_channel_message.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/scenario.hpp"

using namespace jvb;
using namespace jvb::loadgen;

namespace {

Result<Options, std::string> parse(std::vector<std::string_view> args) { return parse_options(args); }

}  // namespace

TEST_CASE("the command line") {
  auto o = parse({"--bridge",
                  "http://127.0.0.1:9/",
                  "--conferences",
                  "2",
                  "--participants",
                  "5",
                  "--senders",
                  "3",
                  "--speakers",
                  "2",
                  "--last-n",
                  "4",
                  "--max-height",
                  "360",
                  "--duration",
                  "2.5",
                  "--bind",
                  "127.0.0.2",
                  "--dtx",
                  "--sample",
                  "3",
                  "--json",
                  "out.json",
                  "--on-stage",
                  "--warmup",
                  "0"});
  REQUIRE(o);
  CHECK(o->bridge_url == "http://127.0.0.1:9/");
  CHECK(o->conferences == 2);
  CHECK(o->participants == 5);
  CHECK(o->video_senders() == 3);
  CHECK(o->speakers == 2);
  CHECK(o->last_n == 4);
  CHECK(o->max_height == 360);
  CHECK(o->duration_s == 2.5);
  CHECK(o->warmup_s == 0);
  CHECK(o->bind == "127.0.0.2");
  CHECK(o->dtx);
  CHECK(o->on_stage);
  CHECK(o->sample == 3);
  CHECK(o->json_path == "out.json");
  CHECK(o->total_endpoints() == 10);

  auto defaults = parse({});
  REQUIRE(defaults);
  CHECK(defaults->video_senders() == defaults->participants);
  CHECK(defaults->last_n == -1);

  CHECK(parse({"--help"})->help);
  CHECK(parse({"--participants"}).error() == "--participants needs a value");
  CHECK_FALSE(parse({"--participants", "0"}));
  CHECK_FALSE(parse({"--participants", "3x"}));
  CHECK_FALSE(parse({"--duration", "nan"}));
  CHECK_FALSE(parse({"--last-n", "-2"}));
  CHECK_FALSE(parse({"--frobnicate"}));
  CHECK_FALSE(parse({"--participants", "3", "--senders", "4"}));
  CHECK_FALSE(parse({"--participants", "3", "--speakers", "4"}));
  CHECK_FALSE(parse({"--bridge", "127.0.0.1:8080"}));
}

TEST_CASE("the plan: ids, roles, unique SSRCs, sampling") {
  Options o;
  o.conferences = 3;
  o.participants = 4;
  o.senders = 2;
  o.speakers = 1;
  Plan plan = make_plan(o, 0xABCD);
  REQUIRE(plan.conferences.size() == 3);
  REQUIRE(plan.endpoints.size() == 12);
  CHECK(plan.sample_every == 1);
  std::set<std::string> meetings;
  std::set<std::uint32_t> ssrcs;
  for (const auto& c : plan.conferences) {
    meetings.insert(c.meeting_id);
    CHECK(c.endpoints.size() == 4);
    std::set<std::string> ids;
    for (std::size_t i : c.endpoints) ids.insert(plan.endpoints[i].id);
    CHECK(ids.size() == 4);
  }
  CHECK(meetings.size() == 3);
  for (const auto& e : plan.endpoints) {
    CAPTURE(e.id);
    CHECK(e.id.size() == 8);
    CHECK(e.sends_video == (e.position < 2));
    CHECK(e.speaking == (e.position < 1));
    CHECK(e.sampled);
    CHECK(ssrcs.insert(e.audio_ssrc).second);
    CHECK(plan.ssrcs.at(e.audio_ssrc).kind == SsrcInfo::Kind::kAudio);
    CHECK(plan.ssrcs.at(e.audio_ssrc).endpoint == e.index);
    for (std::size_t l = 0; l < kLayers; ++l) {
      CHECK(ssrcs.insert(e.video_ssrcs[l]).second);
      CHECK(ssrcs.insert(e.rtx_ssrcs[l]).second);
      if (!e.sends_video) {
        CHECK_FALSE(plan.ssrcs.count(e.video_ssrcs[l]));
        continue;
      }
      const SsrcInfo& rtx = plan.ssrcs.at(e.rtx_ssrcs[l]);
      CHECK(rtx.kind == SsrcInfo::Kind::kRtx);
      CHECK(rtx.primary == e.video_ssrcs[l]);
      CHECK(rtx.layer == static_cast<int>(l));
    }
  }

  CHECK(default_sample_every(20) == 1);
  CHECK(default_sample_every(21) == 2);
  CHECK(default_sample_every(500) == 25);
  o.conferences = 10;
  o.participants = 10;
  Plan big = make_plan(o, 1);
  CHECK(big.sample_every == 5);
  std::size_t sampled = 0;
  for (const auto& e : big.endpoints) sampled += e.sampled ? 1 : 0;
  CHECK(sampled == 20);
}

TEST_CASE("sources as a browser's answer gives them: SIM over three layers, a FID per layer") {
  Options o;
  o.participants = 2;
  o.senders = 1;
  Plan plan = make_plan(o, 1);
  auto sender = media_sources(plan.endpoints[0]);
  REQUIRE(sender.size() == 2);
  CHECK(sender[0].type == signaling::MediaType::kAudio);
  CHECK(sender[0].id.str() == plan.endpoints[0].id + "-a0");
  REQUIRE(sender[0].sources.size() == 1);
  CHECK(sender[0].sources[0].ssrc.value() == plan.endpoints[0].audio_ssrc);
  const auto& video = sender[1];
  CHECK(video.type == signaling::MediaType::kVideo);
  CHECK(video.id.str() == plan.endpoints[0].id + "-v0");
  CHECK(video.sources.size() == 6);
  for (const auto& s : video.sources) {
    CHECK(s.name == video.id);
    CHECK(s.video_type == "camera");
  }
  REQUIRE(video.ssrc_groups.size() == 4);
  CHECK(video.ssrc_groups[0].kind() == signaling::SsrcGroupSemantics::kSim);
  REQUIRE(video.ssrc_groups[0].ssrcs.size() == 3);
  for (std::size_t l = 0; l < kLayers; ++l) {
    CHECK(video.ssrc_groups[0].ssrcs[l].value() == plan.endpoints[0].video_ssrcs[l]);
    const auto& fid = video.ssrc_groups[1 + l];
    CHECK(fid.kind() == signaling::SsrcGroupSemantics::kFid);
    REQUIRE(fid.ssrcs.size() == 2);
    CHECK(fid.ssrcs[0].value() == plan.endpoints[0].video_ssrcs[l]);
    CHECK(fid.ssrcs[1].value() == plan.endpoints[0].rtx_ssrcs[l]);
  }
  CHECK(media_sources(plan.endpoints[1]).size() == 1);  // audio only
}

TEST_CASE("receiver constraints: lastN, the default maxHeight, an on-stage sender at 720") {
  Options o;
  o.participants = 3;
  o.last_n = 2;
  o.max_height = 180;
  Plan plan = make_plan(o, 1);
  auto parsed = channel::parse_client_message(receiver_constraints(o, plan, plan.endpoints[1]));
  REQUIRE(parsed);
  auto* c = std::get_if<channel::ReceiverVideoConstraints>(&*parsed);
  REQUIRE(c);
  CHECK(c->last_n == 2);
  REQUIRE(c->default_constraints);
  CHECK(c->default_constraints->max_height == 180);
  CHECK_FALSE(c->on_stage_sources);

  o.on_stage = true;
  for (std::size_t receiver : {0u, 1u}) {
    auto json = nlohmann::json::parse(receiver_constraints(o, plan, plan.endpoints[receiver]));
    // The first sender other than the receiver itself.
    std::string stage = plan.endpoints[receiver == 0 ? 1 : 0].video_source();
    CHECK(json["colibriClass"] == "ReceiverVideoConstraints");
    CHECK(json["onStageSources"] == nlohmann::json::array({stage}));
    CHECK(json["constraints"][stage]["maxHeight"] == 720);
  }
}
