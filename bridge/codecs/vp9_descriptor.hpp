// The VP9 RTP payload descriptor (RFC 9628 §4.2) with its scalability structure (§4.2.1): what
// the bridge needs to find frame and picture boundaries, keyframes, spatial and temporal layers
// and the per-layer resolutions (as JVB's Vp9Packet), and to rewrite the picture ID and
// TL0PICIDX in place when projecting (as JVB's Vp9AdaptiveSourceProjectionContext).
//
// Flexible mode (F=1):                     Non-flexible mode (F=0):
//       0 1 2 3 4 5 6 7                          0 1 2 3 4 5 6 7
//      +-+-+-+-+-+-+-+-+                        +-+-+-+-+-+-+-+-+
//      |I|P|L|F|B|E|V|Z| (REQUIRED)             |I|P|L|F|B|E|V|Z| (REQUIRED)
//      +-+-+-+-+-+-+-+-+                        +-+-+-+-+-+-+-+-+
// I:   |M| PICTURE ID  | (REQUIRED)        I:   |M| PICTURE ID  | (RECOMMENDED)
//      +-+-+-+-+-+-+-+-+                        +-+-+-+-+-+-+-+-+
// M:   | EXTENDED PID  | (RECOMMENDED)     M:   | EXTENDED PID  | (RECOMMENDED)
//      +-+-+-+-+-+-+-+-+                        +-+-+-+-+-+-+-+-+
// L:   | TID |U| SID |D| (COND. RECOMM.)   L:   | TID |U| SID |D| (COND. RECOMM.)
//      +-+-+-+-+-+-+-+-+         -+             +-+-+-+-+-+-+-+-+
// P,F: | P_DIFF      |N| (COND. REQ.) - up to   |   TL0PICIDX   | (COND. REQUIRED)
//      +-+-+-+-+-+-+-+-+         -+  3 times    +-+-+-+-+-+-+-+-+
// V:   | SS            |                  V:   | SS            |
//      | ..            |                       | ..            |
//      +-+-+-+-+-+-+-+-+                        +-+-+-+-+-+-+-+-+
//
// Scalability structure (V=1):
//      +-+-+-+-+-+-+-+-+
// V:   | N_S |Y|G|-|-|-|
//      +-+-+-+-+-+-+-+-+              -+
// Y:   |     WIDTH     | (16 bits)      . N_S + 1 times
//      |     HEIGHT    | (16 bits)      .
//      +-+-+-+-+-+-+-+-+              -+
// G:   |      N_G      |
//      +-+-+-+-+-+-+-+-+                           -+
// N_G: | TID |U| R |-|-|                             . N_G times
//      +-+-+-+-+-+-+-+-+              -+            .
//      |    P_DIFF     |  R times      .            .
//      +-+-+-+-+-+-+-+-+              -+            -+
//
// Parsing views the caller's RTP payload (after the RTP header). Pure functions, no allocation;
// any thread. The picture group is kept as a view on the payload and walked on demand.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "bridge/core/result.hpp"

namespace jvb::codecs {

enum class Vp9Error : std::uint8_t {
  kEmpty,              // no payload at all
  kTruncated,          // the descriptor (or its scalability structure) runs past the payload
  kNoPayload,          // a descriptor with no VP9 data after it
  kTooManyReferences,  // flexible mode with a fourth P_DIFF (N set on the third)
  kNoPictureId,        // a rewrite of a field the packet does not carry
  kPictureIdNot15Bit,  // the bridge only rewrites the 15-bit form (what browsers send)
  kNoTl0PicIdx,
};
const char* vp9_error_name(Vp9Error error);

inline constexpr std::size_t kVp9MaxReferences = 3;     // P_DIFFs per frame, and R per PG entry
inline constexpr std::size_t kVp9MaxSpatialLayers = 8;  // N_S is 3 bits

struct Vp9Resolution {
  std::uint16_t width = 0;
  std::uint16_t height = 0;
  friend bool operator==(const Vp9Resolution&, const Vp9Resolution&) = default;
};

// One picture of the picture group (the temporal pattern of a non-flexible stream).
struct Vp9PictureGroupEntry {
  std::uint8_t temporal_id = 0;                           // TID (3 bits)
  bool switching_up_point = false;                        // U
  std::uint8_t reference_count = 0;                       // R (0..3)
  std::array<std::uint8_t, kVp9MaxReferences> p_diffs{};  // picture ID differences
};

// The picture group as sent: a view on entries that parsing has already bounds-checked, walked
// with range-for. Only valid while the payload it views is.
class Vp9PictureGroup {
 public:
  class Iterator {
   public:
    Iterator(const std::uint8_t* at, std::size_t left) : at_(at), left_(left) {}
    Vp9PictureGroupEntry operator*() const;
    Iterator& operator++();
    bool operator==(const Iterator& other) const { return left_ == other.left_; }

   private:
    const std::uint8_t* at_;
    std::size_t left_;  // entries from this one to the end
  };

  Vp9PictureGroup() = default;
  Vp9PictureGroup(std::span<const std::uint8_t> bytes, std::size_t count) : bytes_(bytes), count_(count) {}
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  Iterator begin() const { return {bytes_.data(), count_}; }
  Iterator end() const { return {nullptr, 0}; }

 private:
  std::span<const std::uint8_t> bytes_;  // exactly the N_G entries
  std::size_t count_ = 0;
};

struct Vp9ScalabilityStructure {
  std::uint8_t spatial_layers = 1;                                // N_S + 1
  bool has_resolutions = false;                                   // Y
  std::array<Vp9Resolution, kVp9MaxSpatialLayers> resolutions{};  // first spatial_layers used
  bool has_picture_group = false;                                 // G
  Vp9PictureGroup picture_group;

  // Highest TID in the picture group + 1; 1 without one (in flexible mode the temporal layers
  // are only learnt from the packets' TIDs).
  std::uint8_t temporal_layers() const;
};

struct Vp9Descriptor {
  bool inter_picture_predicted = false;    // P
  bool flexible_mode = false;              // F
  bool start_of_frame = false;             // B
  bool end_of_frame = false;               // E
  bool not_upper_level_reference = false;  // Z

  std::optional<std::uint16_t> picture_id;  // I: 7 or 15 bits
  bool picture_id_15_bit = false;           // M

  bool has_layer_indices = false;           // L
  std::uint8_t temporal_id = 0;             // TID (with L)
  bool switching_up_point = false;          // U (with L)
  std::uint8_t spatial_id = 0;              // SID (with L)
  bool inter_layer_dependency = false;      // D (with L)
  std::optional<std::uint8_t> tl0_pic_idx;  // non-flexible mode with L

  std::uint8_t reference_count = 0;  // flexible mode with P: the P_DIFFs
  std::array<std::uint8_t, kVp9MaxReferences> p_diffs{};

  std::optional<Vp9ScalabilityStructure> scalability_structure;  // V

  // Offsets inside the RTP payload, for in-place rewriting (0 when the field is absent).
  std::size_t picture_id_offset = 0;
  std::size_t tl0_pic_idx_offset = 0;
  std::size_t size = 0;  // descriptor length: the VP9 data starts here

  bool is_start_of_frame() const { return start_of_frame; }
  // End of this spatial layer's frame; the end of the whole picture is the RTP marker bit.
  bool is_end_of_frame() const { return end_of_frame; }
  // Higher spatial layers of the same picture may predict from this frame (Z clear).
  bool is_upper_level_reference() const { return !not_upper_level_reference; }
  // Not inter-picture predicted, and decodable without a lower spatial layer: the lowest
  // layer of a keyframe picture, or any layer that has no inter-layer dependency. Every packet
  // of such a frame says so, not only its first.
  bool is_keyframe() const {
    return !inter_picture_predicted && (!has_layer_indices || spatial_id == 0 || !inter_layer_dependency);
  }
};

// Parses the descriptor at the start of an RTP payload. At least one byte of VP9 data must
// follow it.
Result<Vp9Descriptor, Vp9Error> parse_vp9_descriptor(std::span<const std::uint8_t> rtp_payload);

// The B and E bits from the first byte alone (false for an empty payload), for code that needs
// only the frame boundaries.
inline bool is_vp9_start_of_frame(std::span<const std::uint8_t> rtp_payload) {
  return !rtp_payload.empty() && (rtp_payload[0] & 0x08) != 0;
}
inline bool is_vp9_end_of_frame(std::span<const std::uint8_t> rtp_payload) {
  return !rtp_payload.empty() && (rtp_payload[0] & 0x04) != 0;
}

// Rewrite the 15-bit picture ID in place (the value is truncated to 15 bits, M stays set);
// a packet with a 7-bit picture ID or none is refused unchanged. `descriptor` must come from
// parsing this same payload.
Result<std::uint16_t, Vp9Error> rewrite_vp9_picture_id(std::span<std::uint8_t> rtp_payload,
                                                       const Vp9Descriptor& descriptor,
                                                       std::uint16_t picture_id);
Result<std::uint8_t, Vp9Error> rewrite_vp9_tl0_pic_idx(std::span<std::uint8_t> rtp_payload,
                                                       const Vp9Descriptor& descriptor,
                                                       std::uint8_t tl0_pic_idx);

}  // namespace jvb::codecs
