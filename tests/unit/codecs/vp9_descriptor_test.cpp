// Tests of bridge/codecs/vp9_descriptor.hpp (RFC 9628 §4.2, §4.2.1): every descriptor field in
// both modes, the scalability structure, keyframe rules (T-42), truncation at every length,
// frame boundaries and the in-place rewrites.
#include <doctest/doctest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "bridge/codecs/vp9_descriptor.hpp"

using namespace jvb::codecs;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes cat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

const Bytes kMedia{0x83, 0x49, 0x83, 0x42};

// Start of a keyframe picture of a 3-spatial-layer non-flexible stream, as Chrome sends it:
// I L B V; M + picture ID 0x1E65; TID 0 SID 0 D 0; TL0PICIDX 0xFD; SS: N_S=2 Y G,
// 320x180, 640x360, 1280x720; N_G=4: (T0 R1 4), (T2 U R1 1), (T1 U R1 2), (T2 U R1 1).
const Bytes kKsvcKeyStart{0xAA, 0x9E, 0x65, 0x00, 0xFD, 0x58, 0x01, 0x40, 0x00, 0xB4, 0x02, 0x80, 0x01, 0x68,
                          0x05, 0x00, 0x02, 0xD0, 0x04, 0x04, 0x04, 0x54, 0x01, 0x34, 0x02, 0x54, 0x01};

// Flexible mode, inter-picture predicted, three references: I P L F B; 15-bit picture ID
// 0x0102; TID 2 U SID 1 D; P_DIFF 1 (N), 5 (N), 127.
const Bytes kFlexibleThreeRefs{0xF8, 0x81, 0x02, 0x53, 0x03, 0x0B, 0xFE};

}  // namespace

TEST_CASE("parse a non-flexible keyframe start with a 3-layer scalability structure (T-42)") {
  const Bytes payload = cat(kKsvcKeyStart, kMedia);
  auto d = parse_vp9_descriptor(payload);
  REQUIRE(d);
  CHECK_FALSE(d->inter_picture_predicted);
  CHECK_FALSE(d->flexible_mode);
  CHECK(d->is_start_of_frame());
  CHECK_FALSE(d->is_end_of_frame());
  CHECK(d->is_upper_level_reference());
  REQUIRE(d->picture_id);
  CHECK(*d->picture_id == 0x1E65);
  CHECK(d->picture_id_15_bit);
  CHECK(d->picture_id_offset == 1);
  CHECK(d->has_layer_indices);
  CHECK(d->temporal_id == 0);
  CHECK(d->spatial_id == 0);
  CHECK_FALSE(d->switching_up_point);
  CHECK_FALSE(d->inter_layer_dependency);
  REQUIRE(d->tl0_pic_idx);
  CHECK(*d->tl0_pic_idx == 0xFD);
  CHECK(d->tl0_pic_idx_offset == 4);
  CHECK(d->reference_count == 0);
  CHECK(d->size == kKsvcKeyStart.size());
  CHECK(d->is_keyframe());

  REQUIRE(d->scalability_structure);
  const Vp9ScalabilityStructure& ss = *d->scalability_structure;
  CHECK(ss.spatial_layers == 3);
  REQUIRE(ss.has_resolutions);
  CHECK(ss.resolutions[0] == Vp9Resolution{320, 180});
  CHECK(ss.resolutions[1] == Vp9Resolution{640, 360});
  CHECK(ss.resolutions[2] == Vp9Resolution{1280, 720});
  REQUIRE(ss.has_picture_group);
  REQUIRE(ss.picture_group.size() == 4);
  std::vector<Vp9PictureGroupEntry> entries;
  for (const Vp9PictureGroupEntry e : ss.picture_group) entries.push_back(e);
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].temporal_id == 0);
  CHECK_FALSE(entries[0].switching_up_point);
  CHECK(entries[0].reference_count == 1);
  CHECK(entries[0].p_diffs[0] == 4);
  CHECK(entries[1].temporal_id == 2);
  CHECK(entries[1].switching_up_point);
  CHECK(entries[1].p_diffs[0] == 1);
  CHECK(entries[2].temporal_id == 1);
  CHECK(entries[2].p_diffs[0] == 2);
  CHECK(entries[3].temporal_id == 2);
  // 3 spatial x 3 temporal layers; heights by spatial layer.
  CHECK(ss.temporal_layers() == 3);
}

TEST_CASE("VP9 keyframe rules (T-42)") {
  // Byte 0 I L B; TID 0 SID s D d; TL0PICIDX.
  auto with_layer = [](std::uint8_t b0, std::uint8_t layer) {
    return cat(Bytes{b0, 0x9E, 0x65, layer, 0xFD}, kMedia);
  };
  // SID 0, P=0: keyframe, on every packet of the frame (start, middle, end).
  CHECK(parse_vp9_descriptor(with_layer(0xA8, 0x00))->is_keyframe());
  CHECK(parse_vp9_descriptor(with_layer(0xA0, 0x00))->is_keyframe());
  CHECK(parse_vp9_descriptor(with_layer(0xA4, 0x00))->is_keyframe());
  // SID 1 of the keyframe picture, predicted from SID 0 (D=1): not decodable alone.
  auto sid1 = parse_vp9_descriptor(with_layer(0xA8, 0x03));
  REQUIRE(sid1);
  CHECK(sid1->spatial_id == 1);
  CHECK(sid1->inter_layer_dependency);
  CHECK_FALSE(sid1->is_keyframe());
  // SID 2 without inter-layer dependency (an intra frame of a simulcast-like layer): keyframe.
  auto sid2 = parse_vp9_descriptor(with_layer(0xA8, 0x04));
  REQUIRE(sid2);
  CHECK(sid2->spatial_id == 2);
  CHECK(sid2->is_keyframe());
  // P=1: never a keyframe, whatever the layer.
  CHECK_FALSE(parse_vp9_descriptor(with_layer(0xE8, 0x00))->is_keyframe());
  CHECK_FALSE(parse_vp9_descriptor(with_layer(0xE8, 0x04))->is_keyframe());
  // No layer indices: P alone decides.
  const Bytes plain_payload = cat(Bytes{0x8B, 0xA5, 0x58, 0x10, 0x06, 0x28, 0x04, 0x86}, kMedia);
  auto plain_key = parse_vp9_descriptor(plain_payload);
  REQUIRE(plain_key);
  CHECK_FALSE(plain_key->has_layer_indices);
  CHECK(plain_key->is_keyframe());
  CHECK_FALSE(plain_key->is_upper_level_reference());  // Z set
  REQUIRE(plain_key->scalability_structure);
  CHECK(plain_key->scalability_structure->spatial_layers == 1);
  CHECK(plain_key->scalability_structure->resolutions[0] == Vp9Resolution{1576, 1158});
  CHECK_FALSE(plain_key->scalability_structure->has_picture_group);
  CHECK(plain_key->scalability_structure->temporal_layers() == 1);
  CHECK_FALSE(parse_vp9_descriptor(cat(Bytes{0xC9, 0xA5, 0x5A}, kMedia))->is_keyframe());
}

TEST_CASE("flexible mode: layer indices without TL0PICIDX, up to three references") {
  auto d = parse_vp9_descriptor(cat(kFlexibleThreeRefs, kMedia));
  REQUIRE(d);
  CHECK(d->flexible_mode);
  CHECK(d->inter_picture_predicted);
  CHECK(*d->picture_id == 0x0102);
  CHECK(d->temporal_id == 2);
  CHECK(d->switching_up_point);
  CHECK(d->spatial_id == 1);
  CHECK(d->inter_layer_dependency);
  CHECK_FALSE(d->tl0_pic_idx);
  CHECK(d->tl0_pic_idx_offset == 0);
  REQUIRE(d->reference_count == 3);
  CHECK(d->p_diffs[0] == 1);
  CHECK(d->p_diffs[1] == 5);
  CHECK(d->p_diffs[2] == 127);
  CHECK(d->size == kFlexibleThreeRefs.size());
  CHECK_FALSE(d->is_keyframe());

  // One reference.
  auto one = parse_vp9_descriptor(cat(Bytes{0xF8, 0xEC, 0x57, 0x00, 0x02}, kMedia));
  REQUIRE(one);
  CHECK(one->reference_count == 1);
  CHECK(one->p_diffs[0] == 1);
  CHECK(one->size == 5);

  // N set on the third P_DIFF: a fourth is not allowed.
  Bytes four = cat(kFlexibleThreeRefs, kMedia);
  four[6] = 0xFF;
  CHECK(parse_vp9_descriptor(four).error() == Vp9Error::kTooManyReferences);

  // Flexible but not predicted: no P_DIFF; flexible keyframe with SS, Y without G.
  auto key = parse_vp9_descriptor(cat(Bytes{0xBE, 0xD1, 0xD6, 0x10, 0x10, 0x00, 0xB4, 0x01, 0x40}, kMedia));
  REQUIRE(key);
  CHECK(key->reference_count == 0);
  CHECK(key->switching_up_point);
  CHECK(key->is_start_of_frame());
  CHECK(key->is_end_of_frame());
  CHECK(key->is_keyframe());
  REQUIRE(key->scalability_structure);
  CHECK(key->scalability_structure->resolutions[0] == Vp9Resolution{180, 320});  // portrait
  CHECK(key->size == 9);
}

TEST_CASE("7-bit picture ID, no picture ID, and SS variants") {
  auto seven = parse_vp9_descriptor(cat(Bytes{0x88, 0x7F}, kMedia));
  REQUIRE(seven);
  CHECK(*seven->picture_id == 0x7F);
  CHECK_FALSE(seven->picture_id_15_bit);
  CHECK(seven->size == 2);

  auto none = parse_vp9_descriptor(cat(Bytes{0x0C}, kMedia));
  REQUIRE(none);
  CHECK_FALSE(none->picture_id);
  CHECK(none->picture_id_offset == 0);
  CHECK(none->size == 1);
  CHECK(none->is_start_of_frame());
  CHECK(none->is_end_of_frame());

  // SS with neither resolutions nor a picture group: only N_S.
  auto bare = parse_vp9_descriptor(cat(Bytes{0x0A, 0xE0}, kMedia));
  REQUIRE(bare);
  REQUIRE(bare->scalability_structure);
  CHECK(bare->scalability_structure->spatial_layers == 8);
  CHECK_FALSE(bare->scalability_structure->has_resolutions);
  CHECK_FALSE(bare->scalability_structure->has_picture_group);
  CHECK(bare->size == 2);

  // G with N_G=0 (an empty picture group), and an entry with three references and R=0.
  const Bytes empty_pg_payload = cat(Bytes{0x0A, 0x08, 0x00}, kMedia);
  auto empty_pg = parse_vp9_descriptor(empty_pg_payload);
  REQUIRE(empty_pg);
  CHECK(empty_pg->scalability_structure->has_picture_group);
  CHECK(empty_pg->scalability_structure->picture_group.empty());
  // The picture group is a view: keep the payload alive while walking it.
  const Bytes rich_payload = cat(Bytes{0x0A, 0x08, 0x02, 0xFC, 7, 8, 9, 0x20}, kMedia);
  auto rich = parse_vp9_descriptor(rich_payload);
  REQUIRE(rich);
  std::vector<Vp9PictureGroupEntry> entries;
  for (const Vp9PictureGroupEntry e : rich->scalability_structure->picture_group) entries.push_back(e);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].temporal_id == 7);
  CHECK(entries[0].switching_up_point);
  CHECK(entries[0].reference_count == 3);
  CHECK(entries[0].p_diffs == std::array<std::uint8_t, 3>{7, 8, 9});
  CHECK(entries[1].temporal_id == 1);
  CHECK(entries[1].reference_count == 0);
  CHECK(rich->scalability_structure->temporal_layers() == 8);
  CHECK(rich->size == 8);
}

TEST_CASE("truncated at every length") {
  const Bytes two_refs_with_ss{0xFA, 0x81, 0x02, 0x53, 0x03, 0x0A, 0x18, 0x05, 0x00,
                               0x02, 0xD0, 0x02, 0x04, 0x04, 0x58, 0x01, 0x02};
  for (const Bytes& descriptor : {kKsvcKeyStart, kFlexibleThreeRefs, two_refs_with_ss}) {
    const Bytes payload = cat(descriptor, kMedia);
    REQUIRE(parse_vp9_descriptor(payload));
    CHECK(parse_vp9_descriptor(payload)->size == descriptor.size());
    for (std::size_t n = 0; n <= descriptor.size(); ++n) {
      CAPTURE(n);
      const auto r = parse_vp9_descriptor(std::span<const std::uint8_t>(payload).first(n));
      REQUIRE_FALSE(r);
      if (n == 0)
        CHECK(r.error() == Vp9Error::kEmpty);
      else if (n < descriptor.size())
        CHECK(r.error() == Vp9Error::kTruncated);
      else
        CHECK(r.error() == Vp9Error::kNoPayload);
    }
    CHECK(parse_vp9_descriptor(std::span<const std::uint8_t>(payload).first(descriptor.size() + 1)));
  }
  CHECK(std::string_view(vp9_error_name(Vp9Error::kPictureIdNot15Bit)) == "picture_id_not_15_bit");
}

TEST_CASE("frame boundary helpers read only the first byte") {
  CHECK(is_vp9_start_of_frame(Bytes{0x08}));
  CHECK_FALSE(is_vp9_start_of_frame(Bytes{0xF7}));
  CHECK(is_vp9_end_of_frame(Bytes{0x04}));
  CHECK_FALSE(is_vp9_end_of_frame(Bytes{0xFB}));
  CHECK_FALSE(is_vp9_start_of_frame(Bytes{}));
  CHECK_FALSE(is_vp9_end_of_frame(Bytes{}));
  const Bytes payload = cat(kKsvcKeyStart, kMedia);
  CHECK(is_vp9_start_of_frame(payload) == parse_vp9_descriptor(payload)->is_start_of_frame());
  CHECK(is_vp9_end_of_frame(payload) == parse_vp9_descriptor(payload)->is_end_of_frame());
}

TEST_CASE("rewrite the 15-bit picture ID and TL0PICIDX in place, round trip") {
  Bytes payload = cat(kKsvcKeyStart, kMedia);
  const Bytes before = payload;
  auto d = parse_vp9_descriptor(payload);
  REQUIRE(d);
  CHECK(*rewrite_vp9_picture_id(payload, *d, 0xFFFF) == 0x7FFF);
  CHECK(*rewrite_vp9_tl0_pic_idx(payload, *d, 0x12) == 0x12);
  Bytes expected = before;
  expected[1] = 0xFF;
  expected[2] = 0xFF;
  expected[4] = 0x12;
  CHECK(payload == expected);
  auto after = parse_vp9_descriptor(payload);
  REQUIRE(after);
  CHECK(*after->picture_id == 0x7FFF);
  CHECK(after->picture_id_15_bit);
  CHECK(*after->tl0_pic_idx == 0x12);
  CHECK(after->size == d->size);
  CHECK(after->scalability_structure->resolutions[2] == Vp9Resolution{1280, 720});
  // And back.
  CHECK(*rewrite_vp9_picture_id(payload, *after, 0x1E65) == 0x1E65);
  CHECK(*rewrite_vp9_tl0_pic_idx(payload, *after, 0xFD) == 0xFD);
  CHECK(payload == before);

  // Flexible mode: picture ID only.
  Bytes flex = cat(kFlexibleThreeRefs, kMedia);
  auto fd = parse_vp9_descriptor(flex);
  REQUIRE(fd);
  CHECK(*rewrite_vp9_picture_id(flex, *fd, 0x4000) == 0x4000);
  CHECK(rewrite_vp9_tl0_pic_idx(flex, *fd, 1).error() == Vp9Error::kNoTl0PicIdx);
  CHECK(flex[1] == 0xC0);
  CHECK(flex[2] == 0x00);
  CHECK(parse_vp9_descriptor(flex)->reference_count == 3);
}

TEST_CASE("picture ID rewrite refuses the 7-bit form, a missing field and a short buffer") {
  Bytes seven = cat(Bytes{0xA8, 0x05, 0x00, 0x09}, kMedia);  // 7-bit PID 5, TL0PICIDX 9
  const Bytes seven_before = seven;
  auto d7 = parse_vp9_descriptor(seven);
  REQUIRE(d7);
  CHECK(rewrite_vp9_picture_id(seven, *d7, 6).error() == Vp9Error::kPictureIdNot15Bit);
  CHECK(seven == seven_before);
  CHECK(*rewrite_vp9_tl0_pic_idx(seven, *d7, 10) == 10);  // TL0PICIDX is independent of the form
  CHECK(seven[3] == 10);

  Bytes none = cat(Bytes{0x08}, kMedia);
  auto dn = parse_vp9_descriptor(none);
  REQUIRE(dn);
  CHECK(rewrite_vp9_picture_id(none, *dn, 6).error() == Vp9Error::kNoPictureId);
  CHECK(rewrite_vp9_tl0_pic_idx(none, *dn, 6).error() == Vp9Error::kNoTl0PicIdx);

  const Bytes payload = cat(kKsvcKeyStart, kMedia);
  auto d = parse_vp9_descriptor(payload);
  REQUIRE(d);
  Bytes shorter(payload.begin(), payload.begin() + 2);
  CHECK(rewrite_vp9_picture_id(shorter, *d, 1).error() == Vp9Error::kTruncated);
  CHECK(rewrite_vp9_tl0_pic_idx(shorter, *d, 1).error() == Vp9Error::kTruncated);
  CHECK(shorter == Bytes{0xAA, 0x9E});
}
