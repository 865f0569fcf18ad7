// libFuzzer target for bridge/codecs/h264_payload: the input as an H.264 RTP payload, as a
// whole RTP packet and as an SPS NAL unit. Checks that the listed NAL units stay inside the
// payload and agree with the packet's flags; re-packetizes every listed unit (as a single NAL
// unit packet, as a first FU-A fragment, and all of them as one STAP-A) and checks the reparse
// tells the same; and checks SPS results against their own arithmetic and scratch sizes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "bridge/codecs/h264_payload.hpp"
#include "bridge/rtp/rtp_packet.hpp"

namespace {

using namespace jvb::codecs;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool inside(std::span<const std::uint8_t> part, std::span<const std::uint8_t> whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void exercise_sps(std::span<const std::uint8_t> nal) {
  std::array<std::uint8_t, kH264SpsScratchSize> scratch{};
  auto s = parse_h264_sps(nal, scratch);
  if (!s) {
    (void)h264_error_name(s.error());
    if (!nal.empty() && (nal[0] & 0x1F) != kH264NalSps) check(s.error() == H264Error::kNotSps);
    return;
  }
  check(s->sps_id <= 31 && s->chroma_format_idc <= 3);
  check(s->bit_depth_luma >= 8 && s->bit_depth_luma <= 14 && s->bit_depth_chroma >= 8 &&
        s->bit_depth_chroma <= 14);
  check(s->pic_width_in_mbs >= 1 && s->pic_width_in_mbs <= 8192);
  check(s->pic_height_in_map_units >= 1 && s->pic_height_in_map_units <= 8192);
  check(s->width >= 1 && s->width <= s->pic_width_in_mbs * 16);
  check(s->height >= 1 && s->height <= (s->frame_mbs_only ? 1u : 2u) * s->pic_height_in_map_units * 16);
  if (!s->frame_cropping) {
    check(s->width == s->pic_width_in_mbs * 16);
    check(s->height == (s->frame_mbs_only ? 1u : 2u) * s->pic_height_in_map_units * 16);
  }
  // A larger scratch changes nothing; a smaller one gives the same answer or says it is short.
  std::vector<std::uint8_t> big(nal.size() + 8);
  auto again = parse_h264_sps(nal, big);
  check(again.has_value() && again->width == s->width && again->height == s->height);
  std::array<std::uint8_t, 24> small{};
  auto short_scratch = parse_h264_sps(nal, small);
  if (short_scratch)
    check(short_scratch->width == s->width && short_scratch->height == s->height);
  else
    check(short_scratch.error() == H264Error::kScratchTooSmall);
}

bool same_flags(const H264Packet& a, const H264Packet& b) {
  return a.has_idr == b.has_idr && a.has_sps == b.has_sps && a.has_pps == b.has_pps &&
         a.starts_idr_picture == b.starts_idr_picture && a.starts_access_unit == b.starts_access_unit;
}

void repacketize(const H264Packet& p) {
  std::vector<std::uint8_t> stap{0x18};
  for (const H264Nal& nal : p.listed()) {
    if (nal.fragment) continue;
    // As a single NAL unit packet.
    auto single = parse_h264_payload(nal.bytes);
    check(single.has_value() && single->nal_count == 1);
    check(single->listed()[0].type == nal.type && single->listed()[0].nri == nal.nri);
    check(single->listed()[0].first_slice_of_picture == nal.first_slice_of_picture);
    // As the first fragment of an FU-A (which needs at least one payload byte to say anything).
    std::vector<std::uint8_t> fu{static_cast<std::uint8_t>((nal.bytes[0] & 0xE0) | kH264FuA),
                                 static_cast<std::uint8_t>(0x80 | nal.type)};
    fu.insert(fu.end(), nal.bytes.begin() + 1, nal.bytes.end());
    auto frag = parse_h264_payload(fu);
    check(frag.has_value() && frag->fu_start && !frag->fu_end && frag->fu_type == nal.type);
    check(frag->nal_count == 1 && frag->listed()[0].fragment && frag->listed()[0].nri == nal.nri);
    check(frag->listed()[0].first_slice_of_picture == nal.first_slice_of_picture);
    check(frag->listed()[0].bytes.size() == nal.bytes.size() - 1);
    stap.push_back(static_cast<std::uint8_t>(nal.bytes.size() >> 8));
    stap.push_back(static_cast<std::uint8_t>(nal.bytes.size()));
    stap.insert(stap.end(), nal.bytes.begin(), nal.bytes.end());
  }
  if (p.packetization == H264Packetization::kFuA || p.listed_nals == 0) return;
  auto aggregated = parse_h264_payload(stap);
  check(aggregated.has_value() && aggregated->listed_nals == p.listed_nals);
  for (std::size_t i = 0; i < p.listed_nals; ++i) {
    check(aggregated->listed()[i].type == p.listed()[i].type);
    check(aggregated->listed()[i].bytes.size() == p.listed()[i].bytes.size());
  }
  if (p.nal_count == p.listed_nals) check(same_flags(*aggregated, p));
}

void exercise(std::span<const std::uint8_t> payload) {
  auto p = parse_h264_payload(payload);
  if (!p) {
    (void)h264_error_name(p.error());
    return;
  }
  check(p->listed_nals <= kH264MaxListedNals && p->listed_nals <= p->nal_count);
  check(p->listed_nals == p->nal_count || p->listed_nals == kH264MaxListedNals);
  if (!p->is_supported()) {
    check(p->nal_count == 0 && !p->has_idr && !p->has_sps && !p->has_pps && !p->is_start_of_frame());
    return;
  }
  check(p->packetization != H264Packetization::kFuA || !(p->fu_start && p->fu_end));
  check(p->packetization != H264Packetization::kFuA || p->nal_count == (p->fu_start ? 1u : 0u));
  check(p->packetization != H264Packetization::kSingleNal || p->nal_count == 1);
  check(!p->is_keyframe() || p->is_start_of_frame());
  check(!p->starts_idr_picture || p->has_idr);
  check(p->nal_count > 0 || !p->is_start_of_frame());
  std::size_t stap_bytes = 1;
  bool idr = false, sps = false, pps = false;
  for (const H264Nal& nal : p->listed()) {
    check(inside(nal.bytes, payload));
    check(nal.type >= 1 && nal.type <= 23 && nal.nri < 4);
    check(nal.fragment == (p->packetization == H264Packetization::kFuA));
    if (!nal.fragment) check(!nal.bytes.empty() && (nal.bytes[0] & 0x1F) == nal.type);
    if (nal.first_slice_of_picture) check(nal.type == 1 || nal.type == 2 || nal.type == 5);
    stap_bytes += 2 + nal.bytes.size();
    idr = idr || nal.type == kH264NalIdr;
    sps = sps || nal.type == kH264NalSps;
    pps = pps || nal.type == kH264NalPps;
  }
  if (p->nal_count == p->listed_nals && p->packetization != H264Packetization::kFuA) {
    check(idr == p->has_idr && sps == p->has_sps && pps == p->has_pps);
  }
  if (p->packetization == H264Packetization::kStapA && p->nal_count == p->listed_nals)
    check(stap_bytes == payload.size());
  const auto sps_nal = find_h264_sps(*p);
  if (!sps_nal.empty()) {
    check(inside(sps_nal, payload) && (sps_nal[0] & 0x1F) == kH264NalSps);
    exercise_sps(sps_nal);
  }
  repacketize(*p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  exercise(input);
  if (auto rtp = jvb::rtp::RtpPacket::parse(input)) exercise(rtp->payload());
  exercise_sps(input);
  if (size > 0 && (data[0] & 0x1F) != kH264NalSps) {
    std::vector<std::uint8_t> as_sps(input.begin(), input.end());
    as_sps[0] = static_cast<std::uint8_t>((as_sps[0] & 0xE0) | kH264NalSps);
    exercise_sps(as_sps);
  }
  return 0;
}
