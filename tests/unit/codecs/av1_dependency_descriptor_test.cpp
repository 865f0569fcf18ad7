// Tests of bridge/codecs/av1_dependency_descriptor.hpp (AV1 RTP specification, Appendix A; T-43):
// the L1T3, L3T3, L3T3_KEY and S3T3 structures as libwebrtc's scalability modes define them,
// written and parsed back; descriptors assembled field by field here (a test-local bit writer
// following Appendix A's syntax), read independently of the writer and re-encoded bit-exact;
// later packets read with the stored structure; active decode targets; custom fields; every
// truncation; the writer's rewrites.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/codecs/av1_dependency_descriptor.hpp"

using namespace jvb::codecs;
using Bytes = std::vector<std::uint8_t>;

namespace {

// "1100 0000 ..." (spaces ignored) to bytes, the last one zero-padded.
Bytes from_bits(std::string_view bits) {
  Bytes out;
  int n = 0;
  for (char c : bits) {
    if (c != '0' && c != '1') continue;
    if (n % 8 == 0) out.push_back(0);
    if (c == '1') out.back() = static_cast<std::uint8_t>(out.back() | (0x80 >> (n % 8)));
    ++n;
  }
  return out;
}

// MSB-first bit writer of the test's own, so that the assembled descriptors do not depend on
// the code under test (bridge/codecs/bit_io.hpp, the descriptor writer).
class TestBitWriter {
 public:
  // f(n): `bits` bits of `value`, most significant first.
  void f(std::uint32_t value, int bits) {
    for (int i = bits - 1; i >= 0; --i) {
      if (n_ % 8 == 0) out_.push_back(0);
      if ((value >> i) & 1u) out_.back() = static_cast<std::uint8_t>(out_.back() | (0x80 >> (n_ % 8)));
      ++n_;
    }
  }
  // ns(n) of Appendix A: values below m = 2^w - n take w - 1 bits, the rest w bits (v + m).
  void ns(std::uint32_t n, std::uint32_t v) {
    int w = 0;
    for (std::uint32_t x = n; x != 0; x >>= 1) ++w;
    const std::uint32_t m = (1u << w) - n;
    if (v < m) {
      f(v, w - 1);
    } else {
      f(v + m, w);
    }
  }
  Bytes bytes() const { return out_; }  // zero_padding to the byte boundary

 private:
  Bytes out_;
  int n_ = 0;
};

Av1Dti dti(char c) {
  switch (c) {
    case 'D':
      return Av1Dti::kDiscardable;
    case 'S':
      return Av1Dti::kSwitch;
    case 'R':
      return Av1Dti::kRequired;
    default:
      return Av1Dti::kNotPresent;
  }
}

struct TemplateSpec {
  int spatial_id;
  int temporal_id;
  std::string_view dtis;
  std::vector<int> chain_fdiffs;
  std::vector<int> fdiffs;
};

// A structure the way libwebrtc's scalability structures state theirs (templates in index
// order, sorted by spatial then temporal id).
Av1TemplateStructure make_structure(int chains, std::vector<int> protected_by,
                                    std::vector<TemplateSpec> specs) {
  Av1TemplateStructure s;
  s.decode_target_count = static_cast<std::uint8_t>(specs[0].dtis.size());
  s.chain_count = static_cast<std::uint8_t>(chains);
  for (std::size_t i = 0; i < protected_by.size(); ++i)
    s.decode_target_protected_by[i] = static_cast<std::uint8_t>(protected_by[i]);
  s.template_count = static_cast<std::uint8_t>(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    Av1FrameTemplate& t = s.templates[i];
    t.spatial_id = static_cast<std::uint8_t>(specs[i].spatial_id);
    t.temporal_id = static_cast<std::uint8_t>(specs[i].temporal_id);
    for (std::size_t dt = 0; dt < specs[i].dtis.size(); ++dt) t.dtis[dt] = dti(specs[i].dtis[dt]);
    for (std::size_t c = 0; c < specs[i].chain_fdiffs.size(); ++c)
      t.chain_fdiffs[c] = static_cast<std::uint8_t>(specs[i].chain_fdiffs[c]);
    t.fdiff_count = static_cast<std::uint8_t>(specs[i].fdiffs.size());
    for (std::size_t f = 0; f < specs[i].fdiffs.size(); ++f)
      t.fdiffs[f] = static_cast<std::uint8_t>(specs[i].fdiffs[f]);
  }
  return s;
}

Av1TemplateStructure l1t3() {
  return make_structure(1, {0, 0, 0},
                        {
                            {0, 0, "SSS", {0}, {}},
                            {0, 0, "SSS", {4}, {4}},
                            {0, 1, "-DS", {2}, {2}},
                            {0, 2, "--D", {1}, {1}},
                            {0, 2, "--D", {3}, {1}},
                        });
}

Av1TemplateStructure l3t3() {
  return make_structure(3, {0, 0, 0, 1, 1, 1, 2, 2, 2},
                        {
                            {0, 0, "SSSRRRRRR", {12, 11, 10}, {12}},
                            {0, 0, "SSSSSSSSS", {0, 0, 0}, {}},
                            {0, 1, "-DS-RR-RR", {6, 5, 4}, {6}},
                            {0, 2, "--D--R--R", {3, 2, 1}, {3}},
                            {0, 2, "--D--R--R", {9, 8, 7}, {3}},
                            {1, 0, "---SSSRRR", {1, 1, 1}, {12, 1}},
                            {1, 0, "---SSSSSS", {1, 1, 1}, {1}},
                            {1, 1, "----DS-RR", {7, 6, 5}, {6, 1}},
                            {1, 2, "-----D--R", {4, 3, 2}, {3, 1}},
                            {1, 2, "-----D--R", {10, 9, 8}, {3, 1}},
                            {2, 0, "------SSS", {2, 1, 1}, {12, 1}},
                            {2, 0, "------SSS", {2, 1, 1}, {1}},
                            {2, 1, "-------DS", {8, 7, 6}, {6, 1}},
                            {2, 2, "--------D", {5, 4, 3}, {3, 1}},
                            {2, 2, "--------D", {11, 10, 9}, {3, 1}},
                        });
}

const std::vector<int> kL3t3KeyProtectedBy{0, 0, 0, 1, 1, 1, 2, 2, 2};
const std::vector<TemplateSpec> kL3t3KeySpecs{
    {0, 0, "SSSSSSSSS", {0, 0, 0}, {}},     {0, 0, "SSS------", {12, 11, 10}, {12}},
    {0, 1, "-DS------", {6, 5, 4}, {6}},    {0, 2, "--D------", {3, 2, 1}, {3}},
    {0, 2, "--D------", {9, 8, 7}, {3}},    {1, 0, "---SSSSSS", {1, 1, 1}, {1}},
    {1, 0, "---SSS---", {1, 12, 11}, {12}}, {1, 1, "----DS---", {7, 6, 5}, {6}},
    {1, 2, "-----D---", {4, 3, 2}, {3}},    {1, 2, "-----D---", {10, 9, 8}, {3}},
    {2, 0, "------SSS", {2, 1, 1}, {1}},    {2, 0, "------SSS", {2, 1, 12}, {12}},
    {2, 1, "-------DS", {8, 7, 6}, {6}},    {2, 2, "--------D", {5, 4, 3}, {3}},
    {2, 2, "--------D", {11, 10, 9}, {3}},
};

Av1TemplateStructure l3t3_key() { return make_structure(3, kL3t3KeyProtectedBy, kL3t3KeySpecs); }

// The structure of a single-layer AV1 stream as a browser sends it: a key frame template and a
// delta frame template referring to the previous frame, one decode target, one chain.
const std::vector<int> kL1t1ProtectedBy{0};
const std::vector<TemplateSpec> kL1t1Specs{
    {0, 0, "S", {0}, {}},
    {0, 0, "S", {1}, {1}},
};

Av1TemplateStructure s3t3() {
  return make_structure(3, {0, 0, 0, 1, 1, 1, 2, 2, 2},
                        {
                            {0, 0, "SSS------", {12, 11, 10}, {12}},
                            {0, 0, "SSS------", {0, 0, 0}, {}},
                            {0, 1, "-DS------", {6, 5, 4}, {6}},
                            {0, 2, "--D------", {3, 2, 1}, {3}},
                            {0, 2, "--D------", {9, 8, 7}, {3}},
                            {1, 0, "---SSS---", {1, 12, 11}, {12}},
                            {1, 0, "---SSS---", {1, 0, 0}, {}},
                            {1, 1, "----DS---", {7, 6, 5}, {6}},
                            {1, 2, "-----D---", {4, 3, 2}, {3}},
                            {1, 2, "-----D---", {10, 9, 8}, {3}},
                            {2, 0, "------SSS", {2, 1, 12}, {12}},
                            {2, 0, "------SSS", {2, 1, 0}, {}},
                            {2, 1, "-------DS", {8, 7, 6}, {6}},
                            {2, 2, "--------D", {5, 4, 3}, {3}},
                            {2, 2, "--------D", {11, 10, 9}, {3}},
                        });
}

Bytes write(const Av1DependencyDescriptor& d, const Av1TemplateStructure& s, std::uint8_t shift = 0) {
  std::array<std::uint8_t, kAv1DdMaxSize> out{};
  auto n = write_av1_dependency_descriptor(d, s, out, shift);
  REQUIRE(n);
  return Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n));
}

// The first packet of a keyframe: the structure attached, the given template.
Av1DependencyDescriptor keyframe_descriptor(const Av1TemplateStructure& s, std::size_t template_index,
                                            std::uint16_t frame_number) {
  Av1DependencyDescriptor d;
  d.start_of_frame = true;
  d.template_id = static_cast<std::uint8_t>((s.template_id_offset + template_index) % kAv1MaxTemplates);
  d.frame_number = frame_number;
  d.structure_attached = true;
  return d;
}

Av1DependencyDescriptor plain_descriptor(const Av1TemplateStructure& s, std::size_t template_index,
                                         std::uint16_t frame_number) {
  Av1DependencyDescriptor d;
  d.start_of_frame = true;
  d.end_of_frame = true;
  d.template_id = static_cast<std::uint8_t>((s.template_id_offset + template_index) % kAv1MaxTemplates);
  d.frame_number = frame_number;
  return d;
}

void check_frame_is_template(const Av1FrameInfo& f, const Av1TemplateStructure& s, std::size_t index) {
  const Av1FrameTemplate& t = s.templates[index];
  CHECK(f.spatial_id == t.spatial_id);
  CHECK(f.temporal_id == t.temporal_id);
  for (std::size_t dt = 0; dt < s.decode_target_count; ++dt) CHECK(f.dtis[dt] == t.dtis[dt]);
  REQUIRE(f.fdiff_count == t.fdiff_count);
  for (std::size_t i = 0; i < t.fdiff_count; ++i) CHECK(f.fdiffs[i] == t.fdiffs[i]);
  for (std::size_t c = 0; c < s.chain_count; ++c) CHECK(f.chain_fdiffs[c] == t.chain_fdiffs[c]);
  if (s.has_resolutions) {
    REQUIRE(f.resolution);
    CHECK(*f.resolution == s.resolutions[t.spatial_id]);
  } else {
    CHECK_FALSE(f.resolution);
  }
}

// An L1T3 keyframe descriptor assembled by hand: S E, template 0, frame 0x0102, the structure
// with offset 0, 3 decode targets, 1 chain, and a 1280x720 resolution.
const Bytes kL1t3ByHand = from_bits(
    "1 1 000000  00000001 00000010"        // S E template_id 0, frame_number 258
    "1 0 0 0 0"                            // structure present, nothing else
    "000000 00010"                         // template_id_offset 0, dt_cnt_minus_one 2
    "00 01 01 00 11"                       // T0 -> T0 -> T1 -> T2 -> T2, end
    "101010 101010 000110 000001 000001"   // DTIs: SSS SSS -DS --D --D
    "0 100110 100010 100000 100000"        // fdiffs: none, 4, 2, 1, 1 (each: follows, minus one, stop)
    "01"                                   // chain_cnt = ns(4) -> 1; protected_by ns(1) takes no bits
    "0000 0100 0010 0001 0011"             // chain fdiffs 0 4 2 1 3
    "1 0000010011111111 0000001011001111"  // resolutions: 1279 + 1, 719 + 1
);

// mandatory_descriptor_fields (Appendix A.2).
void put_mandatory(TestBitWriter& w, bool start, bool end, int template_id, int frame_number) {
  w.f(start ? 1 : 0, 1);
  w.f(end ? 1 : 0, 1);
  w.f(static_cast<std::uint32_t>(template_id), 6);
  w.f(static_cast<std::uint32_t>(frame_number), 16);
}

// template_dependency_structure (Appendix A.2) from the specs, field by field: the layers as
// next_layer_idc, template_dtis, template_fdiffs, template_chains with ns(n), render_resolutions.
void put_structure(TestBitWriter& w, int offset, int chains, const std::vector<int>& protected_by,
                   const std::vector<TemplateSpec>& specs, const std::vector<Av1Resolution>& resolutions) {
  const auto dt_count = static_cast<std::uint32_t>(specs[0].dtis.size());
  w.f(static_cast<std::uint32_t>(offset), 6);       // template_id_offset
  w.f(dt_count - 1, 5);                             // dt_cnt_minus_one
  for (std::size_t i = 0; i < specs.size(); ++i) {  // template_layers: next_layer_idc
    if (i + 1 == specs.size()) {
      w.f(3, 2);  // no more templates
    } else if (specs[i + 1].spatial_id != specs[i].spatial_id) {
      w.f(2, 2);  // next spatial layer, temporal id back to 0
    } else if (specs[i + 1].temporal_id != specs[i].temporal_id) {
      w.f(1, 2);  // next temporal layer
    } else {
      w.f(0, 2);  // same layer
    }
  }
  for (const TemplateSpec& t : specs)  // template_dtis
    for (char c : t.dtis) w.f(static_cast<std::uint32_t>(dti(c)), 2);
  for (const TemplateSpec& t : specs) {  // template_fdiffs
    for (int fdiff : t.fdiffs) {
      w.f(1, 1);  // fdiff_follows_flag
      w.f(static_cast<std::uint32_t>(fdiff - 1), 4);
    }
    w.f(0, 1);
  }
  w.ns(dt_count + 1, static_cast<std::uint32_t>(chains));  // template_chains: chain_cnt
  if (chains > 0) {
    for (int chain : protected_by)
      w.ns(static_cast<std::uint32_t>(chains), static_cast<std::uint32_t>(chain));
    for (const TemplateSpec& t : specs)
      for (int fdiff : t.chain_fdiffs) w.f(static_cast<std::uint32_t>(fdiff), 4);
  }
  w.f(resolutions.empty() ? 0 : 1, 1);  // resolutions_present_flag
  for (const Av1Resolution& r : resolutions) {
    w.f(r.width - 1, 16);
    w.f(r.height - 1, 16);
  }
}

// A single-layer keyframe's first packet (S, not E), template 0, frame 17, the structure at
// offset 0 with a 640x360 resolution; then that frame's last packet (E only), read with it.
const Bytes kL1t1Key = [] {
  TestBitWriter w;
  put_mandatory(w, true, false, 0, 17);
  w.f(0b10000, 5);  // structure present; no active targets, no custom fields
  put_structure(w, 0, 1, kL1t1ProtectedBy, kL1t1Specs, {{640, 360}});
  return w.bytes();
}();
const Bytes kL1t1KeyLast = [] {
  TestBitWriter w;
  put_mandatory(w, false, true, 0, 17);
  return w.bytes();
}();

// An L3T3_KEY keyframe's first packet (template 0, the S0T0 key frame; frame 4660) with the whole
// structure at offset 0, chains and three resolutions; then a later frame (template 8: S1T2,
// frame 4667) that narrows the active decode targets to spatial layers 0 and 1.
const std::vector<Av1Resolution> kL3t3KeyResolutions{{480, 270}, {960, 540}, {1920, 1080}};
const Bytes kL3t3KeyBuilt = [] {
  TestBitWriter w;
  put_mandatory(w, true, false, 0, 4660);
  w.f(0b10000, 5);
  put_structure(w, 0, 3, kL3t3KeyProtectedBy, kL3t3KeySpecs, kL3t3KeyResolutions);
  return w.bytes();
}();
const Bytes kL3t3NextMask = [] {
  TestBitWriter w;
  put_mandatory(w, true, true, 8, 4667);
  w.f(0b01000, 5);      // active_decode_targets_present_flag only
  w.f(0b000111111, 9);  // active_decode_targets_bitmask, decode target 0 in the low bit
  return w.bytes();
}();

}  // namespace

TEST_CASE("a hand-assembled L1T3 keyframe descriptor reads as libwebrtc's L1T3") {
  Av1TemplateStructure attached;
  auto d = parse_av1_dependency_descriptor(kL1t3ByHand, nullptr, &attached);
  REQUIRE(d);
  CHECK(d->start_of_frame);
  CHECK(d->end_of_frame);
  CHECK(d->template_id == 0);
  CHECK(d->frame_number == 258);
  CHECK(d->extended_fields);
  CHECK(d->structure_attached);
  CHECK(d->is_keyframe_start());
  CHECK_FALSE(d->active_decode_targets_present);
  REQUIRE(d->active_decode_targets);
  CHECK(*d->active_decode_targets == 0b111);  // a new structure activates every decode target
  CHECK(d->size == kL1t3ByHand.size());

  Av1TemplateStructure expected = l1t3();
  expected.has_resolutions = true;
  expected.resolutions[0] = {1280, 720};
  CHECK(attached == expected);
  CHECK(attached.spatial_layers() == 1);
  check_frame_is_template(d->frame, attached, 0);
  CHECK(d->frame.resolution == Av1Resolution{1280, 720});

  // The writer gives back the same bytes, and writes the same structure the same way.
  CHECK(write(*d, attached) == kL1t3ByHand);
  Av1DependencyDescriptor fresh = keyframe_descriptor(expected, 0, 258);
  fresh.end_of_frame = true;
  CHECK(write(fresh, expected) == kL1t3ByHand);
}

TEST_CASE("a single-layer keyframe descriptor and the frame's last packet: read, re-encoded bit-exact") {
  Av1TemplateStructure s;
  auto key = parse_av1_dependency_descriptor(kL1t1Key, nullptr, &s);
  REQUIRE(key);
  CHECK(key->start_of_frame);
  CHECK_FALSE(key->end_of_frame);
  CHECK(key->template_id == 0);
  CHECK(key->frame_number == 17);
  CHECK(key->is_keyframe_start());
  CHECK(*key->active_decode_targets == 1);
  Av1TemplateStructure expected = make_structure(1, kL1t1ProtectedBy, kL1t1Specs);
  expected.has_resolutions = true;
  expected.resolutions[0] = {640, 360};
  CHECK(s == expected);
  CHECK(s.template_count == 2);
  CHECK(s.templates[1].fdiffs[0] == 1);
  check_frame_is_template(key->frame, s, 0);
  CHECK(key->size == kL1t1Key.size());
  CHECK(write(*key, s) == kL1t1Key);

  auto last = parse_av1_dependency_descriptor(kL1t1KeyLast, &s);
  REQUIRE(last);
  CHECK_FALSE(last->start_of_frame);
  CHECK(last->end_of_frame);
  CHECK(last->frame_number == 17);
  CHECK_FALSE(last->extended_fields);
  CHECK_FALSE(last->active_decode_targets);
  check_frame_is_template(last->frame, s, 0);
  CHECK(write(*last, s) == kL1t1KeyLast);
  // Without the structure it cannot be read; the mandatory fields can.
  CHECK(parse_av1_dependency_descriptor(kL1t1KeyLast, nullptr).error() == Av1DdError::kNoStructure);
  auto m = parse_av1_dd_mandatory(kL1t1KeyLast);
  REQUIRE(m);
  CHECK(m->end_of_frame);
  CHECK(m->frame_number == 17);
  CHECK_FALSE(m->structure_attached);
  CHECK(parse_av1_dd_mandatory(kL1t1Key)->structure_attached);
}

TEST_CASE("an L3T3_KEY keyframe with chains and resolutions; a later packet narrows the decode targets") {
  Av1TemplateStructure s;
  auto key = parse_av1_dependency_descriptor(kL3t3KeyBuilt, nullptr, &s);
  REQUIRE(key);
  CHECK(key->start_of_frame);
  CHECK_FALSE(key->end_of_frame);
  CHECK(key->frame_number == 4660);
  CHECK(key->size == kL3t3KeyBuilt.size());
  Av1TemplateStructure expected = l3t3_key();
  expected.has_resolutions = true;
  for (std::size_t sid = 0; sid < 3; ++sid) expected.resolutions[sid] = kL3t3KeyResolutions[sid];
  CHECK(s == expected);
  CHECK(s.spatial_layers() == 3);
  CHECK(*key->active_decode_targets == 0x1FF);
  check_frame_is_template(key->frame, s, 0);
  CHECK(write(*key, s) == kL3t3KeyBuilt);
  // The project's writer, given the same fields from scratch, produces the same bytes.
  Av1DependencyDescriptor fresh = keyframe_descriptor(expected, 0, 4660);
  CHECK(write(fresh, expected) == kL3t3KeyBuilt);
  // Decode target i stands for spatial layer i / 3, temporal layer i % 3.
  for (std::size_t dt = 0; dt < 9; ++dt) {
    CAPTURE(dt);
    CHECK(s.decode_target_layer(dt).spatial_id == dt / 3);
    CHECK(s.decode_target_layer(dt).temporal_id == dt % 3);
  }

  auto next = parse_av1_dependency_descriptor(kL3t3NextMask, &s);
  REQUIRE(next);
  CHECK(kL3t3NextMask.size() == 5);  // 24 + 5 flag bits + 9 mask bits
  CHECK(next->start_of_frame);
  CHECK(next->end_of_frame);
  CHECK(next->template_id == 8);
  CHECK(next->frame_number == 4667);
  CHECK_FALSE(next->structure_attached);
  CHECK(next->active_decode_targets_present);
  REQUIRE(next->active_decode_targets);
  CHECK(*next->active_decode_targets == 0b000111111);  // spatial layers 0 and 1
  check_frame_is_template(next->frame, s, 8);
  CHECK(next->frame.spatial_id == 1);
  CHECK(next->frame.temporal_id == 2);
  CHECK(next->frame.resolution == Av1Resolution{960, 540});
  CHECK(write(*next, s) == kL3t3NextMask);
  CHECK(parse_av1_dependency_descriptor(kL3t3NextMask, nullptr).error() == Av1DdError::kNoStructure);
}

TEST_CASE("L1T3, L3T3, L3T3_KEY and S3T3: written with the structure, read back, later packets (T-43)") {
  struct Mode {
    const char* name;
    Av1TemplateStructure structure;
    std::size_t key_template;
    std::array<Av1DecodeTargetLayer, 3> some_layers;  // of decode targets 0, last / 2, last
  };
  const std::array<Mode, 4> modes{{
      {"L1T3", l1t3(), 0, {{{0, 0}, {0, 1}, {0, 2}}}},
      {"L3T3", l3t3(), 1, {{{0, 0}, {1, 1}, {2, 2}}}},
      {"L3T3_KEY", l3t3_key(), 0, {{{0, 0}, {1, 1}, {2, 2}}}},
      {"S3T3", s3t3(), 1, {{{0, 0}, {1, 1}, {2, 2}}}},
  }};
  for (Mode mode : modes) {
    CAPTURE(mode.name);
    for (std::uint8_t offset : {std::uint8_t{0}, std::uint8_t{57}}) {
      CAPTURE(offset);
      Av1TemplateStructure& s = mode.structure;
      s.template_id_offset = offset;
      const Bytes key_bytes = write(keyframe_descriptor(s, mode.key_template, 1000), s);
      Av1TemplateStructure stored;
      auto key = parse_av1_dependency_descriptor(key_bytes, nullptr, &stored);
      REQUIRE(key);
      CHECK(stored == s);
      CHECK(key->is_keyframe_start());
      CHECK(key->frame_number == 1000);
      CHECK(*key->active_decode_targets == (1u << s.decode_target_count) - 1);
      check_frame_is_template(key->frame, stored, mode.key_template);
      const std::size_t last = s.decode_target_count - 1u;
      CHECK(stored.decode_target_layer(0).spatial_id == mode.some_layers[0].spatial_id);
      CHECK(stored.decode_target_layer(last / 2).spatial_id == mode.some_layers[1].spatial_id);
      CHECK(stored.decode_target_layer(last / 2).temporal_id == mode.some_layers[1].temporal_id);
      CHECK(stored.decode_target_layer(last).spatial_id == mode.some_layers[2].spatial_id);
      CHECK(stored.decode_target_layer(last).temporal_id == mode.some_layers[2].temporal_id);

      // Every template, as a mandatory-only descriptor read with the stored structure.
      for (std::size_t i = 0; i < stored.template_count; ++i) {
        CAPTURE(i);
        const Bytes bytes = write(plain_descriptor(stored, i, static_cast<std::uint16_t>(1001 + i)), stored);
        CHECK(bytes.size() == kAv1DdMandatorySize);
        auto d = parse_av1_dependency_descriptor(bytes, &stored);
        REQUIRE(d);
        CHECK(d->frame_number == 1001 + i);
        CHECK_FALSE(d->structure_attached);
        CHECK_FALSE(d->is_keyframe_start());
        CHECK_FALSE(d->active_decode_targets);
        check_frame_is_template(d->frame, stored, i);
      }
      // A template id past the structure's templates.
      const Bytes unknown = write(plain_descriptor(stored, 0, 1), stored);
      Bytes past = unknown;
      past[0] = static_cast<std::uint8_t>((past[0] & 0xC0) | ((offset + stored.template_count) % 64));
      CHECK(parse_av1_dependency_descriptor(past, &stored).error() == Av1DdError::kUnknownTemplate);
    }
  }
}

TEST_CASE("active decode targets: explicit, implied by a structure, limited by the writer") {
  const Av1TemplateStructure s = l3t3();
  Av1DependencyDescriptor d = plain_descriptor(s, 3, 77);
  d.active_decode_targets_present = true;
  d.active_decode_targets = 0b000111111;  // spatial layers 0 and 1
  const Bytes bytes = write(d, s);
  CHECK(bytes.size() == 5);  // 24 + 5 flag bits + 9 mask bits
  auto r = parse_av1_dependency_descriptor(bytes, &s);
  REQUIRE(r);
  CHECK(r->extended_fields);
  CHECK(r->active_decode_targets_present);
  CHECK(*r->active_decode_targets == 0b000111111);
  check_frame_is_template(r->frame, s, 3);

  // Structure and an explicit mask together: the mask wins.
  Av1DependencyDescriptor k = keyframe_descriptor(s, 1, 5);
  k.active_decode_targets_present = true;
  k.active_decode_targets = 1;
  Av1TemplateStructure attached;
  auto kr = parse_av1_dependency_descriptor(write(k, s), nullptr, &attached);
  REQUIRE(kr);
  CHECK(*kr->active_decode_targets == 1);

  // A mask with bits beyond the decode targets, or present without a value.
  std::array<std::uint8_t, kAv1DdMaxSize> out{};
  d.active_decode_targets = 1u << 9;
  CHECK(write_av1_dependency_descriptor(d, s, out).error() == Av1DdError::kInvalid);
  d.active_decode_targets.reset();
  CHECK(write_av1_dependency_descriptor(d, s, out).error() == Av1DdError::kInvalid);
  // 32 decode targets: the whole mask.
  Av1TemplateStructure wide = make_structure(0, {}, {{0, 0, "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS", {}, {}}});
  REQUIRE(wide.decode_target_count == 32);
  Av1DependencyDescriptor all = plain_descriptor(wide, 0, 9);
  all.active_decode_targets_present = true;
  all.active_decode_targets = 0xFFFFFFFEu;
  auto wr = parse_av1_dependency_descriptor(write(all, wide), &wide);
  REQUIRE(wr);
  CHECK(*wr->active_decode_targets == 0xFFFFFFFEu);
}

TEST_CASE("custom DTIs, fdiffs and chains override the template; fdiff sizes are kept") {
  const Av1TemplateStructure s = l3t3();
  Av1DependencyDescriptor d = plain_descriptor(s, 7, 300);
  d.custom_dtis = true;
  d.custom_fdiffs = true;
  d.custom_chains = true;
  for (std::size_t dt = 0; dt < 9; ++dt) d.frame.dtis[dt] = static_cast<Av1Dti>(dt % 4);
  d.frame.fdiff_count = 4;
  d.frame.fdiffs = {1, 17, 300, 4096};
  d.frame.chain_fdiffs[0] = 0;
  d.frame.chain_fdiffs[1] = 200;
  d.frame.chain_fdiffs[2] = 255;
  const Bytes bytes = write(d, s);
  auto r = parse_av1_dependency_descriptor(bytes, &s);
  REQUIRE(r);
  CHECK(r->frame.spatial_id == 1);  // still from the template
  CHECK(r->frame.temporal_id == 1);
  for (std::size_t dt = 0; dt < 9; ++dt) CHECK(r->frame.dtis[dt] == static_cast<Av1Dti>(dt % 4));
  REQUIRE(r->frame.fdiff_count == 4);
  CHECK(r->frame.fdiffs[0] == 1);
  CHECK(r->frame.fdiffs[1] == 17);
  CHECK(r->frame.fdiffs[2] == 300);
  CHECK(r->frame.fdiffs[3] == 4096);
  CHECK(r->custom_fdiff_nibbles[0] == 1);
  CHECK(r->custom_fdiff_nibbles[1] == 2);
  CHECK(r->custom_fdiff_nibbles[2] == 3);
  CHECK(r->frame.chain_fdiffs[1] == 200);
  CHECK(r->frame.chain_fdiffs[2] == 255);
  CHECK(write(*r, s) == bytes);

  // An fdiff of 1 sent in three nibbles (legal, not the shortest) comes back the same.
  const Av1TemplateStructure one = l1t3();
  const Bytes long_form = from_bits(
      "1 1 000011 00000000 00000101"  // template 3, frame 5
      "0 0 0 1 0"                     // custom fdiffs only
      "11 000000000000 00"            // size 3: 0 + 1 = 1, then the end
  );
  auto lf = parse_av1_dependency_descriptor(long_form, &one);
  REQUIRE(lf);
  CHECK(lf->frame.fdiff_count == 1);
  CHECK(lf->frame.fdiffs[0] == 1);
  CHECK(lf->custom_fdiff_nibbles[0] == 3);
  CHECK(lf->frame.temporal_id == 2);
  CHECK(write(*lf, one) == long_form);
  // Told nothing about sizes, the writer takes the shortest: 24 + 5 + 2 + 4 + 2 bits.
  Av1DependencyDescriptor shortest = *lf;
  shortest.custom_fdiff_nibbles = {};
  shortest.size = 0;
  CHECK(write(shortest, one).size() == 5);

  // More than 16 frame diffs is beyond what is held.
  std::string too_many = "1 1 000000 00000000 00000001  0 0 0 1 0";
  for (int i = 0; i < 17; ++i) too_many += " 01 0000";
  too_many += " 00";
  CHECK(parse_av1_dependency_descriptor(from_bits(too_many), &one).error() == Av1DdError::kTooLarge);
}

TEST_CASE("every truncation") {
  const Av1TemplateStructure s = l3t3();
  Av1DependencyDescriptor custom = plain_descriptor(s, 5, 1234);
  custom.custom_fdiffs = true;
  custom.frame.fdiff_count = 2;
  custom.frame.fdiffs[0] = 3;
  custom.frame.fdiffs[1] = 700;
  custom.active_decode_targets_present = true;
  custom.active_decode_targets = 0x3F;
  for (const Bytes& full : {kL1t3ByHand, kL3t3KeyBuilt, write(custom, s)}) {
    Av1TemplateStructure in_force;  // what the full descriptor reads with (its own or L3T3)
    auto whole = parse_av1_dependency_descriptor(full, &s, &in_force);
    REQUIRE(whole);
    const Av1TemplateStructure& reading = whole->structure_attached ? in_force : s;
    for (std::size_t n = 0; n < full.size(); ++n) {
      CAPTURE(n);
      const auto prefix = std::span<const std::uint8_t>(full).first(n);
      Av1TemplateStructure scratch;
      auto r = parse_av1_dependency_descriptor(prefix, &reading, &scratch);
      if (n < kAv1DdMandatorySize) {
        CHECK(r.error() == Av1DdError::kTruncated);
      } else if (n == kAv1DdMandatorySize) {
        // The mandatory fields alone are a complete descriptor: read with the structure given.
        REQUIRE(r);
        CHECK_FALSE(r->extended_fields);
        CHECK(r->frame_number == whole->frame_number);
        CHECK(parse_av1_dependency_descriptor(prefix, nullptr).error() == Av1DdError::kNoStructure);
      } else if (r) {
        // Only the zero padding can be cut.
        CHECK(n * 8 > full.size() * 8 - 8);
        CHECK(r->frame.fdiff_count == whole->frame.fdiff_count);
      } else {
        CHECK(r.error() == Av1DdError::kTruncated);
      }
    }
  }
  CHECK(parse_av1_dd_mandatory(Bytes{0x80, 0x00}).error() == Av1DdError::kTruncated);
  CHECK(std::string_view(av1_dd_error_name(Av1DdError::kNoStructure)) == "no_structure");
}

TEST_CASE("structures beyond the limits") {
  // 65 templates: offset, dt count 1, then 64 times "same layer".
  std::string many = "1 0 000000 00000000 00000000  1 0 0 0 0  000000 00000";
  for (int i = 0; i < 64; ++i) many += " 00";
  many += " 11";
  CHECK(parse_av1_dependency_descriptor(from_bits(many + " 0000000000000000"), nullptr).error() ==
        Av1DdError::kTooLarge);
  // A fifth spatial layer, a ninth temporal layer.
  std::string spatial = "1 0 000000 00000000 00000000  1 0 0 0 0  000000 00000 10 10 10 10 11";
  CHECK(parse_av1_dependency_descriptor(from_bits(spatial + " 0000000000000000"), nullptr).error() ==
        Av1DdError::kTooLarge);
  std::string temporal = "1 0 000000 00000000 00000000  1 0 0 0 0  000000 00000";
  for (int i = 0; i < 8; ++i) temporal += " 01";
  CHECK(parse_av1_dependency_descriptor(from_bits(temporal + " 11 0000000000000000"), nullptr).error() ==
        Av1DdError::kTooLarge);
  // Exactly 64 templates, 4 spatial and 8 temporal layers are fine.
  std::string most = "1 0 000000 00000000 00000000  1 0 0 0 0  000000 00000";
  for (int sid = 0; sid < 4; ++sid) {
    for (int i = 0; i < 16; ++i) most += i == 15 ? (sid == 3 ? " 11" : " 10") : (i < 7 ? " 01" : " 00");
  }
  most += std::string(64 * 2, '0');  // DTIs: not present
  most += std::string(64, '0');      // no fdiffs
  most += " 0 0";                    // no chains (ns(2) = 0), no resolutions
  Av1TemplateStructure big;
  auto r = parse_av1_dependency_descriptor(from_bits(most), nullptr, &big);
  REQUIRE(r);
  CHECK(big.template_count == 64);
  CHECK(big.spatial_layers() == 4);
  CHECK(big.templates[7].temporal_id == 7);
  CHECK(big.templates[63].spatial_id == 3);
  CHECK(write(*r, big) == from_bits(most));
}

TEST_CASE("the writer: template id shift, padding kept, errors") {
  const Av1TemplateStructure s = l3t3_key();
  const Bytes key = write(keyframe_descriptor(s, 5, 40), s);
  Av1TemplateStructure original;
  auto d = parse_av1_dependency_descriptor(key, nullptr, &original);
  REQUIRE(d);

  // Shifted: the template id and the offset move together, the frame keeps its template.
  Av1DependencyDescriptor moved = *d;
  moved.frame_number = 41;
  Av1TemplateStructure shifted;
  auto m = parse_av1_dependency_descriptor(write(moved, original, 62), nullptr, &shifted);
  REQUIRE(m);
  CHECK(m->template_id == (d->template_id + 62) % 64);
  CHECK(shifted.template_id_offset == 62);
  CHECK(m->frame_number == 41);
  check_frame_is_template(m->frame, shifted, 5);
  Av1TemplateStructure back = shifted;
  back.template_id_offset = 0;
  CHECK(back == original);

  // Extra zero bytes after the fields survive a rewrite.
  Bytes padded = key;
  padded.push_back(0);
  padded.push_back(0);
  auto p = parse_av1_dependency_descriptor(padded, nullptr, &original);
  REQUIRE(p);
  CHECK(p->size == padded.size());
  CHECK(write(*p, original) == padded);

  std::array<std::uint8_t, 8> small{};
  CHECK(write_av1_dependency_descriptor(*d, original, small).error() == Av1DdError::kBufferTooSmall);
  std::array<std::uint8_t, 2> tiny{};
  CHECK(write_av1_dependency_descriptor(plain_descriptor(s, 0, 1), s, tiny).error() ==
        Av1DdError::kBufferTooSmall);

  std::array<std::uint8_t, kAv1DdMaxSize> out{};
  Av1TemplateStructure unordered = s;
  std::swap(unordered.templates[0], unordered.templates[14]);  // S2T2 first
  CHECK(write_av1_dependency_descriptor(*d, unordered, out).error() == Av1DdError::kInvalid);
  Av1TemplateStructure gap = l1t3();
  gap.templates[3].temporal_id = 3;  // T1 -> T3
  CHECK(write_av1_dependency_descriptor(keyframe_descriptor(gap, 0, 1), gap, out).error() ==
        Av1DdError::kInvalid);
  Av1TemplateStructure bad_chain = l1t3();
  bad_chain.decode_target_protected_by[1] = 1;  // only chain 0 exists
  CHECK(write_av1_dependency_descriptor(keyframe_descriptor(bad_chain, 0, 1), bad_chain, out).error() ==
        Av1DdError::kInvalid);
  // Without the structure attached only the counts matter.
  CHECK(write_av1_dependency_descriptor(plain_descriptor(bad_chain, 0, 1), bad_chain, out));
  Av1DependencyDescriptor far = plain_descriptor(s, 0, 1);
  far.template_id = 20;  // 15 templates from offset 0
  CHECK(write_av1_dependency_descriptor(far, s, out).error() == Av1DdError::kUnknownTemplate);
}

TEST_CASE("in-place rewrite of the mandatory fields") {
  const Av1TemplateStructure s = l1t3();
  Bytes bytes = write(plain_descriptor(s, 2, 7), s);
  auto m = rewrite_av1_dd_in_place(bytes, 0xBEEF, 63);
  REQUIRE(m);
  CHECK(m->frame_number == 0xBEEF);
  CHECK(m->template_id == 1);  // (2 + 63) % 64
  auto d = parse_av1_dd_mandatory(bytes);
  CHECK(d->frame_number == 0xBEEF);
  CHECK(d->template_id == 1);
  CHECK(d->start_of_frame);
  CHECK(d->end_of_frame);

  // With a mask (extended fields) but no structure, the rest is untouched.
  Av1DependencyDescriptor masked = plain_descriptor(s, 0, 1);
  masked.active_decode_targets_present = true;
  masked.active_decode_targets = 3;
  Bytes with_mask = write(masked, s);
  const Bytes tail(with_mask.begin() + 3, with_mask.end());
  REQUIRE(rewrite_av1_dd_in_place(with_mask, 2, 0));
  CHECK(Bytes(with_mask.begin() + 3, with_mask.end()) == tail);
  CHECK(*parse_av1_dependency_descriptor(with_mask, &s)->active_decode_targets == 3);

  Bytes key = kL1t3ByHand;
  CHECK(rewrite_av1_dd_in_place(key, 1, 1).error() == Av1DdError::kStructureAttached);
  CHECK(key == kL1t3ByHand);
  Bytes short_bytes{0x80, 0x00};
  CHECK(rewrite_av1_dd_in_place(short_bytes, 1, 1).error() == Av1DdError::kTruncated);
}
