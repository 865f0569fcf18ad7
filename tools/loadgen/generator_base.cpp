// See generator_base.hpp.
#include "tools/loadgen/generator_base.hpp"

#include <fmt/format.h>
#include <glib-unix.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

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
Duration from_seconds(double s) { return duration_cast<Duration>(std::chrono::duration<double>(s)); }

struct TimerSource {
  GSource source;
  GeneratorBase* owner;
};

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

// One socket per endpoint plus its signalling connection and some slack.
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

}  // namespace

void say(const std::string& line) { std::fprintf(stderr, "loadgen: %s\n", line.c_str()); }

std::uint64_t random64() {
  std::random_device entropy;
  return (static_cast<std::uint64_t>(entropy()) << 32) | entropy();
}

GeneratorBase::GeneratorBase(Options options, Plan plan, GMainLoop* loop, Names names)
    : options_(std::move(options)), plan_(std::move(plan)), loop_(loop), names_(names) {
  receive_buffers_.resize(kBatch * kReceiveSlot);
  received_.resize(kBatch);
}

GeneratorBase::~GeneratorBase() {
  for (auto& peer : peers_)
    if (peer->watch) g_source_remove(peer->watch);
  if (timer_) {
    g_source_destroy(timer_);
    g_source_unref(timer_);
  }
  if (phase_timer_) g_source_remove(phase_timer_);
  if (expire_timeout_) g_source_remove(expire_timeout_);
}

std::optional<std::string> GeneratorBase::prepare_peers(std::size_t count) {
  auto certificate = dtls::DtlsCertificate::generate();
  if (!certificate) return "cannot make a DTLS certificate: " + certificate.error();
  certificate_ = *certificate;
  auto bind = SocketAddress::parse(options_.bind, 0);
  if (!bind) return "--bind: not an IP address: " + options_.bind;
  if (auto error = raise_file_limit(count)) return error;
  for (std::size_t i = 0; i < count; ++i) {
    auto socket = io::UdpSocket::bind(*bind, kReceiveBufferBytes);
    if (!socket) return fmt::format("cannot bind a UDP socket on {}: {}", options_.bind, socket.error());
    auto peer = std::make_unique<Peer>();
    peer->owner = this;
    peer->index = peers_.size();
    peer->socket = std::make_unique<io::UdpSocket>(std::move(*socket));
    peers_.push_back(std::move(peer));
  }
  return std::nullopt;
}

void GeneratorBase::start() {
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
        static_cast<GeneratorBase*>(data)->check_phase();
        return G_SOURCE_CONTINUE;
      },
      this);
  started_ = Clock::now();
  connect_deadline_ = started_ + from_seconds(options_.connect_timeout_s);
  phase_ = Phase::kConnecting;
  begin();
}

void GeneratorBase::interrupt() {
  say("interrupted");
  Timestamp now = Clock::now();
  if (phase_ == Phase::kConnecting || phase_ == Phase::kWarmup) start_measuring(now);
  if (phase_ == Phase::kMeasuring) finish_measuring(now);
}

nlohmann::json GeneratorBase::details() const {
  // How many connected endpoints negotiated each SRTP profile, by JVB's profile name.
  nlohmann::json profiles = nlohmann::json::object();
  for (const auto& peer : peers_) {
    const SyntheticEndpoint* e = peer->endpoint.get();
    if (!e || !e->connected()) continue;
    auto profile = e->transport().srtp_profile();
    std::string name = profile ? std::string(srtp::profile_name(*profile)) : "none";
    profiles[name] = profiles.value(name, 0) + 1;
  }
  return {{"server", names_.server}, {"peer_connections", peers_.size()}, {"srtp_profiles", profiles}};
}

void GeneratorBase::make_endpoint(Peer& peer, const EndpointPlan& plan, const EndpointConfig& config) {
  peer.endpoint = std::make_unique<SyntheticEndpoint>(plan, plan_.ssrcs, config, certificate_,
                                                      peer.socket->local_address(), random64());
}

// ---- the data path ----

void GeneratorBase::arm(Peer& peer) {
  if (!peer.watch) peer.watch = g_unix_fd_add(peer.socket->fd(), G_IO_IN, &GeneratorBase::on_readable, &peer);
  flush(peer);
  reschedule(peer);
  arm_timer();
}

gboolean GeneratorBase::on_readable(gint, GIOCondition, gpointer data) {
  auto* peer = static_cast<Peer*>(data);
  peer->owner->receive(*peer);
  return G_SOURCE_CONTINUE;
}

void GeneratorBase::receive(Peer& peer) {
  for (std::size_t round = 0; round < kMaxBatchesPerWakeup; ++round) {
    std::size_t n = peer.socket->receive_batch(receive_buffers_, kReceiveSlot, received_);
    Timestamp now = Clock::now();
    for (std::size_t i = 0; i < n; ++i)
      if (peer.endpoint) peer.endpoint->handle_datagram(now, received_[i].from, received_[i].data);
    if (n < kBatch) break;
  }
  flush(peer);
  reschedule(peer);
  arm_timer();
}

void GeneratorBase::flush(Peer& peer) {
  if (!peer.endpoint) return;
  OutgoingQueue& out = peer.endpoint->outgoing();
  if (out.empty()) return;
  sending_.clear();
  for (const auto& entry : out.entries()) sending_.push_back({entry.to, out.bytes(entry)});
  peer.socket->send_batch(sending_);
  out.clear();
}

void GeneratorBase::reschedule(Peer& peer) {
  if (!peer.endpoint) return;
  auto next = peer.endpoint->next_timeout();
  if (!next) {
    peer.scheduled.reset();
    return;
  }
  if (peer.scheduled && *peer.scheduled == *next) return;
  peer.scheduled = next;
  deadlines_.push({*next, peer.index});
}

void GeneratorBase::arm_timer() {
  while (!deadlines_.empty()) {
    const Deadline& top = deadlines_.top();
    const Peer& peer = *peers_[top.index];
    if (peer.scheduled && *peer.scheduled == top.when) break;
    deadlines_.pop();  // stale: rescheduled since
  }
  g_source_set_ready_time(timer_, deadlines_.empty() ? -1 : micros(deadlines_.top().when));
}

void GeneratorBase::on_timer() {
  Timestamp now = Clock::now();
  // Collect first: an endpoint rescheduled while we work must wait for the next round.
  due_.clear();
  while (!deadlines_.empty() && deadlines_.top().when <= now + kTimerSlack) {
    Deadline d = deadlines_.top();
    deadlines_.pop();
    Peer& peer = *peers_[d.index];
    if (!peer.scheduled || *peer.scheduled != d.when) continue;
    peer.scheduled.reset();
    due_.push_back(d.index);
  }
  for (std::size_t index : due_) {
    Peer& peer = *peers_[index];
    peer.endpoint->handle_timeout(now);
    flush(peer);
    reschedule(peer);
  }
  arm_timer();
}

// ---- phases ----

void GeneratorBase::check_phase() {
  Timestamp now = Clock::now();
  switch (phase_) {
    case Phase::kConnecting: {
      bool settled = all_settled();
      if (settled) {
        if (auto why = nothing_to_measure()) {
          say(*why);
          start_measuring(now);
          finish_measuring(now);
          return;
        }
      }
      if (!settled && now < connect_deadline_) return;
      std::size_t connected = 0;
      for (const auto& peer : peers_) connected += peer->endpoint && peer->endpoint->connected() ? 1 : 0;
      say(fmt::format("{}/{} {} connected after {:.2f} s{}; warming up {:.1f} s", connected, peers_.size(),
                      names_.peers, seconds(now - started_), settled ? "" : " (connect timeout)",
                      options_.warmup_s));
      phase_ = Phase::kWarmup;
      measure_at_ = now + from_seconds(options_.warmup_s);
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

void GeneratorBase::start_measuring(Timestamp now) {
  for (auto& peer : peers_)
    if (peer->endpoint) peer->endpoint->start_measurement();
  measure_start_ = now;
  cpu_at_start_ = own_cpu_seconds();
  if (options_.bridge_pid) server_cpu_at_start_ = process_cpu_seconds(options_.bridge_pid);
  rcvbuf_errors_at_start_ = udp_receive_buffer_errors();
  send_failures_at_start_ = 0;
  for (const auto& peer : peers_) send_failures_at_start_ += peer->socket->counters().send_failures;
  end_at_ = now + from_seconds(options_.duration_s);
  phase_ = Phase::kMeasuring;
  say(fmt::format("measuring {:.1f} s", options_.duration_s));
}

void GeneratorBase::finish_measuring(Timestamp now) {
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
  for (const auto& peer : peers_) run.send_failures += peer->socket->counters().send_failures;
  run.send_failures -= send_failures_at_start_;
  report_ = report_on(run);
  for (auto& peer : peers_) {
    if (!peer->endpoint) continue;
    peer->endpoint->stop_media();
    reschedule(*peer);
  }
  arm_timer();
  expire();
}

void GeneratorBase::expire() {
  phase_ = Phase::kExpiring;
  expiries_pending_ = send_expiry();
  if (expiries_pending_ == 0) return done();
  expire_timeout_ = g_timeout_add(
      kExpireTimeoutMs,
      [](gpointer data) -> gboolean {
        auto* self = static_cast<GeneratorBase*>(data);
        self->expire_timeout_ = 0;
        say(std::string(self->names_.late_expiry));
        self->done();
        return G_SOURCE_REMOVE;
      },
      this);
}

void GeneratorBase::expiry_answered() {
  if (--expiries_pending_ == 0) done();
}

void GeneratorBase::done() {
  if (phase_ == Phase::kDone) return;
  phase_ = Phase::kDone;
  on_done();
  g_main_loop_quit(loop_);
}

}  // namespace jvb::loadgen
