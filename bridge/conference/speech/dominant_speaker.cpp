// Dominant speaker identification (jitsi-utils' DominantSpeakerIdentification). See the header.
#include "bridge/conference/speech/dominant_speaker.hpp"

#include <algorithm>
#include <cmath>

namespace jvb::speech {

namespace {

// ln C(n, v), from the product form; n is at most 13 here.
double log_binomial(int n, int v) {
  v = std::min(v, n - v);
  double c = 1.0;
  for (int i = 1; i <= v; ++i) c = c * static_cast<double>(n - v + i) / static_cast<double>(i);
  return std::log(c);
}

}  // namespace

double DominantSpeakerIdentification::speech_activity_score(int v, int n, double lambda) {
  constexpr double kP = 0.5;
  v = std::clamp(v, 0, n);
  const double score =
      log_binomial(n, v) + v * std::log(kP) + (n - v) * std::log(1.0 - kP) - std::log(lambda) + lambda * v;
  return std::max(score, kMinScore);
}

DominantSpeakerIdentification::DominantSpeakerIdentification(DominantSpeakerConfig config)
    : config_(config) {}

DominantSpeakerIdentification::Speaker& DominantSpeakerIdentification::get_or_create(SpeakerId id,
                                                                                     Timestamp now) {
  if (auto it = index_.find(id); it != index_.end()) return speakers_[it->second];
  Speaker s;
  s.id = id;
  s.last_level = now;
  // A newcomer counts as having spoken when it arrived, so silence detection gives it the full
  // timeout before declaring silence.
  s.last_non_silence = now;
  index_.emplace(id, speakers_.size());
  speakers_.push_back(s);
  maybe_start(now);
  return speakers_.back();
}

void DominantSpeakerIdentification::add_speaker(SpeakerId id, Timestamp now) { get_or_create(id, now); }

void DominantSpeakerIdentification::remove_speaker(SpeakerId id) {
  auto it = index_.find(id);
  if (it == index_.end()) return;
  erase_at(it->second);
  if (dominant_ == id) dominant_.reset();
}

void DominantSpeakerIdentification::erase_at(std::size_t index) {
  index_.erase(speakers_[index].id);
  speakers_.erase(speakers_.begin() + static_cast<std::ptrdiff_t>(index));
  for (std::size_t i = index; i < speakers_.size(); ++i) index_[speakers_[i].id] = i;
}

void DominantSpeakerIdentification::on_level(SpeakerId id, int rfc6464_level, Timestamp now) {
  if (rfc6464_level < 0 || rfc6464_level > kMaxLevel) {
    ++counters_.bad_levels;
    return;
  }
  Speaker& s = get_or_create(id, now);
  if (now < s.last_level) {
    ++counters_.late_levels;
    return;
  }
  s.last_level = now;
  push_level(s, static_cast<std::uint8_t>(kMaxLevel - rfc6464_level));
  ++counters_.levels;
  if (!last_report_ || now > *last_report_) last_report_ = now;
  maybe_start(now);
}

void DominantSpeakerIdentification::push_level(Speaker& s, std::uint8_t level) {
  std::copy_backward(s.levels.begin(), s.levels.end() - 1, s.levels.end());
  s.levels[0] = level;
  update_min_level(s, level);
}

// The noise floor: a lower level is taken at once, a higher one only after it has been the
// floor of a whole window, and then halfway (geometric mean) so that the floor rises slowly.
void DominantSpeakerIdentification::update_min_level(Speaker& s, std::uint8_t level) {
  if (level == 0) return;  // absolute silence (muted, decayed) says nothing about the floor
  if (s.min_level == 0 || level < s.min_level) {
    s.min_level = level;
    s.next_min_level = 0;
    s.next_min_level_window = 0;
    return;
  }
  if (s.next_min_level == 0) {
    s.next_min_level = level;
    s.next_min_level_window = 1;
    return;
  }
  s.next_min_level = std::min(s.next_min_level, level);
  if (++s.next_min_level_window < kMinLevelWindow) return;
  const double mean = std::sqrt(static_cast<double>(s.min_level) * static_cast<double>(s.next_min_level));
  s.min_level = static_cast<std::uint8_t>(std::clamp(mean, 0.0, static_cast<double>(kMaxLevel)));
  s.next_min_level = 0;
  s.next_min_level_window = 0;
}

void DominantSpeakerIdentification::evaluate(Speaker& s, Timestamp now) {
  // Levels under the speaker's own floor are its background noise: count them as silence so that
  // speakers in noisy and quiet rooms compete on equal terms.
  const int floor = s.min_level + kSubbandWidth;
  bool changed = false;
  for (int i = 0; i < kHistoryLength; ++i) {
    const int level = s.levels[i] < floor ? 0 : s.levels[i];
    const auto immediate = static_cast<std::uint8_t>(level / kSubbandWidth);
    if (s.immediates[i] != immediate) {
      s.immediates[i] = immediate;
      changed = true;
    }
  }
  // Mediums only depend on immediates and the long value only on mediums, so each stage is
  // recomputed only when the one before it changed.
  if (changed) {
    s.scores.immediate = speech_activity_score(s.immediates[0], kSubbands, 0.78);
    bool mediums_changed = false;
    for (int b = 0; b < kMediums; ++b) {
      std::uint8_t loud = 0;
      for (int i = 0; i < kImmediatesPerMedium; ++i) {
        if (s.immediates[b * kImmediatesPerMedium + i] > kMediumThreshold) ++loud;
      }
      if (s.mediums[b] != loud) {
        s.mediums[b] = loud;
        mediums_changed = true;
      }
    }
    if (mediums_changed) {
      s.scores.medium = speech_activity_score(s.mediums[0], kImmediatesPerMedium, 24.0);
      std::uint8_t loud_blocks = 0;
      for (const auto m : s.mediums) {
        if (m > kLongThreshold) ++loud_blocks;
      }
      if (loud_blocks != s.long_count) {
        s.long_count = loud_blocks;
        s.scores.long_term = speech_activity_score(s.long_count, kMediums, 47.0);
      }
    }
  }
  if (s.scores.long_term > kMinScore) s.last_non_silence = now;
}

void DominantSpeakerIdentification::maybe_start(Timestamp now) {
  if (running_ || speakers_.empty()) return;
  running_ = true;
  next_tick_ = now + kLevelIdleTimeout;
  next_decision_ = last_decision_ ? std::max(now, *last_decision_ + kDecisionInterval) : now;
}

std::optional<Timestamp> DominantSpeakerIdentification::next_timeout() const {
  if (!running_) return std::nullopt;
  return std::min(next_tick_, next_decision_);
}

void DominantSpeakerIdentification::handle_timeout(Timestamp now) {
  if (!running_) return;
  if (now >= next_tick_) {
    timeout_idle_levels(now);
    next_tick_ = now + kLevelIdleTimeout;
  }
  if (now >= next_decision_) {
    last_decision_ = now;
    make_decision(now);
    next_decision_ = now + kDecisionInterval;
    // Nobody has sent a level for a while: stop deciding until someone does.
    if (!last_report_ || now - *last_report_ >= kDecisionIdleTimeout) {
      running_ = false;
      ++counters_.decision_stops;
    }
  }
  if (speakers_.empty()) running_ = false;
}

// A speaker without a report for longer than a packet interval gets a silent level pushed, so a
// participant who stops sending altogether (muted, left without a BYE) fades out like one who
// sends silence.
void DominantSpeakerIdentification::timeout_idle_levels(Timestamp now) {
  for (std::size_t i = speakers_.size(); i-- > 0;) {
    Speaker& s = speakers_[i];
    const Duration idle = now - s.last_level;
    if (idle > kSpeakerIdleTimeout && dominant_ != s.id) {
      erase_at(i);
      ++counters_.expired_speakers;
    } else if (idle > kLevelIdleTimeout) {
      push_level(s, 0);
    }
  }
}

bool DominantSpeakerIdentification::silent_for_too_long(const Speaker& s, Timestamp now) const {
  return config_.enable_silence_detection && now - s.last_non_silence > config_.silence_timeout;
}

void DominantSpeakerIdentification::make_decision(Timestamp now) {
  ++counters_.decisions;
  if (speakers_.empty()) return;
  for (auto& s : speakers_) evaluate(s, now);

  std::optional<SpeakerId> next;
  if (speakers_.size() == 1) {
    const Speaker& only = speakers_.front();
    if (!silent_for_too_long(only, now)) next = only.id;
  } else {
    const Speaker* reference = nullptr;
    if (dominant_) {
      // The dominant is never expired and removing it clears dominant_, so it is always found.
      if (auto it = index_.find(*dominant_); it != index_.end()) reference = &speakers_[it->second];
    }
    // With no dominant speaker the first one is nominated and has to be beaten like any other;
    // during silence the challengers compete against the score floor instead.
    if (!reference && !in_silence_) reference = &speakers_.front();
    if (reference) next = reference->id;

    const Scores floor_scores;
    const Scores& against = reference ? reference->scores : floor_scores;
    double best_c2 = kC2;
    const Speaker* winner = nullptr;
    for (const auto& s : speakers_) {
      if (&s == reference) continue;
      const double c1 = std::log(s.scores.immediate / against.immediate);
      const double c2 = std::log(s.scores.medium / against.medium);
      const double c3 = std::log(s.scores.long_term / against.long_term);
      if (c1 > kC1 && c2 > kC2 && c3 > kC3 && c2 > best_c2) {
        best_c2 = c2;
        winner = &s;
      }
    }
    if (winner) {
      next = winner->id;
    } else if (reference && silent_for_too_long(*reference, now)) {
      next.reset();
    }
  }

  const bool silence = !next.has_value();
  if (silence) {
    // Without silence detection nobody is ever "elected" as silence; with it, only once.
    if (!config_.enable_silence_detection || in_silence_) return;
  } else if (next == dominant_) {
    return;
  }
  dominant_ = next;
  in_silence_ = silence;
  events_.push_back(DominantSpeakerChange{next, silence, now});
  ++counters_.changes;
  if (silence) ++counters_.silence_events;
}

std::optional<DominantSpeakerChange> DominantSpeakerIdentification::poll_event() {
  if (events_.empty()) return std::nullopt;
  auto e = events_.front();
  events_.pop_front();
  return e;
}

std::optional<DominantSpeakerIdentification::Scores> DominantSpeakerIdentification::scores(
    SpeakerId id) const {
  auto it = index_.find(id);
  if (it == index_.end()) return std::nullopt;
  return speakers_[it->second].scores;
}

}  // namespace jvb::speech
