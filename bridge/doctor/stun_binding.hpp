// The plain STUN Binding exchange the doctor uses (RFC 5389): a request without attributes,
// as a client sends to a STUN server to learn its public address (§7.1, §10: no credentials),
// and a success response carrying XOR-MAPPED-ADDRESS (§15.2). The doctor is both ends of its
// own round trip through the media port, and the client end towards the configured STUN servers
// (ice4j.harvest.mapping.stun.addresses). ICE's authenticated checks are ice/stun_message.hpp's.
//
// Sans-IO: bytes in, bytes out. Parsing never reads past the datagram; anything that is not a
// well-framed Binding request or response is refused.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "bridge/core/socket_address.hpp"

namespace jvb::doctor {

using StunTransactionId = std::array<std::uint8_t, 12>;

inline constexpr std::size_t kStunHeaderSize = 20;
// A Binding success with an IPv6 XOR-MAPPED-ADDRESS: header + attribute header + 20.
inline constexpr std::size_t kStunMaxBindingSize = kStunHeaderSize + 4 + 20;

// Writes a Binding request into `out`; returns its size, 0 when `out` is too small.
std::size_t write_binding_request(const StunTransactionId& id, std::span<std::uint8_t> out);

// Writes a Binding success response telling the requester `mapped` (where its request came
// from); returns its size, 0 when `out` is too small or `mapped` is unset.
std::size_t write_binding_success(const StunTransactionId& id, const SocketAddress& mapped,
                                  std::span<std::uint8_t> out);

enum class StunBindingKind { kRequest, kSuccess, kError };

struct StunBinding {
  StunBindingKind kind = StunBindingKind::kRequest;
  StunTransactionId id{};
  // From XOR-MAPPED-ADDRESS, or the older MAPPED-ADDRESS (RFC 3489 servers) when that is all
  // a success response has.
  std::optional<SocketAddress> mapped;
};

// A Binding request, success or error response (RFC 5389 §6: two zero bits, the magic cookie,
// a length that covers whole attributes); nullopt for anything else.
std::optional<StunBinding> parse_binding(std::span<const std::uint8_t> datagram);

}  // namespace jvb::doctor
