// Dominant speaker identification: Volfin & Cohen, "Dominant speaker identification for multipoint
// videoconferencing" (Computer Speech & Language, 2013), adapted as jitsi-utils'
// DominantSpeakerIdentification does to the RFC 6464 audio levels a browser puts in every audio
// packet instead of per-sub-band energies.
//
// Per speaker, the last 50 levels (as 127 - RFC level, so larger is louder) are kept. Each level
// above the speaker's adaptive noise floor becomes an "immediate" 0..12; blocks of 5 immediates
// become "mediums" (how many were loud), the 10 mediums one "long" (how many blocks were loud
// all through). Each time scale gets a speech activity score; every 300 ms a challenger replaces
// the dominant speaker when it beats it clearly on all three time scales (c1 > 3, c2 > 2,
// c3 > 0; the largest c2 among winners). Silence detection (optional) declares "nobody" once
// the dominant has shown no long-term activity for a timeout.
//
// The object is sans-IO: levels and deadlines come in with the time; changes go out through
// poll_event(). Its timer runs only while the conference is in use: 40 ms level-decay ticks and
// 300 ms decisions, stopping 15 s after the last level report and restarting with the next one.
// One instance per conference, called from that conference's thread only; it never calls out.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "bridge/core/time.hpp"

namespace jvb::speech {

// The conference layer's endpoint key (the transport's integer endpoint id).
using SpeakerId = std::uint64_t;

struct DominantSpeakerConfig {
  // videobridge.speech-activity.enable-silence-detection / silence-detection-timeout.
  bool enable_silence_detection = false;
  Duration silence_timeout = std::chrono::seconds(3);
};

// A change of the dominant speaker. `dominant` empty means silence (only with silence detection).
struct DominantSpeakerChange {
  std::optional<SpeakerId> dominant;
  bool silence = false;
  Timestamp at{};
  bool operator==(const DominantSpeakerChange&) const = default;
};

struct DominantSpeakerCounters {
  std::uint64_t levels = 0;            // reports accepted into a history
  std::uint64_t late_levels = 0;       // older than the speaker's latest report: ignored
  std::uint64_t bad_levels = 0;        // outside 0..127: dropped
  std::uint64_t decisions = 0;         // 300 ms decision rounds run
  std::uint64_t changes = 0;           // events queued, silence included
  std::uint64_t silence_events = 0;    // of which "nobody speaks"
  std::uint64_t expired_speakers = 0;  // removed after an hour without a report
  std::uint64_t decision_stops = 0;    // decision task stopped after 15 s without reports
};

class DominantSpeakerIdentification {
 public:
  // The constants of jitsi-utils' DominantSpeakerIdentification.
  static constexpr int kHistoryLength = 50;       // levels kept (1 s at 20 ms)
  static constexpr int kMaxLevel = 127;           // input is 127 - RFC 6464 level
  static constexpr int kSubbands = 13;            // n for the immediate score
  static constexpr int kSubbandWidth = 10;        // (127 + 13 - 1) / 13
  static constexpr int kImmediatesPerMedium = 5;  // n for the medium score
  static constexpr int kMediums = 10;             // n for the long score
  static constexpr int kMediumThreshold = 7;      // an immediate above this is "loud"
  static constexpr int kLongThreshold = 4;        // a medium above this is a loud block
  static constexpr int kMinLevelWindow = 750;     // 15 s of 20 ms packets
  static constexpr double kMinScore = 1e-10;      // floor: scores are divided and logged
  static constexpr double kC1 = 3.0;
  static constexpr double kC2 = 2.0;
  static constexpr double kC3 = 0.0;
  static constexpr Duration kLevelIdleTimeout = std::chrono::milliseconds(40);
  static constexpr Duration kDecisionInterval = std::chrono::milliseconds(300);
  static constexpr Duration kDecisionIdleTimeout = std::chrono::seconds(15);
  static constexpr Duration kSpeakerIdleTimeout = std::chrono::hours(1);

  struct Scores {
    double immediate = kMinScore;
    double medium = kMinScore;
    double long_term = kMinScore;
  };

  explicit DominantSpeakerIdentification(DominantSpeakerConfig config = {});

  // Speakers are created by their first level report; add_speaker only makes one known earlier
  // (it then takes part in decisions as a silent speaker). remove_speaker forgets one (an
  // endpoint left); removing the dominant clears it without an event, and the next decision
  // elects another one.
  void add_speaker(SpeakerId id, Timestamp now);
  void remove_speaker(SpeakerId id);

  // One audio packet's RFC 6464 level (0 loudest .. 127 silence) for `id`'s endpoint. Reports
  // older than the speaker's latest are ignored (late packets). Restarts the decision task, so
  // callers re-read next_timeout() afterwards.
  void on_level(SpeakerId id, int rfc6464_level, Timestamp now);

  // When handle_timeout() wants to run next; nullopt while the decision task is stopped.
  std::optional<Timestamp> next_timeout() const;
  void handle_timeout(Timestamp now);

  // Changes in the order they were decided.
  std::optional<DominantSpeakerChange> poll_event();

  std::optional<SpeakerId> dominant() const { return dominant_; }
  bool in_silence() const { return in_silence_; }
  std::size_t speaker_count() const { return speakers_.size(); }
  bool has_speaker(SpeakerId id) const { return index_.contains(id); }
  // The scores as of the last decision (for debugging and tests).
  std::optional<Scores> scores(SpeakerId id) const;
  const DominantSpeakerCounters& counters() const { return counters_; }

  // The score of `v` active units out of `n` with Poisson weight `lambda` (p = 0.5), floored at
  // kMinScore.
  static double speech_activity_score(int v, int n, double lambda);

 private:
  struct Speaker {
    SpeakerId id = 0;
    std::array<std::uint8_t, kHistoryLength> levels{};  // newest first
    std::array<std::uint8_t, kHistoryLength> immediates{};
    std::array<std::uint8_t, kMediums> mediums{};
    std::uint8_t long_count = 0;
    std::uint8_t min_level = 0;  // 0: not known yet
    std::uint8_t next_min_level = 0;
    int next_min_level_window = 0;
    Timestamp last_level{};  // of the latest real report (decay pushes keep it)
    Timestamp last_non_silence{};
    Scores scores;
  };

  Speaker& get_or_create(SpeakerId id, Timestamp now);
  static void push_level(Speaker& s, std::uint8_t level);
  static void update_min_level(Speaker& s, std::uint8_t level);
  // Recomputes the time-scale values and, where their inputs changed, the scores.
  static void evaluate(Speaker& s, Timestamp now);
  void maybe_start(Timestamp now);
  void timeout_idle_levels(Timestamp now);
  void make_decision(Timestamp now);
  bool silent_for_too_long(const Speaker& s, Timestamp now) const;
  void erase_at(std::size_t index);

  DominantSpeakerConfig config_;
  std::vector<Speaker> speakers_;                     // in order of arrival
  std::unordered_map<SpeakerId, std::size_t> index_;  // id -> position in speakers_
  std::optional<SpeakerId> dominant_;
  bool in_silence_ = false;

  bool running_ = false;
  Timestamp next_tick_{};
  Timestamp next_decision_{};
  std::optional<Timestamp> last_decision_;
  std::optional<Timestamp> last_report_;  // latest level report of any speaker

  std::deque<DominantSpeakerChange> events_;
  DominantSpeakerCounters counters_;
};

}  // namespace jvb::speech
