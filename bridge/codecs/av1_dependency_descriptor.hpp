// The Dependency Descriptor RTP header extension (AV1 RTP payload specification, Appendix A;
// codec-agnostic: browsers send it with AV1 and may with other codecs): reading it to learn a
// frame's layers, decode-target indications, references and chains (as JVB's
// Av1DependencyDescriptorReader), and writing it back with a rewritten frame number, template
// IDs and active decode targets (as JVB's Av1DDAdaptiveSourceProjectionContext).
//
// Mandatory fields (3 bytes):
//      0                   1                   2
//      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
//     +-+-+-----------+-------------------------------+
//     |S|E|template_id|         frame_number          |
//     +-+-+-----------+-------------------------------+
// Extended fields (when longer than 3 bytes), bit-packed with no alignment:
//     template_dependency_structure_present_flag, active_decode_targets_present_flag,
//     custom_dtis_flag, custom_fdiffs_flag, custom_chains_flag (1 bit each)
//     [template_dependency_structure]   template_id_offset f(6), dt_cnt_minus_one f(5),
//         template layers (next_layer_idc f(2) per template), DTIs f(2) per template and
//         decode target, fdiffs (fdiff_follows_flag f(1), fdiff_minus_one f(4))...,
//         chain_cnt ns(DtCnt + 1), decode_target_protected_by ns(chain_cnt) per decode target,
//         chain fdiffs f(4) per template and chain, resolutions_present_flag f(1) and
//         render_width_minus_1 f(16), render_height_minus_1 f(16) per spatial layer
//     [active_decode_targets_bitmask f(DtCnt)]
//     [frame_dti f(2) per decode target] [frame fdiffs: next_fdiff_size f(2), f(4 * size)...]
//     [frame_chain_fdiff f(8) per chain]
//     zero padding to the end of the extension
//
// A descriptor can only be read with the template dependency structure in force: the one it
// carries itself (a keyframe's first packet), else the last one received on the stream, which
// the caller keeps. Limits are libwebrtc's (what browsers send): 64 templates, 32 decode targets,
// 4 spatial and 8 temporal layers, and here 16 frame diffs per frame; everything is held in
// fixed arrays. Pure functions, no allocation; any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "bridge/core/result.hpp"

namespace jvb::codecs {

enum class Av1DdError : std::uint8_t {
  kTruncated,          // shorter than 3 bytes, or the fields run past the end
  kNoStructure,        // the descriptor needs a structure and none is in force
  kUnknownTemplate,    // the template id names no template of the structure
  kTooLarge,           // beyond the limits above (templates, layers, frame diffs)
  kInvalid,            // the writer was given values the format cannot express
  kBufferTooSmall,     // the writer's output buffer
  kStructureAttached,  // an in-place rewrite of a descriptor that carries a structure
};
const char* av1_dd_error_name(Av1DdError error);

inline constexpr std::size_t kAv1DdMandatorySize = 3;
inline constexpr std::size_t kAv1MaxTemplates = 64;
inline constexpr std::size_t kAv1MaxDecodeTargets = 32;
inline constexpr std::size_t kAv1MaxChains = 32;
inline constexpr std::size_t kAv1MaxSpatialLayers = 4;
inline constexpr std::size_t kAv1MaxTemporalLayers = 8;
inline constexpr std::size_t kAv1MaxFdiffs = 16;
// An RTP header extension element is at most 255 bytes (RFC 8285 two-byte form).
inline constexpr std::size_t kAv1DdMaxSize = 255;

// Decode target indication (Appendix A, Table A.1).
enum class Av1Dti : std::uint8_t {
  kNotPresent = 0,
  kDiscardable = 1,
  kSwitch = 2,
  kRequired = 3,
};

struct Av1Resolution {
  std::uint32_t width = 0;  // 1..65536
  std::uint32_t height = 0;
  friend bool operator==(const Av1Resolution&, const Av1Resolution&) = default;
};

struct Av1FrameTemplate {
  std::uint8_t spatial_id = 0;
  std::uint8_t temporal_id = 0;
  std::array<Av1Dti, kAv1MaxDecodeTargets> dtis{};  // first decode_target_count used
  std::uint8_t fdiff_count = 0;
  std::array<std::uint8_t, kAv1MaxFdiffs> fdiffs{};        // 1..16 frames back
  std::array<std::uint8_t, kAv1MaxChains> chain_fdiffs{};  // first chain_count used; 0..15
  friend bool operator==(const Av1FrameTemplate&, const Av1FrameTemplate&) = default;
};

struct Av1DecodeTargetLayer {
  std::uint8_t spatial_id = 0;
  std::uint8_t temporal_id = 0;
};

// The template dependency structure. About 5.5 kB: keep one per stream, not per packet.
struct Av1TemplateStructure {
  std::uint8_t template_id_offset = 0;                                          // 0..63
  std::uint8_t decode_target_count = 1;                                         // 1..32
  std::uint8_t chain_count = 0;                                                 // 0..decode_target_count
  std::uint8_t template_count = 0;                                              // 1..64
  std::array<std::uint8_t, kAv1MaxDecodeTargets> decode_target_protected_by{};  // with chains
  std::array<Av1FrameTemplate, kAv1MaxTemplates> templates{};  // sorted by (spatial, temporal) id
  bool has_resolutions = false;
  std::array<Av1Resolution, kAv1MaxSpatialLayers> resolutions{};  // per spatial id

  std::uint8_t spatial_layers() const {
    return template_count == 0 ? 0 : static_cast<std::uint8_t>(templates[template_count - 1].spatial_id + 1);
  }
  // The highest spatial and temporal ids among the templates that decode target `dt` needs
  // (DTI other than not-present): the layer the decode target stands for.
  Av1DecodeTargetLayer decode_target_layer(std::size_t dt) const;
  friend bool operator==(const Av1TemplateStructure&, const Av1TemplateStructure&) = default;
};

// The frame as the descriptor defines it: its template's values unless overridden by the
// custom fields.
struct Av1FrameInfo {
  std::uint8_t spatial_id = 0;
  std::uint8_t temporal_id = 0;
  std::array<Av1Dti, kAv1MaxDecodeTargets> dtis{};  // structure's decode_target_count used
  std::uint8_t fdiff_count = 0;
  std::array<std::uint16_t, kAv1MaxFdiffs> fdiffs{};       // frames back, 1..4096
  std::array<std::uint8_t, kAv1MaxChains> chain_fdiffs{};  // structure's chain_count used
  std::optional<Av1Resolution> resolution;                 // when the structure has resolutions
};

struct Av1DependencyDescriptor {
  bool start_of_frame = false;
  bool end_of_frame = false;
  std::uint8_t template_id = 0;  // frame_dependency_template_id, 0..63
  std::uint16_t frame_number = 0;

  // The extended fields as they were on the wire.
  bool extended_fields = false;  // longer than the mandatory 3 bytes
  bool structure_attached = false;
  bool active_decode_targets_present = false;
  bool custom_dtis = false;
  bool custom_fdiffs = false;
  bool custom_chains = false;
  // Explicit, or all decode targets with a new structure; nullopt: unchanged from before.
  std::optional<std::uint32_t> active_decode_targets;
  // Nibbles each custom fdiff took (1..3), so that writing reproduces the input; 0 lets the
  // writer choose the shortest.
  std::array<std::uint8_t, kAv1MaxFdiffs> custom_fdiff_nibbles{};

  Av1FrameInfo frame;
  std::size_t size = 0;  // bytes received, padding included

  // Carries a structure, which the spec sends on the first packet of a keyframe: the point
  // where a receiver can start decoding.
  bool is_keyframe_start() const { return start_of_frame && structure_attached; }
};

// The mandatory fields alone: needs no structure.
struct Av1DdMandatory {
  bool start_of_frame = false;
  bool end_of_frame = false;
  std::uint8_t template_id = 0;
  std::uint16_t frame_number = 0;
  bool structure_attached = false;  // the extension carries a new structure
};
Result<Av1DdMandatory, Av1DdError> parse_av1_dd_mandatory(std::span<const std::uint8_t> extension);

// Parses the extension's bytes. `structure` is the one in force for this packet (nullptr if
// none yet); a structure carried by the packet replaces it for this and later packets: it is
// parsed into `*attached` (when not null) for the caller to keep. Fails with kNoStructure when
// the packet carries none and `structure` is null. `*attached` is scratch until the parse
// succeeds with structure_attached: a bad packet can leave it half written, so it must not be
// the structure in force (copy it over that on success).
Result<Av1DependencyDescriptor, Av1DdError> parse_av1_dependency_descriptor(
    std::span<const std::uint8_t> extension, const Av1TemplateStructure* structure,
    Av1TemplateStructure* attached = nullptr);

// Encodes `descriptor` into `out` and returns the size written. `structure` is written when
// descriptor.structure_attached and otherwise only sizes the custom fields and the mask. The
// extended fields are written if any of them is set or descriptor.extended_fields is; custom
// fields come from descriptor.frame; the active decode targets mask when
// active_decode_targets_present. `template_id_shift` is added (mod 64) to the template id and,
// when the structure is attached, to its template_id_offset, so the frame keeps its template
// while the ID space moves (JVB's continuity across streams). The output is zero-padded up to
// descriptor.size, so that an unchanged descriptor comes out as it came in (padding bits
// other than zero excepted).
Result<std::size_t, Av1DdError> write_av1_dependency_descriptor(const Av1DependencyDescriptor& descriptor,
                                                                const Av1TemplateStructure& structure,
                                                                std::span<std::uint8_t> out,
                                                                std::uint8_t template_id_shift = 0);

// Rewrites the frame number and shifts the template id of a descriptor in place, for packets
// that carry no structure (the common case): no re-encoding, the size stays.
Result<Av1DdMandatory, Av1DdError> rewrite_av1_dd_in_place(std::span<std::uint8_t> extension,
                                                           std::uint16_t frame_number,
                                                           std::uint8_t template_id_shift);

}  // namespace jvb::codecs
