// See janus_generator.hpp.
#include "tools/loadgen/janus_generator.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <glib-unix.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "tools/loadgen/generator.hpp"

namespace jvb::loadgen {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

constexpr std::size_t kBatch = 32;
constexpr std::size_t kReceiveSlot = OutgoingQueue::kSlotSize;
constexpr std::size_t kMaxBatchesPerWakeup = 16;
constexpr int kReceiveBufferBytes = 1 << 20;
constexpr Duration kTimerSlack = std::chrono::microseconds(200);
constexpr guint kPhaseCheckMs = 50;
constexpr guint kExpireTimeoutMs = 5000;
// Janus holds a long poll up to 30 s; a request that takes longer than this failed.
constexpr unsigned kHttpTimeoutS = 40;
constexpr guint kPollRetryMs = 200;
constexpr int kMaxEventsPerPoll = 10;

std::int64_t micros(Timestamp t) { return duration_cast<microseconds>(t.time_since_epoch()).count(); }
double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

void say(const std::string& line) { std::fprintf(stderr, "loadgen: %s\n", line.c_str()); }

struct TimerSource {
  GSource source;
  JanusGenerator* owner;
};

std::uint64_t random64() {
  std::random_device entropy;
  return (static_cast<std::uint64_t>(entropy()) << 32) | entropy();
}

// Janus's publisher ids are room-scoped; the plan index + 1 is unique and never 0.
std::uint64_t feed_id(std::size_t plan_index) { return plan_index + 1; }

}  // namespace

JanusGenerator::JanusGenerator(Options options, Plan plan, GMainLoop* loop)
    : options_(std::move(options)), plan_(std::move(plan)), loop_(loop) {
  publisher_config_.dtx = options_.dtx;
  if (!options_.srtp_profiles.empty()) publisher_config_.transport.dtls.profiles = options_.srtp_profiles;
  // The subscriber PeerConnection's own audio is one silent packet every 400 ms.
  subscriber_config_ = publisher_config_;
  subscriber_config_.dtx = true;
  receive_buffers_.resize(kBatch * kReceiveSlot);
  received_.resize(kBatch);
}

JanusGenerator::~JanusGenerator() {
  for (auto& pc : pcs_)
    if (pc->watch) g_source_remove(pc->watch);
  if (timer_) {
    g_source_destroy(timer_);
    g_source_unref(timer_);
  }
  if (phase_timer_) g_source_remove(phase_timer_);
  if (expire_timeout_) g_source_remove(expire_timeout_);
  http_.reset();
}

std::optional<std::string> JanusGenerator::prepare() {
  auto certificate = dtls::DtlsCertificate::generate();
  if (!certificate) return "cannot make a DTLS certificate: " + certificate.error();
  certificate_ = *certificate;
  auto bind = SocketAddress::parse(options_.bind, 0);
  if (!bind) return "--bind: not an IP address: " + options_.bind;
  if (auto error = raise_file_limit(2 * plan_.endpoints.size())) return error;
  for (const auto& e : plan_.endpoints) {
    Participant p;
    p.index = e.index;
    for (std::size_t* which : {&p.publisher, &p.subscriber}) {
      auto socket = io::UdpSocket::bind(*bind, kReceiveBufferBytes);
      if (!socket) return fmt::format("cannot bind a UDP socket on {}: {}", options_.bind, socket.error());
      auto pc = std::make_unique<Pc>();
      pc->owner = this;
      pc->index = pcs_.size();
      pc->socket = std::make_unique<io::UdpSocket>(std::move(*socket));
      *which = pc->index;
      pcs_.push_back(std::move(pc));
    }
    participants_.push_back(std::move(p));
  }
  std::mt19937 rng(static_cast<std::uint32_t>(random64()));
  auto base = static_cast<std::uint64_t>(1 + rng() % 1'000'000'000u);
  for (std::size_t c = 0; c < plan_.conferences.size(); ++c) rooms_.push_back({base + c, false, 0});
  return std::nullopt;
}

void JanusGenerator::start() {
  http_ = std::make_unique<JanusHttp>(options_.janus_url, kHttpTimeoutS);
  static GSourceFuncs timer_funcs = {nullptr,
                                     nullptr,
                                     [](GSource* source, GSourceFunc, gpointer) -> gboolean {
                                       reinterpret_cast<TimerSource*>(source)->owner->on_timer();
                                       return G_SOURCE_CONTINUE;
                                     },
                                     nullptr,
                                     nullptr,
                                     nullptr};
  timer_ = g_source_new(&timer_funcs, sizeof(TimerSource));
  reinterpret_cast<TimerSource*>(timer_)->owner = this;
  g_source_set_ready_time(timer_, -1);
  g_source_attach(timer_, g_main_loop_get_context(loop_));
  phase_timer_ = g_timeout_add(
      kPhaseCheckMs,
      [](gpointer data) -> gboolean {
        static_cast<JanusGenerator*>(data)->check_phase();
        return G_SOURCE_CONTINUE;
      },
      this);
  started_ = Clock::now();
  connect_deadline_ =
      started_ + duration_cast<Duration>(std::chrono::duration<double>(options_.connect_timeout_s));
  phase_ = Phase::kConnecting;
  say(fmt::format("{} conference(s) x {} participants on Janus {} ({} PeerConnections on {})",
                  options_.conferences, options_.participants, options_.janus_url, pcs_.size(),
                  options_.bind));
  for (auto& p : participants_) create_session(p);
}

void JanusGenerator::interrupt() {
  say("interrupted");
  Timestamp now = Clock::now();
  if (phase_ == Phase::kConnecting || phase_ == Phase::kWarmup) start_measuring(now);
  if (phase_ == Phase::kMeasuring) finish_measuring(now);
}

nlohmann::json JanusGenerator::details() const {
  std::vector<const SyntheticEndpoint*> publishers, subscribers;
  for (const auto& p : participants_) {
    publishers.push_back(pcs_[p.publisher]->endpoint.get());
    subscribers.push_back(pcs_[p.subscriber]->endpoint.get());
  }
  std::vector<const SyntheticEndpoint*> all = publishers;
  all.insert(all.end(), subscribers.begin(), subscribers.end());
  return {{"server", "janus"},
          {"peer_connections", pcs_.size()},
          {"srtp_profiles", srtp_profile_counts(all)},
          {"long_poll_errors", poll_errors_}};
}

// ---- signalling ----

std::string JanusGenerator::transaction() { return fmt::format("t{}", next_transaction_++); }

std::string JanusGenerator::session_path(const Participant& p) const { return fmt::format("/{}", p.session); }

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
  post(p, fmt::format("/{}/{}", p.session, p.publisher_handle),
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

std::unique_ptr<SyntheticEndpoint> JanusGenerator::make_endpoint(const EndpointPlan& plan,
                                                                 const EndpointConfig& config, Pc& pc) {
  return std::make_unique<SyntheticEndpoint>(plan, plan_.ssrcs, config, certificate_,
                                             pc.socket->local_address(), random64());
}

void JanusGenerator::join(Participant& p) {
  Pc& pc = *pcs_[p.publisher];
  if (pc.endpoint) return;
  const EndpointPlan& e = plan_.endpoints[p.index];
  pc.endpoint = make_endpoint(e, publisher_config_, pc);
  PublisherOffer offer;
  offer.transport = pc.endpoint->local_transport();
  offer.session_id = random64() >> 2;
  offer.cname = e.id;
  offer.audio_ssrc = e.audio_ssrc;
  offer.video = e.sends_video;
  offer.video_ssrcs = e.video_ssrcs;
  offer.rtx_ssrcs = e.rtx_ssrcs;
  post(p, fmt::format("/{}/{}", p.session, p.publisher_handle),
       janus_join_publisher(transaction(), rooms_[e.conference].id, feed_id(p.index), e.id,
                            build_publisher_offer(offer)),
       [this](Participant& q, const JanusMessage& m) {
         if (m.janus != "ack" && m.janus != "success") fail(q, "joinandconfigure: " + m.janus);
       });
}

void JanusGenerator::on_publisher_answer(Participant& p, const JanusMessage& m) {
  if (p.joined) return;
  if (!m.jsep_sdp || m.jsep_type != "answer") return fail(p, "joined without an SDP answer");
  auto answer = parse_sdp(*m.jsep_sdp);
  if (!answer) return fail(p, "the publisher answer: " + answer.error());
  Pc& pc = *pcs_[p.publisher];
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
  post(p, fmt::format("/{}/{}", p.session, p.subscriber_handle),
       janus_join_subscriber(transaction(), rooms_[e.conference].id, feeds,
                             substream_for_height(options_.max_height)),
       [this](Participant& q, const JanusMessage& m) {
         if (m.janus != "ack" && m.janus != "success") fail(q, "subscriber join: " + m.janus);
       });
}

void JanusGenerator::on_subscriber_offer(Participant& p, const JanusMessage& m) {
  if (p.started) return;
  if (!m.jsep_sdp || m.jsep_type != "offer") return fail(p, "attached without an SDP offer");
  auto offer = parse_sdp(*m.jsep_sdp);
  if (!offer) return fail(p, "the subscriber offer: " + offer.error());
  Pc& pc = *pcs_[p.subscriber];
  // The subscriber's own (silent) audio goes on an SSRC no publisher uses.
  EndpointPlan plan = plan_.endpoints[p.index];
  plan.sends_video = false;
  plan.speaking = false;
  plan.audio_ssrc ^= 0x5a5a5a5au;
  while (plan_.ssrcs.count(plan.audio_ssrc)) ++plan.audio_ssrc;
  pc.endpoint = make_endpoint(plan, subscriber_config_, pc);
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
  post(p, fmt::format("/{}/{}", p.session, p.subscriber_handle),
       janus_start(transaction(), rooms_[plan.conference].id, answer.sdp),
       [this](Participant& q, const JanusMessage& r) {
         if (r.janus != "ack" && r.janus != "success") fail(q, "start: " + r.janus);
       });
}

void JanusGenerator::poll(Participant& p) {
  if (phase_ == Phase::kDone || p.session == 0) return;
  std::size_t index = p.index;
  http_->get(fmt::format("/{}?maxev={}", p.session, kMaxEventsPerPoll), [this,
                                                                         index](const JanusHttpReply& reply) {
    Participant& q = participants_[index];
    if (phase_ == Phase::kDone) return;
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
    if (phase_ <= Phase::kMeasuring) fail(p, fmt::format("Janus {} on handle {}", m.janus, m.sender));
    return;
  }
  if (m.janus == "webrtcup" && m.sender == p.publisher_handle && p.joined) return publisher_done(p);
  if (m.janus != "event") return;  // keepalive, webrtcup of the subscriber, media, slowlink, trickle
  bool publisher = m.sender == p.publisher_handle;
  if (!m.error.empty()) return fail(p, (publisher ? "publisher: " : "subscriber: ") + m.error);
  if (publisher && m.videoroom == "joined") on_publisher_answer(p, m);
  if (!publisher && m.sender == p.subscriber_handle && m.videoroom == "attached") on_subscriber_offer(p, m);
}

// ---- the data path (as generator.cpp) ----

void JanusGenerator::arm(Pc& pc) {
  if (!pc.watch) pc.watch = g_unix_fd_add(pc.socket->fd(), G_IO_IN, &JanusGenerator::on_readable, &pc);
  flush(pc);
  reschedule(pc);
  arm_timer();
}

gboolean JanusGenerator::on_readable(gint, GIOCondition, gpointer data) {
  auto* pc = static_cast<Pc*>(data);
  pc->owner->receive(*pc);
  return G_SOURCE_CONTINUE;
}

void JanusGenerator::receive(Pc& pc) {
  for (std::size_t round = 0; round < kMaxBatchesPerWakeup; ++round) {
    std::size_t n = pc.socket->receive_batch(receive_buffers_, kReceiveSlot, received_);
    Timestamp now = Clock::now();
    for (std::size_t i = 0; i < n; ++i)
      if (pc.endpoint) pc.endpoint->handle_datagram(now, received_[i].from, received_[i].data);
    if (n < kBatch) break;
  }
  flush(pc);
  reschedule(pc);
  arm_timer();
}

void JanusGenerator::flush(Pc& pc) {
  if (!pc.endpoint) return;
  OutgoingQueue& out = pc.endpoint->outgoing();
  if (out.empty()) return;
  sending_.clear();
  for (const auto& entry : out.entries()) sending_.push_back({entry.to, out.bytes(entry)});
  pc.socket->send_batch(sending_);
  out.clear();
}

void JanusGenerator::reschedule(Pc& pc) {
  if (!pc.endpoint) return;
  auto next = pc.endpoint->next_timeout();
  if (!next) {
    pc.scheduled.reset();
    return;
  }
  if (pc.scheduled && *pc.scheduled == *next) return;
  pc.scheduled = next;
  deadlines_.push({*next, pc.index});
}

void JanusGenerator::arm_timer() {
  while (!deadlines_.empty()) {
    const Deadline& top = deadlines_.top();
    const Pc& pc = *pcs_[top.index];
    if (pc.scheduled && *pc.scheduled == top.when) break;
    deadlines_.pop();
  }
  g_source_set_ready_time(timer_, deadlines_.empty() ? -1 : micros(deadlines_.top().when));
}

void JanusGenerator::on_timer() {
  Timestamp now = Clock::now();
  due_.clear();
  while (!deadlines_.empty() && deadlines_.top().when <= now + kTimerSlack) {
    Deadline d = deadlines_.top();
    deadlines_.pop();
    Pc& pc = *pcs_[d.index];
    if (!pc.scheduled || *pc.scheduled != d.when) continue;
    pc.scheduled.reset();
    due_.push_back(d.index);
  }
  for (std::size_t index : due_) {
    Pc& pc = *pcs_[index];
    pc.endpoint->handle_timeout(now);
    flush(pc);
    reschedule(pc);
  }
  arm_timer();
}

// ---- phases ----

bool JanusGenerator::all_settled() const {
  for (const auto& p : participants_) {
    if (!p.error.empty()) continue;
    for (std::size_t i : {p.publisher, p.subscriber}) {
      const auto& e = pcs_[i]->endpoint;
      if (!e) return false;
      if (!e->connected() && e->failure().empty()) return false;
    }
  }
  return true;
}

void JanusGenerator::check_phase() {
  Timestamp now = Clock::now();
  switch (phase_) {
    case Phase::kConnecting: {
      bool settled = all_settled();
      if (!settled && now < connect_deadline_) return;
      std::size_t connected = 0;
      for (const auto& pc : pcs_) connected += pc->endpoint && pc->endpoint->connected() ? 1 : 0;
      say(fmt::format("{}/{} PeerConnections connected after {:.2f} s{}; warming up {:.1f} s", connected,
                      pcs_.size(), seconds(now - started_), settled ? "" : " (connect timeout)",
                      options_.warmup_s));
      phase_ = Phase::kWarmup;
      measure_at_ = now + duration_cast<Duration>(std::chrono::duration<double>(options_.warmup_s));
      return;
    }
    case Phase::kWarmup:
      if (now >= measure_at_) start_measuring(now);
      return;
    case Phase::kMeasuring:
      if (now >= end_at_) finish_measuring(now);
      return;
    default:
      return;
  }
}

void JanusGenerator::start_measuring(Timestamp now) {
  for (auto& pc : pcs_)
    if (pc->endpoint) pc->endpoint->start_measurement();
  measure_start_ = now;
  cpu_at_start_ = own_cpu_seconds();
  if (options_.bridge_pid) server_cpu_at_start_ = process_cpu_seconds(options_.bridge_pid);
  rcvbuf_errors_at_start_ = udp_receive_buffer_errors();
  send_failures_at_start_ = 0;
  for (const auto& pc : pcs_) send_failures_at_start_ += pc->socket->counters().send_failures;
  end_at_ = now + duration_cast<Duration>(std::chrono::duration<double>(options_.duration_s));
  phase_ = Phase::kMeasuring;
  say(fmt::format("measuring {:.1f} s", options_.duration_s));
}

void JanusGenerator::finish_measuring(Timestamp now) {
  // The receivers' view (what Janus forwarded) is the subscribers'; the senders' is added below.
  RunInfo run;
  run.options = &options_;
  run.plan = &plan_;
  run.measured_s = seconds(now - measure_start_);
  run.cpu_s = own_cpu_seconds() - cpu_at_start_;
  if (server_cpu_at_start_) {
    if (auto end = process_cpu_seconds(options_.bridge_pid)) run.bridge_cpu_s = *end - *server_cpu_at_start_;
  }
  if (auto end = udp_receive_buffer_errors(); end && rcvbuf_errors_at_start_)
    run.udp_receive_buffer_errors = *end - *rcvbuf_errors_at_start_;
  for (const auto& pc : pcs_) run.send_failures += pc->socket->counters().send_failures;
  run.send_failures -= send_failures_at_start_;
  for (const auto& p : participants_) {
    run.endpoints.push_back(pcs_[p.subscriber]->endpoint.get());
    run.channel_open.push_back(true);  // no bridge channel with Janus
    run.allocation_errors.push_back(p.error);
  }
  report_ = make_report(run);

  std::vector<std::string> silent, unconnected;
  std::size_t both_connected = 0;
  for (std::size_t i = 0; i < participants_.size(); ++i) {
    const Participant& p = participants_[i];
    const SyntheticEndpoint* pub = pcs_[p.publisher]->endpoint.get();
    const SyntheticEndpoint* sub = pcs_[p.subscriber]->endpoint.get();
    both_connected += pub && sub && pub->connected() && sub->connected() ? 1 : 0;
    if (!pub) continue;
    std::string name = fmt::format("{}/{}", plan_.endpoints[i].conference, plan_.endpoints[i].id);
    if (!pub->connected()) {
      unconnected.push_back(name + (pub->failure().empty() ? "" : " (" + pub->failure() + ")"));
      continue;
    }
    const EndpointCounters& c = pub->counters();
    Report& r = report_;
    r.rtp_sent += c.rtp_sent;
    r.rtp_bytes_sent += c.rtp_bytes_sent;
    r.audio_sent += c.audio_sent;
    r.video_sent += c.video_sent;
    r.rtx_sent += c.rtx_sent;
    r.rtcp_sent += c.rtcp_sent;
    r.rtcp_received += c.rtcp_received;
    r.plis_received += c.plis_received;
    r.firs_received += c.firs_received;
    r.nacks_received += c.nacks_received;
    r.rtx_unavailable += c.rtx_unavailable;
    r.tcc_feedback_received += c.tcc_feedback_received;
    r.audio_frames_late += c.audio_frames_late;
    r.video_frames_late += c.video_frames_late;
    r.unknown_ssrc += c.unknown_ssrc;
    r.malformed += c.malformed;
    if (i < r.per_endpoint.size()) r.per_endpoint[i].rtp_sent += c.rtp_sent;
    if (c.rtp_sent == 0) silent.push_back(name);
  }
  report_.connected = both_connected;
  if (!unconnected.empty())
    report_.failures.push_back(fmt::format("{} publisher PeerConnection(s) not connected: {}",
                                           unconnected.size(), fmt::join(unconnected, ", ")));
  if (!silent.empty())
    report_.failures.push_back(
        fmt::format("{} publisher(s) sent no media: {}", silent.size(), fmt::join(silent, ", ")));

  for (auto& pc : pcs_) {
    if (!pc->endpoint) continue;
    pc->endpoint->stop_media();
    reschedule(*pc);
  }
  arm_timer();
  expire();
}

void JanusGenerator::expire() {
  phase_ = Phase::kExpiring;
  for (auto& p : participants_) {
    if (p.session == 0) continue;
    ++destroys_pending_;
    http_->post(session_path(p), janus_destroy_session(transaction()), [this](const JanusHttpReply&) {
      if (--destroys_pending_ == 0) done();
    });
  }
  if (destroys_pending_ == 0) return done();
  expire_timeout_ = g_timeout_add(
      kExpireTimeoutMs,
      [](gpointer data) -> gboolean {
        auto* self = static_cast<JanusGenerator*>(data);
        self->expire_timeout_ = 0;
        say("Janus did not answer every session destroy in time");
        self->done();
        return G_SOURCE_REMOVE;
      },
      this);
}

void JanusGenerator::done() {
  if (phase_ == Phase::kDone) return;
  phase_ = Phase::kDone;
  // The long polls still open would otherwise answer into a finished run.
  http_->cancel_all();
  g_main_loop_quit(loop_);
}

}  // namespace jvb::loadgen
