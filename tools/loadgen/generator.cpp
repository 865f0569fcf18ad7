// See generator.hpp.
#include "tools/loadgen/generator.hpp"

#include <fmt/format.h>
#include <libsoup/soup.h>

#include <algorithm>

#include "tools/focus/rest_colibri_client.hpp"
#include "tools/focus/sdp.hpp"

namespace jvb::loadgen {

Generator::Generator(Options options, Plan plan, GMainLoop* loop)
    : GeneratorBase(std::move(options), std::move(plan), loop,
                    {"videobridge", "endpoints", "the bridge did not answer every expire in time"}) {
  endpoint_config_.dtx = options_.dtx;
  if (!options_.srtp_profiles.empty()) endpoint_config_.transport.dtls.profiles = options_.srtp_profiles;
}

Generator::~Generator() {
  for (auto& slot : slots_) slot.channel.reset();
  colibri_.reset();
  if (ws_session_) g_object_unref(ws_session_);
}

std::optional<std::string> Generator::prepare() {
  if (auto error = prepare_peers(plan_.endpoints.size())) return error;
  slots_.resize(peers_.size());
  return std::nullopt;
}

void Generator::begin() {
  colibri_ = std::make_unique<focus::RestColibriClient>(options_.bridge_url);
  // Every endpoint keeps its WebSocket open for the whole run: no per-host connection cap.
  ws_session_ =
      soup_session_new_with_options("max-conns", 65535, "max-conns-per-host", 65535, "timeout", 10u, nullptr);
  say(fmt::format("{} conference(s) x {} participants on {} ({} sockets on {})", options_.conferences,
                  options_.participants, colibri_->describe(), peers_.size(), options_.bind));
  // Each conference's participants join one after the other, as Jicofo would see them: the next
  // create is queued behind the previous endpoint's update.
  for (const auto& conference : plan_.conferences)
    if (!conference.endpoints.empty()) create_endpoint(conference.endpoints.front());
}

// ---- allocation ----

void Generator::create_endpoint(std::size_t index) {
  const EndpointPlan& e = plan_.endpoints[index];
  const ConferencePlan& conference = plan_.conferences[e.conference];
  signaling::ConferenceModify request;
  signaling::Endpoint endpoint;
  endpoint.id = signaling::EndpointId(e.id);
  endpoint.create = true;
  endpoint.stats_id = e.id;
  endpoint.medias = focus::endpoint_medias();
  endpoint.transport = signaling::Transport{};
  endpoint.transport->ice_controlling = true;
  endpoint.capabilities = {std::string(signaling::kCapabilitySourceNames)};
  request.endpoints.push_back(std::move(endpoint));
  if (e.position == 0) {
    request.meeting_id = signaling::MeetingId(conference.meeting_id);
    request.name = conference.name;
    request.create = true;
  }
  colibri_->modify(conference.meeting_id, request,
                   [this, index](const focus::ColibriResult& reply) { on_created(index, reply); });
}

void Generator::on_created(std::size_t index, const focus::ColibriResult& reply) {
  Peer& peer = *peers_[index];
  Slot& slot = slots_[index];
  const EndpointPlan& e = plan_.endpoints[index];
  const ConferencePlan& conference = plan_.conferences[e.conference];
  auto next = [&] {
    if (e.position + 1 < conference.endpoints.size() && phase() == Phase::kConnecting)
      create_endpoint(conference.endpoints[e.position + 1]);
  };
  if (!reply) {
    fail_slot(index, "endpoint create failed: " + reply.error().text);
    return next();
  }
  const signaling::IceUdpTransport* bridge = nullptr;
  for (const auto& answered : reply->endpoints)
    if (answered.id.str() == e.id && answered.transport && answered.transport->ice)
      bridge = &*answered.transport->ice;
  if (!bridge) {
    fail_slot(index, "the bridge's answer has no transport");
    return next();
  }
  make_endpoint(peer, e, endpoint_config_);
  if (auto error = peer.endpoint->set_bridge_transport(*bridge, Clock::now())) {
    fail_slot(index, *error);
    peer.endpoint.reset();
    return next();
  }

  // session-accept: the client's transport and its sources (as Jicofo sends session-accept).
  signaling::ConferenceModify update;
  signaling::Endpoint endpoint;
  endpoint.id = signaling::EndpointId(e.id);
  endpoint.transport = signaling::Transport{};
  endpoint.transport->ice = peer.endpoint->local_transport();
  endpoint.sources = media_sources(e);
  update.endpoints.push_back(std::move(endpoint));
  colibri_->modify(conference.meeting_id, update, [this, index](const focus::ColibriResult& answer) {
    if (!answer) fail_slot(index, "endpoint update failed: " + answer.error().text);
  });

  if (auto url = focus::bridge_websocket_url(*bridge)) {
    slot.channel = std::make_unique<BridgeChannelClient>(
        ws_session_, *url,
        [this, index] {
          Slot& s = slots_[index];
          s.channel_open = s.channel_done = true;
        },
        [this, index](const std::string& why) {
          Slot& s = slots_[index];
          s.channel_done = true;
          if (phase() <= Phase::kMeasuring && s.error.empty()) s.error = why;
          s.channel_open = false;
        });
    slot.channel->send(receiver_constraints(options_, plan_, e));
  } else {
    slot.channel_done = true;
    if (index == 0)
      say("the bridge offers no colibri-ws (videobridge.websockets): no bridge channel, no video");
  }
  arm(peer);
  next();
}

void Generator::fail_slot(std::size_t index, std::string error) {
  Slot& slot = slots_[index];
  if (slot.error.empty()) slot.error = std::move(error);
  slot.channel_done = true;
  if (options_.verbose) say(fmt::format("{}: {}", plan_.endpoints[index].id, slot.error));
}

// ---- phases ----

bool Generator::all_settled() const {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const auto& endpoint = peers_[i]->endpoint;
    if (!slots_[i].error.empty()) continue;
    if (!endpoint) return false;  // still being allocated
    if (!endpoint->connected() && endpoint->failure().empty()) return false;
    if (!slots_[i].channel_done) return false;
  }
  return true;
}

std::optional<std::string> Generator::nothing_to_measure() const {
  if (std::any_of(peers_.begin(), peers_.end(), [](const auto& p) { return p->endpoint != nullptr; }))
    return std::nullopt;
  return "the bridge allocated no endpoint";
}

Report Generator::report_on(RunInfo& run) {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    run.endpoints.push_back(peers_[i]->endpoint.get());
    run.channel_open.push_back(slots_[i].channel_open);
    run.allocation_errors.push_back(slots_[i].error);
  }
  return make_report(run);
}

std::size_t Generator::send_expiry() {
  for (const auto& conference : plan_.conferences) {
    signaling::ConferenceModify request;
    request.expire = true;
    colibri_->modify(conference.meeting_id, request,
                     [this, id = conference.meeting_id](const focus::ColibriResult& r) {
                       if (!r) say(fmt::format("expiring conference {} failed: {}", id, r.error().text));
                       expiry_answered();
                     });
  }
  return plan_.conferences.size();
}

}  // namespace jvb::loadgen
