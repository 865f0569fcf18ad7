// The media workers driven only through their commands and datagrams: two workers, each given
// its own socket (on two ports here, so that the test, not the kernel's hash, decides which
// worker receives a datagram). A STUN Binding request sent to the worker that does not own the
// endpoint is handed over and answered by the owner, from the owner's socket (RFC 8445 §7.3);
// one worker held up does not hold up the other's Colibri2 requests or their order.
#include "bridge/worker/media_workers.hpp"

#include <doctest/doctest.h>
#include <poll.h>

#include <future>

#include "ice/stun_message.hpp"
#include "tests/sim/colibri_requests.hpp"

namespace jvb::worker {
namespace {

std::shared_ptr<const dtls::DtlsCertificate> certificate() {
  static auto cert = dtls::DtlsCertificate::generate();
  REQUIRE(cert);
  return *cert;
}

SocketAddress loopback(std::uint16_t port) { return *SocketAddress::parse("127.0.0.1", port); }

// Two workers on two loopback sockets of their own.
std::unique_ptr<MediaWorkers> start_two() {
  io::PortSockets sockets;
  sockets.per_worker.resize(2);
  for (auto& s : sockets.per_worker) {
    auto bound = io::UdpSocket::bind(loopback(0));
    REQUIRE(bound);
    s.push_back(std::move(*bound));
  }
  sockets.port = sockets.per_worker[0][0].local_address().port();
  WorkerSetup setup;
  ice::Candidate c;
  c.foundation = "1";
  c.priority = ice::candidate_priority(ice::CandidateType::kHost, 65535, 1);
  c.address = loopback(sockets.port);
  setup.conferences.local_candidates = {c};
  setup.certificate = certificate();
  auto workers = MediaWorkers::start(std::move(sockets), setup);
  REQUIRE(workers);
  return std::move(*workers);
}

using test::create_conference;
using test::new_endpoint;

// Each worker's number of conferences, from its own debug state.
std::vector<std::size_t> conferences_per_worker(MediaWorkers& workers) {
  std::vector<std::size_t> out;
  const auto state = workers.debug_state(conference::DebugView::kFull);
  for (const auto& w : state.at("media_workers")) out.push_back(w.at("conferences").get<std::size_t>());
  return out;
}

// The first datagram on `socket` within a few seconds (the bound of a failed test, not a
// measured time), and where it came from.
std::optional<std::pair<SocketAddress, std::vector<std::uint8_t>>> receive(io::UdpSocket& socket) {
  pollfd p{socket.fd(), POLLIN, 0};
  if (::poll(&p, 1, 5000) != 1) return std::nullopt;
  std::vector<std::uint8_t> buffer(2048);
  std::array<io::ReceivedDatagram, 1> got{};
  if (socket.receive_batch(buffer, buffer.size(), got) != 1) return std::nullopt;
  return std::pair{got[0].from, std::vector<std::uint8_t>(got[0].data.begin(), got[0].data.end())};
}

}  // namespace

TEST_CASE("new conferences spread over the workers; counts come from their snapshots") {
  auto workers = start_two();
  REQUIRE(workers->handle(create_conference("m1", "a")));
  REQUIRE(workers->handle(create_conference("m2", "b")));
  CHECK(conferences_per_worker(*workers) == std::vector<std::size_t>{1, 1});
  CHECK(workers->conference_count() == 2);
  CHECK(workers->endpoint_count() == 2);
  CHECK(workers->has_conference(signaling::MeetingId("m1")));
  CHECK_FALSE(workers->has_conference(signaling::MeetingId("m3")));
  // A known conference goes back to its worker: creating it again is the error Jicofo expects.
  auto again = workers->handle(create_conference("m1", "c"));
  REQUIRE_FALSE(again);
  CHECK(again.error().reason == signaling::Colibri2ErrorReason::kConferenceAlreadyExists);
}

TEST_CASE("a Binding request that reaches the wrong worker is answered by the owner, from its socket") {
  auto workers = start_two();
  std::vector<signaling::ConferenceModified> answers;
  for (const char* m : {"m1", "m2"}) {
    auto a = workers->handle(create_conference(m, std::string("ep-") + m));
    REQUIRE(a);
    answers.push_back(*a);
  }
  // m1 went to worker 0, m2 to worker 1 (the least loaded first). Both requests go to worker
  // 0's socket, from one client address: once m1's agent validated it, worker 0 knows the address,
  // and the second request still reaches m2's agent by its ufrag.
  auto client = io::UdpSocket::bind(loopback(0));
  REQUIRE(client);
  const std::uint16_t port0 = workers->port();
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& ice = *answers[i].endpoints.at(0).transport->ice;
    ice::StunSession session;
    ice::BindingRequestParams p;
    const std::string user = ice.ufrag + ":client" + std::to_string(i);
    p.username = user;
    p.priority = 1853824767;
    auto request = session.build_binding_request(p, ice.pwd);
    REQUIRE(request);
    REQUIRE(client->send(loopback(port0), request->bytes));
    auto reply = receive(*client);
    REQUIRE(reply);
    auto header = ice::peek_stun_header(reply->second);
    REQUIRE(header);
    CHECK(header->cls == ice::StunClass::kSuccess);
    if (i == 0) {
      CHECK(reply->first.port() == port0);  // its own worker received it
    } else {
      CHECK(reply->first.port() != port0);  // handed to worker 1, which answered from its socket
    }
  }
  auto after = workers->debug_state(conference::DebugView::kFull);
  CHECK(after["media_workers"][0]["media_port"]["handed_off"].get<std::uint64_t>() == 1);
  CHECK(after["media_workers"][1]["media_port"]["taken_over"].get<std::uint64_t>() == 1);
  CHECK(workers->handed_off() == 1);
}

TEST_CASE("one worker held up: the other's requests are answered, in order") {
  auto workers = start_two();
  REQUIRE(workers->handle(create_conference("m1", "a")));  // worker 0
  REQUIRE(workers->handle(create_conference("m2", "b")));  // worker 1
  std::promise<void> release;
  workers->post(1, command::Hold{release.get_future().share()});
  // Endpoints added one request at a time to m1: every answer names exactly the endpoint its
  // request created, so none overtook another.
  for (int i = 0; i < 20; ++i) {
    signaling::ConferenceModify r;
    r.meeting_id = signaling::MeetingId("m1");
    r.endpoints.push_back(new_endpoint("e" + std::to_string(i)));
    auto answer = workers->handle(r);
    REQUIRE(answer);
    REQUIRE(answer->endpoints.size() == 1);
    CHECK(answer->endpoints[0].id.str() == "e" + std::to_string(i));
  }
  CHECK(workers->endpoint_count() == 22);
  release.set_value();
  // Worker 1 carries on with what was queued behind the hold.
  signaling::ConferenceModify r;
  r.meeting_id = signaling::MeetingId("m2");
  r.endpoints.push_back(new_endpoint("late"));
  auto answer = workers->handle(r);
  REQUIRE(answer);
  CHECK(workers->endpoint_count() == 23);
}

}  // namespace jvb::worker
