// See vp8_source.hpp.
#include "tools/loadgen/vp8_source.hpp"

#include <algorithm>

#include "bridge/core/byte_writer.hpp"

namespace jvb::loadgen {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

constexpr std::uint16_t kPictureIdMask = 0x7FFF;
constexpr std::size_t kMinFrameSize = kVp8KeyframeHeaderSize + kSendTimeSize;

}  // namespace

Vp8Source::Vp8Source(const Vp8SourceConfig& config, std::uint32_t seed)
    : config_(config),
      frame_interval_(duration_cast<Duration>(std::chrono::seconds(1)) / std::max(1, config.fps)),
      state_(seed | 1) {
  config_.max_payload = std::max(config_.max_payload, kVp8DescriptorSize + kMinFrameSize);
  buffer_.resize(config_.max_payload);
  for (auto& layer : layers_) {
    layer.picture_id = static_cast<std::uint16_t>(random() & kPictureIdMask);
    layer.tl0_pic_idx = static_cast<std::uint8_t>(random());
  }
}

std::uint32_t Vp8Source::random() {
  state_ ^= state_ << 13;
  state_ ^= state_ >> 17;
  state_ ^= state_ << 5;
  return state_;
}

void Vp8Source::start(Timestamp now, std::uint32_t rtp_timestamp) {
  started_ = true;
  start_ = now;
  rtp_start_ = rtp_timestamp;
  next_tick_ = 0;
}

std::uint32_t Vp8Source::rtp_timestamp_at(Timestamp when) const {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when - start_).count();
  return rtp_start_ + static_cast<std::uint32_t>(ns * 9 / 100'000);  // 90 kHz
}

std::optional<Timestamp> Vp8Source::next_due() const {
  if (!started_) return std::nullopt;
  for (const auto& layer : layers_)
    if (layer.keyframe_requested) return start_;  // at once
  return start_ + static_cast<Duration::rep>(next_tick_) * frame_interval_;
}

void Vp8Source::request_keyframe(int layer) {
  if (layer < 0 || layer >= static_cast<int>(layers_.size())) return;
  ++requested_keyframes_;
  layers_[static_cast<std::size_t>(layer)].keyframe_requested = true;
}

void Vp8Source::poll(Timestamp now, const Emit& emit) {
  if (!started_ || now < start_) return;
  Timestamp grid = start_ + static_cast<Duration::rep>(next_tick_) * frame_interval_;
  bool on_grid = grid <= now;
  if (on_grid) {
    auto newest = static_cast<std::uint64_t>((now - start_) / frame_interval_);
    frames_skipped_ += newest - next_tick_;  // grid points a late poll jumped over
    next_tick_ = newest + 1;
    grid = start_ + static_cast<Duration::rep>(newest) * frame_interval_;
  }
  // Grid frames step the RTP clock by whole frames (3000 at 30 fps), without rounding drift.
  std::uint32_t grid_timestamp =
      rtp_start_ + static_cast<std::uint32_t>(
                       (next_tick_ - 1) * (90'000 / static_cast<std::uint64_t>(std::max(1, config_.fps))));
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    LayerState& layer = layers_[l];
    bool periodic = !layer.last_keyframe || grid - *layer.last_keyframe >= config_.keyframe_interval;
    if (on_grid) {
      emit_frame(static_cast<int>(l), grid, grid_timestamp, now, layer.keyframe_requested || periodic, emit);
    } else if (layer.keyframe_requested) {
      emit_frame(static_cast<int>(l), now, rtp_timestamp_at(now), now, true, emit);
    }
  }
}

void Vp8Source::emit_frame(int layer_index, Timestamp capture, std::uint32_t rtp_timestamp, Timestamp now,
                           bool keyframe, const Emit& emit) {
  LayerState& layer = layers_[static_cast<std::size_t>(layer_index)];
  const Vp8Layer& shape = config_.layers[static_cast<std::size_t>(layer_index)];
  // A delta frame carries bitrate / fps, +-10% so packet counts vary from frame to frame.
  double nominal = static_cast<double>(shape.bitrate_bps) / 8.0 / std::max(1, config_.fps);
  double variation = 0.9 + static_cast<double>(random() % 2001) / 10000.0;
  double size = keyframe ? nominal * config_.keyframe_factor : nominal * variation;
  std::size_t frame_size = std::max(kMinFrameSize, static_cast<std::size_t>(size));

  // Equal shares, so the last packet is not a runt: n packets of at most max_payload each.
  std::size_t room = config_.max_payload - kVp8DescriptorSize;
  std::size_t packets = (frame_size + room - 1) / room;
  // Each packet also needs room for its send time (the first one for the frame header too).
  while (frame_size < packets * kSendTimeSize + kVp8KeyframeHeaderSize) frame_size += kSendTimeSize;
  packets = (frame_size + room - 1) / room;

  Vp8PacketInfo info;
  info.layer = layer_index;
  info.rtp_timestamp = rtp_timestamp;
  info.picture_id = layer.picture_id;
  info.keyframe = keyframe;
  auto send_time = static_cast<std::uint64_t>(duration_cast<microseconds>(now.time_since_epoch()).count());
  for (std::size_t i = 0; i < packets; ++i) {
    std::size_t share = frame_size / packets + (i < frame_size % packets ? 1 : 0);
    ByteWriter w(std::span<std::uint8_t>(buffer_.data(), buffer_.size()));
    bool first = i == 0;
    w.u8(static_cast<std::uint8_t>(0x80 | (first ? 0x10 : 0)));    // X, S; N=0, PID=0
    w.u8(0xE0);                                                    // I, L, T
    w.u16(static_cast<std::uint16_t>(0x8000 | layer.picture_id));  // M=1: 15-bit PictureID
    w.u8(layer.tl0_pic_idx);
    w.u8(0x20);  // TID 0, Y=1, KEYIDX 0
    std::size_t header = 0;
    if (first) {
      // Frame tag, little-endian (RFC 6386 §9.1): P (inverse keyframe), version 0, show_frame,
      // first partition size (19 bits); a plausible tenth of the frame.
      std::uint32_t first_partition =
          static_cast<std::uint32_t>(std::min<std::size_t>(frame_size / 10, 0x7FFFF));
      std::uint32_t tag = (keyframe ? 0u : 1u) | (1u << 4) | (first_partition << 5);
      w.u8(static_cast<std::uint8_t>(tag));
      w.u8(static_cast<std::uint8_t>(tag >> 8));
      w.u8(static_cast<std::uint8_t>(tag >> 16));
      header = kVp8FrameTagSize;
      if (keyframe) {
        w.u8(0x9D);
        w.u8(0x01);
        w.u8(0x2A);
        w.u8(static_cast<std::uint8_t>(shape.width));
        w.u8(static_cast<std::uint8_t>((shape.width >> 8) & 0x3F));
        w.u8(static_cast<std::uint8_t>(shape.height));
        w.u8(static_cast<std::uint8_t>((shape.height >> 8) & 0x3F));
        header = kVp8KeyframeHeaderSize;
      }
    }
    w.u64(send_time);
    std::size_t fill = share > header + kSendTimeSize ? share - header - kSendTimeSize : 0;
    // A recognisable filler byte per layer, so a capture tells layers apart.
    std::fill_n(buffer_.data() + w.offset(), fill, static_cast<std::uint8_t>(0xA0 + layer_index));
    std::size_t length = w.offset() + fill;
    info.start_of_frame = first;
    info.marker = i + 1 == packets;
    emit(info, std::span<const std::uint8_t>(buffer_.data(), length));
  }
  layer.picture_id = static_cast<std::uint16_t>((layer.picture_id + 1) & kPictureIdMask);
  ++layer.tl0_pic_idx;
  ++layer.frames;
  if (keyframe) {
    ++layer.keyframes;
    layer.last_keyframe = capture;
    layer.keyframe_requested = false;
  }
}

}  // namespace jvb::loadgen
