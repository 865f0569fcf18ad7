// Benchmark (not a test) of the bridge's packet path, the fan-out benchmark that keeps us honest
// about the cost per packet: CPU nanoseconds per forwarded (output) packet through
// transport::MediaPort::handle_datagram (demux, SRTP unprotect in place, RFC 3711 §3.3 / RFC 7714
// §7) and conference::Router::on_rtp (parsing, receive statistics, NACK and duplicate tracking,
// then per receiver: copy, header-extension stripping, VP8 projection, retransmission cache, SRTP
// protect), for one sender and N-1 receivers in one conference. Also the C++ heap allocations it
// makes per input packet (we aim at none in steady state).
//
// The endpoints are connected as tests/sim/transport_sim_test.cpp connects them: the bridge's
// MediaPort against client-side EndpointTransports in memory on a fake clock, with real ICE, DTLS
// and SRTP, the profile chosen by DtlsTransport::Options::profiles. Participant 0's packets
// (5 VP8 packets of 1200 bytes : 1 opus packet of 160 bytes with audio-level, the mix of the
// shared/bench/limit generator) are SRTP-protected by its client before timing, since the
// sender's encryption is not the bridge's work. Each batch of 32 is copied into hot receive slots
// untimed, as recvmmsg would, and the router's output callback only counts (no syscalls).
//
// Beside it, in the same run, the bare equivalent with raw SrtpSessions: one unprotect plus N-1 x
// (memcpy + protect) per input packet, the crypto work without the router (shared/bench/limit's
// loop minus its syscalls). router/bare is the cost of everything the bridge does besides that.
// The two take turns within each run so that both see the same (shared, noisy) machine, and both
// are timed in thread CPU time, as the limit is. tools/bench/run-forward-bench.sh sets them beside
// the forwarding limit measured in the same run.
//
// A third figure in the same run: the same conference on a bridge that also holds IDLE endpoints
// in IDLE/10 other conferences (signaled, not connected), as a ratio to the one-conference
// figure: a packet's cost must not grow with other conferences.
//
// Usage: forward_bench [PARTICIPANTS [RUNS [INPUT_PACKETS_PER_RUN [IDLE]]]]   (10 7 20000 500)
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bridge/conference/router.hpp"
#include "bridge/core/log.hpp"
#include "bridge/rtp/rtp_extensions.hpp"
#include "bridge/rtp/rtp_packet.hpp"
#include "bridge/srtp/srtp_session.hpp"
#include "bridge/transport/media_port.hpp"

namespace {

// Counts C++ heap allocations, so that a run can report how many the packet path makes
// (we aim at none in steady state). OpenSSL and libsrtp allocate with malloc and are
// not counted; neither allocates per packet.
std::uint64_t heap_allocations = 0;

}  // namespace

// Not inlined: GCC would otherwise see free() on a pointer from operator new at each call site
// and warn (-Wmismatched-new-delete), though the pair is consistent.
[[gnu::noinline]] void* operator new(std::size_t size) {
  ++heap_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace std::chrono_literals;
using jvb::Duration;
using jvb::SocketAddress;
using jvb::Timestamp;
using jvb::srtp::SrtpProfile;
using jvb::srtp::SrtpSession;
using jvb::transport::EndpointTransport;

constexpr std::uint8_t kOpusPt = 111, kVp8Pt = 100;
constexpr std::uint8_t kAudioLevelId = 1;
constexpr const char* kAudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
constexpr std::size_t kVideoBytes = 1200, kAudioBytes = 160;  // plain RTP, as the limit's generator
constexpr int kVideoPacketsPerFrame = 5;                      // then one audio packet
constexpr int kKeyframeInterval = 150;                        // frames: one keyframe every 5 s
constexpr Duration kFrameInterval = 33333us;
constexpr std::size_t kBatch = 32;  // recvmmsg batch of the limit's forwarder
// A receive slot: the largest datagram plus room for what the router may add, as in production.
constexpr std::size_t kSlot = 2048;
constexpr std::size_t kChunk = 1024;  // input packets per turn of the router and the bare loop
constexpr std::size_t kWarmupInputs = 1200;

const SocketAddress kBridge = *SocketAddress::parse("10.0.0.1", 10000);

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "forward_bench: %s\n", what);
  std::exit(1);
}

const char* short_name(SrtpProfile profile) {
  return profile == SrtpProfile::kAeadAes128Gcm ? "gcm" : "cm80";  // shared/bench/limit's names
}

// This thread's CPU time, as the limit measures it: on these shared 2-vCPU machines wall time
// would also count the time other processes hold the core. (A system call, about 0.3 us; read
// twice per batch of about 300 output packets.) The bridge itself only ever sees fake time.
double thread_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Datagrams (or plain packets) in fixed slots, with the fake time each one arrives at.
struct PacketPool {
  explicit PacketPool(std::size_t capacity)
      : bytes(capacity * kSlot), lengths(capacity), arrivals(capacity) {}
  std::span<std::uint8_t> slot(std::size_t i) { return std::span(bytes).subspan(i * kSlot, kSlot); }
  std::span<const std::uint8_t> packet(std::size_t i) const {
    return std::span(bytes).subspan(i * kSlot, lengths[i]);
  }
  std::vector<std::uint8_t> bytes;
  std::vector<std::size_t> lengths;
  std::vector<Timestamp> arrivals;
  std::size_t count = 0;
};

// Participant 0's camera and microphone: VP8 with RFC 7741 descriptors as Chrome writes them
// (15-bit PictureID, TL0PICIDX, TID in an L1T3 pattern), periodic keyframes, and opus with the
// audio-level extension (RFC 6464). Numbers continue across calls, so every run is fresh to the
// bridge's replay windows.
class SenderStream {
 public:
  SenderStream(std::uint32_t audio_ssrc, std::uint32_t video_ssrc, Timestamp start)
      : audio_ssrc_(audio_ssrc), video_ssrc_(video_ssrc), frame_time_(start) {}

  void fill(PacketPool& pool, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      pool.arrivals[i] = frame_time_ + kFrameInterval * packet_in_frame_ / (kVideoPacketsPerFrame + 1);
      pool.lengths[i] =
          packet_in_frame_ < kVideoPacketsPerFrame ? write_video(pool.slot(i)) : write_audio(pool.slot(i));
      if (++packet_in_frame_ == kVideoPacketsPerFrame + 1) {
        packet_in_frame_ = 0;
        ++frame_;
        frame_time_ += kFrameInterval;
      }
    }
    pool.count = count;
  }

 private:
  std::size_t write_video(std::span<std::uint8_t> out) {
    const bool keyframe = frame_ % kKeyframeInterval == 0;
    const bool start = packet_in_frame_ == 0;
    const bool marker = packet_in_frame_ == kVideoPacketsPerFrame - 1;
    static constexpr std::uint8_t kTemporalPattern[] = {0, 2, 1, 2};
    const std::uint8_t tid = kTemporalPattern[(frame_ % kKeyframeInterval) % 4];
    if (start && frame_ > 0) {
      picture_id_ = (picture_id_ + 1) & 0x7FFF;
      if (tid == 0) ++tl0_;
    }
    jvb::rtp::RtpHeaderFields fields;
    fields.marker = marker;
    fields.payload_type = kVp8Pt;
    fields.sequence_number = video_seq_++;
    fields.timestamp = static_cast<std::uint32_t>(frame_ * 3000);
    fields.ssrc = video_ssrc_;
    auto header = jvb::rtp::write_rtp_header(out, fields);
    if (!header) fail("write_rtp_header (video)");
    std::size_t n = *header;
    const std::uint8_t descriptor[] = {static_cast<std::uint8_t>(0x80 | (start ? 0x10 : 0)),
                                       0xE0,
                                       static_cast<std::uint8_t>(0x80 | (picture_id_ >> 8)),
                                       static_cast<std::uint8_t>(picture_id_),
                                       tl0_,
                                       static_cast<std::uint8_t>((tid << 6) | (tid > 0 ? 0x20 : 0))};
    std::memcpy(out.data() + n, descriptor, sizeof descriptor);
    n += sizeof descriptor;
    if (start && keyframe) {  // VP8 payload header of a 640x360 key frame (RFC 6386 §9.1)
      const std::uint8_t kf[] = {0x50, 0x2D, 0x01, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x01};
      std::memcpy(out.data() + n, kf, sizeof kf);
      n += sizeof kf;
    } else if (start) {
      const std::uint8_t delta[] = {0x31, 0x0C, 0x00, 0x00};
      std::memcpy(out.data() + n, delta, sizeof delta);
      n += sizeof delta;
    }
    for (; n < kVideoBytes; ++n) out[n] = static_cast<std::uint8_t>(n * 7 + frame_);
    return n;
  }

  std::size_t write_audio(std::span<std::uint8_t> out) {
    std::array<std::uint8_t, 1> level{};
    if (!jvb::rtp::write_audio_level(level,
                                     {(audio_seq_ & 1) != 0, static_cast<std::uint8_t>(audio_seq_ % 128)}))
      fail("write_audio_level");
    const jvb::rtp::ExtensionElement ext[] = {{kAudioLevelId, level}};
    jvb::rtp::RtpHeaderFields fields;
    fields.payload_type = kOpusPt;
    fields.sequence_number = audio_seq_++;
    fields.timestamp = static_cast<std::uint32_t>(frame_ * 1600);  // 48 kHz, one packet per frame
    fields.ssrc = audio_ssrc_;
    auto header = jvb::rtp::write_rtp_header(out, fields, ext);
    if (!header) fail("write_rtp_header (audio)");
    for (std::size_t n = *header; n < kAudioBytes; ++n) out[n] = static_cast<std::uint8_t>(n * 13 + frame_);
    return kAudioBytes;
  }

  std::uint32_t audio_ssrc_, video_ssrc_;
  Timestamp frame_time_;
  std::uint64_t frame_ = 0;
  int packet_in_frame_ = 0;
  std::uint16_t video_seq_ = 1000, audio_seq_ = 5000;
  std::uint16_t picture_id_ = 300;
  std::uint8_t tl0_ = 10;
};

std::shared_ptr<const jvb::dtls::DtlsCertificate> certificate() {
  static auto cert = jvb::dtls::DtlsCertificate::generate();
  if (!cert) fail("DtlsCertificate::generate");
  return *cert;
}

struct Datagram {
  SocketAddress from, to;
  std::vector<std::uint8_t> bytes;
};

// One browser: its endpoint on the bridge's port and its own transport.
struct Participant {
  std::string name;  // an endpoint id as Jitsi Meet makes them (8 hex digits)
  SocketAddress address;
  jvb::transport::EndpointHandle id = 0;
  std::unique_ptr<jvb::conference::Endpoint> record;  // as the conference manager keeps it
  std::unique_ptr<EndpointTransport> client;
  std::uint32_t audio_ssrc = 0, video_ssrc = 0;
  std::uint64_t rtp_received = 0;  // what it decrypted of the bridge's output
};

// The participant's record, signaled as Jitsi Meet signals one audio and one video source.
jvb::conference::Endpoint& make_record(Participant& p, std::string conference) {
  using namespace jvb::signaling;
  p.record = std::make_unique<jvb::conference::Endpoint>();
  jvb::conference::Endpoint& d = *p.record;
  d.id = EndpointId(p.name);
  d.handle = p.id;
  d.conference = std::move(conference);
  Media audio;
  audio.type = MediaType::kAudio;
  audio.payload_types.push_back(
      {PayloadTypeId(kOpusPt), "opus", 48000, 2, {{"minptime", "10"}, {"useinbandfec", "1"}}, {}});
  audio.rtp_hdrexts.push_back({kAudioLevelId, kAudioLevelUri, "", ""});
  Media video;
  video.type = MediaType::kVideo;
  video.payload_types.push_back({PayloadTypeId(kVp8Pt),
                                 "VP8",
                                 90000,
                                 std::nullopt,
                                 {},
                                 {{"ccm", "fir"}, {"nack", ""}, {"nack", "pli"}}});
  d.medias = {audio, video};
  // (append, not operator+: GCC 12 reports a false -Wrestrict for string + literal)
  const auto audio_name = SourceName(std::string(p.name).append("-a0"));
  const auto video_name = SourceName(std::string(p.name).append("-v0"));
  MediaSource a;
  a.type = MediaType::kAudio;
  a.id = audio_name;
  a.sources.push_back({Ssrc(p.audio_ssrc), audio_name, {}, {}, {}});
  MediaSource v;
  v.type = MediaType::kVideo;
  v.id = video_name;
  v.sources.push_back({Ssrc(p.video_ssrc), video_name, "camera", {}, {}});
  d.sources = {a, v};
  return d;
}

// The bridge's port and router with every participant connected and signaled, on a fake clock.
// Between timed batches, advance_to() runs what the bridge's loop would run around the packet
// path (ICE consent, DTLS timers, the router's RTCP timer), untimed.
class ConferenceSim {
 public:
  ConferenceSim(SrtpProfile profile, int participants, int idle_endpoints = 0)
      : router_(port_, [this](const SocketAddress& to, std::span<const std::uint8_t> datagram) {
          ++output_datagrams_;
          if (capture_) wire_.push_back({kBridge, to, {datagram.begin(), datagram.end()}});
        }) {
    config_.dtls.profiles = {profile};
    for (int i = 0; i < participants; ++i) add(i);
    for (Duration t = 0s; t < 3s && !connected(); t += 10ms) advance_to(now_ + 10ms);
    if (!connected()) fail("the participants did not connect (ICE/DTLS)");
    for (auto& p : participants_) {
      if (port_.find(p.id)->srtp_profile() != profile) fail("DTLS negotiated another SRTP profile");
      router_.set_endpoint(make_record(p, "bench"), 0xFA000001, 0xFB000001);
    }
    for (auto& receiver : participants_) {
      std::vector<jvb::conference::Router::VideoTarget> targets;
      for (auto& sender : participants_) {
        if (&sender != &receiver) targets.push_back({sender.id, std::string(sender.name).append("-v0"), 2});
      }
      router_.set_video_targets(receiver.id, targets);
    }
    for (int i = 0; i < idle_endpoints; ++i) add_idle(i);
  }

  Timestamp now() const { return now_; }
  Participant& participant(std::size_t i) { return participants_[i]; }
  jvb::transport::MediaPort& port() { return port_; }
  jvb::conference::Router& router() { return router_; }

  // While set, the router's output is delivered to the clients (to check it), not just counted.
  void set_capture(bool on) { capture_ = on; }
  std::uint64_t output_datagrams() const { return output_datagrams_; }

  void advance_to(Timestamp t) {
    now_ = std::max(now_, t);
    if (auto due = port_.next_timeout(); due && *due <= now_) port_.handle_timeout(now_);
    for (auto& p : participants_) {
      if (auto due = p.client->next_timeout(); due && *due <= now_) p.client->handle_timeout(now_);
    }
    if (!router_due_ || *router_due_ <= now_) router_due_ = router_.on_timer(now_);
    flush();
  }

 private:
  void add(int index) {
    Participant p;
    char name[16];
    std::snprintf(name, sizeof name, "%08x", 0x5eed0000u + static_cast<unsigned>(index) * 0x1111u);
    p.name = name;
    p.address = *SocketAddress::parse("192.168.1." + std::to_string(10 + index), 50000);
    p.audio_ssrc = 0xA0000000u + static_cast<std::uint32_t>(index) * 0x100u + 1;
    p.video_ssrc = p.audio_ssrc + 0x10;
    const auto n = static_cast<std::uint64_t>(index);
    auto bridge_creds = jvb::ice::generate_credentials();
    auto client_creds = jvb::ice::generate_credentials();
    const auto prflx = jvb::ice::candidate_priority(jvb::ice::CandidateType::kPeerReflexive, 65535, 1);
    p.id = port_.add(std::make_unique<EndpointTransport>(
        config_, certificate(), jvb::ice::IceRole::kControlling, bridge_creds, 1111 + n, prflx));
    p.client = std::make_unique<EndpointTransport>(config_, certificate(), jvb::ice::IceRole::kControlled,
                                                   client_creds, 2222 + n, prflx);
    jvb::ice::Candidate bridge_candidate;
    bridge_candidate.foundation = std::string(1, '1');  // (a literal trips a false GCC 12 -Wrestrict)
    bridge_candidate.priority = jvb::ice::candidate_priority(jvb::ice::CandidateType::kHost, 65535, 1);
    bridge_candidate.address = kBridge;
    auto& bridge_side = *port_.find(p.id);
    bridge_side.set_remote_ice(client_creds, {});
    bridge_side.set_remote_dtls({{"sha-256", certificate()->fingerprint()}},
                                jvb::transport::DtlsSetup::kActive, now_);
    p.client->set_remote_ice(bridge_creds, {bridge_candidate});
    p.client->set_remote_dtls({{"sha-256", certificate()->fingerprint()}},
                              jvb::transport::DtlsSetup::kPassive, now_);
    participants_.push_back(std::move(p));
  }

  // An endpoint of another conference (ten to a conference) that sends nothing: on the port
  // and in the router, its transport never connected.
  void add_idle(int index) {
    Participant p;
    char name[16];
    std::snprintf(name, sizeof name, "%08x", 0x1d1e0000u + static_cast<unsigned>(index));
    p.name = name;
    p.audio_ssrc = 0xB0000000u + static_cast<std::uint32_t>(index) * 0x100u + 1;
    p.video_ssrc = p.audio_ssrc + 0x10;
    const auto prflx = jvb::ice::candidate_priority(jvb::ice::CandidateType::kPeerReflexive, 65535, 1);
    auto id =
        port_.add(std::make_unique<EndpointTransport>(config_, certificate(), jvb::ice::IceRole::kControlling,
                                                      jvb::ice::generate_credentials(), 5555, prflx));
    p.id = id;
    router_.set_endpoint(make_record(p, "idle-" + std::to_string(index / 10)), 0xFA000002, 0xFB000002);
    idle_.push_back(std::move(p));
  }

  bool connected() {
    return std::all_of(participants_.begin(), participants_.end(), [&](const Participant& p) {
      return port_.find(p.id)->state() == jvb::transport::TransportState::kConnected &&
             p.client->state() == jvb::transport::TransportState::kConnected;
    });
  }

  void collect() {
    port_.drain_transmits([&](const jvb::ice::Transmit& t) {
      wire_.push_back({kBridge, t.destination, t.bytes});
    });
    for (auto& p : participants_) {
      while (auto t = p.client->poll_transmit()) wire_.push_back({p.address, t->destination, t->bytes});
    }
  }

  void flush() {
    collect();
    while (!wire_.empty()) {
      Datagram d = std::move(wire_.front());
      wire_.pop_front();
      deliver(d);
      collect();
    }
  }

  void deliver(const Datagram& d) {
    std::vector<std::uint8_t> buffer = d.bytes;
    buffer.resize(d.bytes.size() + SrtpSession::kMaxTrailer);
    std::span<std::uint8_t> data(buffer.data(), d.bytes.size());
    if (d.to == kBridge) {
      port_.handle_datagram(now_, d.from, data);  // STUN and DTLS only: the clients send no media here
      return;
    }
    for (auto& p : participants_) {
      if (p.address != d.to) continue;
      if (p.client->handle_datagram(now_, d.from, data).kind == jvb::transport::PacketKind::kRtp)
        ++p.rtp_received;
    }
  }

  Timestamp now_ = Timestamp{} + 1000s;
  jvb::transport::TransportConfig config_;
  jvb::transport::MediaPort port_;
  jvb::conference::Router router_;  // after port_: it keeps a reference
  std::vector<Participant> participants_;
  std::vector<Participant> idle_;  // their records stay in the router
  std::deque<Datagram> wire_;
  std::optional<Timestamp> router_due_;
  bool capture_ = false;
  std::uint64_t output_datagrams_ = 0;
};

// The same crypto work without the router: one inbound session for the sender, one outbound
// session per receiver, keyed directly (no DTLS), and a sender session to pre-protect with.
class BareFanout {
 public:
  BareFanout(SrtpProfile profile, int participants) {
    sender_ = session(profile, SrtpSession::Direction::kOutbound, 0);
    in_ = session(profile, SrtpSession::Direction::kInbound, 0);
    for (int r = 1; r < participants; ++r)
      out_.push_back(session(profile, SrtpSession::Direction::kOutbound, r));
  }

  SrtpSession& sender() { return *sender_; }

  // Returns the number of packets sent. The packet is decrypted in place in `slot`, as the bridge
  // decrypts it.
  std::size_t forward(std::span<std::uint8_t> slot, std::size_t length) {
    auto plain = in_->unprotect_rtp(slot.first(length));
    if (!plain) return 0;
    std::size_t sent = 0;
    for (auto& out : out_) {
      std::memcpy(scratch_.data(), slot.data(), *plain);
      auto n = out->protect_rtp(scratch_, *plain);
      if (!n) continue;
      output_bytes_ += *n;  // stands in for queueing the datagram, and keeps the work observable
      ++sent;
    }
    return sent;
  }

 private:
  static std::unique_ptr<SrtpSession> session(SrtpProfile profile, SrtpSession::Direction direction,
                                              int who) {
    std::vector<std::uint8_t> key(jvb::srtp::key_length(profile) + jvb::srtp::salt_length(profile));
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i * 31 + who * 7 + 1);
    auto s = SrtpSession::create(profile, direction, key);
    if (!s) fail("SrtpSession::create");
    return std::move(s.value());
  }

  std::unique_ptr<SrtpSession> sender_, in_;
  std::vector<std::unique_ptr<SrtpSession>> out_;
  std::array<std::uint8_t, kSlot> scratch_{};
  std::uint64_t output_bytes_ = 0;
};

struct RunResult {
  double ns = 0;  // CPU time of the timed sections
  std::uint64_t inputs = 0, outputs = 0, dropped = 0, allocations = 0;
  double ns_per_output() const { return outputs ? ns / static_cast<double>(outputs) : 0; }
};

// Protects `plain` into `datagrams` with `protect(slot, length) -> optional length`.
template <typename Protect>
void protect_all(const PacketPool& plain, PacketPool& datagrams, Protect protect) {
  for (std::size_t i = 0; i < plain.count; ++i) {
    auto slot = datagrams.slot(i);
    std::memcpy(slot.data(), plain.packet(i).data(), plain.lengths[i]);
    auto n = protect(slot, plain.lengths[i]);
    if (!n) fail("client-side SRTP protect");
    datagrams.lengths[i] = *n;
    datagrams.arrivals[i] = plain.arrivals[i];
  }
  datagrams.count = plain.count;
}

// Runs `process(slot, length, arrival) -> outputs` over packets [begin, end) of the pool in
// batches of kBatch, adding to `r`: each batch is copied into hot receive slots untimed (the
// kernel's copy in recvmmsg), then timed.
template <typename Process, typename Between>
void run_batches(const PacketPool& datagrams, std::size_t begin, std::size_t end,
                 std::vector<std::uint8_t>& receive, RunResult& r, Process process, Between between) {
  for (std::size_t first = begin; first < end; first += kBatch) {
    const std::size_t n = std::min(kBatch, end - first);
    for (std::size_t i = 0; i < n; ++i) {
      std::memcpy(receive.data() + i * kSlot, datagrams.packet(first + i).data(),
                  datagrams.lengths[first + i]);
    }
    const std::uint64_t allocations_before = heap_allocations;
    const double started = thread_cpu_ns();
    for (std::size_t i = 0; i < n; ++i) {
      std::span<std::uint8_t> slot(receive.data() + i * kSlot, kSlot);
      const std::size_t sent = process(slot, datagrams.lengths[first + i], datagrams.arrivals[first + i]);
      r.outputs += sent;
      if (sent == 0) ++r.dropped;
    }
    r.ns += thread_cpu_ns() - started;
    r.allocations += heap_allocations - allocations_before;
    r.inputs += n;
    between(datagrams.arrivals[first + n - 1]);
  }
}

void run_router(ConferenceSim& sim, const PacketPool& datagrams, std::size_t begin, std::size_t end,
                std::vector<std::uint8_t>& receive, RunResult& r) {
  const SocketAddress from = sim.participant(0).address;
  auto& port = sim.port();
  auto& router = sim.router();
  run_batches(
      datagrams, begin, end, receive, r,
      [&](std::span<std::uint8_t> slot, std::size_t length, Timestamp at) -> std::size_t {
        const std::uint64_t before = sim.output_datagrams();
        auto delivery = port.handle_datagram(at, from, slot.first(length));
        if (!delivery || delivery->received.kind != jvb::transport::PacketKind::kRtp) return 0;
        router.on_rtp(at, delivery->endpoint, slot, delivery->received.length);
        return static_cast<std::size_t>(sim.output_datagrams() - before);
      },
      [&](Timestamp at) { sim.advance_to(at); });
}

void run_bare(BareFanout& bare, const PacketPool& datagrams, std::size_t begin, std::size_t end,
              std::vector<std::uint8_t>& receive, RunResult& r) {
  run_batches(
      datagrams, begin, end, receive, r,
      [&](std::span<std::uint8_t> slot, std::size_t length, Timestamp) { return bare.forward(slot, length); },
      [](Timestamp) {});
}

// One run: the router and the bare loop take turns every kChunk input packets, so that both see
// the same machine (these VMs are shared; load from neighbours comes and goes within a second).
struct RunPair {
  RunResult router, bare, idle;
};
RunPair run_interleaved(ConferenceSim& sim, BareFanout& bare, ConferenceSim& idle_sim,
                        const PacketPool& to_router, const PacketPool& to_bare, const PacketPool& to_idle,
                        std::vector<std::uint8_t>& receive) {
  RunPair p;
  for (std::size_t begin = 0; begin < to_router.count; begin += kChunk) {
    const std::size_t end = std::min(to_router.count, begin + kChunk);
    run_router(sim, to_router, begin, end, receive, p.router);
    run_bare(bare, to_bare, begin, end, receive, p.bare);
    run_router(idle_sim, to_idle, begin, end, receive, p.idle);
  }
  return p;
}

void bench_profile(SrtpProfile profile, int participants, int runs, std::size_t inputs_per_run, int idle) {
  ConferenceSim sim(profile, participants);
  ConferenceSim idle_sim(profile, participants, idle);
  BareFanout bare(profile, participants);
  SenderStream stream(sim.participant(0).audio_ssrc, sim.participant(0).video_ssrc, sim.now() + 10ms);
  const std::size_t capacity = std::max(inputs_per_run, kWarmupInputs);
  PacketPool plain(capacity), to_router(capacity), to_bare(capacity), to_idle(capacity);
  std::vector<std::uint8_t> receive(kBatch * kSlot);

  auto prepare = [&](std::size_t count) {  // untimed: the sender's work
    stream.fill(plain, count);
    protect_all(plain, to_router, [&](std::span<std::uint8_t> slot, std::size_t length) {
      return sim.participant(0).client->protect_rtp(slot, length);
    });
    protect_all(plain, to_idle, [&](std::span<std::uint8_t> slot, std::size_t length) {
      return idle_sim.participant(0).client->protect_rtp(slot, length);
    });
    protect_all(plain, to_bare,
                [&](std::span<std::uint8_t> slot, std::size_t length) -> std::optional<std::size_t> {
                  auto n = bare.sender().protect_rtp(slot, length);
                  return n ? std::optional<std::size_t>(*n) : std::nullopt;
                });
  };

  // Warm-up, and a check that the figures are about real forwarding: every receiver decrypts
  // one copy of every input packet.
  prepare(kWarmupInputs);
  sim.set_capture(true);
  const RunPair warm = run_interleaved(sim, bare, idle_sim, to_router, to_bare, to_idle, receive);
  sim.set_capture(false);
  sim.advance_to(sim.now());  // delivers the captured output
  for (int i = 1; i < participants; ++i) {
    if (sim.participant(static_cast<std::size_t>(i)).rtp_received != kWarmupInputs)
      fail("a receiver did not decrypt one copy of every input packet");
  }
  const auto expected = static_cast<std::uint64_t>(participants - 1);
  if (warm.router.outputs != kWarmupInputs * expected) fail("the router did not forward every input packet");
  if (warm.bare.outputs != kWarmupInputs * expected) fail("bare fan-out failed");
  if (warm.idle.outputs != kWarmupInputs * expected) fail("the router with idle conferences did not forward");

  std::vector<double> router_ns, bare_ns, ratios, router_ns_per_input, idle_ns, idle_ratios;
  std::uint64_t allocations = 0, inputs = 0, dropped = 0, short_outputs = 0;
  for (int run = 0; run < runs; ++run) {
    prepare(inputs_per_run);
    const auto [r, b, i] = run_interleaved(sim, bare, idle_sim, to_router, to_bare, to_idle, receive);
    idle_ns.push_back(i.ns_per_output());
    idle_ratios.push_back(i.ns_per_output() / r.ns_per_output());
    router_ns.push_back(r.ns_per_output());
    bare_ns.push_back(b.ns_per_output());
    ratios.push_back(r.ns_per_output() / b.ns_per_output());
    router_ns_per_input.push_back(r.ns / static_cast<double>(r.inputs));
    allocations += r.allocations;
    inputs += r.inputs;
    dropped += r.dropped + b.dropped;
    short_outputs += (r.inputs * expected - r.outputs) + (b.inputs * expected - b.outputs);
  }
  const double router_median = median(router_ns), bare_median = median(bare_ns);
  const char* name = short_name(profile);
  std::printf(
      "forward_bench mode=router profile=%s participants=%d runs=%d inputs_per_run=%zu "
      "ns_per_forwarded_packet=%.1f forwarded_pps_per_core=%.0f ns_per_input_packet=%.0f "
      "heap_allocations_per_input=%.2f\n",
      name, participants, runs, inputs_per_run, router_median, 1e9 / router_median,
      median(router_ns_per_input), static_cast<double>(allocations) / static_cast<double>(inputs));
  std::printf(
      "forward_bench mode=bare profile=%s participants=%d runs=%d inputs_per_run=%zu "
      "ns_per_forwarded_packet=%.1f forwarded_pps_per_core=%.0f\n",
      name, participants, runs, inputs_per_run, bare_median, 1e9 / bare_median);
  std::printf(
      "forward_bench mode=router_idle profile=%s participants=%d idle_endpoints=%d idle_conferences=%d "
      "ns_per_forwarded_packet=%.1f over_one_conference=%.3f median_of_run_ratios=%.3f\n",
      name, participants, idle, (idle + 9) / 10, median(idle_ns), median(idle_ns) / router_median,
      median(idle_ratios));
  std::printf(
      "forward_bench ratio profile=%s router_over_bare=%.2f median_of_run_ratios=%.2f dropped=%llu "
      "missing_outputs=%llu\n",
      name, router_median / bare_median, median(ratios), static_cast<unsigned long long>(dropped),
      static_cast<unsigned long long>(short_outputs));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  jvb::log::set_level(jvb::log::Level::kWarning);  // the handshakes' INFO lines would bury the figures
  const int participants = argc > 1 ? std::clamp(std::atoi(argv[1]), 2, 200) : 10;
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 7;
  const std::size_t inputs =
      argc > 3 ? static_cast<std::size_t>(std::clamp(std::atol(argv[3]), 32L, 1000000L)) : 20000;
  const int idle = argc > 4 ? std::clamp(std::atoi(argv[4]), 0, 5000) : 500;
  for (SrtpProfile profile : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAes128CmHmacSha1_80}) {
    bench_profile(profile, participants, runs, inputs, idle);
  }
  return 0;
}
