// The H.264 RTP payload (RFC 6184 §5.6-§5.8) and the sequence parameter set (ITU-T H.264
// §7.3.2.1.1, §7.4.2.1.1): which NAL units a packet carries, whether it starts a frame or a
// keyframe, and the coded resolution from an SPS. JVB forwards H.264 without parsing it (§3.7
// of the media-plane notes); this is what a bridge needs to do better: keyframe-aware resuming
// and layer heights for the allocator.
//
// NAL unit header (every packet's first byte; RFC 6184 §5.3):
//      +---------------+
//      |0|1|2|3|4|5|6|7|
//      +-+-+-+-+-+-+-+-+
//      |F|NRI|  Type   |   Type 1-23: a single NAL unit packet (§5.6)
//      +---------------+   24: STAP-A, 28: FU-A (the mode 1 types browsers use)
//                          25 STAP-B, 26 MTAP16, 27 MTAP24, 29 FU-B: interleaved mode only
//
// STAP-A (§5.7.1):  [STAP-A NAL HDR] ([NALU 1 Size (16 bits)] [NALU 1 HDR] [NALU 1 Data]) ...
// FU-A (§5.8):      [FU indicator: F|NRI|28] [FU header: S|E|R|Type] [FU payload]
//
// Parsing views the caller's RTP payload (after the RTP header). Pure functions, no allocation
// (the SPS is unescaped into a buffer the caller provides); any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "bridge/core/result.hpp"

namespace jvb::codecs {

enum class H264Error : std::uint8_t {
  kEmpty,            // no payload at all
  kTruncated,        // a STAP-A size or an FU header runs past the payload; an SPS ends early
  kMalformed,        // reserved packet type, empty STAP-A unit, S and E in one FU, or SPS values
                     // out of their ranges
  kNotSps,           // parse_h264_sps given another NAL unit type
  kScratchTooSmall,  // the SPS needs more unescaped bytes than the caller's buffer holds
};
const char* h264_error_name(H264Error error);

// nal_unit_type values (H.264 Table 7-1) and RTP packet types (RFC 6184 Table 1).
inline constexpr std::uint8_t kH264NalSlice = 1;
inline constexpr std::uint8_t kH264NalIdr = 5;
inline constexpr std::uint8_t kH264NalSei = 6;
inline constexpr std::uint8_t kH264NalSps = 7;
inline constexpr std::uint8_t kH264NalPps = 8;
inline constexpr std::uint8_t kH264NalAud = 9;
inline constexpr std::uint8_t kH264StapA = 24;
inline constexpr std::uint8_t kH264StapB = 25;
inline constexpr std::uint8_t kH264Mtap16 = 26;
inline constexpr std::uint8_t kH264Mtap24 = 27;
inline constexpr std::uint8_t kH264FuA = 28;
inline constexpr std::uint8_t kH264FuB = 29;

enum class H264Packetization : std::uint8_t {
  kSingleNal,
  kStapA,
  kFuA,
  // Interleaved-mode packets (RFC 6184 §6.4): recognised but not looked into.
  kStapB,
  kMtap16,
  kMtap24,
  kFuB,
};

// A NAL unit that begins in the packet: a single NAL unit, one unit of a STAP-A, or the first
// fragment of an FU-A (S=1).
struct H264Nal {
  std::uint8_t type = 0;  // nal_unit_type (for FU-A the fragmented unit's, from the FU header)
  std::uint8_t nri = 0;
  bool fragment = false;  // FU-A: `bytes` is the first fragment's payload, without the NAL header
  std::span<const std::uint8_t> bytes;  // the whole NAL unit, header included (unless fragment)
  // A slice (types 1-5) whose first_mb_in_slice is 0: the first slice of a coded picture.
  bool first_slice_of_picture = false;
};

// STAP-A units past this many still count in the flags and in nal_count, but are not listed.
inline constexpr std::size_t kH264MaxListedNals = 16;

struct H264Packet {
  H264Packetization packetization = H264Packetization::kSingleNal;
  bool forbidden_bit = false;  // F of the packet's first byte (a syntax violation upstream)
  std::uint8_t nri = 0;        // NRI of the packet's first byte

  // FU-A only.
  bool fu_start = false;  // S
  bool fu_end = false;    // E
  std::uint8_t fu_type = 0;

  // NAL units beginning in this packet (none for an FU-A middle or end fragment).
  std::array<H264Nal, kH264MaxListedNals> nals{};
  std::size_t listed_nals = 0;
  std::size_t nal_count = 0;

  // Data of these types in the packet: whole units, or any fragment of one.
  bool has_idr = false;
  bool has_sps = false;
  bool has_pps = false;
  bool starts_idr_picture = false;  // begins the first slice of an IDR picture
  // The first unit beginning here opens an access unit: an access unit delimiter, SEI or
  // parameter set (which may only precede a picture's first slice, H.264 §7.4.1.2.3), or the
  // first slice of a picture.
  bool starts_access_unit = false;

  bool is_supported() const {
    return packetization == H264Packetization::kSingleNal || packetization == H264Packetization::kStapA ||
           packetization == H264Packetization::kFuA;
  }
  std::span<const H264Nal> listed() const { return std::span<const H264Nal>(nals).first(listed_nals); }

  // The first packet of a frame. A keyframe's parameter sets and its first slice often travel
  // in separate packets (libwebrtc sends STAP-A(SPS, PPS) and then FU-A(IDR)); both report a
  // start, and the first of them in sequence order is the frame's start. Packets of one frame
  // share the RTP timestamp.
  bool is_start_of_frame() const { return starts_access_unit; }
  // The start of a keyframe: a start of frame carrying a parameter set (WebRTC encoders send
  // SPS and PPS only ahead of IDR pictures) or beginning an IDR picture.
  bool is_keyframe() const { return starts_access_unit && (has_sps || has_pps || starts_idr_picture); }
};

// Parses an RTP payload. STAP-B, MTAP and FU-B parse as their packetization with nothing else
// filled in (is_supported() false); reserved types (0, 30, 31) are malformed.
Result<H264Packet, H264Error> parse_h264_payload(std::span<const std::uint8_t> rtp_payload);

// The first SPS unit listed in a packet (a single NAL unit or a STAP-A unit; a fragmented SPS is
// not reassembled), or an empty span.
std::span<const std::uint8_t> find_h264_sps(const H264Packet& packet);

// Removes emulation-prevention bytes (the 03 of 00 00 03, H.264 §7.4.1) from `escaped` into
// `out`, stopping when `out` is full. `complete` is false if input was left over.
struct H264Unescaped {
  std::size_t size = 0;
  bool complete = true;
};
H264Unescaped unescape_h264_rbsp(std::span<const std::uint8_t> escaped, std::span<std::uint8_t> out);

struct H264Sps {
  std::uint8_t profile_idc = 0;
  std::uint8_t constraint_flags = 0;  // constraint_set0..5 flags and the reserved bits
  std::uint8_t level_idc = 0;
  std::uint32_t sps_id = 0;
  std::uint32_t chroma_format_idc = 1;  // 4:2:0 unless a high profile says otherwise
  bool separate_colour_plane = false;
  std::uint32_t bit_depth_luma = 8;
  std::uint32_t bit_depth_chroma = 8;
  std::uint32_t max_num_ref_frames = 0;
  std::uint32_t pic_width_in_mbs = 0;         // pic_width_in_mbs_minus1 + 1
  std::uint32_t pic_height_in_map_units = 0;  // pic_height_in_map_units_minus1 + 1
  bool frame_mbs_only = true;
  bool frame_cropping = false;
  std::uint32_t crop_left = 0;  // frame_crop_*_offset, in crop units
  std::uint32_t crop_right = 0;
  std::uint32_t crop_top = 0;
  std::uint32_t crop_bottom = 0;
  // The displayed size: macroblocks times 16, less the cropping.
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

// A buffer of this size holds any SPS a WebRTC encoder sends, scaling lists included.
inline constexpr std::size_t kH264SpsScratchSize = 256;

// Parses an SPS NAL unit (header byte included; type 7) up to the frame cropping, which is
// all the resolution needs; the VUI is not read. `scratch` receives the unescaped RBSP.
Result<H264Sps, H264Error> parse_h264_sps(std::span<const std::uint8_t> sps_nal,
                                          std::span<std::uint8_t> scratch);

}  // namespace jvb::codecs
