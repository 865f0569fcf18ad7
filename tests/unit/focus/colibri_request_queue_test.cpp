// Tests of tools/focus/colibri_request_queue.hpp on a fake clock: bridge choice and pinning,
// one request in flight per conference, waiting while out of the brewery, timeouts, and the
// failures when a bridge leaves or the stream is lost.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tools/focus/colibri_request_queue.hpp"

namespace jvb::focus {
namespace {

using namespace std::chrono_literals;
using Clock = ColibriRequestQueue::Clock;

constexpr const char* kBrewery = "jvbbrewery@internal.auth.test";

BridgeStatsUpdate idle_bridge(double stress = 0.0) {
  BridgeStatsUpdate update;
  update.stress_level = stress;
  update.drain = false;
  return update;
}

signaling::ConferenceModify create(const std::string& meeting_id) {
  signaling::ConferenceModify request;
  request.meeting_id = signaling::MeetingId(meeting_id);
  request.create = true;
  return request;
}

signaling::ConferenceModify update(const std::string& meeting_id) {
  signaling::ConferenceModify request;
  request.meeting_id = signaling::MeetingId(meeting_id);
  return request;
}

signaling::ConferenceModify expire(const std::string& meeting_id) {
  signaling::ConferenceModify request = update(meeting_id);
  request.expire = true;
  return request;
}

// The queue plus what came out of it.
struct Harness {
  ColibriRequestQueue queue{kBrewery, 15s};
  Clock::time_point now{};                            // fake time: starts at the epoch
  std::vector<std::optional<ColibriResult>> results;  // by request index, filled on completion

  // Adds a request; returns its index in `results`.
  std::size_t modify(const std::string& meeting_id, signaling::ConferenceModify request) {
    std::size_t index = results.size();
    results.emplace_back();
    queue.modify(
        meeting_id, std::move(request), [this, index](const ColibriResult& r) { results[index] = r; }, now);
    return index;
  }
  // Runs what completed, as the shell does from the loop.
  void run() {
    for (auto& completion : queue.take_completions()) completion.done(completion.result);
  }
  std::vector<ColibriRequestQueue::Outgoing> sent() { return queue.take_outgoing(); }
  bool failed(std::size_t index, const std::string& part) const {
    return results[index] && !results[index]->has_value() &&
           results[index]->error().text.find(part) != std::string::npos;
  }
  bool succeeded(std::size_t index) const { return results[index] && results[index]->has_value(); }
};

TEST_CASE("a create goes to the least stressed bridge and the conference stays there") {
  Harness h;
  h.queue.on_bridge_stats("jvbbrewery@internal.auth.test/a", idle_bridge(0.5));
  h.queue.on_bridge_stats("JvbBrewery@internal.auth.test/b", idle_bridge(0.1));
  h.queue.set_ready(true);
  auto first = h.modify("m1", create("m1"));
  auto out = h.sent();
  REQUIRE(out.size() == 1);
  CHECK(out[0].bridge == "jvbbrewery@internal.auth.test/b");
  CHECK(out[0].request.create);
  h.queue.on_answer(out[0].serial, signaling::ConferenceModified{});
  h.run();
  CHECK(h.succeeded(first));

  // b is busier now, but the conference is pinned to it.
  h.queue.on_bridge_stats("jvbbrewery@internal.auth.test/b", idle_bridge(0.9));
  h.modify("m1", update("m1"));
  out = h.sent();
  REQUIRE(out.size() == 1);
  CHECK(out[0].bridge == "jvbbrewery@internal.auth.test/b");
  // A new conference picks a instead.
  h.modify("m2", create("m2"));
  out = h.sent();
  REQUIRE(out.size() == 1);
  CHECK(out[0].bridge == "jvbbrewery@internal.auth.test/a");
}

TEST_CASE("one request per conference in flight, sent in order; conferences do not wait for each other") {
  Harness h;
  h.queue.on_bridge_stats("jvbbrewery@internal.auth.test/a", idle_bridge());
  h.queue.set_ready(true);
  auto c1 = h.modify("m1", create("m1"));
  auto u1 = h.modify("m1", update("m1"));
  auto c2 = h.modify("m2", create("m2"));
  auto out = h.sent();
  REQUIRE(out.size() == 2);  // m1's create and m2's create
  CHECK(out[0].request.meeting_id.str() == "m1");
  CHECK(out[1].request.meeting_id.str() == "m2");
  h.queue.on_answer(out[0].serial, signaling::ConferenceModified{});
  auto next = h.sent();
  REQUIRE(next.size() == 1);
  CHECK_FALSE(next[0].request.create);
  CHECK(next[0].request.meeting_id.str() == "m1");
  h.run();
  CHECK(h.succeeded(c1));
  CHECK_FALSE(h.results[u1]);
  CHECK_FALSE(h.results[c2]);
}

TEST_CASE("completions are collected, not run inside the call") {
  Harness h;
  h.queue.set_ready(true);
  auto index = h.modify("m1", create("m1"));
  CHECK_FALSE(h.results[index]);
  h.run();
  CHECK(h.failed(index, "no bridge in the brewery jvbbrewery@internal.auth.test"));
}

TEST_CASE("no bridge that takes conferences fails the create at once") {
  Harness h;
  BridgeStatsUpdate down = idle_bridge();
  down.shutting_down = true;
  h.queue.on_bridge_stats("jvbbrewery@internal.auth.test/a", down);
  h.queue.set_ready(true);
  auto index = h.modify("m1", create("m1"));
  h.run();
  CHECK(h.failed(index, "shutting down"));
  CHECK(h.sent().empty());
  CHECK(h.queue.bridge_of("m1").empty());
}

TEST_CASE("requests wait while the focus is not in the brewery, then go") {
  Harness h;
  auto index = h.modify("m1", create("m1"));
  CHECK(h.sent().empty());
  REQUIRE(h.queue.next_deadline());
  CHECK(*h.queue.next_deadline() == h.now + 15s);
  h.now += 5s;
  h.queue.on_timer(h.now);
  h.queue.on_bridge_stats("jvbbrewery@internal.auth.test/a", idle_bridge());
  h.queue.set_ready(true);
  auto out = h.sent();
  REQUIRE(out.size() == 1);
  h.queue.on_answer(out[0].serial, signaling::ConferenceModified{});
  h.run();
  CHECK(h.succeeded(index));
  CHECK_FALSE(h.queue.next_deadline());
}

TEST_CASE("a request waiting for the brewery times out 15 s after it was made") {
  Harness h;
  auto index = h.modify("m1", create("m1"));
  h.now += 14s;
  h.queue.on_timer(h.now);
  h.run();
  CHECK_FALSE(h.results[index]);
  h.now += 1s;
  h.queue.on_timer(h.now);
  h.run();
  CHECK(h.failed(index, "not in the brewery"));
  CHECK_FALSE(h.queue.next_deadline());
}

TEST_CASE("an unanswered request times out, the next one is sent, and a late answer is ignored") {
  Harness h;
  h.queue.on_bridge_stats("jvbbrewery@internal.auth.test/a", idle_bridge());
  h.queue.set_ready(true);
  auto c1 = h.modify("m1", create("m1"));
  auto out = h.sent();
  REQUIRE(out.size() == 1);
  h.queue.on_answer(out[0].serial, signaling::ConferenceModified{});
  h.now += 1s;
  auto u1 = h.modify("m1", update("m1"));
  auto u2 = h.modify("m1", update("m1"));
  auto slow = h.sent();
  REQUIRE(slow.size() == 1);
  h.now += 15s;
  h.queue.on_timer(h.now);
  h.run();
  CHECK(h.succeeded(c1));
  CHECK(h.failed(u1, "timeout: bridge jvbbrewery@internal.auth.test/a did not answer within 15 s"));
  // u2 was made at the same moment, so its wait is over too: it had no chance to be sent.
  CHECK(h.failed(u2, "timeout: still queued"));
  h.queue.on_answer(slow[0].serial, signaling::ConferenceModified{});
  h.run();
  CHECK(h.failed(u1, "timeout"));
}

TEST_CASE("the next request is sent when an earlier one times out") {
  Harness h;
  h.queue.on_bridge_stats("jvbbrewery@internal.auth.test/a", idle_bridge());
  h.queue.set_ready(true);
  h.modify("m1", create("m1"));
  auto out = h.sent();
  h.queue.on_answer(out[0].serial, signaling::ConferenceModified{});
  auto u1 = h.modify("m1", update("m1"));
  h.now += 10s;
  auto u2 = h.modify("m1", update("m1"));
  REQUIRE(h.sent().size() == 1);
  h.now += 5s;
  h.queue.on_timer(h.now);
  auto next = h.sent();
  REQUIRE(next.size() == 1);
  h.queue.on_answer(next[0].serial, signaling::ConferenceModified{});
  h.run();
  CHECK(h.failed(u1, "did not answer"));
  CHECK(h.succeeded(u2));
}

TEST_CASE("a bridge leaving fails what is in flight to it and what comes later for its conferences") {
  Harness h;
  h.queue.on_bridge_stats("jvbbrewery@internal.auth.test/a", idle_bridge());
  h.queue.set_ready(true);
  auto c1 = h.modify("m1", create("m1"));
  auto out = h.sent();
  REQUIRE(out.size() == 1);
  auto u1 = h.modify("m1", update("m1"));
  CHECK(h.queue.on_bridge_unavailable("JvbBrewery@internal.auth.test/a") == BreweryChange::kLeft);
  h.run();
  CHECK(h.failed(c1, "bridge jvbbrewery@internal.auth.test/a left the brewery"));
  // The create failed, so m1 has no bridge any more.
  CHECK(h.failed(u1, "has no bridge"));
  CHECK(h.queue.on_bridge_unavailable("jvbbrewery@internal.auth.test/focus") == BreweryChange::kNone);
}

TEST_CASE("updates to a pinned bridge that left fail; a new create picks another bridge") {
  Harness h;
  h.queue.on_bridge_stats("jvbbrewery@internal.auth.test/a", idle_bridge(0.0));
  h.queue.on_bridge_stats("jvbbrewery@internal.auth.test/b", idle_bridge(0.5));
  h.queue.set_ready(true);
  h.modify("m1", create("m1"));
  auto out = h.sent();
  h.queue.on_answer(out[0].serial, signaling::ConferenceModified{});
  h.queue.on_bridge_unavailable("jvbbrewery@internal.auth.test/a");
  auto u1 = h.modify("m1", update("m1"));
  h.run();
  CHECK(h.failed(u1, "left the brewery"));
  auto x1 = h.modify("m1", expire("m1"));
  h.run();
  CHECK(h.failed(x1, "left the brewery"));
  CHECK(h.queue.bridge_of("m1").empty());
  h.modify("m1", create("m1"));
  out = h.sent();
  REQUIRE(out.size() == 1);
  CHECK(out[0].bridge == "jvbbrewery@internal.auth.test/b");
}

TEST_CASE("losing the stream fails requests in flight, forgets bridges, and holds the rest") {
  Harness h;
  h.queue.on_bridge_stats("jvbbrewery@internal.auth.test/a", idle_bridge());
  h.queue.set_ready(true);
  auto c1 = h.modify("m1", create("m1"));
  auto first = h.sent();
  h.queue.on_answer(first[0].serial, signaling::ConferenceModified{});
  auto u1 = h.modify("m1", update("m1"));
  REQUIRE(h.sent().size() == 1);
  h.queue.set_ready(false);
  CHECK(h.queue.brewery().size() == 0);
  auto u2 = h.modify("m1", update("m1"));
  CHECK(h.sent().empty());
  h.run();
  CHECK(h.succeeded(c1));
  CHECK(h.failed(u1, "XMPP connection was lost"));
  CHECK_FALSE(h.results[u2]);
  // Back: the same bridge is relearned, and the pinned conference continues on it.
  h.queue.on_bridge_stats("jvbbrewery@internal.auth.test/a", idle_bridge());
  h.queue.set_ready(true);
  auto out = h.sent();
  REQUIRE(out.size() == 1);
  CHECK(out[0].bridge == "jvbbrewery@internal.auth.test/a");
  h.queue.on_answer(out[0].serial, signaling::ConferenceModified{});
  h.run();
  CHECK(h.succeeded(u2));
}

TEST_CASE("an expire unpins the conference, answered or not") {
  Harness h;
  h.queue.on_bridge_stats("jvbbrewery@internal.auth.test/a", idle_bridge());
  h.queue.set_ready(true);
  h.modify("m1", create("m1"));
  auto out = h.sent();
  h.queue.on_answer(out[0].serial, signaling::ConferenceModified{});
  CHECK(h.queue.bridge_of("m1") == "jvbbrewery@internal.auth.test/a");
  auto x = h.modify("m1", expire("m1"));
  out = h.sent();
  REQUIRE(out.size() == 1);
  CHECK(out[0].request.expire);
  ColibriFailure failure{"item-not-found: Conference not found", "item-not-found",
                         signaling::Colibri2ErrorReason::kConferenceNotFound};
  h.queue.on_answer(out[0].serial, unexpected(failure));
  h.run();
  REQUIRE(h.results[x]);
  CHECK(h.results[x]->error().condition == "item-not-found");
  CHECK(h.queue.bridge_of("m1").empty());
  CHECK_FALSE(h.queue.next_deadline());
}

}  // namespace
}  // namespace jvb::focus
