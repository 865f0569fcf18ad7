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
// Phases, sockets and timers as in generator_base.hpp: allocate and connect -> warm up -> measure
// -> destroy. The report is made from the subscribers' endpoints (what Janus forwarded) with the
// publishers' sending and their feedback added.
//
// Control thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/loadgen/generator_base.hpp"
#include "tools/loadgen/janus_api.hpp"
#include "tools/loadgen/janus_http.hpp"
#include "tools/loadgen/janus_sdp.hpp"

namespace jvb::loadgen {

class JanusGenerator : public GeneratorBase {
 public:
  JanusGenerator(Options options, Plan plan, GMainLoop* loop);

  std::optional<std::string> prepare() override;
  nlohmann::json details() const override;

 private:
  struct Participant {
    std::size_t index = 0;  // in plan_.endpoints
    std::uint64_t session = 0, publisher_handle = 0, subscriber_handle = 0;
    std::size_t publisher = 0, subscriber = 0;  // in peers_
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

  void begin() override;
  bool all_settled() const override;
  Report report_on(RunInfo& run) override;
  std::size_t send_expiry() override;
  void on_done() override;

  std::string transaction();
  std::string session_path(const Participant& p) const;
  std::string handle_path(const Participant& p, std::uint64_t handle) const;
  void post(Participant& p, std::string path, std::string body,
            std::function<void(Participant&, const JanusMessage&)> on_reply);
  void post_acknowledged(Participant& p, std::uint64_t handle, std::string body, std::string what);
  void fail(Participant& p, std::string error);

  void create_session(Participant& p);
  void attach(Participant& p, bool publisher);
  void maybe_create_room(Participant& p);
  void join(Participant& p);
  void publisher_done(Participant& p);
  void subscribe(Participant& p);
  void poll(Participant& p);
  void on_event(Participant& p, const JanusMessage& m);
  std::optional<SessionDescription> jsep_sdp(Participant& p, const JanusMessage& m, std::string_view event,
                                             std::string_view role, std::string_view type);
  void on_publisher_answer(Participant& p, const JanusMessage& m);
  void on_subscriber_offer(Participant& p, const JanusMessage& m);

  EndpointConfig publisher_config_, subscriber_config_;
  std::unique_ptr<JanusHttp> http_;
  std::vector<Participant> participants_;
  std::vector<Room> rooms_;
  std::uint64_t next_transaction_ = 1;
  std::uint64_t poll_errors_ = 0;
};

}  // namespace jvb::loadgen
