// An Opus-shaped audio sender (RFC 7587 timing): one frame every 20 ms, RTP timestamps in 960
// steps of the 48 kHz clock, payloads of 60-120 bytes, and the RFC 6464 level each packet carries
// in its ssrc-audio-level extension: speakers loud (a level that wanders between 20 and 40
// -dBov, voice activity set), everyone else silence (127). With DTX a silent sender sends one
// frame every 400 ms only (Opus DTX keeps a comfort-noise update that often); its timestamps
// still advance with the clock, so the gap is a timestamp jump, never a sequence gap.
//
// Sans-IO: time in, the frames to send out. A late poll sends only the newest due frame, as a
// real sender whose capture thread stalled would: the skipped frames are never numbered.
// One owner (a synthetic endpoint); not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "bridge/core/time.hpp"

namespace jvb::loadgen {

struct AudioSourceConfig {
  bool speaking = false;
  bool dtx = false;
  Duration frame_interval = std::chrono::milliseconds(20);
  std::uint32_t samples_per_frame = 960;  // 20 ms at 48 kHz
  Duration dtx_interval = std::chrono::milliseconds(400);
  std::size_t min_payload = 60;
  std::size_t max_payload = 120;
};

struct AudioFrame {
  std::uint32_t rtp_timestamp = 0;
  std::uint8_t level = 127;  // -dBov (RFC 6464 §3)
  bool voice = false;
  bool marker = false;  // the first frame of the stream (the start of a talkspurt, RFC 3551 §4.1)
  std::size_t payload_size = 0;
  Timestamp capture{};  // the frame's place on the 20 ms grid
};

class AudioSource {
 public:
  AudioSource(const AudioSourceConfig& config, std::uint32_t seed);

  // The first frame is due at `now`, with RTP timestamp `rtp_timestamp`.
  void start(Timestamp now, std::uint32_t rtp_timestamp);
  bool started() const { return started_; }
  void stop() { started_ = false; }

  // When poll() next returns a frame; empty before start().
  std::optional<Timestamp> next_due() const;
  // The frame due at `now`, if any; frames that DTX suppresses are skipped without a wake-up.
  std::optional<AudioFrame> poll(Timestamp now);

  std::uint64_t frames_sent() const { return frames_sent_; }
  std::uint64_t frames_skipped() const { return frames_skipped_; }  // due, never sent: late polls

 private:
  bool sends_tick(std::uint64_t tick) const;
  std::uint64_t next_sent_tick(std::uint64_t from) const;
  std::uint32_t random();

  AudioSourceConfig config_;
  std::uint32_t state_;
  bool started_ = false;
  Timestamp start_{};
  std::uint32_t rtp_start_ = 0;
  std::uint64_t next_tick_ = 0;  // the next tick poll() may send
  std::uint64_t frames_sent_ = 0;
  std::uint64_t frames_skipped_ = 0;
  std::uint8_t level_ = 30;
};

}  // namespace jvb::loadgen
