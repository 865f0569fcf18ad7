// See audio_source.hpp.
#include "tools/loadgen/audio_source.hpp"

#include <algorithm>

namespace jvb::loadgen {

AudioSource::AudioSource(const AudioSourceConfig& config, std::uint32_t seed)
    : config_(config), state_(seed | 1) {
  if (config_.frame_interval <= Duration::zero()) config_.frame_interval = std::chrono::milliseconds(20);
  if (config_.max_payload < config_.min_payload) config_.max_payload = config_.min_payload;
}

// xorshift32: deterministic per seed, so tests can pin behaviour.
std::uint32_t AudioSource::random() {
  state_ ^= state_ << 13;
  state_ ^= state_ >> 17;
  state_ ^= state_ << 5;
  return state_;
}

void AudioSource::start(Timestamp now, std::uint32_t rtp_timestamp) {
  started_ = true;
  start_ = now;
  rtp_start_ = rtp_timestamp;
  next_tick_ = 0;
}

bool AudioSource::sends_tick(std::uint64_t tick) const {
  if (config_.speaking || !config_.dtx) return true;
  auto every =
      static_cast<std::uint64_t>(std::max<Duration::rep>(1, config_.dtx_interval / config_.frame_interval));
  return tick % every == 0;
}

std::uint64_t AudioSource::next_sent_tick(std::uint64_t from) const {
  if (config_.speaking || !config_.dtx) return from;
  auto every =
      static_cast<std::uint64_t>(std::max<Duration::rep>(1, config_.dtx_interval / config_.frame_interval));
  return (from + every - 1) / every * every;
}

std::optional<Timestamp> AudioSource::next_due() const {
  if (!started_) return std::nullopt;
  return start_ + static_cast<Duration::rep>(next_sent_tick(next_tick_)) * config_.frame_interval;
}

std::optional<AudioFrame> AudioSource::poll(Timestamp now) {
  if (!started_ || now < start_) return std::nullopt;
  std::uint64_t tick = next_sent_tick(next_tick_);
  if (start_ + static_cast<Duration::rep>(tick) * config_.frame_interval > now) return std::nullopt;
  // The newest tick that is due and sent; everything between is skipped.
  auto elapsed = static_cast<std::uint64_t>((now - start_) / config_.frame_interval);
  std::uint64_t newest = elapsed;
  while (newest > tick && !sends_tick(newest)) --newest;
  // Frames that were due and never sent: the poll came late (an overloaded generator).
  if (newest > tick) {
    std::uint64_t every = config_.speaking || !config_.dtx
                              ? 1
                              : static_cast<std::uint64_t>(std::max<Duration::rep>(
                                    1, config_.dtx_interval / config_.frame_interval));
    frames_skipped_ += (newest - tick) / every;
  }
  tick = newest;
  next_tick_ = tick + 1;

  AudioFrame frame;
  frame.rtp_timestamp = rtp_start_ + static_cast<std::uint32_t>(tick * config_.samples_per_frame);
  frame.capture = start_ + static_cast<Duration::rep>(tick) * config_.frame_interval;
  frame.marker = frames_sent_ == 0;
  std::size_t span = config_.max_payload - config_.min_payload;
  if (config_.speaking) {
    // A level that drifts by a few dB per frame, inside the range of a close microphone.
    int step = static_cast<int>(random() % 7) - 3;
    level_ = static_cast<std::uint8_t>(std::clamp(static_cast<int>(level_) + step, 20, 40));
    frame.level = level_;
    frame.voice = true;
    frame.payload_size = config_.min_payload + span / 2 + random() % (span - span / 2 + 1);
  } else {
    frame.level = 127;
    frame.voice = false;
    frame.payload_size = config_.min_payload + random() % (span / 6 + 1);
  }
  ++frames_sent_;
  return frame;
}

}  // namespace jvb::loadgen
