// libFuzzer target for bridge/codecs/av1_dependency_descriptor. The first input byte picks the
// structure in force (none, an L1T1 or an L3T3_KEY structure, parsed once from descriptors built
// in the unit tests) and the rewrite values; the rest is the extension's bytes. Whenever a descriptor
// parses: its fields stay in range; re-encoding it gives back the input up to its padding bits;
// the re-encoded bytes parse to the same descriptor; a new frame number, template id shift and
// active decode targets survive a write and reparse; the in-place rewrite touches 3 bytes.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "bridge/codecs/av1_dependency_descriptor.hpp"

namespace {

using namespace jvb::codecs;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// A single-layer keyframe with its structure (the unit test's kL1t1Key, built field by field).
constexpr std::array<std::uint8_t, 13> kL1t1Key{0x80, 0x00, 0x11, 0x80, 0x00, 0x3a, 0x41,
                                                0x01, 0x81, 0x3f, 0x80, 0xb3, 0x80};
// An L3T3_KEY keyframe with its structure, chains and resolutions (the unit test's kL3t3KeyBuilt).
constexpr std::array<std::uint8_t, 90> kL3t3Key{
    0x80, 0x12, 0x34, 0x80, 0x08, 0x14, 0x85, 0x21, 0x4e, 0xaa, 0xaa, 0xa8, 0x00, 0x06, 0x00,
    0x00, 0x40, 0x00, 0x10, 0x00, 0x02, 0xaa, 0x80, 0xa8, 0x00, 0x06, 0x00, 0x00, 0x40, 0x00,
    0x10, 0x00, 0x02, 0xa0, 0x00, 0xa8, 0x00, 0x06, 0x00, 0x00, 0x40, 0x00, 0x16, 0xd5, 0x49,
    0x24, 0x1b, 0x55, 0x24, 0x90, 0x6d, 0x54, 0x92, 0x31, 0x57, 0xe0, 0x01, 0x97, 0x4c, 0xa8,
    0x64, 0x33, 0x0e, 0x22, 0x23, 0x96, 0xec, 0xa8, 0x65, 0x53, 0x04, 0x22, 0x43, 0x90, 0xec,
    0xa8, 0x77, 0x53, 0x01, 0xdf, 0x01, 0x0d, 0x03, 0xbf, 0x02, 0x1b, 0x07, 0x7f, 0x04, 0x37};

const Av1TemplateStructure* known_structure(int which) {
  static Av1TemplateStructure structures[2];
  static bool ready = [] {
    check(parse_av1_dependency_descriptor(kL1t1Key, nullptr, &structures[0]).has_value());
    check(parse_av1_dependency_descriptor(kL3t3Key, nullptr, &structures[1]).has_value());
    return true;
  }();
  (void)ready;
  return which == 0 ? nullptr : &structures[which - 1];
}

bool same_frame(const Av1FrameInfo& a, const Av1FrameInfo& b, const Av1TemplateStructure& s) {
  if (a.spatial_id != b.spatial_id || a.temporal_id != b.temporal_id || a.fdiff_count != b.fdiff_count ||
      a.resolution != b.resolution)
    return false;
  for (std::size_t dt = 0; dt < s.decode_target_count; ++dt)
    if (a.dtis[dt] != b.dtis[dt]) return false;
  for (std::size_t i = 0; i < a.fdiff_count; ++i)
    if (a.fdiffs[i] != b.fdiffs[i]) return false;
  for (std::size_t c = 0; c < s.chain_count; ++c)
    if (a.chain_fdiffs[c] != b.chain_fdiffs[c]) return false;
  return true;
}

bool same_descriptor(const Av1DependencyDescriptor& a, const Av1DependencyDescriptor& b,
                     const Av1TemplateStructure& s) {
  return a.start_of_frame == b.start_of_frame && a.end_of_frame == b.end_of_frame &&
         a.template_id == b.template_id && a.frame_number == b.frame_number &&
         a.extended_fields == b.extended_fields && a.structure_attached == b.structure_attached &&
         a.active_decode_targets_present == b.active_decode_targets_present &&
         a.custom_dtis == b.custom_dtis && a.custom_fdiffs == b.custom_fdiffs &&
         a.custom_chains == b.custom_chains && a.active_decode_targets == b.active_decode_targets &&
         same_frame(a.frame, b.frame, s);
}

void check_ranges(const Av1DependencyDescriptor& d, const Av1TemplateStructure& s) {
  check(d.template_id < 64);
  check(s.template_count >= 1 && s.template_count <= kAv1MaxTemplates);
  check(s.decode_target_count >= 1 && s.decode_target_count <= kAv1MaxDecodeTargets);
  check(s.chain_count <= s.decode_target_count && s.template_id_offset < 64);
  check(s.templates[0].spatial_id == 0 && s.templates[0].temporal_id == 0);
  for (std::size_t i = 0; i < s.template_count; ++i) {
    const Av1FrameTemplate& t = s.templates[i];
    check(t.spatial_id < kAv1MaxSpatialLayers && t.temporal_id < kAv1MaxTemporalLayers);
    check(t.fdiff_count <= kAv1MaxFdiffs);
    for (std::size_t f = 0; f < t.fdiff_count; ++f) check(t.fdiffs[f] >= 1 && t.fdiffs[f] <= 16);
    for (std::size_t c = 0; c < s.chain_count; ++c) check(t.chain_fdiffs[c] <= 15);
    if (i > 0) check(t.spatial_id >= s.templates[i - 1].spatial_id);
  }
  for (std::size_t dt = 0; dt < s.decode_target_count; ++dt) {
    if (s.chain_count > 0) check(s.decode_target_protected_by[dt] < s.chain_count);
    const Av1DecodeTargetLayer layer = s.decode_target_layer(dt);
    check(layer.spatial_id < s.spatial_layers());
  }
  check(d.frame.spatial_id < s.spatial_layers());
  check(d.frame.fdiff_count <= kAv1MaxFdiffs);
  for (std::size_t i = 0; i < d.frame.fdiff_count; ++i)
    check(d.frame.fdiffs[i] >= 1 && d.frame.fdiffs[i] <= 4096);
  check(d.frame.resolution.has_value() == s.has_resolutions);
  if (d.active_decode_targets && s.decode_target_count < 32)
    check((*d.active_decode_targets >> s.decode_target_count) == 0);
  check(d.active_decode_targets.has_value() == (d.structure_attached || d.active_decode_targets_present));
  check(d.extended_fields == (d.size > kAv1DdMandatorySize));
}

void exercise(std::span<const std::uint8_t> ext, const Av1TemplateStructure* in_force, std::uint8_t knobs) {
  Av1TemplateStructure attached;
  auto d = parse_av1_dependency_descriptor(ext, in_force, &attached);
  auto m = parse_av1_dd_mandatory(ext);
  if (!d) {
    (void)av1_dd_error_name(d.error());
    if (d.error() == Av1DdError::kNoStructure)
      check(in_force == nullptr && m.has_value() && !m->structure_attached);
    return;
  }
  const Av1TemplateStructure& s = d->structure_attached ? attached : *in_force;
  check(m.has_value() && m->frame_number == d->frame_number && m->template_id == d->template_id &&
        m->structure_attached == d->structure_attached && m->start_of_frame == d->start_of_frame);
  check(d->size == ext.size());
  check_ranges(*d, s);

  // Re-encoding gives the input back, up to padding bits that were not zero.
  std::array<std::uint8_t, 8192> out{};
  auto n = write_av1_dependency_descriptor(*d, s, out);
  check(n.has_value() && *n == ext.size());
  Av1DependencyDescriptor minimal = *d;
  minimal.size = 0;
  std::array<std::uint8_t, 8192> min_out{};
  auto min_n = write_av1_dependency_descriptor(minimal, s, min_out);
  check(min_n.has_value() && *min_n <= ext.size() && *min_n >= kAv1DdMandatorySize);
  for (std::size_t i = 0; i < ext.size(); ++i) {
    if (i + 1 < *min_n)
      check(out[i] == ext[i]);
    else if (i + 1 == *min_n)
      check((out[i] & ~ext[i]) == 0 && out[i] == min_out[i]);
    else
      check(out[i] == 0);
  }
  Av1TemplateStructure reattached;
  auto again =
      parse_av1_dependency_descriptor(std::span<const std::uint8_t>(out).first(*n), in_force, &reattached);
  check(again.has_value() && same_descriptor(*d, *again, s));
  if (d->structure_attached) check(reattached == attached);

  // A rewrite: new frame number, shifted template ids, narrowed decode targets.
  Av1DependencyDescriptor changed = *d;
  changed.frame_number = static_cast<std::uint16_t>(d->frame_number * 31 + knobs);
  changed.active_decode_targets_present = true;
  const std::uint32_t all = static_cast<std::uint32_t>((std::uint64_t{1} << s.decode_target_count) - 1);
  changed.active_decode_targets = (0x9E3779B9u * (knobs + 1u)) & all;
  const std::uint8_t shift = d->structure_attached ? static_cast<std::uint8_t>(knobs % 64) : 0;
  auto cn = write_av1_dependency_descriptor(changed, s, out, shift);
  check(cn.has_value() && *cn >= ext.size());
  Av1TemplateStructure shifted;
  auto c = parse_av1_dependency_descriptor(std::span<const std::uint8_t>(out).first(*cn), in_force, &shifted);
  check(c.has_value());
  check(c->frame_number == changed.frame_number && c->active_decode_targets == changed.active_decode_targets);
  check(c->template_id == (d->template_id + shift) % 64);
  check(same_frame(c->frame, d->frame, s));
  if (d->structure_attached) {
    check(shifted.template_id_offset == (attached.template_id_offset + shift) % 64);
    shifted.template_id_offset = attached.template_id_offset;
    check(shifted == attached);
  }

  // In place: only the mandatory bytes change, and only without a structure.
  std::array<std::uint8_t, 8192> copy{};
  std::copy(ext.begin(), ext.end(), copy.begin());
  const auto in_place = std::span<std::uint8_t>(copy).first(ext.size());
  auto r = rewrite_av1_dd_in_place(in_place, changed.frame_number, knobs);
  check(r.has_value() == !d->structure_attached);
  if (r) {
    check(r->frame_number == changed.frame_number && r->template_id == (d->template_id + knobs) % 64);
    auto after = parse_av1_dd_mandatory(in_place);
    check(after.has_value() && after->frame_number == r->frame_number &&
          after->template_id == r->template_id && after->start_of_frame == d->start_of_frame &&
          after->end_of_frame == d->end_of_frame);
    for (std::size_t i = kAv1DdMandatorySize; i < ext.size(); ++i) check(copy[i] == ext[i]);
  } else {
    for (std::size_t i = 0; i < ext.size(); ++i) check(copy[i] == ext[i]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t knobs = data[0];
  const std::span<const std::uint8_t> ext(data + 1, size - 1);
  exercise(ext, known_structure(knobs % 3), knobs);
  return 0;
}
