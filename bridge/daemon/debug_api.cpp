// See debug_api.hpp.
#include "bridge/daemon/debug_api.hpp"

#include <nlohmann/json.hpp>

namespace jvb::daemon {
namespace {

nlohmann::json conference_json(const conference::Conference& c, conference::Router& router, bool full,
                               Timestamp now) {
  nlohmann::json endpoints = nlohmann::json::object();
  for (const auto& [id, e] : c.endpoints) {
    if (!full) {
      endpoints[id.str()] = e.stats_id.value_or("");
      continue;
    }
    nlohmann::json ep = {{"stats_id", e.stats_id.value_or("")}, {"sources", e.sources.size()}};
    if (auto s = router.stats(e.transport, now)) {
      ep["bitrates"] = {{"incoming_bps", s->incoming_bps}, {"outgoing_bps", s->outgoing_bps}};
      ep["packets"] = {{"incoming", s->incoming_packets}, {"outgoing", s->outgoing_packets}};
      ep["bytes"] = {{"incoming", s->incoming_bytes}, {"outgoing", s->outgoing_bytes}};
    }
    nlohmann::json projections = nlohmann::json::array();
    for (const auto& p : router.projections(e.transport)) {
      projections.push_back({{"source", p.source},
                             {"target", p.target},
                             {"current", p.current},
                             {"forwarded", p.counters.forwarded},
                             {"dropped_before_keyframe", p.counters.dropped_before_keyframe},
                             {"dropped_not_current", p.counters.dropped_not_current},
                             {"switches", p.counters.switches},
                             {"keyframe_requests", p.counters.keyframe_requests},
                             {"sender_packets_per_encoding", p.packets_per_encoding},
                             {"sender_keyframes_per_encoding", p.keyframes_per_encoding}});
    }
    ep["video_projections"] = std::move(projections);
    endpoints[id.str()] = std::move(ep);
  }
  return {{"id", c.id},
          {"name", c.name.value_or("")},
          {"meeting_id", c.meeting_id.str()},
          {"endpoints", std::move(endpoints)},
          {"relays", nlohmann::json::object()}};
}

}  // namespace

void add_debug_routes(http::HttpServer& server, const conference::ConferenceManager& conferences,
                      conference::Router& router, const ShutdownManager& shutdown) {
  server.route("GET", "/debug", [&conferences, &router, &shutdown](const http::Request& r) {
    auto full = r.query.find("full");
    bool is_full = full != r.query.end() && full->second == "true";
    Timestamp now = Clock::now();
    nlohmann::json out = {{"shutdown_state", shutdown_state_name(shutdown.state())},
                          {"drain", shutdown.drain()},
                          {"time", std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count()}};
    nlohmann::json list = nlohmann::json::object();
    for (const auto& [meeting, c] : conferences.conferences())
      list[c.id] = conference_json(c, router, is_full, now);
    out["conferences"] = std::move(list);
    if (is_full) {
      const auto& c = router.counters();
      out["packet_path"] = {{"rtp_in", c.rtp_in},
                            {"rtcp_in", c.rtcp_in},
                            {"rtp_out", c.rtp_out},
                            {"rtcp_out", c.rtcp_out},
                            {"dropped_unparsable", c.dropped_unparsable},
                            {"dropped_unknown_ssrc", c.dropped_unknown_ssrc},
                            {"dropped_unknown_pt", c.dropped_unknown_pt},
                            {"dropped_muted", c.dropped_muted},
                            {"dropped_duplicate", c.dropped_duplicate},
                            {"dropped_rtx_padding", c.dropped_rtx_padding},
                            {"send_failures", c.send_failures},
                            {"keyframe_requests_sent", c.keyframe_requests_sent},
                            {"nacks_received", c.nacks_received},
                            {"retransmissions", c.retransmissions},
                            {"retransmission_misses", c.retransmission_misses}};
    }
    return http::Response{200, "application/json", out.dump(), {}};
  });
}

}  // namespace jvb::daemon
