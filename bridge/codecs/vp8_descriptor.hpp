// The VP8 RTP payload descriptor (RFC 7741 §4.2) and the start of the VP8 payload header
// (RFC 7741 §4.3, with the key frame header of RFC 6386 §9.1): what the bridge needs to find
// frame starts, keyframes, temporal layers and resolution (as JVB's Vp8Parser), and to rewrite
// PictureID and TL0PICIDX in place when projecting (as JVB's VP8AdaptiveSourceProjectionContext).
//
//       0 1 2 3 4 5 6 7
//      +-+-+-+-+-+-+-+-+
//      |X|R|N|S|R| PID | (REQUIRED)
//      +-+-+-+-+-+-+-+-+
// X:   |I|L|T|K| RSV   | (OPTIONAL)
//      +-+-+-+-+-+-+-+-+
// I:   |M| PictureID   | (OPTIONAL; M=1: 15 bits over two bytes)
//      +-+-+-+-+-+-+-+-+
//      |   PictureID   |
//      +-+-+-+-+-+-+-+-+
// L:   |   TL0PICIDX   | (OPTIONAL)
//      +-+-+-+-+-+-+-+-+
// T/K: |TID|Y| KEYIDX  | (OPTIONAL)
//      +-+-+-+-+-+-+-+-+
//
// VP8 payload header, first partition of a frame (S=1, PID=0):
//      |Size0|H| VER |P|  P = 0 on key frames (inverse key frame flag)
//      |     Size1     |
//      |     Size2     |
//   key frames then: 9d 01 2a, then 16-bit little-endian width and height (low 14 bits; the
//   top 2 bits are a scale).
//
// Parsing views the caller's RTP payload (after the RTP header). Pure functions, no allocation;
// any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "bridge/core/result.hpp"

namespace jvb::codecs {

enum class Vp8Error : std::uint8_t {
  kEmpty,        // no payload at all
  kTruncated,    // the descriptor runs past the payload
  kNoPayload,    // a descriptor with no VP8 data after it
  kNoPictureId,  // a rewrite of a field the packet does not carry
  kNoTl0PicIdx,
};
const char* vp8_error_name(Vp8Error error);

inline constexpr std::uint16_t kPictureIdMask7 = 0x7F;
inline constexpr std::uint16_t kPictureIdMask15 = 0x7FFF;

struct Vp8Descriptor {
  bool extended = false;             // X
  bool non_reference = false;        // N
  bool start_of_partition = false;   // S
  std::uint8_t partition_index = 0;  // PID (3 bits)

  std::optional<std::uint16_t> picture_id;  // I: 7 or 15 bits
  bool picture_id_15_bit = false;           // M
  std::optional<std::uint8_t> tl0_pic_idx;  // L
  std::optional<std::uint8_t> temporal_id;  // T: TID (2 bits)
  bool layer_sync = false;                  // Y (meaningful with T)
  std::optional<std::uint8_t> key_index;    // K: KEYIDX (5 bits)

  // Offsets inside the RTP payload, for in-place rewriting (0 when the field is absent).
  std::size_t picture_id_offset = 0;
  std::size_t tl0_pic_idx_offset = 0;
  std::size_t size = 0;  // descriptor length: the VP8 payload starts here

  // The first packet of a frame (S=1 and PID=0).
  bool is_start_of_frame() const { return start_of_partition && partition_index == 0; }
};

// Parses the descriptor at the start of an RTP payload. At least one byte of VP8 data must
// follow it (RFC 7741 §4.2 makes the payload mandatory).
Result<Vp8Descriptor, Vp8Error> parse_vp8_descriptor(std::span<const std::uint8_t> rtp_payload);

struct Vp8FrameInfo {
  bool keyframe = false;
  // Key frames only, when the packet holds the key frame header (10 bytes of VP8 data).
  std::optional<std::uint16_t> width;
  std::optional<std::uint16_t> height;
};

// Keyframe and resolution from the VP8 data after the descriptor (`vp8_data` =
// rtp_payload.subspan(descriptor.size)). Only the first packet of a frame carries the payload
// header; for any other packet this says "not a keyframe". A key frame
// whose start code does not match is reported as a keyframe without dimensions.
Vp8FrameInfo parse_vp8_frame_info(const Vp8Descriptor& descriptor, std::span<const std::uint8_t> vp8_data);

// Both in one step from the RTP payload.
inline bool is_vp8_keyframe(std::span<const std::uint8_t> rtp_payload) {
  auto d = parse_vp8_descriptor(rtp_payload);
  return d && parse_vp8_frame_info(*d, rtp_payload.subspan(d->size)).keyframe;
}

// Rewrite the PictureID in place, keeping its 7- or 15-bit form (the value is truncated to
// that width) and the M bit; `descriptor` must come from parsing this same payload.
Result<std::uint16_t, Vp8Error> rewrite_vp8_picture_id(std::span<std::uint8_t> rtp_payload,
                                                       const Vp8Descriptor& descriptor,
                                                       std::uint16_t picture_id);
Result<std::uint8_t, Vp8Error> rewrite_vp8_tl0_pic_idx(std::span<std::uint8_t> rtp_payload,
                                                       const Vp8Descriptor& descriptor,
                                                       std::uint8_t tl0_pic_idx);

}  // namespace jvb::codecs
