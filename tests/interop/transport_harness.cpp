// Test harness for the transport interop test with headless Chromium: one EndpointTransport
// behind a MediaPort on a UDP socket bound to 127.0.0.1 (a free port), controlling ICE, DTLS
// as signaled, SRTP. Every RTP packet Chromium sends is decrypted, re-addressed to the SSRC
// the offer declared for its kind, re-encrypted and sent back, so Chromium decodes its own
// camera and microphone through the bridge's transport. A PLI or FIR Chromium sends for the echo
// becomes a PLI for its own camera (as a bridge owes it), so a lost first keyframe is repaired.
//
// Protocol on standard input/output, one JSON object per line:
//   out (at start): {"port", "ufrag", "pwd", "fingerprint", "candidate"}
//   in:  {"ufrag", "pwd", "fingerprint": {"hash", "value"}, "setup", "candidates": [..],
//         "audio_pt", "video_pt", "audio_ssrc", "video_ssrc"}
//   in:  "stats" -> out: counters as JSON;   in: "quit" (or end of input) -> exit 0
//
// Usage: transport_harness [--profiles gcm|cm80|both]
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "bridge/core/log.hpp"
#include "bridge/dtls/dtls_certificate.hpp"
#include "bridge/io/udp_socket.hpp"
#include "bridge/rtcp/fir.hpp"
#include "bridge/rtcp/pli.hpp"
#include "bridge/rtcp/rtcp_compound.hpp"
#include "bridge/srtp/srtp_session.hpp"
#include "bridge/transport/media_port.hpp"
#include "ice/candidate.hpp"
#include "ice/credentials.hpp"

namespace {

using namespace jvb;
using nlohmann::json;

constexpr std::size_t kSlot = 1500 + srtp::SrtpSession::kMaxTrailer;
constexpr std::size_t kBatch = 32;

struct Echo {
  int audio_pt = -1, video_pt = -1;
  std::uint32_t audio_ssrc = 0, video_ssrc = 0;
  std::uint32_t camera_ssrc = 0;  // Chromium's own video SSRC, from what it sends
  std::uint64_t audio = 0, video = 0, other = 0, rtcp = 0, echoed = 0, keyframe_requests = 0;
};

std::string state_name(ice::IceState s) {
  switch (s) {
    case ice::IceState::kNew:
      return "new";
    case ice::IceState::kChecking:
      return "checking";
    case ice::IceState::kConnected:
      return "connected";
    case ice::IceState::kFailed:
      return "failed";
    case ice::IceState::kClosed:
      return "closed";
  }
  return "?";
}

json stats(transport::EndpointTransport& t, const Echo& echo, const io::UdpSocket& socket,
           const transport::MediaPort& port) {
  const auto& c = t.counters();
  auto profile = t.srtp_profile();
  return {{"ice", state_name(t.ice_state())},
          {"dtls", std::string(dtls::state_name(t.dtls_state()))},
          {"srtp_profile", profile ? std::string(srtp::profile_name(*profile)) : ""},
          {"audio_decrypted", echo.audio},
          {"video_decrypted", echo.video},
          {"other_decrypted", echo.other},
          {"rtcp_decrypted", echo.rtcp},
          {"echoed", echo.echoed},
          {"keyframe_requests_relayed", echo.keyframe_requests},
          {"stun_in", c.stun_in},
          {"dtls_in", c.dtls_in},
          {"dropped_unvalidated_address", c.dropped_unvalidated_address},
          {"dropped_before_keys", c.dropped_before_keys},
          {"dropped_auth_failed", c.dropped_auth_failed},
          {"dropped_replay", c.dropped_replay},
          {"dropped_malformed", c.dropped_malformed},
          {"demux_routed_by_ufrag", port.demux_counters().routed_by_ufrag},
          {"udp_received", socket.counters().received},
          {"udp_sent", socket.counters().sent}};
}

std::optional<transport::DtlsSetup> parse_setup(const std::string& s) {
  if (s == "active") return transport::DtlsSetup::kActive;
  if (s == "passive") return transport::DtlsSetup::kPassive;
  if (s == "actpass") return transport::DtlsSetup::kActpass;
  return std::nullopt;
}

void echo_rtp(transport::EndpointTransport& t, io::UdpSocket& socket, Echo& echo,
              std::span<std::uint8_t> slot, std::size_t length) {
  if (length < 12) return;
  int pt = slot[1] & 0x7f;
  std::uint32_t ssrc;
  if (pt == echo.audio_pt) {
    ++echo.audio;
    ssrc = echo.audio_ssrc;
  } else if (pt == echo.video_pt) {
    ++echo.video;
    echo.camera_ssrc = (std::uint32_t{slot[8]} << 24) | (std::uint32_t{slot[9]} << 16) |
                       (std::uint32_t{slot[10]} << 8) | slot[11];
    ssrc = echo.video_ssrc;
  } else {
    ++echo.other;
    return;
  }
  slot[8] = static_cast<std::uint8_t>(ssrc >> 24);
  slot[9] = static_cast<std::uint8_t>(ssrc >> 16);
  slot[10] = static_cast<std::uint8_t>(ssrc >> 8);
  slot[11] = static_cast<std::uint8_t>(ssrc);
  auto to = t.media_destination();
  auto protected_length = t.protect_rtp(slot, length);
  if (to && protected_length && socket.send(*to, slot.subspan(0, *protected_length))) ++echo.echoed;
}

// A keyframe request for the echoed video goes to Chromium's camera as a PLI.
void relay_keyframe_requests(transport::EndpointTransport& t, io::UdpSocket& socket, Echo& echo,
                             std::span<const std::uint8_t> compound) {
  bool wanted = false;
  rtcp::RtcpCompoundIterator it(compound);
  while (auto packet = it.next()) {
    if (packet->packet_type != rtcp::kPtPayloadFeedback) continue;
    if (packet->count == rtcp::kFmtPli) {
      if (auto pli = rtcp::Pli::parse(*packet); pli && pli->media_ssrc == echo.video_ssrc) wanted = true;
    } else if (packet->count == rtcp::kFmtFir) {
      if (auto fir = rtcp::Fir::parse(*packet)) {
        for (std::size_t i = 0; i < fir->entry_count(); ++i) wanted |= fir->entry(i).ssrc == echo.video_ssrc;
      }
    }
  }
  if (!wanted || echo.camera_ssrc == 0) return;
  std::array<std::uint8_t, rtcp::kPliSize + srtp::SrtpSession::kMaxTrailer> out{};
  auto n = rtcp::write_pli(out, {echo.video_ssrc, echo.camera_ssrc});
  auto to = t.media_destination();
  if (!n || !to) return;
  auto protected_length = t.protect_rtcp(out, *n);
  if (protected_length && socket.send(*to, std::span(out).first(*protected_length))) ++echo.keyframe_requests;
}

}  // namespace

int main(int argc, char** argv) {
  // Standard output carries the JSON protocol; logs go to standard error.
  log::set_sink([](std::string_view line) { std::fwrite(line.data(), 1, line.size(), stderr); });
  transport::TransportConfig config;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--profiles") == 0) {
      std::string p = argv[++i];
      if (p == "gcm") config.dtls.profiles = {srtp::SrtpProfile::kAeadAes128Gcm};
      if (p == "cm80") config.dtls.profiles = {srtp::SrtpProfile::kAes128CmHmacSha1_80};
    }
  }
  auto socket = io::UdpSocket::bind(*SocketAddress::parse("127.0.0.1", 0));
  auto certificate = dtls::DtlsCertificate::generate();
  if (!socket || !certificate) {
    std::fprintf(stderr, "harness: %s\n", !socket ? socket.error().c_str() : certificate.error().c_str());
    return 1;
  }
  std::random_device random;
  std::uint64_t tie_breaker = (static_cast<std::uint64_t>(random()) << 32) | random();
  std::uint32_t priority = ice::candidate_priority(ice::CandidateType::kPeerReflexive, 65535, 1);
  auto credentials = ice::generate_credentials();
  transport::MediaPort port;
  transport::EndpointHandle id = port.add(std::make_unique<transport::EndpointTransport>(
      config, *certificate, ice::IceRole::kControlling, credentials, tie_breaker, priority));
  transport::EndpointTransport& endpoint = *port.find(id);

  ice::Candidate local;
  local.foundation = "1";
  local.priority = ice::candidate_priority(ice::CandidateType::kHost, 65535, 1);
  local.address = socket->local_address();
  std::cout << json{{"port", socket->local_address().port()},
                    {"ufrag", credentials.ufrag},
                    {"pwd", credentials.pwd},
                    {"fingerprint", endpoint.local_fingerprint()},
                    {"candidate", local.to_sdp()}}
                   .dump()
            << std::endl;

  Echo echo;
  std::vector<std::uint8_t> buffers(kBatch * kSlot);
  std::array<io::ReceivedDatagram, kBatch> received{};
  std::string input;
  while (true) {
    Timestamp now = Clock::now();
    int wait_ms = 1000;
    if (auto next = port.next_timeout()) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*next - now).count();
      wait_ms = static_cast<int>(std::clamp<long long>(ms, 0, 1000));
    }
    pollfd fds[2] = {{socket->fd(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    ::poll(fds, 2, wait_ms);
    now = Clock::now();
    if (fds[1].revents) {
      char chunk[4096];
      ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
      if (n <= 0) return 0;
      input.append(chunk, static_cast<std::size_t>(n));
      std::size_t eol;
      while ((eol = input.find('\n')) != std::string::npos) {
        std::string line = input.substr(0, eol);
        input.erase(0, eol + 1);
        if (line == "quit") return 0;
        if (line == "stats") {
          std::cout << stats(endpoint, echo, *socket, port).dump() << std::endl;
          continue;
        }
        json remote = json::parse(line, nullptr, false);
        if (remote.is_discarded()) {
          std::fprintf(stderr, "harness: not JSON: %s\n", line.c_str());
          continue;
        }
        std::vector<ice::Candidate> candidates;
        for (const auto& c : remote.value("candidates", json::array())) {
          if (auto parsed = ice::Candidate::parse_sdp(c.get<std::string>())) candidates.push_back(*parsed);
        }
        // Through find(): the port then knows the endpoint changed (its ICE checks start now).
        transport::EndpointTransport& signaled = *port.find(id);
        signaled.set_remote_ice({remote["ufrag"], remote["pwd"]}, candidates);
        auto setup = parse_setup(remote.value("setup", "active"));
        signaled.set_remote_dtls({{remote["fingerprint"]["hash"], remote["fingerprint"]["value"]}},
                                 setup.value_or(transport::DtlsSetup::kActive), now);
        echo.audio_pt = remote.value("audio_pt", -1);
        echo.video_pt = remote.value("video_pt", -1);
        echo.audio_ssrc = remote.value("audio_ssrc", 0u);
        echo.video_ssrc = remote.value("video_ssrc", 0u);
      }
    }
    std::size_t n = socket->receive_batch(buffers, kSlot, received);
    for (std::size_t i = 0; i < n; ++i) {
      auto delivery = port.handle_datagram(now, received[i].from, received[i].data);
      if (!delivery) continue;
      std::span<std::uint8_t> slot(received[i].data.data(), kSlot);
      if (delivery->received.kind == transport::PacketKind::kRtp) {
        echo_rtp(endpoint, *socket, echo, slot, delivery->received.length);
      } else if (delivery->received.kind == transport::PacketKind::kRtcp) {
        ++echo.rtcp;
        relay_keyframe_requests(*port.find(delivery->endpoint), *socket, echo,
                                std::span<const std::uint8_t>(slot.data(), delivery->received.length));
      }
    }
    port.handle_timeout(Clock::now());
    port.drain_transmits([&](const ice::Transmit& t) { socket->send(t.destination, t.bytes); });
    while (auto e = port.poll_event()) {
      std::fprintf(stderr, "harness: endpoint %llu state %d %s\n", static_cast<unsigned long long>(e->first),
                   static_cast<int>(e->second.state), e->second.reason.c_str());
    }
  }
}
