// The m-lines of one browser's session, kept stable across renegotiations: a MID, once given to
// a remote participant's audio or video, keeps naming that stream for as long as the participant
// stays; when it leaves, its m-lines turn inactive and are later reused for a newcomer's stream
// of the same kind (JSEP keeps m-line order fixed, so lines are never removed). The bridge
// channel's data line, once added, stays where it was added and is never reused.
//
// Pure bookkeeping, owned by the focus's per-browser state; single-threaded.
#pragma once

#include <cstddef>
#include <vector>

#include "tools/focus/sdp.hpp"

namespace jvb::focus {

class OfferLayout {
 public:
  // Starts with the browser's own audio ("0") and video ("1") lines.
  OfferLayout();

  // Makes the remote lines carry exactly `streams` (in their order for new lines). A line may be
  // reused only if it was already inactive in the previous layout, so one offer never moves a
  // MID from one participant straight to another.
  void update(const std::vector<RemoteStream>& streams);

  // Adds the data line (mid "data") after the lines there are now; once only. The focus adds it
  // before its first offer, so it follows the two local lines.
  void add_data_line();
  bool has_data_line() const;

  const std::vector<OfferLine>& lines() const { return lines_; }

 private:
  std::vector<OfferLine> lines_;
  std::size_t next_mid_ = 2;
};

}  // namespace jvb::focus
