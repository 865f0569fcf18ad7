// The request side of Colibri2 over XMPP for the focus, without any I/O: which bridge a
// conference is on, the per-conference order of requests, and when a request gives up. The XMPP
// shell (xmpp_colibri_client.hpp) feeds it presences, answers, connection changes and the time,
// then sends what take_outgoing() returns and runs what take_completions() returns.
//
// Rules (after Jicofo's BridgeSelector, Colibri2Session and its 15 s IQ reply timeout):
//   - a create picks a bridge with Brewery::select() and pins the conference to that occupant;
//     every later request of the conference goes there; an expire (answered or not) or a failed
//     create unpins it;
//   - one request per conference is in flight; the next one is sent when it is answered, so the
//     bridge applies them in order even though a timeout lets the queue move on;
//   - nothing is sent while the focus is not in the brewery (stream down, join not finished);
//     requests wait, each for at most `timeout` after modify();
//   - a request whose bridge has left the brewery fails, as do the ones in flight when the
//     stream is lost (their answers can no longer arrive);
//   - no bridge known at create time fails the request at once with a text the page can show.
//
// Control thread only. Time is passed in; completions are collected, never run from inside a
// call, so a completion may call modify() again.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tools/focus/brewery.hpp"
#include "tools/focus/colibri_client.hpp"

namespace jvb::focus {

class ColibriRequestQueue {
 public:
  using Clock = std::chrono::steady_clock;
  using Callback = ColibriClient::Callback;

  // An IQ to send: `request` to the occupant JID `bridge`; its answer comes back through
  // on_answer(serial, ...).
  struct Outgoing {
    std::uint64_t serial = 0;
    std::string bridge;
    signaling::ConferenceModify request;
  };
  struct Completion {
    Callback done;
    ColibriResult result;
  };

  // `brewery_jid` only names the room in failure texts.
  ColibriRequestQueue(std::string brewery_jid, std::chrono::milliseconds timeout);

  void modify(const std::string& meeting_id, signaling::ConferenceModify request, Callback done,
              Clock::time_point now);

  // Brewery presences. A bridge leaving fails the requests in flight to it.
  BreweryChange on_bridge_stats(const std::string& occupant, const BridgeStatsUpdate& stats);
  BreweryChange on_bridge_unavailable(const std::string& occupant);
  // True once the join of the brewery is complete (the occupant list has arrived); false when
  // the stream is lost, which also forgets every bridge.
  void set_ready(bool ready);

  void on_answer(std::uint64_t serial, ColibriResult result);
  void on_timer(Clock::time_point now);
  // The earliest moment on_timer() has work to do; nullopt when nothing waits.
  std::optional<Clock::time_point> next_deadline() const;

  std::vector<Outgoing> take_outgoing() { return std::exchange(outgoing_, {}); }
  std::vector<Completion> take_completions() { return std::exchange(completions_, {}); }

  const Brewery& brewery() const { return brewery_; }
  bool ready() const { return ready_; }
  // The bridge a conference is pinned to; empty when none.
  std::string bridge_of(const std::string& meeting_id) const;

 private:
  struct Request {
    std::uint64_t serial = 0;
    signaling::ConferenceModify body;
    Callback done;
    Clock::time_point deadline;
  };
  struct Conference {
    std::string bridge;         // pinned occupant JID; empty before the create is sent
    std::deque<Request> queue;  // front is in flight when `in_flight`
    bool in_flight = false;
  };

  void pump(const std::string& meeting_id);
  void pump_all();
  // Answers the front request of `meeting_id` and keeps the pin up to date.
  void complete_front(const std::string& meeting_id, ColibriResult result);
  void forget_if_idle(const std::string& meeting_id);
  static ColibriFailure failure(std::string text);

  std::string brewery_jid_;
  std::chrono::milliseconds timeout_;
  Brewery brewery_;
  bool ready_ = false;
  std::uint64_t next_serial_ = 1;
  std::map<std::string, Conference> conferences_;   // by meeting id
  std::map<std::uint64_t, std::string> in_flight_;  // serial -> meeting id
  std::vector<Outgoing> outgoing_;
  std::vector<Completion> completions_;
};

}  // namespace jvb::focus
