// What both load generators share (generator.hpp against our bridge, janus_generator.hpp against
// Janus): the synthetic endpoints on UDP sockets of their own, their timers, the phases of a run
// (connect -> warm up -> measure -> tear down) and the measurement; the derived class signals.
// Everything runs on the one GLib main loop.
//
// Sockets: one UDP socket per synthetic endpoint ("peer"), bound to --bind:0. The bridge
// demultiplexes by the client's address (ice/udp_demux: a known remote address, or a Binding
// request naming a registered ufrag on first contact), exactly as it does for browsers, so every
// synthetic endpoint needs an address of its own; and since every endpoint's peer is the same
// server address, demultiplexing one client socket by remote address (MediaPort) could not tell
// them apart either. A socket per endpoint is the simplest correct choice and costs one
// descriptor each (RLIMIT_NOFILE is raised to fit); each socket still receives and sends in
// batches (recvmmsg/sendmmsg through bridge/io/udp_socket).
//
// Timers: a min-heap of endpoint deadlines behind one GSource whose ready time is the earliest
// (g_get_monotonic_time and std::chrono::steady_clock are both CLOCK_MONOTONIC on Linux).
//
// Control thread only.
#pragma once

#include <glib.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/time.hpp"
#include "bridge/dtls/dtls_certificate.hpp"
#include "bridge/io/udp_socket.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/report.hpp"
#include "tools/loadgen/scenario.hpp"
#include "tools/loadgen/synthetic_endpoint.hpp"

namespace jvb::loadgen {

// Progress and problems on standard error, as "loadgen: <line>".
void say(const std::string& line);
// 64 bits from std::random_device (ICE tie-breakers, SDP session ids).
std::uint64_t random64();

class GeneratorBase {
 public:
  // How a run names its server and its parts in progress lines and details().
  struct Names {
    std::string_view server;       // details()'s "server"
    std::string_view peers;        // what the connect line counts: "endpoints", "PeerConnections"
    std::string_view late_expiry;  // said when the teardown is not all answered in time
  };

  virtual ~GeneratorBase();
  GeneratorBase(const GeneratorBase&) = delete;
  GeneratorBase& operator=(const GeneratorBase&) = delete;

  // Generates the DTLS certificate and binds every endpoint's socket; an error text on failure.
  virtual std::optional<std::string> prepare() = 0;
  // Starts signalling; the loop then runs every phase and quits when the run is over.
  void start();
  // SIGINT: measure what there is now, then tear down and quit.
  void interrupt();

  // Valid once the loop has quit.
  const Report& report() const { return report_; }
  // What the report has no field for: the server kind and the SRTP profiles negotiated.
  virtual nlohmann::json details() const;

 protected:
  enum class Phase { kIdle, kConnecting, kWarmup, kMeasuring, kExpiring, kDone };
  // One synthetic endpoint (a PeerConnection) on its own socket; `endpoint` is made once the
  // server's transport is known.
  struct Peer {
    GeneratorBase* owner = nullptr;
    std::size_t index = 0;  // in peers_
    std::unique_ptr<io::UdpSocket> socket;
    guint watch = 0;
    std::unique_ptr<SyntheticEndpoint> endpoint;
    std::optional<Timestamp> scheduled;
  };

  GeneratorBase(Options options, Plan plan, GMainLoop* loop, Names names);

  // prepare()'s common part: the certificate, then `count` peers with their sockets bound.
  std::optional<std::string> prepare_peers(std::size_t count);
  // Makes `peer`'s synthetic endpoint (not yet armed).
  void make_endpoint(Peer& peer, const EndpointPlan& plan, const EndpointConfig& config);
  // Starts `peer`'s data path once its endpoint knows the server's transport.
  void arm(Peer& peer);
  // One teardown request of send_expiry() was answered.
  void expiry_answered();
  Phase phase() const { return phase_; }

  // start() has set up the loop: open the signalling and start allocating.
  virtual void begin() = 0;
  // Every endpoint connected, failed or was refused: the connect phase may end early.
  virtual bool all_settled() const = 0;
  // Asked once every endpoint has settled: a reason to skip warm-up and measurement altogether.
  virtual std::optional<std::string> nothing_to_measure() const { return std::nullopt; }
  // The report of the measurement; `run` has the times, CPU and socket counters filled in.
  virtual Report report_on(RunInfo& run) = 0;
  // Asks the server to tear everything down; how many requests it sent, each to be followed by
  // one expiry_answered() from the loop.
  virtual std::size_t send_expiry() = 0;
  // The run is over, just before the loop quits.
  virtual void on_done() {}

  Options options_;
  Plan plan_;
  GMainLoop* loop_;
  std::shared_ptr<const dtls::DtlsCertificate> certificate_;
  std::vector<std::unique_ptr<Peer>> peers_;

 private:
  struct Deadline {
    Timestamp when;
    std::size_t index;
    bool operator>(const Deadline& other) const { return when > other.when; }
  };

  static gboolean on_readable(gint fd, GIOCondition condition, gpointer data);
  void receive(Peer& peer);
  void on_timer();
  void flush(Peer& peer);
  void reschedule(Peer& peer);
  void arm_timer();

  void check_phase();
  void start_measuring(Timestamp now);
  void finish_measuring(Timestamp now);
  void expire();
  void done();

  Names names_;
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
  std::optional<double> server_cpu_at_start_;
  std::optional<std::uint64_t> rcvbuf_errors_at_start_;
  std::uint64_t send_failures_at_start_ = 0;
  std::size_t expiries_pending_ = 0;
  Report report_;
};

}  // namespace jvb::loadgen
