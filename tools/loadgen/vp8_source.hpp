// A VP8 simulcast sender's packetizer (RFC 7741): three layers captured together at a fixed
// frame rate (shared RTP timestamps on the 90 kHz clock), realistic frame sizes from each layer's
// bit rate with keyframes keyframe_factor times a delta frame every keyframe_interval, split into
// packets of at most max_payload bytes with the marker on the last packet of a frame.
//
// Each RTP payload is:
//   the payload descriptor (RFC 7741 §4.2): X=1, S on a frame's first packet, PID 0; I with a
//     15-bit PictureID, L with TL0PICIDX, T with TID 0 and Y (every frame is a base-layer frame,
//     so PictureID and TL0PICIDX both advance by one per frame);
//   on a frame's first packet, the VP8 payload header (RFC 7741 §4.3, RFC 6386 §9.1): the 3-byte
//     frame tag (inverse keyframe bit, version 0, show_frame, first partition size) and, on
//     keyframes, the start code 9d 01 2a and the layer's width and height (14 bits each, scale 0);
//   8 bytes: the send time, microseconds of the steady clock, big-endian (receivers measure the
//     bridge's added latency with it);
//   filler up to the packet's share of the frame.
//
// A keyframe request (PLI/FIR for a layer's SSRC) is answered at once: the next poll() emits a
// keyframe on that layer, off the frame grid, with the RTP timestamp of that moment.
//
// Sans-IO: time in, payloads out through a callback (views into one internal buffer, valid
// during the call). One owner (a synthetic endpoint); not thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "bridge/core/time.hpp"

namespace jvb::loadgen {

struct Vp8Layer {
  std::uint16_t width = 0;
  std::uint16_t height = 0;
  std::uint32_t bitrate_bps = 0;
};

struct Vp8SourceConfig {
  std::array<Vp8Layer, 3> layers{{{320, 180, 150'000}, {640, 360, 500'000}, {1280, 720, 1'500'000}}};
  int fps = 30;
  Duration keyframe_interval = std::chrono::seconds(3);
  double keyframe_factor = 5.0;
  std::size_t max_payload = 1200;  // RTP payload bytes per packet, descriptor included
};

struct Vp8PacketInfo {
  int layer = 0;
  std::uint32_t rtp_timestamp = 0;
  std::uint16_t picture_id = 0;
  bool keyframe = false;
  bool start_of_frame = false;
  bool marker = false;  // the last packet of the frame
};

// The payload descriptor this packetizer writes: X, I (M=1, 15 bits), L, T/K.
inline constexpr std::size_t kVp8DescriptorSize = 6;
inline constexpr std::size_t kVp8FrameTagSize = 3;
inline constexpr std::size_t kVp8KeyframeHeaderSize = 10;  // frame tag + start code + dimensions
inline constexpr std::size_t kSendTimeSize = 8;

class Vp8Source {
 public:
  using Emit = std::function<void(const Vp8PacketInfo&, std::span<const std::uint8_t> payload)>;

  Vp8Source(const Vp8SourceConfig& config, std::uint32_t seed);

  // The first frame (keyframes on every layer) is due at `now`.
  void start(Timestamp now, std::uint32_t rtp_timestamp);
  bool started() const { return started_; }
  void stop() { started_ = false; }

  std::optional<Timestamp> next_due() const;
  // Emits the frames due at `now`: one frame per layer on the frame grid (a late poll skips to
  // the newest grid point) and any requested keyframe.
  void poll(Timestamp now, const Emit& emit);
  // A keyframe request for `layer` (0-2); other values are ignored.
  void request_keyframe(int layer);

  const Vp8SourceConfig& config() const { return config_; }
  Duration frame_interval() const { return frame_interval_; }
  // The RTP timestamp a frame captured at `when` carries.
  std::uint32_t rtp_timestamp_at(Timestamp when) const;
  std::uint64_t frames(int layer) const { return layers_[static_cast<std::size_t>(layer)].frames; }
  std::uint64_t keyframes(int layer) const { return layers_[static_cast<std::size_t>(layer)].keyframes; }
  std::uint64_t requested_keyframes() const { return requested_keyframes_; }
  // Grid points (a frame on every layer) skipped because a poll came late.
  std::uint64_t frames_skipped() const { return frames_skipped_; }

 private:
  struct LayerState {
    std::uint16_t picture_id = 0;  // the next frame's
    std::uint8_t tl0_pic_idx = 0;
    bool keyframe_requested = false;
    std::optional<Timestamp> last_keyframe;
    std::uint64_t frames = 0;
    std::uint64_t keyframes = 0;
  };

  void emit_frame(int layer, Timestamp capture, std::uint32_t rtp_timestamp, Timestamp now, bool keyframe,
                  const Emit& emit);
  std::uint32_t random();

  Vp8SourceConfig config_;
  Duration frame_interval_;
  std::uint32_t state_;
  bool started_ = false;
  Timestamp start_{};
  std::uint32_t rtp_start_ = 0;
  std::uint64_t next_tick_ = 0;
  std::array<LayerState, 3> layers_{};
  std::uint64_t requested_keyframes_ = 0;
  std::uint64_t frames_skipped_ = 0;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace jvb::loadgen
