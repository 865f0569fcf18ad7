// Tests of bridge/codecs/vp8_descriptor.hpp (RFC 7741 §4.2, §4.3): descriptor fields, frame
// starts, keyframes and resolution (including portrait), in-place rewrites.
#include <doctest/doctest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "bridge/codecs/vp8_descriptor.hpp"

using namespace jvb::codecs;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes cat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Chrome's simulcast descriptor: X S; I L T; M + PictureID 0x1234; TL0PICIDX 5; TID 2, Y.
const Bytes kChromeDescriptor{0x90, 0xE0, 0x92, 0x34, 0x05, 0xA0};
// Key frame payload header: frame tag (P=0), start code, 640 x 360 (scale bits set on height).
const Bytes kKeyframeHeader{0x50, 0x2D, 0x01, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x41};
// Interframe: P=1.
const Bytes kInterframeHeader{0x31, 0x0C, 0x00, 0x00};

}  // namespace

TEST_CASE("parse Chrome's descriptor") {
  const Bytes payload = cat(kChromeDescriptor, kKeyframeHeader);
  auto d = parse_vp8_descriptor(payload);
  REQUIRE(d);
  CHECK(d->extended);
  CHECK(d->start_of_partition);
  CHECK(d->partition_index == 0);
  CHECK_FALSE(d->non_reference);
  CHECK(d->is_start_of_frame());
  REQUIRE(d->picture_id);
  CHECK(*d->picture_id == 0x1234);
  CHECK(d->picture_id_15_bit);
  CHECK(d->picture_id_offset == 2);
  REQUIRE(d->tl0_pic_idx);
  CHECK(*d->tl0_pic_idx == 5);
  CHECK(d->tl0_pic_idx_offset == 4);
  REQUIRE(d->temporal_id);
  CHECK(*d->temporal_id == 2);
  CHECK(d->layer_sync);
  CHECK_FALSE(d->key_index);
  CHECK(d->size == 6);
}

TEST_CASE("minimal descriptor, 7-bit PictureID, KEYIDX only") {
  auto minimal = parse_vp8_descriptor(Bytes{0x10, 0xAA});
  REQUIRE(minimal);
  CHECK_FALSE(minimal->extended);
  CHECK(minimal->size == 1);
  CHECK_FALSE(minimal->picture_id);
  CHECK_FALSE(minimal->temporal_id);

  auto seven = parse_vp8_descriptor(Bytes{0x80, 0x80, 0x7F, 0xAA});
  REQUIRE(seven);
  CHECK(*seven->picture_id == 0x7F);
  CHECK_FALSE(seven->picture_id_15_bit);
  CHECK_FALSE(seven->start_of_partition);
  CHECK(seven->size == 3);

  auto key = parse_vp8_descriptor(Bytes{0xA3, 0x10, 0x1F, 0xAA});  // X N PID=3; K; KEYIDX 31
  REQUIRE(key);
  CHECK(key->non_reference);
  CHECK(key->partition_index == 3);
  CHECK_FALSE(key->temporal_id);
  CHECK(*key->key_index == 31);
  CHECK(key->size == 3);
}

TEST_CASE("truncated and empty descriptors") {
  CHECK(parse_vp8_descriptor(Bytes{}).error() == Vp8Error::kEmpty);
  CHECK(parse_vp8_descriptor(Bytes{0x90}).error() == Vp8Error::kTruncated);
  CHECK(parse_vp8_descriptor(Bytes{0x90, 0x80}).error() == Vp8Error::kTruncated);
  CHECK(parse_vp8_descriptor(Bytes{0x90, 0x80, 0x92}).error() == Vp8Error::kTruncated);
  CHECK(parse_vp8_descriptor(Bytes{0x90, 0xE0, 0x92, 0x34, 0x05}).error() == Vp8Error::kTruncated);
  CHECK(parse_vp8_descriptor(kChromeDescriptor).error() == Vp8Error::kNoPayload);
  CHECK(parse_vp8_descriptor(Bytes{0x10}).error() == Vp8Error::kNoPayload);
  CHECK(std::string_view(vp8_error_name(Vp8Error::kNoPayload)) == "no_payload");
}

TEST_CASE("keyframe detection and resolution") {
  const Bytes key = cat(kChromeDescriptor, kKeyframeHeader);
  auto d = parse_vp8_descriptor(key);
  REQUIRE(d);
  auto info = parse_vp8_frame_info(*d, std::span<const std::uint8_t>(key).subspan(d->size));
  CHECK(info.keyframe);
  REQUIRE(info.width);
  REQUIRE(info.height);
  CHECK(*info.width == 640);
  CHECK(*info.height == 360);  // the scale bits (0x40 in the high byte) are masked off
  CHECK(is_vp8_keyframe(key));

  // Portrait.
  const Bytes portrait =
      cat(kChromeDescriptor, Bytes{0x50, 0x2D, 0x01, 0x9D, 0x01, 0x2A, 0x68, 0x01, 0x80, 0x02});
  auto pd = parse_vp8_descriptor(portrait);
  auto pinfo = parse_vp8_frame_info(*pd, std::span<const std::uint8_t>(portrait).subspan(pd->size));
  CHECK(*pinfo.width == 360);
  CHECK(*pinfo.height == 640);

  // P = 1: not a keyframe.
  CHECK_FALSE(is_vp8_keyframe(cat(kChromeDescriptor, kInterframeHeader)));
  // S = 0: not the start of a frame, whatever the bytes look like.
  Bytes middle = cat(kChromeDescriptor, kKeyframeHeader);
  middle[0] = 0x80;
  CHECK_FALSE(is_vp8_keyframe(middle));
  // S = 1 but PID = 1: a later partition.
  Bytes later = cat(kChromeDescriptor, kKeyframeHeader);
  later[0] = 0x91;
  CHECK_FALSE(is_vp8_keyframe(later));
}

TEST_CASE("keyframe without a complete header has no dimensions") {
  const Bytes short_key = cat(kChromeDescriptor, Bytes{0x50, 0x2D, 0x01, 0x9D, 0x01});
  auto d = parse_vp8_descriptor(short_key);
  auto info = parse_vp8_frame_info(*d, std::span<const std::uint8_t>(short_key).subspan(d->size));
  CHECK(info.keyframe);
  CHECK_FALSE(info.width);
  const Bytes bad_start =
      cat(kChromeDescriptor, Bytes{0x50, 0x2D, 0x01, 0x9D, 0x01, 0x2B, 0x80, 0x02, 0x68, 0x01});
  auto d2 = parse_vp8_descriptor(bad_start);
  auto info2 = parse_vp8_frame_info(*d2, std::span<const std::uint8_t>(bad_start).subspan(d2->size));
  CHECK(info2.keyframe);
  CHECK_FALSE(info2.height);
}

TEST_CASE("rewrite the 15-bit PictureID and TL0PICIDX, leaving everything else") {
  Bytes payload = cat(kChromeDescriptor, kKeyframeHeader);
  const Bytes before = payload;
  auto d = parse_vp8_descriptor(payload);
  REQUIRE(d);
  CHECK(*rewrite_vp8_picture_id(payload, *d, 0xFFFF) == 0x7FFF);  // truncated to 15 bits
  CHECK(*rewrite_vp8_tl0_pic_idx(payload, *d, 0xEE) == 0xEE);
  auto after = parse_vp8_descriptor(payload);
  REQUIRE(after);
  CHECK(*after->picture_id == 0x7FFF);
  CHECK(after->picture_id_15_bit);
  CHECK(*after->tl0_pic_idx == 0xEE);
  CHECK(*after->temporal_id == 2);
  CHECK(after->layer_sync);
  CHECK(after->size == d->size);
  Bytes expected = before;
  expected[2] = 0xFF;
  expected[3] = 0xFF;
  expected[4] = 0xEE;
  CHECK(payload == expected);
}

TEST_CASE("rewrite a 7-bit PictureID keeps it 7 bits") {
  Bytes payload{0x90, 0x80, 0x05, 0x31};
  auto d = parse_vp8_descriptor(payload);
  REQUIRE(d);
  CHECK(*rewrite_vp8_picture_id(payload, *d, 0x1FF) == 0x7F);
  CHECK(payload == Bytes{0x90, 0x80, 0x7F, 0x31});
  CHECK(rewrite_vp8_tl0_pic_idx(payload, *d, 1).error() == Vp8Error::kNoTl0PicIdx);
}

TEST_CASE("rewrites of absent fields or on a shorter buffer fail without writing") {
  Bytes plain{0x10, 0x31};
  auto d = parse_vp8_descriptor(plain);
  REQUIRE(d);
  CHECK(rewrite_vp8_picture_id(plain, *d, 1).error() == Vp8Error::kNoPictureId);
  CHECK(rewrite_vp8_tl0_pic_idx(plain, *d, 1).error() == Vp8Error::kNoTl0PicIdx);
  CHECK(plain == Bytes{0x10, 0x31});
  Bytes payload = cat(kChromeDescriptor, kKeyframeHeader);
  auto full = parse_vp8_descriptor(payload);
  REQUIRE(full);
  Bytes shorter(payload.begin(), payload.begin() + 3);
  CHECK(rewrite_vp8_picture_id(shorter, *full, 1).error() == Vp8Error::kTruncated);
  CHECK(rewrite_vp8_tl0_pic_idx(shorter, *full, 1).error() == Vp8Error::kTruncated);
}
