// ICE candidates (RFC 8445 §5.1) and their SDP form (RFC 8839 §5.1, "candidate-attribute").
// Only what the bridge needs: UDP candidates with literal IP addresses. Hostname candidates
// (mDNS ".local", RFC 8445 §5.1.1.3 and draft-ietf-mmusic-mdns-ice-candidates) and TCP are
// refused, as JVB does with ice.resolve-remote-candidates = false.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/core/socket_address.hpp"

namespace jvb::ice {

enum class CandidateType { kHost, kServerReflexive, kPeerReflexive, kRelayed };

std::string_view to_string(CandidateType type);  // "host", "srflx", "prflx", "relay"

struct Candidate {
  std::string foundation;
  std::uint32_t component = 1;
  std::string transport = "udp";
  std::uint32_t priority = 0;
  SocketAddress address;
  CandidateType type = CandidateType::kHost;
  std::optional<SocketAddress> related;  // raddr/rport of reflexive and relayed candidates
  std::uint32_t generation = 0;

  // "candidate:1 1 udp 2130706431 127.0.0.1 10000 typ host generation 0" (no "a=" prefix).
  std::string to_sdp() const;
  // Accepts the line with or without "a=" and "candidate:". Unknown extension attributes
  // (network-id, ufrag, ...) are skipped. nullopt for hostnames, non-UDP transports, and
  // anything malformed.
  static std::optional<Candidate> parse_sdp(std::string_view line);
};

// RFC 8445 §5.1.2.1: (2^24)*type preference + (2^8)*local preference + (256 - component ID),
// with the recommended type preferences host 126, prflx 110, srflx 100, relay 0.
std::uint32_t candidate_priority(CandidateType type, std::uint16_t local_preference, std::uint32_t component);

}  // namespace jvb::ice
