// See janus_generator.hpp.
#include "tools/loadgen/janus_generator.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <random>

namespace jvb::loadgen {
namespace {

// Janus holds a long poll up to 30 s; a request that takes longer than this failed.
constexpr unsigned kHttpTimeoutS = 40;
constexpr guint kPollRetryMs = 200;
constexpr int kMaxEventsPerPoll = 10;

// Janus's publisher ids are room-scoped; the plan index + 1 is unique and never 0.
std::uint64_t feed_id(std::size_t plan_index) { return plan_index + 1; }

}  // namespace

JanusGenerator::JanusGenerator(Options options, Plan plan, GMainLoop* loop)
    : GeneratorBase(std::move(options), std::move(plan), loop,
                    {"janus", "PeerConnections", "Janus did not answer every session destroy in time"}) {
  publisher_config_.dtx = options_.dtx;
  if (!options_.srtp_profiles.empty()) publisher_config_.transport.dtls.profiles = options_.srtp_profiles;
  // The subscriber PeerConnection's own audio is one silent packet every 400 ms.
  subscriber_config_ = publisher_config_;
  subscriber_config_.dtx = true;
}

std::optional<std::string> JanusGenerator::prepare() {
  // Two PeerConnections per participant: its publisher, then its subscriber.
  if (auto error = prepare_peers(2 * plan_.endpoints.size())) return error;
  for (const auto& e : plan_.endpoints) {
    Participant p;
    p.index = e.index;
    p.publisher = 2 * participants_.size();
    p.subscriber = p.publisher + 1;
    participants_.push_back(std::move(p));
  }
  std::mt19937 rng(static_cast<std::uint32_t>(random64()));
  auto base = static_cast<std::uint64_t>(1 + rng() % 1'000'000'000u);
  for (std::size_t c = 0; c < plan_.conferences.size(); ++c) rooms_.push_back({base + c, false, 0});
  return std::nullopt;
}

void JanusGenerator::begin() {
  http_ = std::make_unique<JanusHttp>(options_.janus_url, kHttpTimeoutS);
  say(fmt::format("{} conference(s) x {} participants on Janus {} ({} PeerConnections on {})",
                  options_.conferences, options_.participants, options_.janus_url, peers_.size(),
                  options_.bind));
  for (auto& p : participants_) create_session(p);
}

nlohmann::json JanusGenerator::details() const {
  nlohmann::json json = GeneratorBase::details();
  json["long_poll_errors"] = poll_errors_;
  return json;
}

// ---- signalling ----

std::string JanusGenerator::transaction() { return fmt::format("t{}", next_transaction_++); }

std::string JanusGenerator::session_path(const Participant& p) const { return fmt::format("/{}", p.session); }

std::string JanusGenerator::handle_path(const Participant& p, std::uint64_t handle) const {
  return fmt::format("/{}/{}", p.session, handle);
}

void JanusGenerator::post(Participant& p, std::string path, std::string body,
                          std::function<void(Participant&, const JanusMessage&)> on_reply) {
  std::size_t index = p.index;
  http_->post(path, std::move(body),
              [this, index, on_reply = std::move(on_reply)](const JanusHttpReply& reply) {
                Participant& q = participants_[index];
                if (!reply.ok()) return fail(q, reply.describe());
                auto messages = parse_janus_messages(reply.body);
                if (!messages || messages->empty())
                  return fail(q, "bad reply: " + (messages ? "empty" : messages.error()));
                const JanusMessage& m = messages->front();
                if (!m.error.empty()) return fail(q, m.error);
                on_reply(q, m);
              });
}

// A request Janus answers later as an event: its reply is only an acknowledgement.
void JanusGenerator::post_acknowledged(Participant& p, std::uint64_t handle, std::string body,
                                       std::string what) {
  post(p, handle_path(p, handle), std::move(body),
       [this, what = std::move(what)](Participant& q, const JanusMessage& m) {
         if (m.janus != "ack" && m.janus != "success") fail(q, what + ": " + m.janus);
       });
}

void JanusGenerator::fail(Participant& p, std::string error) {
  if (p.error.empty()) p.error = std::move(error);
  if (options_.verbose) say(fmt::format("{}: {}", plan_.endpoints[p.index].id, p.error));
  // A publisher that will never be up must not hold its room's subscriptions back.
  publisher_done(p);
}

void JanusGenerator::create_session(Participant& p) {
  post(p, "", janus_create_session(transaction()), [this](Participant& q, const JanusMessage& m) {
    if (m.janus != "success" || m.data_id == 0) return fail(q, "create: no session id");
    q.session = m.data_id;
    poll(q);
    attach(q, true);
  });
}

void JanusGenerator::attach(Participant& p, bool publisher) {
  post(p, session_path(p), janus_attach(transaction()),
       [this, publisher](Participant& q, const JanusMessage& m) {
         if (m.janus != "success" || m.data_id == 0) return fail(q, "attach: no handle id");
         if (publisher) {
           q.publisher_handle = m.data_id;
           attach(q, false);
         } else {
           q.subscriber_handle = m.data_id;
           maybe_create_room(q);
         }
       });
}

// The conference's first participant creates the room; the others join once it exists.
void JanusGenerator::maybe_create_room(Participant& p) {
  const EndpointPlan& e = plan_.endpoints[p.index];
  Room& room = rooms_[e.conference];
  if (room.created) return join(p);
  if (e.position != 0) return;  // joined when the room is created
  post(p, handle_path(p, p.publisher_handle),
       janus_create_room(transaction(), room.id, options_.participants),
       [this](Participant& q, const JanusMessage& m) {
         if (m.videoroom != "created") return fail(q, "room create: " + m.janus + " " + m.videoroom);
         const EndpointPlan& first = plan_.endpoints[q.index];
         rooms_[first.conference].created = true;
         for (std::size_t i : plan_.conferences[first.conference].endpoints) {
           Participant& other = participants_[i];
           if (other.subscriber_handle != 0 && other.error.empty()) join(other);
         }
       });
}

void JanusGenerator::join(Participant& p) {
  Peer& pc = *peers_[p.publisher];
  if (pc.endpoint) return;
  const EndpointPlan& e = plan_.endpoints[p.index];
  make_endpoint(pc, e, publisher_config_);
  PublisherOffer offer;
  offer.transport = pc.endpoint->local_transport();
  offer.session_id = random64() >> 2;
  offer.cname = e.id;
  offer.audio_ssrc = e.audio_ssrc;
  offer.video = e.sends_video;
  offer.video_ssrcs = e.video_ssrcs;
  offer.rtx_ssrcs = e.rtx_ssrcs;
  post_acknowledged(p, p.publisher_handle,
                    janus_join_publisher(transaction(), rooms_[e.conference].id, feed_id(p.index), e.id,
                                         build_publisher_offer(offer)),
                    "joinandconfigure");
}

// The SDP `type` ("offer" or "answer") that came with Janus's `event` on `role`'s handle; when
// there is none, or it does not parse, `p` fails.
std::optional<SessionDescription> JanusGenerator::jsep_sdp(Participant& p, const JanusMessage& m,
                                                           std::string_view event, std::string_view role,
                                                           std::string_view type) {
  if (!m.jsep_sdp || m.jsep_type != type) {
    fail(p, fmt::format("{} without an SDP {}", event, type));
    return std::nullopt;
  }
  auto sdp = parse_sdp(*m.jsep_sdp);
  if (!sdp) {
    fail(p, fmt::format("the {} {}: {}", role, type, sdp.error()));
    return std::nullopt;
  }
  return std::move(*sdp);
}

void JanusGenerator::on_publisher_answer(Participant& p, const JanusMessage& m) {
  if (p.joined) return;
  auto answer = jsep_sdp(p, m, "joined", "publisher", "answer");
  if (!answer) return;
  Peer& pc = *peers_[p.publisher];
  if (auto error = pc.endpoint->set_bridge_transport(answer->transport, Clock::now())) return fail(p, *error);
  arm(pc);
  p.joined = true;
}

// Every publisher of the room is up (Janus's webrtcup: VideoRoom refuses subscriptions to a feed
// whose PeerConnection is not, "No such feed") or failed: the room's subscriptions can start,
// each naming every other participant's feed.
void JanusGenerator::publisher_done(Participant& p) {
  if (p.publisher_counted) return;
  p.publisher_counted = true;
  const EndpointPlan& e = plan_.endpoints[p.index];
  Room& room = rooms_[e.conference];
  ++room.up;
  const auto& members = plan_.conferences[e.conference].endpoints;
  if (room.up != members.size()) return;
  for (std::size_t i : members) subscribe(participants_[i]);
}

void JanusGenerator::subscribe(Participant& p) {
  if (p.subscribing || !p.error.empty() || p.subscriber_handle == 0) return;
  p.subscribing = true;
  const EndpointPlan& e = plan_.endpoints[p.index];
  std::vector<std::uint64_t> feeds;
  for (std::size_t i : plan_.conferences[e.conference].endpoints)
    if (i != p.index && participants_[i].joined && participants_[i].error.empty())
      feeds.push_back(feed_id(i));
  if (feeds.empty()) return fail(p, "no other publisher to subscribe to");
  post_acknowledged(p, p.subscriber_handle,
                    janus_join_subscriber(transaction(), rooms_[e.conference].id, feeds,
                                          substream_for_height(options_.max_height)),
                    "subscriber join");
}

void JanusGenerator::on_subscriber_offer(Participant& p, const JanusMessage& m) {
  if (p.started) return;
  auto offer = jsep_sdp(p, m, "attached", "subscriber", "offer");
  if (!offer) return;
  Peer& pc = *peers_[p.subscriber];
  // The subscriber's own (silent) audio goes on an SSRC no publisher uses.
  EndpointPlan plan = plan_.endpoints[p.index];
  plan.sends_video = false;
  plan.speaking = false;
  plan.audio_ssrc ^= 0x5a5a5a5au;
  while (plan_.ssrcs.count(plan.audio_ssrc)) ++plan.audio_ssrc;
  make_endpoint(pc, plan, subscriber_config_);
  SubscriberAnswer answer = build_subscriber_answer(*offer, pc.endpoint->local_transport(), random64() >> 2);
  // Janus rewrites SSRCs per subscriber: teach the directory who is behind each of them.
  for (const auto& s : subscribed_ssrcs(*offer, m.streams, answer.accepted_mids)) {
    std::size_t sender = static_cast<std::size_t>(s.feed_id - 1);
    if (sender >= plan_.endpoints.size()) continue;
    SsrcInfo info;
    info.endpoint = sender;
    info.kind = s.video ? SsrcInfo::Kind::kVideo : SsrcInfo::Kind::kAudio;
    info.layer = s.video ? 0 : -1;
    info.primary = s.ssrc;
    if (!plan_.ssrcs.emplace(s.ssrc, info).second && options_.verbose)
      say(fmt::format("{}: Janus SSRC {} collides with one already known", plan.id, s.ssrc));
  }
  if (auto error = pc.endpoint->set_bridge_transport(offer->transport, Clock::now())) return fail(p, *error);
  arm(pc);
  p.started = true;
  p.accepted_mids = answer.accepted_mids;
  post_acknowledged(p, p.subscriber_handle,
                    janus_start(transaction(), rooms_[plan.conference].id, answer.sdp), "start");
}

void JanusGenerator::poll(Participant& p) {
  if (phase() == Phase::kDone || p.session == 0) return;
  std::size_t index = p.index;
  http_->get(fmt::format("/{}?maxev={}", p.session, kMaxEventsPerPoll), [this,
                                                                         index](const JanusHttpReply& reply) {
    Participant& q = participants_[index];
    if (phase() == Phase::kDone) return;
    auto messages = reply.ok() ? parse_janus_messages(reply.body)
                               : Result<std::vector<JanusMessage>, std::string>(unexpected(reply.describe()));
    if (!messages) {
      ++poll_errors_;
      if (options_.verbose)
        say(fmt::format("{}: long poll: {}", plan_.endpoints[index].id, messages.error()));
      // Janus may be gone or busy: try again a little later rather than spin.
      auto* again = new std::pair<JanusGenerator*, std::size_t>(this, index);
      g_timeout_add_full(
          G_PRIORITY_DEFAULT, kPollRetryMs,
          [](gpointer data) -> gboolean {
            auto* a = static_cast<std::pair<JanusGenerator*, std::size_t>*>(data);
            a->first->poll(a->first->participants_[a->second]);
            return G_SOURCE_REMOVE;
          },
          again, [](gpointer data) { delete static_cast<std::pair<JanusGenerator*, std::size_t>*>(data); });
      return;
    }
    for (const auto& m : *messages) on_event(q, m);
    poll(q);
  });
}

void JanusGenerator::on_event(Participant& p, const JanusMessage& m) {
  if (m.janus == "hangup" || m.janus == "detached") {
    if (phase() <= Phase::kMeasuring) fail(p, fmt::format("Janus {} on handle {}", m.janus, m.sender));
    return;
  }
  if (m.janus == "webrtcup" && m.sender == p.publisher_handle && p.joined) return publisher_done(p);
  if (m.janus != "event") return;  // keepalive, webrtcup of the subscriber, media, slowlink, trickle
  bool publisher = m.sender == p.publisher_handle;
  if (!m.error.empty()) return fail(p, (publisher ? "publisher: " : "subscriber: ") + m.error);
  if (publisher && m.videoroom == "joined") on_publisher_answer(p, m);
  if (!publisher && m.sender == p.subscriber_handle && m.videoroom == "attached") on_subscriber_offer(p, m);
}

// ---- phases ----

bool JanusGenerator::all_settled() const {
  for (const auto& p : participants_) {
    if (!p.error.empty()) continue;
    for (std::size_t i : {p.publisher, p.subscriber}) {
      const auto& e = peers_[i]->endpoint;
      if (!e) return false;
      if (!e->connected() && e->failure().empty()) return false;
    }
  }
  return true;
}

Report JanusGenerator::report_on(RunInfo& run) {
  // The receivers' view (what Janus forwarded) is the subscribers'; the senders' is added below.
  for (const auto& p : participants_) {
    run.endpoints.push_back(peers_[p.subscriber]->endpoint.get());
    run.channel_open.push_back(true);  // no bridge channel with Janus
    run.allocation_errors.push_back(p.error);
  }
  Report report = make_report(run);

  std::vector<std::string> silent, unconnected;
  std::size_t both_connected = 0;
  for (std::size_t i = 0; i < participants_.size(); ++i) {
    const Participant& p = participants_[i];
    const SyntheticEndpoint* pub = peers_[p.publisher]->endpoint.get();
    const SyntheticEndpoint* sub = peers_[p.subscriber]->endpoint.get();
    both_connected += pub && sub && pub->connected() && sub->connected() ? 1 : 0;
    if (!pub) continue;
    std::string name = fmt::format("{}/{}", plan_.endpoints[i].conference, plan_.endpoints[i].id);
    if (!pub->connected()) {
      unconnected.push_back(name + (pub->failure().empty() ? "" : " (" + pub->failure() + ")"));
      continue;
    }
    const EndpointCounters& c = pub->counters();
    add_sender_counters(report, c);
    if (i < report.per_endpoint.size()) report.per_endpoint[i].rtp_sent += c.rtp_sent;
    if (c.rtp_sent == 0) silent.push_back(name);
  }
  report.connected = both_connected;
  if (!unconnected.empty())
    report.failures.push_back(fmt::format("{} publisher PeerConnection(s) not connected: {}",
                                          unconnected.size(), fmt::join(unconnected, ", ")));
  if (!silent.empty())
    report.failures.push_back(
        fmt::format("{} publisher(s) sent no media: {}", silent.size(), fmt::join(silent, ", ")));
  return report;
}

std::size_t JanusGenerator::send_expiry() {
  std::size_t sent = 0;
  for (auto& p : participants_) {
    if (p.session == 0) continue;
    ++sent;
    http_->post(session_path(p), janus_destroy_session(transaction()),
                [this](const JanusHttpReply&) { expiry_answered(); });
  }
  return sent;
}

// The long polls still open would otherwise answer into a finished run.
void JanusGenerator::on_done() { http_->cancel_all(); }

}  // namespace jvb::loadgen
