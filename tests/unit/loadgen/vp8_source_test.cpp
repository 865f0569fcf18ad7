// Tests of tools/loadgen/vp8_source.hpp: the VP8 simulcast packetizer (RFC 7741 descriptor and
// payload header, RFC 6386 §9.1 keyframe header), read back with the bridge's own VP8 parser.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "bridge/codecs/vp8_descriptor.hpp"
#include "bridge/core/byte_reader.hpp"
#include "tools/loadgen/vp8_source.hpp"

using namespace jvb;
using namespace jvb::loadgen;
using namespace std::chrono_literals;

namespace {

struct Packet {
  Vp8PacketInfo info;
  std::vector<std::uint8_t> payload;
};

std::vector<Packet> poll(Vp8Source& source, Timestamp now) {
  std::vector<Packet> out;
  source.poll(now, [&](const Vp8PacketInfo& info, std::span<const std::uint8_t> payload) {
    out.push_back({info, {payload.begin(), payload.end()}});
  });
  return out;
}

const Timestamp kStart = Timestamp{} + 1000s;

std::int64_t micros(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// The send time after the descriptor and, on a frame's first packet, the payload header.
std::uint64_t send_time(const Packet& p) {
  auto d = codecs::parse_vp8_descriptor(p.payload);
  REQUIRE(d);
  std::size_t offset = d->size;
  if (d->is_start_of_frame()) offset += p.info.keyframe ? kVp8KeyframeHeaderSize : kVp8FrameTagSize;
  ByteReader r(std::span<const std::uint8_t>(p.payload).subspan(offset));
  std::uint64_t t = r.u64();
  REQUIRE(r.ok());
  return t;
}

}  // namespace

TEST_CASE("the first poll sends a keyframe on every layer with the right descriptor and dimensions") {
  Vp8Source source({}, 42);
  CHECK_FALSE(source.next_due());
  source.start(kStart, 1000);
  REQUIRE(source.next_due() == kStart);
  auto packets = poll(source, kStart);
  REQUIRE_FALSE(packets.empty());

  const int widths[] = {320, 640, 1280};
  const int heights[] = {180, 360, 720};
  for (int layer = 0; layer < 3; ++layer) {
    std::vector<Packet> frame;
    for (const auto& p : packets)
      if (p.info.layer == layer) frame.push_back(p);
    REQUIRE_FALSE(frame.empty());
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < frame.size(); ++i) {
      const Packet& p = frame[i];
      CAPTURE(layer);
      CAPTURE(i);
      CHECK(p.payload.size() <= 1200);
      CHECK(p.info.rtp_timestamp == 1000);
      CHECK(p.info.keyframe);
      CHECK(p.info.marker == (i + 1 == frame.size()));
      CHECK(p.info.start_of_frame == (i == 0));
      auto d = codecs::parse_vp8_descriptor(p.payload);
      REQUIRE(d);
      CHECK(d->extended);
      CHECK(d->start_of_partition == (i == 0));
      CHECK(d->partition_index == 0);
      CHECK_FALSE(d->non_reference);
      REQUIRE(d->picture_id);
      CHECK(d->picture_id_15_bit);
      CHECK(*d->picture_id == p.info.picture_id);
      REQUIRE(d->tl0_pic_idx);
      CHECK(d->temporal_id == 0);
      CHECK(d->layer_sync);
      CHECK(d->size == kVp8DescriptorSize);
      auto info = codecs::parse_vp8_frame_info(*d, std::span<const std::uint8_t>(p.payload).subspan(d->size));
      if (i == 0) {
        CHECK(info.keyframe);
        CHECK(info.width == widths[layer]);
        CHECK(info.height == heights[layer]);
        // The frame tag's show_frame bit and a non-zero first partition size.
        std::uint32_t tag =
            p.payload[d->size] | (p.payload[d->size + 1] << 8) | (p.payload[d->size + 2] << 16);
        CHECK((tag & 1) == 0);
        CHECK((tag & 0x10) != 0);
        CHECK((tag >> 5) > 0);
      } else {
        CHECK_FALSE(info.keyframe);
      }
      CHECK(send_time(p) == static_cast<std::uint64_t>(micros(kStart)));
      bytes += p.payload.size() - kVp8DescriptorSize;
    }
    // A keyframe is 5 delta frames of bitrate / 30.
    const double bitrates[] = {150e3, 500e3, 1.5e6};
    double expected = bitrates[layer] / 8 / 30 * 5;
    CHECK(static_cast<double>(bytes) == doctest::Approx(expected).epsilon(0.02));
  }
  CHECK(source.keyframes(0) == 1);
  CHECK(source.next_due() == kStart + source.frame_interval());
  CHECK(poll(source, kStart + 1ms).empty());
}

TEST_CASE("delta frames: picture id and TL0PICIDX continue by one per frame, through the 15-bit wrap") {
  Vp8Source source({}, 7);
  source.start(kStart, 0xFFFFFF00u);
  std::vector<std::uint16_t> picture_ids;
  std::vector<std::uint8_t> tl0;
  std::vector<std::uint32_t> timestamps;
  Timestamp now = kStart;
  for (int frame = 0; frame < 90; ++frame) {
    auto packets = poll(source, now);
    REQUIRE_FALSE(packets.empty());
    for (const auto& p : packets) {
      if (p.info.layer != 2 || !p.info.start_of_frame) continue;
      auto d = codecs::parse_vp8_descriptor(p.payload);
      REQUIRE(d);
      picture_ids.push_back(*d->picture_id);
      tl0.push_back(*d->tl0_pic_idx);
      timestamps.push_back(p.info.rtp_timestamp);
      CHECK(p.info.keyframe == (frame == 0));
    }
    now = *source.next_due();
  }
  REQUIRE(picture_ids.size() == 90);
  for (std::size_t i = 1; i < picture_ids.size(); ++i) {
    CHECK(picture_ids[i] == ((picture_ids[i - 1] + 1) & 0x7FFF));
    CHECK(tl0[i] == static_cast<std::uint8_t>(tl0[i - 1] + 1));
    CHECK(timestamps[i] - timestamps[i - 1] == 3000);  // 90 kHz / 30 fps, across the 32-bit wrap
  }
}

TEST_CASE("15-bit picture ids wrap to 0") {
  // Walk one layer's ids over 0x8000 frames without real time: polls at successive grid points.
  Vp8SourceConfig config;
  config.fps = 1000;  // 1 ms frames keep the loop short in fake time
  config.layers = {{{320, 180, 8000}, {640, 360, 8000}, {1280, 720, 8000}}};
  Vp8Source source(config, 3);
  source.start(kStart, 0);
  std::optional<std::uint16_t> previous;
  bool wrapped = false;
  Timestamp now = kStart;
  for (int frame = 0; frame < 0x8000 + 2; ++frame) {
    std::optional<std::uint16_t> id;
    source.poll(now, [&](const Vp8PacketInfo& info, std::span<const std::uint8_t>) {
      if (info.layer == 0 && info.start_of_frame) id = info.picture_id;
    });
    REQUIRE(id);
    if (previous) {
      REQUIRE(*id == ((*previous + 1) & 0x7FFF));
      wrapped = wrapped || *id == 0;
    }
    previous = id;
    now = *source.next_due();
  }
  CHECK(wrapped);
}

TEST_CASE("delta frame sizes follow the layer's bit rate, keyframes come every interval") {
  Vp8Source source({}, 11);
  source.start(kStart, 0);
  std::size_t bytes[3] = {};
  int keyframes[3] = {};
  Timestamp now = kStart;
  Timestamp end = kStart + 9s;
  while (now < end) {
    for (const auto& p : poll(source, now)) {
      bytes[p.info.layer] += p.payload.size() - kVp8DescriptorSize;
      if (p.info.start_of_frame && p.info.keyframe) ++keyframes[p.info.layer];
      CHECK(p.payload.size() <= 1200);
    }
    now = *source.next_due();
  }
  for (int layer = 0; layer < 3; ++layer) {
    CAPTURE(layer);
    CHECK(keyframes[layer] == 3);  // at 0, 3 and 6 s
    double bitrate = static_cast<double>(bytes[layer]) * 8 / 9;
    double nominal = source.config().layers[static_cast<std::size_t>(layer)].bitrate_bps;
    // Each keyframe adds 4 delta frames' worth over 3 s: +4/90.
    CHECK(bitrate == doctest::Approx(nominal * (1 + 4.0 / 90)).epsilon(0.05));
  }
}

TEST_CASE("a keyframe request is answered at once on that layer only") {
  Vp8Source source({}, 5);
  source.start(kStart, 0);
  poll(source, kStart);
  Timestamp now = kStart + 10ms;  // between two frames
  CHECK(*source.next_due() > now);
  source.request_keyframe(1);
  source.request_keyframe(7);  // no such layer: ignored
  REQUIRE(*source.next_due() <= now);
  auto packets = poll(source, now);
  REQUIRE_FALSE(packets.empty());
  for (const auto& p : packets) {
    CHECK(p.info.layer == 1);
    CHECK(p.info.keyframe);
    CHECK(p.info.rtp_timestamp == 900);  // 10 ms on the 90 kHz clock
  }
  CHECK(packets.back().info.marker);
  auto d = codecs::parse_vp8_descriptor(packets.front().payload);
  REQUIRE(d);
  auto info = codecs::parse_vp8_frame_info(
      *d, std::span<const std::uint8_t>(packets.front().payload).subspan(d->size));
  CHECK(info.height == 360);
  CHECK(send_time(packets.front()) == static_cast<std::uint64_t>(micros(now)));
  // The grid goes on: the next regular frame is a delta frame on every layer.
  auto next = poll(source, *source.next_due());
  for (const auto& p : next) CHECK_FALSE(p.info.keyframe);
  CHECK(source.keyframes(1) == 2);
  CHECK(source.keyframes(0) == 1);
}

TEST_CASE("a late poll sends one frame per layer, not a burst") {
  Vp8Source source({}, 9);
  source.start(kStart, 0);
  poll(source, kStart);
  auto packets = poll(source, kStart + 200ms);  // six frame intervals late
  int starts = 0;
  for (const auto& p : packets) starts += p.info.start_of_frame ? 1 : 0;
  CHECK(starts == 3);
  CHECK(packets.front().info.rtp_timestamp == 6 * 3000);
  CHECK(*source.next_due() == kStart + 7 * source.frame_interval());
  CHECK(source.frames_skipped() == 5);  // grid points 1-5
}
