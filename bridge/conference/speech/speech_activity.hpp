// Speech activity of one conference (JVB's ConferenceSpeechActivity): what the conference does with
// the dominant speaker decisions. It keeps
//  * the endpoints ordered by speech activity: the dominant speaker first, then earlier dominant
//    speakers by recency, then those who never were dominant in join order;
//  * the same order with endpoints that have video moved ahead of those without (the last-N
//    order the allocator works from; a change bumps order_version() so receivers re-allocate);
//  * the recent speakers list (speech-activity.recent-speakers-count entries, dominant first),
//    and the DominantSpeakerEndpointChangeEvent to broadcast when it, or silence, changes
//    (previousSpeakers newest first, at most count - 1, as JVB sends them).
// It owns the conference's DominantSpeakerIdentification and feeds it levels and timeouts.
//
// Sans-IO: the conference layer calls in with the time and pulls messages out. One instance per
// conference, used from that conference's thread only; nothing here calls back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "bridge/conference/speech/dominant_speaker.hpp"
#include "bridge/core/time.hpp"

namespace jvb::speech {

struct SpeechActivityConfig {
  // speech-activity.recent-speakers-count: dominant + previous speakers (values < 1 mean 1).
  int recent_speakers_count = 10;
  DominantSpeakerConfig dominant_speaker;
};

// The most recent dominant speakers, newest first. All promoted endpoints still present are kept,
// so that one leaving lets the next one back into the visible window in the right order.
class RecentSpeakers {
 public:
  explicit RecentSpeakers(std::size_t visible_count);

  // Moves (or adds) `id` to the front. True iff visible() changed.
  bool promote(SpeakerId id);
  // Forgets `id` (it left). True iff visible() changed.
  bool remove(SpeakerId id);

  // At most visible_count entries, newest first.
  std::span<const SpeakerId> visible() const;
  bool is_recent(SpeakerId id) const;
  std::size_t visible_count() const { return visible_count_; }

 private:
  std::size_t visible_count_;
  std::vector<SpeakerId> all_;
};

// DominantSpeakerEndpointChangeEvent content.
struct DominantSpeakerMessage {
  SpeakerId dominant = 0;
  std::vector<SpeakerId> previous;  // newest first, at most recent-speakers-count - 1
  bool silence = false;
  // The head is another endpoint than before, and not in silence: the cue for the preemptive
  // keyframe request (and what the dominant_speaker_changes counter counts).
  bool dominant_changed = false;
  bool operator==(const DominantSpeakerMessage&) const = default;
};

struct SpeechActivityCounters {
  std::uint64_t dominant_speaker_changes = 0;  // JVB's total_dominant_speaker_changes
  std::uint64_t broadcasts = 0;
  std::uint64_t levels_unknown_endpoint = 0;  // level for an endpoint not added: dropped
  std::uint64_t events_unknown_endpoint = 0;  // a decision for an endpoint that has left
};

class ConferenceSpeechActivity {
 public:
  explicit ConferenceSpeechActivity(SpeechActivityConfig config = {});

  // Membership. A new endpoint goes to the end of the speech order. Removing one takes it out of
  // every list and of the speaker identification, which may change the broadcast head.
  void add_endpoint(SpeakerId id, bool has_video = false);
  void remove_endpoint(SpeakerId id);
  void set_has_video(SpeakerId id, bool has_video);
  bool has_endpoint(SpeakerId id) const { return endpoints_.contains(id); }

  // An audio packet's RFC 6464 level (0 loudest .. 127 silence), for packets that pass silence
  // suppression and force-mute. May start the timer: re-read next_timeout() afterwards.
  void on_level(SpeakerId id, int rfc6464_level, Timestamp now);
  std::optional<Timestamp> next_timeout() const { return dsi_.next_timeout(); }
  // Runs the identification and applies its decisions.
  void handle_timeout(Timestamp now);

  // Applies one decision. handle_timeout() does this for the owned identification; public for
  // callers that run their own.
  void apply(const DominantSpeakerChange& change);

  // Messages to broadcast to every endpoint, oldest first.
  std::optional<DominantSpeakerMessage> poll_broadcast();
  // What to send an endpoint whose bridge channel just opened; nullopt while nobody has spoken.
  std::optional<DominantSpeakerMessage> current_message() const;

  // The head of the recent speakers list: stays the last dominant speaker through silence.
  std::optional<SpeakerId> dominant() const;
  bool in_silence() const { return in_silence_; }
  std::span<const SpeakerId> recent_speakers() const { return recent_.visible(); }
  std::span<const SpeakerId> endpoints_by_speech_activity() const { return by_speech_; }
  // Last-N order: with video first, each group in speech activity order.
  std::span<const SpeakerId> ordered_endpoints() const { return ordered_; }
  // Bumped each time ordered_endpoints() changes.
  std::uint64_t order_version() const { return order_version_; }
  // True once after ordered_endpoints() changed (the lead's "re-allocate" cue).
  bool take_order_changed();

  const SpeechActivityCounters& counters() const { return counters_; }
  const DominantSpeakerIdentification& identification() const { return dsi_; }

 private:
  void move_to_front(SpeakerId id);
  void update_order();
  void maybe_broadcast(bool changed, std::optional<SpeakerId> previous_head);
  DominantSpeakerMessage make_message() const;

  SpeechActivityConfig config_;
  DominantSpeakerIdentification dsi_;
  std::unordered_map<SpeakerId, bool> endpoints_;  // id -> has video
  std::vector<SpeakerId> by_speech_;
  std::vector<SpeakerId> ordered_;
  std::vector<SpeakerId> scratch_;
  RecentSpeakers recent_;
  bool in_silence_ = false;
  std::uint64_t order_version_ = 0;
  bool order_changed_ = false;
  std::deque<DominantSpeakerMessage> broadcasts_;
  SpeechActivityCounters counters_;
};

// The preemptive keyframe JVB requests of a new dominant speaker: on a real dominant change in a
// conference of more than two endpoints, ask the new speaker for a keyframe once the receivers'
// paths have caught up, if anyone has a camera source on stage; otherwise the request is counted as
// suppressed.
struct PreemptiveKeyframe {
  enum class Kind { kNone, kSuppressed, kRequest };
  Kind kind = Kind::kNone;
  Duration delay{};  // for kRequest: max RTT of the others - speaker's RTT + 10 ms, at least 0
};
PreemptiveKeyframe plan_preemptive_keyframe(std::size_t endpoint_count, bool camera_on_stage,
                                            Duration speaker_rtt, Duration max_other_rtt);

}  // namespace jvb::speech
