// A read-only view of one RTP packet (RFC 3550 §5.1) and its header extensions (RFC 8285: the
// one-byte form, profile 0xBEDE, §4.2, and the two-byte form, profiles 0x1000-0x100F, §4.3),
// plus the few in-place edits the forwarding path makes: rewrite seq/ts/SSRC/PT/marker, drop
// all extensions but a kept set (as JVB's HeaderExtStripper keeps audio level and video
// orientation), drop padding.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
// |                           timestamp                           |
// |           synchronization source (SSRC) identifier            |
// |            contributing source (CSRC) identifiers (CC)        |
// |  defined by profile (0xBEDE)  |     length (32-bit words)     |  if X
// |                     extension elements ...                    |
// |                     payload ...       | padding ... | count   |  if P
//
// RtpPacket::parse validates everything it exposes, including the framing of every extension
// element, so the accessors and the extension iteration cannot fail afterwards. The view
// points into the caller's bytes and is valid only while they are unchanged. No allocation.
// Pure functions; any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>

#include "bridge/core/result.hpp"

namespace jvb::rtp {

inline constexpr std::size_t kFixedHeaderSize = 12;
inline constexpr std::uint16_t kOneByteProfile = 0xBEDE;
inline constexpr std::uint16_t kTwoByteProfile = 0x1000;  // low 4 bits: "appbits"
inline constexpr std::uint8_t kOneByteMaxId = 14;         // 15 is reserved (RFC 8285 §4.2)
inline constexpr std::size_t kOneByteMaxLength = 16;

enum class RtpError : std::uint8_t {
  kTooShort,            // fewer than 12 bytes
  kBadVersion,          // V != 2
  kCsrcTruncated,       // the CSRC list runs past the end
  kExtensionTruncated,  // the extension header or block runs past the end
  kBadExtension,        // an extension element runs past its block, or uses id 0
  kBadPadding,          // P set with a zero count or a count larger than the payload
  kBadExtensionValue,   // an extension value of the wrong size or content (rtp_extensions.hpp)
  kBufferTooSmall,      // a writer's output buffer is too small
};
const char* rtp_error_name(RtpError error);

enum class ExtensionProfile : std::uint8_t {
  kNone,     // X = 0
  kOneByte,  // 0xBEDE
  kTwoByte,  // 0x100X
  kOther,    // some other profile: the block is kept opaque and has no elements
};

// One extension element. `offset` is where `data` starts inside the packet, so a caller holding
// the packet mutably can overwrite the value in place (same length).
struct HeaderExtension {
  std::uint8_t id = 0;
  std::span<const std::uint8_t> data;
  std::size_t offset = 0;
};

// Walks the elements of an already validated extension block. Padding bytes are skipped; a
// one-byte id 15 ends the walk (RFC 8285 §4.2).
class HeaderExtensionIterator {
 public:
  HeaderExtensionIterator() = default;
  HeaderExtensionIterator(std::span<const std::uint8_t> elements, std::size_t elements_offset,
                          ExtensionProfile profile)
      : elements_(elements), base_offset_(elements_offset), profile_(profile) {}

  std::optional<HeaderExtension> next();
  // True if the walk stopped at malformed framing (never, for a block from RtpPacket::parse).
  bool malformed() const { return malformed_; }

 private:
  std::span<const std::uint8_t> elements_;
  std::size_t base_offset_ = 0;
  std::size_t pos_ = 0;
  ExtensionProfile profile_ = ExtensionProfile::kNone;
  bool malformed_ = false;
};

// A set of extension ids (0-255), e.g. the ones kept when forwarding.
class ExtensionIdSet {
 public:
  constexpr ExtensionIdSet() = default;
  constexpr ExtensionIdSet(std::initializer_list<std::uint8_t> ids) {
    for (auto id : ids) add(id);
  }
  constexpr void add(std::uint8_t id) { bits_[id >> 6] |= std::uint64_t{1} << (id & 63); }
  constexpr void remove(std::uint8_t id) { bits_[id >> 6] &= ~(std::uint64_t{1} << (id & 63)); }
  constexpr bool contains(std::uint8_t id) const { return (bits_[id >> 6] >> (id & 63)) & 1; }

 private:
  std::array<std::uint64_t, 4> bits_{};
};

class RtpPacket {
 public:
  static Result<RtpPacket, RtpError> parse(std::span<const std::uint8_t> packet);

  bool has_padding() const { return (bytes_[0] & 0x20) != 0; }
  bool has_extension() const { return (bytes_[0] & 0x10) != 0; }
  std::uint8_t csrc_count() const { return bytes_[0] & 0x0F; }
  bool marker() const { return (bytes_[1] & 0x80) != 0; }
  std::uint8_t payload_type() const { return bytes_[1] & 0x7F; }
  std::uint16_t sequence_number() const { return sequence_number_; }
  std::uint32_t timestamp() const { return timestamp_; }
  std::uint32_t ssrc() const { return ssrc_; }
  // The i-th CSRC, i < csrc_count().
  std::uint32_t csrc(std::size_t i) const;

  // The whole packet, header through padding.
  std::span<const std::uint8_t> bytes() const { return bytes_; }
  // Fixed header + CSRCs + extension block: where the payload starts.
  std::size_t header_size() const { return header_size_; }
  std::span<const std::uint8_t> payload() const { return bytes_.subspan(header_size_, payload_size_); }
  std::size_t payload_size() const { return payload_size_; }
  // Padding bytes including the count byte (0 if P is clear).
  std::size_t padding_size() const { return padding_size_; }

  ExtensionProfile extension_profile() const { return profile_; }
  // The 16-bit "defined by profile" field (0 when X is clear).
  std::uint16_t extension_profile_id() const { return profile_id_; }
  // The extension elements (after the 4-byte extension header); empty when X is clear.
  std::span<const std::uint8_t> extension_elements() const {
    return bytes_.subspan(extension_offset_, extension_size_);
  }
  std::size_t extension_elements_offset() const { return extension_offset_; }

  HeaderExtensionIterator extensions() const {
    return HeaderExtensionIterator(extension_elements(), extension_offset_, profile_);
  }
  // The first element with this id (ids 1-14 one-byte, 1-255 two-byte).
  std::optional<HeaderExtension> find_extension(std::uint8_t id) const;

 private:
  RtpPacket() = default;  // only parse() makes one: the accessors rely on its checks

  std::span<const std::uint8_t> bytes_;
  std::uint32_t timestamp_ = 0;
  std::uint32_t ssrc_ = 0;
  std::uint16_t sequence_number_ = 0;
  std::uint16_t profile_id_ = 0;
  ExtensionProfile profile_ = ExtensionProfile::kNone;
  std::size_t extension_offset_ = 0;
  std::size_t extension_size_ = 0;
  std::size_t header_size_ = 0;
  std::size_t payload_size_ = 0;
  std::size_t padding_size_ = 0;
};

// In-place header rewrites. Each needs at least the 12-byte fixed header and returns false
// (writing nothing) if `packet` is shorter; they do not otherwise validate the packet.
bool set_sequence_number(std::span<std::uint8_t> packet, std::uint16_t seq);
bool set_timestamp(std::span<std::uint8_t> packet, std::uint32_t timestamp);
bool set_ssrc(std::span<std::uint8_t> packet, std::uint32_t ssrc);
bool set_payload_type(std::span<std::uint8_t> packet, std::uint8_t payload_type);  // 7 bits
bool set_marker(std::span<std::uint8_t> packet, bool marker);

// Removes every header-extension element whose id is not in `keep`, compacting the block in
// place (its profile unchanged, zero-padded to 32 bits) and moving the payload and padding up
// behind it. When nothing is kept, or the profile is not an RFC 8285 one, the whole block goes
// and X is cleared. Returns the new packet length; the packet is unchanged on error.
Result<std::size_t, RtpError> strip_header_extensions(std::span<std::uint8_t> packet,
                                                      const ExtensionIdSet& keep);

// Removes RTP padding (RFC 3550 §5.1, as JVB's PaddingTermination does): clears P and returns the
// new length (header + payload). A packet without padding keeps its length.
Result<std::size_t, RtpError> remove_padding(std::span<std::uint8_t> packet);

// One element to write.
struct ExtensionElement {
  std::uint8_t id = 0;
  std::span<const std::uint8_t> data;
};

// The form that can carry these elements: one-byte unless an id above 14, a length above 16 or
// an empty value needs two-byte (RFC 8285 §4.2-§4.3). kNone for an empty list.
ExtensionProfile choose_extension_profile(std::span<const ExtensionElement> elements);

struct RtpHeaderFields {
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence_number = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::span<const std::uint32_t> csrcs;  // at most 15
};

// Writes a fixed header, CSRCs and (if `extensions` is not empty) an extension block in the
// form choose_extension_profile picks; the caller appends the payload. Returns the header size.
// kBadExtension for an id 0, a value over 255 bytes, a block over 0xFFFF words or > 15 CSRCs.
Result<std::size_t, RtpError> write_rtp_header(std::span<std::uint8_t> out, const RtpHeaderFields& fields,
                                               std::span<const ExtensionElement> extensions = {});

}  // namespace jvb::rtp
