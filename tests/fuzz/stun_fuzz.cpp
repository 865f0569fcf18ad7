// libFuzzer target: one datagram into an IceAgent in each role (remote credentials and a
// remote candidate set, checks running, from the candidate's address), plus the header peeks
// and classify_packet. Beyond memory safety it checks the promise of ice_agent.hpp: a datagram
// that does not authenticate never makes the agent answer, and never validates an address.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "ice/ice_agent.hpp"
#include "ice/packet_class.hpp"
#include "ice/stun_message.hpp"

namespace {

using namespace jvb::ice;

const IceCredentials kLocal{"fuzzuf", "fuzzpasswordfuzzpassword"};
const IceCredentials kRemote{"peeruf", "peerpasswordpeerpassword"};

void run_agent(IceRole role, std::span<const std::uint8_t> data) {
  const auto from = *jvb::SocketAddress::parse("192.0.2.1", 5000);
  IceAgent agent(IceConfig{}, role, kLocal, 0x0123456789ABCDEFULL, 1862270975u);
  agent.set_remote_credentials(kRemote);
  Candidate c;
  c.foundation = "1";
  c.priority = 2130706431u;
  c.address = from;
  agent.add_remote_candidate(c);
  jvb::Timestamp now{std::chrono::seconds(1)};
  agent.handle_timeout(now);
  std::size_t checks = 0;
  while (agent.poll_transmit()) ++checks;

  const auto before = agent.counters();
  agent.handle_stun(now, from, data);
  const auto& after = agent.counters();
  std::size_t sent = 0;
  while (auto t = agent.poll_transmit()) {
    // A reply goes back to the sender, and only for an authenticated request.
    if (t->bytes.empty()) std::abort();
    ++sent;
  }
  const bool answered = after.success_responses_sent != before.success_responses_sent ||
                        after.role_conflict_responses_sent != before.role_conflict_responses_sent;
  if (answered && after.requests_received == before.requests_received) std::abort();
  if (after.requests_received == before.requests_received && after.success_responses_received == 0 &&
      agent.is_validated(from)) {
    std::abort();
  }
  (void)sent;
  (void)checks;
  // Time passes: retransmissions, timeouts, consent, whatever state the datagram led to.
  for (int i = 0; i < 50; ++i) {
    auto t = agent.next_timeout();
    if (!t) break;
    now = std::max(now, *t);
    agent.handle_timeout(now);
    while (agent.poll_transmit()) {
    }
    while (agent.poll_event()) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  (void)classify_packet(bytes);
  (void)peek_stun_header(bytes);
  if (auto u = peek_username(bytes)) {
    // The view must lie inside the datagram.
    const auto* p = reinterpret_cast<const std::uint8_t*>(u->data());
    if (p < data || p + u->size() > data + size) std::abort();
  }
  run_agent(IceRole::kControlling, bytes);
  run_agent(IceRole::kControlled, bytes);
  return 0;
}
