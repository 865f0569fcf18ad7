// What kind of datagram arrived on the shared media port, from its first bytes (RFC 7983 §7):
// STUN 0..3, DTLS 20..63, RTP/RTCP 128..191, where RTCP is told apart from RTP by the second
// byte being a packet type 192..223 (RFC 5761 §4).
#pragma once

#include <cstdint>
#include <span>

namespace jvb::ice {

enum class PacketClass { kStun, kDtls, kRtp, kRtcp, kUnknown };

// kRtcp needs at least 8 bytes (an RTCP header with its SSRC), kRtp at least 12 (the fixed RTP
// header); kStun at least the 20-byte STUN header; kDtls at least the 13-byte record header.
// Shorter datagrams are kUnknown. Does not look past the first two bytes otherwise.
PacketClass classify_packet(std::span<const std::uint8_t> datagram);

}  // namespace jvb::ice
