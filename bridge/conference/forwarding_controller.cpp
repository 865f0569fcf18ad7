// See forwarding_controller.hpp. Message names are those of JVB's BridgeChannelMessage.kt.
#include "bridge/conference/forwarding_controller.hpp"

#include <algorithm>
#include <cmath>
#include <variant>

#include "bridge/channel/bridge_channel_message.hpp"
#include "bridge/core/log.hpp"
#include "bridge/core/strings.hpp"

namespace jvb::conference {
namespace {

constexpr log::Logger kLog{"ForwardingController"};

allocation::VideoType to_allocation(channel::VideoType type) {
  switch (type) {
    case channel::VideoType::kCamera:
      return allocation::VideoType::kCamera;
    case channel::VideoType::kDesktop:
      return allocation::VideoType::kDesktop;
    case channel::VideoType::kDesktopHighFps:
      return allocation::VideoType::kDesktopHighFps;
    case channel::VideoType::kNone:
      return allocation::VideoType::kNone;
    case channel::VideoType::kDisabled:
      return allocation::VideoType::kDisabled;
  }
  return allocation::VideoType::kCamera;
}

channel::VideoType to_channel(allocation::VideoType type) {
  switch (type) {
    case allocation::VideoType::kCamera:
      return channel::VideoType::kCamera;
    case allocation::VideoType::kDesktop:
      return channel::VideoType::kDesktop;
    case allocation::VideoType::kDesktopHighFps:
      return channel::VideoType::kDesktopHighFps;
    case allocation::VideoType::kNone:
      return channel::VideoType::kNone;
    case allocation::VideoType::kDisabled:
      return channel::VideoType::kDisabled;
  }
  return channel::VideoType::kCamera;
}

allocation::VideoConstraints to_allocation(const channel::VideoConstraints& c) {
  return {c.max_height, c.max_frame_rate.value_or(-1)};
}

allocation::ConstraintsUpdate to_update(const channel::ReceiverVideoConstraints& m) {
  allocation::ConstraintsUpdate u;
  u.last_n = m.last_n;
  u.selected_sources = m.selected_sources;
  u.on_stage_sources = m.on_stage_sources;
  u.selected_endpoints = m.selected_endpoints;
  u.on_stage_endpoints = m.on_stage_endpoints;
  if (m.default_constraints) u.default_constraints = to_allocation(*m.default_constraints);
  if (m.constraints) {
    allocation::ConstraintsMap map;
    for (const auto& [name, c] : *m.constraints) map.emplace(name, to_allocation(c));
    u.constraints = std::move(map);
  }
  u.assumed_bandwidth_bps = m.assumed_bandwidth_bps;
  return u;
}

// Until a keyframe tells the real resolution, simulcast encodings are assumed to be the usual
// quarter, half and full of 720p, so that a maxHeight picks a sensible encoding from the start.
int assumed_height(std::size_t index, std::size_t count) {
  return 720 >> std::min<std::size_t>(count - 1 - index, 4);
}

}  // namespace

// The controller's part of an endpoint's record: what it gets, its bridge channel, its activity.
struct EndpointForwarding {
  using Conference = ForwardingController::Conference;
  Endpoint* record = nullptr;  // what signaling said: its id, sources, initial last-n
  transport::EndpointHandle handle = 0;
  Conference* conference = nullptr;
  // Its video sources as the allocation sees them: signaled, with the video types the client
  // announced on the bridge channel, which outlive re-signaling of the source.
  struct VideoSource {
    std::string name;
    allocation::VideoType video_type = allocation::VideoType::kCamera;
  };
  std::vector<VideoSource> video_sources;
  bool ssrc_rewriting = false;  // gets VideoSourcesMap / AudioSourcesMap
  allocation::AllocationSettings settings;
  allocation::AllocationTracker allocation;
  std::optional<std::vector<Router::VideoTarget>> targets;             // what the router was last given
  std::map<std::string, allocation::VideoType> announced_video_types;  // SourceVideoTypeMessage
  bool sctp_open = false, ws_open = false;
  bool channel_open() const { return sctp_open || ws_open; }
  ChannelTransport channel = ChannelTransport::kSctp;  // where messages go
  // Message budget: a token bucket refilled over time.
  double tokens = 0;
  Timestamp tokens_at{};
  // Connectivity (EndpointConnectivityStatusChangeEvent).
  Timestamp created{};
  bool active = true;
  // The estimate of its link the last allocation used, and when it is next told the estimate.
  std::optional<std::uint64_t> allocated_estimate;
  std::optional<Timestamp> next_connection_stats;
  // When its transport first connected, until the bridge channel was checked for.
  std::optional<Timestamp> awaiting_channel_since;
  bool channel_checked = false;
  std::uint64_t messages_in = 0, messages_out = 0, messages_dropped = 0;

  explicit EndpointForwarding(const allocation::AllocationSettingsConfig& config) : settings(config) {}
};

struct ForwardingController::Conference {
  std::string id;
  std::vector<EndpointForwarding*> members;  // in join order
  speech::ConferenceSpeechActivity speech;
  // What each sender was last told about each of its sources (SenderSourceConstraints).
  std::map<std::string, int> sender_constraints;
  bool needs_allocation = false;
  std::optional<Timestamp> next_allocation;

  explicit Conference(const speech::SpeechActivityConfig& config) : speech(config) {}
  EndpointForwarding* member(std::string_view endpoint_id) const {
    for (EndpointForwarding* e : members)
      if (e->record->id.str() == endpoint_id) return e;
    return nullptr;
  }
};

ForwardingController::ForwardingController(ForwardingOptions options, Router& router, SendMessage send)
    : options_(std::move(options)), router_(router), send_(std::move(send)) {
  // What the packet path tells the controller: speech levels and new SSRC slots.
  router_.set_audio_level_sink([this](transport::EndpointHandle sender, std::uint8_t level, Timestamp now) {
    on_audio_level(sender, level, now);
  });
  router_.set_mapping_sink([this](transport::EndpointHandle receiver) { on_mappings_changed(receiver); });
}

ForwardingController::~ForwardingController() {
  router_.set_audio_level_sink({});
  router_.set_mapping_sink({});
}

EndpointForwarding* ForwardingController::find(transport::EndpointHandle id) {
  auto it = endpoints_.find(id);
  return it == endpoints_.end() ? nullptr : it->second;
}

void EndpointPartDeleter::operator()(EndpointForwarding* part) const { delete part; }

void ForwardingController::set_endpoint(Endpoint& endpoint, Timestamp now) {
  const transport::EndpointHandle id = endpoint.handle;
  if (!endpoint.forwarding) {
    allocation::AllocationSettingsConfig config = options_.settings;
    if (endpoint.initial_last_n) config.initial_last_n = *endpoint.initial_last_n;
    endpoint.forwarding.reset(new EndpointForwarding(config));
    endpoint.forwarding->created = now;
    endpoint.forwarding->tokens = options_.message_burst;
    endpoint.forwarding->tokens_at = now;
    endpoints_[id] = endpoint.forwarding.get();
  }
  EndpointForwarding& e = *endpoint.forwarding;
  e.record = &endpoint;
  e.handle = id;
  e.ssrc_rewriting = endpoint.has_capability(signaling::kCapabilitySsrcRewriting);
  e.video_sources.clear();
  for (const auto& ms : endpoint.sources) {
    if (ms.type != signaling::MediaType::kVideo) continue;
    auto type = allocation::VideoType::kCamera;
    for (const auto& s : ms.sources) {
      if (iequals(s.video_type, "desktop")) type = allocation::VideoType::kDesktop;
      if (iequals(s.video_type, "desktop_high_fps")) type = allocation::VideoType::kDesktopHighFps;
    }
    if (auto t = e.announced_video_types.find(ms.id.str()); t != e.announced_video_types.end())
      type = t->second;
    e.video_sources.push_back({ms.id.str(), type});
  }
  auto& conf = conferences_[endpoint.conference];
  if (!conf) {
    conf = std::make_unique<Conference>(options_.speech);
    conf->id = endpoint.conference;
  }
  if (e.conference != conf.get()) {
    conf->members.push_back(&e);
    e.conference = conf.get();
    conf->speech.add_endpoint(id, !e.video_sources.empty());
  } else {
    conf->speech.set_has_video(id, !e.video_sources.empty());
  }
  reallocate(*conf, now);
}

void ForwardingController::remove_endpoint(Endpoint& endpoint, Timestamp now) {
  if (!endpoint.forwarding) return;
  const transport::EndpointHandle id = endpoint.handle;
  Conference* conf = endpoint.forwarding->conference;
  // Out of the member list and the index before it is freed: they hold raw pointers.
  if (conf) std::erase(conf->members, endpoint.forwarding.get());
  endpoints_.erase(id);
  endpoint.forwarding.reset();
  if (!conf) return;
  if (conf->members.empty()) {
    conferences_.erase(std::string(conf->id));  // a copy: the key lives in the node it erases
    return;
  }
  conf->speech.remove_endpoint(id);
  send_speaker_events(*conf);
  reallocate(*conf, now);
}

void ForwardingController::on_channel_open(transport::EndpointHandle id, ChannelTransport transport,
                                           Timestamp) {
  EndpointForwarding* e = find(id);
  if (!e) return;
  (transport == ChannelTransport::kSctp ? e->sctp_open : e->ws_open) = true;
  e->channel = transport;
  // On connect, as JVB: ServerHello first over a WebSocket; then the current state of the conference.
  if (transport == ChannelTransport::kWebSocket)
    send(*e, channel::serialize(channel::ServerHello{options_.announced_version}));
  send(*e, channel::serialize(channel::ForwardedSources{e->allocation.current().forwarded_sources}));
  announce_mappings(*e, true);
  for (const auto& [source, max_height] : e->conference->sender_constraints) {
    bool own = std::any_of(e->video_sources.begin(), e->video_sources.end(),
                           [&](const auto& s) { return s.name == source; });
    if (own) send(*e, channel::serialize(channel::SenderSourceConstraints{source, max_height}));
  }
  for (EndpointForwarding* other : e->conference->members) {
    if (other != e && !other->active) {
      send(*e, channel::serialize(
                   channel::EndpointConnectivityStatusChangeEvent{other->record->id.str(), false}));
    }
  }
  if (auto current = e->conference->speech.current_message()) {
    if (auto event = speaker_event(*current)) send(*e, *event);
  }
}

void ForwardingController::on_channel_closed(transport::EndpointHandle id, ChannelTransport transport) {
  EndpointForwarding* e = find(id);
  if (!e) return;
  (transport == ChannelTransport::kSctp ? e->sctp_open : e->ws_open) = false;
  if (transport == e->channel)
    e->channel = e->sctp_open ? ChannelTransport::kSctp : ChannelTransport::kWebSocket;
}

void ForwardingController::on_message(transport::EndpointHandle id, ChannelTransport via,
                                      std::string_view text, Timestamp now) {
  EndpointForwarding* e = find(id);
  if (!e) return;
  e->channel = via;
  ++counters_.messages_in;
  ++e->messages_in;
  // Token bucket: a misbehaving client cannot make the bridge relay floods to its conference.
  double elapsed = std::chrono::duration<double>(now - e->tokens_at).count();
  e->tokens = std::min<double>(options_.message_burst,
                               e->tokens + std::max(elapsed, 0.0) * options_.messages_per_second);
  e->tokens_at = now;
  if (e->tokens < 1) {
    ++counters_.dropped_rate_limited;
    ++e->messages_dropped;
    return;
  }
  e->tokens -= 1;

  auto parsed = channel::parse_client_message(text);
  if (!parsed) {
    if (parsed.error().category == channel::ParseErrorCategory::kUnexpectedClass) {
      ++counters_.dropped_unexpected;
    } else {
      ++counters_.dropped_unparsable;
    }
    ++e->messages_dropped;
    kLog.fine("Dropped a bridge-channel message from {}: {}", e->record->id.str(), parsed.error().reason);
    return;
  }
  Conference& conf = *e->conference;
  std::visit(
      [&](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, channel::ClientHello>) {
          send(*e, channel::serialize(channel::ServerHello{options_.announced_version}));
        } else if constexpr (std::is_same_v<T, channel::ReceiverVideoConstraints>) {
          if (e->settings.apply(to_update(m))) reallocate(conf, now);
        } else if constexpr (std::is_same_v<T, channel::LastNChangedEvent>) {
          if (e->settings.set_last_n(m.last_n)) reallocate(conf, now);
        } else if constexpr (std::is_same_v<T, channel::EndpointMessage>) {
          std::string relayed = channel::relay_with_from(m.raw, e->record->id.str());
          if (m.is_broadcast()) {
            broadcast(conf, relayed, e);
          } else if (EndpointForwarding* target = conf.member(m.to); target && target != e) {
            send(*target, relayed);
          } else {
            ++counters_.dropped_unknown_target;
          }
        } else if constexpr (std::is_same_v<T, channel::EndpointStats>) {
          std::string relayed = channel::relay_with_from(m.raw, e->record->id.str());
          for (EndpointForwarding* r : conf.members) {
            if (r != e &&
                (conf.members.size() <= options_.stats_filter_threshold || wants_stats_of(conf, *r, *e)))
              send(*r, relayed);
          }
        } else if constexpr (std::is_same_v<T, channel::SourceVideoTypeMessage> ||
                             std::is_same_v<T, channel::VideoTypeMessage>) {
          std::string name;
          if constexpr (std::is_same_v<T, channel::SourceVideoTypeMessage>) {
            name = m.source_name;
          } else {
            name = e->record->id.str() + "-v0";
          }
          e->announced_video_types[name] = to_allocation(m.video_type);
          for (auto& source : e->video_sources) {
            if (source.name == name && source.video_type != to_allocation(m.video_type)) {
              source.video_type = to_allocation(m.video_type);
              reallocate(conf, now);
            }
          }
        } else if constexpr (std::is_same_v<T, channel::ReceiverAudioSubscription>) {
          router_.set_audio_subscription(e->handle, {m.all, m.include, m.exclude});
        }
      },
      *parsed);
}

void ForwardingController::on_audio_level(transport::EndpointHandle sender, std::uint8_t level,
                                          Timestamp now) {
  EndpointForwarding* e = find(sender);
  if (!e) return;
  e->conference->speech.on_level(sender, level, now);
}

void ForwardingController::on_mappings_changed(transport::EndpointHandle id) {
  if (EndpointForwarding* e = find(id)) announce_mappings(*e, false);
}

// VideoSourcesMap then AudioSourcesMap, with what changed (or everything, on connect).
void ForwardingController::announce_mappings(EndpointForwarding& receiver, bool all) {
  if (!receiver.ssrc_rewriting) return;
  auto video = router_.take_mappings(receiver.handle, media::SlotKind::kVideo, all);
  if (!video.empty() || all) {
    channel::VideoSourcesMap m;
    for (auto& v : video) {
      auto type = channel::video_type_from_string(v.video_type).value_or(channel::VideoType::kCamera);
      std::optional<std::string> mid;
      if (!v.mid.empty()) mid = v.mid;
      m.mapped_sources.push_back({v.source, v.owner, v.ssrc, v.rtx, type, mid});
    }
    send(receiver, channel::serialize(m));
  }
  auto audio = router_.take_mappings(receiver.handle, media::SlotKind::kAudio, all);
  if (!audio.empty() || all) {
    channel::AudioSourcesMap m;
    for (auto& a : audio) {
      std::optional<std::string> mid;
      if (!a.mid.empty()) mid = a.mid;
      m.mapped_sources.push_back({a.source, a.owner, a.ssrc, mid});
    }
    send(receiver, channel::serialize(m));
  }
}

void ForwardingController::send(EndpointForwarding& to, const std::string& message) {
  if (!to.channel_open() || !send_(to.handle, to.channel, message)) {
    ++counters_.outgoing_dropped;
    return;
  }
  ++counters_.messages_out;
  ++to.messages_out;
}

void ForwardingController::broadcast(Conference& conference, const std::string& message,
                                     const EndpointForwarding* except) {
  for (EndpointForwarding* e : conference.members) {
    if (e != except) send(*e, message);
  }
}

// EndpointStats: in a large conference a receiver gets the stats of a recent speaker, of
// a source it has on stage or selected, or of a source it is being sent.
bool ForwardingController::wants_stats_of(const Conference& conf, const EndpointForwarding& receiver,
                                          const EndpointForwarding& sender) const {
  auto recent = conf.speech.recent_speakers();
  if (std::find(recent.begin(), recent.end(), sender.handle) != recent.end()) return true;
  const auto& forwarded = receiver.allocation.current().forwarded_sources;
  for (const auto& source : sender.video_sources) {
    auto named = [&](const std::vector<std::string>& names) {
      return std::find(names.begin(), names.end(), source.name) != names.end();
    };
    if (named(forwarded) || named(receiver.settings.on_stage_sources()) ||
        named(receiver.settings.selected_sources()))
      return true;
  }
  return false;
}

void ForwardingController::reallocate(Conference& conf, Timestamp now) {
  conf.needs_allocation = false;
  conf.next_allocation = now + options_.reallocation_interval;
  // What every sender sends, once for all receivers, in last-N order (as JVB's allocator input).
  std::vector<allocation::VideoSource> ordered;
  std::map<std::string, transport::EndpointHandle> owner_of;
  std::map<std::string, allocation::VideoType> type_of;
  for (speech::SpeakerId id : conf.speech.ordered_endpoints()) {
    EndpointForwarding* sender = find(id);
    if (!sender) continue;
    auto sent = router_.video_sources(id, now);
    for (const auto& source : sender->video_sources) {
      allocation::VideoSource v{source.name, sender->record->id.str(), source.video_type, {}};
      auto info =
          std::find_if(sent.begin(), sent.end(), [&](const auto& s) { return s.name == source.name; });
      if (info != sent.end()) {
        for (std::size_t i = 0; i < info->encodings.size(); ++i) {
          const auto& enc = info->encodings[i];
          int height = enc.height > 0 ? enc.height : assumed_height(i, info->encodings.size());
          auto bps = enc.active ? std::max<std::int64_t>(static_cast<std::int64_t>(enc.bps), 1) : 0;
          v.layers.push_back({static_cast<int>(i), height, -1, bps});
        }
      }
      owner_of[source.name] = id;
      type_of[source.name] = source.video_type;
      ordered.push_back(std::move(v));
    }
  }

  // Per source, every receiver's effective constraints (for SenderSourceConstraints: the maximum).
  std::map<std::string, std::vector<allocation::VideoConstraints>> wanted;
  for (EndpointForwarding* receiver : conf.members) {
    std::vector<allocation::VideoSource> others;
    for (const auto& v : ordered) {
      if (v.owner != receiver->record->id.str()) others.push_back(v);
    }
    allocation::LastNCaps caps;
    caps.jvb_last_n = options_.jvb_last_n;
    caps.conference_size_limit =
        options_.conference_last_n_limits.limit_for(static_cast<int>(others.size()) + 1);
    caps.ssrc_limit_video = options_.ssrc_limit_video;
    // The budget: what the link can take, when the estimate is trusted (JVB's BitrateController:
    // an untrusted or missing estimate means no limit).
    receiver->allocated_estimate = router_.bandwidth_estimate(receiver->handle);
    std::optional<std::int64_t> budget;
    if (options_.budget_from_estimate && options_.trust_bwe && receiver->allocated_estimate)
      budget = static_cast<std::int64_t>(*receiver->allocated_estimate);
    auto result = allocation::allocate(receiver->settings, others, caps, budget, options_.allocator);
    ++counters_.allocations;
    // What it gets and would get with no limit: padding fills the gap up to the estimate, and
    // the estimator probes towards the ideal.
    router_.set_allocation_bitrates(receiver->handle, result.target_bps, result.ideal_bps, now);
    for (const auto& [name, c] : result.effective_constraints()) wanted[name].push_back(c);
    std::vector<Router::VideoTarget> targets;
    for (const auto& s : result.sources) {
      if (s.forwarded()) {
        targets.push_back({owner_of[s.name], s.name, s.target_layer,
                           std::string(channel::to_string(to_channel(type_of[s.name])))});
      }
    }
    auto changes = receiver->allocation.update(std::move(result));
    if (!receiver->targets || targets != *receiver->targets) {
      receiver->targets = targets;
      router_.set_video_targets(receiver->handle, targets);
      // Before any packet goes out on a new slot, so the client knows the SSRC.
      announce_mappings(*receiver, false);
    }
    if (changes.forwarded_sources) {
      send(*receiver,
           channel::serialize(channel::ForwardedSources{receiver->allocation.current().forwarded_sources}));
    }
  }
  // Every source of the conference gets a sender constraint, 0 when nobody wants it.
  for (const auto& v : ordered) {
    int max_height = allocation::sender_max_height(wanted[v.name]);
    const std::string& name = v.name;
    auto [it, inserted] = conf.sender_constraints.emplace(name, max_height);
    if (!inserted && it->second == max_height) continue;
    it->second = max_height;
    auto owner = owner_of.find(name);
    if (owner == owner_of.end()) continue;
    if (EndpointForwarding* sender = find(owner->second)) {
      send(*sender, channel::serialize(channel::SenderSourceConstraints{name, max_height}));
    }
  }
}

// The speech activity's ids as endpoint ids; nullopt when the dominant speaker is gone.
std::optional<std::string> ForwardingController::speaker_event(const speech::DominantSpeakerMessage& m) {
  EndpointForwarding* dominant = find(m.dominant);
  if (!dominant) return std::nullopt;
  channel::DominantSpeakerEndpointChangeEvent event;
  event.dominant_speaker_endpoint = dominant->record->id.str();
  for (auto previous : m.previous) {
    if (EndpointForwarding* p = find(previous)) event.previous_speakers.push_back(p->record->id.str());
  }
  event.silence = m.silence;
  return channel::serialize(event);
}

void ForwardingController::send_speaker_events(Conference& conf) {
  while (auto m = conf.speech.poll_broadcast()) {
    if (m->dominant_changed) ++counters_.dominant_speaker_changes;
    if (auto event = speaker_event(*m)) broadcast(conf, *event, nullptr);
  }
}

void ForwardingController::on_transport_connected(transport::EndpointHandle id, Timestamp now) {
  EndpointForwarding* e = find(id);
  if (e && !e->channel_checked) {
    e->channel_checked = true;
    e->awaiting_channel_since = now;
  }
}

// True when the estimate moved enough to allocate again (JVB's bwe-change-threshold, and any
// change from or to no estimate).
bool ForwardingController::estimate_moved(const EndpointForwarding& e) const {
  if (!options_.budget_from_estimate) return false;
  auto now = router_.bandwidth_estimate(e.handle);
  if (!now || !e.allocated_estimate) return now.has_value() != e.allocated_estimate.has_value();
  const double before = static_cast<double>(*e.allocated_estimate);
  return std::abs(static_cast<double>(*now) - before) > options_.bwe_change_threshold * before;
}

void ForwardingController::send_connection_stats(Conference& conf, Timestamp now) {
  if (!options_.connection_stats_interval) return;
  for (EndpointForwarding* e : conf.members) {
    if (!e->next_connection_stats) e->next_connection_stats = now + *options_.connection_stats_interval;
    if (*e->next_connection_stats > now) continue;
    e->next_connection_stats = now + *options_.connection_stats_interval;
    auto estimate = router_.bandwidth_estimate(e->handle);
    if (!estimate || !e->channel_open()) continue;
    send(*e, channel::serialize(channel::ConnectionStats{static_cast<std::int64_t>(*estimate)}));
  }
}

void ForwardingController::check_connectivity(Conference& conf, Timestamp now) {
  for (EndpointForwarding* e : conf.members) {
    if (options_.trust_bwe && estimate_moved(*e)) conf.needs_allocation = true;
    // A client that has not opened its bridge channel this long after connecting never will:
    // it gets no allocation, speaker or connectivity messages (JVB counts these endpoints).
    if (e->awaiting_channel_since && now - *e->awaiting_channel_since >= kMessageTransportDelay) {
      e->awaiting_channel_since.reset();
      if (!e->channel_open()) ++counters_.endpoints_without_message_transport;
    }
    auto last = router_.last_rtp_received(e->handle);
    bool active =
        last ? now - *last < options_.max_inactivity : now - e->created < options_.first_transfer_timeout;
    if (active == e->active) continue;
    e->active = active;
    ++(active ? counters_.endpoints_reconnected : counters_.endpoints_disconnected);
    // Broadcast to everyone, the subject included (as JVB does).
    broadcast(conf,
              channel::serialize(channel::EndpointConnectivityStatusChangeEvent{e->record->id.str(), active}),
              nullptr);
  }
}

void ForwardingController::handle_timeout(Timestamp now) {
  bool check = next_connectivity_check_ && *next_connectivity_check_ <= now;
  if (check || !next_connectivity_check_)
    next_connectivity_check_ = now + options_.connectivity_check_interval;
  for (auto& [id, conf] : conferences_) {
    if (auto due = conf->speech.next_timeout(); due && *due <= now) conf->speech.handle_timeout(now);
    send_speaker_events(*conf);
    if (conf->speech.take_order_changed()) conf->needs_allocation = true;
    // First, as a moved estimate asks for an allocation now.
    if (check) {
      check_connectivity(*conf, now);
      send_connection_stats(*conf, now);
    }
    if (conf->needs_allocation || (conf->next_allocation && *conf->next_allocation <= now))
      reallocate(*conf, now);
  }
}

std::optional<Timestamp> ForwardingController::next_timeout() const {
  std::optional<Timestamp> next;
  auto consider = [&](std::optional<Timestamp> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  for (const auto& [id, conf] : conferences_) {
    consider(conf->speech.next_timeout());
    consider(conf->next_allocation);
  }
  if (!conferences_.empty()) consider(next_connectivity_check_);
  return next;
}

std::optional<ForwardingController::ReceiverState> ForwardingController::receiver_state(
    transport::EndpointHandle id) const {
  auto it = endpoints_.find(id);
  if (it == endpoints_.end()) return std::nullopt;
  const EndpointForwarding& e = *it->second;
  ReceiverState s;
  s.channel_open = e.channel_open();
  s.last_n = e.settings.last_n();
  s.effective_last_n =
      allocation::effective_last_n(e.settings.last_n(), {options_.jvb_last_n, -1, options_.ssrc_limit_video});
  s.forwarded_sources = e.allocation.current().forwarded_sources;
  s.on_stage_sources = e.settings.on_stage_sources();
  s.selected_sources = e.settings.selected_sources();
  s.default_max_height = e.settings.default_constraints().max_height;
  s.messages_in = e.messages_in;
  s.messages_out = e.messages_out;
  s.messages_dropped = e.messages_dropped;
  return s;
}

std::optional<std::string> ForwardingController::dominant_speaker(const std::string& conference) const {
  auto it = conferences_.find(conference);
  if (it == conferences_.end()) return std::nullopt;
  auto dominant = it->second->speech.dominant();
  if (!dominant) return std::nullopt;
  auto e = endpoints_.find(*dominant);
  return e == endpoints_.end() ? std::nullopt : std::optional<std::string>(e->second->record->id.str());
}

std::size_t ForwardingController::endpoints_with_suspended_sources() const {
  return static_cast<std::size_t>(std::count_if(endpoints_.begin(), endpoints_.end(), [](const auto& e) {
    return !e.second->allocation.current().suspended_sources().empty();
  }));
}

std::size_t ForwardingController::endpoints_oversending() const {
  return static_cast<std::size_t>(std::count_if(endpoints_.begin(), endpoints_.end(), [](const auto& e) {
    return e.second->allocation.current().oversending;
  }));
}

std::size_t ForwardingController::inactive_endpoints() const {
  return static_cast<std::size_t>(
      std::count_if(endpoints_.begin(), endpoints_.end(), [](const auto& e) { return !e.second->active; }));
}

}  // namespace jvb::conference
