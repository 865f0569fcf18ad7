// Test helpers for the projection tests: a generator of VP8 simulcast RTP streams (RFC 7741
// descriptors as Chrome writes them: 15-bit PictureID, TL0PICIDX, TID; L1T3 temporal pattern
// 0,2,1,2 restarting at keyframes; optionally the layer-sync bits of libwebrtc's 8-frame L1T3
// pattern), padding-only packets (RFC 3550 §5.1), and a receiver that parses what the
// projection forwarded.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "bridge/codecs/vp8_descriptor.hpp"
#include "bridge/core/time.hpp"
#include "bridge/media/projection/video_projection.hpp"
#include "bridge/rtp/rtp_packet.hpp"
#include "bridge/rtp/sequence_unwrapper.hpp"

namespace jvb::test {

inline constexpr std::uint8_t kVp8Pt = 100;
inline constexpr std::uint8_t kH264Pt = 107;

struct GeneratedPacket {
  std::vector<std::uint8_t> bytes;
  int encoding = 0;
  std::uint32_t ssrc = 0;
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  std::uint16_t picture_id = 0;
  std::uint8_t tl0 = 0;
  std::uint8_t tid = 0;
  bool layer_sync = false;  // Y
  int pattern_index = 0;    // frames since the keyframe, modulo 8
  bool keyframe = false;    // a packet of a keyframe
  bool start = false;       // first packet of its frame
  bool marker = false;
  bool padding = false;  // padding only, no payload
};

inline std::vector<std::uint8_t> rtp_header(std::uint8_t pt, bool marker, std::uint16_t seq, std::uint32_t ts,
                                            std::uint32_t ssrc) {
  return {0x80,
          static_cast<std::uint8_t>((marker ? 0x80 : 0) | pt),
          static_cast<std::uint8_t>(seq >> 8),
          static_cast<std::uint8_t>(seq),
          static_cast<std::uint8_t>(ts >> 24),
          static_cast<std::uint8_t>(ts >> 16),
          static_cast<std::uint8_t>(ts >> 8),
          static_cast<std::uint8_t>(ts),
          static_cast<std::uint8_t>(ssrc >> 24),
          static_cast<std::uint8_t>(ssrc >> 16),
          static_cast<std::uint8_t>(ssrc >> 8),
          static_cast<std::uint8_t>(ssrc)};
}

struct EncodingParams {
  std::uint32_t ssrc = 0;
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  std::uint16_t picture_id = 0;
  std::uint8_t tl0 = 0;
  int packets_per_frame = 1;  // keyframes have three times as many
};

// N simulcast encodings of one VP8 source, each with its own SSRC and number spaces.
class Vp8SimulcastSource {
 public:
  explicit Vp8SimulcastSource(std::vector<EncodingParams> params) : params_(std::move(params)) {
    frame_index_.assign(params_.size(), 0);
    started_.assign(params_.size(), false);
  }

  // Three encodings with unrelated starting points, 1/2/3 packets per delta frame.
  static Vp8SimulcastSource standard() {
    return Vp8SimulcastSource({{0x1111, 1000, 100000, 300, 10, 1},
                               {0x2222, 40000, 3000000000u, 20000, 200, 2},
                               {0x3333, 65000, 7000, 32000, 250, 3}});
  }

  int encodings() const { return static_cast<int>(params_.size()); }
  std::uint32_t ssrc(int e) const { return params_[static_cast<std::size_t>(e)].ssrc; }
  void set_payload_type(std::uint8_t pt) { pt_ = pt; }
  // Y as libwebrtc's default 3-layer pattern sets it: only on the TL2 and TL1 frames at the
  // start of each 8-frame cycle, which reference TL0 alone; the other TL1/TL2 frames reference
  // the TL1 frame before them, possibly across a TL0 frame. Off: Y on every TID > 0 frame.
  void set_libwebrtc_layer_sync(bool on) { libwebrtc_sync_ = on; }

  // A padding-only packet on encoding e: the next sequence number, the last frame's timestamp,
  // P set and `bytes` of padding (1-255) as the only content.
  GeneratedPacket padding(int e, std::uint8_t bytes = 200) {
    auto& p = params_[static_cast<std::size_t>(e)];
    GeneratedPacket g;
    g.encoding = e;
    g.ssrc = p.ssrc;
    g.seq = p.seq++;
    g.ts = p.ts;
    g.padding = true;
    g.bytes = rtp_header(pt_, false, g.seq, g.ts, g.ssrc);
    g.bytes[0] |= 0x20;
    g.bytes.insert(g.bytes.end(), std::size_t{bytes}, std::uint8_t{0});
    g.bytes.back() = bytes;
    return g;
  }

  // All packets of the next frame of encoding e.
  std::vector<GeneratedPacket> frame(int e, bool keyframe) {
    auto& p = params_[static_cast<std::size_t>(e)];
    auto& k = frame_index_[static_cast<std::size_t>(e)];
    if (keyframe) k = 0;
    static constexpr std::uint8_t kPattern[] = {0, 2, 1, 2};
    const std::uint8_t tid = kPattern[k % 4];
    const int pattern_index = k % 8;
    const bool sync = tid > 0 && (!libwebrtc_sync_ || pattern_index == 1 || pattern_index == 2);
    if (started_[static_cast<std::size_t>(e)]) {
      p.ts += 3000;
      p.picture_id = (p.picture_id + 1) & 0x7FFF;
      if (tid == 0) ++p.tl0;
    }
    started_[static_cast<std::size_t>(e)] = true;
    ++k;
    const int n = keyframe ? 3 * p.packets_per_frame : p.packets_per_frame;
    std::vector<GeneratedPacket> out;
    for (int i = 0; i < n; ++i) {
      GeneratedPacket g;
      g.encoding = e;
      g.ssrc = p.ssrc;
      g.seq = p.seq++;
      g.ts = p.ts;
      g.picture_id = p.picture_id;
      g.tl0 = p.tl0;
      g.tid = tid;
      g.layer_sync = sync;
      g.pattern_index = pattern_index;
      g.keyframe = keyframe;
      g.start = i == 0;
      g.marker = i == n - 1;
      g.bytes = rtp_header(pt_, g.marker, g.seq, g.ts, g.ssrc);
      const std::uint8_t desc[] = {static_cast<std::uint8_t>(0x80 | (g.start ? 0x10 : 0)),
                                   0xE0,
                                   static_cast<std::uint8_t>(0x80 | (g.picture_id >> 8)),
                                   static_cast<std::uint8_t>(g.picture_id),
                                   g.tl0,
                                   static_cast<std::uint8_t>((tid << 6) | (sync ? 0x20 : 0))};
      g.bytes.insert(g.bytes.end(), std::begin(desc), std::end(desc));
      if (g.start && keyframe) {
        // The keyframe header with the encoding's resolution: 320x180 << e (RFC 6386 §9.1).
        const int width = 320 << e, height = 180 << e;
        const std::uint8_t kf[] = {0x50,
                                   0x2D,
                                   0x01,
                                   0x9D,
                                   0x01,
                                   0x2A,
                                   static_cast<std::uint8_t>(width & 0xFF),
                                   static_cast<std::uint8_t>(width >> 8),
                                   static_cast<std::uint8_t>(height & 0xFF),
                                   static_cast<std::uint8_t>(height >> 8)};
        g.bytes.insert(g.bytes.end(), std::begin(kf), std::end(kf));
      } else if (g.start) {
        const std::uint8_t delta[] = {0x31, 0x0C, 0x00, 0x00};
        g.bytes.insert(g.bytes.end(), std::begin(delta), std::end(delta));
      }
      for (int j = 0; j < 20; ++j) g.bytes.push_back(static_cast<std::uint8_t>(0xA0 + i + j));
      out.push_back(std::move(g));
    }
    return out;
  }

  // One capture instant: a frame on every encoding, encoding 0 first.
  std::vector<GeneratedPacket> instant(bool keyframe) {
    std::vector<GeneratedPacket> out;
    for (int e = 0; e < encodings(); ++e) {
      auto f = frame(e, keyframe);
      out.insert(out.end(), f.begin(), f.end());
    }
    return out;
  }

 private:
  std::vector<EncodingParams> params_;
  std::vector<int> frame_index_;
  std::vector<bool> started_;
  std::uint8_t pt_ = kVp8Pt;
  bool libwebrtc_sync_ = false;
};

// A non-VP8 packet (H264-like payload that would parse as garbage VP8).
inline GeneratedPacket generic_packet(std::uint32_t ssrc, std::uint16_t seq, std::uint32_t ts, bool marker,
                                      int encoding) {
  GeneratedPacket g;
  g.encoding = encoding;
  g.ssrc = ssrc;
  g.seq = seq;
  g.ts = ts;
  g.marker = marker;
  g.bytes = rtp_header(kH264Pt, marker, seq, ts, ssrc);
  const std::uint8_t nal[] = {0x90, 0xE0, 0x81, 0x23, 0x45, 0x00, 0x7C, 0x85, 0x11, 0x22};
  g.bytes.insert(g.bytes.end(), std::begin(nal), std::end(nal));
  return g;
}

// What the receiver got for one forwarded packet.
struct Received {
  GeneratedPacket in;  // what went in
  std::uint32_t ssrc = 0;
  std::int64_t seq = 0;  // unwrapped by the receiver
  std::int64_t ts = 0;
  std::optional<std::uint16_t> picture_id;
  std::optional<std::uint8_t> tl0;
  bool payload_kept = false;  // everything but seq/ts/ssrc/PictureID/TL0PICIDX unchanged
};

// Drives a projection on a fake clock and parses everything it forwards.
class ProjectionHarness {
 public:
  static constexpr std::uint32_t kProjectedSsrc = 0x1111;

  explicit ProjectionHarness(int encodings = 3) : projection(kProjectedSsrc, encodings) {}

  media::VideoProjection::Decision offer(const GeneratedPacket& p) {
    auto parsed = rtp::RtpPacket::parse(p.bytes);
    REQUIRE(parsed);
    std::vector<std::uint8_t> copy = p.bytes;
    const auto d = projection.on_packet(now, copy, *parsed, p.encoding);
    if (d.forward) received.push_back(receive(p, copy));
    if (d.request_keyframe) ++requests;
    return d;
  }
  void offer_all(const std::vector<GeneratedPacket>& packets) {
    for (const auto& p : packets) offer(p);
  }
  void advance(std::chrono::milliseconds ms) { now += ms; }

  media::VideoProjection projection;
  Timestamp now{std::chrono::seconds(1000)};
  std::vector<Received> received;
  int requests = 0;

 private:
  Received receive(const GeneratedPacket& in, const std::vector<std::uint8_t>& out) {
    auto parsed = rtp::RtpPacket::parse(out);
    REQUIRE(parsed);
    Received r;
    r.in = in;
    r.ssrc = parsed->ssrc();
    r.seq = seq_.unwrap(parsed->sequence_number());
    r.ts = ts_.unwrap(parsed->timestamp());
    bool same = out.size() == in.bytes.size() && parsed->marker() == ((in.bytes[1] & 0x80) != 0) &&
                parsed->payload_type() == (in.bytes[1] & 0x7F);
    std::size_t pid_at = 0, pid_len = 0, tl0_at = 0;
    if (parsed->payload_type() == kVp8Pt && parsed->payload_size() > 0) {
      auto d = codecs::parse_vp8_descriptor(parsed->payload());
      REQUIRE(d);
      if (d->picture_id) {
        r.picture_id = *d->picture_id;
        pid_at = parsed->header_size() + d->picture_id_offset;
        pid_len = d->picture_id_15_bit ? 2 : 1;
      }
      if (d->tl0_pic_idx) {
        r.tl0 = *d->tl0_pic_idx;
        tl0_at = parsed->header_size() + d->tl0_pic_idx_offset;
      }
    }
    for (std::size_t i = 12; same && i < out.size(); ++i) {
      const bool rewritten = (pid_len && i >= pid_at && i < pid_at + pid_len) || (tl0_at && i == tl0_at);
      if (!rewritten && out[i] != in.bytes[i]) same = false;
    }
    r.payload_kept = same;
    return r;
  }

  rtp::SequenceNumberUnwrapper seq_;
  rtp::TimestampUnwrapper ts_;
};

}  // namespace jvb::test
