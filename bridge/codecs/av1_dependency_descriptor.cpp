// Dependency Descriptor RTP header extension (AV1 RTP payload specification, Appendix A).
#include "bridge/codecs/av1_dependency_descriptor.hpp"

#include <algorithm>

#include "bridge/codecs/bit_io.hpp"

namespace jvb::codecs {

namespace {

enum NextLayerIdc : std::uint32_t {
  kSameLayer = 0,
  kNextTemporalLayer = 1,
  kNextSpatialLayer = 2,
  kNoMoreTemplates = 3,
};

std::optional<Av1DdError> read_structure(BitReader& r, Av1TemplateStructure& s) {
  s = Av1TemplateStructure{};
  s.template_id_offset = static_cast<std::uint8_t>(r.bits(6));
  s.decode_target_count = static_cast<std::uint8_t>(r.bits(5) + 1);

  std::uint8_t spatial_id = 0;
  std::uint8_t temporal_id = 0;
  for (;;) {
    if (s.template_count == kAv1MaxTemplates) return Av1DdError::kTooLarge;
    Av1FrameTemplate& t = s.templates[s.template_count++];
    t.spatial_id = spatial_id;
    t.temporal_id = temporal_id;
    const std::uint32_t idc = r.bits(2);
    if (!r.ok()) return Av1DdError::kTruncated;
    if (idc == kNoMoreTemplates) break;
    if (idc == kNextTemporalLayer) {
      if (++temporal_id == kAv1MaxTemporalLayers) return Av1DdError::kTooLarge;
    } else if (idc == kNextSpatialLayer) {
      temporal_id = 0;
      if (++spatial_id == kAv1MaxSpatialLayers) return Av1DdError::kTooLarge;
    }
  }
  for (std::size_t i = 0; i < s.template_count; ++i) {
    for (std::size_t dt = 0; dt < s.decode_target_count; ++dt)
      s.templates[i].dtis[dt] = static_cast<Av1Dti>(r.bits(2));
  }
  for (std::size_t i = 0; i < s.template_count && r.ok(); ++i) {
    Av1FrameTemplate& t = s.templates[i];
    while (r.bit()) {
      if (t.fdiff_count == kAv1MaxFdiffs) return Av1DdError::kTooLarge;
      t.fdiffs[t.fdiff_count++] = static_cast<std::uint8_t>(r.bits(4) + 1);
    }
  }
  s.chain_count = static_cast<std::uint8_t>(r.ns(s.decode_target_count + 1u));
  if (s.chain_count > 0) {
    for (std::size_t dt = 0; dt < s.decode_target_count; ++dt)
      s.decode_target_protected_by[dt] = static_cast<std::uint8_t>(r.ns(s.chain_count));
    for (std::size_t i = 0; i < s.template_count; ++i) {
      for (std::size_t c = 0; c < s.chain_count; ++c)
        s.templates[i].chain_fdiffs[c] = static_cast<std::uint8_t>(r.bits(4));
    }
  }
  s.has_resolutions = r.bit();
  if (s.has_resolutions) {
    for (std::size_t sid = 0; sid < s.spatial_layers(); ++sid) {
      s.resolutions[sid].width = r.bits(16) + 1;
      s.resolutions[sid].height = r.bits(16) + 1;
    }
  }
  if (!r.ok()) return Av1DdError::kTruncated;
  return std::nullopt;
}

std::uint32_t all_decode_targets(std::size_t count) {
  return static_cast<std::uint32_t>((std::uint64_t{1} << count) - 1);
}

std::size_t template_index(std::uint8_t template_id, const Av1TemplateStructure& s) {
  return (template_id + kAv1MaxTemplates - s.template_id_offset) % kAv1MaxTemplates;
}

unsigned nibbles_for(std::uint32_t value) {
  if (value < 0x10) return 1;
  return value < 0x100 ? 2 : 3;
}

// What every descriptor needs of the structure in force: counts within their fields.
bool counts_writable(const Av1TemplateStructure& s) {
  return s.template_id_offset < kAv1MaxTemplates && s.decode_target_count >= 1 &&
         s.decode_target_count <= kAv1MaxDecodeTargets && s.chain_count <= s.decode_target_count &&
         s.template_count >= 1 && s.template_count <= kAv1MaxTemplates;
}

// What writing the structure itself needs besides: the templates in an order next_layer_idc
// can describe, every value within its field.
bool structure_writable(const Av1TemplateStructure& s) {
  if (!counts_writable(s)) return false;
  if (s.templates[0].spatial_id != 0 || s.templates[0].temporal_id != 0) return false;
  for (std::size_t i = 0; i < s.template_count; ++i) {
    const Av1FrameTemplate& t = s.templates[i];
    if (t.spatial_id >= kAv1MaxSpatialLayers || t.temporal_id >= kAv1MaxTemporalLayers) return false;
    if (i > 0) {
      const Av1FrameTemplate& p = s.templates[i - 1];
      const bool same = t.spatial_id == p.spatial_id && t.temporal_id == p.temporal_id;
      const bool next_temporal = t.spatial_id == p.spatial_id && t.temporal_id == p.temporal_id + 1;
      const bool next_spatial = t.spatial_id == p.spatial_id + 1 && t.temporal_id == 0;
      if (!same && !next_temporal && !next_spatial) return false;
    }
    for (std::size_t dt = 0; dt < s.decode_target_count; ++dt)
      if (static_cast<std::uint8_t>(t.dtis[dt]) > 3) return false;
    if (t.fdiff_count > kAv1MaxFdiffs) return false;
    for (std::size_t f = 0; f < t.fdiff_count; ++f)
      if (t.fdiffs[f] < 1 || t.fdiffs[f] > 16) return false;
    for (std::size_t c = 0; c < s.chain_count; ++c)
      if (t.chain_fdiffs[c] > 15) return false;
  }
  if (s.chain_count > 0) {
    for (std::size_t dt = 0; dt < s.decode_target_count; ++dt)
      if (s.decode_target_protected_by[dt] >= s.chain_count) return false;
  }
  if (s.has_resolutions) {
    for (std::size_t sid = 0; sid < s.spatial_layers(); ++sid) {
      const Av1Resolution& res = s.resolutions[sid];
      if (res.width < 1 || res.width > 65536 || res.height < 1 || res.height > 65536) return false;
    }
  }
  return true;
}

void write_structure(BitWriter& w, const Av1TemplateStructure& s, std::uint8_t template_id_shift) {
  w.bits((s.template_id_offset + template_id_shift) % kAv1MaxTemplates, 6);
  w.bits(s.decode_target_count - 1u, 5);
  for (std::size_t i = 0; i < s.template_count; ++i) {
    std::uint32_t idc = kNoMoreTemplates;
    if (i + 1 < s.template_count) {
      const Av1FrameTemplate& t = s.templates[i];
      const Av1FrameTemplate& n = s.templates[i + 1];
      if (n.spatial_id != t.spatial_id)
        idc = kNextSpatialLayer;
      else if (n.temporal_id != t.temporal_id)
        idc = kNextTemporalLayer;
      else
        idc = kSameLayer;
    }
    w.bits(idc, 2);
  }
  for (std::size_t i = 0; i < s.template_count; ++i) {
    for (std::size_t dt = 0; dt < s.decode_target_count; ++dt)
      w.bits(static_cast<std::uint32_t>(s.templates[i].dtis[dt]), 2);
  }
  for (std::size_t i = 0; i < s.template_count; ++i) {
    const Av1FrameTemplate& t = s.templates[i];
    for (std::size_t f = 0; f < t.fdiff_count; ++f) {
      w.bit(true);
      w.bits(t.fdiffs[f] - 1u, 4);
    }
    w.bit(false);
  }
  w.ns(s.chain_count, s.decode_target_count + 1u);
  if (s.chain_count > 0) {
    for (std::size_t dt = 0; dt < s.decode_target_count; ++dt)
      w.ns(s.decode_target_protected_by[dt], s.chain_count);
    for (std::size_t i = 0; i < s.template_count; ++i) {
      for (std::size_t c = 0; c < s.chain_count; ++c) w.bits(s.templates[i].chain_fdiffs[c], 4);
    }
  }
  w.bit(s.has_resolutions);
  if (s.has_resolutions) {
    for (std::size_t sid = 0; sid < s.spatial_layers(); ++sid) {
      w.bits(s.resolutions[sid].width - 1, 16);
      w.bits(s.resolutions[sid].height - 1, 16);
    }
  }
}

}  // namespace

const char* av1_dd_error_name(Av1DdError error) {
  switch (error) {
    case Av1DdError::kTruncated:
      return "truncated";
    case Av1DdError::kNoStructure:
      return "no_structure";
    case Av1DdError::kUnknownTemplate:
      return "unknown_template";
    case Av1DdError::kTooLarge:
      return "too_large";
    case Av1DdError::kInvalid:
      return "invalid";
    case Av1DdError::kBufferTooSmall:
      return "buffer_too_small";
    case Av1DdError::kStructureAttached:
      return "structure_attached";
  }
  return "unknown";
}

Av1DecodeTargetLayer Av1TemplateStructure::decode_target_layer(std::size_t dt) const {
  Av1DecodeTargetLayer layer;
  if (dt >= decode_target_count) return layer;
  for (std::size_t i = 0; i < template_count; ++i) {
    const Av1FrameTemplate& t = templates[i];
    if (t.dtis[dt] == Av1Dti::kNotPresent) continue;
    layer.spatial_id = std::max(layer.spatial_id, t.spatial_id);
    layer.temporal_id = std::max(layer.temporal_id, t.temporal_id);
  }
  return layer;
}

Result<Av1DdMandatory, Av1DdError> parse_av1_dd_mandatory(std::span<const std::uint8_t> extension) {
  if (extension.size() < kAv1DdMandatorySize) return unexpected(Av1DdError::kTruncated);
  Av1DdMandatory m;
  m.start_of_frame = (extension[0] & 0x80) != 0;
  m.end_of_frame = (extension[0] & 0x40) != 0;
  m.template_id = extension[0] & 0x3F;
  m.frame_number = static_cast<std::uint16_t>((extension[1] << 8) | extension[2]);
  m.structure_attached = extension.size() > kAv1DdMandatorySize && (extension[3] & 0x80) != 0;
  return m;
}

Result<Av1DependencyDescriptor, Av1DdError> parse_av1_dependency_descriptor(
    std::span<const std::uint8_t> extension, const Av1TemplateStructure* structure,
    Av1TemplateStructure* attached) {
  if (extension.size() < kAv1DdMandatorySize) return unexpected(Av1DdError::kTruncated);
  BitReader r(extension);
  Av1DependencyDescriptor d;
  d.start_of_frame = r.bit();
  d.end_of_frame = r.bit();
  d.template_id = static_cast<std::uint8_t>(r.bits(6));
  d.frame_number = static_cast<std::uint16_t>(r.bits(16));
  d.size = extension.size();

  // A structure on the stack only when the packet carries one and the caller keeps none.
  std::optional<Av1TemplateStructure> local;
  if (extension.size() > kAv1DdMandatorySize) {
    d.extended_fields = true;
    d.structure_attached = r.bit();
    d.active_decode_targets_present = r.bit();
    d.custom_dtis = r.bit();
    d.custom_fdiffs = r.bit();
    d.custom_chains = r.bit();
    if (d.structure_attached) {
      Av1TemplateStructure* target = attached;
      if (target == nullptr) target = &local.emplace();
      if (auto error = read_structure(r, *target)) return unexpected(*error);
      structure = target;
      d.active_decode_targets = all_decode_targets(structure->decode_target_count);
    }
  }
  if (structure == nullptr) return unexpected(Av1DdError::kNoStructure);
  const Av1TemplateStructure& s = *structure;
  if (d.active_decode_targets_present) d.active_decode_targets = r.bits(s.decode_target_count);
  if (!r.ok()) return unexpected(Av1DdError::kTruncated);

  const std::size_t index = template_index(d.template_id, s);
  if (index >= s.template_count) return unexpected(Av1DdError::kUnknownTemplate);
  const Av1FrameTemplate& t = s.templates[index];
  Av1FrameInfo& f = d.frame;
  f.spatial_id = t.spatial_id;
  f.temporal_id = t.temporal_id;
  if (d.custom_dtis) {
    for (std::size_t dt = 0; dt < s.decode_target_count; ++dt) f.dtis[dt] = static_cast<Av1Dti>(r.bits(2));
  } else {
    std::copy_n(t.dtis.begin(), s.decode_target_count, f.dtis.begin());
  }
  if (d.custom_fdiffs) {
    for (std::uint32_t size = r.bits(2); size != 0 && r.ok(); size = r.bits(2)) {
      if (f.fdiff_count == kAv1MaxFdiffs) return unexpected(Av1DdError::kTooLarge);
      d.custom_fdiff_nibbles[f.fdiff_count] = static_cast<std::uint8_t>(size);
      f.fdiffs[f.fdiff_count++] = static_cast<std::uint16_t>(r.bits(4 * size) + 1);
    }
  } else {
    f.fdiff_count = t.fdiff_count;
    std::copy_n(t.fdiffs.begin(), t.fdiff_count, f.fdiffs.begin());
  }
  if (d.custom_chains) {
    for (std::size_t c = 0; c < s.chain_count; ++c) f.chain_fdiffs[c] = static_cast<std::uint8_t>(r.bits(8));
  } else {
    std::copy_n(t.chain_fdiffs.begin(), s.chain_count, f.chain_fdiffs.begin());
  }
  if (s.has_resolutions) f.resolution = s.resolutions[f.spatial_id];
  if (!r.ok()) return unexpected(Av1DdError::kTruncated);
  return d;
}

Result<std::size_t, Av1DdError> write_av1_dependency_descriptor(const Av1DependencyDescriptor& d,
                                                                const Av1TemplateStructure& s,
                                                                std::span<std::uint8_t> out,
                                                                std::uint8_t template_id_shift) {
  if (!counts_writable(s) || d.template_id >= kAv1MaxTemplates) return unexpected(Av1DdError::kInvalid);
  if (d.structure_attached && !structure_writable(s)) return unexpected(Av1DdError::kInvalid);
  if (template_index(d.template_id, s) >= s.template_count) return unexpected(Av1DdError::kUnknownTemplate);
  const bool extended = d.extended_fields || d.structure_attached || d.active_decode_targets_present ||
                        d.custom_dtis || d.custom_fdiffs || d.custom_chains;
  if (d.active_decode_targets_present) {
    if (!d.active_decode_targets) return unexpected(Av1DdError::kInvalid);
    if (*d.active_decode_targets & ~all_decode_targets(s.decode_target_count))
      return unexpected(Av1DdError::kInvalid);
  }
  const Av1FrameInfo& f = d.frame;
  if (d.custom_dtis) {
    for (std::size_t dt = 0; dt < s.decode_target_count; ++dt)
      if (static_cast<std::uint8_t>(f.dtis[dt]) > 3) return unexpected(Av1DdError::kInvalid);
  }
  if (d.custom_fdiffs) {
    if (f.fdiff_count > kAv1MaxFdiffs) return unexpected(Av1DdError::kInvalid);
    for (std::size_t i = 0; i < f.fdiff_count; ++i)
      if (f.fdiffs[i] < 1 || f.fdiffs[i] > 4096) return unexpected(Av1DdError::kInvalid);
  }

  BitWriter w(out);
  w.bit(d.start_of_frame);
  w.bit(d.end_of_frame);
  w.bits((d.template_id + template_id_shift) % kAv1MaxTemplates, 6);
  w.bits(d.frame_number, 16);
  if (extended) {
    w.bit(d.structure_attached);
    w.bit(d.active_decode_targets_present);
    w.bit(d.custom_dtis);
    w.bit(d.custom_fdiffs);
    w.bit(d.custom_chains);
    if (d.structure_attached) write_structure(w, s, template_id_shift);
    if (d.active_decode_targets_present) w.bits(*d.active_decode_targets, s.decode_target_count);
    if (d.custom_dtis) {
      for (std::size_t dt = 0; dt < s.decode_target_count; ++dt)
        w.bits(static_cast<std::uint32_t>(f.dtis[dt]), 2);
    }
    if (d.custom_fdiffs) {
      for (std::size_t i = 0; i < f.fdiff_count; ++i) {
        const std::uint32_t value = f.fdiffs[i] - 1u;
        unsigned nibbles = d.custom_fdiff_nibbles[i];
        if (nibbles < nibbles_for(value) || nibbles > 3) nibbles = nibbles_for(value);
        w.bits(nibbles, 2);
        w.bits(value, 4 * nibbles);
      }
      w.bits(0, 2);
    }
    if (d.custom_chains) {
      for (std::size_t c = 0; c < s.chain_count; ++c) w.bits(f.chain_fdiffs[c], 8);
    }
  }
  w.pad_to_byte();
  if (!w.ok()) return unexpected(Av1DdError::kBufferTooSmall);
  std::size_t size = w.bytes();
  if (d.size > size) {
    if (d.size > out.size()) return unexpected(Av1DdError::kBufferTooSmall);
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(size),
              out.begin() + static_cast<std::ptrdiff_t>(d.size), 0);
    size = d.size;
  }
  return size;
}

Result<Av1DdMandatory, Av1DdError> rewrite_av1_dd_in_place(std::span<std::uint8_t> extension,
                                                           std::uint16_t frame_number,
                                                           std::uint8_t template_id_shift) {
  auto m = parse_av1_dd_mandatory(extension);
  if (!m) return m;
  // The structure's template_id_offset would have to move too: that needs the full writer.
  if (m->structure_attached) return unexpected(Av1DdError::kStructureAttached);
  m->template_id = static_cast<std::uint8_t>((m->template_id + template_id_shift) % kAv1MaxTemplates);
  m->frame_number = frame_number;
  extension[0] = static_cast<std::uint8_t>((extension[0] & 0xC0) | m->template_id);
  extension[1] = static_cast<std::uint8_t>(frame_number >> 8);
  extension[2] = static_cast<std::uint8_t>(frame_number);
  return m;
}

}  // namespace jvb::codecs
