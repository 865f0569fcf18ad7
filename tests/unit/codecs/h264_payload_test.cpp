// Tests of bridge/codecs/h264_payload.hpp (RFC 6184 §5.6-§5.8; H.264 §7.3.2.1.1): NAL unit
// lists of single NAL unit, STAP-A and FU-A packets, frame starts and keyframes, the
// interleaved-mode types, truncated and malformed packets, and SPS resolutions built bit by bit
// here (with the test's own Exp-Golomb writer) and cross-checked against an encoder's SPS.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "bridge/codecs/h264_payload.hpp"

using namespace jvb::codecs;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes sized(const Bytes& unit) {
  return cat(
      {Bytes{static_cast<std::uint8_t>(unit.size() >> 8), static_cast<std::uint8_t>(unit.size())}, unit});
}

// The test's own bit writer (independent of bridge/codecs/bit_io.hpp): u(n), ue(v), se(v).
class Bits {
 public:
  void u(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) put(((v >> i) & 1) != 0);
  }
  void ue(std::uint32_t v) {
    const std::uint64_t code = std::uint64_t{v} + 1;
    int len = 0;
    while ((code >> len) > 1) ++len;
    u(0, len);
    u(code, len + 1);
  }
  void se(std::int32_t v) {
    ue(v > 0 ? static_cast<std::uint32_t>(2 * v - 1) : static_cast<std::uint32_t>(-2 * v));
  }
  // rbsp_trailing_bits: a stop bit, then zeros to the byte boundary.
  Bytes finish() {
    put(true);
    while (count_ % 8 != 0) put(false);
    return bytes_;
  }

 private:
  void put(bool b) {
    if (count_ % 8 == 0) bytes_.push_back(0);
    if (b) bytes_.back() = static_cast<std::uint8_t>(bytes_.back() | (0x80 >> (count_ % 8)));
    ++count_;
  }
  Bytes bytes_;
  int count_ = 0;
};

// Inserts emulation-prevention bytes (H.264 §7.4.1).
Bytes escape(const Bytes& rbsp) {
  Bytes out;
  int zeros = 0;
  for (std::uint8_t b : rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push_back(3);
      zeros = 0;
    }
    out.push_back(b);
    zeros = b == 0 ? zeros + 1 : 0;
  }
  return out;
}

struct SpsSpec {
  std::uint8_t profile_idc = 66;
  std::uint8_t constraints = 0xC0;
  std::uint8_t level_idc = 31;
  std::uint32_t sps_id = 0;
  std::uint32_t chroma_format_idc = 1;  // written for high profiles only
  bool separate_colour_plane = false;
  bool scaling_lists = false;
  std::uint32_t poc_type = 2;
  std::uint32_t width_mbs = 40;
  std::uint32_t height_map_units = 23;
  bool frame_mbs_only = true;
  std::array<std::uint32_t, 4> crop{};  // left, right, top, bottom
  bool crop_present = false;
};

Bytes build_sps(const SpsSpec& s) {
  Bits b;
  b.u(s.profile_idc, 8);
  b.u(s.constraints, 8);
  b.u(s.level_idc, 8);
  b.ue(s.sps_id);
  if (s.profile_idc == 100 || s.profile_idc == 244) {
    b.ue(s.chroma_format_idc);
    if (s.chroma_format_idc == 3) b.u(s.separate_colour_plane, 1);
    b.ue(2);    // bit_depth_luma_minus8: 10 bits
    b.ue(0);    // bit_depth_chroma_minus8
    b.u(0, 1);  // qpprime_y_zero_transform_bypass_flag
    b.u(s.scaling_lists, 1);
    if (s.scaling_lists) {
      const int lists = s.chroma_format_idc != 3 ? 8 : 12;
      for (int i = 0; i < lists; ++i) {
        const bool present = i == 0 || i == 6 || i == lists - 1;
        b.u(present, 1);
        if (!present) continue;
        if (i == 6) {
          b.se(-8);  // next scale 0 at once: the rest of the list is not sent
        } else {
          for (int j = 0; j < (i < 6 ? 16 : 64); ++j) b.se(j % 2 ? -3 : 4);
        }
      }
    }
  }
  b.ue(0);  // log2_max_frame_num_minus4
  b.ue(s.poc_type);
  if (s.poc_type == 0) {
    b.ue(4);
  } else if (s.poc_type == 1) {
    b.u(0, 1);
    b.se(-2);
    b.se(3);
    b.ue(3);
    b.se(1);
    b.se(-1);
    b.se(7);
  }
  b.ue(1);    // max_num_ref_frames
  b.u(0, 1);  // gaps_in_frame_num_value_allowed_flag
  b.ue(s.width_mbs - 1);
  b.ue(s.height_map_units - 1);
  b.u(s.frame_mbs_only, 1);
  if (!s.frame_mbs_only) b.u(1, 1);  // mb_adaptive_frame_field_flag
  b.u(1, 1);                         // direct_8x8_inference_flag
  b.u(s.crop_present, 1);
  if (s.crop_present)
    for (std::uint32_t c : s.crop) b.ue(c);
  b.u(0, 1);  // vui_parameters_present_flag
  return cat({Bytes{0x67}, escape(b.finish())});
}

jvb::Result<H264Sps, H264Error> parse_sps(const Bytes& nal) {
  std::array<std::uint8_t, kH264SpsScratchSize> scratch{};
  return parse_h264_sps(nal, scratch);
}

const Bytes kPps{0x68, 0xCE, 0x3C, 0x80};
const Bytes kIdrSlice{0x65, 0x88, 0x84, 0x00, 0x33, 0xFF};  // first_mb_in_slice 0
const Bytes kNonIdrSlice{0x41, 0x9A, 0x02, 0x0C};           // first_mb_in_slice 0
const Bytes kLaterSlice{0x41, 0x40, 0x12, 0x0C};            // first_mb_in_slice 1

}  // namespace

TEST_CASE("single NAL unit packets") {
  auto idr = parse_h264_payload(kIdrSlice);
  REQUIRE(idr);
  CHECK(idr->packetization == H264Packetization::kSingleNal);
  CHECK(idr->is_supported());
  CHECK(idr->nri == 3);
  CHECK_FALSE(idr->forbidden_bit);
  REQUIRE(idr->nal_count == 1);
  REQUIRE(idr->listed().size() == 1);
  CHECK(idr->listed()[0].type == kH264NalIdr);
  CHECK(idr->listed()[0].nri == 3);
  CHECK_FALSE(idr->listed()[0].fragment);
  CHECK(idr->listed()[0].bytes.data() == std::span<const std::uint8_t>(kIdrSlice).data());
  CHECK(idr->listed()[0].bytes.size() == kIdrSlice.size());
  CHECK(idr->listed()[0].first_slice_of_picture);
  CHECK(idr->has_idr);
  CHECK(idr->starts_idr_picture);
  CHECK(idr->is_start_of_frame());
  CHECK(idr->is_keyframe());

  auto delta = parse_h264_payload(kNonIdrSlice);
  REQUIRE(delta);
  CHECK(delta->nri == 2);
  CHECK(delta->is_start_of_frame());
  CHECK_FALSE(delta->is_keyframe());
  CHECK_FALSE(delta->has_idr);

  // A second slice of the picture does not start the frame.
  auto later = parse_h264_payload(kLaterSlice);
  REQUIRE(later);
  CHECK_FALSE(later->listed()[0].first_slice_of_picture);
  CHECK_FALSE(later->is_start_of_frame());
  Bytes later_idr = kLaterSlice;
  later_idr[0] = 0x65;
  auto later_key = parse_h264_payload(later_idr);
  CHECK(later_key->has_idr);
  CHECK_FALSE(later_key->starts_idr_picture);
  CHECK_FALSE(later_key->is_keyframe());

  // Parameter sets, SEI and AUD open an access unit; an SPS or PPS packet starts a keyframe.
  const Bytes sps = build_sps({});
  auto s = parse_h264_payload(sps);
  REQUIRE(s);
  CHECK(s->has_sps);
  CHECK(s->is_start_of_frame());
  CHECK(s->is_keyframe());
  CHECK(find_h264_sps(*s).size() == sps.size());
  auto aud = parse_h264_payload(Bytes{0x09, 0xF0});
  CHECK(aud->is_start_of_frame());
  CHECK_FALSE(aud->is_keyframe());
  CHECK(parse_h264_payload(Bytes{0x06, 0x05, 0x01})->is_start_of_frame());
  // End of sequence (10) and a slice header cut off after the NAL header: no start.
  CHECK_FALSE(parse_h264_payload(Bytes{0x0A})->is_start_of_frame());
  CHECK_FALSE(parse_h264_payload(Bytes{0x65})->is_start_of_frame());
  CHECK(parse_h264_payload(Bytes{0x65})->has_idr);
  // Forbidden bit reported, not rejected.
  CHECK(parse_h264_payload(Bytes{0xE5, 0x88})->forbidden_bit);
  CHECK(find_h264_sps(*idr).empty());
}

TEST_CASE("STAP-A: aggregated units, parameter sets with and without the IDR slice") {
  const Bytes sps = build_sps({});
  const Bytes sets = cat({Bytes{0x78}, sized(sps), sized(kPps)});
  auto p = parse_h264_payload(sets);
  REQUIRE(p);
  CHECK(p->packetization == H264Packetization::kStapA);
  CHECK(p->nri == 3);
  REQUIRE(p->nal_count == 2);
  CHECK(p->listed()[0].type == kH264NalSps);
  CHECK(p->listed()[0].bytes.size() == sps.size());
  CHECK(p->listed()[0].bytes.data() == sets.data() + 3);
  CHECK(p->listed()[1].type == kH264NalPps);
  CHECK(p->listed()[1].nri == 3);
  CHECK(p->has_sps);
  CHECK(p->has_pps);
  CHECK_FALSE(p->has_idr);
  CHECK(p->is_start_of_frame());
  CHECK(p->is_keyframe());
  CHECK(find_h264_sps(*p).data() == sets.data() + 3);
  auto found = parse_sps(Bytes(find_h264_sps(*p).begin(), find_h264_sps(*p).end()));
  REQUIRE(found);
  CHECK(found->width == 640);

  const Bytes all = cat({Bytes{0x78}, sized(sps), sized(kPps), sized(kIdrSlice)});
  auto a = parse_h264_payload(all);
  REQUIRE(a);
  CHECK(a->nal_count == 3);
  CHECK(a->listed()[2].type == kH264NalIdr);
  CHECK(a->listed()[2].first_slice_of_picture);
  CHECK(a->starts_idr_picture);
  CHECK(a->is_keyframe());

  // A STAP-A of two delta slices: starts a frame, not a keyframe.
  auto slices = parse_h264_payload(cat({Bytes{0x58}, sized(kNonIdrSlice), sized(kLaterSlice)}));
  REQUIRE(slices);
  CHECK(slices->is_start_of_frame());
  CHECK_FALSE(slices->is_keyframe());
  // The first unit decides: a later first slice does not make the packet a start.
  auto late_first = parse_h264_payload(cat({Bytes{0x58}, sized(kLaterSlice), sized(kNonIdrSlice)}));
  CHECK_FALSE(late_first->is_start_of_frame());

  // More units than are listed: all counted, all in the flags.
  Bytes many{0x78};
  for (int i = 0; i < 19; ++i) many = cat({many, sized(kPps)});
  many = cat({many, sized(kIdrSlice)});
  auto m = parse_h264_payload(many);
  REQUIRE(m);
  CHECK(m->nal_count == 20);
  CHECK(m->listed_nals == kH264MaxListedNals);
  CHECK(m->has_idr);
}

TEST_CASE("STAP-A truncated at every length, and malformed") {
  const Bytes unit1 = kPps;
  const Bytes unit2 = kIdrSlice;
  const Bytes stap = cat({Bytes{0x78}, sized(unit1), sized(unit2)});
  const std::size_t after_first = 1 + 2 + unit1.size();
  for (std::size_t n = 0; n <= stap.size(); ++n) {
    CAPTURE(n);
    auto r = parse_h264_payload(std::span<const std::uint8_t>(stap).first(n));
    if (n == 0) {
      CHECK(r.error() == H264Error::kEmpty);
    } else if (n == 1) {
      CHECK(r.error() == H264Error::kMalformed);  // no unit at all
    } else if (n == after_first) {
      REQUIRE(r);
      CHECK(r->nal_count == 1);
    } else if (n == stap.size()) {
      REQUIRE(r);
      CHECK(r->nal_count == 2);
    } else {
      CHECK(r.error() == H264Error::kTruncated);
    }
  }
  // A zero-size unit, and units that are not NAL units (another STAP-A, a reserved type).
  CHECK(parse_h264_payload(cat({Bytes{0x78, 0x00, 0x00}, sized(kPps)})).error() == H264Error::kMalformed);
  CHECK(parse_h264_payload(cat({Bytes{0x78}, sized(Bytes{0x78, 0x00})})).error() == H264Error::kMalformed);
  CHECK(parse_h264_payload(cat({Bytes{0x78}, sized(Bytes{0x1E, 0x00})})).error() == H264Error::kMalformed);
  CHECK(parse_h264_payload(cat({Bytes{0x78}, sized(Bytes{0x00})})).error() == H264Error::kMalformed);
}

TEST_CASE("FU-A: start, middle and end fragments") {
  const Bytes start{0x7C, 0x85, 0x88, 0x84, 0x00};
  auto s = parse_h264_payload(start);
  REQUIRE(s);
  CHECK(s->packetization == H264Packetization::kFuA);
  CHECK(s->fu_start);
  CHECK_FALSE(s->fu_end);
  CHECK(s->fu_type == kH264NalIdr);
  REQUIRE(s->nal_count == 1);
  CHECK(s->listed()[0].fragment);
  CHECK(s->listed()[0].type == kH264NalIdr);
  CHECK(s->listed()[0].nri == 3);
  CHECK(s->listed()[0].bytes.data() == start.data() + 2);
  CHECK(s->listed()[0].bytes.size() == 3);
  CHECK(s->starts_idr_picture);
  CHECK(s->is_start_of_frame());
  CHECK(s->is_keyframe());

  auto middle = parse_h264_payload(Bytes{0x7C, 0x05, 0x11, 0x22});
  REQUIRE(middle);
  CHECK_FALSE(middle->fu_start);
  CHECK_FALSE(middle->fu_end);
  CHECK(middle->nal_count == 0);
  CHECK(middle->has_idr);
  CHECK_FALSE(middle->is_start_of_frame());
  CHECK_FALSE(middle->is_keyframe());

  auto end = parse_h264_payload(Bytes{0x7C, 0x45, 0x33});
  REQUIRE(end);
  CHECK(end->fu_end);
  CHECK_FALSE(end->is_start_of_frame());

  // A delta picture's first fragment; a later slice's first fragment.
  auto delta = parse_h264_payload(Bytes{0x5C, 0x81, 0x9A, 0x02});
  REQUIRE(delta);
  CHECK(delta->is_start_of_frame());
  CHECK_FALSE(delta->is_keyframe());
  CHECK_FALSE(parse_h264_payload(Bytes{0x5C, 0x81, 0x40, 0x02})->is_start_of_frame());
  // A fragmented SPS is flagged but not offered for parsing.
  auto frag_sps = parse_h264_payload(Bytes{0x7C, 0x87, 0x42, 0xC0});
  CHECK(frag_sps->has_sps);
  CHECK(frag_sps->is_keyframe());
  CHECK(find_h264_sps(*frag_sps).empty());
  // A start fragment with no payload byte: nothing to tell the slice from.
  CHECK_FALSE(parse_h264_payload(Bytes{0x7C, 0x85})->is_start_of_frame());

  CHECK(parse_h264_payload(Bytes{0x7C}).error() == H264Error::kTruncated);
  CHECK(parse_h264_payload(Bytes{0x7C, 0xC5, 0x88}).error() == H264Error::kMalformed);  // S and E
  CHECK(parse_h264_payload(Bytes{0x7C, 0x98, 0x88}).error() == H264Error::kMalformed);  // FU of an FU-A
  CHECK(parse_h264_payload(Bytes{0x7C, 0x80, 0x88}).error() == H264Error::kMalformed);  // type 0
}

TEST_CASE("interleaved-mode types are reported as unsupported; reserved types are malformed") {
  const std::array<std::pair<std::uint8_t, H264Packetization>, 4> unsupported{{
      {0x79, H264Packetization::kStapB},
      {0x7A, H264Packetization::kMtap16},
      {0x7B, H264Packetization::kMtap24},
      {0x7D, H264Packetization::kFuB},
  }};
  for (const auto& [b0, kind] : unsupported) {
    for (const Bytes& payload : {Bytes{b0}, Bytes{b0, 0x85, 0x00, 0x10, 0x65, 0x88}}) {
      auto p = parse_h264_payload(payload);
      REQUIRE(p);
      CHECK(p->packetization == kind);
      CHECK_FALSE(p->is_supported());
      CHECK(p->nal_count == 0);
      CHECK_FALSE(p->has_idr);
      CHECK_FALSE(p->is_start_of_frame());
      CHECK_FALSE(p->is_keyframe());
    }
  }
  CHECK(parse_h264_payload(Bytes{}).error() == H264Error::kEmpty);
  CHECK(parse_h264_payload(Bytes{0x00, 0x01}).error() == H264Error::kMalformed);
  CHECK(parse_h264_payload(Bytes{0x7E, 0x01}).error() == H264Error::kMalformed);
  CHECK(parse_h264_payload(Bytes{0x7F, 0x01}).error() == H264Error::kMalformed);
  CHECK(std::string_view(h264_error_name(H264Error::kScratchTooSmall)) == "scratch_too_small");
}

TEST_CASE("emulation prevention is removed, bounded by the output") {
  const Bytes escaped{0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x03, 0x00, 0x03, 0x00, 0x00, 0x03};
  std::array<std::uint8_t, 16> out{};
  auto u = unescape_h264_rbsp(escaped, out);
  CHECK(u.complete);
  REQUIRE(u.size == 9);
  CHECK(Bytes(out.begin(), out.begin() + 9) == Bytes{0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00});
  std::array<std::uint8_t, 4> small{};
  auto s = unescape_h264_rbsp(escaped, small);
  CHECK_FALSE(s.complete);
  CHECK(s.size == 4);
  CHECK(unescape_h264_rbsp(Bytes{0x03, 0x00, 0x03}, out).size == 3);  // no 00 00 before: kept
}

TEST_CASE("SPS: 640x360 constrained baseline, cropped from 368 lines") {
  SpsSpec spec;  // 40 x 23 macroblocks
  spec.crop_present = true;
  spec.crop = {0, 0, 0, 4};  // 4 crop units of 2 lines
  const Bytes nal = build_sps(spec);
  auto s = parse_sps(nal);
  REQUIRE(s);
  CHECK(s->profile_idc == 66);
  CHECK(s->constraint_flags == 0xC0);
  CHECK(s->level_idc == 31);
  CHECK(s->chroma_format_idc == 1);
  CHECK(s->pic_width_in_mbs == 40);
  CHECK(s->pic_height_in_map_units == 23);
  CHECK(s->frame_mbs_only);
  CHECK(s->frame_cropping);
  CHECK(s->crop_bottom == 4);
  CHECK(s->max_num_ref_frames == 1);
  CHECK(s->width == 640);
  CHECK(s->height == 360);

  // Portrait, POC types 0 and 1, no cropping.
  SpsSpec portrait;
  portrait.width_mbs = 23;
  portrait.height_map_units = 40;
  portrait.crop_present = true;
  portrait.crop = {0, 4, 0, 0};
  for (std::uint32_t poc : {0u, 1u, 2u}) {
    portrait.poc_type = poc;
    auto p = parse_sps(build_sps(portrait));
    REQUIRE(p);
    CHECK(p->width == 360);
    CHECK(p->height == 640);
  }
}

TEST_CASE("SPS: high profiles with scaling lists, interlaced 1280x720 and 4:4:4") {
  SpsSpec hd;
  hd.profile_idc = 100;
  hd.constraints = 0;
  hd.level_idc = 40;
  hd.sps_id = 3;
  hd.scaling_lists = true;
  hd.width_mbs = 80;
  hd.frame_mbs_only = false;  // field pairs: 23 map units of 32 lines = 736
  hd.height_map_units = 23;
  hd.crop_present = true;
  hd.crop = {0, 0, 0, 4};  // 4 units of 2 x 2 lines
  auto s = parse_sps(build_sps(hd));
  REQUIRE(s);
  CHECK(s->sps_id == 3);
  CHECK(s->bit_depth_luma == 10);
  CHECK(s->bit_depth_chroma == 8);
  CHECK_FALSE(s->frame_mbs_only);
  CHECK(s->width == 1280);
  CHECK(s->height == 720);

  SpsSpec full;
  full.profile_idc = 244;
  full.chroma_format_idc = 3;  // crop units of one pixel, 12 scaling lists
  full.scaling_lists = true;
  full.width_mbs = 80;
  full.height_map_units = 45;
  full.crop_present = true;
  full.crop = {1, 2, 3, 4};
  auto f = parse_sps(build_sps(full));
  REQUIRE(f);
  CHECK(f->chroma_format_idc == 3);
  CHECK(f->width == 1277);
  CHECK(f->height == 713);

  full.separate_colour_plane = true;  // ChromaArrayType 0: unit 1 x 1 for frames
  auto sep = parse_sps(build_sps(full));
  REQUIRE(sep);
  CHECK(sep->separate_colour_plane);
  CHECK(sep->width == 1277);
  CHECK(sep->height == 713);
}

TEST_CASE("SPS cross-check: an encoder's 1920x1080 High-profile SPS with emulation prevention") {
  // x264, High profile level 4.0: 120 x 68 macroblocks, 8 lines cropped, VUI follows.
  const Bytes x264{0x67, 0x64, 0x00, 0x28, 0xAC, 0xD9, 0x40, 0x78, 0x02, 0x27, 0xE5, 0xC0, 0x44, 0x00,
                   0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xF0, 0x3C, 0x60, 0xC6, 0x58};
  auto s = parse_sps(x264);
  REQUIRE(s);
  CHECK(s->profile_idc == 100);
  CHECK(s->level_idc == 40);
  CHECK(s->pic_width_in_mbs == 120);
  CHECK(s->pic_height_in_map_units == 68);
  CHECK(s->crop_bottom == 4);
  CHECK(s->width == 1920);
  CHECK(s->height == 1080);

  // The same fields written by the test's writer give the same answer.
  SpsSpec same;
  same.profile_idc = 100;
  same.width_mbs = 120;
  same.height_map_units = 68;
  same.crop_present = true;
  same.crop = {0, 0, 0, 4};
  auto built = parse_sps(build_sps(same));
  REQUIRE(built);
  CHECK(built->width == s->width);
  CHECK(built->height == s->height);
}

TEST_CASE("SPS escaped bytes, truncation at every length, and a short scratch buffer") {
  // Long runs of zero bits (large Exp-Golomb values) make the writer insert 00 00 03.
  SpsSpec zeros;
  zeros.width_mbs = 4096;
  zeros.height_map_units = 4096;
  const Bytes nal = build_sps(zeros);
  bool escaped = false;
  for (std::size_t i = 2; i < nal.size(); ++i)
    escaped = escaped || (nal[i - 2] == 0 && nal[i - 1] == 0 && nal[i] == 3);
  CHECK(escaped);
  auto s = parse_sps(nal);
  REQUIRE(s);
  CHECK(s->width == 65536);
  CHECK(s->height == 65536);

  SpsSpec spec;
  spec.profile_idc = 100;
  spec.scaling_lists = true;
  spec.crop_present = true;
  spec.crop = {0, 0, 0, 4};
  const Bytes full = build_sps(spec);
  auto whole = parse_sps(full);
  REQUIRE(whole);
  // Every shorter NAL either fails as truncated or (once past the cropping fields, into the
  // VUI flag and trailing bits) gives the same answer; at most the last byte can be cut.
  bool seen_ok = false;
  for (std::size_t n = 1; n < full.size(); ++n) {
    CAPTURE(n);
    auto r = parse_sps(Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n)));
    if (r) {
      seen_ok = true;
      CHECK(r->width == whole->width);
      CHECK(r->height == whole->height);
    } else {
      CHECK_FALSE(seen_ok);
      CHECK(r.error() == H264Error::kTruncated);
    }
  }
  CHECK(parse_h264_sps(Bytes{}, std::span<std::uint8_t>{}).error() == H264Error::kEmpty);

  // Scratch buffers: too small is reported as such, enough is enough.
  std::vector<std::uint8_t> scratch;
  std::size_t needed = 0;
  for (std::size_t size = 0; size <= full.size(); ++size) {
    scratch.assign(size, 0);
    auto r = parse_h264_sps(full, scratch);
    if (r) {
      if (needed == 0) needed = size;
    } else {
      CHECK(needed == 0);
      CHECK(r.error() == H264Error::kScratchTooSmall);
    }
  }
  CHECK(needed > 0);
  CHECK(needed <= full.size());
}

TEST_CASE("SPS malformed values") {
  CHECK(parse_sps(Bytes{0x68, 0x42}).error() == H264Error::kNotSps);
  SpsSpec bad_id;
  bad_id.sps_id = 32;
  CHECK(parse_sps(build_sps(bad_id)).error() == H264Error::kMalformed);
  SpsSpec bad_chroma;
  bad_chroma.profile_idc = 100;
  bad_chroma.chroma_format_idc = 4;
  CHECK(parse_sps(build_sps(bad_chroma)).error() == H264Error::kMalformed);
  SpsSpec bad_poc;
  bad_poc.poc_type = 3;
  CHECK(parse_sps(build_sps(bad_poc)).error() == H264Error::kMalformed);
  SpsSpec over_crop;
  over_crop.crop_present = true;
  over_crop.crop = {200, 120, 0, 0};  // 2 x 320 = 640: nothing left
  CHECK(parse_sps(build_sps(over_crop)).error() == H264Error::kMalformed);
  over_crop.crop = {0, 0, 0, 184};  // 2 x 184 = 368
  CHECK(parse_sps(build_sps(over_crop)).error() == H264Error::kMalformed);
  SpsSpec huge;
  huge.width_mbs = 8193;
  CHECK(parse_sps(build_sps(huge)).error() == H264Error::kMalformed);
  // All zeros after the fixed bytes: an Exp-Golomb code that never ends.
  CHECK(parse_sps(Bytes{0x67, 0x42, 0xC0, 0x1F, 0x00, 0x00, 0x00, 0x00, 0x00}).error() ==
        H264Error::kTruncated);
}
