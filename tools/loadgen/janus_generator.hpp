// The load generator against Janus's VideoRoom plugin instead of our bridge (`--janus URL`): the
// same synthetic endpoints (synthetic_endpoint.hpp) and the same measurement, signalled the way a
// Janus client does it over the HTTP API (janus_api.hpp, janus_http.hpp). Each conference is a
// VideoRoom room; each participant is one Janus session with two handles: a publisher
// PeerConnection (our offer: audio, and VP8 simulcast as an RFC 5576 SIM group when it sends
// video) and one multistream subscriber PeerConnection receiving every other participant's feeds
// (Janus's offer, our answer). Each PeerConnection is one synthetic endpoint on a UDP socket of
// its own; the publisher's only receives RTCP, the subscriber's sends only RTCP and a silent DTX
// audio stream (the synthetic endpoint always sends audio; Janus drops it).
//
// Roles. Subscriber: Janus offers and is ICE-controlling, we answer setup:active. Publisher: we
// offer actpass, Janus answers and so takes the ICE-controlled role, and the synthetic endpoint
// is always ICE-controlled too; the agents settle it by the role-conflict rule of RFC 8445
// §7.3.1.1 (one switches to controlling on the tie-breakers), which both libnice and our agent
// implement.
//
// Order: session, publisher and subscriber handles, the room (created by its first participant),
// every publisher's joinandconfigure; the room's subscriptions start once all its publishers are
// up (Janus's webrtcup: VideoRoom refuses to subscribe to a feed that is not yet, "No such
// feed"). A session's events (the answers, the subscriber offers, webrtcup) arrive on a GET long
// poll that is re-issued as soon as it returns, which also keeps the session from timing out.
//
// The receivers' constraints map to Janus as far as they can: --max-height picks the simulcast
// substream of every subscription; --last-n and --on-stage have no VideoRoom equivalent here.
//
// Phases as in generator.hpp: allocate and connect -> warm up -> measure -> destroy. The report
// is made from the subscribers' endpoints (what Janus forwarded) with the publishers' sending
// and their feedback added.
//
// Control thread only.
#pragma once

#include <glib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "bridge/core/time.hpp"
#include "bridge/dtls/dtls_certificate.hpp"
#include "bridge/io/udp_socket.hpp"
#include "tools/loadgen/janus_api.hpp"
#include "tools/loadgen/janus_http.hpp"
#include "tools/loadgen/options.hpp"
#include "tools/loadgen/report.hpp"
#include "tools/loadgen/scenario.hpp"
#include "tools/loadgen/synthetic_endpoint.hpp"

namespace jvb::loadgen {

class JanusGenerator {
 public:
  JanusGenerator(Options options, Plan plan, GMainLoop* loop);
  ~JanusGenerator();
  JanusGenerator(const JanusGenerator&) = delete;
  JanusGenerator& operator=(const JanusGenerator&) = delete;

  std::optional<std::string> prepare();
  void start();
  void interrupt();

  // Valid once the loop has quit.
  const Report& report() const { return report_; }
  // What the report has no field for: the server kind and the SRTP profiles negotiated.
  nlohmann::json details() const;

 private:
  enum class Phase { kIdle, kConnecting, kWarmup, kMeasuring, kExpiring, kDone };
  // One PeerConnection: a synthetic endpoint on its own socket.
  struct Pc {
    JanusGenerator* owner = nullptr;
    std::size_t index = 0;  // in pcs_
    std::unique_ptr<io::UdpSocket> socket;
    guint watch = 0;
    std::unique_ptr<SyntheticEndpoint> endpoint;
    std::optional<Timestamp> scheduled;
  };
  struct Participant {
    std::size_t index = 0;  // in plan_.endpoints
    std::uint64_t session = 0, publisher_handle = 0, subscriber_handle = 0;
    std::size_t publisher = 0, subscriber = 0;  // in pcs_
    bool joined = false, subscribing = false, started = false;
    bool publisher_counted = false;  // in its room's `up`
    std::vector<std::string> accepted_mids;
    std::string error;
  };
  struct Room {
    std::uint64_t id = 0;
    bool created = false;
    std::size_t up = 0;  // publishers whose PeerConnection is up on Janus's side (or failed)
  };
  struct Deadline {
    Timestamp when;
    std::size_t index;
    bool operator>(const Deadline& other) const { return when > other.when; }
  };

  std::string transaction();
  std::string session_path(const Participant& p) const;
  void post(Participant& p, std::string path, std::string body,
            std::function<void(Participant&, const JanusMessage&)> on_reply);
  void fail(Participant& p, std::string error);

  void create_session(Participant& p);
  void attach(Participant& p, bool publisher);
  void maybe_create_room(Participant& p);
  void join(Participant& p);
  void publisher_done(Participant& p);
  void subscribe(Participant& p);
  void poll(Participant& p);
  void on_event(Participant& p, const JanusMessage& m);
  void on_publisher_answer(Participant& p, const JanusMessage& m);
  void on_subscriber_offer(Participant& p, const JanusMessage& m);
  std::unique_ptr<SyntheticEndpoint> make_endpoint(const EndpointPlan& plan, const EndpointConfig& config,
                                                   Pc& pc);
  void arm(Pc& pc);

  static gboolean on_readable(gint fd, GIOCondition condition, gpointer data);
  void receive(Pc& pc);
  void on_timer();
  void flush(Pc& pc);
  void reschedule(Pc& pc);
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
  EndpointConfig publisher_config_, subscriber_config_;
  std::unique_ptr<JanusHttp> http_;
  std::vector<Participant> participants_;
  std::vector<Room> rooms_;
  std::vector<std::unique_ptr<Pc>> pcs_;
  std::uint64_t next_transaction_ = 1;

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
  std::size_t destroys_pending_ = 0;
  std::uint64_t poll_errors_ = 0;
  Report report_;
};

}  // namespace jvb::loadgen
