// See colibri_request_queue.hpp.
#include "tools/focus/colibri_request_queue.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace jvb::focus {

ColibriRequestQueue::ColibriRequestQueue(std::string brewery_jid, std::chrono::milliseconds timeout)
    : brewery_jid_(std::move(brewery_jid)), timeout_(timeout) {}

ColibriFailure ColibriRequestQueue::failure(std::string text) {
  return ColibriFailure{std::move(text), "", signaling::Colibri2ErrorReason::kNone};
}

std::string ColibriRequestQueue::bridge_of(const std::string& meeting_id) const {
  auto it = conferences_.find(meeting_id);
  return it == conferences_.end() ? std::string() : it->second.bridge;
}

void ColibriRequestQueue::modify(const std::string& meeting_id, signaling::ConferenceModify request,
                                 Callback done, Clock::time_point now) {
  Conference& conference = conferences_[meeting_id];
  conference.queue.push_back({next_serial_++, std::move(request), std::move(done), now + timeout_});
  pump(meeting_id);
}

BreweryChange ColibriRequestQueue::on_bridge_stats(const std::string& occupant,
                                                   const BridgeStatsUpdate& stats) {
  return brewery_.on_stats(occupant, stats);
}

BreweryChange ColibriRequestQueue::on_bridge_unavailable(const std::string& occupant) {
  BreweryChange change = brewery_.on_unavailable(occupant);
  if (change != BreweryChange::kLeft) return change;
  std::string gone = normalize_occupant_jid(occupant);
  std::vector<std::string> affected;
  for (const auto& [meeting_id, conference] : conferences_)
    if (conference.in_flight && conference.bridge == gone) affected.push_back(meeting_id);
  // Prosody does not answer for an occupant that left; without this the requests would wait
  // for their timeout.
  for (const auto& meeting_id : affected)
    complete_front(meeting_id, unexpected(failure(fmt::format("bridge {} left the brewery", gone))));
  pump_all();
  return change;
}

void ColibriRequestQueue::set_ready(bool ready) {
  if (ready == ready_) return;
  ready_ = ready;
  if (ready) {
    pump_all();
    return;
  }
  // Out of the room: the bridges are relearned from the presences after the re-join (as Jicofo
  // does), and answers to what was sent on the old stream cannot arrive.
  brewery_.clear();
  std::vector<std::string> affected;
  for (const auto& [meeting_id, conference] : conferences_)
    if (conference.in_flight) affected.push_back(meeting_id);
  for (const auto& meeting_id : affected) {
    complete_front(meeting_id,
                   unexpected(failure("the XMPP connection was lost before the bridge answered")));
    forget_if_idle(meeting_id);
  }
}

void ColibriRequestQueue::on_answer(std::uint64_t serial, ColibriResult result) {
  auto it = in_flight_.find(serial);
  if (it == in_flight_.end()) return;  // timed out or failed already; the answer is late
  std::string meeting_id = it->second;
  complete_front(meeting_id, std::move(result));
  pump(meeting_id);
}

void ColibriRequestQueue::on_timer(Clock::time_point now) {
  std::vector<std::string> touched;
  for (auto& [meeting_id, conference] : conferences_) {
    auto& queue = conference.queue;
    for (std::size_t i = 0; i < queue.size();) {
      if (queue[i].deadline > now) {
        ++i;
        continue;
      }
      touched.push_back(meeting_id);
      auto seconds = std::chrono::duration<double>(timeout_).count();
      if (i == 0 && conference.in_flight) {
        complete_front(meeting_id,
                       unexpected(failure(fmt::format("timeout: bridge {} did not answer within {:g} s",
                                                      conference.bridge, seconds))));
        continue;  // complete_front popped it; index 0 is the next one
      }
      std::string why =
          ready_ ? fmt::format("timeout: still queued behind earlier requests after {:g} s", seconds)
                 : fmt::format(
                       "timeout: the focus was not in the brewery {} for {:g} s (XMPP "
                       "connection down or the join unanswered)",
                       brewery_jid_, seconds);
      completions_.push_back({std::move(queue[i].done), unexpected(failure(std::move(why)))});
      queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  for (const auto& meeting_id : touched) {
    pump(meeting_id);
    forget_if_idle(meeting_id);
  }
}

std::optional<ColibriRequestQueue::Clock::time_point> ColibriRequestQueue::next_deadline() const {
  std::optional<Clock::time_point> earliest;
  for (const auto& [meeting_id, conference] : conferences_)
    for (const auto& request : conference.queue)
      if (!earliest || request.deadline < *earliest) earliest = request.deadline;
  return earliest;
}

void ColibriRequestQueue::pump_all() {
  std::vector<std::string> ids;
  for (const auto& [meeting_id, conference] : conferences_) ids.push_back(meeting_id);
  for (const auto& meeting_id : ids) pump(meeting_id);
}

void ColibriRequestQueue::pump(const std::string& meeting_id) {
  auto it = conferences_.find(meeting_id);
  if (it == conferences_.end()) return;
  Conference& conference = it->second;
  while (ready_ && !conference.in_flight && !conference.queue.empty()) {
    Request& request = conference.queue.front();
    if (request.body.create) {
      const BridgeInfo* bridge = brewery_.select();
      if (bridge == nullptr) {
        std::string why = brewery_.size() == 0
                              ? fmt::format(
                                    "no bridge in the brewery {}: is a bridge running and connected "
                                    "to the XMPP server?",
                                    brewery_jid_)
                              : fmt::format(
                                    "no bridge in the brewery {} takes new conferences (all {} are "
                                    "shutting down)",
                                    brewery_jid_, brewery_.size());
        complete_front(meeting_id, unexpected(failure(std::move(why))));
        continue;
      }
      conference.bridge = bridge->occupant;
    } else if (conference.bridge.empty()) {
      complete_front(
          meeting_id,
          unexpected(failure("the conference has no bridge (its create failed or was never sent)")));
      continue;
    } else if (brewery_.find(conference.bridge) == nullptr) {
      complete_front(meeting_id,
                     unexpected(failure(fmt::format("bridge {} left the brewery", conference.bridge))));
      continue;
    }
    conference.in_flight = true;
    in_flight_[request.serial] = meeting_id;
    outgoing_.push_back({request.serial, conference.bridge, request.body});
  }
  forget_if_idle(meeting_id);
}

void ColibriRequestQueue::complete_front(const std::string& meeting_id, ColibriResult result) {
  auto it = conferences_.find(meeting_id);
  if (it == conferences_.end() || it->second.queue.empty()) return;
  Conference& conference = it->second;
  Request request = std::move(conference.queue.front());
  conference.queue.pop_front();
  if (conference.in_flight) {
    in_flight_.erase(request.serial);
    conference.in_flight = false;
  }
  // After an expire the meeting id may come back as a new conference, possibly elsewhere; a
  // failed create leaves nothing on the bridge to stay with.
  if (request.body.expire || (request.body.create && !result.has_value())) conference.bridge.clear();
  completions_.push_back({std::move(request.done), std::move(result)});
}

void ColibriRequestQueue::forget_if_idle(const std::string& meeting_id) {
  auto it = conferences_.find(meeting_id);
  if (it != conferences_.end() && it->second.queue.empty() && it->second.bridge.empty())
    conferences_.erase(it);
}

}  // namespace jvb::focus
