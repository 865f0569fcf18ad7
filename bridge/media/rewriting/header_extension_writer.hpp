// Sets one RTP header extension element (RFC 8285: one-byte form §4.2, two-byte form §4.3) in a
// packet that may have to grow, e.g. the sdes:mid stamp of SSRC rewriting (RFC 8843 §15, as JVB's
// MidStamper adds it). bridge/rtp can strip and write whole headers but has no "add one element to
// this packet"; this fills the gap and could move there.
//
// An element with the same id and value length is overwritten in place. Otherwise the header
// is rebuilt (rtp::write_rtp_header) with every other element kept in order and the new one
// last, in the smallest form that carries them all (one-byte unless an id above 14, a value
// longer than 16 bytes or an empty value needs two-byte), and the payload and padding move
// behind it. A packet with a non-RFC 8285 extension profile cannot take an element (its block
// is opaque) and is refused.
//
// Pure function, any thread, no allocation (the rebuilt header is assembled on the stack).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "bridge/core/result.hpp"
#include "bridge/rtp/rtp_packet.hpp"

namespace jvb::media {

// Headers larger than this (fixed header, CSRCs and extension block) are refused: no real
// sender comes near it, and it bounds the stack buffer.
inline constexpr std::size_t kMaxRebuiltHeaderSize = 1024;

// The packet is buffer[0, length); buffer[length, buffer.size()) is spare room it may grow
// into. Returns the new length. Errors (the packet is unchanged): whatever RtpPacket::parse
// says of the packet; kBadExtension for id 0, a value over 255 bytes, a non-RFC 8285 profile or
// a header over kMaxRebuiltHeaderSize; kBufferTooSmall when the grown packet does not fit (or
// length > buffer.size()).
Result<std::size_t, rtp::RtpError> set_header_extension(std::span<std::uint8_t> buffer, std::size_t length,
                                                        std::uint8_t id, std::span<const std::uint8_t> value);

}  // namespace jvb::media
