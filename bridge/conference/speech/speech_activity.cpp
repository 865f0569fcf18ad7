// Speech activity of one conference (JVB's ConferenceSpeechActivity). See the header.
#include "bridge/conference/speech/speech_activity.hpp"

#include <algorithm>
#include <chrono>

namespace jvb::speech {

RecentSpeakers::RecentSpeakers(std::size_t visible_count)
    : visible_count_(std::max<std::size_t>(1, visible_count)) {}

bool RecentSpeakers::promote(SpeakerId id) {
  auto it = std::find(all_.begin(), all_.end(), id);
  if (it == all_.begin() && it != all_.end()) return false;
  if (it != all_.end()) all_.erase(it);
  all_.insert(all_.begin(), id);
  return true;
}

bool RecentSpeakers::remove(SpeakerId id) {
  auto it = std::find(all_.begin(), all_.end(), id);
  if (it == all_.end()) return false;
  const auto index = static_cast<std::size_t>(it - all_.begin());
  all_.erase(it);
  return index < visible_count_;
}

std::span<const SpeakerId> RecentSpeakers::visible() const {
  return std::span<const SpeakerId>(all_.data(), std::min(all_.size(), visible_count_));
}

bool RecentSpeakers::is_recent(SpeakerId id) const {
  const auto v = visible();
  return std::find(v.begin(), v.end(), id) != v.end();
}

ConferenceSpeechActivity::ConferenceSpeechActivity(SpeechActivityConfig config)
    : config_(config),
      dsi_(config.dominant_speaker),
      recent_(static_cast<std::size_t>(std::max(1, config.recent_speakers_count))) {}

void ConferenceSpeechActivity::add_endpoint(SpeakerId id, bool has_video) {
  if (endpoints_.contains(id)) {
    set_has_video(id, has_video);
    return;
  }
  endpoints_.emplace(id, has_video);
  by_speech_.push_back(id);
  update_order();
}

void ConferenceSpeechActivity::remove_endpoint(SpeakerId id) {
  if (endpoints_.erase(id) == 0) return;
  by_speech_.erase(std::remove(by_speech_.begin(), by_speech_.end(), id), by_speech_.end());
  const auto previous_head = dominant();
  const bool recent_changed = recent_.remove(id);
  dsi_.remove_speaker(id);
  update_order();
  maybe_broadcast(recent_changed, previous_head);
}

void ConferenceSpeechActivity::set_has_video(SpeakerId id, bool has_video) {
  auto it = endpoints_.find(id);
  if (it == endpoints_.end() || it->second == has_video) return;
  it->second = has_video;
  update_order();
}

void ConferenceSpeechActivity::on_level(SpeakerId id, int rfc6464_level, Timestamp now) {
  if (!endpoints_.contains(id)) {
    ++counters_.levels_unknown_endpoint;
    return;
  }
  dsi_.on_level(id, rfc6464_level, now);
}

void ConferenceSpeechActivity::handle_timeout(Timestamp now) {
  dsi_.handle_timeout(now);
  while (auto change = dsi_.poll_event()) apply(*change);
}

void ConferenceSpeechActivity::apply(const DominantSpeakerChange& change) {
  if (!change.dominant) {
    if (in_silence_) return;
    in_silence_ = true;
    maybe_broadcast(true, dominant());
    return;
  }
  const SpeakerId id = *change.dominant;
  if (!endpoints_.contains(id)) {
    ++counters_.events_unknown_endpoint;
    return;
  }
  const bool was_silent = in_silence_;
  in_silence_ = false;
  const auto previous_head = dominant();
  move_to_front(id);
  const bool recent_changed = recent_.promote(id);
  update_order();
  maybe_broadcast(recent_changed || was_silent, previous_head);
}

void ConferenceSpeechActivity::move_to_front(SpeakerId id) {
  auto it = std::find(by_speech_.begin(), by_speech_.end(), id);
  if (it == by_speech_.end()) return;
  std::rotate(by_speech_.begin(), it, it + 1);
}

void ConferenceSpeechActivity::update_order() {
  scratch_.clear();
  for (const auto id : by_speech_) {
    if (endpoints_.at(id)) scratch_.push_back(id);
  }
  for (const auto id : by_speech_) {
    if (!endpoints_.at(id)) scratch_.push_back(id);
  }
  if (scratch_ == ordered_) return;
  ordered_.swap(scratch_);
  ++order_version_;
  order_changed_ = true;
}

bool ConferenceSpeechActivity::take_order_changed() {
  const bool changed = order_changed_;
  order_changed_ = false;
  return changed;
}

std::optional<SpeakerId> ConferenceSpeechActivity::dominant() const {
  const auto v = recent_.visible();
  if (v.empty()) return std::nullopt;
  return v.front();
}

DominantSpeakerMessage ConferenceSpeechActivity::make_message() const {
  const auto v = recent_.visible();
  DominantSpeakerMessage m;
  m.dominant = v.front();
  m.previous.assign(v.begin() + 1, v.end());
  m.silence = in_silence_;
  return m;
}

void ConferenceSpeechActivity::maybe_broadcast(bool changed, std::optional<SpeakerId> previous_head) {
  // Clients are told nothing until somebody has been dominant (as JVB does).
  if (!changed || recent_.visible().empty()) return;
  DominantSpeakerMessage m = make_message();
  m.dominant_changed = !in_silence_ && previous_head != m.dominant;
  if (m.dominant_changed) ++counters_.dominant_speaker_changes;
  ++counters_.broadcasts;
  broadcasts_.push_back(std::move(m));
}

std::optional<DominantSpeakerMessage> ConferenceSpeechActivity::poll_broadcast() {
  if (broadcasts_.empty()) return std::nullopt;
  auto m = std::move(broadcasts_.front());
  broadcasts_.pop_front();
  return m;
}

std::optional<DominantSpeakerMessage> ConferenceSpeechActivity::current_message() const {
  if (recent_.visible().empty()) return std::nullopt;
  return make_message();
}

PreemptiveKeyframe plan_preemptive_keyframe(std::size_t endpoint_count, bool camera_on_stage,
                                            Duration speaker_rtt, Duration max_other_rtt) {
  // With two endpoints the other one already receives the speaker's video continuously.
  if (endpoint_count <= 2) return {};
  if (!camera_on_stage) return {PreemptiveKeyframe::Kind::kSuppressed, Duration{}};
  // The delay is the slowest receiver's RTT less the speaker's own (as JVB computes it), plus a
  // 10 ms margin against the keyframe arriving before the receivers have switched.
  const Duration delay = max_other_rtt - speaker_rtt + std::chrono::milliseconds(10);
  return {PreemptiveKeyframe::Kind::kRequest, std::max(delay, Duration::zero())};
}

}  // namespace jvb::speech
