// The load generator's thin shell (see ARCHITECTURE.md): everything on the one GLib main loop. It
// allocates each endpoint on the bridge as Jicofo does (tools/focus's REST ColibriClient:
// endpoint create with medias, ice-controlling transport and the source-names capability, then
// an update with the client's transport and sources), owns one UDP socket per synthetic
// endpoint, opens each endpoint's colibri-ws channel, drives the endpoints' timers from one
// loop timer, and runs the phases: allocate and connect -> warm up -> measure -> expire.
//
// Sockets: one UDP socket per endpoint, bound to --bind:0. The bridge demultiplexes by the
// client's address (ice/udp_demux: a known remote address, or a Binding request naming a
// registered ufrag on first contact), exactly as it does for browsers, so every synthetic
// endpoint needs an address of its own; and since every endpoint's peer is the same bridge
// address, demultiplexing one client socket by remote address (MediaPort) could not tell them
// apart either. A socket per endpoint is the simplest correct choice and costs one descriptor
// each (RLIMIT_NOFILE is raised to fit); each socket still receives and sends in batches
// (recvmmsg/sendmmsg through bridge/io/udp_socket).
//
// Timers: a min-heap of endpoint deadlines behind one GSource whose ready time is the earliest
// (g_get_monotonic_time and std::chrono::steady_clock are both CLOCK_MONOTONIC on Linux).
//
// Control thread only.
#pragma once

#include <glib.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "bridge/core/time.hpp"
#include "bridge/dtls/dtls_certificate.hpp"
#include "bridge/io/udp_socket.hpp"
#include "tools/focus/colibri_client.hpp"
#include "tools/loadgen/bridge_channel_client.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/report.hpp"
#include "tools/loadgen/scenario.hpp"
#include "tools/loadgen/synthetic_endpoint.hpp"

namespace jvb::loadgen {

// What both generators (this one and janus_generator.hpp) measure with.
double own_cpu_seconds();
// utime + stime of another process, from /proc/PID/stat.
std::optional<double> process_cpu_seconds(int pid);
// The machine's UDP RcvbufErrors (/proc/net/snmp).
std::optional<std::uint64_t> udp_receive_buffer_errors();
// Raises RLIMIT_NOFILE for `endpoints` sockets and their signalling connections.
std::optional<std::string> raise_file_limit(std::size_t endpoints);
// How many connected endpoints negotiated each SRTP profile, by JVB's profile name.
nlohmann::json srtp_profile_counts(const std::vector<const SyntheticEndpoint*>& endpoints);

class Generator {
 public:
  Generator(Options options, Plan plan, GMainLoop* loop);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // Generates the DTLS certificate and binds every endpoint's socket; an error text on failure.
  std::optional<std::string> prepare();
  // Starts allocating; the loop then runs every phase and quits when the run is over.
  void start();
  // SIGINT: measure what there is now, then expire and quit.
  void interrupt();

  // Valid once the loop has quit.
  const Report& report() const { return report_; }
  // What the report has no field for: the server kind and the SRTP profiles negotiated.
  nlohmann::json details() const;

 private:
  enum class Phase { kIdle, kConnecting, kWarmup, kMeasuring, kExpiring, kDone };
  struct Slot {
    Generator* owner = nullptr;
    std::size_t index = 0;
    std::unique_ptr<io::UdpSocket> socket;
    guint watch = 0;
    std::unique_ptr<SyntheticEndpoint> endpoint;
    std::unique_ptr<BridgeChannelClient> channel;
    bool channel_open = false;
    bool channel_done = false;  // open, failed, or none offered
    std::string error;
    std::optional<Timestamp> scheduled;
  };
  struct Deadline {
    Timestamp when;
    std::size_t index;
    bool operator>(const Deadline& other) const { return when > other.when; }
  };

  void create_endpoint(std::size_t index);
  void on_created(std::size_t index, const focus::ColibriResult& reply);
  void fail_slot(Slot& slot, std::string error);

  static gboolean on_readable(gint fd, GIOCondition condition, gpointer data);
  void receive(Slot& slot);
  void on_timer();
  void flush(Slot& slot);
  void reschedule(Slot& slot);
  void arm_timer();

  void check_phase();
  bool all_settled() const;
  void start_measuring(Timestamp now);
  void finish_measuring(Timestamp now);
  void expire();
  void done();

  Options options_;
  Plan plan_;
  GMainLoop* loop_;
  std::shared_ptr<const dtls::DtlsCertificate> certificate_;
  EndpointConfig endpoint_config_;
  std::unique_ptr<focus::ColibriClient> colibri_;
  struct _SoupSession* ws_session_ = nullptr;
  std::vector<std::unique_ptr<Slot>> slots_;

  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  std::vector<std::size_t> due_;
  GSource* timer_ = nullptr;
  guint phase_timer_ = 0;
  guint expire_timeout_ = 0;

  std::vector<std::uint8_t> receive_buffers_;
  std::vector<io::ReceivedDatagram> received_;
  std::vector<io::OutgoingDatagram> sending_;

  Phase phase_ = Phase::kIdle;
  Timestamp started_{};
  Timestamp connect_deadline_{};
  Timestamp measure_at_{};
  Timestamp end_at_{};
  Timestamp measure_start_{};
  double cpu_at_start_ = 0;
  std::optional<double> bridge_cpu_at_start_;
  std::optional<std::uint64_t> rcvbuf_errors_at_start_;
  std::uint64_t send_failures_at_start_ = 0;
  std::size_t expires_pending_ = 0;
  Report report_;
};

}  // namespace jvb::loadgen
