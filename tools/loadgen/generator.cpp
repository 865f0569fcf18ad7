// See generator.hpp.
#include "tools/loadgen/generator.hpp"

#include <fmt/format.h>
#include <glib-unix.h>
#include <libsoup/soup.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "bridge/core/log.hpp"
#include "tools/focus/rest_colibri_client.hpp"
#include "tools/focus/sdp.hpp"

namespace jvb::loadgen {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

constexpr std::size_t kBatch = 32;
constexpr std::size_t kReceiveSlot = OutgoingQueue::kSlotSize;
constexpr std::size_t kMaxBatchesPerWakeup = 16;  // then other sockets get their turn
constexpr int kReceiveBufferBytes = 1 << 20;
constexpr Duration kTimerSlack = std::chrono::microseconds(200);
constexpr guint kPhaseCheckMs = 50;
constexpr guint kExpireTimeoutMs = 5000;

std::int64_t micros(Timestamp t) { return duration_cast<microseconds>(t.time_since_epoch()).count(); }
double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

void say(const std::string& line) { std::fprintf(stderr, "loadgen: %s\n", line.c_str()); }

struct TimerSource {
  GSource source;
  Generator* owner;
};

}  // namespace

double own_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return s(usage.ru_utime) + s(usage.ru_stime);
}

// utime + stime of another process (proc(5): fields 14 and 15 of /proc/PID/stat).
std::optional<double> process_cpu_seconds(int pid) {
  std::ifstream file(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  if (!fields) return std::nullopt;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The machine's UDP RcvbufErrors: datagrams dropped for a full socket receive buffer (a Linux
// counter on the Udp: line of /proc/net/snmp).
std::optional<std::uint64_t> udp_receive_buffer_errors() {
  std::ifstream file("/proc/net/snmp");
  std::string header, values;
  while (std::getline(file, header)) {
    if (header.rfind("Udp:", 0) != 0) continue;
    if (!std::getline(file, values)) return std::nullopt;
    std::istringstream names(header), numbers(values);
    std::string name, number;
    while (names >> name && numbers >> number)
      if (name == "RcvbufErrors") return std::stoull(number);
    return std::nullopt;
  }
  return std::nullopt;
}

// One socket per endpoint plus its colibri-ws connection and some slack.
std::optional<std::string> raise_file_limit(std::size_t endpoints) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  rlim_t needed = static_cast<rlim_t>(2 * endpoints + 256);
  if (limit.rlim_cur >= needed) return std::nullopt;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed)
    return fmt::format("{} endpoints need about {} file descriptors, but RLIMIT_NOFILE allows {}", endpoints,
                       needed, limit.rlim_max);
  limit.rlim_cur = needed;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return "cannot raise RLIMIT_NOFILE";
  return std::nullopt;
}

nlohmann::json srtp_profile_counts(const std::vector<const SyntheticEndpoint*>& endpoints) {
  nlohmann::json counts = nlohmann::json::object();
  for (const auto* e : endpoints) {
    if (!e || !e->connected()) continue;
    auto profile = e->transport().srtp_profile();
    std::string name = profile ? std::string(srtp::profile_name(*profile)) : "none";
    counts[name] = counts.value(name, 0) + 1;
  }
  return counts;
}

Generator::Generator(Options options, Plan plan, GMainLoop* loop)
    : options_(std::move(options)), plan_(std::move(plan)), loop_(loop) {
  endpoint_config_.dtx = options_.dtx;
  if (!options_.srtp_profiles.empty()) endpoint_config_.transport.dtls.profiles = options_.srtp_profiles;
  receive_buffers_.resize(kBatch * kReceiveSlot);
  received_.resize(kBatch);
}

Generator::~Generator() {
  for (auto& slot : slots_) {
    if (slot->watch) g_source_remove(slot->watch);
    slot->channel.reset();
  }
  if (timer_) {
    g_source_destroy(timer_);
    g_source_unref(timer_);
  }
  if (phase_timer_) g_source_remove(phase_timer_);
  if (expire_timeout_) g_source_remove(expire_timeout_);
  colibri_.reset();
  if (ws_session_) g_object_unref(ws_session_);
}

std::optional<std::string> Generator::prepare() {
  auto certificate = dtls::DtlsCertificate::generate();
  if (!certificate) return "cannot make a DTLS certificate: " + certificate.error();
  certificate_ = *certificate;
  auto bind = SocketAddress::parse(options_.bind, 0);
  if (!bind) return "--bind: not an IP address: " + options_.bind;
  if (auto error = raise_file_limit(plan_.endpoints.size())) return error;
  for (const auto& e : plan_.endpoints) {
    auto socket = io::UdpSocket::bind(*bind, kReceiveBufferBytes);
    if (!socket) return fmt::format("cannot bind a UDP socket on {}: {}", options_.bind, socket.error());
    auto slot = std::make_unique<Slot>();
    slot->owner = this;
    slot->index = e.index;
    slot->socket = std::make_unique<io::UdpSocket>(std::move(*socket));
    slots_.push_back(std::move(slot));
  }
  return std::nullopt;
}

void Generator::start() {
  colibri_ = std::make_unique<focus::RestColibriClient>(options_.bridge_url);
  // Every endpoint keeps its WebSocket open for the whole run: no per-host connection cap.
  ws_session_ =
      soup_session_new_with_options("max-conns", 65535, "max-conns-per-host", 65535, "timeout", 10u, nullptr);
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
        static_cast<Generator*>(data)->check_phase();
        return G_SOURCE_CONTINUE;
      },
      this);

  started_ = Clock::now();
  connect_deadline_ =
      started_ + duration_cast<Duration>(std::chrono::duration<double>(options_.connect_timeout_s));
  phase_ = Phase::kConnecting;
  say(fmt::format("{} conference(s) x {} participants on {} ({} sockets on {})", options_.conferences,
                  options_.participants, colibri_->describe(), slots_.size(), options_.bind));
  // Each conference's participants join one after the other, as Jicofo would see them: the next
  // create is queued behind the previous endpoint's update.
  for (const auto& conference : plan_.conferences)
    if (!conference.endpoints.empty()) create_endpoint(conference.endpoints.front());
}

void Generator::interrupt() {
  say("interrupted");
  Timestamp now = Clock::now();
  if (phase_ == Phase::kConnecting || phase_ == Phase::kWarmup) start_measuring(now);
  if (phase_ == Phase::kMeasuring) finish_measuring(now);
}

nlohmann::json Generator::details() const {
  std::vector<const SyntheticEndpoint*> endpoints;
  for (const auto& slot : slots_) endpoints.push_back(slot->endpoint.get());
  return {{"server", "videobridge"},
          {"peer_connections", slots_.size()},
          {"srtp_profiles", srtp_profile_counts(endpoints)}};
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
  Slot& slot = *slots_[index];
  const EndpointPlan& e = plan_.endpoints[index];
  const ConferencePlan& conference = plan_.conferences[e.conference];
  auto next = [&] {
    if (e.position + 1 < conference.endpoints.size() && phase_ == Phase::kConnecting)
      create_endpoint(conference.endpoints[e.position + 1]);
  };
  if (!reply) {
    fail_slot(slot, "endpoint create failed: " + reply.error().text);
    return next();
  }
  const signaling::IceUdpTransport* bridge = nullptr;
  for (const auto& answered : reply->endpoints)
    if (answered.id.str() == e.id && answered.transport && answered.transport->ice)
      bridge = &*answered.transport->ice;
  if (!bridge) {
    fail_slot(slot, "the bridge's answer has no transport");
    return next();
  }
  std::random_device entropy;
  std::uint64_t tie_breaker = (static_cast<std::uint64_t>(entropy()) << 32) | entropy();
  slot.endpoint = std::make_unique<SyntheticEndpoint>(e, plan_.ssrcs, endpoint_config_, certificate_,
                                                      slot.socket->local_address(), tie_breaker);
  if (auto error = slot.endpoint->set_bridge_transport(*bridge, Clock::now())) {
    fail_slot(slot, *error);
    slot.endpoint.reset();
    return next();
  }
  slot.watch = g_unix_fd_add(slot.socket->fd(), G_IO_IN, &Generator::on_readable, &slot);

  // session-accept: the client's transport and its sources (as Jicofo sends session-accept).
  signaling::ConferenceModify update;
  signaling::Endpoint endpoint;
  endpoint.id = signaling::EndpointId(e.id);
  endpoint.transport = signaling::Transport{};
  endpoint.transport->ice = slot.endpoint->local_transport();
  endpoint.sources = media_sources(e);
  update.endpoints.push_back(std::move(endpoint));
  colibri_->modify(conference.meeting_id, update, [this, index](const focus::ColibriResult& answer) {
    if (!answer) fail_slot(*slots_[index], "endpoint update failed: " + answer.error().text);
  });

  if (auto url = focus::bridge_websocket_url(*bridge)) {
    slot.channel = std::make_unique<BridgeChannelClient>(
        ws_session_, *url,
        [this, index] {
          Slot& s = *slots_[index];
          s.channel_open = s.channel_done = true;
        },
        [this, index](const std::string& why) {
          Slot& s = *slots_[index];
          s.channel_done = true;
          if (phase_ <= Phase::kMeasuring && s.error.empty()) s.error = why;
          s.channel_open = false;
        });
    slot.channel->send(receiver_constraints(options_, plan_, e));
  } else {
    slot.channel_done = true;
    if (index == 0)
      say("the bridge offers no colibri-ws (videobridge.websockets): no bridge channel, no video");
  }
  flush(slot);
  reschedule(slot);
  arm_timer();
  next();
}

void Generator::fail_slot(Slot& slot, std::string error) {
  if (slot.error.empty()) slot.error = std::move(error);
  slot.channel_done = true;
  if (options_.verbose) say(fmt::format("{}: {}", plan_.endpoints[slot.index].id, slot.error));
}

// ---- the data path ----

gboolean Generator::on_readable(gint, GIOCondition, gpointer data) {
  auto* slot = static_cast<Slot*>(data);
  slot->owner->receive(*slot);
  return G_SOURCE_CONTINUE;
}

void Generator::receive(Slot& slot) {
  for (std::size_t round = 0; round < kMaxBatchesPerWakeup; ++round) {
    std::size_t n = slot.socket->receive_batch(receive_buffers_, kReceiveSlot, received_);
    Timestamp now = Clock::now();
    for (std::size_t i = 0; i < n; ++i)
      slot.endpoint->handle_datagram(now, received_[i].from, received_[i].data);
    if (n < kBatch) break;
  }
  flush(slot);
  reschedule(slot);
  arm_timer();
}

void Generator::flush(Slot& slot) {
  if (!slot.endpoint) return;
  OutgoingQueue& out = slot.endpoint->outgoing();
  if (out.empty()) return;
  sending_.clear();
  for (const auto& entry : out.entries()) sending_.push_back({entry.to, out.bytes(entry)});
  slot.socket->send_batch(sending_);
  out.clear();
}

void Generator::reschedule(Slot& slot) {
  if (!slot.endpoint) return;
  auto next = slot.endpoint->next_timeout();
  if (!next) {
    slot.scheduled.reset();
    return;
  }
  if (slot.scheduled && *slot.scheduled == *next) return;
  slot.scheduled = next;
  deadlines_.push({*next, slot.index});
}

void Generator::arm_timer() {
  while (!deadlines_.empty()) {
    const Deadline& top = deadlines_.top();
    const Slot& slot = *slots_[top.index];
    if (slot.scheduled && *slot.scheduled == top.when) break;
    deadlines_.pop();  // stale: rescheduled since
  }
  g_source_set_ready_time(timer_, deadlines_.empty() ? -1 : micros(deadlines_.top().when));
}

void Generator::on_timer() {
  Timestamp now = Clock::now();
  // Collect first: an endpoint rescheduled while we work must wait for the next round.
  due_.clear();
  while (!deadlines_.empty() && deadlines_.top().when <= now + kTimerSlack) {
    Deadline d = deadlines_.top();
    deadlines_.pop();
    Slot& slot = *slots_[d.index];
    if (!slot.scheduled || *slot.scheduled != d.when) continue;
    slot.scheduled.reset();
    due_.push_back(d.index);
  }
  for (std::size_t index : due_) {
    Slot& slot = *slots_[index];
    slot.endpoint->handle_timeout(now);
    flush(slot);
    reschedule(slot);
  }
  arm_timer();
}

// ---- phases ----

bool Generator::all_settled() const {
  for (const auto& slot : slots_) {
    if (!slot->error.empty()) continue;
    if (!slot->endpoint) return false;  // still being allocated
    if (!slot->endpoint->connected() && slot->endpoint->failure().empty()) return false;
    if (!slot->channel_done) return false;
  }
  return true;
}

void Generator::check_phase() {
  Timestamp now = Clock::now();
  switch (phase_) {
    case Phase::kConnecting: {
      bool settled = all_settled();
      if (settled && std::all_of(slots_.begin(), slots_.end(), [](const auto& s) { return !s->endpoint; })) {
        say("the bridge allocated no endpoint");
        start_measuring(now);
        finish_measuring(now);
        return;
      }
      if (!settled && now < connect_deadline_) return;
      std::size_t connected = 0;
      for (const auto& slot : slots_) connected += slot->endpoint && slot->endpoint->connected() ? 1 : 0;
      say(fmt::format("{}/{} endpoints connected after {:.2f} s{}; warming up {:.1f} s", connected,
                      slots_.size(), seconds(now - started_), settled ? "" : " (connect timeout)",
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

void Generator::start_measuring(Timestamp now) {
  for (auto& slot : slots_)
    if (slot->endpoint) slot->endpoint->start_measurement();
  measure_start_ = now;
  cpu_at_start_ = own_cpu_seconds();
  if (options_.bridge_pid) bridge_cpu_at_start_ = process_cpu_seconds(options_.bridge_pid);
  rcvbuf_errors_at_start_ = udp_receive_buffer_errors();
  send_failures_at_start_ = 0;
  for (const auto& slot : slots_) send_failures_at_start_ += slot->socket->counters().send_failures;
  end_at_ = now + duration_cast<Duration>(std::chrono::duration<double>(options_.duration_s));
  phase_ = Phase::kMeasuring;
  say(fmt::format("measuring {:.1f} s", options_.duration_s));
}

void Generator::finish_measuring(Timestamp now) {
  RunInfo run;
  run.options = &options_;
  run.plan = &plan_;
  run.measured_s = seconds(now - measure_start_);
  run.cpu_s = own_cpu_seconds() - cpu_at_start_;
  if (bridge_cpu_at_start_) {
    if (auto end = process_cpu_seconds(options_.bridge_pid)) run.bridge_cpu_s = *end - *bridge_cpu_at_start_;
  }
  if (auto end = udp_receive_buffer_errors(); end && rcvbuf_errors_at_start_)
    run.udp_receive_buffer_errors = *end - *rcvbuf_errors_at_start_;
  for (const auto& slot : slots_) run.send_failures += slot->socket->counters().send_failures;
  run.send_failures -= send_failures_at_start_;
  for (const auto& slot : slots_) {
    run.endpoints.push_back(slot->endpoint.get());
    run.channel_open.push_back(slot->channel_open);
    run.allocation_errors.push_back(slot->error);
  }
  report_ = make_report(run);
  for (auto& slot : slots_) {
    if (!slot->endpoint) continue;
    slot->endpoint->stop_media();
    reschedule(*slot);
  }
  arm_timer();
  expire();
}

void Generator::expire() {
  phase_ = Phase::kExpiring;
  for (const auto& conference : plan_.conferences) {
    signaling::ConferenceModify request;
    request.expire = true;
    ++expires_pending_;
    colibri_->modify(conference.meeting_id, request,
                     [this, id = conference.meeting_id](const focus::ColibriResult& r) {
                       if (!r) say(fmt::format("expiring conference {} failed: {}", id, r.error().text));
                       if (--expires_pending_ == 0) done();
                     });
  }
  expire_timeout_ = g_timeout_add(
      kExpireTimeoutMs,
      [](gpointer data) -> gboolean {
        auto* self = static_cast<Generator*>(data);
        self->expire_timeout_ = 0;
        say("the bridge did not answer every expire in time");
        self->done();
        return G_SOURCE_REMOVE;
      },
      this);
}

void Generator::done() {
  if (phase_ == Phase::kDone) return;
  phase_ = Phase::kDone;
  g_main_loop_quit(loop_);
}

}  // namespace jvb::loadgen
